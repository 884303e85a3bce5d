/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller under faults, end to end: the real binary against the
 * kube-apiserver of with-k8s.sh and an NB ovsdb-server this test starts.
 *
 *   - The NB ovsdb-server stops for 10 s in the middle of a burst of pod
 *     creations, then comes back with its database: the same controller
 *     process recovers by itself.
 *   - The controller is SIGKILLed in the middle of a storm of 1,000 pod
 *     creations and deletions and started again while the storm goes on.
 *
 * Each time the end state must be exact: every live pod annotated with a
 * unique address, exactly one port per pod carrying those addresses, no
 * orphan port or IP resource, and ovn-default's status counting its pods.
 *
 * Every case makes its own pods, in a namespace of its own, and can run
 * alone.  Usage:
 *
 *     test-controller-storm [-v] [--list] [CASE...]
 *
 * with no CASE runs them all, in order; --list prints their names.  To run
 * one case, after "ninja -C build":
 *
 *     KOVN_TEST_DIR=$PWD/tests/integration \
 *     KOVN_CONTROLLER=$PWD/build/controller/kovn-controller \
 *     tests/integration/with-k8s.sh \
 *         build/tests/integration/test-controller-storm nb-outage
 *
 * or through meson, which sets the environment:
 *
 *     tests/integration/with-k8s.sh meson test -C build controller-storm \
 *         --test-args nb-outage
 *
 * Environment: KOVN_TEST_DIR, KOVN_CONTROLLER, KOVN_TEST_KUBECONFIG. */

#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-fixture.h"
#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define ANN "ovn.kubernetes.io/"

/* The cases' namespaces. */
#define NS_OUTAGE "storm-outage"
#define NS_KILL "storm-kill"
#define NS_CLEAN "storm-clean"
static const char *const namespaces[] = { NS_OUTAGE, NS_KILL, NS_CLEAN };

/* How long the end state may take to settle (generous: ASan, 2 cores). */
#define SETTLE_MS 180000

static void
noop_cb(struct k8s_request *req OVS_UNUSED,
        const struct k8s_response *r OVS_UNUSED, void *aux OVS_UNUSED)
{
}

/* ---- the end state ---- */

/* Adds to 'ports' kovn's pod ports in NB, port name -> "MAC IP" (malloc'd),
 * noting a name seen twice in 'why'.  Returns false on a duplicate. */
static bool
nb_pod_ports(struct shash *ports, struct ds *why)
{
    char *out;
    itest_sh_out(&out, "ovn-nbctl --db=unix:%s/nb.sock --bare --format=csv "
                 "--columns=name,addresses find logical_switch_port "
                 "external_ids:vendor=kovn | grep -v -- '-ovn-cluster,' | "
                 "grep -v '^node-'", dir);
    bool ok = true;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char *comma = strchr(l, ',');
        if (!comma) {
            continue;
        }
        *comma = '\0';
        if (!shash_add_once(ports, l, xstrdup(comma + 1))) {
            ds_put_format(why, "port %s twice\n", l);
            ok = false;
        }
    }
    free(out);
    return ok;
}

/* Compares every scheduled pod with 'ports' (emptied of the pods' own):
 * annotated, with an address no other pod has, and a port holding its MAC
 * and address.  Returns the number of pods in ovn-default in '*n_default'
 * and the pods' port names in 'live'. */
