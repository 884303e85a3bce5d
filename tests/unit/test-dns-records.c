/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: kovn-dns's records of Services and Pods (dns/dns-records.h)
 * and the table that turns owners' records into unbound batches
 * (dns/dns-table.h). */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns-records.h"
#include "dns-table.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "svec.h"
#include "util.h"

static const struct dns_zone zone = { "cluster.local", 5 };

static struct json *
parse(const char *s)
{
    struct json *j = json_from_string(s);
    if (j->type == JSON_STRING) {
        fail_msg("bad JSON in test: %s", json_string(j));
    }
    return j;
}

/* The records of 'svc' (and 'slice', if nonnull), one a line, "" on
 * error. */
static char *
service(const char *svc_s, const char *slice_s)
{
    struct json *svc = parse(svc_s);
    struct json *slice = slice_s ? parse(slice_s) : NULL;
    const struct json *slices[] = { slice };
    struct svec out = SVEC_EMPTY_INITIALIZER;
    char *error = dns_service_records(&zone, svc, slices, slice ? 1 : 0,
                                      &out);
    struct ds s = DS_EMPTY_INITIALIZER;
    if (error) {
        assert_int_equal(out.n, 0);
        ds_put_format(&s, "error: %s", error);
        free(error);
    }
    for (size_t i = 0; i < out.n; i++) {
        ds_put_format(&s, "%s\n", out.names[i]);
    }
    svec_destroy(&out);
    json_destroy(svc);
    json_destroy(slice);
    return ds_steal_cstr(&s);
}

#define META(NAME) "\"metadata\": {\"name\": \"" NAME "\", \"namespace\": \"ns\"}"

static void
test_cluster_ip(void **state OVS_UNUSED)
{
    char *s = service("{" META("web") ", \"spec\": {\"clusterIP\": "
                      "\"10.96.1.10\", \"ports\": [{\"name\": \"http\", "
                      "\"port\": 80}, {\"name\": \"dns\", \"port\": 53, "
                      "\"protocol\": \"UDP\"}]}}", NULL);
    assert_string_equal(s,
        "10.1.96.10.in-addr.arpa.\t5\tIN\tPTR\tweb.ns.svc.cluster.local.\n"
        "_dns._udp.web.ns.svc.cluster.local.\t5\tIN\tSRV\t"
        "0 100 53 web.ns.svc.cluster.local.\n"
        "_http._tcp.web.ns.svc.cluster.local.\t5\tIN\tSRV\t"
        "0 100 80 web.ns.svc.cluster.local.\n"
        "web.ns.svc.cluster.local.\t5\tIN\tA\t10.96.1.10\n");
    free(s);
}

static void
test_dual_stack_unnamed_port(void **state OVS_UNUSED)
{
    char *s = service("{" META("v6") ", \"spec\": {\"clusterIP\": "
                      "\"10.96.1.11\", \"clusterIPs\": [\"10.96.1.11\", "
                      "\"FD00::000B\"], \"ports\": [{\"port\": 80}]}}", NULL);
    assert_string_equal(s,
        "11.1.96.10.in-addr.arpa.\t5\tIN\tPTR\tv6.ns.svc.cluster.local.\n"
        "b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f."
        "ip6.arpa.\t5\tIN\tPTR\tv6.ns.svc.cluster.local.\n"
        "v6.ns.svc.cluster.local.\t5\tIN\tA\t10.96.1.11\n"
        "v6.ns.svc.cluster.local.\t5\tIN\tAAAA\tfd00::b\n");
    free(s);
}

static const char headless_slice[] =
    "{\"metadata\": {\"name\": \"db-1\", \"namespace\": \"ns\", "
    "\"labels\": {\"kubernetes.io/service-name\": \"db\"}}, "
    "\"addressType\": \"IPv4\", \"endpoints\": ["
    "{\"addresses\": [\"10.16.0.5\"], \"hostname\": \"db-0\", "
    "\"conditions\": {\"ready\": true}},"
    "{\"addresses\": [\"10.16.0.6\"]},"
    "{\"addresses\": [\"10.16.0.7\"], \"conditions\": {\"ready\": false}},"
    "{\"addresses\": [\"not-an-ip\"]},"
    "{\"addresses\": [\"10.16.0.8\"], \"hostname\": \"Bad_Host\"}],"
    "\"ports\": [{\"name\": \"pg\", \"port\": 15432, \"protocol\": \"TCP\"}]}";

