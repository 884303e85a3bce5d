/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of the IP and MAC address manager (lib/ipam/ipam.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipam/ipam.h"
#include "packets.h"
#include "random.h"
#include "sset.h"
#include "svec.h"
#include "util.h"

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
subnet_ok(struct ipam *ipam, const char *name, const char *cidr_block,
          const char *gateway, const char *const *excludes, size_t n)
{
    expect_ok(ipam_subnet_set(ipam, name, cidr_block, gateway, excludes, n));
}

/* ipam_allocate(), checking that its result and outputs agree: a message
 * exactly on failure, and then no lease.  Stores the kind in '*kindp' if
 * nonnull and returns the message. */
static char *
allocate_kind(struct ipam *ipam, const char *subnet, const char *owner,
              const char *ips, const char *mac,
              const struct ipam_lease **leasep, enum ipam_error *kindp)
{
    char *error = (void *) 1;
    enum ipam_error kind = ipam_allocate(ipam, subnet, owner, ips, mac,
                                         leasep, &error);

    if (kind == IPAM_OK) {
        assert_null(error);
        assert_non_null(*leasep);
    } else {
        assert_non_null(error);
        assert_null(*leasep);
    }
    if (kindp) {
        *kindp = kind;
    }
    return error;
}

static char *
allocate(struct ipam *ipam, const char *subnet, const char *owner,
         const char *ips, const char *mac, const struct ipam_lease **leasep)
{
    return allocate_kind(ipam, subnet, owner, ips, mac, leasep, NULL);
}

/* Allocates for 'owner' and returns the lease's ip_string. */
static const char *
alloc_ok(struct ipam *ipam, const char *subnet, const char *owner,
         const char *ips, const char *mac)
{
    const struct ipam_lease *lease;

    expect_ok(allocate(ipam, subnet, owner, ips, mac, &lease));
    assert_non_null(lease);
    assert_string_equal(lease->owner, owner);
    return lease->ip_string;
}

/* Fails unless allocating for 'owner', who holds no lease, fails with
 * 'want'; returns the message. */
static char *
alloc_error(struct ipam *ipam, const char *subnet, const char *owner,
            const char *ips, const char *mac, enum ipam_error want)
{
    const struct ipam_lease *lease = (void *) 1;
    enum ipam_error kind;
    char *error = allocate_kind(ipam, subnet, owner, ips, mac, &lease, &kind);

    if (kind != want) {
        fail_msg("error \"%s\" is %s, not %s", error ? error : "(none)",
                 ipam_error_name(kind), ipam_error_name(want));
    }
    assert_null(ipam_lookup_owner(ipam, owner));
    return error;
}

static struct ipam_usage
usage(const struct ipam *ipam, const char *subnet)
{
    const struct ipam_subnet *s = ipam_subnet_find(ipam, subnet);
    struct ipam_usage u;

    assert_non_null(s);
    ipam_subnet_usage(s, &u);
    return u;
}

static void
test_exhaust_small_v4(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    static const char *expected[] = {
        "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
    };

    subnet_ok(ipam, "s", "10.0.0.0/29", NULL, NULL, 0);
    assert_string_equal(ipam_subnet_gateway(ipam_subnet_find(ipam, "s")),
                        "10.0.0.1");
    assert_true(usage(ipam, "s").v4_available == 5);

    for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "pod default/p%zu", i);
        assert_string_equal(alloc_ok(ipam, "s", owner, NULL, NULL),
                            expected[i]);
    }
    /* Neither the network .0, the gateway .1 nor the broadcast .7. */
    expect_error(alloc_error(ipam, "s", "pod default/extra", NULL, NULL,
                             IPAM_ERR_EXHAUSTED),
                 "subnet s has no free IPv4 address");
    struct ipam_usage u = usage(ipam, "s");
    assert_int_equal(u.v4_used, 5);
    assert_true(u.v4_available == 0);
    assert_int_equal(u.v6_used, 0);

    /* Freed again after a release. */
    assert_true(ipam_release(ipam, "pod default/p2"));
    assert_false(ipam_release(ipam, "pod default/p2"));
    assert_null(ipam_lookup_owner(ipam, "pod default/p2"));
    assert_true(usage(ipam, "s").v4_available == 1);
    assert_string_equal(alloc_ok(ipam, "s", "pod default/extra", NULL, NULL),
                        "10.0.0.4");
    expect_error(alloc_error(ipam, "s", "pod default/extra2", NULL, NULL,
                             IPAM_ERR_EXHAUSTED),
                 "no free IPv4");
    ipam_destroy(ipam);
}

static void
test_gateway(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();

    /* A gateway that is not the first address. */
    subnet_ok(ipam, "s", "10.0.0.0/29", "10.0.0.6", NULL, 0);
    assert_string_equal(ipam_subnet_gateway(ipam_subnet_find(ipam, "s")),
                        "10.0.0.6");
    for (int i = 1; i <= 5; i++) {
        char owner[32], ip[32];
        snprintf(owner, sizeof owner, "pod p%d", i);
        snprintf(ip, sizeof ip, "10.0.0.%d", i);
        assert_string_equal(alloc_ok(ipam, "s", owner, NULL, NULL), ip);
    }
    expect_error(alloc_error(ipam, "s", "pod x", NULL, NULL,
                             IPAM_ERR_EXHAUSTED), "no free");
    ipam_release(ipam, "pod p1");
    expect_error(alloc_error(ipam, "s", "pod x", "10.0.0.6", NULL,
                             IPAM_ERR_INVALID),
                 "10.0.0.6 is the gateway of subnet s");

    /* The default gateway of an IPv6 subnet is its first address too. */
    subnet_ok(ipam, "v6", "fd00::/124", "", NULL, 0);
    assert_string_equal(ipam_subnet_gateway(ipam_subnet_find(ipam, "v6")),
                        "fd00::1");
    expect_error(alloc_error(ipam, "v6", "pod y", "fd00::1", NULL,
                             IPAM_ERR_INVALID),
                 "fd00::1 is the gateway of subnet v6");
    assert_string_equal(alloc_ok(ipam, "v6", "pod y", NULL, NULL), "fd00::2");

    /* Point-to-point prefixes have no network or broadcast address. */
    subnet_ok(ipam, "p2p", "10.9.0.0/31", NULL, NULL, 0);
    assert_string_equal(ipam_subnet_gateway(ipam_subnet_find(ipam, "p2p")),
                        "10.9.0.0");
    assert_string_equal(alloc_ok(ipam, "p2p", "pod z", NULL, NULL),
                        "10.9.0.1");
    subnet_ok(ipam, "p2p6", "fd00:9::/127", "fd00:9::1", NULL, 0);
    assert_string_equal(alloc_ok(ipam, "p2p6", "pod w", NULL, NULL),
                        "fd00:9::");
    subnet_ok(ipam, "host", "10.9.1.7/32", NULL, NULL, 0);
    assert_true(usage(ipam, "host").v4_available == 0);
    expect_error(alloc_error(ipam, "host", "pod v", NULL, NULL,
                             IPAM_ERR_EXHAUSTED), "no free");
    ipam_destroy(ipam);
}

