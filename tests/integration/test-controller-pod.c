/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's Pod reconciler and IPAM rebuild, end to end: the real
 * kovn-controller binary against the kube-apiserver of with-k8s.sh and an
 * OVN NB ovsdb-server this test starts; checks go through ovn-nbctl and the
 * API.  (No kubelet runs: pods are bound to a made-up node and stay
 * Pending, which is all the controller looks at.)
 *
 * Every case makes its own namespace, pods and Subnets, and can run
 * alone.  Usage:
 *
 *     test-controller-pod [-v] [--list] [CASE...]
 *
 * with no CASE runs them all, in order; --list prints their names.  To run
 * one case, after "ninja -C build":
 *
 *     KOVN_TEST_DIR=$PWD/tests/integration \
 *     KOVN_CONTROLLER=$PWD/build/controller/kovn-controller \
 *     tests/integration/with-k8s.sh \
 *         build/tests/integration/test-controller-pod statefulset
 *
 * or through meson, which sets the environment:
 *
 *     tests/integration/with-k8s.sh meson test -C build controller-pod \
 *         --test-args statefulset
 *
 * Environment: KOVN_TEST_DIR, KOVN_CONTROLLER, KOVN_TEST_KUBECONFIG. */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-fixture.h"
#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define TIMEOUT_MS 30000
#define WAIT_FOR(COND) ITEST_WAIT_FOR(COND, TIMEOUT_MS)
#define ANN "ovn.kubernetes.io/"


static const struct k8s_resource statefulsets = {
    "apps", "v1", "apps/v1", "statefulsets", "StatefulSet", true,
};


/* ---- API ---- */

/* True if a Warning Event with 'reason' about pod 'name' in 'ns' exists
 * and its message contains 'part'. */
static bool
has_event(const char *ns, const char *name, const char *reason,
          const char *part)
{
    return itest_count_events(client, ns, NULL, name, "Warning", reason,
                              part) > 0;
}

static bool
ip_resource_absent(const char *name)
{
    struct json *obj = itest_get(client, &kubeovn_ips, NULL, name);
    json_destroy(obj);
    return !obj;
}

/* Creates Subnet 'name' with 'cidr' (its gateway the first address) for
 * the namespaces in JSON array 'namespaces_json', and waits for its
 * switch. */
static void
create_subnet(const char *name, const char *cidr, const char *gateway,
              const char *namespaces_json)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
        "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"cidrBlock\":"
        "\"%s\",\"gateway\":\"%s\",\"excludeIps\":[],"
        "\"namespaces\":%s,\"protocol\":\"IPv4\"}}",
        name, cidr, gateway, namespaces_json);
    ctl_create(&kubeovn_subnets, NULL, text);
    free(text);
    char *args = xasprintf("--bare --columns=name find logical_switch "
                           "name=%s", name);
    CHECK(WAIT_FOR(itest_nb_is(dir, name, args)), "subnet %s's switch",
          name);
    free(args);
}

static bool
subnet_counts_are(const char *name, int64_t available, int64_t using)
{
    struct json *obj = itest_get(client, &kubeovn_subnets, NULL, name);
    int64_t a = -1, u = -1;
    json_get_int(obj, "status.v4availableIPs", &a);
    json_get_int(obj, "status.v4usingIPs", &u);
    json_destroy(obj);
    return a == available && u == using;
}

/* ---- NB ---- */

static bool
port_absent(const char *port)
{
    char *args = xasprintf("--bare --columns=_uuid find logical_switch_port "
                           "name=%s", port);
    bool ok = itest_nb_is(dir, "", args);
    free(args);
    return ok;
}

/* Checks pod ns/name: annotations, its one port and its IP resource agree.
 * Returns its ip_address annotation (caller frees) or NULL. */
