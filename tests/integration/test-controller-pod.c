/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's Pod reconciler and IPAM rebuild, end to end: the real
 * kovn-controller binary against the kube-apiserver of with-k8s.sh and an
 * OVN NB ovsdb-server this test starts; checks go through ovn-nbctl and the
 * API.  (No kubelet runs: pods are bound to a made-up node and stay
 * Pending, which is all the controller looks at.)
 *
 * Usage: with-k8s.sh test-controller-pod [-v]
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

static void
create_obj(const struct k8s_resource *res, const char *ns, const char *text)
{
    struct json *obj = json_from_string(text);
    struct k8s_request *req = k8s_create(client, res, ns, obj, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating %s: %s", text, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(obj);
}

/* A pod in 'ns' bound to node "n1", with annotations from 'anns_json'
 * ("{}" for none) and 'extra_meta' (e.g. ownerReferences) or "". */
static struct json *
pod_json(const char *name, const char *anns_json, const char *extra_meta)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"podtest\"},"
        "\"annotations\":%s%s},"
        "\"spec\":{\"nodeName\":\"n1\",\"automountServiceAccountToken\":"
        "false,\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
        name, anns_json, extra_meta);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

static void
create_pod(const char *ns, const char *name, const char *anns_json,
           const char *extra_meta)
{
    struct json *pod = pod_json(name, anns_json, extra_meta);
    struct k8s_request *req = k8s_create(client, &k8s_pods, ns, pod,
                                         NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating pod %s/%s: %s", ns, name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(pod);
}

static char *
pod_delete_path(const char *ns, const char *name)
{
    char *path = k8s_resource_path(&k8s_pods, ns, name, NULL);
    char *url = xasprintf("%s?gracePeriodSeconds=0", path);
    free(path);
    return url;
}

static void
delete_pod(const char *ns, const char *name)
{
    char *url = pod_delete_path(ns, name);
    struct k8s_request *req = k8s_client_request(client, K8S_DELETE, url,
                                                 NULL, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r) && r->status != 404) {
        itest_fatal("deleting pod %s/%s: %s", ns, name, r->error);
    }
    k8s_request_destroy(req);
    free(url);
}

/* Pod 'ns'/'name''s annotation 'key' (caller frees), or NULL. */
static char *
pod_ann(const char *ns, const char *name, const char *key)
{
    struct json *obj = itest_get(client, &k8s_pods, ns, name);
    const char *v = obj ? k8s_obj_annotation(obj, key) : NULL;
    char *copy = v ? xstrdup(v) : NULL;
    json_destroy(obj);
    return copy;
}

static bool
pod_allocated(const char *ns, const char *name)
{
    char *v = pod_ann(ns, name, ANN "allocated");
    bool ok = v && !strcmp(v, "true");
    free(v);
    return ok;
}

static bool
pod_absent(const char *ns, const char *name)
{
    struct json *obj = itest_get(client, &k8s_pods, ns, name);
    json_destroy(obj);
    return !obj;
}

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
    if (!CHECK(WAIT_FOR(pod_allocated(ns, name)), "%s/%s allocated",
               ns, name)) {
        return NULL;
    }
    char *ip = pod_ann(ns, name, ANN "ip_address");
    char *mac = pod_ann(ns, name, ANN "mac_address");
    char *ls = pod_ann(ns, name, ANN "logical_switch");
    char *lr = pod_ann(ns, name, ANN "logical_router");
    char *cidr = pod_ann(ns, name, ANN "cidr");
    char *gw = pod_ann(ns, name, ANN "gateway");
    char *routed = pod_ann(ns, name, ANN "routed");
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