static void
test_excludes(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    static const char *excludes[] = {
        "10.0.0.2", "10.0.0.5..10.0.0.8", "10.0.0.12", "10.0.0.7..10.0.0.9",
    };
    static const char *expected[] = {
        "10.0.0.3", "10.0.0.4", "10.0.0.10", "10.0.0.11", "10.0.0.13",
        "10.0.0.14",
    };

    subnet_ok(ipam, "s", "10.0.0.0/28", NULL, excludes, ARRAY_SIZE(excludes));
    assert_true(usage(ipam, "s").v4_available == ARRAY_SIZE(expected));

    expect_error(alloc_error(ipam, "s", "pod x", "10.0.0.6", NULL,
                             IPAM_ERR_INVALID),
                 "10.0.0.6 is in the excludeIps of subnet s");
    expect_error(alloc_error(ipam, "s", "pod x", "10.0.0.12", NULL,
                             IPAM_ERR_INVALID),
                 "10.0.0.12", "excludeIps");
    for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "pod p%zu", i);
        assert_string_equal(alloc_ok(ipam, "s", owner, NULL, NULL),
                            expected[i]);
    }
    expect_error(alloc_error(ipam, "s", "pod x", NULL, NULL,
                             IPAM_ERR_EXHAUSTED), "no free");
    ipam_destroy(ipam);
}

static void
test_static(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_lease *lease;

    subnet_ok(ipam, "ovn-default", "10.16.0.0/16", "10.16.0.1", NULL, 0);
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod default/web-1",
                                 "10.16.0.5", NULL), "10.16.0.5");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.16.0.5", NULL, IPAM_ERR_CONFLICT),
                 "10.16.0.5 is already in use by pod default/web-1");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.17.0.5", NULL, IPAM_ERR_INVALID),
                 "10.17.0.5 is outside subnet ovn-default (10.16.0.0/16)");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "fd00::5", NULL, IPAM_ERR_INVALID),
                 "fd00::5 is outside subnet ovn-default");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.16.0.0", NULL, IPAM_ERR_INVALID),
                 "10.16.0.0 is the network address");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.16.255.255", NULL, IPAM_ERR_INVALID),
                 "10.16.255.255 is the broadcast address");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.16.0.300", NULL,
                             IPAM_ERR_INVALID), "\"10.16.0.300\"");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/web-2",
                             "10.16.0.6,10.16.0.7", NULL,
                             IPAM_ERR_INVALID), "two IPv4");
    expect_error(alloc_error(ipam, "nope", "pod default/web-2", NULL, NULL,
                             IPAM_ERR_NO_SUBNET),
                 "subnet nope does not exist");

    /* Dynamic allocation goes around the static address. */
    for (int i = 2; i <= 6; i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "pod d%d", i);
        alloc_ok(ipam, "ovn-default", owner, NULL, NULL);
    }
    lease = ipam_lookup_owner(ipam, "pod d5");
    assert_string_equal(lease->ip_string, "10.16.0.6");
    lease = ipam_lookup_owner(ipam, "pod d6");
    assert_string_equal(lease->ip_string, "10.16.0.7");

    /* Static addresses at both ends of the span. */
    alloc_ok(ipam, "ovn-default", "pod hi", "10.16.255.254", NULL);
    alloc_ok(ipam, "ovn-default", "pod lo", "10.16.0.8", NULL);
    assert_int_equal(usage(ipam, "ovn-default").v4_used, 8);
    assert_true(usage(ipam, "ovn-default").v4_available == 65533 - 8);

    lease = ipam_lookup_ip(ipam, "ovn-default", "10.16.0.5");
    assert_non_null(lease);
    assert_string_equal(lease->owner, "pod default/web-1");
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "10.16.0.9"));
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "junk"));
    assert_null(ipam_lookup_ip(ipam, "nope", "10.16.0.5"));
    ipam_destroy(ipam);
}

static void
test_idempotent(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_lease *a, *b;

    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, NULL, 0);
    subnet_ok(ipam, "t", "10.1.0.0/24", NULL, NULL, 0);
    expect_ok(allocate(ipam, "s", "pod a", NULL, NULL, &a));
    expect_ok(allocate(ipam, "s", "pod a", NULL, NULL, &b));
    assert_ptr_equal(a, b);
    expect_ok(allocate(ipam, "s", "pod a", a->ip_string, a->mac_string, &b));
    assert_ptr_equal(a, b);
    assert_int_equal(usage(ipam, "s").v4_used, 1);

    /* A lease that does not satisfy the request is a conflict: the
     * owner's own, but in the way all the same. */
    enum ipam_error kind;
    expect_error(allocate_kind(ipam, "s", "pod a", "10.0.0.9", NULL, &b,
                               &kind),
                 "pod a already holds 10.0.0.2", "in subnet s");
    assert_int_equal(kind, IPAM_ERR_CONFLICT);
    assert_null(b);
    expect_error(allocate_kind(ipam, "t", "pod a", NULL, NULL, &b, &kind),
                 "pod a already holds 10.0.0.2");
    assert_int_equal(kind, IPAM_ERR_CONFLICT);
    expect_error(allocate_kind(ipam, "s", "pod a", NULL, "0a:00:00:00:00:01",
                               &b, &kind), "pod a already holds");
    assert_int_equal(kind, IPAM_ERR_CONFLICT);
    assert_int_equal(usage(ipam, "s").v4_used, 1);
    assert_int_equal(usage(ipam, "t").v4_used, 0);
    ipam_destroy(ipam);
}

