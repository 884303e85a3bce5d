/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "dns-sync.h"

#include <stdlib.h>
#include <string.h>

#include "dns-records.h"
#include "dns-table.h"
#include "hmapx.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "sset.h"
#include "svc/svc-model.h"
#include "svec.h"
#include "timeval.h"
#include "unbound-ctl.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(dns_sync);

#define SLICE_INDEX "service"
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

struct dns_sync {
    struct dns_sync_options opts;   /* Strings owned. */
    struct dns_zone zone;
    struct unbound_ctl *unbound;

    struct k8s_informer *services, *slices, *pods;
    struct sset dirty;              /* Owners to recompute. */
    struct dns_table *table;

    bool need_full;                 /* Full resync before anything else. */
    bool ready;                     /* A full resync succeeded. */
    pid_t unbound_pid;              /* Of the last full resync. */
    long long next_try;             /* Of a full resync, after a failure. */
    int backoff_ms;
    long long next_check;           /* Of unbound's pid. */

    /* Statistics. */
    unsigned long long n_full, n_batches, n_failures;
    unsigned long long n_removed, n_added;
    char *last_error;
};

/* ---- informers ---- */

/* Marks 'owner' (taken) dirty. */
static void
dirty_add(struct dns_sync *s, char *owner)
{
    sset_add(&s->dirty, owner);
    free(owner);
}

static void
mark_owner(struct dns_sync *s, const char *kind, const struct json *obj)
{
    char *key = k8s_obj_key(obj);
    if (key) {
        dirty_add(s, xasprintf("%s/%s", kind, key));
        free(key);
    }
}

static void
on_service(const struct json *obj, void *s)
{
    mark_owner(s, "svc", obj);
}

static void
on_service_update(const struct json *old OVS_UNUSED, const struct json *new,
                  void *s)
{
    mark_owner(s, "svc", new);
}

static void
mark_slice_service(struct dns_sync *s, const struct json *slice)
{
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    svc_index_slice_service(slice, &keys);
    for (size_t i = 0; i < keys.n; i++) {
        dirty_add(s, xasprintf("svc/%s", keys.names[i]));
    }
    svec_destroy(&keys);
}

static void
on_slice(const struct json *obj, void *s)
{
    mark_slice_service(s, obj);
}

static void
on_slice_update(const struct json *old, const struct json *new, void *s)
{
    mark_slice_service(s, old);
    mark_slice_service(s, new);
}

static void
on_pod(const struct json *obj, void *s)
{
    mark_owner(s, "pod", obj);
}

static void
on_pod_update(const struct json *old OVS_UNUSED, const struct json *new,
              void *s)
{
    mark_owner(s, "pod", new);
}

/* A pod costs kovn-dns its name and addresses only. */
static void
keep_pod_addresses(struct json *pod)
{
    static const char *const top[] = { "metadata", "status" };
    static const char *const meta[] = { "name", "namespace",
                                        "resourceVersion" };
    static const char *const status[] = { "podIP", "podIPs", "phase" };
    json_object_keep(pod, top, ARRAY_SIZE(top));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(pod, "metadata")),
                     meta, ARRAY_SIZE(meta));
    struct json *st = CONST_CAST(struct json *,
                                 json_get_member(pod, "status"));
    json_object_keep(st, status, ARRAY_SIZE(status));
}

