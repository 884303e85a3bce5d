/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: kovn-daemon's nftables table as a pure function
 * (daemon/node-services.h): a Service model -> chains and map elements,
 * the commands between two states, nft's listing read back. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipam/cidr.h"
#include "node-services.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "svc/svc-model.h"
#include "util.h"

#define SVC(POLICY, EXTRA) \
    "{\"kind\":\"Service\",\"metadata\":{\"namespace\":\"default\"," \
    "\"name\":\"web\"},\"spec\":{\"type\":\"NodePort\"," \
    "\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"]," \
    "\"externalTrafficPolicy\":\"" POLICY "\"" EXTRA "," \
    "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":80," \
    "\"targetPort\":8080,\"nodePort\":30080}]}}"

#define SLICE(ENDPOINTS) \
    "{\"kind\":\"EndpointSlice\",\"metadata\":{\"namespace\":\"default\"," \
    "\"name\":\"web-1\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"web\"}},\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\"," \
    "\"protocol\":\"TCP\",\"port\":8080}],\"endpoints\":[" ENDPOINTS "]}"

#define EP(IP, NODE) \
    "{\"addresses\":[\"" IP "\"],\"conditions\":{\"ready\":true}," \
    "\"nodeName\":\"" NODE "\"}"

/* The fragment of Service 'svc' with slice 'slice' (or none) on node1,
 * whose pods are in 10.16.0.0/16. */
static void
frag_of(const char *svc, const char *slice, struct nsvc_frag *f)
{
    struct ip_cidr pods;
    assert_null(cidr_parse("10.16.0.0/16", &pods, NULL));
    struct nsvc_networks nets = { .pods = &pods, .n_pods = 1 };
    struct json *s = json_from_string(svc);
    struct json *e = slice ? json_from_string(slice) : NULL;
    const struct json *slices[] = { e };
    struct svc_model m;
    char *error = svc_model_build(s, slices, e ? 1 : 0, &m);
    assert_null(error);
    nsvc_frag_init(f);
    nsvc_service_frag(&m, "node1", &nets, f);
    svc_model_destroy(&m);
    json_destroy(s);
    json_destroy(e);
}

static const struct nsvc_chain *
chain(const struct nsvc_frag *f, const char *name)
{
    const struct nsvc_chain *c = shash_find_data(&f->chains, name);
    assert_non_null(c);
    return c;
}

#define WEB "svc/default/web/tcp/80"

static bool
has(const struct nsvc_frag *f, enum nsvc_map m, const char *elem)
{
    return sset_contains(&f->elems[m], elem);
}

static void
test_cluster(void **state)
{
    (void) state;
    struct nsvc_frag f;
    frag_of(SVC("Cluster", ",\"externalIPs\":[\"203.0.113.10\","
                "\"2001:db8::10\"]"), NULL, &f);
    /* One target (the ClusterIP): elements only, no chain of its own. */
    assert_int_equal(shash_count(&f.chains), 0);
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto np_masq"));
    assert_true(has(&f, NSVC_NP_ONE4, "tcp . 30080 : 10.96.0.10 . 80"));
    assert_true(has(&f, NSVC_EXTERNAL4,
                    "203.0.113.10 . tcp . 80 : goto vip_masq"));
    assert_true(has(&f, NSVC_VIP_ONE4,
                    "203.0.113.10 . tcp . 80 : 10.96.0.10 . 80"));
    /* No IPv6 ClusterIP: the IPv6 externalIP goes to vip_masq, which
     * finds no target and drops. */
    assert_true(has(&f, NSVC_EXTERNAL6,
                    "2001:db8::10 . tcp . 80 : goto vip_masq"));
    assert_int_equal(nsvc_frag_n_elems(&f), 5);
    nsvc_frag_destroy(&f);
}

