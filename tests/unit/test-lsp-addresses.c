/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: a Logical_Switch_Port addresses entry "MAC IP [IP]" parsed
 * and formatted (lib/ovn/ovn-lsp-addresses.h), as kovn-controller writes
 * it for a lease and reads it back at start-up. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "openvswitch/dynamic-string.h"
#include "ovn/ovn-lsp-addresses.h"
#include "util.h"

/* Parses 's', which must succeed, and returns its addresses as
 * ovn_lsp_addresses_put_ips() writes them (the caller frees it). */
static char *
parse_ok(const char *s, bool require_ip, struct ovn_lsp_addresses *a)
{
    char *error = ovn_lsp_addresses_parse(s, require_ip, a);
    if (error) {
        fail_msg("\"%s\": unexpected error: %s", s, error);
    }

    struct ds ips = DS_EMPTY_INITIALIZER;
    ovn_lsp_addresses_put_ips(a, &ips);
    return ds_steal_cstr(&ips);
}

/* 's' must be refused with a message containing 'want' and quoting 's'. */
static void
expect_error(const char *s, const char *want)
{
    struct ovn_lsp_addresses a;
    char *error = ovn_lsp_addresses_parse(s, true, &a);
    char *quoted = xasprintf("addresses \"%s\": ", s);

    if (!error) {
        fail_msg("\"%s\": expected an error containing \"%s\"", s, want);
    } else if (!strstr(error, want) || strncmp(error, quoted,
                                               strlen(quoted))) {
        fail_msg("\"%s\": error \"%s\" lacks \"%s\"", s, error, want);
    }
    free(quoted);
    free(error);
}

static void
test_ipv4(void **state OVS_UNUSED)
{
    struct ovn_lsp_addresses a;
    char *ips = parse_ok("0a:58:0a:10:00:05 10.16.0.5", true, &a);

    assert_string_equal(a.mac_s, "0a:58:0a:10:00:05");
    assert_int_equal(a.mac.ea[0], 0x0a);
    assert_int_equal(a.mac.ea[5], 0x05);
    assert_int_equal(a.n_ips, 1);
    assert_int_equal(a.ips[0].family, AF_INET);
    assert_true(a.ips[0].n == 0x0a100005);
    assert_string_equal(ips, "10.16.0.5");
    free(ips);
}

static void
test_ipv6(void **state OVS_UNUSED)
{
    struct ovn_lsp_addresses a;
    char *ips = parse_ok("0a:58:0a:10:00:05 fd00:10:16::5", true, &a);

    assert_int_equal(a.n_ips, 1);
    assert_int_equal(a.ips[0].family, AF_INET6);
    assert_true(a.ips[0].n == (((ipnum) 0xfd000010 << 96)
                               | ((ipnum) 0x16 << 80) | 5));
    assert_string_equal(ips, "fd00:10:16::5");
    free(ips);
}

static void
test_dual_stack(void **state OVS_UNUSED)
{
    struct ovn_lsp_addresses a;
    char *ips = parse_ok("0a:58:0a:10:00:05 10.16.0.5 fd00:10:16::5", true,
                         &a);

    assert_int_equal(a.n_ips, 2);
    assert_int_equal(a.ips[0].family, AF_INET);
    assert_int_equal(a.ips[1].family, AF_INET6);
    assert_string_equal(ips, "10.16.0.5,fd00:10:16::5");
    free(ips);

    /* IPv6 written first still comes out IPv4 first, as lib/ipam keeps a
     * lease, so that the two compare equal. */
    ips = parse_ok("0a:58:0a:10:00:05 fd00:10:16::5 10.16.0.5", true, &a);
    assert_int_equal(a.ips[0].family, AF_INET);
    assert_string_equal(ips, "10.16.0.5,fd00:10:16::5");
    free(ips);
}

