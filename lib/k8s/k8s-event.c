/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-event.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-time.h"
#include "openvswitch/hmap.h"
#include "openvswitch/vlog.h"
#include "hash.h"
#include "hmapx.h"
#include "random.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(k8s_event);

/* Rate limit for log lines a broken server or a storm can repeat. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* An Event seen again within this window is counted, not re-created. */
#define AGGREGATE_MS (10 * 60 * 1000)

/* An Event we have sent, remembered for aggregation. */
struct sent_event {
    struct hmap_node node;      /* In recorder->sent, by 'id'. */
    char *id;                   /* uid, type, reason and message. */
    char *namespace;
    char *name;                 /* The Event object's name. */
    int count;
    long long int last_ms;

    /* Its create, while in flight: a repeat meanwhile only marks the
     * count to send, since a PATCH before the create lands gets 404. */
    struct k8s_event_recorder *rec;
    struct k8s_request *creating;
    bool count_pending;
};

struct k8s_event_recorder {
    struct k8s_client *client;
    char *component;
    char *host;
    struct hmap sent;           /* struct sent_event. */
    struct hmapx inflight;      /* struct k8s_request *, cancelled when the
                                 * recorder is destroyed. */
    unsigned long long n_sent, n_aggregated, n_dropped;
};

struct k8s_event_recorder *
k8s_event_recorder_create(struct k8s_client *client, const char *component,
                          const char *host)
{
    struct k8s_event_recorder *rec = xzalloc(sizeof *rec);
    rec->client = client;
    rec->component = xstrdup(component);
    rec->host = nullable_xstrdup(host);
    hmap_init(&rec->sent);
    hmapx_init(&rec->inflight);
    return rec;
}

static void
sent_event_destroy(struct sent_event *e)
{
    free(e->id);
    free(e->namespace);
    free(e->name);
    free(e);
}

void
k8s_event_recorder_destroy(struct k8s_event_recorder *rec)
{
    if (rec) {
        struct sent_event *e;
        HMAP_FOR_EACH_POP (e, node, &rec->sent) {
            sent_event_destroy(e);
        }
        hmap_destroy(&rec->sent);

        struct hmapx_node *node;
        HMAPX_FOR_EACH (node, &rec->inflight) {
            k8s_request_cancel(node->data);
        }
        hmapx_destroy(&rec->inflight);
        free(rec->component);
        free(rec->host);
        free(rec);
    }
}

/* Forgets Events older than the aggregation window. */
static void
expire_sent(struct k8s_event_recorder *rec, long long int now)
{
    struct sent_event *e;
    HMAP_FOR_EACH_SAFE (e, node, &rec->sent) {
        if (now - e->last_ms > AGGREGATE_MS && !e->creating) {
            hmap_remove(&rec->sent, &e->node);
            sent_event_destroy(e);
        }
    }
}

static struct sent_event *
find_sent(const struct k8s_event_recorder *rec, const char *id)
{
    struct sent_event *e;
    HMAP_FOR_EACH_WITH_HASH (e, node, hash_string(id, 0), &rec->sent) {
        if (!strcmp(e->id, id)) {
            return e;
        }
    }
    return NULL;
}

static void
event_sent(struct k8s_request *req, const struct k8s_response *r, void *rec_)
{
    struct k8s_event_recorder *rec = rec_;

    hmapx_find_and_delete(&rec->inflight, req);
    if (!k8s_response_ok(r)) {
        VLOG_WARN_RL(&rl, "could not record event: %s", r->error);
    }
}

static void send_count_update(struct k8s_event_recorder *,
                              const struct sent_event *, const char *now);

static void
event_created(struct k8s_request *req, const struct k8s_response *r,
              void *e_)
{
    struct sent_event *e = e_;
    struct k8s_event_recorder *rec = e->rec;

    hmapx_find_and_delete(&rec->inflight, req);
    e->creating = NULL;
    if (!k8s_response_ok(r)) {
        /* Forget it: the next occurrence creates it again. */
        VLOG_WARN_RL(&rl, "could not record event: %s", r->error);
        hmap_remove(&rec->sent, &e->node);
        sent_event_destroy(e);
    } else if (e->count_pending) {
        e->count_pending = false;
        char *now = k8s_time_format(time_wall_msec(), false);
        send_count_update(rec, e, now);
        free(now);
    }
}

static struct json *
object_reference(const struct k8s_resource *res, const struct json *obj)
{
    struct json *ref = json_object_create();
    const char *ns = k8s_obj_namespace(obj);
    const char *uid = k8s_obj_uid(obj);
    const char *rv = k8s_obj_resource_version(obj);

    json_object_put_string(ref, "apiVersion", res->api_version);
    json_object_put_string(ref, "kind", res->kind);
    json_object_put_string(ref, "name", k8s_obj_name(obj));
    if (ns) {
        json_object_put_string(ref, "namespace", ns);
    }
    if (uid) {
        json_object_put_string(ref, "uid", uid);
    }
    if (rv) {
        json_object_put_string(ref, "resourceVersion", rv);
    }
    return ref;
}