struct dns_sync *
dns_sync_create(struct k8s_client *client, struct unbound_ctl *unbound,
                const struct dns_sync_options *opts)
{
    struct dns_sync *s = xzalloc(sizeof *s);
    s->opts.domain = xstrdup(opts->domain);
    s->opts.ttl = opts->ttl;
    s->opts.upstream = nullable_xstrdup(opts->upstream);
    s->opts.check_ms = opts->check_ms;
    s->zone.domain = s->opts.domain;
    s->zone.ttl = s->opts.ttl;
    s->unbound = unbound;
    sset_init(&s->dirty);
    s->table = dns_table_create();
    s->need_full = true;
    s->backoff_ms = BACKOFF_MIN_MS;

    static const struct k8s_informer_handlers svc_handlers = {
        .on_add = on_service, .on_update = on_service_update,
        .on_delete = on_service,
    };
    static const struct k8s_informer_handlers slice_handlers = {
        .on_add = on_slice, .on_update = on_slice_update,
        .on_delete = on_slice,
    };
    static const struct k8s_informer_handlers pod_handlers = {
        .on_add = on_pod, .on_update = on_pod_update, .on_delete = on_pod,
    };
    struct k8s_informer_options all = { .namespace = NULL };
    struct k8s_informer_options pods = { .transform = keep_pod_addresses };
    s->services = k8s_informer_create(client, &k8s_services, &all,
                                      &svc_handlers, s);
    s->slices = k8s_informer_create(client, &k8s_endpoint_slices_v1, &all,
                                    &slice_handlers, s);
    k8s_informer_add_index(s->slices, SLICE_INDEX, svc_index_slice_service);
    s->pods = k8s_informer_create(client, &k8s_pods, &pods, &pod_handlers,
                                  s);
    return s;
}

void
dns_sync_destroy(struct dns_sync *s)
{
    if (!s) {
        return;
    }
    k8s_informer_destroy(s->services);
    k8s_informer_destroy(s->slices);
    k8s_informer_destroy(s->pods);
    sset_destroy(&s->dirty);
    dns_table_destroy(s->table);
    free(CONST_CAST(char *, s->opts.domain));
    free(CONST_CAST(char *, s->opts.upstream));
    free(s->last_error);
    free(s);
}

/* ---- records of one owner ---- */

static char *
service_records(struct dns_sync *s, const char *key, struct svec *lines)
{
    const struct json *svc = k8s_informer_get(s->services, key);
    if (!svc) {
        return NULL;
    }
    const struct hmapx *set = k8s_informer_index_lookup(s->slices,
                                                        SLICE_INDEX, key);
    size_t n = set ? hmapx_count(set) : 0;
    const struct json **slices = xmalloc((n ? n : 1) * sizeof *slices);
    size_t i = 0;
    if (set) {
        struct hmapx_node *node;
        HMAPX_FOR_EACH (node, set) {
            const struct k8s_object *o = node->data;
            slices[i++] = o->obj;
        }
    }
    char *error = dns_service_records(&s->zone, svc, slices, n, lines);
    free(slices);
    return error;
}

static char *
pod_records(struct dns_sync *s, const char *key, struct svec *lines)
{
    const struct json *pod = k8s_informer_get(s->pods, key);
    const char *phase = pod ? json_get_string(pod, "status.phase") : NULL;
    if (!pod || (phase && (!strcmp(phase, "Succeeded")
                           || !strcmp(phase, "Failed")))) {
        return NULL;            /* Gone, or its IP may be another's now. */
    }
    return dns_pod_records(&s->zone, pod, lines);
}

static void
update_owner(struct dns_sync *s, const char *owner)
{
    struct svec lines = SVEC_EMPTY_INITIALIZER;
    char *error = NULL;
    if (!strncmp(owner, "svc/", 4)) {
        error = service_records(s, owner + 4, &lines);
    } else if (!strncmp(owner, "pod/", 4)) {
        error = pod_records(s, owner + 4, &lines);
    }
    if (error) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
        VLOG_WARN_RL(&rl, "%s: no records: %s", owner, error);
        free(error);
        svec_clear(&lines);
    }
    dns_table_set(s->table, owner, &lines);
    svec_destroy(&lines);
}

static void
update_dirty(struct dns_sync *s)
{
    const char *owner;
    SSET_FOR_EACH (owner, &s->dirty) {
        update_owner(s, owner);
    }
    sset_clear(&s->dirty);
}

/* ---- unbound ---- */