static char *
check_pod(const char *ns, const char *name, const char *subnet)
{
    if (!CHECK(WAIT_FOR(ctl_pod_allocated(ns, name)), "%s/%s allocated",
               ns, name)) {
        return NULL;
    }
    char *ip = ctl_pod_ann(ns, name, ANN "ip_address");
    char *mac = ctl_pod_ann(ns, name, ANN "mac_address");
    char *ls = ctl_pod_ann(ns, name, ANN "logical_switch");
    char *lr = ctl_pod_ann(ns, name, ANN "logical_router");
    char *cidr = ctl_pod_ann(ns, name, ANN "cidr");
    char *gw = ctl_pod_ann(ns, name, ANN "gateway");
    char *routed = ctl_pod_ann(ns, name, ANN "routed");
    CHECK(ip && mac && ls && !strcmp(ls, subnet) && lr
          && !strcmp(lr, "ovn-cluster") && cidr && gw && routed
          && !strcmp(routed, "true"),
          "%s/%s annotations (switch %s)", ns, name, ls ? ls : "none");

    char *port = xasprintf("%s.%s", name, ns);
    char *want = xasprintf("[\"%s %s\"]\n[\"%s %s\"]\nkovn\n\"%s/%s\"\n%s\n"
                           "%s", mac, ip, mac, ip, ns, name, ns, subnet);
    char *args = xasprintf("get logical_switch_port %s addresses "
                           "port_security external_ids:vendor "
                           "external_ids:pod external_ids:namespace "
                           "external_ids:subnet", port);
    char *have = itest_nbctl(dir, "%s", args);
    CHECK(have && !strcmp(have, want), "%s port:\n%s\nwant:\n%s", port,
          have ? have : "(none)", want);
    free(have);
    free(args);
    free(want);

    char *list = itest_nbctl(dir, "lsp-list %s", subnet);
    want = xasprintf("(%s)", port);
    CHECK(list && strstr(list, want), "%s on switch %s", port, subnet);
    free(list);
    free(want);

    struct json *res = itest_get(client, &kubeovn_ips, NULL, port);
    CHECK(res && !strcmp(json_get_string(res, "spec.ipAddress"), ip)
          && !strcmp(json_get_string(res, "spec.macAddress"), mac)
          && !strcmp(json_get_string(res, "spec.subnet"), subnet)
          && !strcmp(json_get_string(res, "spec.podName"), name)
          && !strcmp(json_get_string(res, "spec.namespace"), ns)
          && !strcmp(json_get_string(res, "spec.nodeName"), "n1"),
          "IP resource %s", port);
    json_destroy(res);

    free(port);
    free(mac);
    free(ls);
    free(lr);
    free(cidr);
    free(gw);
    free(routed);
    return ip;
}

/* ---- cases ---- */

/* Waits until pods 'ns'/'names'... (NULL-terminated) are all allocated:
 * a case's set-up (check_pod() checks a pod in full). */
static void
wait_allocated(const char *ns, const char *const *names)
{
    struct ds missing = DS_EMPTY_INITIALIZER;
    for (const char *const *n = names; *n; n++) {
        if (!WAIT_FOR(ctl_pod_allocated(ns, *n))) {
            ds_put_format(&missing, " %s", *n);
        }
    }
    CHECK(!missing.length, "pods of %s allocated; not:%s", ns,
          ds_cstr(&missing));
    ds_destroy(&missing);
}

static void
test_basic(void)
{
    struct sset ips = SSET_INITIALIZER(&ips);
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        ctl_create_pod("pod-basic", name, "{}", "");
    }
    /* Not scheduled: left alone. */
    struct json *p = ctl_pod_json("unsched", "{}", "");
    json_object_remove(CONST_CAST(struct json *,
                                  json_get_member(p, "spec")), "nodeName");
    struct k8s_request *req = k8s_create(client, &k8s_pods, "pod-basic", p,
                                         NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    json_destroy(p);

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        char *ip = check_pod("pod-basic", name, "ovn-default");
        CHECK(ip && !strncmp(ip, "10.16.", 6), "%s in ovn-default: %s",
              name, ip ? ip : "none");
        if (ip) {
            CHECK(sset_add(&ips, ip) != NULL, "%s's %s unique", name, ip);
        }
        free(ip);
    }
    sset_destroy(&ips);
    ctl_sync_has("pods", "pod-basic/unsched");
    CHECK(!ctl_pod_allocated("pod-basic", "unsched")
          && port_absent("unsched.pod-basic"),
          "unscheduled pod left alone");
}