static void
test_basic(void)
{
    itest_case("pods get addresses");
    struct sset ips = SSET_INITIALIZER(&ips);
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        create_pod("pod-a", name, "{}", "");
    }
    /* Not scheduled, and host network: left alone. */
    struct json *p = pod_json("unsched", "{}", "");
    json_object_remove(CONST_CAST(struct json *,
                                  json_get_member(p, "spec")), "nodeName");
    struct k8s_request *req = k8s_create(client, &k8s_pods, "pod-a", p,
                                         NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    json_destroy(p);

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        char *ip = check_pod("pod-a", name, "ovn-default");
        CHECK(ip && !strncmp(ip, "10.16.", 6), "%s in ovn-default: %s",
              name, ip ? ip : "none");
        if (ip) {
            CHECK(sset_add(&ips, ip) != NULL, "%s's %s unique", name, ip);
        }
        free(ip);
    }
    sset_destroy(&ips);
    CHECK(!pod_allocated("pod-a", "unsched") && port_absent("unsched.pod-a"),
          "unscheduled pod left alone");
}

/* ovn-trace (through ovn-northd's logical flows) of an ICMP echo from pod
 * 'from' with source 'src_ip' to pod 'to' on the same switch: true if it
 * reaches 'to''s port. */
static bool
trace_reaches(const char *from, const char *src_ip, const char *to)
{
    char *mac1 = pod_ann("pod-a", from, ANN "mac_address");
    char *mac2 = pod_ann("pod-a", to, ANN "mac_address");
    char *ip2 = pod_ann("pod-a", to, ANN "ip_address");
    char *out = NULL;
    bool ok = false;
    if (mac1 && mac2 && ip2) {
        itest_sh_out(&out, "ovn-nbctl --db=unix:%s/nb.sock --timeout=10 "
                     "--wait=sb sync && ovn-trace --db=unix:%s/sb.sock "
                     "ovn-default 'inport == \"%s.pod-a\" && "
                     "eth.src == %s && eth.dst == %s && ip4.src == %s && "
                     "ip4.dst == %s && ip.ttl == 64 && icmp4.type == 8' "
                     "2>&1", dir, dir, from, mac1, mac2, src_ip, ip2);
        char *want = xasprintf("output to \"%s.pod-a\"", to);
        ok = out && strstr(out, want);
        free(want);
    }
    free(out);
    free(mac1);
    free(mac2);
    free(ip2);
    return ok;
}

static void
test_trace(void)
{
    itest_case("ovn-trace");
    char *ip1 = pod_ann("pod-a", "p1", ANN "ip_address");
    CHECK(ip1 && trace_reaches("p1", ip1, "p2"), "p1 reaches p2");
    CHECK(ip1 && !trace_reaches("p1", "10.16.9.9", "p2"),
          "port security drops p1's spoofed source address");
    free(ip1);
}

static void
test_static(void)
{
    itest_case("static IP and MAC");
    create_pod("pod-a", "static",
               "{\"" ANN "ip_address\":\"10.16.0.200\","
               "\"" ANN "mac_address\":\"00:00:00:11:22:33\"}", "");
    char *ip = check_pod("pod-a", "static", "ovn-default");
    char *mac = pod_ann("pod-a", "static", ANN "mac_address");
    CHECK(ip && !strcmp(ip, "10.16.0.200"), "static IP %s", ip ? ip : "");
    CHECK(mac && !strcmp(mac, "00:00:00:11:22:33"), "static MAC %s",
          mac ? mac : "");
    free(ip);
    free(mac);

    /* Subnet chosen by the pod's annotation. */
    create_pod("pod-a", "in-small", "{\"" ANN "logical_switch\":\"small\"}",
               "");
    ip = check_pod("pod-a", "in-small", "small");
    CHECK(ip && !strncmp(ip, "10.40.0.", 8), "in-small: %s", ip ? ip : "");
    free(ip);
    delete_pod("pod-a", "in-small");
    CHECK(WAIT_FOR(port_absent("in-small.pod-a")), "in-small's port gone");
}