static void
test_headless(void **state OVS_UNUSED)
{
    char *s = service("{" META("db") ", \"spec\": {\"clusterIP\": \"None\", "
                      "\"ports\": [{\"name\": \"pg\", \"port\": 5432}]}}",
                      headless_slice);
    assert_string_equal(s,
        "10-16-0-6.db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.6\n"
        "10-16-0-8.db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.8\n"
        "5.0.16.10.in-addr.arpa.\t5\tIN\tPTR\tdb-0.db.ns.svc.cluster.local.\n"
        "_pg._tcp.db.ns.svc.cluster.local.\t5\tIN\tSRV\t"
        "0 100 15432 10-16-0-6.db.ns.svc.cluster.local.\n"
        "_pg._tcp.db.ns.svc.cluster.local.\t5\tIN\tSRV\t"
        "0 100 15432 10-16-0-8.db.ns.svc.cluster.local.\n"
        "_pg._tcp.db.ns.svc.cluster.local.\t5\tIN\tSRV\t"
        "0 100 15432 db-0.db.ns.svc.cluster.local.\n"
        "db-0.db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.5\n"
        "db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.5\n"
        "db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.6\n"
        "db.ns.svc.cluster.local.\t5\tIN\tA\t10.16.0.8\n");
    free(s);

    /* publishNotReadyAddresses: the unready one too. */
    s = service("{" META("db") ", \"spec\": {\"clusterIP\": \"None\", "
                "\"publishNotReadyAddresses\": true}}", headless_slice);
    assert_non_null(strstr(s, "db.ns.svc.cluster.local.\t5\tIN\tA\t"
                              "10.16.0.7\n"));
    assert_null(strstr(s, "SRV"));
    free(s);
}

static void
test_external_name(void **state OVS_UNUSED)
{
    char *s = service("{" META("ext") ", \"spec\": {\"type\": "
                      "\"ExternalName\", \"externalName\": "
                      "\"www.example.com\"}}", NULL);
    assert_string_equal(s, "ext.ns.svc.cluster.local.\t5\tIN\tCNAME\t"
                           "www.example.com.\n");
    free(s);

    /* Nothing unbound-control would read as another record or command. */
    s = service("{" META("ext") ", \"spec\": {\"type\": \"ExternalName\", "
                "\"externalName\": \"a.com.\\nevil. 5 IN A 1.2.3.4\"}}",
                NULL);
    assert_non_null(strstr(s, "error: spec.externalName"));
    free(s);
}

static void
test_bad_services(void **state OVS_UNUSED)
{
    char *s = service("{" META("web") ", \"spec\": {\"clusterIP\": "
                      "\"10.96.1.300\"}}", NULL);
    assert_non_null(strstr(s, "error: "));
    free(s);
    s = service("{\"metadata\": {\"name\": \"a b\", \"namespace\": \"ns\"}, "
                "\"spec\": {\"clusterIP\": \"10.96.1.1\"}}", NULL);
    assert_non_null(strstr(s, "error: "));
    free(s);
    s = service("{" META("web") ", \"spec\": {\"clusterIP\": \"10.96.1.1\", "
                "\"ports\": [{\"name\": \"Bad_Name\", \"port\": 1}]}}", NULL);
    assert_non_null(strstr(s, "error: port name"));
    free(s);
}

static void
test_pod(void **state OVS_UNUSED)
{
    struct json *pod = parse("{" META("p") ", \"status\": {\"podIP\": "
                             "\"10.16.0.9\", \"podIPs\": [{\"ip\": "
                             "\"10.16.0.9\"}, {\"ip\": \"fd00::9\"}]}}");
    struct svec out = SVEC_EMPTY_INITIALIZER;
    assert_null(dns_pod_records(&zone, pod, &out));
    assert_int_equal(out.n, 2);
    assert_string_equal(out.names[0], "10-16-0-9.ns.pod.cluster.local.\t5\t"
                                      "IN\tA\t10.16.0.9");
    assert_string_equal(out.names[1], "fd00--9.ns.pod.cluster.local.\t5\t"
                                      "IN\tAAAA\tfd00::9");
    svec_destroy(&out);
    json_destroy(pod);

    pod = parse("{" META("p") ", \"status\": {}}");
    svec_init(&out);
    assert_null(dns_pod_records(&zone, pod, &out));
    assert_int_equal(out.n, 0);
    json_destroy(pod);
}

