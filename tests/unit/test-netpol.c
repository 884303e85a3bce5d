/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of NetworkPolicy's pure logic (lib/netpol): label selectors,
 * what a policy means, and the ACLs it becomes. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "netpol/np-acl.h"
#include "netpol/np-policy.h"
#include "netpol/np-selector.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "ovn/ovn-names.h"
#include "svec.h"
#include "unit-json.h"
#include "util.h"

/* JSON written with ' for ", to keep the cases readable. */
static bool
matches(const char *sel, const char *labels)
{
    struct json *s = unit_json(sel);
    struct json *l = labels ? unit_json(labels) : NULL;
    bool m = np_selector_matches(s, l);
    json_destroy(s);
    json_destroy(l);
    return m;
}

static void
test_selector(void **state OVS_UNUSED)
{
    assert_true(matches("{}", NULL));
    assert_true(matches("{}", "{'a':'1'}"));
    assert_true(matches("{'matchLabels':{'a':'1'}}", "{'a':'1','b':'2'}"));
    assert_false(matches("{'matchLabels':{'a':'1'}}", "{'a':'2'}"));
    assert_false(matches("{'matchLabels':{'a':'1'}}", NULL));
    const char *in = "{'matchExpressions':[{'key':'a','operator':'In',"
                     "'values':['1','2']}]}";
    assert_true(matches(in, "{'a':'2'}"));
    assert_false(matches(in, "{'a':'3'}"));
    assert_false(matches(in, "{}"));
    const char *not_in = "{'matchExpressions':[{'key':'a','operator':"
                         "'NotIn','values':['1']}]}";
    assert_true(matches(not_in, "{}"));
    assert_true(matches(not_in, "{'a':'2'}"));
    assert_false(matches(not_in, "{'a':'1'}"));
    const char *exists = "{'matchExpressions':[{'key':'a','operator':"
                         "'Exists'}]}";
    assert_true(matches(exists, "{'a':''}"));
    assert_false(matches(exists, "{'b':'1'}"));
    const char *dne = "{'matchExpressions':[{'key':'a','operator':"
                      "'DoesNotExist'}]}";
    assert_true(matches(dne, "{'b':'1'}"));
    assert_false(matches(dne, "{'a':'1'}"));
    /* Both parts must hold. */
    const char *both = "{'matchLabels':{'x':'y'},'matchExpressions':[{'key':"
                       "'a','operator':'Exists'}]}";
    assert_true(matches(both, "{'x':'y','a':'1'}"));
    assert_false(matches(both, "{'x':'y'}"));

    struct json *bad = unit_json("{'matchExpressions':[{'key':'a','operator':"
                             "'Like','values':['1']}]}");
    char *error = np_selector_check(bad);
    assert_non_null(error);
    assert_non_null(strstr(error, "Like"));
    assert_false(np_selector_matches(bad, NULL));
    free(error);
    json_destroy(bad);
}

static char *
parse_policy(const char *text, struct np_policy *p, struct json **obj)
{
    *obj = unit_json(text);
    return np_policy_parse(*obj, p);
}

#define META "'metadata':{'namespace':'ns1','name':'p'}"

static void
test_policy_types(void **state OVS_UNUSED)
{
    struct np_policy p;
    struct json *obj;
    /* No policyTypes, no egress: ingress only. */
    assert_null(parse_policy("{" META ",'spec':{'podSelector':{}}}", &p,
                             &obj));
    assert_true(p.affects[NP_INGRESS]);
    assert_false(p.affects[NP_EGRESS]);
    assert_string_equal(p.key, "ns1/p");
    np_policy_destroy(&p);
    json_destroy(obj);
    /* Egress rules present: both. */
    assert_null(parse_policy("{" META ",'spec':{'podSelector':{},"
                             "'egress':[{}]}}", &p, &obj));
    assert_true(p.affects[NP_INGRESS] && p.affects[NP_EGRESS]);
    assert_int_equal(p.n_rules[NP_EGRESS], 1);
    np_policy_destroy(&p);
    json_destroy(obj);
    /* Explicit Egress only. */
    assert_null(parse_policy("{" META ",'spec':{'podSelector':{},"
                             "'policyTypes':['Egress']}}", &p, &obj));
    assert_false(p.affects[NP_INGRESS]);
    assert_true(p.affects[NP_EGRESS]);
    np_policy_destroy(&p);
    json_destroy(obj);
}

