/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-workqueue.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "heap.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(k8s_workqueue);

/* One key the queue knows about.  It exists while any of its states holds
 * (wanted, processing, delayed, or a nonzero failure count) and is freed as
 * soon as none does, so the queue's memory follows its live keys.
 *
 * The states are those of client-go's workqueue: 'dirty' means "must be
 * processed (again)"; a dirty key that is not being processed sits in the
 * ready list; a dirty key that is being processed waits for
 * k8s_workqueue_done().  A delayed key sits in the heap, independently, and
 * becomes dirty when it is due. */
struct wq_entry {
    struct hmap_node hmap_node;     /* In k8s_workqueue's 'entries'. */
    char *key;

    bool dirty;
    bool processing;
    struct ovs_list ready_node;     /* In 'ready' iff dirty && !processing. */

    bool delayed;
    struct heap_node heap_node;     /* In 'delayed' iff 'delayed'. */
    long long int due;              /* When a delayed key becomes dirty. */

    int failures;                   /* add_rate_limited() since forget(). */
};

struct k8s_workqueue {
    char *name;
    long long int base_ms, max_ms;

    struct hmap entries;            /* Contains "struct wq_entry"s. */
    struct ovs_list ready;          /* FIFO of ready entries. */
    size_t n_ready;
    struct heap delayed;            /* Earliest 'due' at heap_max(). */

    long long int (*now_ms)(void *aux);
    void *aux;
};

static long long int
default_now(void *aux OVS_UNUSED)
{
    return time_msec();
}

/* The heap keeps its maximum on top: map earlier due times to higher
 * priorities, preserving order over the whole signed range. */
static uint64_t
due_priority(long long int due)
{
    return ~((uint64_t) due ^ (UINT64_C(1) << 63));
}

struct k8s_workqueue *
k8s_workqueue_create(const char *name, long long int base_ms,
                     long long int max_ms)
{
    struct k8s_workqueue *q = xzalloc(sizeof *q);
    q->name = xstrdup(name ? name : "workqueue");
    q->base_ms = base_ms > 0 ? base_ms : 5;
    q->max_ms = max_ms > 0 ? max_ms : 300 * 1000;
    hmap_init(&q->entries);
    ovs_list_init(&q->ready);
    heap_init(&q->delayed);
    q->now_ms = default_now;
    return q;
}

void
k8s_workqueue_destroy(struct k8s_workqueue *q)
{
    if (q) {
        struct wq_entry *e;
        HMAP_FOR_EACH_POP (e, hmap_node, &q->entries) {
            free(e->key);
            free(e);
        }
        hmap_destroy(&q->entries);
        heap_destroy(&q->delayed);
        free(q->name);
        free(q);
    }
}

void
k8s_workqueue_set_clock(struct k8s_workqueue *q,
                        long long int (*now_ms)(void *aux), void *aux)
{
    q->now_ms = now_ms ? now_ms : default_now;
    q->aux = aux;
}

static long long int
wq_now(const struct k8s_workqueue *q)
{
    return q->now_ms(q->aux);
}