/* ovn-trace (through ovn-northd's logical flows) of an ICMP echo from pod
 * 'ns'/'from', with source address 'src_ip' (its own if NULL), to 'dst_ip'
 * through 'dst_mac'.  Returns the output (caller frees), or NULL if 'from'
 * is not annotated. */
static char *
trace_from(const char *ns, const char *from, const char *src_ip,
           const char *dst_mac, const char *dst_ip)
{
    char *mac = ctl_pod_ann(ns, from, ANN "mac_address");
    char *ip = ctl_pod_ann(ns, from, ANN "ip_address");
    char *ls = ctl_pod_ann(ns, from, ANN "logical_switch");
    char *port = xasprintf("%s.%s", from, ns);
    char *out = NULL;
    if (mac && ip && ls && dst_mac && dst_ip) {
        out = itest_trace_icmp(dir, ls, port, mac, src_ip ? src_ip : ip,
                               dst_mac, dst_ip);
    }
    if (getenv("KOVN_TEST_VERBOSE")) {
        fprintf(stderr, "%s\n", out ? out : "(no trace)");
    }
    free(port);
    free(ls);
    free(ip);
    free(mac);
    return out;
}

static void
test_trace(void)
{
    ctl_create_pod("pod-trace", "p1", "{}", "");
    ctl_create_pod("pod-trace", "p2", "{}", "");
    wait_allocated("pod-trace", (const char *const[]) { "p1", "p2", NULL });

    char *mac2 = ctl_pod_ann("pod-trace", "p2", ANN "mac_address");
    char *ip2 = ctl_pod_ann("pod-trace", "p2", ANN "ip_address");
    char *out = trace_from("pod-trace", "p1", NULL, mac2, ip2);
    CHECK(itest_trace_ends_at(out, "p2.pod-trace"), "p1 reaches p2");
    free(out);
    out = trace_from("pod-trace", "p1", "10.16.9.9", mac2, ip2);
    CHECK(out && !strstr(out, "output to"),
          "port security drops p1's spoofed source address");
    free(out);
    free(mac2);
    free(ip2);
}

static void
test_trace_subnets(void)
{
    create_subnet("xsub", "10.42.0.0/29", "10.42.0.1",
                  "[\"pod-xsub-b\"]");
    ctl_create_pod("pod-xsub-a", "a1", "{}", "");
    ctl_create_pod("pod-xsub-b", "b0", "{}", "");
    wait_allocated("pod-xsub-a", (const char *const[]) { "a1", NULL });
    wait_allocated("pod-xsub-b", (const char *const[]) { "b0", NULL });

    char *gw_mac = ctl_lrp_mac("ovn-cluster-ovn-default");
    char *ip = ctl_pod_ann("pod-xsub-b", "b0", ANN "ip_address");
    char *out = trace_from("pod-xsub-a", "a1", NULL, gw_mac, ip);
    CHECK(out && strstr(out, "dp=\"ovn-cluster\""),
          "a1 (ovn-default) -> b0 (xsub) is routed by ovn-cluster");
    CHECK(itest_trace_ends_at(out, "b0.pod-xsub-b"), "and reaches b0's port");
    free(out);
    free(ip);
    free(gw_mac);
}

