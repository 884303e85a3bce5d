/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "controller.h"

#include <stdarg.h>
#include <sys/socket.h>
#include <string.h>

#include "cluster.h"
#include "deps.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-event.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-leader.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "nb/nb-index.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "reconciler.h"
#include "sync.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(controller);

#define LEASE_NAME "kovn-controller"

const char *
startup_phase_name(enum startup_phase phase)
{
    switch (phase) {
    case PHASE_WAITING: return "waiting";
    case PHASE_CLUSTER: return "cluster";
    case PHASE_NETWORKS: return "networks";
    case PHASE_RUNNING: return "running";
    }
    return "unknown";
}

/* ---- informers: every event goes to the dependency table ---- */

static void
dispatch(const struct controller_input_aux *ia, const struct json *old,
         const struct json *new)
{
    char *key = k8s_obj_key(new ? new : old);
    if (key) {
        struct dep_event ev = { ia->input, old, new, key };
        deps_dispatch(ia->c, &ev);
        free(key);
    }
}

static void
on_add(const struct json *obj, void *ia)
{
    dispatch(ia, NULL, obj);
}

static void
on_update(const struct json *old, const struct json *new, void *ia)
{
    dispatch(ia, old, new);
}

static void
on_delete(const struct json *obj, void *ia)
{
    dispatch(ia, obj, NULL);
}

static const struct k8s_informer_handlers informer_handlers = {
    on_add, on_update, on_delete,
};

struct k8s_informer *
controller_cache(const struct controller *c, enum controller_input input)
{
    ovs_assert(input < N_INFORMERS);
    return c->informers[input];
}

bool
controller_family_in_use(const struct controller *c, int family)
{
    int af = family == 4 ? AF_INET : AF_INET6;
    struct ip_cidr cidrs[2];
    size_t n = 0;
    char *error = cidr_parse_block(c->opts.default_cidr, cidrs, &n);
    free(error);
    for (size_t i = 0; i < n; i++) {
        if (cidrs[i].family == af) {
            return true;
        }
    }
    return c->join_cidr.family == af;
}

void
controller_signal(struct controller *c, enum controller_input input,
                  const char *key)
{
    struct dep_event ev = { .input = input, .key = key };
    deps_dispatch(c, &ev);
}

/* ---- creation ---- */

void
controller_options_init(struct controller_options *o)
{
    memset(o, 0, sizeof *o);
    o->default_subnet = xstrdup("ovn-default");
    o->default_cidr = xstrdup("10.16.0.0/16");
    o->default_gateway = xstrdup("10.16.0.1");
    o->default_excludes = xstrdup("");
    o->join_cidr = xstrdup("100.64.0.0/16");
    o->service_cidr = xstrdup("10.96.0.0/12");
    o->cluster_router = xstrdup("ovn-cluster");
    o->leader_namespace = xstrdup("kube-system");
    o->lease_duration_ms = 15000;
    o->gc_interval_ms = 300 * 1000;
}

static void
create_informers(struct controller *c)
{
    for (int i = 0; i < N_INFORMERS; i++) {
        const struct informer_spec *spec = &informer_specs[i];
        struct k8s_informer_options o = { .transform = spec->transform,
                                          .namespace = spec->namespace };
        c->informer_aux[i] = (struct controller_input_aux) { c, i };
        c->informers[i] = k8s_informer_create(c->client, spec->resource, &o,
                                              &informer_handlers,
                                              &c->informer_aux[i]);
        for (size_t j = 0; j < ARRAY_SIZE(spec->indexes); j++) {
            if (spec->indexes[j].name) {
                k8s_informer_add_index(c->informers[i], spec->indexes[j].name,
                                       spec->indexes[j].func);
            }
        }
    }
}

static void
connect_nb(struct controller *c)
{
    char *error = ovn_idl_create(&nbrec_idl_class, c->opts.nb_remotes, false,
                                 &c->nb);
    if (error) {
        ovs_fatal(0, "--ovn-nb-remotes=%s: %s", c->opts.nb_remotes, error);
    }
    /* Only the tables the reconcilers read, to save memory at scale. */
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_switch);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_switch_port);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router_port);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router_static_route);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router_policy);
    ovn_idl_monitor_table(c->nb, &nbrec_table_address_set);
    ovn_idl_monitor_table(c->nb, &nbrec_table_port_group);
    ovn_idl_monitor_table(c->nb, &nbrec_table_acl);
    ovn_idl_monitor_table(c->nb, &nbrec_table_meter);
    ovn_idl_monitor_table(c->nb, &nbrec_table_meter_band);
    ovn_idl_monitor_table(c->nb, &nbrec_table_load_balancer);
    ovn_idl_monitor_table(c->nb, &nbrec_table_load_balancer_group);
    /* Reconcilers rewrite what they want on every pass: writes of values a
     * row has already are dropped, so that they neither cost the IDL a
     * re-parse of the row (a switch's 'ports' hold every pod's port) nor
     * hide the row from the name indexes for the transaction. */
    ovsdb_idl_set_write_changed_only_all(c->nb->idl, true);
    c->nbi = nb_index_create(c->nb->idl, NB_INDEX_ACL | NB_INDEX_LB);
}

