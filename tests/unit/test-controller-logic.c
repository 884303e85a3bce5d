/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of kovn-controller's pure logic (the controller's static
 * library): a Subnet's status and finalizer patches, StatefulSet retention,
 * subnet choice, IP resource specs, and the dependency table's fan-out on
 * synthetic caches. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "controller.h"
#include "deps.h"
#include "ip-resource.h"
#include "ipam/ipam.h"
#include "k8s/k8s-informer.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "pod-obj.h"
#include "sts.h"
#include "subnet-status.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

static struct json *
parse(const char *text)
{
    struct json *j = json_from_string(text);
    assert_int_not_equal(j->type, JSON_STRING);     /* Not a parse error. */
    return j;
}

static char *
str(const struct json *j)
{
    return json_to_string(j, JSSF_SORT);
}

/* ---- Subnet status and finalizer ---- */

#define SUBNET_STATUS \
    "{\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"7\"}," \
    "\"status\":{\"v4availableIPs\":250,\"v4usingIPs\":3," \
    "\"v6availableIPs\":0,\"v6usingIPs\":0,\"conditions\":[" \
    "{\"type\":\"Validated\",\"status\":\"True\"}," \
    "{\"type\":\"Ready\",\"status\":\"True\"," \
    "\"reason\":\"ReconcileSuccess\"," \
    "\"message\":\"\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}"

static void
test_status_patch(void **state OVS_UNUSED)
{
    struct json *obj = parse(SUBNET_STATUS);
    struct subnet_status st = {
        .ready = true, .reason = "ReconcileSuccess",
        .usage = { .v4_used = 3, .v4_available = 250 },
    };
    assert_null(subnet_status_patch(obj, &st));     /* Says so already. */

    st.usage.v4_used = 4;
    st.usage.v4_available = 249;
    struct json *p = subnet_status_patch(obj, &st);
    assert_non_null(p);
    const struct json *conds = json_get_path(p, "status.conditions");
    assert_int_equal(conds->array.n, 2);            /* Validated kept. */
    assert_string_equal(json_get_string(conds->array.elems[0], "type"),
                        "Validated");
    /* Same status: the transition time stays. */
    assert_string_equal(json_get_string(conds->array.elems[1],
                                        "lastTransitionTime"),
                        "2026-01-01T00:00:00Z");
    int64_t n;
    assert_true(json_get_int(p, "status.v4usingIPs", &n));
    assert_int_equal(n, 4);
    json_destroy(p);

    st.ready = false;
    st.reason = "ValidateFailed";
    st.message = "bad";
    p = subnet_status_patch(obj, &st);
    conds = json_get_path(p, "status.conditions");
    assert_string_equal(json_get_string(conds->array.elems[1], "status"),
                        "False");
    assert_string_not_equal(json_get_string(conds->array.elems[1],
                                            "lastTransitionTime"),
                            "2026-01-01T00:00:00Z");
    json_destroy(p);
    json_destroy(obj);
}

static void
test_finalizers_patch(void **state OVS_UNUSED)
{
    struct json *obj = parse("{\"metadata\":{\"name\":\"s\","
                             "\"resourceVersion\":\"9\",\"finalizers\":"
                             "[\"a\",\"kube-ovn-controller\",\"b\"]}}");
    struct json *p = subnet_finalizers_patch(obj, true);
    char *s = str(p);
    /* The legacy name replaced; the others kept in order; the version it
     * was computed from carried. */
    assert_string_equal(s, "{\"metadata\":{\"finalizers\":[\"a\",\"b\","
                        "\"kubeovn.io/kube-ovn-controller\"],"
                        "\"resourceVersion\":\"9\"}}");
    free(s);
    json_destroy(p);

    p = subnet_finalizers_patch(obj, false);
    s = str(p);
    assert_string_equal(s, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"],"
                        "\"resourceVersion\":\"9\"}}");
    free(s);
    json_destroy(p);
    json_destroy(obj);

    obj = parse("{\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"9\","
                "\"finalizers\":[\"kubeovn.io/kube-ovn-controller\"]}}");
    assert_null(subnet_finalizers_patch(obj, true));
    json_destroy(obj);

    obj = parse("{\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"9\"}}");
    assert_null(subnet_finalizers_patch(obj, false));
    json_destroy(obj);
}

/* ---- StatefulSet retention ---- */

static struct k8s_informer *
synthetic_cache(const struct k8s_resource *res)
{
    struct k8s_informer *inf = k8s_informer_create(NULL, res, NULL, NULL,
                                                   NULL);
    k8s_informer_set_synced(inf);
    return inf;
}