static void
test_static(void)
{
    ctl_create_pod("pod-static", "static",
                   "{\"" ANN "ip_address\":\"10.16.0.200\","
                   "\"" ANN "mac_address\":\"00:00:00:11:22:33\"}", "");
    char *ip = check_pod("pod-static", "static", "ovn-default");
    char *mac = ctl_pod_ann("pod-static", "static", ANN "mac_address");
    CHECK(ip && !strcmp(ip, "10.16.0.200"), "static IP %s", ip ? ip : "");
    CHECK(mac && !strcmp(mac, "00:00:00:11:22:33"), "static MAC %s",
          mac ? mac : "");
    free(ip);
    free(mac);

    /* Subnet chosen by the pod's annotation. */
    create_subnet("static-sub", "10.41.0.0/29", "10.41.0.1", "[]");
    ctl_create_pod("pod-static", "in-sub",
                   "{\"" ANN "logical_switch\":\"static-sub\"}", "");
    ip = check_pod("pod-static", "in-sub", "static-sub");
    CHECK(ip && !strncmp(ip, "10.41.0.", 8), "in-sub: %s", ip ? ip : "");
    free(ip);
    ctl_delete_pod("pod-static", "in-sub");
    CHECK(WAIT_FOR(port_absent("in-sub.pod-static")), "in-sub's port gone");
}

static void
check_bad(const char *ns, const char *name, const char *reason,
          const char *part)
{
    CHECK(WAIT_FOR(has_event(ns, name, reason, part)),
          "%s: Warning %s \"...%s...\"", name, reason, part);
    char *port = xasprintf("%s.%s", name, ns);
    CHECK(!ctl_pod_allocated(ns, name) && port_absent(port)
          && ip_resource_absent(port), "%s: no port, annotation or IP", name);
    free(port);
}

static void
test_bad_input(void)
{
    /* "holder" has 10.16.0.201 before "taken" asks for it. */
    ctl_create_pod("pod-bad", "holder",
                   "{\"" ANN "ip_address\":\"10.16.0.201\"}", "");
    wait_allocated("pod-bad", (const char *const[]) { "holder", NULL });

    ctl_create_pod("pod-bad", "outside",
                   "{\"" ANN "ip_address\":\"10.99.0.5\"}", "");
    ctl_create_pod("pod-bad", "taken",
                   "{\"" ANN "ip_address\":\"10.16.0.201\"}", "");
    ctl_create_pod("pod-bad", "badmac", "{\"" ANN "mac_address\":\"zz:00\"}",
                   "");
    ctl_create_pod("pod-bad", "noswitch",
                   "{\"" ANN "logical_switch\":\"nope\"}", "");
    ctl_create_pod("pod-bad", "good", "{}", "");
    check_bad("pod-bad", "outside", "AcquireAddressFailed", "outside subnet");
    check_bad("pod-bad", "taken", "AcquireAddressFailed", "pod-bad/holder");
    check_bad("pod-bad", "badmac", "AcquireAddressFailed", "zz:00");
    check_bad("pod-bad", "noswitch", "LogicalSwitchNotFound", "nope");
    free(check_pod("pod-bad", "good", "ovn-default"));
    char *ip = ctl_pod_ann("pod-bad", "holder", ANN "ip_address");
    CHECK(ip && !strcmp(ip, "10.16.0.201"), "holder keeps its address");
    free(ip);
    for (const char *const *n = (const char *const[]) {
             "outside", "taken", "badmac", "noswitch", NULL }; *n; n++) {
        ctl_delete_pod("pod-bad", *n);
    }
}

static void
test_exhaustion(void)
{
    /* small: 10.40.0.0/29 less network, broadcast, gateway: 5 addresses. */
    create_subnet("small", "10.40.0.0/29", "10.40.0.1", "[\"pod-small\"]");
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "s%d", i);
        ctl_create_pod("pod-small", name, "{}", "");
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "s%d", i);
        free(check_pod("pod-small", name, "small"));
    }
    CHECK(WAIT_FOR(subnet_counts_are("small", 0, 5)),
          "small's status: 0 available, 5 using");
    ctl_create_pod("pod-small", "s5", "{}", "");
    CHECK(WAIT_FOR(has_event("pod-small", "s5", "NoAvailableAddress",
                             "no free")), "s5: NoAvailableAddress Event");
    CHECK(!ctl_pod_allocated("pod-small", "s5"), "s5 has no address");
    char *freed = ctl_pod_ann("pod-small", "s2", ANN "ip_address");
    ctl_delete_pod("pod-small", "s2");
    char *ip = check_pod("pod-small", "s5", "small");
    CHECK(ip && freed && !strcmp(ip, freed), "s5 got the freed %s: %s",
          freed ? freed : "", ip ? ip : "");
    free(ip);
    free(freed);
    CHECK(WAIT_FOR(port_absent("s2.pod-small")
                   && ip_resource_absent("s2.pod-small")),
          "s2's port and IP resource gone");
}

