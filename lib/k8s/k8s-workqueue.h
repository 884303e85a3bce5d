/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_WORKQUEUE_H
#define KOVN_K8S_WORKQUEUE_H 1

/* A work queue of keys (usually "namespace/name"), as reconcilers use it:
 *
 *   - a key added while it waits is queued once (de-duplication);
 *   - a key is never handed out twice at once: a key added while it is being
 *     processed is queued again when k8s_workqueue_done() is called for it;
 *   - a failed key is retried with per-key exponential backoff
 *     (k8s_workqueue_add_rate_limited()), reset by k8s_workqueue_forget().
 *
 * Keys are copied in; strings the queue returns are owned by the queue and
 * stay valid until k8s_workqueue_done() for that key.
 *
 * Time comes from time_msec() (OVS's monotonic clock) unless a test sets a
 * clock with k8s_workqueue_set_clock().  k8s_workqueue_wait() wakes the
 * poll loop when a key is ready or a delayed key becomes due. */

#include <stdbool.h>
#include <stddef.h>

struct k8s_workqueue;

/* Backoff for a key that failed n times in a row: base_ms * 2^(n-1), at most
 * max_ms.  Defaults: 5 ms and 300,000 ms (5 minutes). */
struct k8s_workqueue *k8s_workqueue_create(const char *name,
                                           long long int base_ms,
                                           long long int max_ms);
void k8s_workqueue_destroy(struct k8s_workqueue *);

void k8s_workqueue_add(struct k8s_workqueue *, const char *key);
void k8s_workqueue_add_after(struct k8s_workqueue *, const char *key,
                             long long int delay_ms);
void k8s_workqueue_add_rate_limited(struct k8s_workqueue *, const char *key);
void k8s_workqueue_forget(struct k8s_workqueue *, const char *key);
int k8s_workqueue_num_requeues(const struct k8s_workqueue *, const char *key);

/* Returns the next ready key and marks it processing, or NULL if none is
 * ready now. */
const char *k8s_workqueue_get(struct k8s_workqueue *);
void k8s_workqueue_done(struct k8s_workqueue *, const char *key);

size_t k8s_workqueue_len(const struct k8s_workqueue *);   /* Ready keys. */
size_t k8s_workqueue_delayed(const struct k8s_workqueue *);
bool k8s_workqueue_is_processing(const struct k8s_workqueue *,
                                 const char *key);

void k8s_workqueue_wait(const struct k8s_workqueue *);

void k8s_workqueue_set_clock(struct k8s_workqueue *,
                             long long int (*now_ms)(void *aux), void *aux);

#endif /* k8s-workqueue.h */