static void
check_bad(const char *name, const char *reason, const char *part)
{
    CHECK(WAIT_FOR(has_event("pod-a", name, reason, part)),
          "%s: Warning %s \"...%s...\"", name, reason, part);
    char *port = xasprintf("%s.pod-a", name);
    CHECK(!pod_allocated("pod-a", name) && port_absent(port)
          && ip_resource_absent(port), "%s: no port, annotation or IP", name);
    free(port);
}

static void
test_bad_input(void)
{
    itest_case("bad input");
    create_pod("pod-a", "outside", "{\"" ANN "ip_address\":\"10.99.0.5\"}",
               "");
    create_pod("pod-a", "taken", "{\"" ANN "ip_address\":\"10.16.0.200\"}",
               "");
    create_pod("pod-a", "badmac", "{\"" ANN "mac_address\":\"zz:00\"}", "");
    create_pod("pod-a", "noswitch",
               "{\"" ANN "logical_switch\":\"nope\"}", "");
    create_pod("pod-a", "good", "{}", "");
    check_bad("outside", "AcquireAddressFailed", "outside subnet");
    check_bad("taken", "AcquireAddressFailed", "pod-a/static");
    check_bad("badmac", "AcquireAddressFailed", "zz:00");
    check_bad("noswitch", "LogicalSwitchNotFound", "nope");
    free(check_pod("pod-a", "good", "ovn-default"));
    char *ip = pod_ann("pod-a", "static", ANN "ip_address");
    CHECK(ip && !strcmp(ip, "10.16.0.200"), "static keeps its address");
    free(ip);
    for (const char *const *n = (const char *const[]) {
             "outside", "taken", "badmac", "noswitch", NULL }; *n; n++) {
        delete_pod("pod-a", *n);
    }
}

static void
test_exhaustion(void)
{
    itest_case("exhaustion");
    /* small: 10.40.0.0/29 less network, broadcast, gateway: 5 addresses. */
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "s%d", i);
        create_pod("pod-small", name, "{}", "");
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "s%d", i);
        free(check_pod("pod-small", name, "small"));
    }
    CHECK(WAIT_FOR(subnet_counts_are("small", 0, 5)),
          "small's status: 0 available, 5 using");
    create_pod("pod-small", "s5", "{}", "");
    CHECK(WAIT_FOR(has_event("pod-small", "s5", "NoAvailableAddress",
                             "no free")), "s5: NoAvailableAddress Event");
    CHECK(!pod_allocated("pod-small", "s5"), "s5 has no address");
    char *freed = pod_ann("pod-small", "s2", ANN "ip_address");
    delete_pod("pod-small", "s2");
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
    itest_case("delete");
    delete_pod("pod-a", "p0");
    CHECK(WAIT_FOR(port_absent("p0.pod-a")), "p0's port gone");
    CHECK(WAIT_FOR(ip_resource_absent("p0.pod-a")), "p0's IP resource gone");
}

