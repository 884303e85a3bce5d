/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_RECONCILER_H
#define KOVN_RECONCILER_H 1

/* The one reconciler pattern every kind of kovn-controller fills in.
 *
 * A kind (Subnet, Namespace, Node, Pod...) is a 'struct kind_class': its
 * name, the start-up phase from which it works, and a few functions.  The
 * code here does what every kind needs and none should write twice:
 *
 *   - a de-duplicating work queue of keys, fed by the dependency table
 *     (deps.c) with every change of the world, and by the kind itself
 *     (enqueue_all(), gc(), its own retries);
 *   - batching: kind_run() hands up to 'batch' keys to reconcile(), which
 *     adds its NB writes to the transaction the whole controller shares;
 *   - settling: reconcile() says what became of the key --
 *
 *       RECONCILE_SETTLED  nothing more to do; the API writes it asked for
 *                          (if any) start now;
 *       RECONCILE_RETRY    try again later with per-key backoff (bad input,
 *                          something it needs is not there yet);
 *       RECONCILE_PENDING  its NB writes are in the transaction: once that
 *                          commits, committed() runs and the API writes
 *                          start; if it fails, the key comes back with
 *                          backoff;
 *
 *   - API writes (annotations, status, IP resources): started after NB has
 *     what they describe, "deferred" ones behind the others; a failed write
 *     puts its key back with backoff, a 409 at once, a 404 not at all.
 *
 * A reconciler never calls into another reconciler's file: what one kind's
 * change means for another is a row of the dependency table (deps.h), and
 * what a kind tells the others it says with controller_signal().
 *
 * Ownership: the controller owns each 'struct kind' (kind_create() /
 * kind_destroy()); the kind owns its queue, its pending keys and, through
 * the class's create() and destroy(), its 'state'. */

#include <stdbool.h>
#include "openvswitch/shash.h"
#include "ovsdb-idl.h"
#include "startup.h"

struct controller;
struct json;
struct k8s_workqueue;
struct kind;
struct kind_work;
struct ovn_txn;

enum reconcile_result {
    RECONCILE_SETTLED,
    RECONCILE_RETRY,
    RECONCILE_PENDING,
};

struct kind_class {
    const char *name;                   /* "subnet": queue and log name. */
    enum startup_phase phase;           /* Works from this phase on. */
    int batch;                          /* Keys per pass (transaction). */
    long long int backoff_max_ms;       /* 0: the work queue's default. */

    /* Creates and destroys the class's own state, kind->state. */
    void *(*create)(struct kind *);
    void (*destroy)(void *state);

    /* Queues every key the kind may have work for: the objects of its
     * cache and those that kovn's NB rows name (objects deleted while no
     * controller ran).  Called when the kind's phase starts and once the
     * IPAM is rebuilt (a full resync: the same code path as any change). */
    void (*enqueue_all)(struct kind *);

    /* Makes NB (through 't') and the API (through 'w') match the object of
     * 'key', which may be gone from the cache. */
    enum reconcile_result (*reconcile)(struct kind *, const char *key,
                                       struct ovn_txn *t,
                                       struct kind_work *w);

    /* Optional.  The transaction with 'key''s writes committed: 'aux' is
     * what reconcile() set with kind_work_set_aux() (or NULL); more API
     * writes may be added to 'w'.  Not called when it failed. */
    void (*committed)(struct kind *, const char *key, void *aux,
                      struct kind_work *w);
    void (*aux_free)(void *aux);

    /* Optional start-up and periodic steps (see startup.h). */
    void (*rebuild)(struct kind *);     /* Rebuild memory (IPAM) once. */
    void (*gc)(struct kind *);          /* Queue what deleted objects left. */

    /* Optional, each pass before the keys / poll_block(). */
    void (*run)(struct kind *);
    void (*wait)(struct kind *);

    /* Optional: false while the kind has work outside its queue (e.g. a
     * resync fed a batch at a time). */
    bool (*is_idle)(const struct kind *);
};

struct kind {
    const struct kind_class *class;
    struct controller *c;
    struct k8s_workqueue *queue;
    void *state;                        /* The class's. */
    struct shash pending;               /* Key -> struct kind_work, keys
                                         * whose writes are in the NB
                                         * transaction in flight. */
};

struct kind *kind_create(const struct kind_class *, struct controller *);
void kind_destroy(struct kind *);

/* Queues 'key' now (delay 0) or after 'delay_ms'.  Before the kind's phase
 * it is dropped: enqueue_all() covers it when the phase starts. */
void kind_enqueue(struct kind *, const char *key, long long int delay_ms);
void kind_enqueue_all(struct kind *);

/* Reconciles up to a batch of keys into 't'. */
void kind_run(struct kind *, struct ovn_txn *t);
void kind_wait(struct kind *);

/* Settles the keys of kind_run() after their transaction ended with
 * 'status'. */
void kind_txn_done(struct kind *, enum ovsdb_idl_txn_status status);

/* True when no key is ready or waits for a transaction (delayed keys and
 * retries aside) and the class has no other work. */
bool kind_is_idle(const struct kind *);

/* What reconcile() and committed() ask for besides NB writes. */

/* An API write of 'method' on 'path' with 'body' (may be NULL), started as
 * said above.  Takes ownership of 'path' and 'body'.  'deferred': nothing
 * waits on it (an IP resource, not a pod's annotations): it goes behind. */
void kind_work_write(struct kind_work *, int method, char *path,
                     struct json *body, bool deferred);

/* Keeps 'aux' for committed(); freed with the class's aux_free(). */
void kind_work_set_aux(struct kind_work *, void *aux);

#endif /* reconciler.h */
