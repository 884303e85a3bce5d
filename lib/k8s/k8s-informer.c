/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-informer.h"

#include <string.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "hash.h"
#include "hmapx.h"
#include "random.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(k8s_informer);

/* Rate limit for log lines a broken server or a storm can repeat. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 10000

/* A watch asks the server to end it after a random 5 to 10 minutes, so that
 * many informers do not all re-watch at once. */
#define WATCH_TIMEOUT_MIN_S 300

enum informer_state {
    S_NEED_LIST,        /* Start listing on the next run. */
    S_LISTING,          /* A list page is in flight. */
    S_NEED_WATCH,       /* Start watching on the next run. */
    S_WATCHING,         /* A watch is in flight. */
    S_BACKOFF,          /* Waiting until 'backoff_until', then 'after'. */
};

struct informer_index {
    char *name;
    k8s_index_func *func;
    struct shash values;        /* Index value -> struct hmapx of objects. */
};

struct k8s_informer {
    struct k8s_client *client;
    const struct k8s_resource *res;
    char *namespace;
    char *label_selector;
    char *field_selector;
    int page_size;
    bool keep_managed_fields;
    void (*transform)(struct json *);
    struct k8s_informer_handlers handlers;
    void *aux;

    struct hmap cache;              /* struct k8s_object, by key. */
    struct informer_index *indexes;
    size_t n_indexes;
    char *resource_version;         /* Last seen, or NULL. */
    bool synced;

    enum informer_state state;
    enum informer_state after_backoff;
    long long int backoff_until;
    int backoff_ms;
    struct k8s_request *req;        /* The list page or watch in flight. */

    struct hmap listing;            /* Objects of the list in progress. */
    char *continue_token;           /* Of the list in progress, or NULL. */
    bool list_from_etcd;            /* The apiserver's cache failed us: the
                                     * next list reads etcd, in pages. */

    struct k8s_informer_stats stats;
};

static void start_list_page(struct k8s_informer *);

struct k8s_informer *
k8s_informer_create(struct k8s_client *client, const struct k8s_resource *res,
                    const struct k8s_informer_options *options,
                    const struct k8s_informer_handlers *handlers, void *aux)
{
    static const struct k8s_informer_options no_options;
    struct k8s_informer *inf = xzalloc(sizeof *inf);

    options = options ? options : &no_options;
    inf->client = client;
    inf->res = res;
    inf->namespace = nullable_xstrdup(options->namespace);
    inf->label_selector = nullable_xstrdup(options->label_selector);
    inf->field_selector = nullable_xstrdup(options->field_selector);
    inf->page_size = options->page_size > 0 ? options->page_size : 500;
    inf->keep_managed_fields = options->keep_managed_fields;
    inf->transform = options->transform;
    if (handlers) {
        inf->handlers = *handlers;
    }
    inf->aux = aux;
    hmap_init(&inf->cache);
    hmap_init(&inf->listing);
    inf->state = S_NEED_LIST;
    inf->backoff_ms = BACKOFF_MIN_MS;
    return inf;
}

/* Cache objects. */

static struct k8s_object *
object_create(const struct k8s_informer *inf, struct json *obj)
{
    char *key = k8s_obj_key(obj);
    if (!key) {
        json_destroy(obj);
        return NULL;
    }
    if (!inf->keep_managed_fields) {
        struct json *metadata = CONST_CAST(struct json *,
                                           json_get_member(obj, "metadata"));
        if (metadata && metadata->type == JSON_OBJECT) {
            json_object_remove(metadata, "managedFields");
        }
    }
    if (inf->transform) {
        inf->transform(obj);
    }

    struct k8s_object *o = xzalloc(sizeof *o);
    o->key = key;
    o->obj = obj;
    return o;
}

static void
object_destroy(struct k8s_object *o)
{
    if (o) {
        free(o->key);
        json_destroy(o->obj);
        free(o->index_values);
        free(o);
    }
}

static struct k8s_object *
object_find(const struct hmap *map, const char *key)
{
    struct k8s_object *o;
    HMAP_FOR_EACH_WITH_HASH (o, node, hash_string(key, 0), map) {
        if (!strcmp(o->key, key)) {
            return o;
        }
    }
    return NULL;
}

