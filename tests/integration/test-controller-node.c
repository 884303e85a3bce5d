/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's Node reconciler, end to end: the real binary against
 * the kube-apiserver of with-k8s.sh and an NB ovsdb-server this test starts
 * (ovn-env.sh).  Nodes get a join address and MAC, a port node-<name> on
 * the join switch, a route from the cluster router to their InternalIP and
 * their annotations; deletion and restarts keep that exact.
 *
 * Every case makes its own Nodes (and foreign rows) and can run alone.
 * Usage:
 *
 *     test-controller-node [-v] [--list] [CASE...]
 *
 * with no CASE runs them all, in order; --list prints their names.  To run
 * one case, after "ninja -C build":
 *
 *     KOVN_TEST_DIR=$PWD/tests/integration \
 *     KOVN_CONTROLLER=$PWD/build/controller/kovn-controller \
 *     tests/integration/with-k8s.sh \
 *         build/tests/integration/test-controller-node restart
 *
 * or through meson, which sets the environment:
 *
 *     tests/integration/with-k8s.sh meson test -C build controller-node \
 *         --test-args restart
 *
 * Environment: KOVN_TEST_DIR (ovn-env.sh), KOVN_CONTROLLER (the binary),
 * KOVN_TEST_KUBECONFIG (with-k8s.sh). */

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
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define TIMEOUT_MS 30000
#define WAIT_FOR(COND) ITEST_WAIT_FOR(COND, TIMEOUT_MS)
#define LABEL "kovn-itest=node"



/* ---- API ---- */

static void
create_node(const char *name, const char *internal_ip)
{
    struct ds addrs = DS_EMPTY_INITIALIZER;
    if (internal_ip) {
        ds_put_format(&addrs, "{\"type\":\"InternalIP\",\"address\":\"%s\"},",
                      internal_ip);
    }
    ds_put_format(&addrs, "{\"type\":\"Hostname\",\"address\":\"%s\"}",
                  name);
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Node\","
        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"kovn-itest\":\"node\"}},"
        "\"status\":{\"addresses\":[%s]}}", name, ds_cstr(&addrs));
    struct json *obj = json_from_string(text);
    struct k8s_request *req = k8s_create(client, &k8s_nodes, NULL, obj,
                                         NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating Node %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(obj);
    free(text);
    ds_destroy(&addrs);
}