static void
test_statefulset(void)
{
    itest_case("statefulset");
    create_obj(&statefulsets, "pod-a",
               "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
               "\"metadata\":{\"name\":\"web\"},\"spec\":{\"serviceName\":"
               "\"web\",\"replicas\":1,\"selector\":{\"matchLabels\":"
               "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
               "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
               "\"image\":\"busybox\"}]}}}}");
    struct json *sts = itest_get(client, &statefulsets, "pod-a", "web");
    char *owner = xasprintf(",\"ownerReferences\":[{\"apiVersion\":"
                            "\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                            "\"web\",\"uid\":\"%s\"}]", k8s_obj_uid(sts));
    json_destroy(sts);
    create_pod("pod-a", "web-0", "{}", owner);
    char *ip1 = check_pod("pod-a", "web-0", "ovn-default");
    delete_pod("pod-a", "web-0");
    CHECK(WAIT_FOR(pod_absent("pod-a", "web-0")), "web-0 deleted");
    usleep(1000000);
    CHECK(!ip_resource_absent("web-0.pod-a") && !port_absent("web-0.pod-a"),
          "web-0 keeps its IP resource and port");
    create_pod("pod-a", "web-0", "{}", owner);
    char *ip2 = check_pod("pod-a", "web-0", "ovn-default");
    CHECK(ip1 && ip2 && !strcmp(ip1, ip2), "web-0 keeps %s: %s",
          ip1 ? ip1 : "", ip2 ? ip2 : "");
    free(ip1);
    free(ip2);

    /* Without its StatefulSet, the address goes with the pod. */
    struct k8s_request *req = k8s_delete(client, &statefulsets, "pod-a",
                                         "web", NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    delete_pod("pod-a", "web-0");
    CHECK(WAIT_FOR(port_absent("web-0.pod-a")
                   && ip_resource_absent("web-0.pod-a")),
          "web-0's port and IP resource gone with its StatefulSet");
    free(owner);
}

static void
noop_cb(struct k8s_request *req OVS_UNUSED,
        const struct k8s_response *r OVS_UNUSED, void *aux OVS_UNUSED)
{
}

/* Every live pod of the test: unique addresses, exactly one port each; no
 * kovn pod port or IP resource without its pod. */
static bool
consistent(struct ds *why)
{
    struct k8s_request *req = k8s_list(client, &k8s_pods, NULL, NULL,
                                       NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    const struct json *items = json_get_member(r->body, "items");
    struct sset ips = SSET_INITIALIZER(&ips);
    struct sset live = SSET_INITIALIZER(&live);
    bool ok = true;
    for (size_t i = 0; items && i < items->array.n; i++) {
        const struct json *p = items->array.elems[i];
        const char *node = json_get_string(p, "spec.nodeName");
        if (!node) {
            continue;
        }
        char *port = xasprintf("%s.%s", k8s_obj_name(p),
                               k8s_obj_namespace(p));
        sset_add(&live, port);
        const char *alloc = k8s_obj_annotation(p, ANN "allocated");
        const char *ip = k8s_obj_annotation(p, ANN "ip_address");
        if (!alloc || !ip) {
            ds_put_format(why, "%s not allocated\n", port);
            ok = false;
        } else if (!sset_add(&ips, ip)) {
            ds_put_format(why, "%s duplicate %s\n", port, ip);
            ok = false;
        }
        free(port);
    }
    k8s_request_destroy(req);

    char *out;
    itest_sh_out(&out, "ovn-nbctl --db=unix:%s/nb.sock --bare "
                 "--columns=name find logical_switch_port "
                 "external_ids:vendor=kovn | grep -v '^$' | "
                 "grep -v -- '-ovn-cluster$' | grep -v '^node-' | sort", dir);
    struct sset ports = SSET_INITIALIZER(&ports);
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (!sset_add(&ports, l)) {
            ds_put_format(why, "port %s twice\n", l);
            ok = false;
        }
        if (!sset_contains(&live, l)) {
            ds_put_format(why, "orphan port %s\n", l);
            ok = false;
        }
    }
    free(out);
    const char *name;
    SSET_FOR_EACH (name, &live) {
        if (!sset_contains(&ports, name)) {
            ds_put_format(why, "no port for %s\n", name);
            ok = false;
        }
    }

    req = k8s_list(client, &kubeovn_ips, NULL, NULL, NULL, NULL);
    r = itest_wait(client, req);
    items = json_get_member(r->body, "items");
    size_t n_ips = 0;
    for (size_t i = 0; items && i < items->array.n; i++) {
        const char *n = k8s_obj_name(items->array.elems[i]);
        n_ips++;
        if (!sset_contains(&live, n)) {
            ds_put_format(why, "orphan IP resource %s\n", n);
            ok = false;
        }
    }
    if (n_ips != sset_count(&live)) {
        ds_put_format(why, "%"PRIuSIZE" IP resources for %"PRIuSIZE
                      " pods\n", n_ips, sset_count(&live));
        ok = false;
    }
    k8s_request_destroy(req);
    sset_destroy(&ips);
    sset_destroy(&live);
    sset_destroy(&ports);
    return ok;
}

static bool
consistent_quiet(void)
{
    struct ds why = DS_EMPTY_INITIALIZER;
    bool ok = consistent(&why);
    ds_destroy(&why);
    return ok;
}

static void
test_restart(void)
{
    itest_case("restart during a burst");
    delete_pod("pod-a", "unsched");
    char name[32];
    /* 150 creations, then 50 deletions, the controller killed midway. */
    for (int i = 0; i < 150; i++) {
        snprintf(name, sizeof name, "b%d", i);
        struct json *p = pod_json(name, "{}", "");
        k8s_create(client, &k8s_pods, "pod-burst", p, noop_cb, NULL);
        json_destroy(p);
        if (i == 100) {
            itest_drain(client, 60000);
        }
    }
    itest_drain(client, 60000);
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "b%d", i * 3);
        char *url = pod_delete_path("pod-burst", name);
        k8s_client_request(client, K8S_DELETE, url, NULL, noop_cb, NULL);
        free(url);
        if (i == 25) {
            itest_drain(client, 60000);
            kill(controller_pid, SIGKILL);
            itest_controller_reap(&controller_pid, 5000);
        }
    }
    itest_drain(client, 60000);
    ctl_start_controller();
    bool ok = ITEST_WAIT_FOR(consistent_quiet(), 90000);
    struct ds why = DS_EMPTY_INITIALIZER;
    ok = consistent(&why) && ok;
    CHECK(ok, "after restart: every live pod one unique address and one "
          "port, no orphans:\n%s", ds_cstr(&why));
    ds_destroy(&why);
}

