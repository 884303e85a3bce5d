/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's gateways on the cluster router, end to end: the real
 * binary against the kube-apiserver of with-k8s.sh and an NB (and
 * ovn-northd, for ovn-trace) that this test starts.  Nodes are API objects
 * whose Ready condition the test sets, and the test plays each gateway
 * node's kovn-daemon by renewing its Lease kube-system/kovn-daemon-<node>
 * (controller/gw-liveness.h) while a check waits.  ovn-trace follows a
 * pod's packet to an outside address (198.51.100.10) through the router's
 * policies to the join port of the node it leaves by:
 *
 *   distributed     a pod's own node (per-node policy)
 *   centralized     the first live gateway node; status.activateGateway
 *   failover        its Lease runs out -> the next one, timed; back when
 *                   it is renewed again
 *   not-ready       its Node turns NotReady -> the next one
 *   ecmp            both gateway nodes as next hops
 *   none-live       no live gateway: no policy, GatewayReady=False, the
 *                   pod leaves by its own node
 *   invalid         refused settings: the router keeps its policy, an Event
 *   delete          the Subnet goes: its policy goes
 *
 * The cases build on each other and run in this order.  Usage as the other
 * controller tests (test-controller-node.c):
 *
 *     tests/integration/with-k8s.sh meson test -C build controller-gateway
 *
 * Environment: KOVN_TEST_DIR (ovn-env.sh), KOVN_CONTROLLER (the binary),
 * KOVN_TEST_KUBECONFIG (with-k8s.sh). */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-fixture.h"
#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-time.h"
#include "openvswitch/json.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define TIMEOUT_MS 30000
#define LABEL "kovn-itest=gateway"
#define ANN "ovn.kubernetes.io/"
#define OUTSIDE "198.51.100.10"
#define SUBNET "gwsub"
#define NS_D "gw-d"                 /* Pods of ovn-default. */
#define NS_C "gw-c"                 /* Pods of SUBNET. */

/* The Leases the test renews while a check waits, as live daemons do. */
static struct sset live = SSET_INITIALIZER(&live);
static long long int last_renewal;

static void keep_alive(void);

/* WAIT_FOR, with the live Leases renewed meanwhile. */
#define WAIT_FOR(COND) ITEST_WAIT_FOR((keep_alive(), (COND)), TIMEOUT_MS)

/* ---- API ---- */

static void
api_patch(const struct k8s_resource *res, const char *ns, const char *name,
          const char *sub, const char *text)
{
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(client, res, ns, name, sub,
                                              patch, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("patching %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(patch);
}

static void
set_ready(const char *node, bool ready)
{
    char *text = xasprintf("{\"status\":{\"conditions\":[{\"type\":\"Ready\","
                           "\"status\":\"%s\",\"reason\":\"KovnItest\"}]}}",
                           ready ? "True" : "False");
    api_patch(&k8s_nodes, NULL, node, "status", text);
    free(text);
}

static void
create_node(const char *name, const char *internal_ip)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
        "\"%s\",\"labels\":{\"kovn-itest\":\"gateway\"}},\"status\":"
        "{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"}]}}",
        name, internal_ip);
    ctl_create(&k8s_nodes, NULL, text);
    free(text);
    set_ready(name, true);
}

static char *
now_micro(void)
{
    return k8s_time_format(time_wall_msec(), true);
}

/* Creates node 'node''s daemon Lease (3 s) and keeps it renewed. */
static void
lease_start(const char *node)
{
    char *now = now_micro();
    char *text = xasprintf(
        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
        "\"metadata\":{\"name\":\"kovn-daemon-%s\",\"labels\":"
        "{\"kovn-itest\":\"gateway\"}},\"spec\":{\"holderIdentity\":\"%s\","
        "\"leaseDurationSeconds\":3,\"renewTime\":\"%s\"}}", node, node, now);
    ctl_create(&k8s_leases, "kube-system", text);
    free(text);
    free(now);
    sset_add(&live, node);
}

static void
lease_renew(const char *node)
{
    char *now = now_micro();
    char *text = xasprintf("{\"spec\":{\"renewTime\":\"%s\"}}", now);
    char *name = xasprintf("kovn-daemon-%s", node);
    api_patch(&k8s_leases, "kube-system", name, NULL, text);
    free(name);
    free(text);
    free(now);
}