static void
failed(struct dns_sync *s, char *error)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    VLOG_WARN_RL(&rl, "%s (full resync in %d ms)", error, s->backoff_ms);
    free(s->last_error);
    s->last_error = error;
    s->n_failures++;
    s->need_full = true;
    s->next_try = time_msec() + s->backoff_ms;
    s->backoff_ms = MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
}

/* Sends the table's changes.  Returns false on failure (then 'need_full'). */
static bool
apply(struct dns_sync *s)
{
    struct svec remove = SVEC_EMPTY_INITIALIZER;
    struct svec add = SVEC_EMPTY_INITIALIZER;
    bool ok = true;
    if (dns_table_changes(s->table, &remove, &add)) {
        long long t0 = time_msec();
        char *error = unbound_ctl_apply(s->unbound, &remove, &add);
        if (error) {
            failed(s, error);
            ok = false;
        } else {
            dns_table_commit(s->table);
            s->n_batches++;
            s->n_removed += remove.n;
            s->n_added += add.n;
            VLOG_DBG("batch: %"PRIuSIZE" names removed, %"PRIuSIZE
                     " records added in %lld ms", remove.n, add.n,
                     time_msec() - t0);
        }
    } else {
        dns_table_commit(s->table);
    }
    svec_destroy(&remove);
    svec_destroy(&add);
    return ok;
}

static char *
run_command(struct dns_sync *s, const char *command, const char *arg)
{
    const char *args[] = { arg };
    return unbound_ctl_run(s->unbound, command, args, arg ? 1 : 0, NULL,
                           NULL);
}

/* The cluster domain's zone and the forwarders. */
static char *
configure_zones(struct dns_sync *s)
{
    const char *zone_args[] = { s->opts.domain, "static" };
    char *error = unbound_ctl_run(s->unbound, "local_zone", zone_args, 2,
                                  NULL, NULL);
    const char *up = s->opts.upstream;
    if (error || !up) {
        return error;
    }
    if (!strcmp(up, "none")) {
        const char *refuse[] = { ".", "refuse" };
        return unbound_ctl_run(s->unbound, "local_zone", refuse, 2, NULL,
                               NULL);
    }
    struct svec addrs = SVEC_EMPTY_INITIALIZER;
    svec_parse_words(&addrs, up);
    error = unbound_ctl_run(s->unbound, "forward",
                            (const char *const *) addrs.names, addrs.n,
                            NULL, NULL);
    svec_destroy(&addrs);
    return error ? error : run_command(s, "local_zone_remove", ".");
}

static void
mark_all(struct dns_sync *s)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, s->services) {
        dirty_add(s, xasprintf("svc/%s", o->key));
    }
    K8S_INFORMER_FOR_EACH (o, s->pods) {
        dirty_add(s, xasprintf("pod/%s", o->key));
    }
    struct svec owners = SVEC_EMPTY_INITIALIZER;
    dns_table_owners(s->table, &owners);
    for (size_t i = 0; i < owners.n; i++) {
        sset_add(&s->dirty, owners.names[i]);
    }
    svec_destroy(&owners);
}

static void
full_resync(struct dns_sync *s)
{
    long long t0 = time_msec();
    pid_t pid;
    char *error = unbound_ctl_pid(s->unbound, &pid);
    if (!error) {
        error = configure_zones(s);
    }
    struct svec installed = SVEC_EMPTY_INITIALIZER;
    if (!error) {
        error = unbound_ctl_dump(s->unbound, s->opts.domain, &installed);
    }
    if (error) {
        svec_destroy(&installed);
        failed(s, error);
        return;
    }
    dns_table_set_installed(s->table, &installed);
    mark_all(s);
    update_dirty(s);
    unsigned long long removed = s->n_removed, added = s->n_added;
    if (apply(s)) {
        VLOG_INFO("full resync with unbound (pid %ld): %"PRIuSIZE" owners, "
                  "%"PRIuSIZE" records (%"PRIuSIZE" found, %llu names "
                  "removed, %llu records added) in %lld ms", (long) pid,
                  dns_table_n_owners(s->table),
                  dns_table_n_records(s->table), installed.n,
                  s->n_removed - removed, s->n_added - added,
                  time_msec() - t0);
        s->need_full = false;
        s->ready = true;
        s->unbound_pid = pid;
        s->backoff_ms = BACKOFF_MIN_MS;
        s->n_full++;
    }
    svec_destroy(&installed);
}

