/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: the Subnet spec defaults Kube-OVN writes back
 * (controller/subnet-defaults.h). */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "openvswitch/shash.h"
#include "subnet-defaults.h"
#include "util/json-util.h"

/* Single quotes in test JSON stand for double quotes, for legibility. */
static struct json *
parse(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    struct json *j = json_from_string(s);
    free(s);
    assert_int_not_equal(j->type, JSON_STRING);     /* A parse error. */
    return j;
}

/* A Subnet named 'name' with resourceVersion "7" and spec 'spec'. */
static struct json *
subnet(const char *name, const char *spec)
{
    struct json *obj = parse("{'apiVersion':'kubeovn.io/v1','kind':'Subnet',"
                             "'metadata':{'name':'x','resourceVersion':'7',"
                             "'uid':'u1'}}");
    json_put_path(obj, "metadata.name", json_string_create(name));
    json_object_put(obj, "spec", parse(spec));
    return obj;
}

/* Asserts that the defaults patch of Subnet 'name' with 'spec' is 'want'
 * ("null": no patch). */
static void
check(const char *name, const char *spec, const char *want)
{
    struct json *obj = subnet(name, spec);
    struct json *patch = subnet_defaults_patch(obj, "ovn-cluster");
    struct json *expected = strcmp(want, "null") ? parse(want) : NULL;

    if (!(patch ? expected && json_equal(patch, expected) : !expected)) {
        char *have = patch ? json_to_string(patch, JSSF_SORT) : NULL;
        char *exp = expected ? json_to_string(expected, JSSF_SORT) : NULL;
        fail_msg("spec %s\n  patch    %s\n  expected %s", spec,
                 have ? have : "NULL", exp ? exp : "NULL");
    }
    json_destroy(expected);
    json_destroy(patch);
    json_destroy(obj);
}

#define RV "'metadata':{'resourceVersion':'7'}"

static void
test_ipv4_only_cidr(void **state)
{
    (void) state;
    check("s", "{'cidrBlock':'10.17.0.0/16'}",
          "{" RV ",'spec':{'gateway':'10.17.0.1',"
          "'excludeIps':['10.17.0.1'],'protocol':'IPv4','provider':'ovn',"
          "'vpc':'ovn-cluster','gatewayType':'distributed'}}");
}

static void
test_ipv6_only_cidr(void **state)
{
    (void) state;
    check("s", "{'cidrBlock':'fd00:10:17::/64'}",
          "{" RV ",'spec':{'gateway':'fd00:10:17::1',"
          "'excludeIps':['fd00:10:17::1'],'protocol':'IPv6',"
          "'provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}}");
}

static void
test_dual_stack(void **state)
{
    (void) state;
    /* Gateways in cidrBlock order; excludeIps sorted as strings, as
     * Kube-OVN's sort.Strings() leaves them. */
    check("s", "{'cidrBlock':'10.17.0.0/16,fd00:10:17::/64'}",
          "{" RV ",'spec':{'gateway':'10.17.0.1,fd00:10:17::1',"
          "'excludeIps':['10.17.0.1','fd00:10:17::1'],'protocol':'Dual',"
          "'provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}}");
    check("s", "{'cidrBlock':'fd00:10:17::/64,10.17.0.0/16'}",
          "{" RV ",'spec':{'gateway':'fd00:10:17::1,10.17.0.1',"
          "'excludeIps':['10.17.0.1','fd00:10:17::1'],'protocol':'Dual',"
          "'provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}}");
}

static void
test_user_gateway_kept(void **state)
{
    (void) state;
    check("s", "{'cidrBlock':'10.17.0.0/16','gateway':'10.17.255.254',"
          "'protocol':'IPv4','provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'centralized'}",
          "{" RV ",'spec':{'excludeIps':['10.17.255.254']}}");

    /* A family left out of a dual-stack gateway gets its default, in
     * cidrBlock order; the user's text stays as written. */
    check("s", "{'cidrBlock':'10.17.0.0/16,fd00:10:17::/64',"
          "'gateway':'fd00:10:17:0::fe','excludeIps':['10.17.0.0..10.17.0.9',"
          "'fd00:10:17::fe'],'protocol':'Dual','provider':'ovn',"
          "'vpc':'ovn-cluster','gatewayType':'distributed'}",
          "{" RV ",'spec':{'gateway':'10.17.0.1,fd00:10:17:0::fe'}}");

    /* Point-to-point and host prefixes: the IPAM's gateway, the network
     * address itself. */
    check("s", "{'cidrBlock':'10.9.0.4/31','excludeIps':['10.9.0.4'],"
          "'protocol':'IPv4','provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}",
          "{" RV ",'spec':{'gateway':'10.9.0.4'}}");
    check("s", "{'cidrBlock':'10.9.0.7/32','excludeIps':['10.9.0.7'],"
          "'protocol':'IPv4','provider':'ovn','vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}",
          "{" RV ",'spec':{'gateway':'10.9.0.7'}}");
}