static void
test_clean_exit(void)
{
    itest_case("clean exit");
    ctl_check_clean_exit();
}

int
main(int argc, char *argv[])
{
    ctl_fixture_init(argv[0], "kovn-pod", true);
    /* A foreign port that looks like a pod's: never touched. */
    free(itest_nbctl(dir, "ls-add foreign -- lsp-add foreign x.pod-a -- "
                     "set logical_switch_port x.pod-a "
                     "external_ids:pod=pod-a/x"));
    itest_namespace_create(client, "kube-system");
    itest_namespace_create(client, "pod-a");
    itest_namespace_create(client, "pod-small");
    itest_namespace_create(client, "pod-burst");
    /* What an earlier run against the same apiserver may have left. */
    static const char *const namespaces[] = { "pod-a", "pod-small",
                                              "pod-burst" };
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
        itest_delete_all(client, &k8s_events, namespaces[i], "");
        itest_delete_all(client, &statefulsets, namespaces[i], "");
    }
    itest_delete_all(client, &kubeovn_ips, NULL, "");
    struct k8s_request *req = k8s_delete(client, &kubeovn_subnets, NULL,
                                         "small", NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    create_obj(&kubeovn_subnets, NULL,
               "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
               "\"metadata\":{\"name\":\"small\"},\"spec\":{\"cidrBlock\":"
               "\"10.40.0.0/29\",\"gateway\":\"10.40.0.1\",\"excludeIps\":[],"
               "\"namespaces\":[\"pod-small\"],\"protocol\":\"IPv4\"}}");

    ctl_start_controller();
    CHECK(WAIT_FOR(itest_nb_is(dir, "small", "--bare --columns=name find "
                               "logical_switch name=small")),
          "subnet small's switch");

    test_basic();
    test_trace();
    test_static();
    test_bad_input();
    test_exhaustion();
    test_delete();
    test_statefulset();
    test_restart();
    CHECK(itest_nb_is(dir, "\"pod-a/x\"", "get logical_switch_port x.pod-a "
                      "external_ids:pod"),
          "foreign port untouched");
    test_clean_exit();

    if (getenv("KOVN_TEST_VERBOSE")) {
        itest_sh("cat %s/controller.log >&2", dir);
    }
    k8s_client_destroy(client);
    return itest_finish();
}