struct controller *
controller_create(struct controller_options *opts, bool connect_api,
                  struct unixctl_server *unixctl)
{
    struct controller *c = xzalloc(sizeof *c);
    c->opts = *opts;
    memset(opts, 0, sizeof *opts);
    ovs_assert(!cidr_parse(c->opts.join_cidr, &c->join_cidr, NULL));
    hmap_init(&c->api_calls);
    svec_init(&c->api_log);
    ovs_list_init(&c->syncs);
    c->phase = PHASE_WAITING;

    if (connect_api) {
        char *error;
        c->client = k8s_client_connect(c->opts.kubeconfig, &error);
        if (!c->client) {
            ovs_fatal(0, "%s", error);
        }
        struct k8s_leader_options lo = {
            .namespace = c->opts.leader_namespace,
            .name = LEASE_NAME,
            .identity = c->opts.identity,
            .lease_duration_ms = c->opts.lease_duration_ms,
            .renew_deadline_ms = c->opts.lease_duration_ms * 2 / 3,
            .retry_ms = c->opts.lease_duration_ms / 7,
        };
        c->leader = k8s_leader_create(c->client, &lo);
    }
    connect_nb(c);
    c->ipam = ipam_create();
    if (c->client) {
        c->events = k8s_event_recorder_create(c->client, "kovn-controller",
                                              c->opts.identity);
    }
    create_informers(c);
    c->cluster = cluster_create(c);
    for (int i = 0; i < N_KINDS; i++) {
        c->kinds[i] = kind_create(kind_classes[i], c);
    }
    sync_register(c, unixctl);
    return c;
}

static void
api_cancel_all(struct controller *);

static void
options_destroy(struct controller_options *o)
{
    free(o->kubeconfig);
    free(o->nb_remotes);
    free(o->default_subnet);
    free(o->default_cidr);
    free(o->default_gateway);
    free(o->default_excludes);
    free(o->join_cidr);
    free(o->service_cidr);
    free(o->cluster_router);
    free(o->leader_namespace);
    free(o->identity);
    free(o->unixctl_path);
}

void
controller_destroy(struct controller *c)
{
    if (!c) {
        return;
    }
    sync_cancel_all(c);
    /* A transaction in flight may still land; the next leader re-syncs. */
    ovn_txn_destroy(c->txn);
    api_cancel_all(c);
    for (int i = 0; i < N_KINDS; i++) {
        kind_destroy(c->kinds[i]);
    }
    cluster_destroy(c->cluster);
    for (int i = 0; i < N_INFORMERS; i++) {
        k8s_informer_destroy(c->informers[i]);
    }
    k8s_event_recorder_destroy(c->events);
    ipam_destroy(c->ipam);
    nb_index_destroy(c->nbi);
    ovn_idl_destroy(c->nb);
    if (c->leader && !k8s_leader_lost(c->leader)) {
        k8s_leader_release(c->leader, 5000);
    }
    k8s_leader_destroy(c->leader);
    k8s_client_destroy(c->client);
    hmap_destroy(&c->api_calls);
    svec_destroy(&c->api_log);
    options_destroy(&c->opts);
    free(c);
}

/* ---- start-up phases (startup.h) ---- */

static bool
caches_synced(const struct controller *c)
{
    for (int i = 0; i < N_INFORMERS; i++) {
        if (!k8s_informer_has_synced(c->informers[i])) {
            return false;
        }
    }
    return true;
}

static bool
leading(const struct controller *c)
{
    return !c->leader || k8s_leader_is_leader(c->leader);
}

static void
enter_phase(struct controller *c, enum startup_phase phase)
{
    VLOG_INFO("start-up: %s", startup_phase_name(phase));
    c->phase = phase;
    for (int i = 0; i < N_KINDS; i++) {
        if (c->kinds[i]->class->phase == phase) {
            kind_enqueue_all(c->kinds[i]);
        }
    }
}

/* True if every kind that works before 'phase' (every kind, if 'phase' is
 * -1) is idle. */