/* Each kind of allocation failure, as the controller tells them apart: a
 * full subnet waits for a release, the rest are reported. */
static void
test_error_kinds(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_lease *lease;

    /* A /30 has one address besides its network, gateway and broadcast. */
    subnet_ok(ipam, "s", "10.0.0.0/30", NULL, NULL, 0);
    subnet_ok(ipam, "t", "10.1.0.0/24", NULL, NULL, 0);
    assert_string_equal(alloc_ok(ipam, "s", "a", NULL, "0a:00:00:00:00:01"),
                        "10.0.0.2");
    expect_error(alloc_error(ipam, "s", "b", NULL, NULL, IPAM_ERR_EXHAUSTED),
                 "subnet s has no free IPv4 address");
    expect_error(alloc_error(ipam, "s", "b", "10.0.0.2", NULL,
                             IPAM_ERR_CONFLICT),
                 "10.0.0.2 is already in use by a");
    expect_error(alloc_error(ipam, "s", "b", "10.9.0.2", NULL,
                             IPAM_ERR_INVALID),
                 "10.9.0.2 is outside subnet s");
    expect_error(alloc_error(ipam, "u", "b", NULL, NULL, IPAM_ERR_NO_SUBNET),
                 "subnet u does not exist");
    expect_error(alloc_error(ipam, "t", "b", NULL, "0a:00:00:00:00:01",
                             IPAM_ERR_CONFLICT),
                 "MAC 0a:00:00:00:00:01 is already in use by a");
    expect_error(alloc_error(ipam, "t", "b", NULL, "0a:00:00:00:01",
                             IPAM_ERR_INVALID), "not a valid MAC address");

    /* A malformed request is invalid even where no address is free. */
    expect_error(alloc_error(ipam, "s", "b", "10.0.0.x", NULL,
                             IPAM_ERR_INVALID), "\"10.0.0.x\"");

    /* Dual stack: one full family is enough. */
    subnet_ok(ipam, "d", "10.2.0.0/30,fd00::/64", NULL, NULL, 0);
    alloc_ok(ipam, "d", "c", NULL, NULL);
    expect_error(alloc_error(ipam, "d", "e", NULL, NULL, IPAM_ERR_EXHAUSTED),
                 "subnet d has no free IPv4 address");

    /* Without 'errorp' the kind alone comes back, and nothing leaks. */
    assert_int_equal(ipam_allocate(ipam, "s", "b", NULL, NULL, &lease, NULL),
                     IPAM_ERR_EXHAUSTED);
    assert_null(lease);
    assert_int_equal(ipam_allocate(ipam, "t", "b", NULL, NULL, &lease, NULL),
                     IPAM_OK);
    assert_non_null(lease);

    assert_string_equal(ipam_error_name(IPAM_OK), "ok");
    assert_string_equal(ipam_error_name(IPAM_ERR_NO_SUBNET), "no-subnet");
    assert_string_equal(ipam_error_name(IPAM_ERR_EXHAUSTED), "exhausted");
    assert_string_equal(ipam_error_name(IPAM_ERR_CONFLICT), "conflict");
    assert_string_equal(ipam_error_name(IPAM_ERR_INVALID), "invalid");
    ipam_destroy(ipam);
}

static void
test_release_order(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();

    subnet_ok(ipam, "s", "10.0.0.0/29", NULL, NULL, 0);
    assert_string_equal(alloc_ok(ipam, "s", "a", NULL, NULL), "10.0.0.2");
    assert_string_equal(alloc_ok(ipam, "s", "b", NULL, NULL), "10.0.0.3");
    assert_string_equal(alloc_ok(ipam, "s", "c", NULL, NULL), "10.0.0.4");

    /* Never-used addresses go first, not the one just released. */
    assert_true(ipam_release(ipam, "b"));
    assert_string_equal(alloc_ok(ipam, "s", "d", NULL, NULL), "10.0.0.5");
    assert_string_equal(alloc_ok(ipam, "s", "e", NULL, NULL), "10.0.0.6");
    assert_string_equal(alloc_ok(ipam, "s", "f", NULL, NULL), "10.0.0.3");

    /* Then released ones in release order, not address order. */
    assert_true(ipam_release(ipam, "c"));       /* .4 */
    assert_true(ipam_release(ipam, "a"));       /* .2 */
    assert_true(ipam_release(ipam, "e"));       /* .6 */
    assert_true(usage(ipam, "s").v4_available == 3);
    assert_string_equal(alloc_ok(ipam, "s", "g", NULL, NULL), "10.0.0.4");

    /* A static request may take a quarantined address at once. */
    assert_string_equal(alloc_ok(ipam, "s", "h", "10.0.0.6", NULL),
                        "10.0.0.6");
    assert_string_equal(alloc_ok(ipam, "s", "i", NULL, NULL), "10.0.0.2");
    expect_error(alloc_error(ipam, "s", "j", NULL, NULL,
                             IPAM_ERR_EXHAUSTED), "no free");
    ipam_destroy(ipam);
}

static void
test_quarantine_limit(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();

    ipam_set_quarantine(ipam, 2);
    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, NULL, 0);
    alloc_ok(ipam, "s", "a", NULL, NULL);       /* .2 */
    alloc_ok(ipam, "s", "b", NULL, NULL);       /* .3 */
    alloc_ok(ipam, "s", "c", NULL, NULL);       /* .4 */
    alloc_ok(ipam, "s", "d", NULL, NULL);       /* .5 */

    /* The third release pushes the oldest, .3, out of quarantine: it is an
     * ordinary free address again, the lowest one. */
    ipam_release(ipam, "b");
    ipam_release(ipam, "d");
    assert_string_equal(alloc_ok(ipam, "s", "e", NULL, NULL), "10.0.0.6");
    ipam_release(ipam, "a");
    assert_string_equal(alloc_ok(ipam, "s", "f", NULL, NULL), "10.0.0.3");
    assert_string_equal(alloc_ok(ipam, "s", "g", NULL, NULL), "10.0.0.7");
    assert_true(usage(ipam, "s").v4_available == 253 - 4);

    /* Without quarantine, a released address is the lowest free one. */
    ipam_set_quarantine(ipam, 0);
    ipam_release(ipam, "c");                    /* .4, and .5, .2 follow */
    assert_string_equal(alloc_ok(ipam, "s", "h", NULL, NULL), "10.0.0.2");
    assert_string_equal(alloc_ok(ipam, "s", "i", NULL, NULL), "10.0.0.4");
    assert_string_equal(alloc_ok(ipam, "s", "j", NULL, NULL), "10.0.0.5");
    assert_string_equal(alloc_ok(ipam, "s", "k", NULL, NULL), "10.0.0.8");
    ipam_destroy(ipam);
}