static struct wq_entry *
wq_find(const struct k8s_workqueue *q, const char *key)
{
    struct wq_entry *e;
    HMAP_FOR_EACH_WITH_HASH (e, hmap_node, hash_string(key, 0), &q->entries) {
        if (!strcmp(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

static struct wq_entry *
wq_find_or_create(struct k8s_workqueue *q, const char *key)
{
    struct wq_entry *e = wq_find(q, key);
    if (!e) {
        e = xzalloc(sizeof *e);
        e->key = xstrdup(key);
        hmap_insert(&q->entries, &e->hmap_node, hash_string(key, 0));
    }
    return e;
}

/* Frees 'e' if no state keeps it alive. */
static void
wq_maybe_free(struct k8s_workqueue *q, struct wq_entry *e)
{
    if (!e->dirty && !e->processing && !e->delayed && !e->failures) {
        hmap_remove(&q->entries, &e->hmap_node);
        free(e->key);
        free(e);
    }
}

static void
wq_make_ready(struct k8s_workqueue *q, struct wq_entry *e)
{
    ovs_list_push_back(&q->ready, &e->ready_node);
    q->n_ready++;
}

static void
wq_add_entry(struct k8s_workqueue *q, struct wq_entry *e)
{
    if (!e->dirty) {
        e->dirty = true;
        if (!e->processing) {
            wq_make_ready(q, e);
        }
    }
}

/* Moves the delayed keys that are due now to the ready list, earliest
 * first. */
static void
wq_promote_due(struct k8s_workqueue *q)
{
    if (heap_is_empty(&q->delayed)) {
        return;
    }

    long long int now = wq_now(q);
    while (!heap_is_empty(&q->delayed)) {
        struct wq_entry *e = CONTAINER_OF(heap_max(&q->delayed),
                                          struct wq_entry, heap_node);
        if (e->due > now) {
            break;
        }
        heap_remove(&q->delayed, &e->heap_node);
        e->delayed = false;
        wq_add_entry(q, e);
    }
}

void
k8s_workqueue_add(struct k8s_workqueue *q, const char *key)
{
    wq_add_entry(q, wq_find_or_create(q, key));
}

void
k8s_workqueue_add_after(struct k8s_workqueue *q, const char *key,
                        long long int delay_ms)
{
    if (delay_ms <= 0) {
        k8s_workqueue_add(q, key);
        return;
    }

    struct wq_entry *e = wq_find_or_create(q, key);
    long long int due = wq_now(q) + delay_ms;
    if (!e->delayed) {
        e->delayed = true;
        e->due = due;
        heap_insert(&q->delayed, &e->heap_node, due_priority(due));
    } else if (due < e->due) {
        /* Like client-go: a key waits for the earliest of its requests. */
        e->due = due;
        heap_change(&q->delayed, &e->heap_node, due_priority(due));
    }
}

/* base_ms * 2^(failures - 1), capped at max_ms without overflowing. */
static long long int
wq_backoff(const struct k8s_workqueue *q, int failures)
{
    long long int delay = q->base_ms;
    for (int i = 1; i < failures && delay < q->max_ms; i++) {
        delay *= 2;
    }
    return MIN(delay, q->max_ms);
}

void
k8s_workqueue_add_rate_limited(struct k8s_workqueue *q, const char *key)
{
    struct wq_entry *e = wq_find_or_create(q, key);
    if (e->failures < INT_MAX) {
        e->failures++;
    }
    k8s_workqueue_add_after(q, key, wq_backoff(q, e->failures));
}

void
k8s_workqueue_forget(struct k8s_workqueue *q, const char *key)
{
    struct wq_entry *e = wq_find(q, key);
    if (e) {
        e->failures = 0;
        wq_maybe_free(q, e);
    }
}

int
k8s_workqueue_num_requeues(const struct k8s_workqueue *q, const char *key)
{
    const struct wq_entry *e = wq_find(q, key);
    return e ? e->failures : 0;
}

const char *
k8s_workqueue_get(struct k8s_workqueue *q)
{
    wq_promote_due(q);
    if (ovs_list_is_empty(&q->ready)) {
        return NULL;
    }

    struct wq_entry *e = CONTAINER_OF(ovs_list_pop_front(&q->ready),
                                      struct wq_entry, ready_node);
    q->n_ready--;
    e->dirty = false;
    e->processing = true;
    return e->key;
}

void
k8s_workqueue_done(struct k8s_workqueue *q, const char *key)
{
    struct wq_entry *e = wq_find(q, key);
    if (!e || !e->processing) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "%s: done() for \"%s\", which is not being "
                     "processed", q->name, key);
        return;
    }

    e->processing = false;
    if (e->dirty) {
        /* Added while it was processed: its turn comes again. */
        wq_make_ready(q, e);
    } else {
        /* 'key' may point into 'e': nothing may read it after this. */
        wq_maybe_free(q, e);
    }
}

/* Keys ready as of the last add or get: delayed keys that fell due since
 * are counted by k8s_workqueue_delayed() until the next get() moves them. */
size_t
k8s_workqueue_len(const struct k8s_workqueue *q)
{
    return q->n_ready;
}

size_t
k8s_workqueue_delayed(const struct k8s_workqueue *q)
{
    return heap_count(&q->delayed);
}

bool
k8s_workqueue_is_processing(const struct k8s_workqueue *q, const char *key)
{
    const struct wq_entry *e = wq_find(q, key);
    return e && e->processing;
}

void
k8s_workqueue_wait(const struct k8s_workqueue *q)
{
    if (!ovs_list_is_empty(&q->ready)) {
        poll_immediate_wake();
    } else if (!heap_is_empty(&q->delayed)) {
        const struct wq_entry *e = CONTAINER_OF(heap_max(&q->delayed),
                                                struct wq_entry, heap_node);
        /* Relative to the queue's clock, which a test may have replaced. */
        long long int delay = e->due - wq_now(q);
        if (delay <= 0) {
            poll_immediate_wake();
        } else {
            poll_timer_wait(delay);
        }
    }
}