static void
test_invalid_gateway_left_to_reconciler(void **state)
{
    (void) state;
    /* Neither gateway nor excludeIps is touched; the rest is filled. */
    static const char *const bad[] = {
        "'nonsense'", "'10.18.0.1'", "'10.17.0.0'", "'10.17.255.255'",
        "'10.17.0.1,'", "'10.17.0.1,10.17.0.2'", "5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char spec[128];
        snprintf(spec, sizeof spec,
                 "{'cidrBlock':'10.17.0.0/16','gateway':%s}", bad[i]);
        check("s", spec,
              "{" RV ",'spec':{'protocol':'IPv4','provider':'ovn',"
              "'vpc':'ovn-cluster','gatewayType':'distributed'}}");
    }
}

static void
test_user_exclude_ips_kept(void **state)
{
    (void) state;
    static const char *rest =
        "'gateway':'10.17.0.1','protocol':'IPv4','provider':'ovn',"
        "'vpc':'ovn-cluster','gatewayType':'distributed'";
    char spec[256];

    /* The gateway inside a range: nothing to add. */
    snprintf(spec, sizeof spec, "{'cidrBlock':'10.17.0.0/16',"
             "'excludeIps':['10.17.9.9','10.17.0.0..10.17.0.10'],%s}", rest);
    check("s", spec, "null");

    /* Not covered: Kube-OVN appends it; the user's entries keep their
     * order and text (Kube-OVN would also sort them). */
    snprintf(spec, sizeof spec, "{'cidrBlock':'10.17.0.0/16',"
             "'excludeIps':['10.17.9.9','10.17.0.2..10.17.0.10'],%s}", rest);
    check("s", spec,
          "{" RV ",'spec':{'excludeIps':['10.17.9.9','10.17.0.2..10.17.0.10',"
          "'10.17.0.1']}}");

    /* An entry that does not parse: the reconciler reports it. */
    snprintf(spec, sizeof spec, "{'cidrBlock':'10.17.0.0/16',"
             "'excludeIps':['10.17.9.9','garbage'],%s}", rest);
    check("s", spec, "null");

    /* An empty list is missing, as to Kube-OVN. */
    snprintf(spec, sizeof spec, "{'cidrBlock':'10.17.0.0/16',"
             "'excludeIps':[],%s}", rest);
    check("s", spec, "{" RV ",'spec':{'excludeIps':['10.17.0.1']}}");
}

static void
test_everything_present(void **state)
{
    (void) state;
    check("s", "{'cidrBlock':'10.17.0.0/16','gateway':'10.17.0.1',"
          "'excludeIps':['10.17.0.1'],'protocol':'IPv4','provider':'ovn',"
          "'vpc':'ovn-cluster','gatewayType':'distributed',"
          "'namespaces':['a'],'natOutgoing':true}", "null");
}

static void
test_user_values_never_changed(void **state)
{
    (void) state;
    /* A protocol contradicting cidrBlock stays (Kube-OVN would overwrite
     * it); a cidrBlock with host bits is not rewritten. */
    check("s", "{'cidrBlock':'10.17.0.9/16','protocol':'IPv6',"
          "'provider':'ovn','vpc':'ovn-cluster','gatewayType':'distributed'}",
          "{" RV ",'spec':{'gateway':'10.17.0.1',"
          "'excludeIps':['10.17.0.1']}}");

    /* "" and null are missing. */
    check("s", "{'cidrBlock':'10.17.0.0/16','gateway':'','excludeIps':null,"
          "'protocol':'','provider':null,'vpc':'','gatewayType':''}",
          "{" RV ",'spec':{'gateway':'10.17.0.1',"
          "'excludeIps':['10.17.0.1'],'protocol':'IPv4','provider':'ovn',"
          "'vpc':'ovn-cluster','gatewayType':'distributed'}}");
}

