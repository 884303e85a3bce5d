/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of a Subnet's gateway settings (lib/ovn/subnet-gw.h):
 * Kube-OVN's fields, their defaults, and what is refused. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "openvswitch/json.h"
#include "ovn/subnet-gw.h"
#include "svec.h"
#include "unit-json.h"
#include "util.h"

/* Parses Subnet spec 'spec' (JSON members, ' for "); returns the error. */
static char *
gw_of(const char *spec, struct subnet_gw *gw)
{
    char *text = xasprintf("{'metadata':{'name':'s'},'spec':{%s}}", spec);
    struct json *obj = unit_json(text);
    char *error = subnet_gw_parse(obj, gw);
    json_destroy(obj);
    free(text);
    return error;
}

static void
expect_refused(const char *spec, const char *words)
{
    struct subnet_gw gw;
    char *error = gw_of(spec, &gw);
    assert_non_null(error);
    if (!strstr(error, words)) {
        fail_msg("\"%s\" does not say \"%s\"", error, words);
    }
    assert_int_equal(gw.n_nodes + gw.n_rules, 0);
    subnet_gw_destroy(&gw);
    free(error);
}

static void
test_defaults(void **state OVS_UNUSED)
{
    struct subnet_gw gw;
    assert_null(gw_of("'cidrBlock':'10.1.0.0/16'", &gw));
    assert_int_equal(gw.type, SUBNET_GW_DISTRIBUTED);
    assert_false(gw.nat_outgoing);
    assert_false(gw.ecmp);
    assert_int_equal(gw.n_nodes, 0);
    assert_int_equal(gw.n_rules, 0);
    subnet_gw_destroy(&gw);
}

static void
test_centralized(void **state OVS_UNUSED)
{
    struct subnet_gw gw;
    assert_null(gw_of("'gatewayType':'centralized','natOutgoing':true,"
                      "'enableEcmp':true,"
                      "'gatewayNode':'n1, n2:198.51.100.9,n3:fd00::9'", &gw));
    assert_int_equal(gw.type, SUBNET_GW_CENTRALIZED);
    assert_true(gw.nat_outgoing);
    assert_true(gw.ecmp);
    assert_int_equal(gw.n_nodes, 3);
    assert_string_equal(gw.nodes[0].name, "n1");
    assert_int_equal(gw.nodes[0].egress.family, 0);
    assert_string_equal(gw.nodes[1].name, "n2");
    assert_int_equal(gw.nodes[1].egress.family, AF_INET);
    assert_int_equal(gw.nodes[2].egress.family, AF_INET6);
    assert_ptr_equal(subnet_gw_find_node(&gw, "n2"), &gw.nodes[1]);
    assert_null(subnet_gw_find_node(&gw, "n4"));
    subnet_gw_destroy(&gw);
}

static void
test_rules(void **state OVS_UNUSED)
{
    struct subnet_gw gw;
    assert_null(gw_of("'natOutgoing':true,'natOutgoingPolicyRules':["
                      "{'match':{'dstIPs':'198.51.100.11, 203.0.113.0/24'},"
                      "'action':'forward'},"
                      "{'match':{'srcIPs':'10.1.0.0/24'},'action':'nat'},"
                      "{'action':'forward'}]", &gw));
    assert_int_equal(gw.n_rules, 3);
    assert_true(gw.rules[0].forward);
    assert_int_equal(gw.rules[0].n_src, 0);
    assert_int_equal(gw.rules[0].n_dst, 2);
    assert_int_equal(gw.rules[0].dst[0].plen, 32);     /* An address. */
    assert_int_equal(gw.rules[0].dst[1].plen, 24);
    assert_false(gw.rules[1].forward);
    assert_int_equal(gw.rules[1].n_src, 1);
    assert_int_equal(gw.rules[2].n_src + gw.rules[2].n_dst, 0);
    subnet_gw_destroy(&gw);
}

static void
test_refused(void **state OVS_UNUSED)
{
    expect_refused("'gatewayType':'sideways'", "spec.gatewayType");
    expect_refused("'gatewayType':'centralized'", "needs spec.gatewayNode");
    expect_refused("'gatewayType':'centralized',"
                   "'gatewayNodeSelectors':[{}]", "not supported");
    expect_refused("'gatewayNode':'n1:not-an-ip'", "spec.gatewayNode");
    expect_refused("'gatewayNode':'n1,n1'", "named twice");
    expect_refused("'gatewayNode':':198.51.100.9'", "no node name");
    expect_refused("'natOutgoingPolicyRules':[{'action':'masq'}]",
                   "natOutgoingPolicyRules[0].action");
    expect_refused("'gatewayNode':'n1','natOutgoingPolicyRules':["
                   "{'action':'nat'},"
                   "{'match':{'srcIPs':'10.1.0.0/33'},'action':'nat'}]",
                   "natOutgoingPolicyRules[1].match.srcIPs");
}

static void
test_index(void **state OVS_UNUSED)
{
    struct json *obj = unit_json("{'spec':{'gatewayType':'centralized',"
                                 "'gatewayNode':'n1:198.51.100.9,n2'}}");
    struct svec nodes = SVEC_EMPTY_INITIALIZER;
    subnet_gw_index_nodes(obj, &nodes);
    assert_int_equal(nodes.n, 2);
    assert_string_equal(nodes.names[0], "n1");
    assert_string_equal(nodes.names[1], "n2");
    svec_destroy(&nodes);
    json_destroy(obj);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_centralized),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