static void
keep_alive(void)
{
    if (time_msec() - last_renewal < 500) {
        return;
    }
    const char *node;
    SSET_FOR_EACH (node, &live) {
        lease_renew(node);
    }
    last_renewal = time_msec();
}

static void
create_subnet(const char *spec_extra)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
        "\"metadata\":{\"name\":\"" SUBNET "\"},\"spec\":{\"cidrBlock\":"
        "\"10.43.0.0/24\",\"gateway\":\"10.43.0.1\",\"excludeIps\":[],"
        "\"namespaces\":[\"" NS_C "\"],\"protocol\":\"IPv4\"%s}}",
        spec_extra);
    ctl_create(&kubeovn_subnets, NULL, text);
    free(text);
    /* A pod created before the controller has the Subnet would get an
     * address of ovn-default. */
    ctl_sync_has("subnets", SUBNET);
}

static void
patch_subnet(const char *spec_json)
{
    char *text = xasprintf("{\"spec\":%s}", spec_json);
    api_patch(&kubeovn_subnets, NULL, SUBNET, NULL, text);
    free(text);
}

/* Subnet SUBNET's status field or condition field 'path' ("activateGateway",
 * or "GatewayReady.reason"), or "" (caller frees). */
static char *
subnet_status(const char *path)
{
    struct json *obj = itest_get(client, &kubeovn_subnets, NULL, SUBNET);
    const char *v = NULL;
    const char *dot = strchr(path, '.');
    if (!dot) {
        char *full = xasprintf("status.%s", path);
        v = json_get_string(obj, full);
        free(full);
    } else {
        const struct json *conds = json_get_array(obj, "status.conditions");
        for (size_t i = 0; i < json_array_n(conds); i++) {
            const struct json *c = conds->array.elems[i];
            const char *type = json_get_string(c, "type");
            if (type && !strncmp(type, path, dot - path)
                && !type[dot - path]) {
                v = json_get_string(c, dot + 1);
            }
        }
    }
    char *copy = xstrdup(v ? v : "");
    json_destroy(obj);
    return copy;
}

static bool
subnet_status_is(const char *path, const char *want)
{
    char *have = subnet_status(path);
    bool ok = !strcmp(have, want);
    free(have);
    return ok;
}

static char *
node_join_ip(const char *node)
{
    struct json *obj = itest_get(client, &k8s_nodes, NULL, node);
    const char *v = obj ? k8s_obj_annotation(obj, ANN "ip_address") : NULL;
    char *copy = v ? xstrdup(v) : NULL;
    json_destroy(obj);
    return copy;
}

/* ---- NB and ovn-trace ---- */

/* The next hops of SUBNET's centralized policy, space-separated, "" if it
 * has none (caller frees). */
