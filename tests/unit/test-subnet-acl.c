/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of a Subnet's ACLs (controller/subnet-acl.h): isolation by
 * spec.private and spec.allowSubnets, spec.acls as given, and refusals. */

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
#include "openvswitch/json.h"
#include "subnet-acl.h"
#include "svec.h"
#include "unit-json.h"
#include "util.h"

/* The ACLs of Subnet 'spec' (10.1.0.0/16 and fd00:1::/64; join
 * 100.64.0.0/16) as sorted lines, or "error: ..." */
static char *
acls_of(const char *spec, bool dual)
{
    struct json *obj = unit_json(spec);
    struct ip_cidr cidrs[2], join;
    size_t n = dual ? 2 : 1;
    ovs_assert(!cidr_parse("10.1.0.0/16", &cidrs[0], NULL));
    ovs_assert(!cidr_parse("fd00:1::/64", &cidrs[1], NULL));
    ovs_assert(!cidr_parse("100.64.0.0/16", &join, NULL));
    struct subnet_acls acls;
    char *error = subnet_acls_build(obj, cidrs, n, &join, &acls);
    struct ds s = DS_EMPTY_INITIALIZER;
    if (error) {
        ds_put_format(&s, "error: %s", error);
        free(error);
    } else {
        struct svec lines = SVEC_EMPTY_INITIALIZER;
        for (size_t i = 0; i < acls.n; i++) {
            const struct nb_acl_spec *a = &acls.specs[i];
            svec_add_nocopy(&lines, xasprintf("%s %"PRId64" %s %s",
                                              a->direction, a->priority,
                                              a->action, a->match));
        }
        svec_sort(&lines);
        for (size_t i = 0; i < lines.n; i++) {
            ds_put_format(&s, "%s\n", lines.names[i]);
        }
        svec_destroy(&lines);
    }
    subnet_acls_destroy(&acls);
    json_destroy(obj);
    return ds_steal_cstr(&s);
}

static void
test_none(void **state OVS_UNUSED)
{
    char *s = acls_of("{'spec':{'cidrBlock':'10.1.0.0/16'}}", false);
    assert_string_equal(s, "");
    free(s);
}

static void
test_private(void **state OVS_UNUSED)
{
    char *s = acls_of("{'spec':{'private':true,'allowSubnets':"
                      "['10.2.0.0/16','fd00:2::/64']}}", true);
    assert_string_equal(s,
        "to-lport 1000 drop ip4.dst == 10.1.0.0/16\n"
        "to-lport 1000 drop ip6.dst == fd00:1::/64\n"
        "to-lport 1001 allow nd || nd_ra || nd_rs\n"
        "to-lport 1001 allow-related ip4.src == {10.1.0.0/16, 10.2.0.0/16, "
        "100.64.0.0/16} && ip4.dst == 10.1.0.0/16\n"
        "to-lport 1001 allow-related ip6.src == {fd00:1::/64, fd00:2::/64} "
        "&& ip6.dst == fd00:1::/64\n");
    free(s);
}

static void
test_spec_acls(void **state OVS_UNUSED)
{
    char *s = acls_of("{'spec':{'acls':[{'direction':'from-lport',"
                      "'priority':1005,'match':'ip4.dst == 1.1.1.1 && "
                      "(tcp || udp)','action':'drop'}]}}", false);
    assert_string_equal(s, "from-lport 1005 drop ip4.dst == 1.1.1.1 && "
                           "(tcp || udp)\n");
    free(s);
}

static void
test_refused(void **state OVS_UNUSED)
{
    static const struct {
        const char *spec;
        const char *error;
    } cases[] = {
        { "'acls':[{'direction':'in','priority':1,'match':'ip',"
          "'action':'drop'}]", "direction" },
        { "'acls':[{'direction':'to-lport','priority':40000,'match':'ip',"
          "'action':'drop'}]", "priority" },
        { "'acls':[{'direction':'to-lport','priority':1,'match':'(ip',"
          "'action':'drop'}]", "match" },
        { "'acls':[{'direction':'to-lport','priority':1,'match':'',"
          "'action':'drop'}]", "match" },
        { "'acls':[{'direction':'to-lport','priority':1,'match':'ip',"
          "'action':'accept'}]", "action" },
        { "'private':true,'allowSubnets':['10.2.0.0/33']",
          "allowSubnets[0]" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *spec = xasprintf("{'spec':{%s}}", cases[i].spec);
        char *s = acls_of(spec, false);
        if (strncmp(s, "error: ", 7) || !strstr(s, cases[i].error)) {
            fail_msg("case %"PRIuSIZE": want an error with \"%s\", got %s",
                     i, cases[i].error, s);
        }
        free(s);
        free(spec);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_private),
        cmocka_unit_test(test_spec_acls),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