static void
test_policy_errors(void **state OVS_UNUSED)
{
    static const struct {
        const char *spec;
        const char *error;
    } cases[] = {
        { "'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/33'}}]}]",
          "10.0.0.0/33" },
        { "'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8','except':"
          "['11.0.0.0/16']}}]}]", "not inside" },
        { "'ingress':[{'ports':[{'protocol':'ICMP','port':1}]}]", "ICMP" },
        { "'ingress':[{'ports':[{'port':80,'endPort':70}]}]", "endPort" },
        { "'ingress':[{'ports':[{'port':70000}]}]", "70000" },
        { "'egress':[{'to':[{}]}]", "needs" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *text = xasprintf("{" META ",'spec':{'podSelector':{},%s}}",
                               cases[i].spec);
        struct np_policy p;
        struct json *obj;
        char *error = parse_policy(text, &p, &obj);
        if (!error || !strstr(error, cases[i].error)) {
            fail_msg("case %"PRIuSIZE": want an error with \"%s\", got %s",
                     i, cases[i].error, error ? error : "none");
        }
        free(error);
        free(text);
        np_policy_destroy(&p);
        json_destroy(obj);
    }
}

/* The ACLs of 'text' as "dir prio action match" lines, sorted. */
static char *
acls_of(const char *text, const struct np_named_port *named, size_t n_named)
{
    struct np_policy p;
    struct json *obj;
    char *error = parse_policy(text, &p, &obj);
    if (error) {
        fail_msg("%s", error);
    }
    struct np_acl_input in = {
        .policy = &p, .port_group = "pg", .families = { true, false },
        .node_cidrs = { "100.64.0.0/16", NULL },
        .named = named, .n_named = n_named,
    };
    struct np_acls acls;
    np_acls_build(&in, &acls);
    struct svec lines = SVEC_EMPTY_INITIALIZER;
    for (size_t i = 0; i < acls.n; i++) {
        const struct np_acl *a = &acls.acls[i];
        svec_add_nocopy(&lines, xasprintf("%s %d %s %s",
                                          np_dir_name(a->dir), a->priority,
                                          a->action, a->match));
    }
    svec_sort(&lines);
    struct ds s = DS_EMPTY_INITIALIZER;
    const char *line;
    size_t i;
    SVEC_FOR_EACH (i, line, &lines) {
        ds_put_format(&s, "%s\n", line);
    }
    svec_destroy(&lines);
    np_acls_destroy(&acls);
    np_policy_destroy(&p);
    json_destroy(obj);
    return ds_steal_cstr(&s);
}

static void
test_acls_deny_all(void **state OVS_UNUSED)
{
    char *s = acls_of("{" META ",'spec':{'podSelector':{},"
                      "'policyTypes':['Ingress','Egress']}}", NULL, 0);
    assert_string_equal(s,
        "egress 2000 drop inport == @pg && ip\n"
        "ingress 2000 drop outport == @pg && ip\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == "
        "100.64.0.0/16\n");
    free(s);
}

static void
test_acls_rules(void **state OVS_UNUSED)
{
    char *s = acls_of("{" META ",'spec':{'podSelector':{},'ingress':[{"
                      "'from':[{'podSelector':{'matchLabels':{'a':'b'}}},"
                      "{'ipBlock':{'cidr':'10.1.0.5/16','except':"
                      "['10.1.2.0/24']}}],"
                      "'ports':[{'port':80},{'protocol':'UDP','port':53,"
                      "'endPort':54}]}]}}", NULL, 0);
    char *set = ovn_name_np_peer_set(
        "[\"ns\",\"ns1\",{\"matchLabels\":{\"a\":\"b\"}}]", 4);
    char *want = xasprintf(
        "ingress 2000 drop outport == @pg && ip\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == "
        "10.1.0.0/16 && ip4.src != {10.1.2.0/24} && tcp.dst == 80\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == "
        "10.1.0.0/16 && ip4.src != {10.1.2.0/24} && udp.dst >= 53 && "
        "udp.dst <= 54\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == "
        "100.64.0.0/16\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == {$%s} && "
        "tcp.dst == 80\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == {$%s} && "
        "udp.dst >= 53 && udp.dst <= 54\n", set, set);
    assert_string_equal(s, want);
    free(want);
    free(set);
    free(s);
}

static void
test_acls_allow_all_and_named(void **state OVS_UNUSED)
{
    /* ingress: [{}] allows everything (its match is the drop's, at a
     * higher priority); egress to a named port allows the numbers it has
     * on destination pods, each with its set (lines sort by set name). */
    const struct np_named_port named[] = {
        { NP_EGRESS, NP_TCP, "http", 8080 },
        { NP_EGRESS, NP_TCP, "http", 80 },
        { NP_EGRESS, NP_UDP, "http", 81 },      /* Not the rule's proto. */
    };
    char *s = acls_of("{" META ",'spec':{'podSelector':{},'ingress':[{}],"
                      "'egress':[{'ports':[{'port':'http'}]}]}}",
                      named, ARRAY_SIZE(named));
    char *set80 = ovn_name_np_named_set("ns1/p", "egress", "tcp", "http",
                                        80, 4);
    char *set8080 = ovn_name_np_named_set("ns1/p", "egress", "tcp", "http",
                                          8080, 4);
    char *want = xasprintf(
        "egress 2000 drop inport == @pg && ip\n"
        "egress 2001 allow-related inport == @pg && ip4.dst == $%s && "
        "tcp.dst == 8080\n"
        "egress 2001 allow-related inport == @pg && ip4.dst == $%s && "
        "tcp.dst == 80\n"
        "ingress 2000 drop outport == @pg && ip\n"
        "ingress 2001 allow-related outport == @pg && ip\n"
        "ingress 2001 allow-related outport == @pg && ip4.src == "
        "100.64.0.0/16\n", set8080, set80);
    assert_string_equal(s, want);
    free(want);
    free(set80);
    free(set8080);
    free(s);
}

static void
test_peer_keys(void **state OVS_UNUSED)
{
    /* Two policies with the same peer share its set; the dependency
     * table finds the keys that hold a pod. */
    struct json *a = unit_json("{'metadata':{'namespace':'n','name':'a'},"
                           "'spec':{'podSelector':{},'ingress':[{'from':["
                           "{'namespaceSelector':{'matchLabels':{'t':'x'}},"
                           "'podSelector':{'matchLabels':{'r':'db'}}}]}]}}");
    struct json *b = unit_json("{'metadata':{'namespace':'m','name':'b'},"
                           "'spec':{'podSelector':{},'egress':[{'to':["
                           "{'podSelector':{'matchLabels':{'r':'db'}},"
                           "'namespaceSelector':{'matchLabels':{'t':'x'}}"
                           "}]}]}}");
    struct svec ka = SVEC_EMPTY_INITIALIZER, kb = SVEC_EMPTY_INITIALIZER;
    np_policy_peer_keys(a, &ka);
    np_policy_peer_keys(b, &kb);
    assert_int_equal(ka.n, 1);
    assert_int_equal(kb.n, 1);
    assert_string_equal(ka.names[0], kb.names[0]);

    struct np_peer_sel sel;
    assert_true(np_peer_sel_parse(ka.names[0], &sel));
    struct json *nsl = unit_json("{'t':'x'}"), *podl = unit_json("{'r':'db'}");
    struct json *other = unit_json("{'r':'web'}");
    assert_true(np_peer_sel_matches(&sel, "z", nsl, podl));
    assert_false(np_peer_sel_matches(&sel, "z", nsl, other));
    assert_false(np_peer_sel_matches(&sel, "z", NULL, podl));
    np_peer_sel_destroy(&sel);

    struct svec hit = SVEC_EMPTY_INITIALIZER;
    np_policy_pod_peer_keys(a, "z", nsl, podl, &hit);
    assert_int_equal(hit.n, 1);
    np_policy_pod_peer_keys(a, "z", nsl, other, &hit);
    assert_int_equal(hit.n, 1);

    struct svec idx = SVEC_EMPTY_INITIALIZER;
    np_policy_index(a, &idx);
    assert_true(svec_contains_unsorted(&idx, "n"));
    assert_true(svec_contains_unsorted(&idx, NP_INDEX_NS_SELECTORS));
    assert_false(svec_contains_unsorted(&idx, NP_INDEX_EGRESS_NAMED));

    svec_destroy(&idx);
    svec_destroy(&hit);
    svec_destroy(&ka);
    svec_destroy(&kb);
    json_destroy(nsl);
    json_destroy(podl);
    json_destroy(other);
    json_destroy(a);
    json_destroy(b);
}

static void
test_named_ports(void **state OVS_UNUSED)
{
    struct json *pod = unit_json("{'spec':{'containers':[{'ports':["
                             "{'name':'http','containerPort':8080},"
                             "{'name':'dns','containerPort':53,"
                             "'protocol':'UDP'}]},{}]}}");
    assert_int_equal(np_pod_named_port(pod, "http", NP_TCP), 8080);
    assert_int_equal(np_pod_named_port(pod, "http", NP_UDP), 0);
    assert_int_equal(np_pod_named_port(pod, "dns", NP_UDP), 53);
    assert_int_equal(np_pod_named_port(pod, "x", NP_TCP), 0);
    json_destroy(pod);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selector),
        cmocka_unit_test(test_policy_types),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_acls_deny_all),
        cmocka_unit_test(test_acls_rules),
        cmocka_unit_test(test_acls_allow_all_and_named),
        cmocka_unit_test(test_peer_keys),
        cmocka_unit_test(test_named_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
