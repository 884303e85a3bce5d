/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_INFORMER_H
#define KOVN_K8S_INFORMER_H 1

/* An informer keeps an in-memory cache of one kind of Kubernetes object and
 * tells its handlers what changed.
 *
 * It lists the objects, then watches from the list's resourceVersion with
 * bookmarks.  Lists come from the apiserver's watch cache, as client-go's
 * do (whole: each item is parsed and transformed as it arrives, so that a
 * long list never sits in memory untransformed), or, when the cache cannot
 * serve them, from etcd in pages.  When the watch ends it resumes from the
 * last resourceVersion seen; when the server says that version is gone
 * (410 Gone, "too old resource version") or the stream breaks and cannot be
 * resumed, it lists again and delivers the difference between the cache and
 * the new list to the handlers as adds, updates and deletes, exactly as if
 * it had seen the events.  Failures back off exponentially (with jitter).
 *
 * Handlers are called from k8s_informer_run().  The objects they get belong
 * to the cache: valid until the handler returns for 'old' and deleted
 * objects, until the next k8s_informer_run() otherwise.  Handlers may read the
 * cache but must not destroy the informer.
 *
 * By default the cache drops each object's metadata.managedFields, which
 * kovn never reads and which is often the largest part of an object. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/hmap.h"
#include "openvswitch/json.h"

struct k8s_client;
struct k8s_resource;
struct svec;

struct k8s_informer_handlers {
    void (*on_add)(const struct json *obj, void *aux);
    void (*on_update)(const struct json *old, const struct json *new,
                      void *aux);
    void (*on_delete)(const struct json *obj, void *aux);
};

struct k8s_informer_options {
    const char *namespace;       /* NULL: all namespaces. */
    const char *label_selector;  /* NULL or e.g. "app=web". */
    const char *field_selector;  /* NULL or e.g. "spec.nodeName=node1". */
    int page_size;               /* Objects per list page, if the server
                                  * pages; 0: 500. */
    bool keep_managed_fields;    /* Keep metadata.managedFields. */

    /* Called on each object before it is cached, to drop what its user never
     * reads (e.g. a pod's containers), which saves memory at scale.  It
     * changes 'obj' in place and must keep metadata.name, .namespace and
     * .resourceVersion.  NULL: cache whole objects. */
    void (*transform)(struct json *obj);
};

/* One cached object. */
struct k8s_object {
    struct hmap_node node;       /* In the informer's cache, by 'key'. */
    char *key;                   /* "namespace/name" or "name". */
    struct json *obj;
    struct svec *index_values;   /* Internal: the values for each index. */
};

struct k8s_informer_stats {
    unsigned long long n_lists;       /* Complete lists (first + re-lists). */
    unsigned long long n_watches;     /* Watch requests started. */
    unsigned long long n_events;      /* Watch events applied. */
    unsigned long long n_gone;        /* 410 Gone answers. */
    unsigned long long n_errors;      /* Failed requests. */
};

/* Creates an informer; nothing is sent before the first run.  'options' and
 * its strings are copied. */
struct k8s_informer *k8s_informer_create(
    struct k8s_client *, const struct k8s_resource *,
    const struct k8s_informer_options *,
    const struct k8s_informer_handlers *, void *aux);
void k8s_informer_destroy(struct k8s_informer *);

void k8s_informer_run(struct k8s_informer *);
void k8s_informer_wait(struct k8s_informer *);

/* True once the first complete list is in the cache. */
bool k8s_informer_has_synced(const struct k8s_informer *);
const struct k8s_informer_stats *k8s_informer_get_stats(
    const struct k8s_informer *);

/* The cache. */
const struct json *k8s_informer_get(const struct k8s_informer *,
                                    const char *key);
size_t k8s_informer_count(const struct k8s_informer *);
const struct hmap *k8s_informer_objects(const struct k8s_informer *);
#define K8S_INFORMER_FOR_EACH(OBJECT, INFORMER) \
    HMAP_FOR_EACH (OBJECT, node, k8s_informer_objects(INFORMER))

/* Indexes.  An index function adds the index values of 'obj' to 'values'
 * (none, one, or several: a Subnet is found under each Namespace it
 * lists).  Add indexes before the first run.  Lookups return a set of
 * 'struct k8s_object *' owned by the informer (or NULL if no object has
 * that value), valid until the next run. */
typedef void k8s_index_func(const struct json *obj, struct svec *values);
void k8s_informer_add_index(struct k8s_informer *, const char *name,
                            k8s_index_func *);
const struct hmapx *k8s_informer_index_lookup(const struct k8s_informer *,
                                              const char *index,
                                              const char *value);

/* Ready-made index functions. */
void k8s_index_by_node(const struct json *, struct svec *); /* nodeName */
void k8s_index_by_namespace(const struct json *, struct svec *);

/* Synthetic caches, for tests of code that reads informers: an informer
 * created with a NULL client sends nothing, and its cache holds what these
 * put there, with the handlers called as for watch events.
 * k8s_informer_put() takes 'obj' (added, or replacing the object of its
 * key). */
void k8s_informer_put(struct k8s_informer *, struct json *obj);
void k8s_informer_remove(struct k8s_informer *, const char *key);
void k8s_informer_set_synced(struct k8s_informer *);

/* Ends the current watch as if the connection had been cut, so that the
 * informer resumes (or re-lists).  For tests and for operators' tools. */
void k8s_informer_reset_watch(struct k8s_informer *);

#endif /* k8s-informer.h */