static char *
gateway_hops(void)
{
    char *out = ctl_nbctl("--bare --columns=nexthops find "
                          "logical_router_policy external_ids:vendor=kovn "
                          "external_ids:gateway=" SUBNET);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static bool
hops_are(const char *want)
{
    char *have = gateway_hops();
    bool ok = !strcmp(have, want);
    free(have);
    return ok;
}

/* True if ovn-trace takes an ICMP echo from pod 'ns'/'pod' to OUTSIDE to
 * the join port of node 'node' (the last port it is output to). */
static bool
leaves_by(const char *ns, const char *pod, const char *node)
{
    char *mac = ctl_pod_ann(ns, pod, ANN "mac_address");
    char *ip = ctl_pod_ann(ns, pod, ANN "ip_address");
    char *ls = ctl_pod_ann(ns, pod, ANN "logical_switch");
    char *lrp = ls ? xasprintf("ovn-cluster-%s", ls) : NULL;
    char *gw_mac = lrp ? ctl_lrp_mac(lrp) : NULL;
    char *port = xasprintf("%s.%s", pod, ns);
    char *out = NULL;
    if (mac && ip && gw_mac) {
        out = itest_trace_icmp(dir, ls, port, mac, ip, gw_mac, OUTSIDE);
    }
    char *want = xasprintf("node-%s", node);
    bool ok = itest_trace_ends_at(out, want);
    if (!ok && getenv("KOVN_TEST_VERBOSE")) {
        fprintf(stderr, "%s\n", out ? out : "(no trace)");
    }
    free(want);
    free(out);
    free(port);
    free(gw_mac);
    free(lrp);
    free(ls);
    free(ip);
    free(mac);
    return ok;
}

/* ---- cases ---- */

static char *ip_gw1, *ip_gw2;

static void
test_distributed(void)
{
    ctl_create_pod(NS_D, "d1", "{}", "");
    CHECK(WAIT_FOR(ctl_pod_allocated(NS_D, "d1")), "d1 allocated");
    CHECK(WAIT_FOR(leaves_by(NS_D, "d1", "n1")),
          "a pod of a distributed Subnet leaves by its own node n1");
}

static void
test_centralized(void)
{
    lease_start("gw1");
    lease_start("gw2");
    create_subnet(",\"gatewayType\":\"centralized\","
                  "\"gatewayNode\":\"gw1,gw2\",\"natOutgoing\":true");
    ctl_create_pod(NS_C, "c1", "{}", "");
    CHECK(WAIT_FOR(ctl_pod_allocated(NS_C, "c1")), "c1 allocated");
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "one policy, to gw1's join address");
    CHECK(WAIT_FOR(leaves_by(NS_C, "c1", "gw1")),
          "a pod on n1 of a centralized Subnet leaves by gw1");
    CHECK(WAIT_FOR(subnet_status_is("activateGateway", "gw1")),
          "status.activateGateway gw1");
    CHECK(subnet_status_is("GatewayReady.status", "True"),
          "GatewayReady True");
    CHECK(WAIT_FOR(leaves_by(NS_D, "d1", "n1")),
          "a pod of ovn-default still leaves by its own node");
}

static void
test_failover(void)
{
    /* gw1's daemon stops renewing. */
    keep_alive();
    sset_find_and_delete(&live, "gw1");
    long long int last = time_msec();
    lease_renew("gw1");
    bool moved = WAIT_FOR(hops_are(ip_gw2));
    long long int took = time_msec() - last;
    CHECK(moved, "gw1's Lease ran out: the policy moves to gw2");
    printf("  failover: %lld ms from gw1's last renewal to the policy "
           "rerouting to gw2 (Lease: 3 s)\n", took);
    CHECK(took >= 2900, "not before the Lease ran out (%lld ms)", took);
    CHECK(WAIT_FOR(leaves_by(NS_C, "c1", "gw2")), "c1 leaves by gw2");
    CHECK(WAIT_FOR(subnet_status_is("activateGateway", "gw2")),
          "status.activateGateway gw2");

    /* It comes back: the preferred node takes the traffic again. */
    sset_add(&live, "gw1");
    lease_renew("gw1");
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "gw1 renews again: back to gw1");
    CHECK(WAIT_FOR(subnet_status_is("activateGateway", "gw1")),
          "status.activateGateway gw1 again");
}

static void
test_not_ready(void)
{
    set_ready("gw1", false);
    CHECK(WAIT_FOR(hops_are(ip_gw2)), "gw1 NotReady: to gw2");
    set_ready("gw1", true);
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "gw1 Ready: back to gw1");
}

static void
test_ecmp(void)
{
    patch_subnet("{\"enableEcmp\":true}");
    char *both = xasprintf("%s %s", ip_gw1, ip_gw2);
    char *both2 = xasprintf("%s %s", ip_gw2, ip_gw1);
    CHECK(WAIT_FOR(hops_are(both) || hops_are(both2)),
          "ECMP: gw1 and gw2 are next hops");
    CHECK(WAIT_FOR(subnet_status_is("activateGateway", "gw1,gw2")),
          "status.activateGateway gw1,gw2");
    sset_find_and_delete(&live, "gw2");
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "gw2's Lease runs out: gw1 alone");
    sset_add(&live, "gw2");
    CHECK(WAIT_FOR(hops_are(both) || hops_are(both2)), "gw2 back");
    patch_subnet("{\"enableEcmp\":false}");
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "active-standby again");
    free(both);
    free(both2);
}

