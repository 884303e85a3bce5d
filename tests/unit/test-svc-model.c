/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of the Service model (lib/svc/svc-model.h): what a Service and
 * its EndpointSlices mean for load balancers and NodePorts. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "svc/svc-model.h"
#include "svec.h"
#include "util.h"

static struct json *
parse(const char *text)
{
    struct json *j = json_from_string(text);
    if (j->type == JSON_STRING) {
        fail_msg("bad JSON in the test: %s", json_string(j));
    }
    return j;
}

/* Builds the model of Service 'svc' with up to two slices (NULL: none). */
static char *
build(const char *svc, const char *slice1, const char *slice2,
      struct svc_model *m)
{
    struct json *s = parse(svc);
    struct json *sl[2];
    size_t n = 0;
    if (slice1) {
        sl[n++] = parse(slice1);
    }
    if (slice2) {
        sl[n++] = parse(slice2);
    }
    char *error = svc_model_build(s, (const struct json *const *) sl, n, m);
    json_destroy(s);
    for (size_t i = 0; i < n; i++) {
        json_destroy(sl[i]);
    }
    return error;
}

/* "ip:port@node ..." of a port's backends. */
static char *
backends(const struct svc_port *p)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < p->n_backends; i++) {
        const struct svc_backend *b = &p->backends[i];
        if (i) {
            ds_put_char(&s, ' ');
        }
        svc_put_endpoint(&s, b->family, b->ip, b->port);
        if (b->node) {
            ds_put_format(&s, "@%s", b->node);
        }
    }
    return ds_steal_cstr(&s);
}

static void
assert_backends(const struct svc_port *p, const char *want)
{
    char *got = backends(p);
    assert_string_equal(got, want);
    free(got);
}

#define META "\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"}"

/* Ports matched by name and protocol, a named targetPort resolved per
 * slice, only ready endpoints, duplicates dropped, nodes kept (v1
 * nodeName and v1beta1 topology). */
static void
test_ports_and_backends(void **state OVS_UNUSED)
{
    struct svc_model m;
    char *error = build(
        "{" META ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":["
        "{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\","
        "\"nodePort\":30080},"
        "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":"
        "8080},{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}],"
        "\"endpoints\":[{\"addresses\":[\"10.16.0.3\"],\"nodeName\":\"n1\"},"
        "{\"addresses\":[\"10.16.0.2\"],\"conditions\":{\"ready\":true},"
        "\"topology\":{\"kubernetes.io/hostname\":\"n2\"}},"
        "{\"addresses\":[\"10.16.0.9\"],\"conditions\":{\"ready\":false}}]}",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":"
        "9090}],\"endpoints\":[{\"addresses\":[\"10.16.0.3\"]},"
        "{\"addresses\":[\"10.16.0.4\"]}]}", &m);
    assert_null(error);
    assert_true(m.has_vips);
    assert_int_equal(m.n_cluster_ips, 1);
    assert_string_equal(m.cluster_ips[0].ip, "10.96.0.10");
    assert_int_equal(m.n_ports, 2);
    assert_int_equal(m.ports[0].proto, SVC_TCP);
    assert_int_equal(m.ports[0].node_port, 30080);
    assert_backends(&m.ports[0], "10.16.0.2:8080@n2 10.16.0.3:8080@n1 "
                    "10.16.0.3:9090 10.16.0.4:9090");
    assert_int_equal(m.ports[1].proto, SVC_UDP);
    assert_backends(&m.ports[1], "10.16.0.2:5353@n2 10.16.0.3:5353@n1");
    svc_model_destroy(&m);
}

/* Headless and ExternalName: no VIP, no error. */
static void
test_no_vips(void **state OVS_UNUSED)
{
    struct svc_model m;
    assert_null(build("{" META ",\"spec\":{\"clusterIP\":\"None\","
                      "\"ports\":[{\"port\":80}]}}", NULL, NULL, &m));
    assert_false(m.has_vips);
    svc_model_destroy(&m);
    assert_null(build("{" META ",\"spec\":{\"type\":\"ExternalName\","
                      "\"externalName\":\"example.org\"}}", NULL, NULL, &m));
    assert_false(m.has_vips);
    svc_model_destroy(&m);

    /* Another proxy's, or marked headless: not ours to load-balance. */
    static const char *const labels[] = {
        "service.kubernetes.io/service-proxy-name",
        "service.kubernetes.io/headless",
    };
    for (int i = 0; i < 2; i++) {
        char *svc = xasprintf("{\"metadata\":{\"name\":\"web\","
                              "\"namespace\":\"ns\",\"labels\":{\"%s\":"
                              "\"x\"}},\"spec\":{\"clusterIP\":"
                              "\"10.96.0.10\",\"ports\":[{\"port\":80}]}}",
                              labels[i]);
        assert_null(build(svc, NULL, NULL, &m));
        assert_false(m.has_vips);
        assert_int_equal(m.n_cluster_ips, 1);   /* For DNS. */
        svc_model_destroy(&m);
        free(svc);
    }
}

