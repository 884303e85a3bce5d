/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of address, CIDR, range and MAC parsing (lib/ipam/cidr.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Fails unless 'error' is NULL (printing it if not). */
static void
expect_ok(char *error)
{
    if (error) {
        fail_msg("unexpected error: %s", error);
    }
}

/* Fails unless 'error' is a message containing every nonnull string in the
 * list; frees it. */
static void
expect_error_(char *error, ...)
{
    va_list args;
    const char *s;

    if (!error) {
        fail_msg("expected an error, got success");
    }
    va_start(args, error);
    while ((s = va_arg(args, const char *)) != NULL) {
        if (!strstr(error, s)) {
            fail_msg("error \"%s\" lacks \"%s\"", error, s);
        }
    }
    va_end(args);
    free(error);
}
#define expect_error(...) expect_error_(__VA_ARGS__, (const char *) NULL)

static void
assert_ip_string(int family, ipnum n, const char *expected)
{
    char buf[CIDR_IP_STRLEN];

    assert_string_equal(cidr_ip_format(family, n, buf), expected);
}

static void
test_parse_ip(void **state OVS_UNUSED)
{
    struct ip_addr ip;

    expect_ok(cidr_parse_ip("10.16.0.5", &ip));
    assert_int_equal(ip.family, AF_INET);
    assert_true(ip.n == 0x0a100005);
    assert_ip_string(AF_INET, ip.n, "10.16.0.5");

    expect_ok(cidr_parse_ip("0.0.0.0", &ip));
    assert_true(ip.n == 0);
    expect_ok(cidr_parse_ip("255.255.255.255", &ip));
    assert_true(ip.n == 0xffffffff);

    expect_ok(cidr_parse_ip("FD00:10:16::5", &ip));
    assert_int_equal(ip.family, AF_INET6);
    assert_true((uint64_t) (ip.n >> 64) == 0xfd00001000160000ULL);
    assert_true((uint64_t) ip.n == 5);
    assert_ip_string(AF_INET6, ip.n, "fd00:10:16::5");     /* RFC 5952. */

    expect_ok(cidr_parse_ip("::", &ip));
    assert_true(ip.n == 0);
    expect_ok(cidr_parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &ip));
    assert_true(ip.n == ~(ipnum) 0);
}

static void
test_parse_ip_malformed(void **state OVS_UNUSED)
{
    struct ip_addr ip;

    expect_error(cidr_parse_ip("10.16.0.300", &ip),
                 "\"10.16.0.300\"", "IPv4");
    expect_error(cidr_parse_ip("10.16.0", &ip), "\"10.16.0\"");
    expect_error(cidr_parse_ip("10.16.0.5.6", &ip), "\"10.16.0.5.6\"");
    expect_error(cidr_parse_ip("010.16.0.5", &ip), "\"010.16.0.5\"");
    expect_error(cidr_parse_ip(" 10.16.0.5", &ip), "\" 10.16.0.5\"");
    expect_error(cidr_parse_ip("10.16.0.5/16", &ip), "\"10.16.0.5/16\"");
    expect_error(cidr_parse_ip("fd00::g", &ip), "\"fd00::g\"", "IPv6");
    expect_error(cidr_parse_ip("fd00:::1", &ip), "\"fd00:::1\"");
    expect_error(cidr_parse_ip("garbage", &ip), "\"garbage\"",
                 "not a valid IP address");
    expect_error(cidr_parse_ip("", &ip), "\"\"");
}

static void
test_ip_to_in6(void **state OVS_UNUSED)
{
    struct in6_addr a = cidr_ip_to_in6(AF_INET, 0x0a100005);
    static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0xff, 0xff, 10, 16, 0, 5 };
    struct ip_addr ip;

    assert_memory_equal(a.s6_addr, mapped, 16);

    expect_ok(cidr_parse_ip("fd00::1:2", &ip));
    a = cidr_ip_to_in6(AF_INET6, ip.n);
    assert_int_equal(a.s6_addr[0], 0xfd);
    assert_int_equal(a.s6_addr[13], 1);
    assert_int_equal(a.s6_addr[15], 2);
}