#define STS_IP \
    "{\"metadata\":{\"name\":\"web-1.ns\"},\"spec\":{\"podType\":" \
    "\"StatefulSet\",\"namespace\":\"ns\",\"podName\":\"web-1\"}}"

static void
test_sts_keeps(void **state OVS_UNUSED)
{
    struct k8s_informer *sts = synthetic_cache(&k8s_statefulsets);
    struct json *ip = parse(STS_IP);
    struct json *plain = parse("{\"spec\":{\"podType\":\"\"}}");

    assert_false(sts_keeps(sts, "ns", "web-1", ip));   /* No StatefulSet. */
    k8s_informer_put(sts, parse("{\"metadata\":{\"name\":\"web\","
                                "\"namespace\":\"ns\"},"
                                "\"spec\":{\"replicas\":2}}"));
    assert_true(sts_keeps(sts, "ns", "web-1", ip));
    assert_false(sts_keeps(sts, "ns", "web-1", plain)); /* Not its pod. */
    assert_false(sts_keeps(sts, "ns", "web-1", NULL));
    assert_false(sts_keeps(sts, "ns", "web-x", ip));    /* No ordinal. */

    k8s_informer_put(sts, parse("{\"metadata\":{\"name\":\"web\","
                                "\"namespace\":\"ns\"},"
                                "\"spec\":{\"replicas\":1}}"));
    assert_false(sts_keeps(sts, "ns", "web-1", ip));   /* Scaled down. */

    k8s_informer_put(sts, parse("{\"metadata\":{\"name\":\"web\","
                                "\"namespace\":\"ns\",\"deletionTimestamp\":"
                                "\"2026-01-01T00:00:00Z\"},"
                                "\"spec\":{\"replicas\":3}}"));
    assert_false(sts_keeps(sts, "ns", "web-1", ip));   /* Being deleted. */

    json_destroy(ip);
    json_destroy(plain);
    k8s_informer_destroy(sts);
}

static void
test_sts_replicas(void **state OVS_UNUSED)
{
    struct json *unset = parse("{\"metadata\":{\"name\":\"a\"}}");
    assert_int_equal(sts_replicas(unset), 1);           /* API default. */
    assert_int_equal(sts_replicas(NULL), 0);

    struct json *old = parse("{\"metadata\":{\"name\":\"db\",\"namespace\":"
                             "\"ns\"},\"spec\":{\"replicas\":4}}");
    struct json *new = parse("{\"metadata\":{\"name\":\"db\",\"namespace\":"
                             "\"ns\"},\"spec\":{\"replicas\":2}}");
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    sts_released_pods(old, new, &keys);
    assert_int_equal(keys.n, 2);
    assert_string_equal(keys.names[0], "ns/db-2");
    assert_string_equal(keys.names[1], "ns/db-3");
    svec_clear(&keys);
    sts_released_pods(new, old, &keys);                 /* Grew. */
    assert_int_equal(keys.n, 0);
    sts_released_pods(old, NULL, &keys);                /* Deleted. */
    assert_int_equal(keys.n, 4);
    svec_destroy(&keys);
    json_destroy(unset);
    json_destroy(old);
    json_destroy(new);
}

/* ---- pods: subnet choice and IP resources ---- */

static void
test_pod_subnet(void **state OVS_UNUSED)
{
    struct json *pod = parse("{\"metadata\":{\"name\":\"p\"}}");
    struct json *annotated = parse(
        "{\"metadata\":{\"name\":\"p\",\"annotations\":"
        "{\"ovn.kubernetes.io/logical_switch\":\"mine\"}}}");
    struct json *ns = parse(
        "{\"metadata\":{\"name\":\"ns\",\"annotations\":"
        "{\"ovn.kubernetes.io/logical_switch\":\"nss\"}}}");
    struct json *empty_ns = parse(
        "{\"metadata\":{\"name\":\"ns\",\"annotations\":"
        "{\"ovn.kubernetes.io/logical_switch\":\"\"}}}");

    assert_string_equal(pod_subnet_of(annotated, ns, "def"), "mine");
    assert_string_equal(pod_subnet_of(pod, ns, "def"), "nss");
    assert_string_equal(pod_subnet_of(pod, empty_ns, "def"), "def");
    assert_string_equal(pod_subnet_of(pod, NULL, "def"), "def");

    struct json *p = parse("{\"spec\":{\"nodeName\":\"n1\"}}");
    assert_true(pod_wants_address(p));
    json_destroy(p);
    p = parse("{\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true}}");
    assert_false(pod_wants_address(p));
    json_destroy(p);
    p = parse("{\"spec\":{}}");
    assert_false(pod_wants_address(p));                 /* Unscheduled. */
    json_destroy(p);
    p = parse("{\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":"
              "\"Succeeded\"}}");
    assert_false(pod_wants_address(p));
    assert_true(pod_finished(p));
    json_destroy(p);

    json_destroy(pod);
    json_destroy(annotated);
    json_destroy(ns);
    json_destroy(empty_ns);
}