static void
test_delete(void)
{
    ctl_create_pod("pod-del", "p0", "{}", "");
    wait_allocated("pod-del", (const char *const[]) { "p0", NULL });
    ctl_delete_pod("pod-del", "p0");
    CHECK(WAIT_FOR(port_absent("p0.pod-del")), "p0's port gone");
    CHECK(WAIT_FOR(ip_resource_absent("p0.pod-del")),
          "p0's IP resource gone");
}

/* Creates StatefulSet 'name' in 'ns' with 'replicas'.  Returns the
 * ownerReferences its pods carry, for ctl_create_pod() (caller frees).  No
 * StatefulSet controller runs: the test makes and deletes the pods. */
static char *
create_sts(const char *ns, const char *name, int replicas)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
        "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"serviceName\":"
        "\"%s\",\"replicas\":%d,\"selector\":{\"matchLabels\":"
        "{\"app\":\"%s\"}},\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
        "\"image\":\"busybox\"}]}}}}", name, name, replicas, name, name);
    ctl_create(&statefulsets, ns, text);
    free(text);
    struct json *sts = itest_get(client, &statefulsets, ns, name);
    char *owner = xasprintf(",\"ownerReferences\":[{\"apiVersion\":"
                            "\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                            "\"%s\",\"uid\":\"%s\"}]", name,
                            k8s_obj_uid(sts));
    json_destroy(sts);

    /* The controller knows it before it sees its pods. */
    char *key = xasprintf("%s/%s", ns, name);
    ctl_sync_has("statefulsets", key);
    free(key);
    return owner;
}

/* Scales StatefulSet 'ns'/'name' to 'replicas' and waits until the
 * controller has seen it. */