static bool
check_pods(struct shash *ports, struct sset *live, size_t *n_default,
           struct ds *why)
{
    struct k8s_request *req = k8s_list(client, &k8s_pods, NULL, NULL,
                                       NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    const struct json *items = json_get_member(r->body, "items");
    struct sset ips = SSET_INITIALIZER(&ips);
    bool ok = k8s_response_ok(r);
    for (size_t i = 0; items && i < items->array.n; i++) {
        const struct json *p = items->array.elems[i];
        if (!json_get_string(p, "spec.nodeName")) {
            continue;
        }
        char *port = xasprintf("%s.%s", k8s_obj_name(p),
                               k8s_obj_namespace(p));
        const char *alloc = k8s_obj_annotation(p, ANN "allocated");
        const char *ip = k8s_obj_annotation(p, ANN "ip_address");
        const char *mac = k8s_obj_annotation(p, ANN "mac_address");
        const char *ls = k8s_obj_annotation(p, ANN "logical_switch");
        char *have = shash_find_and_delete(ports, port);
        char *want = xasprintf("%s %s", mac ? mac : "", ip ? ip : "");
        sset_add(live, port);
        if (!alloc || !ip || !mac) {
            ds_put_format(why, "%s not allocated\n", port);
            ok = false;
        } else if (!sset_add(&ips, ip)) {
            ds_put_format(why, "%s duplicate %s\n", port, ip);
            ok = false;
        } else if (!have || strcmp(have, want)) {
            ds_put_format(why, "%s: port %s, annotations %s\n", port,
                          have ? have : "missing", want);
            ok = false;
        }
        *n_default += ls && !strcmp(ls, "ovn-default");
        free(want);
        free(have);
        free(port);
    }
    k8s_request_destroy(req);
    sset_destroy(&ips);
    return ok;
}

/* True if the IP resources are exactly those of the pods in 'live'. */
static bool
check_ip_resources(const struct sset *live, struct ds *why)
{
    struct k8s_request *req = k8s_list(client, &kubeovn_ips, NULL, NULL,
                                       NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    const struct json *items = json_get_member(r->body, "items");
    size_t n = items ? items->array.n : 0;
    bool ok = k8s_response_ok(r);
    for (size_t i = 0; i < n; i++) {
        const char *name = k8s_obj_name(items->array.elems[i]);
        if (!sset_contains(live, name)) {
            ds_put_format(why, "orphan IP resource %s\n", name);
            ok = false;
        }
    }
    if (n != sset_count(live)) {
        ds_put_format(why, "%"PRIuSIZE" IP resources for %"PRIuSIZE
                      " pods\n", n, sset_count(live));
        ok = false;
    }
    k8s_request_destroy(req);
    return ok;
}

/* True if ovn-default's status counts 'n' addresses in use. */
static bool
check_default_count(size_t n, struct ds *why)
{
    struct json *s = itest_get(client, &kubeovn_subnets, NULL,
                               "ovn-default");
    int64_t using = -1;
    json_get_int(s, "status.v4usingIPs", &using);
    json_destroy(s);
    if (using != (int64_t) n) {
        ds_put_format(why, "ovn-default's status: %"PRId64" using, %"PRIuSIZE
                      " pods\n", using, n);
        return false;
    }
    return true;
}

/* The end state described at the top; what is wrong goes to 'why'. */
static bool
consistent(struct ds *why)
{
    struct shash ports = SHASH_INITIALIZER(&ports);
    struct sset live = SSET_INITIALIZER(&live);
    size_t n_default = 0;
    bool ok = nb_pod_ports(&ports, why);
    ok = check_pods(&ports, &live, &n_default, why) && ok;

    struct shash_node *node;
    SHASH_FOR_EACH (node, &ports) {
        ds_put_format(why, "orphan port %s\n", node->name);
        ok = false;
    }
    shash_destroy_free_data(&ports);

    ok = check_ip_resources(&live, why) && ok;
    ok = check_default_count(n_default, why) && ok;
    sset_destroy(&live);
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

/* Waits for the end state; checks it, saying what is wrong if it never
 * came, and returns how long it took in ms. */
static long long int
check_settles(const char *what)
{
    long long int start = time_msec();
    bool ok = ITEST_WAIT_FOR(consistent_quiet(), SETTLE_MS);
    long long int elapsed = time_msec() - start;
    struct ds why = DS_EMPTY_INITIALIZER;
    ok = consistent(&why) && ok;
    CHECK(ok, "%s: every live pod one unique address and one port that "
          "carries it, no orphan port or IP resource, counts right:\n%s",
          what, ds_cstr(&why));
    ds_destroy(&why);
    return elapsed;
}

/* ---- the storm ---- */

static void
create_async(const char *ns, const char *name)
{
    struct json *p = ctl_pod_json(name, "{}", "");
    k8s_create(client, &k8s_pods, ns, p, noop_cb, NULL);
    json_destroy(p);
}

static void
delete_async(const char *ns, const char *name)
{
    char *url = ctl_pod_delete_url(ns, name);
    k8s_client_request(client, K8S_DELETE, url, NULL, noop_cb, NULL);
    free(url);
}

/* Pods in 'ns', and how many of them are annotated, for the log. */
static void
count_pods(const char *ns, size_t *n, size_t *n_allocated)
{
    struct k8s_request *req = k8s_list(client, &k8s_pods, ns, NULL, NULL,
                                       NULL);
    const struct k8s_response *r = itest_wait(client, req);
    const struct json *items = json_get_member(r->body, "items");
    *n = *n_allocated = 0;
    for (size_t i = 0; items && i < items->array.n; i++) {
        const char *a = k8s_obj_annotation(items->array.elems[i],
                                           ANN "allocated");
        *n += 1;
        *n_allocated += a && !strcmp(a, "true");
    }
    k8s_request_destroy(req);
}

static bool
controller_alive(void)
{
    return itest_controller_reap(&controller_pid, 0) < 0;
}

/* ---- cases ---- */

/* The NB goes down in the middle of a burst of pod creations and stays
 * down until the controller's work has piled up behind it and its
 * reconnection backoff has grown (OVS's reconnect logs each wait). */
static void
test_outage(void)
{
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "o%d", i);
        create_async(NS_OUTAGE, name);
        if (i == 99) {
            itest_drain(client, 60000);
            if (itest_sh("%s stop-nb %s", env_script, dir)) {
                itest_fatal("could not stop the NB");
            }
        }
    }
    itest_drain(client, 60000);
    CHECK(ITEST_WAIT_FOR(!itest_sh("grep -q 'waiting 4 seconds before "
                                   "reconnect' %s/controller.log", dir),
                         60000),
          "the controller backs off reconnecting to the NB (4 s)");
    size_t n, n_allocated;
    count_pods(NS_OUTAGE, &n, &n_allocated);
    printf("NB back with %"PRIuSIZE" of %"PRIuSIZE" pods annotated\n",
           n_allocated, n);
    if (itest_sh("%s start-nb %s", env_script, dir)) {
        itest_fatal("could not start the NB again");
    }
    long long int ms = check_settles("after the NB came back");
    printf("settled %lld ms after the NB came back\n", ms);
    CHECK(controller_alive(), "the same controller process recovered");
}

/* kill -9 during 1,000 creations and deletions. */
static void
test_restart_storm(void)
{
    long long int start = time_msec();
    char name[32];
    /* Every third pod is deleted 100 creations later (its creation is done
     * by then: requests in flight may pass each other).  The controller
     * dies halfway and comes back while the storm goes on; the client
     * drains every 100 pods, so that both land in the middle of it. */
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%d", i);
        create_async(NS_KILL, name);
        if (i >= 100 && i % 3 == 0) {
            snprintf(name, sizeof name, "s%d", i - 100);
            delete_async(NS_KILL, name);
        }
        if (i % 100 == 99) {
            itest_drain(client, 60000);
        }
        if (i == 499) {
            kill(controller_pid, SIGKILL);
            itest_controller_reap(&controller_pid, 5000);
            size_t n, n_allocated;
            count_pods(NS_KILL, &n, &n_allocated);
            printf("killed with %"PRIuSIZE" of %"PRIuSIZE" pods annotated\n",
                   n_allocated, n);
        } else if (i == 699) {
            ctl_start_controller();
        }
    }
    itest_drain(client, 60000);
    long long int sent = time_msec() - start;
    long long int ms = check_settles("after the storm");
    printf("storm: API requests done in %lld ms; settled %lld ms later\n",
           sent, ms);
}