static void
test_ip_resource(void **state OVS_UNUSED)
{
    struct ipam *ipam = ipam_create();
    char *error = ipam_subnet_set(ipam, "dual",
                                  "10.16.0.0/16,fd00:10:16::/64", NULL,
                                  NULL, 0);
    assert_null(error);
    const struct ipam_lease *lease;
    assert_int_equal(ipam_allocate(ipam, "dual", "pod/ns/web-0",
                                   "10.16.0.9,fd00:10:16::9",
                                   "0a:00:00:00:00:09", &lease, &error),
                     IPAM_OK);

    struct json *pod = parse(
        "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"ns\","
        "\"ownerReferences\":[{\"kind\":\"StatefulSet\",\"name\":\"web\"}]},"
        "\"spec\":{\"nodeName\":\"n1\"}}");
    struct json *spec = ip_resource_spec(pod, "ns", "web-0", "dual", lease);
    char *s = str(spec);
    assert_string_equal(s,
        "{\"ipAddress\":\"10.16.0.9,fd00:10:16::9\",\"macAddress\":"
        "\"0a:00:00:00:00:09\",\"namespace\":\"ns\",\"nodeName\":\"n1\","
        "\"podName\":\"web-0\",\"podType\":\"StatefulSet\",\"subnet\":"
        "\"dual\",\"v4IpAddress\":\"10.16.0.9\",\"v6IpAddress\":"
        "\"fd00:10:16::9\"}");
    free(s);
    assert_true(ip_resource_spec_matches(spec, spec));
    struct json *other = json_deep_clone(spec);
    json_object_put_string(other, "nodeName", "n2");
    assert_false(ip_resource_spec_matches(other, spec));
    json_destroy(other);

    struct json *res = ip_resource_create("web-0.ns", "dual", spec);
    const struct json *labels = json_get_path(res, "metadata.labels");
    assert_string_equal(json_string(shash_find_data(json_object(labels),
                                                    "ovn.kubernetes.io/"
                                                    "subnet")), "dual");
    char *key = ip_resource_pod_key(res);
    assert_string_equal(key, "ns/web-0");
    free(key);
    json_destroy(res);
    json_destroy(pod);
    ipam_destroy(ipam);
}

/* ---- the dependency table on synthetic caches ---- */

static struct controller *
make_controller(void)
{
    struct controller_options o;
    controller_options_init(&o);
    o.nb_remotes = xstrdup("unix:/nonexistent/nb.sock");
    o.identity = xstrdup("test");
    return controller_create(&o, false, NULL);
}

/* Keys that 'ev' queues in 'kind', sorted and comma joined (caller frees),
 * with the delay in '*delay'. */
static char *
fan_out(const struct controller *c, enum controller_input input,
        const char *old, const char *new, enum kind_id kind,
        long long int *delay)
{
    struct json *o = old ? parse(old) : NULL;
    struct json *n = new ? parse(new) : NULL;
    char *key = k8s_obj_key(n ? n : o);
    struct dep_event ev = { input, o, n, key };
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    long long int d = deps_fan_out(c, &ev, kind, &keys);
    if (delay) {
        *delay = d;
    }
    svec_sort_unique(&keys);
    char *s = svec_join(&keys, ",", "");
    svec_destroy(&keys);
    free(key);
    json_destroy(o);
    json_destroy(n);
    return s;
}

static void
check_fan_out(const struct controller *c, enum controller_input input,
              const char *old, const char *new, enum kind_id kind,
              const char *want, long long int want_delay)
{
    long long int delay;
    char *have = fan_out(c, input, old, new, kind, &delay);
    assert_string_equal(have, want);
    assert_int_equal(delay, want_delay);
    free(have);
}

#define SUBNET(NAME, SPEC, STATUS) \
    "{\"metadata\":{\"name\":\"" NAME "\",\"resourceVersion\":\"1\"}," \
    "\"spec\":" SPEC ",\"status\":" STATUS "}"