static void
test_local(void **state)
{
    (void) state;
    struct nsvc_frag f;

    /* No endpoint on this node: to np_local without a target: dropped. */
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.9", "node2")), &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto np_local"));
    assert_int_equal(nsvc_frag_n_elems(&f), 1);
    nsvc_frag_destroy(&f);

    /* One: straight to it, through np_local (no mark: no masquerade). */
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.5", "node1") ","
                                    EP("10.16.0.9", "node2")), &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto np_local"));
    assert_true(has(&f, NSVC_NP_ONE4, "tcp . 30080 : 10.16.0.5 . 8080"));
    assert_int_equal(nsvc_frag_n_elems(&f), 2);
    nsvc_frag_destroy(&f);

    /* Two: a chain of its own, at random, then drop. */
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.5", "node1") ","
                                    EP("10.16.0.6", "node1") ","
                                    EP("10.16.0.9", "node2")), &f);
    const struct nsvc_chain *c = chain(&f, WEB);
    assert_int_equal(c->rules.n, 2);
    assert_string_equal(c->rules.names[0],
                        "meta nfproto ipv4 meta l4proto tcp dnat ip to "
                        "numgen random mod 2 map { 0 : 10.16.0.5 . 8080, "
                        "1 : 10.16.0.6 . 8080 }");
    assert_string_equal(c->rules.names[1], "drop");
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto " WEB));
    assert_int_equal(nsvc_frag_n_elems(&f), 1);
    nsvc_frag_destroy(&f);
}