static void
test_ipv6(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    char owner[32];

    /* A /64: more addresses than a uint64_t counts, none kept in memory. */
    subnet_ok(ipam, "v6", "fd00:10:16::/64", NULL, NULL, 0);
    assert_string_equal(alloc_ok(ipam, "v6", "a", NULL, NULL),
                        "fd00:10:16::2");
    assert_string_equal(alloc_ok(ipam, "v6", "b", NULL, NULL),
                        "fd00:10:16::3");
    assert_string_equal(alloc_ok(ipam, "v6", "c",
                                 "fd00:10:16::ffff:ffff:ffff:ffff", NULL),
                        "fd00:10:16:0:ffff:ffff:ffff:ffff");    /* RFC 5952 */
    struct ipam_usage u = usage(ipam, "v6");
    assert_int_equal(u.v6_used, 3);
    assert_true(u.v4_available == 0);
    /* 2^64 minus the network address, the gateway and three leases. */
    assert_true(u.v6_available == 18446744073709551611.0);
    assert_true(u.v6_available > 1.8e19);

    /* A /120 has no broadcast address: its last address is handed out. */
    subnet_ok(ipam, "v6b", "fd00:1::/120", NULL, NULL, 0);
    assert_true(usage(ipam, "v6b").v6_available == 254);
    const char *last = NULL;
    for (int i = 0; i < 254; i++) {
        snprintf(owner, sizeof owner, "pod b%d", i);
        last = alloc_ok(ipam, "v6b", owner, NULL, NULL);
    }
    assert_string_equal(last, "fd00:1::ff");
    expect_error(alloc_error(ipam, "v6b", "pod b-extra", NULL, NULL,
                             IPAM_ERR_EXHAUSTED),
                 "subnet v6b has no free IPv6 address");

    /* A /124: 16 addresses, 14 to hand out. */
    subnet_ok(ipam, "v6c", "fd00:2::/124", NULL, NULL, 0);
    for (int i = 0; i < 14; i++) {
        snprintf(owner, sizeof owner, "pod c%d", i);
        alloc_ok(ipam, "v6c", owner, NULL, NULL);
    }
    assert_string_equal(ipam_lookup_owner(ipam, "pod c13")->ip_string,
                        "fd00:2::f");
    expect_error(alloc_error(ipam, "v6c", "pod c-extra", NULL, NULL,
                             IPAM_ERR_EXHAUSTED),
                 "no free IPv6");
    expect_error(alloc_error(ipam, "v6c", "pod c-extra", "fd00:2::10", NULL,
                             IPAM_ERR_INVALID),
                 "fd00:2::10 is outside subnet v6c");
    expect_error(alloc_error(ipam, "v6c", "pod c-extra", "fd00:2::", NULL,
                             IPAM_ERR_INVALID),
                 "fd00:2:: is the network address");
    ipam_release(ipam, "pod c3");
    assert_string_equal(alloc_ok(ipam, "v6c", "pod c-extra", NULL, NULL),
                        "fd00:2::5");
    ipam_destroy(ipam);
}

static void
test_dual_stack(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_lease *lease;

    subnet_ok(ipam, "ovn-default", "10.16.0.0/16,fd00:10:16::/64", NULL,
              NULL, 0);
    const struct ipam_subnet *s = ipam_subnet_find(ipam, "ovn-default");
    assert_string_equal(ipam_subnet_cidr_block(s),
                        "10.16.0.0/16,fd00:10:16::/64");
    assert_string_equal(ipam_subnet_gateway(s), "10.16.0.1,fd00:10:16::1");

    expect_ok(allocate(ipam, "ovn-default", "pod a", NULL, NULL, &lease));
    assert_int_equal(lease->n_ips, 2);
    assert_int_equal(lease->ips[0].family, AF_INET);
    assert_int_equal(lease->ips[1].family, AF_INET6);
    assert_string_equal(lease->ip_string, "10.16.0.2,fd00:10:16::2");
    assert_ptr_equal(lease->subnet, s);

    /* Static in both families, in either order; or in one only. */
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod b",
                                 "fd00:10:16::9,10.16.0.9", NULL),
                        "10.16.0.9,fd00:10:16::9");
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod c",
                                 "10.16.0.20", NULL),
                        "10.16.0.20,fd00:10:16::3");
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod d",
                                 "fd00:10:16::20", NULL),
                        "10.16.0.3,fd00:10:16::20");

    /* All or nothing: a conflict in one family allocates neither. */
    expect_error(alloc_error(ipam, "ovn-default", "pod e",
                             "10.16.0.30,fd00:10:16::9", NULL,
                             IPAM_ERR_CONFLICT),
                 "fd00:10:16::9 is already in use by pod b");
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "10.16.0.30"));
    struct ipam_usage u = usage(ipam, "ovn-default");
    assert_int_equal(u.v4_used, 4);
    assert_int_equal(u.v6_used, 4);
    assert_true(u.v4_available == 65533 - 4);

    /* Released together. */
    assert_true(ipam_release(ipam, "pod b"));
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "10.16.0.9"));
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "fd00:10:16::9"));
    assert_int_equal(usage(ipam, "ovn-default").v6_used, 3);

    /* The IPv6 CIDR first: strings keep the spec's order for cidr and
     * gateway, but addresses are IPv4 first, as Kube-OVN writes them. */
    subnet_ok(ipam, "six-first", "fd00:20::/120,10.20.0.0/24", NULL, NULL, 0);
    s = ipam_subnet_find(ipam, "six-first");
    assert_string_equal(ipam_subnet_cidr_block(s),
                        "fd00:20::/120,10.20.0.0/24");
    assert_string_equal(ipam_subnet_gateway(s), "fd00:20::1,10.20.0.1");
    assert_string_equal(alloc_ok(ipam, "six-first", "pod f", NULL, NULL),
                        "10.20.0.2,fd00:20::2");

    /* One family exhausted: nothing allocated in the other. */
    subnet_ok(ipam, "small6", "10.30.0.0/24,fd00:30::/126", NULL, NULL, 0);
    alloc_ok(ipam, "small6", "pod g1", NULL, NULL);
    alloc_ok(ipam, "small6", "pod g2", NULL, NULL);
    expect_error(alloc_error(ipam, "small6", "pod g3", NULL, NULL,
                             IPAM_ERR_EXHAUSTED),
                 "subnet small6 has no free IPv6 address");
    assert_int_equal(usage(ipam, "small6").v4_used, 2);
    assert_true(usage(ipam, "small6").v4_available == 251);
    ipam_destroy(ipam);
}