static void
scale_sts(const char *ns, const char *name, int replicas)
{
    char *text = xasprintf("{\"spec\":{\"replicas\":%d}}", replicas);
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(client, &statefulsets, ns,
                                              name, NULL, patch, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    const char *rv = k8s_response_ok(r) ? k8s_obj_resource_version(r->body)
                                        : NULL;
    CHECK(rv, "scaling %s to %d: %s", name, replicas,
          r->error ? r->error : "");
    if (rv) {
        char *key = xasprintf("%s/%s", ns, name);
        ctl_sync_rv("statefulsets", key, rv);
        free(key);
    }
    k8s_request_destroy(req);
    json_destroy(patch);
    free(text);
}

/* Deletes StatefulSet 'ns'/'name' and waits until the controller has seen
 * it go. */
static void
delete_sts(const char *ns, const char *name)
{
    struct k8s_request *req = k8s_delete(client, &statefulsets, ns,
                                         name, NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    char *key = xasprintf("%s/%s", ns, name);
    ctl_sync_gone("statefulsets", key);
    free(key);
}

static bool
address_kept(const char *port)
{
    return !port_absent(port) && !ip_resource_absent(port);
}

static bool
address_gone(const char *port)
{
    return port_absent(port) && ip_resource_absent(port);
}

static void
test_statefulset(void)
{
    char *owner = create_sts("pod-sts", "web", 1);
    ctl_create_pod("pod-sts", "web-0", "{}", owner);
    char *ip1 = check_pod("pod-sts", "web-0", "ovn-default");
    ctl_delete_pod("pod-sts", "web-0");
    CHECK(WAIT_FOR(ctl_pod_absent("pod-sts", "web-0")), "web-0 deleted");
    ctl_sync_gone("pods", "pod-sts/web-0");
    CHECK(address_kept("web-0.pod-sts"),
          "web-0 keeps its IP resource and port");
    ctl_create_pod("pod-sts", "web-0", "{}", owner);
    char *ip2 = check_pod("pod-sts", "web-0", "ovn-default");
    CHECK(ip1 && ip2 && !strcmp(ip1, ip2), "web-0 keeps %s: %s",
          ip1 ? ip1 : "", ip2 ? ip2 : "");
    free(ip1);
    free(ip2);

    /* Without its StatefulSet, the address goes with the pod. */
    delete_sts("pod-sts", "web");
    ctl_delete_pod("pod-sts", "web-0");
    CHECK(WAIT_FOR(address_gone("web-0.pod-sts")),
          "web-0's port and IP resource gone with its StatefulSet");
    free(owner);
}

static void
test_statefulset_scale(void)
{
    const char *ns = "pod-sts-scale";
    char *owner = create_sts(ns, "db", 2);
    ctl_create_pod(ns, "db-0", "{}", owner);
    ctl_create_pod(ns, "db-1", "{}", owner);
    free(check_pod(ns, "db-0", "ovn-default"));
    free(check_pod(ns, "db-1", "ovn-default"));

    /* The pod goes before its StatefulSet shrinks (the StatefulSet
     * controller does it the other way round, but the two reach kovn
     * through different watches). */
    ctl_delete_pod(ns, "db-1");
    CHECK(WAIT_FOR(ctl_pod_absent(ns, "db-1")), "db-1 deleted");
    ctl_sync_gone("pods", "pod-sts-scale/db-1");
    CHECK(address_kept("db-1.pod-sts-scale"),
          "db-1 keeps its address: 2 replicas");
    scale_sts(ns, "db", 1);
    CHECK(WAIT_FOR(address_gone("db-1.pod-sts-scale")),
          "db-1's port and IP resource gone when scaled to 1");
    CHECK(address_kept("db-0.pod-sts-scale")
          && ctl_pod_allocated(ns, "db-0"), "db-0 keeps its address");

    /* The StatefulSet shrinks first: the pod's address goes with it. */
    scale_sts(ns, "db", 0);
    ctl_delete_pod(ns, "db-0");
    CHECK(WAIT_FOR(address_gone("db-0.pod-sts-scale")),
          "db-0's port and IP resource gone: scaled to 0");
    delete_sts(ns, "db");
    free(owner);
}

/* Every NB row without vendor=kovn, and which kovn rows hold the foreign
 * ones that test_coexistence() puts on them, sorted (caller frees). */
static char *
foreign_dump(void)
{
    char *out;
    itest_sh_out(&out,
        "((nb='ovn-nbctl --db=unix:%s/nb.sock --bare --format=csv';"
        " $nb --columns=_uuid,name,external_ids,ports list logical_switch;"
        " $nb --columns=_uuid,name,external_ids,addresses"
        " list logical_switch_port;"
        " $nb --columns=_uuid,name,external_ids,networks"
        " list logical_router_port;"
        " $nb --columns=_uuid,ip_prefix,nexthop,external_ids"
        " list logical_router_static_route) | grep -v vendor=kovn;"
        " (nb='ovn-nbctl --db=unix:%s/nb.sock';"
        " $nb lsp-list ovn-default; $nb lrp-list ovn-cluster;"
        " $nb lr-route-list ovn-cluster) | grep -e kube-ovn -e plain"
        " -e 10.98.0.0) | sort", dir, dir);
    return out;
}

/* Adds a kovn port of pod 'name' in pod-coex, which does not exist, to
 * ovn-default: only garbage collection removes it. */
static void
add_orphan_port(const char *name, const char *address)
{
    free(ctl_nbctl("lsp-add ovn-default %s.pod-coex -- lsp-set-addresses "
                   "%s.pod-coex '%s' -- set logical_switch_port %s.pod-coex "
                   "external_ids:vendor=kovn external_ids:pod=pod-coex/%s "
                   "external_ids:namespace=pod-coex "
                   "external_ids:subnet=ovn-default",
                   name, name, address, name, name));
}

static void
test_coexistence(void)
{
    /* A Subnet with pods, and a foreign port that looks like a pod's: never
     * touched. */
    create_subnet("coex-sub", "10.43.0.0/29", "10.43.0.1", "[\"pod-coex\"]");
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "c%d", i);
        ctl_create_pod("pod-coex", name, "{}", "");
    }
    wait_allocated("pod-coex", (const char *const[]) {
                       "c0", "c1", "c2", "c3", "c4", NULL });
    free(ctl_nbctl("ls-add foreign -- lsp-add foreign x.pod-coex -- "
                   "set logical_switch_port x.pod-coex "
                   "external_ids:pod=pod-coex/x"));

    kill(controller_pid, SIGKILL);
    itest_controller_reap(&controller_pid, 5000);

    /* Kube-OVN's rows (vendor=kube-ovn, owner keys as kovn names them)
     * and rows of no vendor: on a switch of their own, and on kovn's
     * switch and router. */
    free(ctl_nbctl(
        "ls-add kube-ovn-sw -- set logical_switch kube-ovn-sw "
        "external_ids:vendor=kube-ovn external_ids:subnet=kube-ovn-sw "
        "-- lsp-add kube-ovn-sw k1.pod-coex -- set logical_switch_port "
        "k1.pod-coex external_ids:vendor=kube-ovn "
        "external_ids:pod=pod-coex/k1 "
        "-- lsp-add ovn-default kube-ovn-port -- set logical_switch_port "
        "kube-ovn-port external_ids:vendor=kube-ovn "
        "external_ids:pod=pod-coex/k2 "
        "-- lsp-add ovn-default plain-port -- set logical_switch_port "
        "plain-port external_ids:pod=pod-coex/k3 "
        "-- lrp-add ovn-cluster kube-ovn-lrp 0a:00:00:00:01:01 10.99.0.1/24 "
        "-- set logical_router_port kube-ovn-lrp external_ids:vendor=kube-ovn "
        "-- --id=@r create logical_router_static_route ip_prefix=10.98.0.0/24 "
        "nexthop=10.16.0.254 external_ids:vendor=kube-ovn "
        "external_ids:node=k4 -- add logical_router ovn-cluster "
        "static_routes @r"));
    /* kovn's rows of a pod, a node and a Subnet that are gone: the
     * start-up garbage collection removes them. */
    add_orphan_port("gone1", "0a:00:00:00:01:02 10.16.0.250");
    free(ctl_nbctl("lsp-add join node-gone -- set logical_switch_port "
                   "node-gone external_ids:vendor=kovn external_ids:node=gone "
                   "-- ls-add gone-sw -- set logical_switch gone-sw "
                   "external_ids:vendor=kovn external_ids:subnet=gone-sw"));
    char *before = foreign_dump();
    CHECK(strstr(before, "kube-ovn-sw") && strstr(before, "k1.pod-coex")
          && strstr(before, "(kube-ovn-port)")
          && strstr(before, "(plain-port)") && strstr(before, "(kube-ovn-lrp)")
          && strstr(before, "10.98.0.0/24"),
          "the foreign rows are in NB:\n%s", before);

    ctl_start_controller();
    CHECK(WAIT_FOR(port_absent("gone1.pod-coex") && port_absent("node-gone")
                   && itest_nb_is(dir, "", "--bare --columns=_uuid find "
                                  "logical_switch name=gone-sw")),
          "start-up: kovn's orphan pod port, node port and switch removed");
    ctl_sync();
    char *after = foreign_dump();
    CHECK(!strcmp(before, after), "start-up: foreign rows intact:\n%s\n"
          "before:\n%s", after, before);
    free(after);
    /* Nothing changed in coex-sub, yet its status is right: it is written
     * from the rebuilt IPAM. */
    CHECK(WAIT_FOR(subnet_counts_are("coex-sub", 0, 5)),
          "coex-sub's status still counts its 5 pods after the restart");

    /* The periodic garbage collection (--gc-interval=2): nothing else
     * looks at an NB row that appears by itself. */
    add_orphan_port("gone2", "0a:00:00:00:01:03 10.16.0.251");
    CHECK(WAIT_FOR(port_absent("gone2.pod-coex")),
          "periodic: kovn's orphan pod port removed");
    ctl_sync();
    after = foreign_dump();
    CHECK(!strcmp(before, after), "periodic: foreign rows intact:\n%s\n"
          "before:\n%s", after, before);
    free(after);
    free(before);
    CHECK(itest_nb_is(dir, "\"pod-coex/x\"", "get logical_switch_port "
                      "x.pod-coex external_ids:pod"),
          "foreign port untouched");
}