/* 100 pods come and at once go, with those the other cases left. */
static void
test_cleanup(void)
{
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "c%d", i);
        create_async(NS_CLEAN, name);
    }
    itest_drain(client, 60000);
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
    }
    check_settles("all pods deleted");
}

static void
test_clean_exit(void)
{
    ctl_check_clean_exit();
}

/* ---- the program ---- */

/* What an earlier run against the same apiserver left goes before the
 * controller starts, and at the end. */
static void
purge(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_delete_all(client, &k8s_pods, namespaces[i], "");
    }
    itest_delete_all(client, &kubeovn_ips, NULL, "");
}

static void
setup(void)
{
    ctl_fixture_init("kovn-storm", false);
    itest_namespace_create(client, "kube-system");
    for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
        itest_namespace_create(client, namespaces[i]);
    }
    purge();
}

/* Before the first case: the controller is up, with ovn-default. */
static void
test_startup(void)
{
    CHECK(ITEST_WAIT_FOR(itest_nb_is(dir, "kovn", "get logical_switch "
                                     "ovn-default external_ids:vendor"),
                         30000), "ovn-default's switch");
}

static const struct itest_case_def cases[] = {
    { "startup", test_startup },
    { "nb-outage", test_outage },
    { "kill-storm", test_restart_storm },
    { "clean-up", test_cleanup },
    { "clean-exit", test_clean_exit },
};

ITEST_MAIN(ctl_main, cases, setup, purge)