static void
test_restore(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    static const char *excludes[] = { "10.16.0.100..10.16.0.200" };
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    const struct ipam_record records[] = {
        { "ovn-default", "pod default/a", "10.16.0.2,fd00:10:16::2",
          "0a:00:00:00:00:01" },
        { "ovn-default", "pod default/b", "10.16.0.5,fd00:10:16::5",
          "0a:00:00:00:00:02" },
        /* Claims b's IPv4 address. */
        { "ovn-default", "pod default/c", "10.16.0.5,fd00:10:16::6",
          "0a:00:00:00:00:03" },
        /* Claims a's MAC. */
        { "ovn-default", "pod default/d", "10.16.0.7,fd00:10:16::7",
          "0a:00:00:00:00:01" },
        /* Excluded after it was leased: kept. */
        { "ovn-default", "pod default/e", "10.16.0.150,fd00:10:16::150",
          NULL },
        /* The same record again: fine. */
        { "ovn-default", "pod default/a", "10.16.0.2,fd00:10:16::2",
          "0a:00:00:00:00:01" },
        /* Owner a again with another address. */
        { "ovn-default", "pod default/a", "10.16.0.3,fd00:10:16::3", NULL },
        { "ovn-default", "pod default/f", "10.16.0.1", NULL },
        { "gone", "pod default/g", "10.99.0.2", NULL },
        { "ovn-default", "pod default/h", NULL, NULL },
        { "ovn-default", "pod default/i", "10.16.0.3", "ff:ff:ff:ff:ff:ff" },
        /* Only one family, e.g. leased before the subnet went dual. */
        { "ovn-default", "pod default/j", "10.16.0.8", "0a:00:00:00:00:08" },
    };

    subnet_ok(ipam, "ovn-default", "10.16.0.0/16,fd00:10:16::/64", NULL,
              excludes, ARRAY_SIZE(excludes));
    assert_int_equal(ipam_restore(ipam, records, ARRAY_SIZE(records),
                                  &errors), 5);
    assert_int_equal(errors.n, 7);
    expect_error(xstrdup(errors.names[0]), "cannot restore pod default/c",
                 "10.16.0.5 is already in use by pod default/b");
    expect_error(xstrdup(errors.names[1]), "cannot restore pod default/d",
                 "MAC 0a:00:00:00:00:01 is already in use by pod default/a");
    expect_error(xstrdup(errors.names[2]), "cannot restore pod default/a",
                 "pod default/a already holds 10.16.0.2,fd00:10:16::2");
    expect_error(xstrdup(errors.names[3]), "10.16.0.1 is the gateway");
    expect_error(xstrdup(errors.names[4]), "subnet gone does not exist");
    expect_error(xstrdup(errors.names[5]), "pod default/h", "no IP address");
    expect_error(xstrdup(errors.names[6]), "multicast");
    svec_destroy(&errors);

    /* The conflicting records changed nothing. */
    assert_null(ipam_lookup_owner(ipam, "pod default/c"));
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "fd00:10:16::6"));
    assert_null(ipam_lookup_ip(ipam, "ovn-default", "10.16.0.3"));
    const struct ipam_lease *a = ipam_lookup_owner(ipam, "pod default/a");
    assert_string_equal(a->mac_string, "0a:00:00:00:00:01");
    const struct ipam_lease *e = ipam_lookup_ip(ipam, "ovn-default",
                                                "10.16.0.150");
    assert_string_equal(e->owner, "pod default/e");
    assert_true(e->mac.ea[0] & 2);
    const struct ipam_lease *j = ipam_lookup_owner(ipam, "pod default/j");
    assert_int_equal(j->n_ips, 1);
    assert_string_equal(j->ip_string, "10.16.0.8");

    struct ipam_usage u = usage(ipam, "ovn-default");
    assert_int_equal(u.v4_used, 4);
    assert_int_equal(u.v6_used, 3);
    /* 65533 minus 101 excluded minus the 3 non-excluded leases. */
    assert_true(u.v4_available == 65533 - 101 - 3);

    /* New allocations go around restored addresses. */
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod default/k", NULL,
                                 NULL), "10.16.0.3,fd00:10:16::3");
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod default/l", NULL,
                                 NULL), "10.16.0.4,fd00:10:16::4");
    assert_string_equal(alloc_ok(ipam, "ovn-default", "pod default/m", NULL,
                                 NULL), "10.16.0.6,fd00:10:16::6");
    expect_error(alloc_error(ipam, "ovn-default", "pod default/n", NULL,
                             "0a:00:00:00:00:02", IPAM_ERR_CONFLICT),
                 "MAC 0a:00:00:00:00:02 is already in use by pod default/b");

    /* The excluded address is not handed out once released. */
    assert_true(ipam_release(ipam, "pod default/e"));
    expect_error(alloc_error(ipam, "ovn-default", "pod default/n",
                             "10.16.0.150", NULL,
                             IPAM_ERR_INVALID), "excludeIps");
    ipam_destroy(ipam);
}