static void
test_cluster_ip_only(void **state)
{
    (void) state;
    struct nsvc_frag f;
    frag_of("{\"kind\":\"Service\",\"metadata\":{\"namespace\":\"a\","
            "\"name\":\"b\"},\"spec\":{\"clusterIP\":\"10.96.0.3\","
            "\"ports\":[{\"port\":53,\"protocol\":\"UDP\"}]}}", NULL, &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_int_equal(nsvc_frag_n_elems(&f), 0);
    nsvc_frag_destroy(&f);

    frag_of("{\"kind\":\"Service\",\"metadata\":{\"namespace\":\"a\","
            "\"name\":\"b\"},\"spec\":{\"clusterIP\":\"None\","
            "\"ports\":[{\"port\":53,\"nodePort\":30053}]}}", NULL, &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_int_equal(nsvc_frag_n_elems(&f), 0);
    nsvc_frag_destroy(&f);
}

#define WEB_CIP "clusterip/default/web/tcp/80"

static void
test_host_backend(void **state)
{
    (void) state;
    struct nsvc_frag f;

    /* Pods here and a hostNetwork endpoint elsewhere: OVN's alone, as
     * before. */
    frag_of(SVC("Cluster", ""), SLICE(EP("10.16.0.5", "node1") ","
                                      EP("192.168.0.2", "node2")), &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_int_equal(sset_count(&f.elems[NSVC_CLUSTERIP4]), 0);
    assert_true(has(&f, NSVC_NP_ONE4, "tcp . 30080 : 10.96.0.10 . 80"));
    nsvc_frag_destroy(&f);

    /* A hostNetwork endpoint here: from the node, to any backend at
     * random, masqueraded; its nodePort too, not to the ClusterIP. */
    frag_of(SVC("Cluster", ""), SLICE(EP("192.168.0.1", "node1") ","
                                      EP("10.16.0.6", "node2")), &f);
    const struct nsvc_chain *c = chain(&f, WEB_CIP);
    assert_null(c->header);
    assert_int_equal(c->rules.n, 2);
    assert_string_equal(c->rules.names[0],
                        "meta nfproto ipv4 meta l4proto tcp meta mark set "
                        "meta mark | 0x00020000 dnat ip to numgen random "
                        "mod 2 map { 0 : 10.16.0.6 . 8080, "
                        "1 : 192.168.0.1 . 8080 }");
    assert_true(has(&f, NSVC_CLUSTERIP4,
                    "10.96.0.10 . tcp . 80 : goto " WEB_CIP));
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto " WEB));
    assert_int_equal(nsvc_frag_n_elems(&f), 2);
    assert_string_equal(chain(&f, WEB)->rules.names[0],
                        c->rules.names[0]);
    nsvc_frag_destroy(&f);

    /* The only one: elements only, through vip_masq and np_local. */
    frag_of(SVC("Local", ""), SLICE(EP("192.168.0.1", "node1")), &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_true(has(&f, NSVC_CLUSTERIP4,
                    "10.96.0.10 . tcp . 80 : goto vip_masq"));
    assert_true(has(&f, NSVC_VIP_ONE4,
                    "10.96.0.10 . tcp . 80 : 192.168.0.1 . 8080"));
    assert_true(has(&f, NSVC_NODEPORTS, "tcp . 30080 : goto np_local"));
    assert_true(has(&f, NSVC_NP_ONE4, "tcp . 30080 : 192.168.0.1 . 8080"));
    assert_int_equal(nsvc_frag_n_elems(&f), 4);
    nsvc_frag_destroy(&f);

    /* Dual stack, an IPv4 hostNetwork endpoint: the IPv6 ClusterIP is
     * OVN's. */
    frag_of("{\"kind\":\"Service\",\"metadata\":{\"namespace\":"
            "\"default\",\"name\":\"web\"},\"spec\":{\"clusterIP\":"
            "\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\",\"fd00:96::10\"],"
            "\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\","
            "\"port\":80,\"targetPort\":8080}]}}",
            SLICE(EP("192.168.0.1", "node1")), &f);
    assert_int_equal(shash_count(&f.chains), 0);
    assert_int_equal(sset_count(&f.elems[NSVC_CLUSTERIP4]), 1);
    assert_int_equal(sset_count(&f.elems[NSVC_CLUSTERIP6]), 0);
    assert_int_equal(nsvc_frag_n_elems(&f), 2);
    nsvc_frag_destroy(&f);

    /* Consulted from the node's output only. */
    struct nsvc_networks none = { .n_pods = 0 };
    nsvc_frag_init(&f);
    nsvc_base_frag(&none, &f);
    assert_string_equal(chain(&f, "output")->rules.names[0],
                        "ip daddr . meta l4proto . th dport vmap "
                        "@clusterip4");
    assert_string_equal(chain(&f, "output")->rules.names[1],
                        "ip6 daddr . meta l4proto . th dport vmap "
                        "@clusterip6");
    for (size_t i = 0; i < chain(&f, "services")->rules.n; i++) {
        assert_null(strstr(chain(&f, "services")->rules.names[i],
                           "clusterip"));
    }
    /* Prerouting: the gateway's mark per family (node-nat.h), then the
     * Services; no ClusterIP lookup. */
    c = chain(&f, "prerouting");
    assert_int_equal(c->rules.n, 3);
    assert_string_equal(c->rules.names[2], "jump services");
    for (size_t i = 0; i < c->rules.n; i++) {
        assert_null(strstr(c->rules.names[i], "clusterip"));
    }
    /* The fixed chains: a masquerade mark or none, a lookup per family,
     * drop. */
    c = chain(&f, "np_masq");
    assert_int_equal(c->rules.n, 4);
    assert_string_equal(c->rules.names[1],
                        "meta nfproto ipv4 dnat ip to meta l4proto . th "
                        "dport map @np_one4");
    c = chain(&f, "vip_local");
    assert_int_equal(c->rules.n, 3);
    assert_string_equal(c->rules.names[1],
                        "dnat ip6 to ip6 daddr . meta l4proto . th dport "
                        "map @vip_one6");
    assert_string_equal(c->rules.names[2], "drop");
    nsvc_frag_destroy(&f);
}

static char *
diff_of(const struct nsvc_frag *a, const struct nsvc_frag *b)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    nsvc_diff(a, b, &s);
    return ds_steal_cstr(&s);
}

static void
test_diff(void **state)
{
    (void) state;
    struct nsvc_frag a, b, two, empty;
    nsvc_frag_init(&empty);
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.5", "node1")), &a);
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.6", "node1")), &b);
    frag_of(SVC("Local", ""), SLICE(EP("10.16.0.5", "node1") ","
                                    EP("10.16.0.6", "node1")), &two);

    char *d = diff_of(&a, &a);
    assert_string_equal(d, "");
    free(d);

    /* An endpoint change: its target's element, deleted and added; no
     * chain is named. */
    d = diff_of(&a, &b);
    assert_string_equal(d,
                        "delete element inet kovn np_one4 { tcp . 30080 }\n"
                        "add element inet kovn np_one4 { tcp . 30080 : "
                        "10.16.0.6 . 8080 }\n");
    free(d);

    /* New, then gone. */
    d = diff_of(&empty, &a);
    assert_string_equal(d,
                        "add element inet kovn nodeports { tcp . 30080 : "
                        "goto np_local }\n"
                        "add element inet kovn np_one4 { tcp . 30080 : "
                        "10.16.0.5 . 8080 }\n");
    free(d);
    d = diff_of(&a, &empty);
    assert_string_equal(d,
                        "delete element inet kovn nodeports { tcp . 30080 }\n"
                        "delete element inet kovn np_one4 { tcp . 30080 }\n");
    free(d);

    /* One target to two: a chain of its own first, the verdict to it, the
     * target's element gone. */
    d = diff_of(&a, &two);
    char *want = xasprintf(
        "add chain inet kovn " WEB "\n"
        "add rule inet kovn " WEB " meta nfproto ipv4 meta l4proto tcp "
        "dnat ip to numgen random mod 2 map { 0 : 10.16.0.5 . 8080, "
        "1 : 10.16.0.6 . 8080 } comment \"%s\"\n"
        "add rule inet kovn " WEB " drop\n"
        "delete element inet kovn nodeports { tcp . 30080 }\n"
        "delete element inet kovn np_one4 { tcp . 30080 }\n"
        "add element inet kovn nodeports { tcp . 30080 : goto " WEB " }\n",
        chain(&two, WEB)->sig);
    assert_string_equal(d, want);
    free(want);
    free(d);
    /* And back: the chain goes last, once nothing refers to it. */
    d = diff_of(&two, &a);
    assert_string_equal(d,
                        "delete element inet kovn nodeports { tcp . 30080 }\n"
                        "add element inet kovn nodeports { tcp . 30080 : "
                        "goto np_local }\n"
                        "add element inet kovn np_one4 { tcp . 30080 : "
                        "10.16.0.5 . 8080 }\n"
                        "flush chain inet kovn " WEB "\n"
                        "delete chain inet kovn " WEB "\n");
    free(d);

    nsvc_frag_destroy(&two);
    nsvc_frag_destroy(&a);
    nsvc_frag_destroy(&b);
    nsvc_frag_destroy(&empty);
}

static void
test_base_and_parse(void **state)
{
    (void) state;
    struct ip_cidr pods[1], cluster[4];
    size_t n_cluster = 4;
    assert_null(cidr_parse("10.16.0.0/16", &pods[0], NULL));
    assert_null(cidr_parse("10.96.0.0/12", &cluster[0], NULL));
    assert_null(cidr_parse("10.16.0.0/16", &cluster[1], NULL));
    assert_null(cidr_parse("100.64.0.0/16", &cluster[2], NULL));
    assert_null(cidr_parse("10.96.5.0/24", &cluster[3], NULL));
    nsvc_cidrs_normalize(cluster, &n_cluster);
    assert_int_equal(n_cluster, 3);     /* 10.96.5.0/24 is in /12. */

    struct nsvc_networks nets = { pods, 1, cluster, n_cluster };
    struct nsvc_frag want;
    nsvc_frag_init(&want);
    nsvc_base_frag(&nets, &want);
    struct nsvc_frag svc;
    frag_of(SVC("Local", ",\"externalIPs\":[\"203.0.113.10\"]"),
            SLICE(EP("10.16.0.5", "node1") "," EP("10.16.0.6", "node1")),
            &svc);
    struct shash_node *node;
    SHASH_FOR_EACH (node, &svc.chains) {
        const struct nsvc_chain *c = node->data;
        struct nsvc_chain *copy = xzalloc(sizeof *copy);
        svec_clone(&copy->rules, &c->rules);
        copy->sig = xstrdup(c->sig);
        shash_add(&want.chains, node->name, copy);
    }
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        const char *e;
        SSET_FOR_EACH (e, &svc.elems[m]) {
            sset_add(&want.elems[m], e);
        }
    }
    const struct nsvc_chain *post = chain(&want, "postrouting");
    assert_string_equal(post->rules.names[1],
                        "oifname != \"ovn0\" ip saddr @nat_src4 ip daddr != "
                        "@cluster4 jump nat_out");
    assert_true(has(&want, NSVC_CLUSTER4, "100.64.0.0/16"));
    assert_int_equal(sset_count(&want.elems[NSVC_CLUSTER4]), 3);
    assert_int_equal(sset_count(&want.elems[NSVC_NAT_SRC4]), 0);

    /* What nft lists for that table, with handles. */
    struct ds listing = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&listing, "table inet kovn { # handle 4\n"
                "\tmap nodeports { # handle 1\n"
                "\t\ttype inet_proto . inet_service : verdict\n"
                "\t\telements = { tcp . 30080 : goto " WEB " }\n\t}\n\n"
                "\tmap external4 { # handle 2\n"
                "\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"
                "\t\telements = { 192.0.2.99 . tcp . 80 : goto " WEB ",\n"
                "\t\t\t     203.0.113.10 . tcp . 80 : goto " WEB " }\n\t}\n\n"
                "\tmap external6 { # handle 3\n"
                "\t\ttype ipv6_addr . inet_proto . inet_service : verdict\n"
                "\t}\n\n"
                "\tmap clusterip4 { # handle 5\n"
                "\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"
                "\t}\n\n"
                "\tmap clusterip6 { # handle 6\n"
                "\t\ttype ipv6_addr . inet_proto . inet_service : verdict\n"
                "\t}\n\n"
                "\tmap np_one4 { # handle 7\n"
                "\t\ttype inet_proto . inet_service : ipv4_addr . "
                "inet_service\n"
                "\t\telements = { tcp . 30099 : 10.96.0.99 . 80 }\n\t}\n\n"
                "\tmap np_one6 { # handle 8\n"
                "\t\ttype inet_proto . inet_service : ipv6_addr . "
                "inet_service\n\t}\n\n"
                "\tmap vip_one4 { # handle 9\n"
                "\t\ttype ipv4_addr . inet_proto . inet_service : "
                "ipv4_addr . inet_service\n\t}\n\n"
                "\tmap vip_one6 { # handle 10\n"
                "\t\ttype ipv6_addr . inet_proto . inet_service : "
                "ipv6_addr . inet_service\n\t}\n\n"
                "\tset nat_src4 { # handle 11\n\t\ttype ipv4_addr\n"
                "\t\tflags interval\n\t}\n\n"
                "\tset nat_src6 { # handle 12\n\t\ttype ipv6_addr\n"
                "\t\tflags interval\n\t}\n\n"
                "\tset cluster4 { # handle 13\n\t\ttype ipv4_addr\n"
                "\t\tflags interval\n"
                "\t\telements = { 10.16.0.0/16, 10.96.0.0/12,\n"
                "\t\t\t     100.64.0.0/16 }\n\t}\n\n"
                "\tset cluster6 { # handle 14\n\t\ttype ipv6_addr\n"
                "\t\tflags interval\n\t}\n\n"
                "\tset local_pods4 { # handle 19\n\t\ttype ipv4_addr\n"
                "\t\tflags interval\n\t}\n\n"
                "\tset local_pods6 { # handle 20\n\t\ttype ipv6_addr\n"
                "\t\tflags interval\n\t}\n\n"
                "\tmap nat_rules4 { # handle 15\n"
                "\t\ttype ipv4_addr : verdict\n\t\tflags interval\n\t}\n\n"
                "\tmap nat_rules6 { # handle 16\n"
                "\t\ttype ipv6_addr : verdict\n\t\tflags interval\n\t}\n\n"
                "\tmap egress4 { # handle 17\n"
                "\t\ttype ipv4_addr : ipv4_addr\n\t\tflags interval\n\t}\n\n"
                "\tmap egress6 { # handle 18\n"
                "\t\ttype ipv6_addr : ipv6_addr\n\t\tflags interval\n\t}\n\n");
    const char *order[] = { "nat_do", "nat_out",
                            "np_local", "np_masq", "output", "postrouting",
                            "prerouting", "services", "vip_local",
                            "vip_masq", WEB, "svc/default/gone/tcp/1" };
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        const struct nsvc_chain *c = shash_find_data(&want.chains, order[i]);
        ds_put_format(&listing, "\tchain %s { # handle %"PRIuSIZE"\n",
                      order[i], 10 + i);
        if (c && c->header) {
            ds_put_format(&listing, "\t\t%s\n", c->header);
        }
        for (size_t j = 0; c && j < c->rules.n; j++) {
            ds_put_format(&listing, "\t\t%s", c->rules.names[j]);
            if (!j) {
                ds_put_format(&listing, " comment \"%s\"", c->sig);
            }
            ds_put_format(&listing, " # handle %"PRIuSIZE"\n", 20 + j);
        }
        if (!c) {
            ds_put_cstr(&listing, "\t\tdrop comment \"kovn:0:1\"\n");
        }
        ds_put_cstr(&listing, "\t}\n");
    }
    ds_put_cstr(&listing, "}\n");

    struct nsvc_frag have;
    nsvc_frag_init(&have);
    assert_null(nsvc_frag_parse(ds_cstr(&listing), &have));
    assert_true(nsvc_skeleton_ok(&have, &want));
    assert_string_equal(chain(&have, WEB)->sig, chain(&want, WEB)->sig);
    assert_int_equal(sset_count(&have.elems[NSVC_EXTERNAL4]), 2);
    assert_true(has(&have, NSVC_NP_ONE4, "tcp . 30099 : 10.96.0.99 . 80"));

    /* Read back, the stale elements and chain go, nothing else. */
    char *d = diff_of(&have, &want);
    assert_string_equal(d,
                        "delete element inet kovn external4 { 192.0.2.99 . "
                        "tcp . 80 }\n"
                        "delete element inet kovn np_one4 { tcp . 30099 }\n"
                        "flush chain inet kovn svc/default/gone/tcp/1\n"
                        "delete chain inet kovn svc/default/gone/tcp/1\n");
    free(d);

    /* A chain with a rule more than its signature says is rewritten. */
    struct nsvc_frag have2;
    nsvc_frag_init(&have2);
    char *extra = xasprintf("%s", ds_cstr(&listing));
    char *at = strstr(extra, "\tchain " WEB " {");
    at = strchr(at, '\n') + 1;
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_buffer(&s, extra, at - extra);
    ds_put_cstr(&s, "\t\tip saddr 1.2.3.4 accept\n");
    ds_put_cstr(&s, at);
    assert_null(nsvc_frag_parse(ds_cstr(&s), &have2));
    assert_string_equal(chain(&have2, WEB)->sig, "");
    d = diff_of(&have2, &want);
    assert_non_null(strstr(d, "flush chain inet kovn " WEB "\n"));
    free(d);
    ds_destroy(&s);
    free(extra);

    /* Another version's skeleton is not patched but replaced. */
    struct nsvc_frag none;
    nsvc_frag_init(&none);
    assert_false(nsvc_skeleton_ok(&none, &want));
    /* So is one without the clusterip maps (version 1's). */
    char *v1 = xstrdup(ds_cstr(&listing));
    char *from = strstr(v1, "\tmap clusterip4");
    char *to = strstr(v1, "\tchain output");
    memmove(from, to, strlen(to) + 1);
    struct nsvc_frag old;
    nsvc_frag_init(&old);
    assert_null(nsvc_frag_parse(v1, &old));
    assert_false(nsvc_skeleton_ok(&old, &want));
    nsvc_frag_destroy(&old);
    free(v1);
    d = NULL;
    struct ds r = DS_EMPTY_INITIALIZER;
    nsvc_replace(&want, &r);
    assert_true(!strncmp(ds_cstr(&r), "add table inet kovn\ndelete table "
                         "inet kovn\nadd table inet kovn\n", 57));
    assert_non_null(strstr(ds_cstr(&r), "add chain inet kovn prerouting { "
                           "type nat hook prerouting priority dstnat; "
                           "policy accept; }\n"));
    ds_destroy(&r);

    nsvc_frag_destroy(&none);
    nsvc_frag_destroy(&have2);
    nsvc_frag_destroy(&have);
    nsvc_frag_destroy(&svc);
    nsvc_frag_destroy(&want);
    ds_destroy(&listing);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster),
        cmocka_unit_test(test_local),
        cmocka_unit_test(test_cluster_ip_only),
        cmocka_unit_test(test_host_backend),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_base_and_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