static void
index_insert(struct k8s_informer *inf, struct k8s_object *o)
{
    if (!inf->n_indexes) {
        return;
    }
    o->index_values = xcalloc(inf->n_indexes, sizeof *o->index_values);
    for (size_t i = 0; i < inf->n_indexes; i++) {
        struct informer_index *idx = &inf->indexes[i];
        struct svec *values = &o->index_values[i];
        svec_init(values);
        idx->func(o->obj, values);
        svec_sort_unique(values);

        const char *value;
        size_t j;
        SVEC_FOR_EACH (j, value, values) {
            struct hmapx *set = shash_find_data(&idx->values, value);
            if (!set) {
                set = xmalloc(sizeof *set);
                hmapx_init(set);
                shash_add(&idx->values, value, set);
            }
            hmapx_add(set, o);
        }
    }
}

static void
index_remove(struct k8s_informer *inf, struct k8s_object *o)
{
    for (size_t i = 0; o->index_values && i < inf->n_indexes; i++) {
        struct informer_index *idx = &inf->indexes[i];
        const char *value;
        size_t j;
        SVEC_FOR_EACH (j, value, &o->index_values[i]) {
            struct hmapx *set = shash_find_data(&idx->values, value);
            hmapx_find_and_delete(set, o);
            if (hmapx_is_empty(set)) {
                shash_find_and_delete(&idx->values, value);
                hmapx_destroy(set);
                free(set);
            }
        }
        svec_destroy(&o->index_values[i]);
    }
    free(o->index_values);
    o->index_values = NULL;
}

static void
cache_insert(struct k8s_informer *inf, struct k8s_object *o)
{
    hmap_insert(&inf->cache, &o->node, hash_string(o->key, 0));
    index_insert(inf, o);
    if (inf->handlers.on_add) {
        inf->handlers.on_add(o->obj, inf->aux);
    }
}

/* Replaces the object in 'o' by 'obj' (taking it) and tells the handler. */
static void
cache_replace(struct k8s_informer *inf, struct k8s_object *o,
              struct json *obj)
{
    struct json *old = o->obj;

    index_remove(inf, o);
    o->obj = obj;
    index_insert(inf, o);
    if (inf->handlers.on_update) {
        inf->handlers.on_update(old, o->obj, inf->aux);
    }
    json_destroy(old);
}

static void
cache_delete(struct k8s_informer *inf, struct k8s_object *o)
{
    hmap_remove(&inf->cache, &o->node);
    index_remove(inf, o);
    if (inf->handlers.on_delete) {
        inf->handlers.on_delete(o->obj, inf->aux);
    }
    object_destroy(o);
}

/* Adds or updates the object 'obj' (taking it). */
static void
cache_upsert(struct k8s_informer *inf, struct json *obj)
{
    struct k8s_object *new = object_create(inf, obj);
    if (!new) {
        return;
    }

    struct k8s_object *old = object_find(&inf->cache, new->key);
    if (old) {
        cache_replace(inf, old, new->obj);
        new->obj = NULL;
        object_destroy(new);
    } else {
        cache_insert(inf, new);
    }
}

static void
set_resource_version(struct k8s_informer *inf, const char *rv)
{
    if (rv && rv[0]) {
        free(inf->resource_version);
        inf->resource_version = xstrdup(rv);
    }
}

/* State changes. */

static void
cancel_request(struct k8s_informer *inf)
{
    k8s_request_cancel(inf->req);
    inf->req = NULL;
}

static void
backoff(struct k8s_informer *inf, enum informer_state after)
{
    /* Full jitter in the upper half keeps informers of many nodes from
     * reconnecting in lockstep after an apiserver restart. */
    int delay = inf->backoff_ms / 2 + random_range(inf->backoff_ms / 2 + 1);
    inf->backoff_until = time_msec() + delay;
    inf->backoff_ms = MIN(inf->backoff_ms * 2, BACKOFF_MAX_MS);
    inf->after_backoff = after;
    inf->state = S_BACKOFF;
}

static void
backoff_reset(struct k8s_informer *inf)
{
    inf->backoff_ms = BACKOFF_MIN_MS;
}

static void
listing_clear(struct k8s_informer *inf)
{
    struct k8s_object *o;
    HMAP_FOR_EACH_POP (o, node, &inf->listing) {
        object_destroy(o);
    }
    free(inf->continue_token);
    inf->continue_token = NULL;
}

/* Listing. */

static char *
selector_query(const struct k8s_informer *inf)
{
    struct ds q = DS_EMPTY_INITIALIZER;
    const char *names[] = { "labelSelector", "fieldSelector" };
    const char *values[] = { inf->label_selector, inf->field_selector };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (values[i] && values[i][0]) {
            char *escaped = k8s_query_escape(values[i]);
            ds_put_format(&q, "&%s=%s", names[i], escaped);
            free(escaped);
        }
    }
    return ds_steal_cstr(&q);
}

