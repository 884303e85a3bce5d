/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's start-up, Subnet reconciler and Namespace binding,
 * end to end: the real kovn-controller binary runs as a child process
 * against the kube-apiserver of with-k8s.sh and an OVN NB ovsdb-server
 * that this test starts (ovn-env.sh); checks go through ovn-nbctl and the
 * API, as a user would look.
 *
 * Every case sets up what it needs itself (its own Subnets and namespaces)
 * and can run alone.  Usage:
 *
 *     test-controller-subnet [-v] [--list] [CASE...]
 *
 * with no CASE runs them all, in order; --list prints their names.  To run
 * one case, after "ninja -C build":
 *
 *     KOVN_TEST_DIR=$PWD/tests/integration \
 *     KOVN_CONTROLLER=$PWD/build/controller/kovn-controller \
 *     tests/integration/with-k8s.sh \
 *         build/tests/integration/test-controller-subnet foreign-rows
 *
 * or through meson, which sets the environment:
 *
 *     tests/integration/with-k8s.sh meson test -C build controller-subnet \
 *         --test-args foreign-rows
 *
 * Environment: KOVN_TEST_DIR (ovn-env.sh), KOVN_CONTROLLER (the binary),
 * KOVN_TEST_KUBECONFIG (with-k8s.sh). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-fixture.h"
#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define TIMEOUT_MS 30000


/* ---- processes ---- */


/* The shared helpers of itest.h, bound to this run's directory. */
#define sh_out itest_sh_out

static bool
nb_is(const char *want, const char *args)
{
    return itest_nb_is(dir, want, args);
}

static int
reap_controller(long long int timeout_ms)
{
    return itest_controller_reap(&controller_pid, timeout_ms);
}

/* ---- waiting ---- */

#define WAIT_FOR(COND) ITEST_WAIT_FOR(COND, TIMEOUT_MS)

/* ---- API ---- */

static struct json *
get_obj(const struct k8s_resource *res, const char *ns, const char *name)
{
    return itest_get(client, res, ns, name);
}

static void
create_subnet(const char *name, const char *cidr, const char *gateway,
              const char *excludes_json, const char *namespaces_json)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
        "\"metadata\":{\"name\":\"%s\"},"
        "\"spec\":{\"cidrBlock\":\"%s\",\"gateway\":\"%s\","
        "\"excludeIps\":%s,\"namespaces\":%s,\"protocol\":\"IPv4\"}}",
        name, cidr, gateway, excludes_json, namespaces_json);
    struct json *obj = json_from_string(text);
    struct k8s_request *req = k8s_create(client, &kubeovn_subnets, NULL,
                                         obj, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating Subnet %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(obj);
    free(text);
}