static void
test_none_live(void)
{
    sset_clear(&live);
    CHECK(WAIT_FOR(hops_are("")), "no live gateway: no policy");
    CHECK(WAIT_FOR(subnet_status_is("GatewayReady.reason",
                                    "NoGatewayAlive")),
          "GatewayReady False, NoGatewayAlive");
    CHECK(subnet_status_is("activateGateway", ""), "no active gateway");
    CHECK(WAIT_FOR(leaves_by(NS_C, "c1", "n1")),
          "meanwhile c1 leaves by its own node");
    sset_add(&live, "gw2");
    CHECK(WAIT_FOR(hops_are(ip_gw2)), "gw2 comes back: to gw2");
    sset_add(&live, "gw1");
    CHECK(WAIT_FOR(hops_are(ip_gw1)), "and gw1: to gw1");
}

static void
test_invalid(void)
{
    ctl_delete_events("default", "Subnet");
    patch_subnet("{\"gatewayNode\":\"gw1:not-an-ip\"}");
    CHECK(WAIT_FOR(subnet_status_is("GatewayReady.reason",
                                    "InvalidGateway")),
          "GatewayReady False, InvalidGateway");
    CHECK(WAIT_FOR(itest_count_events(client, NULL, "Subnet", SUBNET, NULL,
                                      "InvalidGateway", "gatewayNode") == 1),
          "one Warning Event naming the field");
    ctl_sync();
    CHECK(hops_are(ip_gw1), "the router keeps its policy");
    CHECK(subnet_status_is("Ready.status", "True"),
          "the Subnet itself stays Ready");
    patch_subnet("{\"gatewayNode\":\"gw2,gw1\"}");
    CHECK(WAIT_FOR(hops_are(ip_gw2)), "fixed (gw2 first): to gw2");
}

static void
test_delete(void)
{
    ctl_delete_pod(NS_C, "c1");
    CHECK(WAIT_FOR(ctl_pod_absent(NS_C, "c1")), "c1 gone");
    struct k8s_request *req = k8s_delete(client, &kubeovn_subnets, NULL,
                                         SUBNET, NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    CHECK(WAIT_FOR(ctl_subnet_absent(SUBNET)), "Subnet deleted");
    CHECK(WAIT_FOR(hops_are("")), "its policy is gone");
    char *left = ctl_nbctl("--bare --columns=_uuid find logical_router_policy "
                           "external_ids:gateway=" SUBNET);
    CHECK(!strcmp(left, ""), "no policy of it left");
    free(left);
    ctl_check_clean_exit();
}

/* ---- the program ---- */

static void
purge(void)
{
    itest_delete_all(client, &k8s_pods, NS_D, "");
    itest_delete_all(client, &k8s_pods, NS_C, "");
    ctl_subnet_purge(SUBNET);
    itest_delete_all(client, &k8s_leases, "kube-system", LABEL);
    itest_delete_all(client, &k8s_nodes, NULL, LABEL);
    sset_clear(&live);
}

static bool
joined(void)
{
    free(ip_gw1);
    free(ip_gw2);
    ip_gw1 = node_join_ip("gw1");
    ip_gw2 = node_join_ip("gw2");
    return ip_gw1 && ip_gw2;
}

static void
setup(void)
{
    ctl_fixture_init("kovn-gw", true);
    itest_namespace_create(client, "kube-system");
    itest_namespace_create(client, NS_D);
    itest_namespace_create(client, NS_C);
    purge();
    create_node("n1", "192.168.79.1");
    create_node("gw1", "192.168.79.2");
    create_node("gw2", "192.168.79.3");
}

static void
test_joined(void)
{
    CHECK(WAIT_FOR(joined()), "gw1 and gw2 have join addresses");
}

static const struct itest_case_def cases[] = {
    { "joined", test_joined },
    { "distributed", test_distributed },
    { "centralized", test_centralized },
    { "failover", test_failover },
    { "not-ready", test_not_ready },
    { "ecmp", test_ecmp },
    { "none-live", test_none_live },
    { "invalid", test_invalid },
    { "delete", test_delete },
};

static void
teardown(void)
{
    purge();
    free(ip_gw1);
    free(ip_gw2);
    sset_destroy(&live);
}

ITEST_MAIN(ctl_main, cases, setup, teardown)