/* Makes the cache equal to the completed list, telling the handlers each
 * difference: deletes first (so that, e.g., an address freed by a deleted
 * pod is free before a new pod claims it), then adds and updates. */
static void
apply_list(struct k8s_informer *inf)
{
    struct k8s_object *o;

    HMAP_FOR_EACH_SAFE (o, node, &inf->cache) {
        if (!object_find(&inf->listing, o->key)) {
            cache_delete(inf, o);
        }
    }
    HMAP_FOR_EACH_POP (o, node, &inf->listing) {
        struct k8s_object *old = object_find(&inf->cache, o->key);
        if (!old) {
            cache_insert(inf, o);
            continue;
        }
        const char *old_rv = k8s_obj_resource_version(old->obj);
        const char *new_rv = k8s_obj_resource_version(o->obj);
        if (!old_rv || !new_rv || strcmp(old_rv, new_rv)) {
            cache_replace(inf, old, o->obj);
            o->obj = NULL;
        }
        object_destroy(o);
    }
}

/* An object of the list in progress, as soon as it has arrived: it is
 * transformed at once, so that a long list costs little memory. */
static void
list_item(struct json *item, void *inf_)
{
    struct k8s_informer *inf = inf_;
    struct k8s_object *o = object_create(inf, item);
    if (o && !object_find(&inf->listing, o->key)) {
        hmap_insert(&inf->listing, &o->node, hash_string(o->key, 0));
    } else {
        object_destroy(o);
    }
}

static void
list_page_done(struct k8s_request *req, const struct k8s_response *r,
               void *inf_)
{
    struct k8s_informer *inf = inf_;

    inf->req = NULL;
    if (!k8s_response_ok(r)) {
        inf->stats.n_errors++;
        if (r->status == 410) {
            /* The continue token expired, or the cache has no such
             * resourceVersion: start again, from etcd. */
            inf->stats.n_gone++;
            inf->list_from_etcd = true;
            listing_clear(inf);
            inf->state = S_NEED_LIST;
            return;
        }
        if (r->status == 404 && inf->res->older && !inf->synced) {
            /* An older server: use the version it serves. */
            VLOG_INFO("%s: %s not served, using %s", inf->res->plural,
                      inf->res->api_version, inf->res->older->api_version);
            inf->res = inf->res->older;
            listing_clear(inf);
            inf->state = S_NEED_LIST;
            return;
        }
        VLOG_WARN_RL(&rl, "listing %s failed: %s", inf->res->plural, r->error);
        inf->list_from_etcd = true; /* E.g. "Too large resource version". */
        listing_clear(inf);
        backoff(inf, S_NEED_LIST);
        return;
    }

    struct json *body = k8s_request_steal_body(req);

    const char *next = json_get_string(body, "metadata.continue");
    free(inf->continue_token);
    inf->continue_token = next && next[0] ? xstrdup(next) : NULL;
    if (inf->continue_token) {
        json_destroy(body);
        start_list_page(inf);
        return;
    }

    set_resource_version(inf, json_get_string(body,
                                              "metadata.resourceVersion"));
    json_destroy(body);
    inf->list_from_etcd = false;
    apply_list(inf);
    inf->stats.n_lists++;
    inf->synced = true;
    backoff_reset(inf);
    inf->state = S_NEED_WATCH;
    VLOG_DBG("listed %"PRIuSIZE" %s at resourceVersion %s",
             hmap_count(&inf->cache), inf->res->plural,
             inf->resource_version ? inf->resource_version : "?");
}

/* Lists the way client-go's reflector does: from the apiserver's watch
 * cache, whole (no etcd reads, no round trip per page), at resourceVersion
 * "0" the first time and then not older than what the cache holds, so that
 * it never goes back in time; from etcd, in pages, when the cache cannot
 * serve it.  (A cache that serves pages does so too.) */
static char *
list_query(const struct k8s_informer *inf)
{
    char *selectors = selector_query(inf);
    struct ds q = DS_EMPTY_INITIALIZER;
    if (inf->continue_token) {
        char *cont = k8s_query_escape(inf->continue_token);
        ds_put_format(&q, "limit=%d&continue=%s", inf->page_size, cont);
        free(cont);
    } else if (inf->list_from_etcd) {
        ds_put_format(&q, "limit=%d", inf->page_size);
    } else if (!inf->resource_version) {
        ds_put_format(&q, "limit=%d&resourceVersion=0", inf->page_size);
    } else {
        char *rv = k8s_query_escape(inf->resource_version);
        ds_put_format(&q, "resourceVersion=%s", rv);
        free(rv);
    }
    ds_put_cstr(&q, selectors);
    free(selectors);
    return ds_steal_cstr(&q);
}