static void
send_new_event(struct k8s_event_recorder *rec, struct sent_event *e,
               const struct k8s_resource *res, const struct json *obj,
               const char *type, const char *reason, const char *message,
               const char *now)
{
    struct json *ev = json_object_create();
    struct json *metadata = json_object_create();
    json_object_put_string(metadata, "name", e->name);
    json_object_put_string(metadata, "namespace", e->namespace);
    json_object_put(ev, "metadata", metadata);
    json_object_put(ev, "involvedObject", object_reference(res, obj));
    json_object_put_string(ev, "type", type);
    json_object_put_string(ev, "reason", reason);
    json_object_put_string(ev, "message", message);
    json_put_path(ev, "source.component", json_string_create(rec->component));
    if (rec->host) {
        json_put_path(ev, "source.host", json_string_create(rec->host));
    }
    json_object_put_string(ev, "reportingComponent", rec->component);
    json_object_put_string(ev, "reportingInstance",
                           rec->host ? rec->host : rec->component);
    json_object_put_string(ev, "firstTimestamp", now);
    json_object_put_string(ev, "lastTimestamp", now);
    json_object_put(ev, "count", json_integer_create(1));

    e->rec = rec;
    e->creating = k8s_create(rec->client, &k8s_events, e->namespace, ev,
                             event_created, e);
    hmapx_add(&rec->inflight, e->creating);
    json_destroy(ev);
}

static void
send_count_update(struct k8s_event_recorder *rec, const struct sent_event *e,
                  const char *now)
{
    struct json *patch = json_object_create();
    json_object_put(patch, "count", json_integer_create(e->count));
    json_object_put_string(patch, "lastTimestamp", now);
    hmapx_add(&rec->inflight,
              k8s_merge_patch(rec->client, &k8s_events, e->namespace, e->name,
                              NULL, patch, event_sent, rec));
    json_destroy(patch);
}

void
k8s_event_record(struct k8s_event_recorder *rec,
                 const struct k8s_resource *res, const struct json *obj,
                 const char *type, const char *reason,
                 const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *message = xvasprintf(format, args);
    va_end(args);

    const char *name = k8s_obj_name(obj);
    const char *ns = k8s_obj_namespace(obj);
    VLOG_INFO("event %s %s on %s %s%s%s: %s", type, reason, res->kind,
              ns ? ns : "", ns ? "/" : "", name ? name : "?", message);

    if (!name || hmapx_count(&rec->inflight) >= K8S_EVENT_MAX_INFLIGHT) {
        rec->n_dropped++;
        VLOG_WARN_RL(&rl, "dropping event %s on %s: %s", reason,
                     name ? name : "an object without a name",
                     name ? "too many events in flight" : "");
        free(message);
        return;
    }

    long long int now_ms = time_msec();
    char *now = k8s_time_format(time_wall_msec(), false);
    char *id = xasprintf("%s\n%s\n%s\n%s\n%s", k8s_obj_uid(obj)
                         ? k8s_obj_uid(obj) : name, ns ? ns : "",
                         type, reason, message);

    expire_sent(rec, now_ms);
    struct sent_event *e = find_sent(rec, id);
    if (e) {
        e->count++;
        e->last_ms = now_ms;
        rec->n_aggregated++;
        if (e->creating) {
            e->count_pending = true;
        } else {
            send_count_update(rec, e, now);
        }
        free(id);
    } else {
        e = xzalloc(sizeof *e);
        e->id = id;
        e->namespace = xstrdup(ns ? ns : "default");
        /* Unique like the kubelet's: object name and a nanosecond stamp. */
        e->name = xasprintf("%s.%llx", name, time_wall_msec() * 1000000ULL
                            + random_uint32() % 1000000);
        e->count = 1;
        e->last_ms = now_ms;
        hmap_insert(&rec->sent, &e->node, hash_string(e->id, 0));
        rec->n_sent++;
        send_new_event(rec, e, res, obj, type, reason, message, now);
    }
    free(now);
    free(message);
}

void
k8s_event_recorder_get_stats(const struct k8s_event_recorder *rec,
                             unsigned long long *n_sent,
                             unsigned long long *n_aggregated,
                             unsigned long long *n_dropped)
{
    *n_sent = rec->n_sent;
    *n_aggregated = rec->n_aggregated;
    *n_dropped = rec->n_dropped;
}
