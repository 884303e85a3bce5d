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
subnet_absent(const char *name)
{
    struct json *obj = itest_get(client, &kubeovn_subnets, NULL, name);
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

static void
test_basic(void)
{
    itest_case("pods get addresses");
    struct sset ips = SSET_INITIALIZER(&ips);
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "p%d", i);
        ctl_create_pod("pod-a", name, "{}", "");
    }
    /* Not scheduled, and host network: left alone. */
    struct json *p = ctl_pod_json("unsched", "{}", "");
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
    CHECK(!ctl_pod_allocated("pod-a", "unsched")
          && port_absent("unsched.pod-a"),
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

/* True if the packet that ovn-trace output 'out' follows leaves through
 * port 'port' last. */
static bool
trace_ends_at(const char *out, const char *port)
{
    static const char output[] = "output to \"";
    const char *last = NULL;
    for (const char *p = out ? strstr(out, output) : NULL; p;
         p = strstr(p + 1, output)) {
        last = p;
    }
    char *want = xasprintf("%s%s\"", output, port);
    bool ok = last && !strncmp(last, want, strlen(want));
    free(want);
    return ok;
}

static void
test_trace(void)
{
    itest_case("ovn-trace");
    char *mac2 = ctl_pod_ann("pod-a", "p2", ANN "mac_address");
    char *ip2 = ctl_pod_ann("pod-a", "p2", ANN "ip_address");
    char *out = trace_from("pod-a", "p1", NULL, mac2, ip2);
    CHECK(trace_ends_at(out, "p2.pod-a"), "p1 reaches p2");
    free(out);
    out = trace_from("pod-a", "p1", "10.16.9.9", mac2, ip2);
    CHECK(out && !strstr(out, "output to"),
          "port security drops p1's spoofed source address");
    free(out);
    free(mac2);
    free(ip2);
}

static void
test_trace_subnets(void)
{
    itest_case("ovn-trace across subnets");
    char *gw_mac = ctl_lrp_mac("ovn-cluster-ovn-default");
    char *ip = ctl_pod_ann("pod-small", "s0", ANN "ip_address");
    char *out = trace_from("pod-a", "p1", NULL, gw_mac, ip);
    CHECK(out && strstr(out, "dp=\"ovn-cluster\""),
          "p1 (ovn-default) -> s0 (small) is routed by ovn-cluster");
    CHECK(trace_ends_at(out, "s0.pod-small"), "and reaches s0's port");
    free(out);
    free(ip);
    free(gw_mac);
}

static void
test_static(void)
{
    itest_case("static IP and MAC");
    ctl_create_pod("pod-a", "static",
                   "{\"" ANN "ip_address\":\"10.16.0.200\","
                   "\"" ANN "mac_address\":\"00:00:00:11:22:33\"}", "");
    char *ip = check_pod("pod-a", "static", "ovn-default");
    char *mac = ctl_pod_ann("pod-a", "static", ANN "mac_address");
    CHECK(ip && !strcmp(ip, "10.16.0.200"), "static IP %s", ip ? ip : "");
    CHECK(mac && !strcmp(mac, "00:00:00:11:22:33"), "static MAC %s",
          mac ? mac : "");
    free(ip);
    free(mac);

    /* Subnet chosen by the pod's annotation. */
    ctl_create_pod("pod-a", "in-small",
                   "{\"" ANN "logical_switch\":\"small\"}", "");
    ip = check_pod("pod-a", "in-small", "small");
    CHECK(ip && !strncmp(ip, "10.40.0.", 8), "in-small: %s", ip ? ip : "");
    free(ip);
    ctl_delete_pod("pod-a", "in-small");
    CHECK(WAIT_FOR(port_absent("in-small.pod-a")), "in-small's port gone");
}

static void
check_bad(const char *name, const char *reason, const char *part)
{
    CHECK(WAIT_FOR(has_event("pod-a", name, reason, part)),
          "%s: Warning %s \"...%s...\"", name, reason, part);
    char *port = xasprintf("%s.pod-a", name);
    CHECK(!ctl_pod_allocated("pod-a", name) && port_absent(port)
          && ip_resource_absent(port), "%s: no port, annotation or IP", name);
    free(port);
}

static void
test_bad_input(void)
{
    itest_case("bad input");
    ctl_create_pod("pod-a", "outside",
                   "{\"" ANN "ip_address\":\"10.99.0.5\"}", "");
    ctl_create_pod("pod-a", "taken",
                   "{\"" ANN "ip_address\":\"10.16.0.200\"}", "");
    ctl_create_pod("pod-a", "badmac", "{\"" ANN "mac_address\":\"zz:00\"}",
                   "");
    ctl_create_pod("pod-a", "noswitch",
                   "{\"" ANN "logical_switch\":\"nope\"}", "");
    ctl_create_pod("pod-a", "good", "{}", "");
    check_bad("outside", "AcquireAddressFailed", "outside subnet");
    check_bad("taken", "AcquireAddressFailed", "pod-a/static");
    check_bad("badmac", "AcquireAddressFailed", "zz:00");
    check_bad("noswitch", "LogicalSwitchNotFound", "nope");
    free(check_pod("pod-a", "good", "ovn-default"));
    char *ip = ctl_pod_ann("pod-a", "static", ANN "ip_address");
    CHECK(ip && !strcmp(ip, "10.16.0.200"), "static keeps its address");
    free(ip);
    for (const char *const *n = (const char *const[]) {
             "outside", "taken", "badmac", "noswitch", NULL }; *n; n++) {
        ctl_delete_pod("pod-a", *n);
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
    itest_case("delete");
    ctl_delete_pod("pod-a", "p0");
    CHECK(WAIT_FOR(port_absent("p0.pod-a")), "p0's port gone");
    CHECK(WAIT_FOR(ip_resource_absent("p0.pod-a")), "p0's IP resource gone");
}

/* Creates StatefulSet 'name' in pod-a with 'replicas'.  Returns the
 * ownerReferences its pods carry, for ctl_create_pod() (caller frees).  No
 * StatefulSet controller runs: the test makes and deletes the pods. */
static char *
create_sts(const char *name, int replicas)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
        "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"serviceName\":"
        "\"%s\",\"replicas\":%d,\"selector\":{\"matchLabels\":"
        "{\"app\":\"%s\"}},\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
        "\"image\":\"busybox\"}]}}}}", name, name, replicas, name, name);
    ctl_create(&statefulsets, "pod-a", text);
    free(text);
    struct json *sts = itest_get(client, &statefulsets, "pod-a", name);
    char *owner = xasprintf(",\"ownerReferences\":[{\"apiVersion\":"
                            "\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":"
                            "\"%s\",\"uid\":\"%s\"}]", name,
                            k8s_obj_uid(sts));
    json_destroy(sts);
    return owner;
}