static bool
kinds_idle_before(const struct controller *c, int phase)
{
    for (int i = 0; i < N_KINDS; i++) {
        if ((phase < 0 || (int) c->kinds[i]->class->phase < phase)
            && !kind_is_idle(c->kinds[i])) {
            return false;
        }
    }
    return true;
}

static void
collect_garbage(struct controller *c)
{
    for (int i = 0; i < N_KINDS; i++) {
        if (c->kinds[i]->class->gc) {
            c->kinds[i]->class->gc(c->kinds[i]);
        }
    }
    c->next_gc = time_msec() + c->opts.gc_interval_ms;
}

/* The IPAM holds every Subnet: rebuild what the kinds keep in memory before
 * any allocation, resync every kind with it, collect garbage. */
static void
start_running(struct controller *c)
{
    c->phase = PHASE_RUNNING;
    for (int i = 0; i < N_KINDS; i++) {
        if (c->kinds[i]->class->rebuild) {
            c->kinds[i]->class->rebuild(c->kinds[i]);
        }
    }
    VLOG_INFO("start-up: %s", startup_phase_name(PHASE_RUNNING));
    for (int i = 0; i < N_KINDS; i++) {
        kind_enqueue_all(c->kinds[i]);
    }
    collect_garbage(c);
}

/* True if the phase after CLUSTER or NETWORKS may start now: the pass that
 * made it so may have ended with nothing else to wake the loop. */
static bool
startup_due(const struct controller *c)
{
    return !c->txn
           && ((c->phase == PHASE_CLUSTER && c->router)
               || (c->phase == PHASE_NETWORKS
                   && kinds_idle_before(c, PHASE_RUNNING)));
}

static void
startup_advance(struct controller *c)
{
    switch (c->phase) {
    case PHASE_WAITING:
        if (leading(c) && ovn_idl_state(c->nb) == OVN_IDL_SYNCED
            && caches_synced(c)) {
            VLOG_INFO("%s leads: reconciling (NB and caches synced)",
                      c->opts.identity);
            enter_phase(c, PHASE_CLUSTER);
        }
        break;
    case PHASE_CLUSTER:
        if (c->router) {
            enter_phase(c, PHASE_NETWORKS);
        }
        break;
    case PHASE_NETWORKS:
        if (kinds_idle_before(c, PHASE_RUNNING)) {
            start_running(c);
        }
        break;
    case PHASE_RUNNING:
        if (time_msec() >= c->next_gc) {
            collect_garbage(c);
        }
        break;
    }
}

/* ---- the NB transaction of a pass ---- */

static void
txn_done(struct controller *c, struct ovn_txn *t,
         enum ovsdb_idl_txn_status status)
{
    if (status == TXN_ERROR) {
        VLOG_WARN("NB transaction failed: %s", ovn_txn_error(t));
    }
    cluster_txn_done(c->cluster, status);
    for (int i = 0; i < N_KINDS; i++) {
        kind_txn_done(c->kinds[i], status);
    }
    ovn_txn_destroy(t);
}

/* One NB transaction at a time, shared by the cluster set-up and every
 * kind that works in this phase. */
static void
reconcile_pass(struct controller *c)
{
    if (c->txn) {
        enum ovsdb_idl_txn_status status = ovn_txn_status(c->txn);
        if (status == TXN_INCOMPLETE) {
            return;
        }
        txn_done(c, c->txn, status);
        c->txn = NULL;
    }

    struct ovn_txn *t = ovn_txn_begin(c->nb);
    c->router = cluster_run(c->cluster, t);
    c->lb_groups = cluster_lb_groups(c->cluster);
    startup_advance(c);
    if (c->router) {
        for (int i = 0; i < N_KINDS; i++) {
            if (c->phase >= c->kinds[i]->class->phase) {
                kind_run(c->kinds[i], t);
            }
        }
    }
    ovn_txn_commit(t);

    enum ovsdb_idl_txn_status status = ovn_txn_status(t);
    if (status == TXN_INCOMPLETE) {
        c->txn = t;                 /* Settled on a later pass. */
    } else {
        txn_done(c, t, status);     /* Nothing to write, or failed. */
    }
}

bool
controller_run(struct controller *c)
{
    if (c->client) {
        k8s_client_run(c->client);
    }
    ovn_idl_run(c->nb);
    for (int i = 0; i < N_INFORMERS; i++) {
        k8s_informer_run(c->informers[i]);
    }
    if (c->leader) {
        k8s_leader_run(c->leader);
        if (k8s_leader_lost(c->leader)) {
            /* Another replica may be writing already: stop at once, as
             * client-go's controllers do, and let the restart re-sync. */
            VLOG_ERR("lost the lease: exiting");
            return false;
        }
    }
    if (c->phase == PHASE_WAITING) {
        startup_advance(c);
    }
    if (c->phase > PHASE_WAITING) {
        reconcile_pass(c);
    }
    sync_run(c);
    return true;
}