static void
start_list_page(struct k8s_informer *inf)
{
    char *query = list_query(inf);
    char *path = k8s_resource_path(inf->res, inf->namespace, NULL, NULL);
    char *url = xasprintf("%s?%s", path, query);

    if (!inf->continue_token) {
        VLOG_DBG("listing %s", inf->res->plural);
    }
    inf->state = S_LISTING;
    inf->req = k8s_client_list(inf->client, url, list_item, list_page_done,
                               inf);
    if (!inf->keep_managed_fields) {
        k8s_request_drop_managed_fields(inf->req);
    }
    free(url);
    free(path);
    free(query);
}

/* Watching. */

/* Applies watch event 'type' of 'obj', which it takes. */
static void
apply_event(struct k8s_informer *inf, const char *type, struct json *obj)
{
    inf->stats.n_events++;
    backoff_reset(inf);

    if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
        set_resource_version(inf, k8s_obj_resource_version(obj));
        cache_upsert(inf, obj);
        return;
    } else if (!strcmp(type, "DELETED")) {
        set_resource_version(inf, k8s_obj_resource_version(obj));
        char *key = k8s_obj_key(obj);
        struct k8s_object *o = key ? object_find(&inf->cache, key) : NULL;
        if (o) {
            cache_delete(inf, o);
        }
        free(key);
    } else if (!strcmp(type, "BOOKMARK")) {
        set_resource_version(inf, k8s_obj_resource_version(obj));
    } else if (!strcmp(type, "ERROR")) {
        int64_t code = 0;
        json_get_int(obj, "code", &code);
        cancel_request(inf);
        if (code == 410) {
            /* Our resourceVersion is older than the server keeps: list
             * again and deliver the difference. */
            inf->stats.n_gone++;
            VLOG_INFO("watch of %s: resourceVersion %s is gone, re-listing",
                      inf->res->plural, inf->resource_version);
            inf->state = S_NEED_LIST;
        } else {
            const char *message = json_get_string(obj, "message");
            inf->stats.n_errors++;
            VLOG_WARN("watch of %s failed: %s", inf->res->plural,
                      message ? message : "unknown error");
            backoff(inf, S_NEED_LIST);
        }
    }
    json_destroy(obj);
}

static void
watch_event(struct json *event, void *inf_)
{
    struct k8s_informer *inf = inf_;
    const char *type = json_get_string(event, "type");
    /* Taken out of the event, so that the cache needs no copy. */
    struct json *obj = (event->type == JSON_OBJECT
                        ? shash_find_and_delete(json_object(event), "object")
                        : NULL);

    if (!type || !obj || obj->type != JSON_OBJECT) {
        VLOG_WARN_RL(&rl, "ignoring malformed %s watch event",
                     inf->res->plural);
        json_destroy(obj);
    } else {
        apply_event(inf, type, obj);
    }
    json_destroy(event);
}

static void
watch_done(struct k8s_request *req OVS_UNUSED, const struct k8s_response *r,
           void *inf_)
{
    struct k8s_informer *inf = inf_;

    inf->req = NULL;
    if (k8s_response_ok(r)) {
        /* The server ended the watch (its timeout): resume at once. */
        inf->state = S_NEED_WATCH;
    } else if (r->status == 410) {
        inf->stats.n_gone++;
        inf->state = S_NEED_LIST;
    } else {
        /* Broken stream or unreachable server: resume from the last
         * resourceVersion after a pause; if the server no longer has it, it
         * answers 410 and we re-list then. */
        inf->stats.n_errors++;
        VLOG_INFO_RL(&rl, "watch of %s ended: %s", inf->res->plural, r->error);
        backoff(inf, S_NEED_WATCH);
    }
}

static void
start_watch(struct k8s_informer *inf)
{
    char *selectors = selector_query(inf);
    char *rv = k8s_query_escape(inf->resource_version
                                ? inf->resource_version : "");
    char *path = k8s_resource_path(inf->res, inf->namespace, NULL, NULL);
    char *url = xasprintf("%s?watch=1&allowWatchBookmarks=true"
                          "&resourceVersion=%s&timeoutSeconds=%d%s",
                          path, rv,
                          WATCH_TIMEOUT_MIN_S
                          + random_range(WATCH_TIMEOUT_MIN_S),
                          selectors);

    inf->stats.n_watches++;
    inf->state = S_WATCHING;
    inf->req = k8s_client_stream(inf->client, url, watch_event, watch_done,
                                 inf);
    free(url);
    free(path);
    free(rv);
    free(selectors);
}