static void
test_mac(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    struct sset macs = SSET_INITIALIZER(&macs);
    const struct ipam_lease *lease;

    subnet_ok(ipam, "s", "10.0.0.0/20", NULL, NULL, 0);
    subnet_ok(ipam, "t", "fd00::/64", NULL, NULL, 0);
    for (int i = 0; i < 2000; i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "pod p%d", i);
        expect_ok(allocate(ipam, i % 2 ? "s" : "t", owner, NULL, NULL,
                           &lease));
        /* Locally administered unicast. */
        assert_int_equal(lease->mac.ea[0] & 3, 2);
        assert_true(sset_add(&macs, lease->mac_string) != NULL);

        struct eth_addr parsed;
        assert_true(eth_addr_from_string(lease->mac_string, &parsed));
        assert_true(eth_addr_equals(parsed, lease->mac));
    }
    sset_destroy(&macs);

    /* Requested: normalised, and unique across subnets. */
    expect_ok(allocate(ipam, "s", "pod x", NULL, "0A-00-00-00-00-01",
                       &lease));
    assert_string_equal(lease->mac_string, "0a:00:00:00:00:01");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "0a:00:00:00:00:01",
                             IPAM_ERR_CONFLICT),
                 "MAC 0a:00:00:00:00:01 is already in use by pod x");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "0a:00:00:00:00",
                             IPAM_ERR_INVALID),
                 "\"0a:00:00:00:00\" is not a valid MAC address");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "0a:00:00:00:00:0g",
                             IPAM_ERR_INVALID),
                 "\"0a:00:00:00:00:0g\"");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "01:00:5e:00:00:01",
                             IPAM_ERR_INVALID),
                 "MAC 01:00:5e:00:00:01 is a multicast address");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "ff:ff:ff:ff:ff:ff",
                             IPAM_ERR_INVALID),
                 "multicast");
    expect_error(alloc_error(ipam, "t", "pod y", NULL, "00:00:00:00:00:00",
                             IPAM_ERR_INVALID),
                 "not a usable address");

    /* A globally administered unicast MAC may be requested. */
    assert_non_null(alloc_ok(ipam, "t", "pod y", NULL, "00:16:3e:00:00:01"));

    /* Free for reuse once released. */
    assert_true(ipam_release(ipam, "pod x"));
    alloc_ok(ipam, "t", "pod z", NULL, "0a:00:00:00:00:01");
    ipam_destroy(ipam);
}

/* Random MACs stay unique even when the random generator repeats itself. */
static void
test_mac_collision(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_lease *a, *b;

    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, NULL, 0);
    random_set_seed(12345);
    expect_ok(allocate(ipam, "s", "a", NULL, NULL, &a));
    random_set_seed(12345);
    expect_ok(allocate(ipam, "s", "b", NULL, NULL, &b));
    assert_false(eth_addr_equals(a->mac, b->mac));
    ipam_destroy(ipam);
}

static void
test_subnet_update(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    const struct ipam_subnet *s;

    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, NULL, 0);
    s = ipam_subnet_find(ipam, "s");
    alloc_ok(ipam, "s", "pod a", NULL, NULL);                   /* .2 */
    alloc_ok(ipam, "s", "pod b", NULL, NULL);                   /* .3 */
    alloc_ok(ipam, "s", "pod c", "10.0.0.50", NULL);
    ipam_release(ipam, "pod b");                                /* .3 */

    /* Unchanged spec: nothing moves. */
    const char *cidr_block = ipam_subnet_cidr_block(s);
    subnet_ok(ipam, "s", "10.0.0.0/24", "", NULL, 0);
    assert_ptr_equal(ipam_subnet_cidr_block(s), cidr_block);
    assert_ptr_equal(ipam_subnet_find(ipam, "s"), s);

    /* Excluding leased addresses keeps the leases. */
    static const char *excl[] = { "10.0.0.2..10.0.0.10", "10.0.0.50" };
    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, excl, ARRAY_SIZE(excl));
    assert_string_equal(ipam_lookup_owner(ipam, "pod a")->ip_string,
                        "10.0.0.2");
    assert_string_equal(ipam_lookup_ip(ipam, "s", "10.0.0.50")->owner,
                        "pod c");
    struct ipam_usage u = usage(ipam, "s");
    assert_int_equal(u.v4_used, 2);
    assert_true(u.v4_available == 253 - 10);  /* No gateway, 10 excluded. */
    assert_string_equal(alloc_ok(ipam, "s", "pod d", NULL, NULL),
                        "10.0.0.11");

    /* Gateway moves: the old one becomes free, the new one reserved. */
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", "10.0.0.11",
                                 excl, ARRAY_SIZE(excl)),
                 "subnet s: 10.0.0.11 is in use by pod d and would be the "
                 "new gateway");
    subnet_ok(ipam, "s", "10.0.0.0/24", "10.0.0.254", excl, ARRAY_SIZE(excl));
    assert_string_equal(ipam_subnet_gateway(s), "10.0.0.254");
    assert_string_equal(alloc_ok(ipam, "s", "pod e", NULL, NULL),
                        "10.0.0.1");
    expect_error(alloc_error(ipam, "s", "pod f", "10.0.0.254", NULL,
                             IPAM_ERR_INVALID),
                 "gateway");

    /* Shrinking below a lease fails and changes nothing; growing works. */
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/27", "10.0.0.30",
                                 NULL, 0),
                 "10.0.0.50 is in use by pod c and would be outside the new "
                 "cidrBlock");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/26", NULL, NULL, 0),
                 "10.0.0.1 is in use by pod e and would be the new gateway");
    assert_string_equal(ipam_subnet_cidr_block(s), "10.0.0.0/24");
    assert_string_equal(ipam_subnet_gateway(s), "10.0.0.254");
    subnet_ok(ipam, "u", "10.1.0.0/24", NULL, NULL, 0);
    alloc_ok(ipam, "u", "pod u", "10.1.0.128", NULL);
    expect_error(ipam_subnet_set(ipam, "u", "10.1.0.128/25", "10.1.0.129",
                                 NULL, 0),
                 "10.1.0.128 is in use by pod u and would be the new "
                 "network or broadcast address");
    expect_error(ipam_subnet_set(ipam, "u", "10.1.0.0/25", NULL, NULL, 0),
                 "10.1.0.128 is in use by pod u and would be outside");
    subnet_ok(ipam, "u", "10.1.0.0/23", NULL, NULL, 0);
    assert_string_equal(ipam_lookup_ip(ipam, "u", "10.1.0.128")->owner,
                        "pod u");

    /* Excluded leases are not handed out again after release. */
    ipam_release(ipam, "pod a");
    expect_error(alloc_error(ipam, "s", "pod g", "10.0.0.2", NULL,
                             IPAM_ERR_INVALID),
                 "excludeIps");

    /* Growing, and going dual stack. */
    subnet_ok(ipam, "s", "10.0.0.0/23,fd00::/120", "10.0.0.254", excl,
              ARRAY_SIZE(excl));
    assert_string_equal(ipam_subnet_gateway(s), "10.0.0.254,fd00::1");
    assert_string_equal(ipam_lookup_owner(ipam, "pod c")->ip_string,
                        "10.0.0.50");
    assert_string_equal(alloc_ok(ipam, "s", "pod h", NULL, NULL),
                        "10.0.0.12,fd00::2");
    u = usage(ipam, "s");
    assert_int_equal(u.v4_used, 4);
    assert_int_equal(u.v6_used, 1);
    /* 510 minus gateway, 10 excluded, 3 non-excluded leases. */
    assert_true(u.v4_available == 510 - 1 - 10 - 3);
    assert_true(u.v6_available == 255 - 1 - 1);

    /* Dropping a family with leases fails. */
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/23", "10.0.0.254",
                                 NULL, 0),
                 "is in use by pod h and would be outside the new cidrBlock");
    ipam_release(ipam, "pod h");
    subnet_ok(ipam, "s", "10.0.0.0/23", "10.0.0.254", NULL, 0);
    assert_int_equal(usage(ipam, "s").v6_used, 0);
    assert_true(usage(ipam, "s").v6_available == 0);
    ipam_destroy(ipam);
}