static void
test_deps_subnets(void **state OVS_UNUSED)
{
    struct controller *c = make_controller();
    struct k8s_informer *subnets = controller_cache(c, IN_SUBNETS);
    struct k8s_informer *namespaces = controller_cache(c, IN_NAMESPACES);
    k8s_informer_put(subnets, parse(SUBNET("ovn-default",
                                           "{\"cidrBlock\":\"10.16.0.0/16\"}",
                                           "{}")));
    k8s_informer_put(subnets, parse(SUBNET("a", "{\"cidrBlock\":"
                                           "\"10.1.0.0/24\",\"namespaces\":"
                                           "[\"n1\"]}", "{}")));
    for (int i = 1; i <= 3; i++) {
        char *ns = xasprintf("{\"metadata\":{\"name\":\"n%d\"}}", i);
        k8s_informer_put(namespaces, parse(ns));
        free(ns);
    }

    /* Our own status write: the Subnet itself a second later; no
     * Namespace (nothing they say changed). */
    const char *a1 = SUBNET("a", "{\"cidrBlock\":\"10.1.0.0/24\","
                            "\"namespaces\":[\"n1\"]}", "{\"v4usingIPs\":1}");
    const char *a2 = SUBNET("a", "{\"cidrBlock\":\"10.1.0.0/24\","
                            "\"namespaces\":[\"n1\"]}", "{\"v4usingIPs\":2}");
    check_fan_out(c, IN_SUBNETS, a1, a2, KIND_SUBNET, "a", 1000);
    check_fan_out(c, IN_SUBNETS, a1, a2, KIND_NAMESPACE, "", 0);

    /* Its namespaces change: those before and after, nothing else. */
    const char *a3 = SUBNET("a", "{\"cidrBlock\":\"10.1.0.0/24\","
                            "\"namespaces\":[\"n2\"]}", "{}");
    check_fan_out(c, IN_SUBNETS, a1, a3, KIND_NAMESPACE, "n1,n2", 0);
    check_fan_out(c, IN_SUBNETS, a1, a3, KIND_SUBNET, "a", 0);

    /* A new Subnet: every Subnet (overlaps), its namespaces. */
    check_fan_out(c, IN_SUBNETS, NULL, a3, KIND_SUBNET, "a,ovn-default", 0);
    check_fan_out(c, IN_SUBNETS, NULL, a3, KIND_NAMESPACE, "n2", 0);

    /* The default Subnet's excludeIps: every Namespace. */
    check_fan_out(c, IN_SUBNETS,
                  SUBNET("ovn-default", "{\"cidrBlock\":\"10.16.0.0/16\"}",
                         "{}"),
                  SUBNET("ovn-default", "{\"cidrBlock\":\"10.16.0.0/16\","
                         "\"excludeIps\":[\"10.16.0.1\"]}", "{}"),
                  KIND_NAMESPACE, "n1,n2,n3", 0);

    /* Signals. */
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    struct dep_event ev = { .input = IN_SUBNET_USAGE, .key = "a" };
    assert_int_equal(deps_fan_out(c, &ev, KIND_SUBNET, &keys), 1000);
    assert_int_equal(keys.n, 1);
    svec_clear(&keys);
    ev = (struct dep_event) { .input = IN_SUBNET_NETWORK, .key = "a" };
    deps_fan_out(c, &ev, KIND_NAMESPACE, &keys);
    assert_int_equal(keys.n, 1);
    assert_string_equal(keys.names[0], "n1");
    svec_destroy(&keys);

    controller_destroy(c);
}