static void
test_parse_cidr(void **state OVS_UNUSED)
{
    struct ip_cidr c;
    struct ds s = DS_EMPTY_INITIALIZER;
    bool host_bits = true;

    expect_ok(cidr_parse("10.16.0.0/16", &c, &host_bits));
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.plen, 16);
    assert_true(c.network == 0x0a100000);
    assert_false(host_bits);
    assert_true(cidr_last(&c) == 0x0a10ffff);
    cidr_put(&c, &s);
    assert_string_equal(ds_cstr(&s), "10.16.0.0/16");

    /* Host bits set: accepted and normalised, as Kube-OVN does. */
    expect_ok(cidr_parse("10.16.3.1/16", &c, &host_bits));
    assert_true(host_bits);
    assert_true(c.network == 0x0a100000);
    expect_ok(cidr_parse("10.16.3.1/16", &c, NULL));

    expect_ok(cidr_parse("0.0.0.0/0", &c, NULL));
    assert_true(cidr_last(&c) == 0xffffffff);
    expect_ok(cidr_parse("10.0.0.7/32", &c, NULL));
    assert_true(c.network == 0x0a000007 && cidr_last(&c) == 0x0a000007);

    expect_ok(cidr_parse("fd00:10:16::1/64", &c, &host_bits));
    assert_true(host_bits);
    assert_int_equal(c.family, AF_INET6);
    ds_clear(&s);
    cidr_put(&c, &s);
    assert_string_equal(ds_cstr(&s), "fd00:10:16::/64");
    assert_ip_string(AF_INET6, cidr_last(&c),
                     "fd00:10:16:0:ffff:ffff:ffff:ffff");

    expect_ok(cidr_parse("::/0", &c, NULL));
    assert_true(cidr_last(&c) == ~(ipnum) 0);
    expect_ok(cidr_parse("fd00::1/128", &c, NULL));
    assert_true(cidr_last(&c) == c.network);
    ds_destroy(&s);
}

static void
test_parse_cidr_malformed(void **state OVS_UNUSED)
{
    struct ip_cidr c;

    expect_error(cidr_parse("10.16.0.0/33", &c, NULL),
                 "\"10.16.0.0/33\"", "0 to 32");
    expect_error(cidr_parse("fd00::/129", &c, NULL),
                 "\"fd00::/129\"", "0 to 128");
    expect_error(cidr_parse("10.16.0.300/16", &c, NULL),
                 "\"10.16.0.300/16\"", "\"10.16.0.300\"");
    expect_error(cidr_parse("10.16.0.0", &c, NULL), "\"10.16.0.0\"", "/");
    expect_error(cidr_parse("10.16.0.0/", &c, NULL), "\"10.16.0.0/\"");
    expect_error(cidr_parse("10.16.0.0/016", &c, NULL), "\"10.16.0.0/016\"");
    expect_error(cidr_parse("10.16.0.0/-1", &c, NULL), "\"10.16.0.0/-1\"");
    expect_error(cidr_parse("10.16.0.0/16x", &c, NULL), "\"10.16.0.0/16x\"");
    expect_error(cidr_parse("10.16.0.0/1000", &c, NULL),
                 "\"10.16.0.0/1000\"");
    expect_error(cidr_parse("/16", &c, NULL), "\"/16\"");
    expect_error(cidr_parse("garbage", &c, NULL), "\"garbage\"");
    expect_error(cidr_parse("", &c, NULL), "\"\"");
}

static void
test_cidr_contains(void **state OVS_UNUSED)
{
    struct ip_cidr c;

    expect_ok(cidr_parse("10.16.0.0/16", &c, NULL));
    assert_true(cidr_contains(&c, AF_INET, 0x0a100000));
    assert_true(cidr_contains(&c, AF_INET, 0x0a10ffff));
    assert_false(cidr_contains(&c, AF_INET, 0x0a0fffff));
    assert_false(cidr_contains(&c, AF_INET, 0x0a110000));
    assert_false(cidr_contains(&c, AF_INET6, 0x0a100001));

    expect_ok(cidr_parse("::/0", &c, NULL));
    assert_true(cidr_contains(&c, AF_INET6, ~(ipnum) 0));
    assert_false(cidr_contains(&c, AF_INET, 0));
}

static void
test_parse_block(void **state OVS_UNUSED)
{
    struct ip_cidr c[2];
    size_t n;

    expect_ok(cidr_parse_block("10.16.0.0/16", c, &n));
    assert_int_equal(n, 1);
    assert_int_equal(c[0].family, AF_INET);

    expect_ok(cidr_parse_block("10.16.0.0/16,fd00:10:16::/64", c, &n));
    assert_int_equal(n, 2);
    assert_int_equal(c[0].family, AF_INET);
    assert_int_equal(c[1].family, AF_INET6);
    assert_int_equal(c[1].plen, 64);

    expect_ok(cidr_parse_block("fd00:10:16::/64,10.16.0.0/16", c, &n));
    assert_int_equal(n, 2);
    assert_int_equal(c[0].family, AF_INET6);

    expect_error(cidr_parse_block("10.16.0.0/16,10.17.0.0/16", c, &n),
                 "two IPv4");
    expect_error(cidr_parse_block("fd00::/64,fd01::/64", c, &n), "two IPv6");
    expect_error(cidr_parse_block("10.16.0.0/16,fd00::/64,10.1.0.0/16",
                                  c, &n), "more than two");
    expect_error(cidr_parse_block("10.16.0.0/16,", c, &n), "empty");
    expect_error(cidr_parse_block(",10.16.0.0/16", c, &n), "empty");
    expect_error(cidr_parse_block("10.16.0.0/16,,fd00::/64", c, &n),
                 "empty");
    expect_error(cidr_parse_block("", c, &n), "empty");
    expect_error(cidr_parse_block("10.16.0.0/16,fd00::/200", c, &n),
                 "\"fd00::/200\"");
}