static void
test_names(void **state OVS_UNUSED)
{
    assert_true(dns_name_ok("www.example.com"));
    assert_true(dns_name_ok("www.example.com."));
    assert_true(dns_name_ok("_x.example"));
    assert_false(dns_name_ok(""));
    assert_false(dns_name_ok("a..b"));
    assert_false(dns_name_ok("a b"));
    assert_false(dns_name_ok("-a.b"));
    char *r = dns_reverse_name("1.2.3.4");
    assert_string_equal(r, "4.3.2.1.in-addr.arpa");
    free(r);
    assert_null(dns_reverse_name("1.2.3"));
}

/* ---- the table ---- */

static void
lines(struct svec *v, const char *a, const char *b)
{
    svec_clear(v);
    if (a) {
        svec_add(v, a);
    }
    if (b) {
        svec_add(v, b);
    }
    svec_sort(v);
}

/* The changes, as "-NAME" and "+LINE" lines; then commits them. */
static char *
changes(struct dns_table *t)
{
    struct svec rm = SVEC_EMPTY_INITIALIZER, add = SVEC_EMPTY_INITIALIZER;
    struct ds s = DS_EMPTY_INITIALIZER;
    dns_table_changes(t, &rm, &add);
    for (size_t i = 0; i < rm.n; i++) {
        ds_put_format(&s, "-%s\n", rm.names[i]);
    }
    for (size_t i = 0; i < add.n; i++) {
        ds_put_format(&s, "+%s\n", add.names[i]);
    }
    dns_table_commit(t);
    svec_destroy(&rm);
    svec_destroy(&add);
    return ds_steal_cstr(&s);
}

#define A1 "a.z.\t5\tIN\tA\t1.1.1.1"
#define A2 "a.z.\t5\tIN\tA\t2.2.2.2"
#define B1 "b.z.\t5\tIN\tA\t1.1.1.1"

static void
test_table(void **state OVS_UNUSED)
{
    struct dns_table *t = dns_table_create();
    struct svec v = SVEC_EMPTY_INITIALIZER;
    char *s;

    lines(&v, A1, B1);
    dns_table_set(t, "svc/x", &v);
    s = changes(t);
    assert_string_equal(s, "+" A1 "\n+" B1 "\n");
    free(s);

    /* A name that only gains a record: just that record. */
    lines(&v, A1, A2);
    dns_table_set(t, "svc/y", &v);
    s = changes(t);
    assert_string_equal(s, "+" A2 "\n");
    free(s);

    /* A record two owners give stays while one of them does. */
    lines(&v, NULL, NULL);
    dns_table_set(t, "svc/y", &v);
    s = changes(t);
    assert_string_equal(s, "-a.z.\n+" A1 "\n");
    free(s);
    assert_int_equal(dns_table_n_records(t), 2);

    /* Nothing changed: nothing to send. */
    lines(&v, A1, B1);
    dns_table_set(t, "svc/x", &v);
    s = changes(t);
    assert_string_equal(s, "");
    free(s);

    /* A restart of kovn-dns: unbound holds a stale name and a stale
     * record of a wanted name. */
    struct svec installed = SVEC_EMPTY_INITIALIZER;
    svec_add(&installed, A1);
    svec_add(&installed, A2);
    svec_add(&installed, "old.z.\t5\tIN\tA\t9.9.9.9");
    dns_table_set_installed(t, &installed);
    s = changes(t);
    assert_string_equal(s, "-a.z.\n-old.z.\n+" A1 "\n+" B1 "\n");
    free(s);
    svec_destroy(&installed);

    lines(&v, NULL, NULL);
    dns_table_set(t, "svc/x", &v);
    s = changes(t);
    assert_string_equal(s, "-a.z.\n-b.z.\n");
    free(s);
    assert_int_equal(dns_table_n_names(t), 0);
    assert_int_equal(dns_table_n_owners(t), 0);

    svec_destroy(&v);
    dns_table_destroy(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_ip),
        cmocka_unit_test(test_dual_stack_unnamed_port),
        cmocka_unit_test(test_headless),
        cmocka_unit_test(test_external_name),
        cmocka_unit_test(test_bad_services),
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