void
controller_wait(struct controller *c)
{
    if (c->client) {
        k8s_client_wait(c->client);
    }
    ovn_idl_wait(c->nb);
    for (int i = 0; i < N_INFORMERS; i++) {
        k8s_informer_wait(c->informers[i]);
    }
    if (c->leader) {
        k8s_leader_wait(c->leader);
    }
    if (c->phase == PHASE_WAITING) {
        return;                     /* Informers, NB and the Lease wake us. */
    }
    cluster_wait(c->cluster);
    if (startup_due(c)) {
        poll_immediate_wake();
    }
    if (c->txn) {
        ovn_txn_wait(c->txn);
    } else if (c->router) {
        /* Else the kinds wait for the router, that is, for NB. */
        for (int i = 0; i < N_KINDS; i++) {
            if (c->phase >= c->kinds[i]->class->phase) {
                kind_wait(c->kinds[i]);
            }
        }
        if (c->phase == PHASE_RUNNING) {
            poll_timer_wait_until(c->next_gc);
        }
    }
}

bool
controller_is_idle(const struct controller *c)
{
    return c->phase == PHASE_RUNNING && !c->txn
           && hmap_is_empty(&c->api_calls) && cluster_is_idle(c->cluster)
           && kinds_idle_before(c, -1);
}

void
controller_event(struct controller *c, const struct k8s_resource *res,
                 const struct json *obj, const char *type,
                 const char *reason, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);
    if (c->events) {
        k8s_event_record(c->events, res, obj, type, reason, "%s", msg);
    } else {
        svec_add_nocopy(&c->api_log, xasprintf("EVENT %s %s %s", type,
                                               reason, msg));
    }
    free(msg);
}

/* ---- API writes ---- */

struct api_call {
    struct hmap_node node;          /* In controller's 'api_calls'. */
    struct controller *c;
    struct k8s_request *req;
    struct k8s_workqueue *queue;
    char *key;
};

static void
api_call_free(struct api_call *call)
{
    hmap_remove(&call->c->api_calls, &call->node);
    free(call->key);
    free(call);
}

static void
api_done(struct k8s_request *req OVS_UNUSED, const struct k8s_response *r,
         void *call_)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);
    struct api_call *call = call_;

    if (k8s_response_ok(r)) {
        k8s_workqueue_forget(call->queue, call->key);
    } else if (r->status == 409) {
        /* Conflict: the write was computed from an older version of the
         * object (a Subnet's finalizers, racing our own status write), or
         * created what exists already.  Expected with optimistic
         * concurrency: the reconciler looks again at the newer object. */
        VLOG_DBG("writing %s: %s", call->key, r->error);
        k8s_workqueue_add_rate_limited(call->queue, call->key);
    } else if (r->status != 404) {  /* Gone: its deletion is queued. */
        VLOG_WARN_RL(&rl, "writing %s: %s", call->key, r->error);
        k8s_workqueue_add_rate_limited(call->queue, call->key);
    }
    api_call_free(call);
}

static const char *
method_name(int method)
{
    switch (method) {
    case K8S_GET: return "GET";
    case K8S_POST: return "POST";
    case K8S_PUT: return "PUT";
    case K8S_DELETE: return "DELETE";
    case K8S_PATCH_MERGE: return "PATCH";
    default: return "?";
    }
}

struct k8s_request *
api_write(struct controller *c, int method, const char *path,
          const struct json *body, struct k8s_workqueue *queue,
          const char *key)
{
    if (!c->client) {
        char *s = body ? json_to_string(body, JSSF_SORT) : xstrdup("");
        svec_add_nocopy(&c->api_log, xasprintf("%s %s %s", method_name(method),
                                               path, s));
        free(s);
        k8s_workqueue_forget(queue, key);
        return NULL;
    }
    struct api_call *call = xzalloc(sizeof *call);
    call->c = c;
    call->queue = queue;
    call->key = xstrdup(key);
    hmap_insert(&c->api_calls, &call->node, hash_pointer(call, 0));
    call->req = k8s_client_request(c->client, method, path, body,
                                   api_done, call);
    return call->req;
}

static void
api_cancel_all(struct controller *c)
{
    struct api_call *call;
    HMAP_FOR_EACH_SAFE (call, node, &c->api_calls) {
        k8s_request_cancel(call->req);
        api_call_free(call);
    }
}