static void
delete_node(const char *name)
{
    struct k8s_request *req = k8s_delete(client, &k8s_nodes, NULL, name,
                                         NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("deleting Node %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
}

static void
annotate_node(const char *name, const char *key, const char *value)
{
    char *text = xasprintf("{\"metadata\":{\"annotations\":{\"%s\":\"%s\"}}}",
                           key, value);
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(client, &k8s_nodes, NULL, name,
                                              NULL, patch, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("annotating Node %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(patch);
    free(text);
}

/* Node 'name''s annotation ovn.kubernetes.io/'key' (caller frees), or
 * NULL. */
static char *
node_ann(const char *name, const char *key)
{
    struct json *obj = itest_get(client, &k8s_nodes, NULL, name);
    char *full = xasprintf("ovn.kubernetes.io/%s", key);
    const char *v = obj ? k8s_obj_annotation(obj, full) : NULL;
    char *copy = v ? xstrdup(v) : NULL;
    free(full);
    json_destroy(obj);
    return copy;
}

static bool
node_ann_is(const char *name, const char *key, const char *want)
{
    char *have = node_ann(name, key);
    bool ok = have && !strcmp(have, want);
    free(have);
    return ok;
}

/* Number of Events about Node 'name' with reason 'reason'. */
static size_t
count_events(const char *name, const char *reason)
{
    return itest_count_events(client, NULL, "Node", name, NULL, reason,
                              NULL);
}

/* ---- NB ---- */

static bool
no_port(const char *name)
{
    char *args = xasprintf("--bare --columns=_uuid find logical_switch_port "
                           "name=node-%s", name);
    bool ok = itest_nb_is(dir, "", args);
    free(args);
    return ok;
}

static bool
no_route(const char *name)
{
    char *args = xasprintf("--bare --columns=_uuid find "
                           "logical_router_static_route "
                           "external_ids:node=%s", name);
    bool ok = itest_nb_is(dir, "", args);
    free(args);
    return ok;
}

/* The node's route "PREFIX NEXTHOP", or NULL (caller frees). */
static char *
route_of(const char *name)
{
    return ctl_nbctl("--bare --format=csv --columns=ip_prefix,nexthop find "
                 "logical_router_static_route external_ids:vendor=kovn "
                 "external_ids:node=%s", name);
}

/* Checks everything node 'name' should have; its join IP in 'ip' (caller
 * frees), or NULL if the annotations never came. */
static char *
check_node(const char *name, const char *internal_ip)
{
    if (!CHECK(WAIT_FOR(node_ann_is(name, "allocated", "true")),
               "%s allocated", name)) {
        return NULL;
    }
    char *ip = node_ann(name, "ip_address");
    char *mac = node_ann(name, "mac_address");
    char *port = xasprintf("node-%s", name);
    CHECK(ip && !strncmp(ip, "100.64.", 7) && strcmp(ip, "100.64.0.1"),
          "%s join address %s", name, ip ? ip : "(none)");
    CHECK(mac && strlen(mac) == 17, "%s MAC %s", name, mac ? mac : "(none)");
    CHECK(node_ann_is(name, "cidr", "100.64.0.0/16")
          && node_ann_is(name, "gateway", "100.64.0.1")
          && node_ann_is(name, "logical_switch", "join")
          && node_ann_is(name, "port_name", port),
          "%s cidr, gateway, logical_switch, port_name", name);

    char *want = xasprintf("[\"%s %s\"]\n[]\nkovn\n%s", mac, ip, name);
    char *args = xasprintf("get logical_switch_port %s addresses "
                           "port_security external_ids:vendor "
                           "external_ids:node", port);
    CHECK(WAIT_FOR(itest_nb_is(dir, want, args)), "port %s", port);
    free(want);
    free(args);
    char *out = ctl_nbctl("lsp-list join");
    want = xasprintf("(%s)", port);
    CHECK(out && strstr(out, want), "%s on join: %s", port,
          out ? out : "(none)");
    free(out);
    free(want);

    if (internal_ip) {
        want = xasprintf("%s/32,%s", internal_ip, ip);
        CHECK(WAIT_FOR(({ char *r = route_of(name);
                          bool eq = r && !strcmp(r, want);
                          free(r); eq; })),
              "%s route %s", name, want);
        free(want);
        out = ctl_nbctl("lr-route-list ovn-cluster");
        CHECK(out && strstr(out, internal_ip), "route on ovn-cluster: %s",
              out ? out : "(none)");
        free(out);
    } else {
        CHECK(no_route(name), "%s: no route without InternalIP", name);
    }
    free(port);
    free(mac);
    return ip;
}

/* Waits until node 'name' is allocated; its join IP (caller frees), or
 * NULL if it never was.  For a case's set-up: check_node() checks it all. */
static char *
node_allocated(const char *name)
{
    CHECK(WAIT_FOR(node_ann_is(name, "allocated", "true")), "%s allocated",
          name);
    return node_ann(name, "ip_address");
}

/* True once node 'name' has its port and, if 'routed', its route. */
static bool
node_rows(const char *name, bool routed)
{
    return !no_port(name) && (!routed || !no_route(name));
}

/* Adds a port of another CMS to the join switch. */
static void
add_foreign_port(const char *name)
{
    CHECK(WAIT_FOR(itest_nb_is(dir, "kovn", "get logical_switch join "
                               "external_ids:vendor")), "join switch");
    free(ctl_nbctl("lsp-add join %s -- lsp-set-addresses %s unknown", name,
                   name));
}

static bool
foreign_port_exists(const char *name)
{
    char *args = xasprintf("--bare --columns=name find logical_switch_port "
                           "name=%s", name);
    bool ok = itest_nb_is(dir, name, args);
    free(args);
    return ok;
}

/* kovn's node ports and routes, one line per row, sorted. */
static char *
nb_dump(void)
{
    char *out;
    itest_sh_out(&out,
           "(nb='ovn-nbctl --db=unix:%s/nb.sock --bare --format=csv';"
           " $nb --columns=name,addresses,port_security,external_ids"
           " list logical_switch_port;"
           " $nb --columns=ip_prefix,nexthop,external_ids"
           " list logical_router_static_route) | grep node= | sort", dir);
    return out;
}

/* ---- cases ---- */

static void
test_nodes(void)
{
    char *ips[4] = { NULL };
    CHECK(WAIT_FOR(itest_nb_is(dir, "kovn", "get logical_switch join "
                               "external_ids:vendor")), "join switch");
    create_node("itn-1", "192.168.77.1");
    create_node("itn-2", "192.168.77.2");
    create_node("itn-3", NULL);
    ips[1] = check_node("itn-1", "192.168.77.1");
    ips[2] = check_node("itn-2", "192.168.77.2");
    ips[3] = check_node("itn-3", NULL);
    CHECK(ips[1] && ips[2] && ips[3] && strcmp(ips[1], ips[2])
          && strcmp(ips[1], ips[3]) && strcmp(ips[2], ips[3]),
          "unique join addresses");
    CHECK(WAIT_FOR(count_events("itn-3", "NoInternalIP") >= 1),
          "Event NoInternalIP on itn-3");
    for (size_t i = 0; i < ARRAY_SIZE(ips); i++) {
        free(ips[i]);
    }
}

/* True once ovn-trace (on northd's SB) says that an ICMP echo entering
 * switch 'ls' from port 'inport' ('src_mac' 'src_ip' to 'dst_mac' 'dst_ip')
 * leaves through port 'want'. */
static bool
trace_reaches(const char *ls, const char *inport, const char *src_mac,
              const char *src_ip, const char *dst_mac, const char *dst_ip,
              const char *want)
{
    return WAIT_FOR(({
        char *o = itest_trace_icmp(dir, ls, inport, src_mac, src_ip,
                                   dst_mac, dst_ip);
        char *w = xasprintf("output to \"%s\"", want);
        bool r = strstr(o, w) && !strstr(o, "drop;");
        if (!r && getenv("KOVN_TEST_VERBOSE")) {
            fprintf(stderr, "%s\n", o);
        }
        free(w);
        free(o);
        r;
    }));
}

static void
test_trace(void)
{
    create_node("itn-tr", "192.168.78.1");
    char *ip = node_allocated("itn-tr");
    if (itest_sh("%s start-northd %s", env_script, dir)) {
        CHECK(false, "could not start ovn-northd");
        return;
    }
    CHECK(WAIT_FOR(itest_nb_is(dir, "kovn", "get logical_switch ovn-default "
                               "external_ids:vendor")), "ovn-default");
    /* A stand-in pod port. */
    free(ctl_nbctl("lsp-add ovn-default trace-pod -- lsp-set-addresses "
               "trace-pod '0a:00:00:10:00:05 10.16.0.5'"));
    char *gw_mac = ctl_lrp_mac("ovn-cluster-ovn-default");
    char *join_mac = ctl_lrp_mac("ovn-cluster-join");
    char *node_mac = node_ann("itn-tr", "mac_address");
    CHECK(gw_mac && join_mac && node_mac && ip, "MACs");
    if (gw_mac && join_mac && node_mac && ip) {
        CHECK(trace_reaches("ovn-default", "trace-pod", "0a:00:00:10:00:05",
                            "10.16.0.5", gw_mac, "192.168.78.1",
                            "node-itn-tr"),
              "pod 10.16.0.5 -> node itn-tr's InternalIP via node-itn-tr");
        CHECK(trace_reaches("join", "node-itn-tr", node_mac, ip,
                            join_mac, "10.16.0.5", "trace-pod"),
              "node itn-tr -> pod 10.16.0.5 via the join switch");
    }
    free(ip);
    free(gw_mac);
    free(join_mac);
    free(node_mac);
    free(ctl_nbctl("lsp-del trace-pod"));
}

static void
test_edited(void)
{
    create_node("itn-ed1", "192.168.77.11");
    create_node("itn-ed3", NULL);
    char *ip1 = node_allocated("itn-ed1");
    char *ip3 = node_allocated("itn-ed3");
    if (!ip1 || !ip3) {
        free(ip1);
        free(ip3);
        return;
    }

    annotate_node("itn-ed1", "ovn.kubernetes.io/ip_address", "100.64.9.9");
    annotate_node("itn-ed1", "ovn.kubernetes.io/allocated", "false");
    CHECK(WAIT_FOR(node_ann_is("itn-ed1", "ip_address", ip1)
                   && node_ann_is("itn-ed1", "allocated", "true")),
          "itn-ed1's annotations corrected");

    /* A new InternalIP moves the route. */
    char *text = xstrdup("{\"status\":{\"addresses\":[{\"type\":"
                         "\"InternalIP\",\"address\":\"192.168.77.3\"}]}}");
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(client, &k8s_nodes, NULL,
                                              "itn-ed3", "status", patch,
                                              NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    CHECK(k8s_response_ok(r), "patching itn-ed3's status: %s", r->error);
    k8s_request_destroy(req);
    json_destroy(patch);
    free(text);
    char *want = xasprintf("192.168.77.3/32,%s", ip3);
    CHECK(WAIT_FOR(({ char *rt = route_of("itn-ed3");
                      bool eq = rt && !strcmp(rt, want);
                      free(rt); eq; })), "itn-ed3's route once it has an IP");
    free(want);
    free(ip1);
    free(ip3);
}

static void
test_delete(void)
{
    add_foreign_port("foreign-del");
    create_node("itn-del1", "192.168.77.31");
    create_node("itn-del2", "192.168.77.32");
    CHECK(WAIT_FOR(node_rows("itn-del1", true) && node_rows("itn-del2", true)),
          "itn-del1's and itn-del2's ports and routes");

    delete_node("itn-del2");
    CHECK(WAIT_FOR(no_port("itn-del2") && no_route("itn-del2")),
          "itn-del2's port and route gone");
    CHECK(!no_port("itn-del1") && !no_route("itn-del1"),
          "itn-del1 keeps its rows");
    CHECK(foreign_port_exists("foreign-del"), "foreign port survives");
}

static void
test_restart(void)
{
    add_foreign_port("foreign-rs");
    create_node("itn-rs1", "192.168.77.21");
    create_node("itn-rs3", "192.168.77.23");
    char *old_ip1 = node_allocated("itn-rs1");
    CHECK(WAIT_FOR(node_rows("itn-rs1", true) && node_rows("itn-rs3", true)),
          "itn-rs1's and itn-rs3's ports and routes");
    ctl_sync();
    char *before = nb_dump();
    kill(controller_pid, SIGKILL);
    itest_controller_reap(&controller_pid, 5000);

    /* While it is down: a node goes, another is edited, one comes. */
    delete_node("itn-rs3");
    annotate_node("itn-rs1", "ovn.kubernetes.io/mac_address",
                  "0a:11:22:33:44:55");
    create_node("itn-rs4", "192.168.77.24");

    ctl_start_controller();
    CHECK(WAIT_FOR(no_port("itn-rs3") && no_route("itn-rs3")),
          "itn-rs3's rows removed after restart");
    char *ip4 = check_node("itn-rs4", "192.168.77.24");
    char *ip1 = check_node("itn-rs1", "192.168.77.21");
    CHECK(ip1 && old_ip1 && !strcmp(ip1, old_ip1), "itn-rs1 keeps %s (now "
          "%s)", old_ip1 ? old_ip1 : "(none)", ip1 ? ip1 : "(none)");
    CHECK(ip4 && old_ip1 && strcmp(ip4, old_ip1),
          "itn-rs4 gets its own address");
    free(ip1);
    free(ip4);
    free(old_ip1);

    /* The same rows as before, less itn-rs3's, plus itn-rs4's: no
     * duplicates. */
    char *after = nb_dump();
    char *expected;
    itest_sh_out(&expected, "printf '%%s\\n' '%s' | grep -v itn-rs3",
                 before);
    char *after_old;
    itest_sh_out(&after_old, "printf '%%s\\n' '%s' | grep -v itn-rs4",
                 after);
    CHECK(!strcmp(after_old, expected), "NB after restart:\n%s\n"
          "expected:\n%s", after_old, expected);
    free(before);
    free(after);
    free(after_old);
    free(expected);
    CHECK(foreign_port_exists("foreign-rs"),
          "foreign port survives the restart");
}

static void
test_clean_exit(void)
{
    ctl_check_clean_exit();
}

/* ---- the program ---- */

/* The cases' Nodes carry LABEL: what an earlier run against the same
 * apiserver left goes before the controller starts, and at the end. */
static void
purge(void)
{
    itest_delete_all(client, &k8s_nodes, NULL, LABEL);
}

static void
setup(void)
{
    ctl_fixture_init("kovn-node", false);
    itest_namespace_create(client, "kube-system");
    purge();
    ctl_delete_events("default", "Node");
}

static const struct itest_case_def cases[] = {
    { "three-nodes", test_nodes },
    { "trace", test_trace },
    { "edited", test_edited },
    { "delete-node", test_delete },
    { "restart", test_restart },
    { "clean-exit", test_clean_exit },
};

ITEST_MAIN(ctl_main, cases, setup, purge)
