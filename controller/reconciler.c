/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "reconciler.h"

#include "controller.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-workqueue.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(reconciler);

/* One API write waiting for its start. */
struct api_write_req {
    int method;
    char *path;
    struct json *body;              /* May be NULL. */
    bool deferred;
};

struct kind_work {
    struct api_write_req *writes;
    size_t n, allocated;
    void *aux;
};

static struct kind_work *
work_create(void)
{
    return xzalloc(sizeof(struct kind_work));
}

static void
work_destroy(const struct kind *k, struct kind_work *w)
{
    if (w) {
        for (size_t i = 0; i < w->n; i++) {
            free(w->writes[i].path);
            json_destroy(w->writes[i].body);
        }
        free(w->writes);
        if (w->aux && k->class->aux_free) {
            k->class->aux_free(w->aux);
        }
        free(w);
    }
}

void
kind_work_write(struct kind_work *w, int method, char *path,
                struct json *body, bool deferred)
{
    if (w->n >= w->allocated) {
        w->writes = x2nrealloc(w->writes, &w->allocated, sizeof *w->writes);
    }
    w->writes[w->n++] = (struct api_write_req) { method, path, body,
                                                 deferred };
}

void
kind_work_set_aux(struct kind_work *w, void *aux)
{
    ovs_assert(!w->aux);
    w->aux = aux;
}

/* Starts the writes of 'w' whose 'deferred' is as given. */
static void
work_start(struct kind *k, const char *key, const struct kind_work *w,
           bool deferred)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct api_write_req *r = &w->writes[i];
        if (r->deferred == deferred) {
            struct k8s_request *req = api_write(k->c, r->method, r->path,
                                                r->body, k->queue, key);
            if (deferred && req) {
                k8s_request_defer(req);
            }
        }
    }
}

struct kind *
kind_create(const struct kind_class *class, struct controller *c)
{
    struct kind *k = xzalloc(sizeof *k);
    k->class = class;
    k->c = c;
    k->queue = k8s_workqueue_create(class->name, 0, class->backoff_max_ms);
    shash_init(&k->pending);
    k->state = class->create ? class->create(k) : NULL;
    return k;
}

void
kind_destroy(struct kind *k)
{
    if (k) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, &k->pending) {
            work_destroy(k, node->data);
        }
        shash_destroy(&k->pending);
        if (k->class->destroy) {
            k->class->destroy(k->state);
        }
        k8s_workqueue_destroy(k->queue);
        free(k);
    }
}

void
kind_enqueue(struct kind *k, const char *key, long long int delay_ms)
{
    if (k->c->phase < k->class->phase) {
        return;
    }
    if (delay_ms > 0) {
        k8s_workqueue_add_after(k->queue, key, delay_ms);
    } else {
        k8s_workqueue_add(k->queue, key);
    }
}

void
kind_enqueue_all(struct kind *k)
{
    if (k->class->enqueue_all) {
        k->class->enqueue_all(k);
    }
}

void
kind_run(struct kind *k, struct ovn_txn *t)
{
    if (k->class->run) {
        k->class->run(k);
    }
    for (int i = 0; i < k->class->batch; i++) {
        const char *key = k8s_workqueue_get(k->queue);
        if (!key) {
            break;
        }
        struct kind_work *w = work_create();
        switch (k->class->reconcile(k, key, t, w)) {
        case RECONCILE_SETTLED:
            if (!w->n) {
                k8s_workqueue_forget(k->queue, key);
            }
            /* Else the writes' success forgets the key (api_write()). */
            work_start(k, key, w, false);
            work_start(k, key, w, true);
            k8s_workqueue_done(k->queue, key);
            work_destroy(k, w);
            break;
        case RECONCILE_RETRY:
            k8s_workqueue_add_rate_limited(k->queue, key);
            k8s_workqueue_done(k->queue, key);
            work_destroy(k, w);
            break;
        case RECONCILE_PENDING:
            /* The queue hands a key out once until done(): no duplicate. */
            shash_add(&k->pending, key, w);
            break;
        }
    }
}

void
kind_wait(struct kind *k)
{
    k8s_workqueue_wait(k->queue);
    if (k->class->wait) {
        k->class->wait(k);
    }
}

void
kind_txn_done(struct kind *k, enum ovsdb_idl_txn_status status)
{
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;
    if (!ok && !shash_is_empty(&k->pending)) {
        VLOG_INFO("NB transaction for %"PRIuSIZE" %s key(s) ended with %s: "
                  "trying again", shash_count(&k->pending), k->class->name,
                  ovsdb_idl_txn_status_to_string(status));
    }

    struct shash_node *node;
    SHASH_FOR_EACH (node, &k->pending) {
        struct kind_work *w = node->data;
        k8s_workqueue_done(k->queue, node->name);
        if (!ok) {
            /* With backoff: a server that refuses the same writes again
             * must not be hammered. */
            k8s_workqueue_add_rate_limited(k->queue, node->name);
            continue;
        }
        if (k->class->committed) {
            k->class->committed(k, node->name, w->aux, w);
        }
        if (!w->n) {
            k8s_workqueue_forget(k->queue, node->name);
        }
        work_start(k, node->name, w, false);
    }
    /* Deferred writes after every other one of the batch, so that even the
     * first of them do not take running slots from the others. */
    SHASH_FOR_EACH (node, &k->pending) {
        if (ok) {
            work_start(k, node->name, node->data, true);
        }
        work_destroy(k, node->data);
    }
    shash_clear(&k->pending);
}

bool
kind_is_idle(const struct kind *k)
{
    return !k8s_workqueue_len(k->queue) && shash_is_empty(&k->pending)
           && (!k->class->is_idle || k->class->is_idle(k));
}