static void
test_vpc_and_gateway_type_rules(void **state)
{
    (void) state;
    static const char *base = "'cidrBlock':'10.17.0.0/16',"
        "'gateway':'10.17.0.1','excludeIps':['10.17.0.1'],'protocol':'IPv4'";
    char spec[256];

    /* Another VPC: no gatewayType. */
    snprintf(spec, sizeof spec, "{%s,'vpc':'vpc-1'}", base);
    check("s", spec, "{" RV ",'spec':{'provider':'ovn'}}");

    /* A non-OVN provider: no VPC, so no gatewayType either. */
    snprintf(spec, sizeof spec, "{%s,'provider':'macvlan.default'}", base);
    check("s", spec, "null");

    /* An attachment network served by OVN. */
    snprintf(spec, sizeof spec, "{%s,'provider':'net1.default.ovn'}", base);
    check("s", spec, "{" RV ",'spec':{'vpc':'ovn-cluster',"
          "'gatewayType':'distributed'}}");
    snprintf(spec, sizeof spec, "{%s,'provider':'a.net1.default.ovn'}",
             base);
    check("s", spec, "null");

    /* The node network's gateway is each node: no gatewayType. */
    snprintf(spec, sizeof spec, "{%s}", base);
    check("join", spec, "{" RV ",'spec':{'provider':'ovn',"
          "'vpc':'ovn-cluster'}}");
}

static void
test_bad_cidr_block(void **state)
{
    (void) state;
    static const char *const specs[] = {
        "{}",
        "{'cidrBlock':''}",
        "{'cidrBlock':'10.17.0.0'}",
        "{'cidrBlock':'10.17.0.0/33'}",
        "{'cidrBlock':'10.17.0.0/16,10.18.0.0/16'}",
        "{'cidrBlock':'10.17.0.0/16,'}",
        "{'cidrBlock':7}",
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        check("s", specs[i], "null");
    }
    struct json *obj = parse("{'metadata':{'name':'s',"
                             "'resourceVersion':'7'}}");
    assert_null(subnet_defaults_patch(obj, "ovn-cluster"));
    json_destroy(obj);
}

static void
test_resource_version_carried(void **state)
{
    (void) state;
    struct json *obj = subnet("s", "{'cidrBlock':'10.17.0.0/16'}");
    json_put_path(obj, "metadata.resourceVersion",
                  json_string_create("123456"));
    struct json *copy = json_deep_clone(obj);
    struct json *patch = subnet_defaults_patch(obj, "my-router");

    assert_non_null(patch);
    assert_string_equal(json_get_string(patch, "metadata.resourceVersion"),
                        "123456");
    /* Only the resourceVersion of the metadata: a merge patch would set
     * anything else it carried. */
    assert_int_equal(shash_count(json_object(json_get_member(patch,
                                                             "metadata"))),
                     1);
    assert_string_equal(json_get_string(patch, "spec.vpc"), "my-router");
    assert_true(json_equal(obj, copy));             /* 'obj' untouched. */
    json_destroy(patch);

    /* Without one the patch could overwrite a concurrent edit. */
    json_object_remove(json_object_ensure(obj, "metadata"),
                       "resourceVersion");
    assert_null(subnet_defaults_patch(obj, "my-router"));
    json_destroy(copy);
    json_destroy(obj);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_only_cidr),
        cmocka_unit_test(test_ipv6_only_cidr),
        cmocka_unit_test(test_dual_stack),
        cmocka_unit_test(test_user_gateway_kept),
        cmocka_unit_test(test_invalid_gateway_left_to_reconciler),
        cmocka_unit_test(test_user_exclude_ips_kept),
        cmocka_unit_test(test_everything_present),
        cmocka_unit_test(test_user_values_never_changed),
        cmocka_unit_test(test_vpc_and_gateway_type_rules),
        cmocka_unit_test(test_bad_cidr_block),
        cmocka_unit_test(test_resource_version_carried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