/* unbound restarted (its runtime records are gone) or is down: resync. */
static void
check_unbound(struct dns_sync *s)
{
    pid_t pid;
    char *error = unbound_ctl_pid(s->unbound, &pid);
    if (error) {
        failed(s, error);
    } else if (pid != s->unbound_pid) {
        VLOG_INFO("unbound now has pid %ld (was %ld): full resync",
                  (long) pid, (long) s->unbound_pid);
        s->need_full = true;
    }
}

static bool
caches_synced(const struct dns_sync *s)
{
    return k8s_informer_has_synced(s->services)
           && k8s_informer_has_synced(s->slices)
           && k8s_informer_has_synced(s->pods);
}

void
dns_sync_run(struct dns_sync *s)
{
    k8s_informer_run(s->services);
    k8s_informer_run(s->slices);
    k8s_informer_run(s->pods);
    if (!caches_synced(s)) {
        return;
    }

    long long now = time_msec();
    if (!s->need_full && now >= s->next_check) {
        s->next_check = now + s->opts.check_ms;
        check_unbound(s);
    }
    if (s->need_full) {
        if (now >= s->next_try) {
            full_resync(s);
        }
    } else if (!sset_is_empty(&s->dirty)) {
        update_dirty(s);
        apply(s);
    }
}

void
dns_sync_wait(struct dns_sync *s)
{
    k8s_informer_wait(s->services);
    k8s_informer_wait(s->slices);
    k8s_informer_wait(s->pods);
    if (!caches_synced(s)) {
        return;
    }
    if (s->need_full) {
        poll_timer_wait_until(s->next_try);
    } else {
        if (!sset_is_empty(&s->dirty)) {
            poll_immediate_wake();
        }
        poll_timer_wait_until(s->next_check);
    }
}

bool
dns_sync_ready(const struct dns_sync *s)
{
    return s->ready && !s->need_full;
}

void
dns_sync_status(const struct dns_sync *s, struct ds *out)
{
    ds_put_format(out, "domain: %s\nttl: %d\nupstream: %s\n"
                  "caches: %s (services %"PRIuSIZE", endpointslices "
                  "%"PRIuSIZE", pods %"PRIuSIZE")\n"
                  "unbound: %s (pid %ld)\n"
                  "owners: %"PRIuSIZE"\nnames: %"PRIuSIZE"\n"
                  "records: %"PRIuSIZE"\npending: %"PRIuSIZE"\n"
                  "full-resyncs: %llu\nbatches: %llu\nfailures: %llu\n"
                  "names-removed: %llu\nrecords-added: %llu\n",
                  s->opts.domain, s->opts.ttl,
                  s->opts.upstream ? s->opts.upstream : "(unbound's own)",
                  caches_synced(s) ? "synced" : "syncing",
                  k8s_informer_count(s->services),
                  k8s_informer_count(s->slices),
                  k8s_informer_count(s->pods),
                  dns_sync_ready(s) ? "in sync" : "resync pending",
                  (long) s->unbound_pid,
                  dns_table_n_owners(s->table), dns_table_n_names(s->table),
                  dns_table_n_records(s->table), sset_count(&s->dirty),
                  s->n_full, s->n_batches, s->n_failures, s->n_removed,
                  s->n_added);
    if (s->last_error) {
        ds_put_format(out, "last-error: %s\n", s->last_error);
    }
}