static void
test_subnet_errors(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    static const char *outside[] = { "10.0.0.5", "10.1.0.1..10.1.0.9" };
    static const char *reversed[] = { "10.0.0.10..10.0.0.1" };
    static const char *garbage[] = { "garbage" };
    static const char *v6[] = { "fd00::5" };

    expect_error(ipam_subnet_set(ipam, "s", "10.16.0.0/33", NULL, NULL, 0),
                 "subnet s: ", "\"10.16.0.0/33\"");
    expect_error(ipam_subnet_set(ipam, "s", "10.16.0.300/16", NULL, NULL, 0),
                 "\"10.16.0.300\"");
    expect_error(ipam_subnet_set(ipam, "s", "", NULL, NULL, 0), "empty");
    expect_error(ipam_subnet_set(ipam, "s", NULL, NULL, NULL, 0), "empty");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", "10.0.1.1",
                                 NULL, 0),
                 "gateway 10.0.1.1 is not inside the cidrBlock");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", "10.0.0.255",
                                 NULL, 0), "broadcast");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", "fd00::1",
                                 NULL, 0), "gateway fd00::1 is not inside");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", "10.0.0.1.1",
                                 NULL, 0), "\"10.0.0.1.1\"");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24",
                                 "10.0.0.1,10.0.0.2", NULL, 0), "two IPv4");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", NULL, outside,
                                 ARRAY_SIZE(outside)),
                 "excludeIps entry \"10.1.0.1..10.1.0.9\" is not inside");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", NULL, reversed, 1),
                 "\"10.0.0.10..10.0.0.1\"");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", NULL, garbage, 1),
                 "excludeIps", "\"garbage\"");
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", NULL, v6, 1),
                 "\"fd00::5\" is not inside");
    assert_null(ipam_subnet_find(ipam, "s"));

    /* A failed update leaves the subnet as it was. */
    subnet_ok(ipam, "s", "10.0.0.0/24", NULL, NULL, 0);
    expect_error(ipam_subnet_set(ipam, "s", "10.0.0.0/24", NULL, reversed, 1),
                 "start is after its end");
    assert_true(usage(ipam, "s").v4_available == 253);

    /* Host bits are dropped. */
    subnet_ok(ipam, "t", "10.1.2.3/16,fd00::9/64", "10.1.0.1", NULL, 0);
    assert_string_equal(ipam_subnet_cidr_block(ipam_subnet_find(ipam, "t")),
                        "10.1.0.0/16,fd00::/64");
    ipam_destroy(ipam);
}

static void
test_subnet_remove(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    struct sset owners = SSET_INITIALIZER(&owners);

    subnet_ok(ipam, "s", "10.0.0.0/24,fd00::/64", NULL, NULL, 0);
    subnet_ok(ipam, "t", "10.1.0.0/24", NULL, NULL, 0);
    alloc_ok(ipam, "s", "pod a", NULL, "0a:00:00:00:00:01");
    alloc_ok(ipam, "s", "pod b", NULL, NULL);
    ipam_release(ipam, "pod b");                /* Leaves a quarantine. */
    alloc_ok(ipam, "s", "pod c", NULL, NULL);
    alloc_ok(ipam, "t", "pod d", NULL, NULL);

    ipam_get_owners(ipam, NULL, &owners);
    assert_int_equal(sset_count(&owners), 3);
    sset_clear(&owners);
    ipam_get_owners(ipam, "s", &owners);
    assert_int_equal(sset_count(&owners), 2);
    assert_true(sset_contains(&owners, "pod a"));
    assert_true(sset_contains(&owners, "pod c"));
    sset_clear(&owners);

    assert_true(ipam_subnet_remove(ipam, "s"));
    assert_false(ipam_subnet_remove(ipam, "s"));
    assert_null(ipam_subnet_find(ipam, "s"));
    assert_null(ipam_lookup_owner(ipam, "pod a"));
    assert_non_null(ipam_lookup_owner(ipam, "pod d"));
    ipam_get_owners(ipam, NULL, &owners);
    assert_int_equal(sset_count(&owners), 1);
    sset_destroy(&owners);

    /* Its owners and MACs are free again. */
    alloc_ok(ipam, "t", "pod a", NULL, "0a:00:00:00:00:01");
    ipam_destroy(ipam);
}