static void
delete_subnet(const char *name)
{
    struct k8s_request *req = k8s_delete(client, &kubeovn_subnets, NULL,
                                         name, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("deleting Subnet %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
}

/* The Ready condition's status ("True"/"False") of Subnet 'name', with
 * its message and v4 counts; false if the Subnet or condition is absent. */
struct ready {
    char status[8];
    char message[512];
    int64_t v4_available, v4_using;
};

static bool
subnet_ready(const char *name, struct ready *r)
{
    memset(r, 0, sizeof *r);
    struct json *obj = get_obj(&kubeovn_subnets, NULL, name);
    const struct json *conds = json_get_path(obj, "status.conditions");
    bool found = false;
    for (size_t i = 0; conds && conds->type == JSON_ARRAY
                       && i < conds->array.n; i++) {
        const struct json *c = conds->array.elems[i];
        const char *type = json_get_string(c, "type");
        if (type && !strcmp(type, "Ready")) {
            const char *s = json_get_string(c, "status");
            const char *m = json_get_string(c, "message");
            ovs_strlcpy(r->status, s ? s : "", sizeof r->status);
            ovs_strlcpy(r->message, m ? m : "", sizeof r->message);
            found = json_get_string(c, "lastTransitionTime")
                    && json_get_string(c, "lastUpdateTime");
        }
    }
    json_get_int(obj, "status.v4availableIPs", &r->v4_available);
    json_get_int(obj, "status.v4usingIPs", &r->v4_using);
    json_destroy(obj);
    return found;
}

static bool
subnet_status_is(const char *name, const char *want)
{
    struct ready r;
    return subnet_ready(name, &r) && !strcmp(r.status, want);
}

/* True if Subnet 'name' carries kovn's finalizer (Kube-OVN's name) and, if
 * 'deleting', a deletionTimestamp. */
static bool
has_finalizer(const char *name, bool deleting)
{
    struct json *obj = get_obj(&kubeovn_subnets, NULL, name);
    const struct json *list = json_get_path(obj, "metadata.finalizers");
    bool found = false;
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < list->array.n; i++) {
        const struct json *f = list->array.elems[i];
        found |= f->type == JSON_STRING
                 && !strcmp(json_string(f), "kubeovn.io/kube-ovn-controller");
    }
    bool ok = found && (!deleting || json_get_string(
                                         obj, "metadata.deletionTimestamp"));
    json_destroy(obj);
    return ok;
}

static bool
subnet_reason_is(const char *name, const char *reason)
{
    struct json *obj = get_obj(&kubeovn_subnets, NULL, name);
    const struct json *conds = json_get_path(obj, "status.conditions");
    bool ok = false;
    for (size_t i = 0; conds && conds->type == JSON_ARRAY
                       && i < conds->array.n; i++) {
        const struct json *c = conds->array.elems[i];
        const char *type = json_get_string(c, "type");
        const char *r = json_get_string(c, "reason");
        ok |= type && !strcmp(type, "Ready") && r && !strcmp(r, reason);
    }
    json_destroy(obj);
    return ok;
}

/* Number of Warning Events about Subnet 'name' with reason 'reason'. */
static size_t
count_events(const char *name, const char *reason)
{
    return itest_count_events(client, "default", "Subnet", name, "Warning",
                              reason, NULL);
}

static bool
ns_annotation_is(const char *ns, const char *key, const char *want)
{
    struct json *obj = get_obj(&k8s_namespaces, NULL, ns);
    const char *have = obj ? k8s_obj_annotation(obj, key) : NULL;
    bool ok = have && !strcmp(have, want);
    json_destroy(obj);
    return ok;
}

/* ---- NB checks ---- */

static bool
switch_exists(const char *name)
{
    char *args = xasprintf("--bare --columns=name find logical_switch "
                           "name=%s", name);
    bool ok = nb_is(name, args);
    free(args);
    return ok;
}

static bool
no_rows_named(const char *table, const char *name)
{
    char *args = xasprintf("--bare --columns=_uuid find %s name=%s",
                           table, name);
    bool ok = nb_is("", args);
    free(args);
    return ok;
}

/* A network's three rows exist with the values Kube-OVN gives them. */
static void
check_network(const char *name, const char *lrp_network, const char *cidr,
              const char *exclude_ips)
{
    char *args;

    args = xasprintf("get logical_switch %s external_ids:vendor "
                     "external_ids:subnet", name);
    char *want = xasprintf("kovn\n%s", name);
    CHECK(nb_is(want, args), "switch %s owner stamp", name);
    free(want);
    free(args);

    if (cidr) {
        args = xasprintf("get logical_switch %s other_config:subnet", name);
        want = xasprintf("\"%s\"", cidr);
        CHECK(nb_is(want, args), "switch %s other_config:subnet", name);
        free(want);
        free(args);
    }
    if (exclude_ips) {
        args = xasprintf("get logical_switch %s other_config:exclude_ips",
                         name);
        want = xasprintf("\"%s\"", exclude_ips);
        CHECK(nb_is(want, args), "switch %s other_config:exclude_ips",
              name);
        free(want);
        free(args);
    }

    args = xasprintf("get logical_router_port ovn-cluster-%s networks "
                     "external_ids:vendor", name);
    want = xasprintf("[\"%s\"]\nkovn", lrp_network);
    CHECK(nb_is(want, args), "router port ovn-cluster-%s", name);
    free(want);
    free(args);

    args = xasprintf("--bare --columns=name find logical_router_port "
                     "name=ovn-cluster-%s", name);
    want = xasprintf("ovn-cluster-%s", name);
    CHECK(nb_is(want, args), "exactly one router port ovn-cluster-%s", name);
    free(want);
    free(args);

    args = xasprintf("get logical_switch_port %s-ovn-cluster type addresses "
                     "options:router-port external_ids:vendor", name);
    want = xasprintf("router\n[router]\novn-cluster-%s\nkovn", name);
    CHECK(nb_is(want, args), "switch port %s-ovn-cluster", name);
    free(want);
    free(args);

    /* The ports hang off the right parents. */
    char *out = ctl_nbctl("lsp-list %s", name);
    want = xasprintf("(%s-ovn-cluster)", name);
    CHECK(out && strstr(out, want), "%s's ports: %s", name,
          out ? out : "(none)");
    free(out);
    free(want);
    out = ctl_nbctl("lrp-list ovn-cluster");
    want = xasprintf("(ovn-cluster-%s)", name);
    CHECK(out && strstr(out, want), "ovn-cluster's ports lack %s", name);
    free(out);
    free(want);
}

static void
check_no_network(const char *name)
{
    char *lrp = xasprintf("ovn-cluster-%s", name);
    char *lsp = xasprintf("%s-ovn-cluster", name);
    CHECK(no_rows_named("logical_switch", name), "no switch %s", name);
    CHECK(no_rows_named("logical_router_port", lrp), "no %s", lrp);
    CHECK(no_rows_named("logical_switch_port", lsp), "no %s", lsp);
    free(lrp);
    free(lsp);
}

/* Everything kovn keeps in NB, one line per row, sorted: equal dumps mean
 * the same state, duplicates included. */
static char *
nb_dump(void)
{
    char *out;
    sh_out(&out,
           "(nb='ovn-nbctl --db=unix:%s/nb.sock --bare --format=csv';"
           " $nb --columns=name,external_ids list logical_router;"
           " $nb --columns=name,external_ids,other_config list logical_switch;"
           " $nb --columns=name,external_ids,networks,mac"
           " list logical_router_port;"
           " $nb --columns=name,external_ids,type,addresses,options"
           " list logical_switch_port) | sort", dir);
    return out;
}

/* ---- cases ---- */

static void
test_startup(void)
{
    CHECK(WAIT_FOR(nb_is("kovn", "get logical_router ovn-cluster "
                         "external_ids:vendor")),
          "router ovn-cluster with vendor=kovn");
    CHECK(WAIT_FOR(switch_exists("join")), "join switch");
    check_network("join", "100.64.0.1/16", "100.64.0.0/16", NULL);

    CHECK(WAIT_FOR(!ctl_subnet_absent("ovn-default")), "Subnet ovn-default");
    struct json *def = get_obj(&kubeovn_subnets, NULL, "ovn-default");
    bool is_default = false;
    const struct json *ex = json_get_path(def, "spec.excludeIps");
    CHECK(json_get_bool(def, "spec.default", &is_default) && is_default,
          "ovn-default has spec.default=true");
    CHECK(!strcmp(json_get_string(def, "spec.cidrBlock"), "10.16.0.0/16")
          && !strcmp(json_get_string(def, "spec.gateway"), "10.16.0.1")
          && !strcmp(json_get_string(def, "spec.protocol"), "IPv4")
          && ex && ex->type == JSON_ARRAY && ex->array.n == 1,
          "ovn-default's spec from the flags");
    json_destroy(def);

    CHECK(WAIT_FOR(subnet_status_is("ovn-default", "True")),
          "ovn-default Ready");
    CHECK(WAIT_FOR(has_finalizer("ovn-default", false)),
          "ovn-default has the finalizer kubeovn.io/kube-ovn-controller");
    /* 65536 addresses less network, broadcast and gateway. */
    struct ready r;
    WAIT_FOR(subnet_ready("ovn-default", &r) && r.v4_available == 65533
             && r.v4_using == 0);
    CHECK(r.v4_available == 65533 && r.v4_using == 0,
          "ovn-default counts %"PRId64" available, %"PRId64" using",
          r.v4_available, r.v4_using);
    check_network("ovn-default", "10.16.0.1/16", "10.16.0.0/16",
                  "10.16.0.1");
}

static void
test_new_subnet(void)
{
    create_subnet("s1", "10.17.0.0/24", "10.17.0.1",
                  "[\"10.17.0.1..10.17.0.10\"]", "[]");
    CHECK(WAIT_FOR(subnet_status_is("s1", "True")), "s1 Ready");
    struct ready r;
    subnet_ready("s1", &r);
    /* 256 less network, broadcast, and .1 to .10 (the gateway among). */
    CHECK(r.v4_available == 244 && r.v4_using == 0,
          "s1 counts %"PRId64" available", r.v4_available);
    check_network("s1", "10.17.0.1/24", "10.17.0.0/24",
                  "10.17.0.1..10.17.0.10");
}

static void
check_rejected(const char *name, const char *message_part)
{
    CHECK(WAIT_FOR(subnet_status_is(name, "False")), "%s Ready=False", name);
    struct ready r;
    subnet_ready(name, &r);
    CHECK(strstr(r.message, message_part), "%s message \"%s\" lacks \"%s\"",
          name, r.message, message_part);
    CHECK(WAIT_FOR(count_events(name, "ValidateFailed") == 1),
          "one Warning Event for %s", name);
    check_no_network(name);
}

static const char *const bad_subnets[] = {
    "bad-overlap", "bad-join", "bad-gw", "bad-ex", "bad-cidr",
};

static void
test_bad_subnets(void)
{
    create_subnet("bad-overlap", "10.16.5.0/24", "10.16.5.1", "[]", "[]");
    create_subnet("bad-join", "100.64.1.0/24", "100.64.1.1", "[]", "[]");
    create_subnet("bad-gw", "10.18.0.0/24", "10.19.0.1", "[]", "[]");
    create_subnet("bad-ex", "10.20.0.0/24", "10.20.0.1",
                  "[\"10.20.0.300\"]", "[]");
    create_subnet("bad-cidr", "10.21.0.0/33", "10.21.0.1", "[]", "[]");
    check_rejected("bad-overlap", "overlaps Subnet ovn-default");
    check_rejected("bad-join", "overlaps the join network");
    check_rejected("bad-gw", "gateway 10.19.0.1 is not inside");
    check_rejected("bad-ex", "10.20.0.300");
    check_rejected("bad-cidr", "invalid cidrBlock");

    /* The older Subnet is untouched by the younger one's overlap. */
    CHECK(subnet_status_is("ovn-default", "True"), "ovn-default Ready");

    /* Fixed: the same Subnet comes up.  (The deletion waits for kovn to
     * remove its finalizer, which it does at once: nothing uses it.) */
    delete_subnet("bad-cidr");
    CHECK(WAIT_FOR(ctl_subnet_absent("bad-cidr")), "bad-cidr deleted");
    create_subnet("bad-cidr", "10.21.0.0/24", "10.21.0.1", "[]", "[]");
    CHECK(WAIT_FOR(subnet_status_is("bad-cidr", "True")),
          "bad-cidr Ready once fixed");
    CHECK(WAIT_FOR(switch_exists("bad-cidr")), "bad-cidr's switch");

    /* They go while the controller runs to remove their finalizers. */
    for (size_t i = 0; i < ARRAY_SIZE(bad_subnets); i++) {
        delete_subnet(bad_subnets[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad_subnets); i++) {
        CHECK(WAIT_FOR(ctl_subnet_absent(bad_subnets[i])), "%s deleted",
              bad_subnets[i]);
    }
}

static void
test_foreign(void)
{
    /* Switch "taken" was made by another CMS before the controller started
     * (setup()). */
    create_subnet("taken", "10.30.0.0/24", "10.30.0.1", "[]", "[]");
    CHECK(WAIT_FOR(subnet_status_is("taken", "False")), "taken Ready=False");
    struct ready r;
    subnet_ready("taken", &r);
    CHECK(strstr(r.message, "not kovn's"), "taken: %s", r.message);
    CHECK(nb_is("{}", "get logical_switch taken external_ids")
          && nb_is("{}", "get logical_switch taken other_config"),
          "foreign switch taken unchanged");
    CHECK(no_rows_named("logical_router_port", "ovn-cluster-taken"),
          "no router port for taken");
    delete_subnet("taken");
    CHECK(WAIT_FOR(ctl_subnet_absent("taken")), "taken deleted");
    ctl_sync_gone("subnets", "taken");
    CHECK(switch_exists("taken") && switch_exists("foreign"),
          "foreign switches survive");
}

static void
test_namespaces(void)
{
    create_subnet("ns-s1", "10.23.0.0/24", "10.23.0.1",
                  "[\"10.23.0.1..10.23.0.10\"]", "[\"ctl-ns1\"]");
    itest_namespace_create(client, "ctl-ns1");
    itest_namespace_create(client, "ctl-ns2");
    CHECK(WAIT_FOR(ns_annotation_is("ctl-ns1",
                                    "ovn.kubernetes.io/logical_switch",
                                    "ns-s1")), "ctl-ns1 bound to ns-s1");
    CHECK(ns_annotation_is("ctl-ns1", "ovn.kubernetes.io/cidr",
                           "10.23.0.0/24")
          && ns_annotation_is("ctl-ns1", "ovn.kubernetes.io/exclude_ips",
                              "10.23.0.1..10.23.0.10"),
          "ctl-ns1's cidr and exclude_ips");
    CHECK(WAIT_FOR(ns_annotation_is("ctl-ns2",
                                    "ovn.kubernetes.io/logical_switch",
                                    "ovn-default")), "ctl-ns2 default");
    CHECK(ns_annotation_is("ctl-ns2", "ovn.kubernetes.io/cidr",
                           "10.16.0.0/16")
          && ns_annotation_is("ctl-ns2", "ovn.kubernetes.io/exclude_ips",
                              "10.16.0.1"),
          "ctl-ns2's cidr and exclude_ips");
}

static void
test_delete(void)
{
    create_subnet("del-s1", "10.24.0.0/24", "10.24.0.1", "[]",
                  "[\"ctl-del\"]");
    itest_namespace_create(client, "ctl-del");
    CHECK(WAIT_FOR(switch_exists("del-s1")
                   && ns_annotation_is("ctl-del",
                                       "ovn.kubernetes.io/logical_switch",
                                       "del-s1")),
          "del-s1's switch, and ctl-del bound to it");

    delete_subnet("del-s1");
    CHECK(WAIT_FOR(ctl_subnet_absent("del-s1")), "del-s1 deleted: no pods in it");
    CHECK(WAIT_FOR(no_rows_named("logical_switch", "del-s1")),
          "del-s1's switch");
    check_no_network("del-s1");
    CHECK(WAIT_FOR(ns_annotation_is("ctl-del",
                                    "ovn.kubernetes.io/logical_switch",
                                    "ovn-default")),
          "ctl-del falls back to the default subnet");
    CHECK(switch_exists("foreign"), "foreign switch survives");
}

/* True if pod 'name' of ctl-fin (which Subnet "fin" binds) has annotation
 * ovn.kubernetes.io/'key' = 'want'. */
static bool
pod_ann_is(const char *name, const char *key, const char *want)
{
    char *full = xasprintf("ovn.kubernetes.io/%s", key);
    char *have = ctl_pod_ann("ctl-fin", name, full);
    bool ok = have && !strcmp(have, want);
    free(have);
    free(full);
    return ok;
}

static void
test_finalizer(void)
{
    create_subnet("fin", "10.22.0.0/24", "10.22.0.1", "[]", "[\"ctl-fin\"]");
    itest_namespace_create(client, "ctl-fin");
    CHECK(WAIT_FOR(ns_annotation_is("ctl-fin",
                                    "ovn.kubernetes.io/logical_switch",
                                    "fin")), "ctl-fin bound to fin");
    CHECK(WAIT_FOR(has_finalizer("fin", false)), "fin has the finalizer");
    ctl_create_pod("ctl-fin", "f1", "{}", "");
    CHECK(WAIT_FOR(pod_ann_is("f1", "logical_switch", "fin")
                   && pod_ann_is("f1", "allocated", "true")),
          "f1 has an address in fin");

    delete_subnet("fin");
    CHECK(WAIT_FOR(count_events("fin", "DeletionBlocked") >= 1),
          "a Warning Event says why fin stays");
    CHECK(WAIT_FOR(subnet_reason_is("fin", "DeletionBlocked")),
          "and fin's Ready condition");
    CHECK(has_finalizer("fin", true) && switch_exists("fin")
          && !no_rows_named("logical_router_port", "ovn-cluster-fin"),
          "fin and its rows stay while f1 is in it");

    /* No new pod while it waits; once fin is gone, its namespace's pods
     * go to the default subnet. */
    ctl_create_pod("ctl-fin", "f2", "{}", "");
    CHECK(WAIT_FOR(itest_count_events(client, "ctl-fin", "Pod", "f2",
                                      "Warning", "AcquireAddressFailed",
                                      "being deleted") > 0),
          "f2 refused: fin is being deleted");
    CHECK(!pod_ann_is("f2", "allocated", "true"), "f2 has no address");

    ctl_delete_pod("ctl-fin", "f1");
    CHECK(WAIT_FOR(ctl_subnet_absent("fin")), "fin gone with its last pod");
    CHECK(WAIT_FOR(no_rows_named("logical_switch", "fin")), "fin's switch");
    check_no_network("fin");
    CHECK(WAIT_FOR(pod_ann_is("f2", "logical_switch", "ovn-default")
                   && pod_ann_is("f2", "allocated", "true")),
          "f2 then has an address in ovn-default");
    itest_delete_all(client, &k8s_pods, "ctl-fin", "");
    CHECK(WAIT_FOR(no_rows_named("logical_switch_port", "f2.ctl-fin")),
          "f2's port gone with it");
}

static void
test_restart(void)
{
    create_subnet("rs-gone", "10.26.0.0/24", "10.26.0.1", "[]", "[]");
    CHECK(WAIT_FOR(subnet_status_is("rs-gone", "True")
                   && has_finalizer("rs-gone", false)
                   && switch_exists("rs-gone")),
          "rs-gone Ready, with its finalizer and switch");
    ctl_sync();
    char *before = nb_dump();
    kill(controller_pid, SIGKILL);
    reap_controller(5000);

    /* While it is down: a Subnet is deleted and a NB row is damaged. */
    delete_subnet("rs-gone");
    CHECK(has_finalizer("rs-gone", true),
          "rs-gone waits for a controller to remove its finalizer");
    free(ctl_nbctl("set logical_switch ovn-default other_config:subnet="
               "10.99.0.0/16"));

    ctl_start_controller();
    CHECK(WAIT_FOR(ctl_subnet_absent("rs-gone")), "rs-gone gone after restart");
    CHECK(WAIT_FOR(no_rows_named("logical_switch", "rs-gone")),
          "rs-gone's rows removed after restart");
    check_no_network("rs-gone");
    CHECK(WAIT_FOR(nb_is("\"10.16.0.0/16\"", "get logical_switch ovn-default"
                         " other_config:subnet")), "ovn-default repaired");

    /* The same state as before, less rs-gone's rows: no duplicates. */
    char *after = nb_dump();
    char *expected;
    sh_out(&expected, "printf '%%s\\n' '%s' | grep -v rs-gone", before);
    CHECK(!strcmp(after, expected), "NB after restart:\n%s\nexpected:\n%s",
          after, expected);
    free(before);
    free(after);
    free(expected);
    CHECK(subnet_status_is("ovn-default", "True"), "ovn-default Ready");
    CHECK(switch_exists("foreign") && switch_exists("taken"),
          "foreign switches survive the restart");
}

static void
test_clean_exit(void)
{
    ctl_check_clean_exit();

    struct json *lease = get_obj(&k8s_leases, "kube-system",
                                 "kovn-controller");
    const char *holder = json_get_string(lease, "spec.holderIdentity");
    CHECK(lease && (!holder || !*holder), "lease released (holder %s)",
          holder ? holder : "none");
    json_destroy(lease);

    /* SIGTERM is a clean exit too. */
    ctl_start_controller();
    CHECK(WAIT_FOR(nb_is("kovn", "get logical_router ovn-cluster "
                         "external_ids:vendor")), "restarted");
    ctl_sync();                 /* Leader, start-up done, nothing to do. */
    kill(controller_pid, SIGTERM);
    int status = reap_controller(15000);
    CHECK(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status),
          "SIGTERM: exit status 0, wait status %d", status);
}

static void
test_bad_flags(void)
{
    char *out;
    CHECK(sh_out(&out, "%s --no-such-flag 2>&1", controller_bin) != 0,
          "unknown flag fails");
    free(out);
    int rc = sh_out(&out, "%s --ovn-nb-remotes=unix:/x --join-cidr=1.2.3 "
                    "2>&1", controller_bin);
    CHECK(rc && strstr(out, "--join-cidr"),
          "bad --join-cidr fails with a message: %s", out);
    free(out);
    CHECK(sh_out(&out, "%s --help", controller_bin) == 0
          && strstr(out, "--ovn-nb-remotes"), "--help");
    free(out);
}

/* ---- the program ---- */

/* Every Subnet the cases make, and the namespace where one makes pods: what
 * an earlier run against the same apiserver left goes before the
 * controller starts, and again at the end. */
static const char *const subnets[] = {
    "s1", "bad-overlap", "bad-join", "bad-gw", "bad-ex", "bad-cidr",
    "taken", "ns-s1", "del-s1", "fin", "rs-gone",
};

static void
purge(void)
{
    itest_delete_all(client, &k8s_pods, "ctl-fin", "");
    for (size_t i = 0; i < ARRAY_SIZE(subnets); i++) {
        ctl_subnet_purge(subnets[i]);
    }
    ctl_delete_events("default", "Subnet");
    ctl_delete_events("ctl-fin", NULL);
}

static void
setup(void)
{
    ctl_fixture_init("kovn-ctl", false);
    itest_namespace_create(client, "kube-system");
    itest_namespace_create(client, "ctl-fin");
    purge();
    /* Switches of another CMS, there before kovn-controller starts: never
     * kovn's to touch, Subnet "taken" or not. */
    free(ctl_nbctl("ls-add foreign -- ls-add taken"));
}

static const struct itest_case_def cases[] = {
    { "bad-flags", test_bad_flags },
    { "startup", test_startup },
    { "new-subnet", test_new_subnet },
    { "bad-subnets", test_bad_subnets },
    { "foreign-rows", test_foreign },
    { "namespace-binding", test_namespaces },
    { "delete-subnet", test_delete },
    { "subnet-with-pods", test_finalizer },
    { "restart", test_restart },
    { "clean-exit", test_clean_exit },
};

ITEST_MAIN(ctl_main, cases, setup, purge)