static void
scale_sts(const char *name, int replicas)
{
    char *text = xasprintf("{\"spec\":{\"replicas\":%d}}", replicas);
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(client, &statefulsets, "pod-a",
                                              name, NULL, patch, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    CHECK(k8s_response_ok(r), "scaling %s to %d: %s", name, replicas,
          r->error ? r->error : "");
    k8s_request_destroy(req);
    json_destroy(patch);
    free(text);
}

static void
delete_sts(const char *name)
{
    struct k8s_request *req = k8s_delete(client, &statefulsets, "pod-a",
                                         name, NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
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
    itest_case("statefulset");
    char *owner = create_sts("web", 1);
    ctl_create_pod("pod-a", "web-0", "{}", owner);
    char *ip1 = check_pod("pod-a", "web-0", "ovn-default");
    ctl_delete_pod("pod-a", "web-0");
    CHECK(WAIT_FOR(ctl_pod_absent("pod-a", "web-0")), "web-0 deleted");
    usleep(1000000);
    CHECK(address_kept("web-0.pod-a"), "web-0 keeps its IP resource and port");
    ctl_create_pod("pod-a", "web-0", "{}", owner);
    char *ip2 = check_pod("pod-a", "web-0", "ovn-default");
    CHECK(ip1 && ip2 && !strcmp(ip1, ip2), "web-0 keeps %s: %s",
          ip1 ? ip1 : "", ip2 ? ip2 : "");
    free(ip1);
    free(ip2);

    /* Without its StatefulSet, the address goes with the pod. */
    delete_sts("web");
    ctl_delete_pod("pod-a", "web-0");
    CHECK(WAIT_FOR(address_gone("web-0.pod-a")),
          "web-0's port and IP resource gone with its StatefulSet");
    free(owner);
}

static void
test_statefulset_scale(void)
{
    itest_case("statefulset scale-down");
    char *owner = create_sts("db", 2);
    ctl_create_pod("pod-a", "db-0", "{}", owner);
    ctl_create_pod("pod-a", "db-1", "{}", owner);
    free(check_pod("pod-a", "db-0", "ovn-default"));
    free(check_pod("pod-a", "db-1", "ovn-default"));

    /* The pod goes before its StatefulSet shrinks (the StatefulSet
     * controller does it the other way round, but the two reach kovn
     * through different watches). */
    ctl_delete_pod("pod-a", "db-1");
    CHECK(WAIT_FOR(ctl_pod_absent("pod-a", "db-1")), "db-1 deleted");
    usleep(1000000);
    CHECK(address_kept("db-1.pod-a"), "db-1 keeps its address: 2 replicas");
    scale_sts("db", 1);
    CHECK(WAIT_FOR(address_gone("db-1.pod-a")),
          "db-1's port and IP resource gone when scaled to 1");
    CHECK(address_kept("db-0.pod-a") && ctl_pod_allocated("pod-a", "db-0"),
          "db-0 keeps its address");

    /* The StatefulSet shrinks first: the pod's address goes with it. */
    scale_sts("db", 0);
    ctl_delete_pod("pod-a", "db-0");
    CHECK(WAIT_FOR(address_gone("db-0.pod-a")),
          "db-0's port and IP resource gone: scaled to 0");
    delete_sts("db");
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

/* Adds a kovn port of pod 'name' in pod-a, which does not exist, to
 * ovn-default: only garbage collection removes it. */
static void
add_orphan_port(const char *name, const char *address)
{
    free(ctl_nbctl("lsp-add ovn-default %s.pod-a -- lsp-set-addresses "
                   "%s.pod-a '%s' -- set logical_switch_port %s.pod-a "
                   "external_ids:vendor=kovn external_ids:pod=pod-a/%s "
                   "external_ids:namespace=pod-a "
                   "external_ids:subnet=ovn-default",
                   name, name, address, name, name));
}

static void
test_coexistence(void)
{
    itest_case("foreign rows survive garbage collection");
    kill(controller_pid, SIGKILL);
    itest_controller_reap(&controller_pid, 5000);

    /* Kube-OVN's rows (vendor=kube-ovn, owner keys as kovn names them)
     * and rows of no vendor: on a switch of their own, and on kovn's
     * switch and router. */
    free(ctl_nbctl(
        "ls-add kube-ovn-sw -- set logical_switch kube-ovn-sw "
        "external_ids:vendor=kube-ovn external_ids:subnet=kube-ovn-sw "
        "-- lsp-add kube-ovn-sw k1.pod-a -- set logical_switch_port k1.pod-a "
        "external_ids:vendor=kube-ovn external_ids:pod=pod-a/k1 "
        "-- lsp-add ovn-default kube-ovn-port -- set logical_switch_port "
        "kube-ovn-port external_ids:vendor=kube-ovn external_ids:pod=pod-a/k2 "
        "-- lsp-add ovn-default plain-port -- set logical_switch_port "
        "plain-port external_ids:pod=pod-a/k3 "
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
    CHECK(strstr(before, "kube-ovn-sw") && strstr(before, "k1.pod-a")
          && strstr(before, "(kube-ovn-port)")
          && strstr(before, "(plain-port)") && strstr(before, "(kube-ovn-lrp)")
          && strstr(before, "10.98.0.0/24"),
          "the foreign rows are in NB:\n%s", before);

    ctl_start_controller();
    CHECK(WAIT_FOR(port_absent("gone1.pod-a") && port_absent("node-gone")
                   && itest_nb_is(dir, "", "--bare --columns=_uuid find "
                                  "logical_switch name=gone-sw")),
          "start-up: kovn's orphan pod port, node port and switch removed");
    char *after = foreign_dump();
    CHECK(!strcmp(before, after), "start-up: foreign rows intact:\n%s\n"
          "before:\n%s", after, before);
    free(after);
    /* Nothing changed in small, yet its status is right: it is written
     * from the rebuilt IPAM. */
    CHECK(WAIT_FOR(subnet_counts_are("small", 0, 5)),
          "small's status still counts its 5 pods after the restart");

    /* The periodic garbage collection (--gc-interval=2): nothing else
     * looks at an NB row that appears by itself. */
    add_orphan_port("gone2", "0a:00:00:00:01:03 10.16.0.251");
    CHECK(WAIT_FOR(port_absent("gone2.pod-a")),
          "periodic: kovn's orphan pod port removed");
    after = foreign_dump();
    CHECK(!strcmp(before, after), "periodic: foreign rows intact:\n%s\n"
          "before:\n%s", after, before);
    free(after);
    free(before);
}

/* What the test made in the API goes, the controller removing what it made
 * for it: the subnet's finalizer waits for the pods. */
static void
test_cleanup(void)
{
    itest_case("clean-up");
    struct k8s_request *req = k8s_delete(client, &kubeovn_subnets, NULL,
                                         "small", NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    itest_delete_all(client, &k8s_pods, "pod-a", "");
    itest_delete_all(client, &k8s_pods, "pod-small", "");
    CHECK(WAIT_FOR(subnet_absent("small")), "Subnet small gone with its "
          "pods");
    CHECK(WAIT_FOR(itest_nb_is(dir, "", "--bare --columns=_uuid find "
                               "logical_switch name=small")),
          "small's switch gone");
    CHECK(WAIT_FOR(!itest_count_objects(client, &kubeovn_ips, NULL, "")),
          "no IP resource left");
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
    controller_extra = "--gc-interval=2";
    /* A foreign port that looks like a pod's: never touched. */
    free(itest_nbctl(dir, "ls-add foreign -- lsp-add foreign x.pod-a -- "
                     "set logical_switch_port x.pod-a "
                     "external_ids:pod=pod-a/x"));
    itest_namespace_create(client, "kube-system");
    itest_namespace_create(client, "pod-a");
    itest_namespace_create(client, "pod-small");
    /* What an earlier run against the same apiserver may have left. */
    static const char *const namespaces[] = { "pod-a", "pod-small" };
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
        itest_delete_all(client, &k8s_events, namespaces[i], "");
        itest_delete_all(client, &statefulsets, namespaces[i], "");
    }
    itest_delete_all(client, &kubeovn_ips, NULL, "");
    ctl_subnet_purge("small");
    ctl_create(&kubeovn_subnets, NULL,
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
    test_trace_subnets();
    test_delete();
    test_statefulset();
    test_statefulset_scale();
    test_coexistence();
    test_cleanup();
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