/* Every address of a /16, with no duplicate and nothing reserved. */
static void
test_full_slash16(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    uint8_t *seen = xzalloc(65536);

    subnet_ok(ipam, "s", "10.16.0.0/16", NULL, NULL, 0);
    for (int i = 0; i < 65533; i++) {
        const struct ipam_lease *lease;
        char owner[32];

        snprintf(owner, sizeof owner, "pod p%d", i);
        expect_ok(allocate(ipam, "s", owner, NULL, NULL, &lease));
        uint32_t host = lease->ips[0].n & 0xffff;
        assert_false(seen[host]);
        seen[host] = 1;
    }
    assert_false(seen[0] || seen[1] || seen[0xffff]);
    expect_error(alloc_error(ipam, "s", "pod extra", NULL, NULL,
                             IPAM_ERR_EXHAUSTED), "no free");
    free(seen);
    ipam_destroy(ipam);
}

/* A model of one IPv4 pool, to check ipam against under random operations:
 * which owner holds each address, which are free, and the quarantine. */
#define MODEL_SIZE 64           /* 10.0.0.0/26 */
#define MODEL_OWNERS 56
#define MODEL_QUARANTINE 5

struct model {
    int holder[MODEL_SIZE];     /* Owner index, or -1. */
    bool free[MODEL_SIZE];      /* Free and not quarantined. */
    int fifo[MODEL_SIZE];       /* Quarantined, oldest first. */
    size_t n_fifo;
    int addr_of[MODEL_OWNERS];  /* Address held, or -1. */
};

static bool
model_reserved(int a)
{
    /* Network, gateway, broadcast, and excludes 10..19 and 33. */
    return a == 0 || a == 1 || a == 63 || (a >= 10 && a <= 19) || a == 33;
}

static int
model_next(const struct model *m)
{
    for (int a = 0; a < MODEL_SIZE; a++) {
        if (m->free[a]) {
            return a;
        }
    }
    return m->n_fifo ? m->fifo[0] : -1;
}

static void
model_unfifo(struct model *m, size_t i)
{
    memmove(&m->fifo[i], &m->fifo[i + 1],
            (m->n_fifo - i - 1) * sizeof m->fifo[0]);
    m->n_fifo--;
}

static void
model_take(struct model *m, int a, int owner)
{
    for (size_t i = 0; i < m->n_fifo; i++) {
        if (m->fifo[i] == a) {
            model_unfifo(m, i);
        }
    }
    m->free[a] = false;
    m->holder[a] = owner;
    m->addr_of[owner] = a;
}

static void
model_release(struct model *m, int owner)
{
    int a = m->addr_of[owner];

    m->holder[a] = -1;
    m->addr_of[owner] = -1;
    m->fifo[m->n_fifo++] = a;
    if (m->n_fifo > MODEL_QUARANTINE) {
        m->free[m->fifo[0]] = true;
        model_unfifo(m, 0);
    }
}

static void
test_random_ops(void **state OVS_UNUSED)
{
    static const char *excl[] = { "10.0.0.10..10.0.0.19", "10.0.0.33" };
    struct ipam *ipam = ipam_create();
    struct model m;

    ipam_set_quarantine(ipam, MODEL_QUARANTINE);
    subnet_ok(ipam, "s", "10.0.0.0/26", NULL, excl, ARRAY_SIZE(excl));
    for (int a = 0; a < MODEL_SIZE; a++) {
        m.holder[a] = -1;
        m.free[a] = !model_reserved(a);
    }
    m.n_fifo = 0;
    for (int o = 0; o < MODEL_OWNERS; o++) {
        m.addr_of[o] = -1;
    }

    random_set_seed(42);
    for (int step = 0; step < 20000; step++) {
        int owner = random_range(MODEL_OWNERS);
        char name[16], ip[16];
        snprintf(name, sizeof name, "o%d", owner);

        if (m.addr_of[owner] >= 0) {
            assert_true(ipam_release(ipam, name));
            model_release(&m, owner);
        } else if (random_range(3) == 0) {
            /* Static: fails exactly when the model says it must, and
             * for the reason it says. */
            int a = random_range(MODEL_SIZE);
            snprintf(ip, sizeof ip, "10.0.0.%d", a);
            const struct ipam_lease *lease;
            enum ipam_error kind;
            char *error = allocate_kind(ipam, "s", name, ip, NULL, &lease,
                                        &kind);
            if (model_reserved(a) || m.holder[a] >= 0) {
                assert_int_equal(kind, model_reserved(a) ? IPAM_ERR_INVALID
                                                         : IPAM_ERR_CONFLICT);
                free(error);
            } else {
                expect_ok(error);
                model_take(&m, a, owner);
            }
        } else {
            int a = model_next(&m);
            const struct ipam_lease *lease;
            enum ipam_error kind;
            char *error = allocate_kind(ipam, "s", name, NULL, NULL, &lease,
                                        &kind);
            if (a < 0) {
                assert_int_equal(kind, IPAM_ERR_EXHAUSTED);
                free(error);
            } else {
                expect_ok(error);
                assert_int_equal(lease->ips[0].n & 0x3f, a);
                model_take(&m, a, owner);
            }
        }

        int n_avail = m.n_fifo, n_used = 0;
        for (int a = 0; a < MODEL_SIZE; a++) {
            n_avail += m.free[a];
            n_used += m.holder[a] >= 0;
        }
        struct ipam_usage u = usage(ipam, "s");
        assert_int_equal(u.v4_used, n_used);
        assert_true(u.v4_available == n_avail);
    }
    ipam_destroy(ipam);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaust_small_v4),
        cmocka_unit_test(test_gateway),
        cmocka_unit_test(test_excludes),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_error_kinds),
        cmocka_unit_test(test_release_order),
        cmocka_unit_test(test_quarantine_limit),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_mac_collision),
        cmocka_unit_test(test_subnet_update),
        cmocka_unit_test(test_subnet_errors),
        cmocka_unit_test(test_subnet_remove),
        cmocka_unit_test(test_full_slash16),
        cmocka_unit_test(test_random_ops),
    };
    return cmocka_run_group_tests_name("ipam", tests, NULL, NULL);
}