/* The namespaces the cases make pods in, and their Subnets. */
static const char *const namespaces[] = {
    "pod-basic", "pod-trace", "pod-xsub-a", "pod-xsub-b", "pod-static",
    "pod-bad", "pod-small", "pod-del", "pod-sts", "pod-sts-scale",
    "pod-coex", "pod-cleanup",
};
static const char *const subnets[] = {
    "xsub", "static-sub", "small", "coex-sub", "cleanup-sub",
};

static bool
subnets_absent(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(subnets); i++) {
        if (!ctl_subnet_absent(subnets[i])) {
            return false;
        }
    }
    return true;
}

/* What the cases made in the API goes, the controller removing what it made
 * for it: a Subnet's finalizer waits for its pods. */
static void
test_cleanup(void)
{
    create_subnet("cleanup-sub", "10.44.0.0/29", "10.44.0.1",
                  "[\"pod-cleanup\"]");
    ctl_create_pod("pod-cleanup", "q0", "{}", "");
    ctl_create_pod("pod-cleanup", "q1", "{}", "");
    wait_allocated("pod-cleanup", (const char *const[]) { "q0", "q1", NULL });

    for (size_t i = 0; i < ARRAY_SIZE(subnets); i++) {
        struct k8s_request *req = k8s_delete(client, &kubeovn_subnets, NULL,
                                             subnets[i], NULL, NULL);
        itest_wait(client, req);
        k8s_request_destroy(req);
    }
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
    }
    CHECK(WAIT_FOR(ctl_subnet_absent("cleanup-sub")), "Subnet cleanup-sub gone "
          "with its pods");
    CHECK(WAIT_FOR(subnets_absent()), "every Subnet of the cases gone");
    CHECK(WAIT_FOR(itest_nb_is(dir, "", "--bare --columns=_uuid find "
                               "logical_switch name=cleanup-sub")),
          "cleanup-sub's switch gone");
    CHECK(WAIT_FOR(!itest_count_objects(client, &kubeovn_ips, NULL, "")),
          "no IP resource left");
}