static void
test_deps_nodes_pods(void **state OVS_UNUSED)
{
    struct controller *c = make_controller();

    /* A kubelet's heartbeat queues nothing; an address change does. */
    const char *n1 = "{\"metadata\":{\"name\":\"n\",\"resourceVersion\":"
                     "\"1\"},\"status\":{\"addresses\":[{\"type\":"
                     "\"InternalIP\",\"address\":\"192.0.2.1\"}]}}";
    const char *n2 = "{\"metadata\":{\"name\":\"n\",\"resourceVersion\":"
                     "\"2\"},\"status\":{\"addresses\":[{\"type\":"
                     "\"InternalIP\",\"address\":\"192.0.2.1\"}]}}";
    const char *n3 = "{\"metadata\":{\"name\":\"n\",\"resourceVersion\":"
                     "\"3\"},\"status\":{\"addresses\":[{\"type\":"
                     "\"InternalIP\",\"address\":\"192.0.2.9\"}]}}";
    check_fan_out(c, IN_NODES, n1, n2, KIND_NODE, "", 0);
    check_fan_out(c, IN_NODES, n2, n3, KIND_NODE, "n", 0);
    check_fan_out(c, IN_NODES, n3, NULL, KIND_NODE, "n", 0);

    /* A StatefulSet scaled from 3 to 1: the pods it no longer keeps. */
    check_fan_out(c, IN_STATEFULSETS,
                  "{\"metadata\":{\"name\":\"db\",\"namespace\":\"ns\"},"
                  "\"spec\":{\"replicas\":3}}",
                  "{\"metadata\":{\"name\":\"db\",\"namespace\":\"ns\"},"
                  "\"spec\":{\"replicas\":1}}",
                  KIND_POD, "ns/db-1,ns/db-2", 0);

    /* An IP resource whose pod is gone: that pod; of a live pod: none. */
    check_fan_out(c, IN_IPS, NULL, STS_IP, KIND_POD, "ns/web-1", 0);
    k8s_informer_put(controller_cache(c, IN_PODS),
                     parse("{\"metadata\":{\"name\":\"web-1\","
                           "\"namespace\":\"ns\"}}"));
    check_fan_out(c, IN_IPS, NULL, STS_IP, KIND_POD, "", 0);

    /* No row queues a kind from a cache it does not depend on. */
    check_fan_out(c, IN_PODS, NULL, "{\"metadata\":{\"name\":\"p\","
                  "\"namespace\":\"ns\"}}", KIND_SUBNET, "", 0);
    check_fan_out(c, IN_PODS, NULL, "{\"metadata\":{\"name\":\"p\","
                  "\"namespace\":\"ns\"}}", KIND_POD, "ns/p", 0);
    controller_destroy(c);
}

#define POD_ON(NODE, IP)                                                \
    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"annotations\":" \
    "{\"ovn.kubernetes.io/ip_address\":\"" IP "\"}},\"spec\":"            \
    "{\"nodeName\":\"" NODE "\"}}"

static void
test_deps_services(void **state OVS_UNUSED)
{
    struct controller *c = make_controller();

    /* A slice: its Service, before and after a label change. */
    const char *s1 = "{\"metadata\":{\"name\":\"web-x\",\"namespace\":"
                     "\"ns\",\"labels\":{\"kubernetes.io/service-name\":"
                     "\"web\"}}}";
    const char *s2 = "{\"metadata\":{\"name\":\"web-x\",\"namespace\":"
                     "\"ns\",\"labels\":{\"kubernetes.io/service-name\":"
                     "\"web2\"}}}";
    check_fan_out(c, IN_ENDPOINTSLICES, NULL, s1, KIND_SERVICE, "ns/web", 0);
    check_fan_out(c, IN_ENDPOINTSLICES, s1, s2, KIND_SERVICE,
                  "ns/web,ns/web2", 0);
    check_fan_out(c, IN_SERVICES, NULL, "{\"metadata\":{\"name\":\"web\","
                  "\"namespace\":\"ns\"}}", KIND_SERVICE, "ns/web", 0);

    /* A pod's address or node changes: its node's gateway set; anything
     * else of the pod: no node. */
    check_fan_out(c, IN_PODS, NULL, POD_ON("n1", "10.16.0.5"), KIND_NODE,
                  "n1", 0);
    check_fan_out(c, IN_PODS, POD_ON("n1", "10.16.0.5"),
                  POD_ON("n1", "10.16.0.5"), KIND_NODE, "", 0);
    check_fan_out(c, IN_PODS, POD_ON("n1", "10.16.0.5"),
                  POD_ON("n2", "10.16.0.5"), KIND_NODE, "n1,n2", 0);
    check_fan_out(c, IN_PODS, POD_ON("n1", "10.16.0.5"), NULL, KIND_NODE,
                  "n1", 0);
    check_fan_out(c, IN_PODS, NULL, "{\"metadata\":{\"name\":\"p\","
                  "\"namespace\":\"ns\"},\"spec\":{\"nodeName\":\"n1\"}}",
                  KIND_NODE, "", 0);
    controller_destroy(c);
}

/* Usage: test-controller-logic [PATTERN]: only the tests whose names match
 * (cmocka's filter, "*" as a wildcard). */
int
main(int argc, char *argv[])
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_patch),
        cmocka_unit_test(test_finalizers_patch),
        cmocka_unit_test(test_sts_keeps),
        cmocka_unit_test(test_sts_replicas),
        cmocka_unit_test(test_pod_subnet),
        cmocka_unit_test(test_ip_resource),
        cmocka_unit_test(test_deps_subnets),
        cmocka_unit_test(test_deps_nodes_pods),
        cmocka_unit_test(test_deps_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