static void
test_parse_range(void **state OVS_UNUSED)
{
    struct ip_range r;

    expect_ok(cidr_parse_range("10.0.0.5", &r));
    assert_int_equal(r.family, AF_INET);
    assert_true(r.lo == 0x0a000005 && r.hi == 0x0a000005);

    expect_ok(cidr_parse_range("10.0.0.1..10.0.0.10", &r));
    assert_true(r.lo == 0x0a000001 && r.hi == 0x0a00000a);

    expect_ok(cidr_parse_range("10.0.0.7..10.0.0.7", &r));
    assert_true(r.lo == r.hi);

    expect_ok(cidr_parse_range("fd00::1..fd00::1:0", &r));
    assert_int_equal(r.family, AF_INET6);
    assert_true(r.hi - r.lo == 0xffff);
}

static void
test_parse_range_malformed(void **state OVS_UNUSED)
{
    struct ip_range r;

    expect_error(cidr_parse_range("10.0.0.10..10.0.0.1", &r),
                 "\"10.0.0.10..10.0.0.1\"", "start is after its end");
    expect_error(cidr_parse_range("10.0.0.1..fd00::1", &r),
                 "\"10.0.0.1..fd00::1\"", "mixes");
    expect_error(cidr_parse_range("10.0.0.1..garbage", &r),
                 "\"10.0.0.1..garbage\"", "\"garbage\"");
    expect_error(cidr_parse_range("10.0.0.1..", &r), "\"10.0.0.1..\"");
    expect_error(cidr_parse_range("..10.0.0.1", &r), "\"..10.0.0.1\"");
    expect_error(cidr_parse_range("10.0.0.1..10.0.0.2..10.0.0.3", &r),
                 "\"10.0.0.1..10.0.0.2..10.0.0.3\"");
    expect_error(cidr_parse_range("10.0.0.1-10.0.0.3", &r),
                 "\"10.0.0.1-10.0.0.3\"");
    expect_error(cidr_parse_range("10.16.0.300", &r), "\"10.16.0.300\"");
    expect_error(cidr_parse_range("", &r), "\"\"");
}

static void
test_parse_mac(void **state OVS_UNUSED)
{
    static const uint8_t expected[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
    struct eth_addr mac;

    expect_ok(cidr_parse_mac("0a:1b:2c:3d:4e:5f", &mac));
    assert_memory_equal(mac.ea, expected, 6);
    expect_ok(cidr_parse_mac("0A-1B-2C-3D-4E-5F", &mac));
    assert_memory_equal(mac.ea, expected, 6);

    /* Multicast and zero parse; ipam refuses them. */
    expect_ok(cidr_parse_mac("01:00:5e:00:00:01", &mac));
    expect_ok(cidr_parse_mac("00:00:00:00:00:00", &mac));
}

static void
test_parse_mac_malformed(void **state OVS_UNUSED)
{
    struct eth_addr mac;
    static const char *bad[] = {
        "0a:1b:2c:3d:4e",
        "0a:1b:2c:3d:4e:5g",
        "0a:1b:2c:3d:4e:5f:60",
        "0a:1b:2c:3d:4e:5f ",
        "0:1:2:3:4:5",
        "0a:1b-2c:3d:4e:5f",
        "0a.1b.2c.3d.4e.5f",
        "0a1b2c3d4e5f",
        "zz:zz:zz:zz:zz:zz",
        "",
    };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *quoted = xasprintf("\"%s\"", bad[i]);
        expect_error(cidr_parse_mac(bad[i], &mac), quoted, "MAC");
        free(quoted);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ip),
        cmocka_unit_test(test_parse_ip_malformed),
        cmocka_unit_test(test_ip_to_in6),
        cmocka_unit_test(test_parse_cidr),
        cmocka_unit_test(test_parse_cidr_malformed),
        cmocka_unit_test(test_cidr_contains),
        cmocka_unit_test(test_parse_block),
        cmocka_unit_test(test_parse_range),
        cmocka_unit_test(test_parse_range_malformed),
        cmocka_unit_test(test_parse_mac),
        cmocka_unit_test(test_parse_mac_malformed),
    };
    return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
