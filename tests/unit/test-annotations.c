/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: a pod's network read from its ovn.kubernetes.io annotations
 * (lib/ovn/ovn-annotations.h), as kovn-daemon reads it. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "openvswitch/json.h"
#include "openvswitch/dynamic-string.h"
#include "ovn/ovn-annotations.h"
#include "util.h"

/* A pod with 'anns' ("\"key\":\"value\",...") as its annotations. */
static struct json *
pod_with(const char *anns)
{
    char *text = xasprintf("{\"metadata\":{\"name\":\"p\",\"annotations\":"
                           "{%s}}}", anns);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

#define FULL_V4 \
    "\"ovn.kubernetes.io/allocated\":\"true\"," \
    "\"ovn.kubernetes.io/ip_address\":\"10.16.0.5\"," \
    "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\"," \
    "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\"," \
    "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\""

static void
test_ipv4(void **state)
{
    (void) state;
    struct json *pod = pod_with(FULL_V4);
    struct ovn_ann_network net;
    assert_true(ovn_ann_is_allocated(pod));
    assert_null(ovn_ann_network_parse(pod, &net));
    assert_int_equal(net.n_addrs, 1);
    assert_int_equal(net.addrs[0].ip.family, AF_INET);
    assert_true(net.addrs[0].ip.n == 0x0a100005);
    assert_int_equal(net.addrs[0].cidr.plen, 16);
    assert_true(net.addrs[0].gateway.n == 0x0a100001);
    assert_int_equal(net.mac.ea[5], 5);
    json_destroy(pod);
}

static void
test_dual_stack(void **state)
{
    (void) state;
    struct json *pod = pod_with(
        "\"ovn.kubernetes.io/ip_address\":\"10.16.0.5,fd00:10:16::5\","
        "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\","
        "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16,fd00:10:16::/64\","
        "\"ovn.kubernetes.io/gateway\":\"10.16.0.1,fd00:10:16::1\"");
    struct ovn_ann_network net;
    assert_false(ovn_ann_is_allocated(pod));
    assert_null(ovn_ann_network_parse(pod, &net));
    assert_int_equal(net.n_addrs, 2);
    assert_int_equal(net.addrs[1].ip.family, AF_INET6);
    assert_int_equal(net.addrs[1].cidr.plen, 64);
    assert_true(net.addrs[1].gateway.n == (((ipnum) 0xfd000010 << 96)
                                          | ((ipnum) 0x16 << 80) | 1));
    json_destroy(pod);
}

/* 'anns' must be refused with a message containing 'want'. */
static void
expect_error(const char *anns, const char *want)
{
    struct json *pod = pod_with(anns);
    struct ovn_ann_network net;
    char *error = ovn_ann_network_parse(pod, &net);
    assert_non_null(error);
    if (!strstr(error, want)) {
        fail_msg("\"%s\" does not contain \"%s\"", error, want);
    }
    free(error);
    json_destroy(pod);
}

static void
test_errors(void **state)
{
    (void) state;
    expect_error("\"ovn.kubernetes.io/allocated\":\"true\"",
                 "ovn.kubernetes.io/ip_address is missing");
    expect_error("\"ovn.kubernetes.io/ip_address\":\"10.16.0.5\","
                 "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\","
                 "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\"",
                 "gateway is missing");
    expect_error("\"ovn.kubernetes.io/ip_address\":\"10.17.0.5\","
                 "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\","
                 "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\","
                 "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\"",
                 "outside");
    expect_error("\"ovn.kubernetes.io/ip_address\":\"10.16.0.5\","
                 "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00\","
                 "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\","
                 "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\"",
                 "mac_address");
    expect_error("\"ovn.kubernetes.io/ip_address\":\"fd00::5\","
                 "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\","
                 "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\","
                 "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\"",
                 "IPv6");
    expect_error("\"ovn.kubernetes.io/ip_address\":\"10.16.0.5,10.16.0.6,"
                 "10.16.0.7\","
                 "\"ovn.kubernetes.io/mac_address\":\"0a:58:0a:10:00:05\","
                 "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\","
                 "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\"",
                 "more than two");
}

static void
test_rates(void **state)
{
    (void) state;
    struct json *pod = pod_with("\"ovn.kubernetes.io/ingress_rate\":\"10\","
                                "\"ovn.kubernetes.io/egress_rate\":\"-3\"");
    unsigned int mbps = 99;
    assert_null(ovn_ann_rate_parse(pod, OVN_ANN_INGRESS_RATE, &mbps));
    assert_int_equal(mbps, 10);
    char *error = ovn_ann_rate_parse(pod, OVN_ANN_EGRESS_RATE, &mbps);
    assert_non_null(error);
    assert_non_null(strstr(error, "whole number"));
    free(error);
    json_destroy(pod);

    pod = pod_with(FULL_V4);
    assert_null(ovn_ann_rate_parse(pod, OVN_ANN_INGRESS_RATE, &mbps));
    assert_int_equal(mbps, 0);
    json_destroy(pod);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