/* What the controller writes for a lease reads back as that lease. */
static void
test_format_round_trip(void **state OVS_UNUSED)
{
    static const char *const cases[][3] = {
        /* mac_string, ip_string, entry */
        { "0a:58:0a:10:00:05", "10.16.0.5", "0a:58:0a:10:00:05 10.16.0.5" },
        { "0a:58:0a:10:00:05", "fd00::5", "0a:58:0a:10:00:05 fd00::5" },
        { "0a:58:0a:10:00:05", "10.16.0.5,fd00:10:16::5",
          "0a:58:0a:10:00:05 10.16.0.5 fd00:10:16::5" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *entry = ovn_lsp_addresses_format(cases[i][0], cases[i][1]);
        struct ovn_lsp_addresses a;

        assert_string_equal(entry, cases[i][2]);
        char *ips = parse_ok(entry, true, &a);
        assert_string_equal(a.mac_s, cases[i][0]);
        assert_string_equal(ips, cases[i][1]);
        free(ips);
        free(entry);
    }

    /* No addresses: the MAC alone, which parses only without
     * 'require_ip'. */
    char *entry = ovn_lsp_addresses_format("0a:58:0a:10:00:05", NULL);
    assert_string_equal(entry, "0a:58:0a:10:00:05");
    free(entry);
    entry = ovn_lsp_addresses_format("0a:58:0a:10:00:05", "");
    assert_string_equal(entry, "0a:58:0a:10:00:05");

    struct ovn_lsp_addresses a;
    char *ips = parse_ok(entry, false, &a);
    assert_int_equal(a.n_ips, 0);
    assert_string_equal(ips, "");
    free(ips);
    expect_error(entry, "no IP address");
    free(entry);
}

/* Any run of white space separates, and may lead or trail, as OVN reads
 * the column; the MAC is normalised. */
static void
test_spaces_and_case(void **state OVS_UNUSED)
{
    struct ovn_lsp_addresses a;
    char *ips = parse_ok("  0A:58:0a:10:00:5F   10.16.0.5 \t fd00::5  ",
                         true, &a);

    assert_string_equal(a.mac_s, "0a:58:0a:10:00:5f");
    assert_string_equal(ips, "10.16.0.5,fd00::5");
    free(ips);
}

static void
test_bad_mac(void **state OVS_UNUSED)
{
    expect_error("0a:58:0a:10:00 10.16.0.5",
                 "\"0a:58:0a:10:00\" is not a valid MAC address");
    expect_error("0a:58:0a:10:00:0g 10.16.0.5", "not a valid MAC address");
    expect_error("0a:58:0a:10:00:05:06 10.16.0.5",
                 "not a valid MAC address");
    expect_error("0a-58-0a-10-00-05 10.16.0.5", "not a valid MAC address");
    /* The address where the MAC should be. */
    expect_error("10.16.0.5", "\"10.16.0.5\" is not a valid MAC address");
}

static void
test_bad_ip(void **state OVS_UNUSED)
{
    expect_error("0a:58:0a:10:00:05 10.16.0.300",
                 "\"10.16.0.300\" is not a valid IPv4 address");
    expect_error("0a:58:0a:10:00:05 fd00::5::6",
                 "\"fd00::5::6\" is not a valid IPv6 address");
    expect_error("0a:58:0a:10:00:05 web-1", "\"web-1\" is not a valid");
    expect_error("0a:58:0a:10:00:05 10.16.0.5,fd00::5", "not a valid");
    expect_error("0a:58:0a:10:00:05 10.16.0.5/16",
                 "\"10.16.0.5/16\" has a prefix length");
}

static void
test_too_many(void **state OVS_UNUSED)
{
    expect_error("0a:58:0a:10:00:05 10.16.0.5 fd00::5 10.16.0.6",
                 "more than two IP addresses");
    expect_error("0a:58:0a:10:00:05 10.16.0.5 10.16.0.6",
                 "two IPv4 addresses");
    expect_error("0a:58:0a:10:00:05 fd00::5 fd00::6", "two IPv6 addresses");
}

/* OVN's keywords, alone or in an entry: not a lease, so refused in words a
 * log reader understands. */
static void
test_keywords(void **state OVS_UNUSED)
{
    expect_error("router", "OVN keyword \"router\" instead of an address");
    expect_error("unknown", "OVN keyword \"unknown\"");
    expect_error("dynamic", "OVN keyword \"dynamic\"");
    expect_error("0a:58:0a:10:00:05 dynamic", "OVN keyword \"dynamic\"");
    expect_error("dynamic 10.16.0.5", "OVN keyword \"dynamic\"");
    expect_error("0a:58:0a:10:00:05 10.16.0.5 unknown",
                 "OVN keyword \"unknown\"");
}

static void
test_empty(void **state OVS_UNUSED)
{
    expect_error("", "no MAC address");
    expect_error("   ", "no MAC address");

    struct ovn_lsp_addresses a;
    char *error = ovn_lsp_addresses_parse("", false, &a);
    assert_non_null(error);
    free(error);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_spaces_and_case),
        cmocka_unit_test(test_bad_mac),
        cmocka_unit_test(test_bad_ip),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