static void
test_clean_exit(void)
{
    ctl_check_clean_exit();
}

/* ---- the program ---- */

/* What an earlier run against the same apiserver left goes before the
 * controller starts, and again at the end. */
static void
purge(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
        itest_delete_all(client, &statefulsets, namespaces[i], "");
        ctl_delete_events(namespaces[i], NULL);
    }
    itest_delete_all(client, &kubeovn_ips, NULL, "");
    for (size_t i = 0; i < ARRAY_SIZE(subnets); i++) {
        ctl_subnet_purge(subnets[i]);
    }
}

static void
setup(void)
{
    ctl_fixture_init("kovn-pod", true);
    controller_extra = "--gc-interval=2";
    itest_namespace_create(client, "kube-system");
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_namespace_create(client, namespaces[i]);
    }
    purge();
}

static const struct itest_case_def cases[] = {
    { "basic", test_basic },
    { "trace", test_trace },
    { "static", test_static },
    { "bad-input", test_bad_input },
    { "exhaustion", test_exhaustion },
    { "trace-subnets", test_trace_subnets },
    { "delete", test_delete },
    { "statefulset", test_statefulset },
    { "statefulset-scale", test_statefulset_scale },
    { "coexistence", test_coexistence },
    { "clean-up", test_cleanup },
    { "clean-exit", test_clean_exit },
};

ITEST_MAIN(ctl_main, cases, setup, purge)
