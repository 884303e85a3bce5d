/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: JSON helpers, Kubernetes paths and timestamps. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-time.h"
#include "util/json-util.h"

static const char *pod_text =
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\","
    "\"uid\":\"u1\",\"resourceVersion\":\"42\","
    "\"annotations\":{\"ovn.kubernetes.io/ip_address\":\"10.16.0.9\"},"
    "\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true,\"prio\":7}}";

static void
test_lookups(void **state)
{
    (void) state;
    struct json *pod = json_from_string(pod_text);

    assert_string_equal(k8s_obj_name(pod), "web-1");
    assert_string_equal(k8s_obj_namespace(pod), "prod");
    assert_string_equal(k8s_obj_uid(pod), "u1");
    assert_string_equal(k8s_obj_resource_version(pod), "42");
    assert_string_equal(k8s_obj_annotation(pod,
                                           "ovn.kubernetes.io/ip_address"),
                        "10.16.0.9");
    assert_null(k8s_obj_annotation(pod, "ovn.kubernetes.io/mac_address"));
    assert_string_equal(k8s_obj_label(pod, "app"), "web");
    assert_string_equal(json_get_string(pod, "spec.nodeName"), "n1");
    assert_null(json_get_string(pod, "spec.nodeName.deeper"));
    assert_null(json_get_string(pod, "spec.prio"));     /* Not a string. */
    assert_null(json_get_path(pod, "nosuch.path"));

    int64_t prio;
    bool host;
    assert_true(json_get_int(pod, "spec.prio", &prio));
    assert_int_equal(prio, 7);
    assert_false(json_get_int(pod, "spec.nodeName", &prio));
    assert_true(json_get_bool(pod, "spec.hostNetwork", &host));
    assert_true(host);

    char *key = k8s_obj_key(pod);
    assert_string_equal(key, "prod/web-1");
    free(key);
    json_destroy(pod);

    struct json *node = json_from_string("{\"metadata\":{\"name\":\"n1\"}}");
    key = k8s_obj_key(node);
    assert_string_equal(key, "n1");
    free(key);
    json_destroy(node);

    struct json *nameless = json_from_string("{\"metadata\":{}}");
    assert_null(k8s_obj_key(nameless));
    json_destroy(nameless);
}

static void
test_building(void **state)
{
    (void) state;
    struct json *obj = json_object_create();

    json_put_path(obj, "metadata.annotations.a", json_string_create("1"));
    json_put_path(obj, "metadata.annotations.b", json_string_create("2"));
    json_put_path(obj, "metadata.name", json_string_create("x"));
    char *text = json_to_string(obj, JSSF_SORT);
    assert_string_equal(text, "{\"metadata\":{\"annotations\":"
                        "{\"a\":\"1\",\"b\":\"2\"},\"name\":\"x\"}}");
    free(text);

    struct json *spec = json_from_string("{\"a\":1,\"b\":2,\"c\":3}");
    static const char *const keep[] = { "c", "a", "z" };
    json_object_keep(spec, keep, 3);
    text = json_to_string(spec, JSSF_SORT);
    assert_string_equal(text, "{\"a\":1,\"c\":3}");
    free(text);
    json_object_keep(spec, keep, 0);
    text = json_to_string(spec, JSSF_SORT);
    assert_string_equal(text, "{}");
    free(text);
    json_object_keep(NULL, keep, 3);
    json_destroy(spec);

    json_object_remove(json_object_ensure(obj, "metadata"), "annotations");
    json_object_remove(obj, "absent");
    text = json_to_string(obj, JSSF_SORT);
    assert_string_equal(text, "{\"metadata\":{\"name\":\"x\"}}");
    free(text);
    json_destroy(obj);
}

static void
test_paths(void **state)
{
    (void) state;
    struct {
        const struct k8s_resource *res;
        const char *ns, *name, *sub, *want;
    } cases[] = {
        { &k8s_pods, "default", NULL, NULL,
          "/api/v1/namespaces/default/pods" },
        { &k8s_pods, NULL, NULL, NULL, "/api/v1/pods" },
        { &k8s_pods, "a", "p", "status",
          "/api/v1/namespaces/a/pods/p/status" },
        { &k8s_nodes, "ignored", "n1", NULL, "/api/v1/nodes/n1" },
        { &kubeovn_subnets, NULL, "s1", "status",
          "/apis/kubeovn.io/v1/subnets/s1/status" },
        { &k8s_leases, "kube-system", "l", NULL,
          "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l" },
        { &k8s_pods, "a", "x/../y", NULL,
          "/api/v1/namespaces/a/pods/x%2F..%2Fy" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = k8s_resource_path(cases[i].res, cases[i].ns,
                                       cases[i].name, cases[i].sub);
        assert_string_equal(path, cases[i].want);
        free(path);
    }
    assert_string_equal(kubeovn_subnets.api_version, "kubeovn.io/v1");
    assert_string_equal(k8s_pods.api_version, "v1");

    char *q = k8s_query_escape("spec.nodeName=node 1&x");
    assert_string_equal(q, "spec.nodeName%3Dnode%201%26x");
    free(q);
}

static void
test_time(void **state)
{
    (void) state;
    long long int ms;

    char *s = k8s_time_format(1700000000123LL, false);
    assert_string_equal(s, "2023-11-14T22:13:20Z");
    free(s);
    s = k8s_time_format(1700000000123LL, true);
    assert_string_equal(s, "2023-11-14T22:13:20.123000Z");
    assert_true(k8s_time_parse(s, &ms));
    assert_int_equal(ms, 1700000000123LL);
    free(s);

    assert_true(k8s_time_parse("2023-11-14T22:13:20Z", &ms));
    assert_int_equal(ms, 1700000000000LL);
    assert_true(k8s_time_parse("2023-11-14T22:13:20.5Z", &ms));
    assert_int_equal(ms, 1700000000500LL);
    assert_false(k8s_time_parse("2023-11-14 22:13:20", &ms));
    assert_false(k8s_time_parse("2023-11-14T22:13:20+01:00", &ms));
    assert_false(k8s_time_parse(NULL, &ms));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_building),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests_name("json-util", tests, NULL, NULL);
}