void
k8s_informer_run(struct k8s_informer *inf)
{
    if (!inf->client) {
        return;                 /* A synthetic cache: k8s_informer_put(). */
    }
    if (inf->state == S_BACKOFF && time_msec() >= inf->backoff_until) {
        inf->state = inf->after_backoff;
    }
    if (inf->state == S_NEED_WATCH && !inf->resource_version) {
        inf->state = S_NEED_LIST;
    }
    if (inf->state == S_NEED_LIST) {
        listing_clear(inf);
        start_list_page(inf);
    } else if (inf->state == S_NEED_WATCH) {
        start_watch(inf);
    }
}

void
k8s_informer_wait(struct k8s_informer *inf)
{
    if (inf->state == S_NEED_LIST || inf->state == S_NEED_WATCH) {
        poll_immediate_wake();
    } else if (inf->state == S_BACKOFF) {
        poll_timer_wait_until(inf->backoff_until);
    }
}

void
k8s_informer_reset_watch(struct k8s_informer *inf)
{
    if (inf->state == S_WATCHING) {
        cancel_request(inf);
        inf->state = S_NEED_WATCH;
    }
}

void
k8s_informer_destroy(struct k8s_informer *inf)
{
    if (!inf) {
        return;
    }
    cancel_request(inf);
    listing_clear(inf);
    hmap_destroy(&inf->listing);

    struct k8s_object *o;
    HMAP_FOR_EACH_POP (o, node, &inf->cache) {
        index_remove(inf, o);
        object_destroy(o);
    }
    hmap_destroy(&inf->cache);
    for (size_t i = 0; i < inf->n_indexes; i++) {
        shash_destroy(&inf->indexes[i].values);   /* Emptied above. */
        free(inf->indexes[i].name);
    }
    free(inf->indexes);
    free(inf->resource_version);
    free(inf->namespace);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf);
}

/* Synthetic caches. */

void
k8s_informer_put(struct k8s_informer *inf, struct json *obj)
{
    ovs_assert(!inf->client);
    cache_upsert(inf, obj);
}

void
k8s_informer_remove(struct k8s_informer *inf, const char *key)
{
    ovs_assert(!inf->client);
    struct k8s_object *o = object_find(&inf->cache, key);
    if (o) {
        cache_delete(inf, o);
    }
}

void
k8s_informer_set_synced(struct k8s_informer *inf)
{
    ovs_assert(!inf->client);
    inf->synced = true;
}

/* Accessors. */

bool
k8s_informer_has_synced(const struct k8s_informer *inf)
{
    return inf->synced;
}

const struct k8s_informer_stats *
k8s_informer_get_stats(const struct k8s_informer *inf)
{
    return &inf->stats;
}

const struct json *
k8s_informer_get(const struct k8s_informer *inf, const char *key)
{
    const struct k8s_object *o = object_find(&inf->cache, key);
    return o ? o->obj : NULL;
}

size_t
k8s_informer_count(const struct k8s_informer *inf)
{
    return hmap_count(&inf->cache);
}

const struct hmap *
k8s_informer_objects(const struct k8s_informer *inf)
{
    return &inf->cache;
}

void
k8s_informer_add_index(struct k8s_informer *inf, const char *name,
                       k8s_index_func *func)
{
    ovs_assert(!hmap_count(&inf->cache));
    inf->indexes = xrealloc(inf->indexes,
                            (inf->n_indexes + 1) * sizeof *inf->indexes);
    for (size_t i = 0; i < inf->n_indexes; i++) {
        /* An shash points into itself (an empty hmap's bucket). */
        shash_moved(&inf->indexes[i].values);
    }
    struct informer_index *idx = &inf->indexes[inf->n_indexes++];
    idx->name = xstrdup(name);
    idx->func = func;
    shash_init(&idx->values);
}

const struct hmapx *
k8s_informer_index_lookup(const struct k8s_informer *inf, const char *index,
                          const char *value)
{
    for (size_t i = 0; i < inf->n_indexes; i++) {
        if (!strcmp(inf->indexes[i].name, index)) {
            return shash_find_data(&inf->indexes[i].values, value);
        }
    }
    return NULL;
}

void
k8s_index_by_node(const struct json *obj, struct svec *values)
{
    const char *node = json_get_string(obj, "spec.nodeName");
    if (node && node[0]) {
        svec_add(values, node);
    }
}

void
k8s_index_by_namespace(const struct json *obj, struct svec *values)
{
    const char *ns = k8s_obj_namespace(obj);
    if (ns && ns[0]) {
        svec_add(values, ns);
    }
}