/* Dual stack, externalIPs, load balancer ingress, affinity, Local. */
static void
test_vips_and_policies(void **state OVS_UNUSED)
{
    struct svc_model m;
    char *error = build(
        "{" META ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":"
        "[\"10.96.0.10\",\"fd00:10:96::0a\"],\"externalIPs\":"
        "[\"198.51.100.10\"],\"sessionAffinity\":\"ClientIP\","
        "\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":80}]},"
        "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":"
        "\"198.51.100.11\"},{\"hostname\":\"lb.example\"}]}}}",
        "{\"addressType\":\"IPv6\",\"ports\":[{\"port\":80}],\"endpoints\":"
        "[{\"addresses\":[\"fd00:10:16::5\"]}]}", NULL, &m);
    assert_null(error);
    assert_int_equal(m.n_cluster_ips, 2);
    assert_int_equal(m.cluster_ips[1].family, AF_INET6);
    assert_string_equal(m.cluster_ips[1].ip, "fd00:10:96::a");
    assert_int_equal(m.n_external_ips, 2);
    assert_string_equal(m.external_ips[1].ip, "198.51.100.11");
    assert_int_equal(m.affinity_timeout, 10800);
    assert_true(m.local_traffic);
    assert_backends(&m.ports[0], "[fd00:10:16::5]:80");
    svc_model_destroy(&m);
}

/* publishNotReadyAddresses serves every endpoint; an explicit timeout. */
static void
test_not_ready_published(void **state OVS_UNUSED)
{
    struct svc_model m;
    assert_null(build(
        "{" META ",\"spec\":{\"clusterIP\":\"10.96.0.10\","
        "\"publishNotReadyAddresses\":true,\"sessionAffinity\":"
        "\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":"
        "{\"timeoutSeconds\":30}},\"ports\":[{\"port\":80}]}}",
        "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":80}],\"endpoints\":"
        "[{\"addresses\":[\"10.16.0.9\"],\"conditions\":{\"ready\":false}},"
        "{\"addresses\":[\"not-an-ip\"]}]}", NULL, &m));
    assert_int_equal(m.affinity_timeout, 30);
    assert_backends(&m.ports[0], "10.16.0.9:80");
    svc_model_destroy(&m);
}

/* Bad input: a clear error and an empty model. */
static void
test_bad_input(void **state OVS_UNUSED)
{
    struct svc_model m;
    char *error = build("{" META ",\"spec\":{\"clusterIP\":\"10.96.0.300\","
                        "\"ports\":[{\"port\":80}]}}", NULL, NULL, &m);
    assert_non_null(error);
    assert_non_null(strstr(error, "10.96.0.300"));
    assert_false(m.has_vips);
    assert_int_equal(m.n_ports, 0);
    free(error);
    svc_model_destroy(&m);

    error = build("{" META ",\"spec\":{\"clusterIP\":\"10.96.0.1\","
                  "\"ports\":[{\"port\":80,\"protocol\":\"ICMP\"}]}}",
                  NULL, NULL, &m);
    assert_non_null(error);
    assert_non_null(strstr(error, "ICMP"));
    free(error);
    svc_model_destroy(&m);
}

static void
test_slice_index(void **state OVS_UNUSED)
{
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    struct json *slice = parse("{\"metadata\":{\"name\":\"web-x\","
                               "\"namespace\":\"ns\",\"labels\":{"
                               "\"kubernetes.io/service-name\":\"web\"}}}");
    svc_index_slice_service(slice, &keys);
    assert_int_equal(keys.n, 1);
    assert_string_equal(keys.names[0], "ns/web");
    json_destroy(slice);
    svec_destroy(&keys);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports_and_backends),
        cmocka_unit_test(test_no_vips),
        cmocka_unit_test(test_vips_and_policies),
        cmocka_unit_test(test_not_ready_published),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_slice_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
