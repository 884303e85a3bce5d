/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_H
#define KOVN_SUBNET_H 1

/* The Subnet reconciler: makes OVN NB, the IPAM and each Subnet's status
 * match the kubeovn.io/v1 Subnets in the informer's cache.
 *
 * A work queue of Subnet names is fed by the informer (and, when leading
 * starts, by the names on kovn's NB rows, so that a Subnet deleted while no
 * controller ran is cleaned up too).  subnet_run() takes keys from it and
 * adds their NB writes to the caller's transaction; subnet_txn_done() then
 * settles them: statuses are written after NB has the rows, and a
 * transaction that must be tried again puts its keys back with backoff.
 *
 * An invalid Subnet (bad CIDR, gateway or excludeIps; overlap with an older
 * Subnet or the join network; a same-named NB row that is not kovn's) gets
 * Ready=False, a Warning Event and a log line, and no NB writes.
 *
 * Deletion: every Subnet gets kovn's finalizer.  A deleted Subnet whose
 * addresses are still in use (pods, or IP resources kept for StatefulSet
 * pods) keeps working for them, says why in its Ready condition (reason
 * DeletionBlocked) and a Warning Event, and takes no new pods; once the
 * IPAM says the last address is released, its NB rows go, then the
 * finalizer.
 *
 * Ownership: the caller owns the subnet_ctl; it borrows the controller. */

#include "k8s/k8s-informer.h"
#include "ovsdb-idl.h"

struct controller;
struct ovn_txn;
struct nbrec_logical_router;

struct subnet_ctl *subnet_create(struct controller *);
void subnet_destroy(struct subnet_ctl *);

/* Handlers for the Subnet informer, with the subnet_ctl as 'aux'. */
extern const struct k8s_informer_handlers subnet_informer_handlers;

/* Queues every Subnet of the cache and every subnet named by a kovn NB row:
 * a full resync, as at start-up. */
void subnet_enqueue_all(struct subnet_ctl *);

/* Adds the writes of up to a batch of queued Subnets to 't'.  'router' is
 * the committed cluster router. */
void subnet_run(struct subnet_ctl *, struct ovn_txn *t,
                const struct nbrec_logical_router *router);
void subnet_wait(struct subnet_ctl *);

/* Settles the keys whose writes were in the transaction that ended with
 * 'status'. */
void subnet_txn_done(struct subnet_ctl *, enum ovsdb_idl_txn_status status);

/* True while keys wait for a transaction's result. */
bool subnet_has_pending(const struct subnet_ctl *);

/* True when no Subnet waits to be reconciled (delayed retries aside) and
 * none waits for a transaction: every valid Subnet is in the IPAM. */
bool subnet_is_idle(const struct subnet_ctl *);

/* True if Subnet 'name' is being deleted: it waits (kovn's finalizer,
 * Kube-OVN's name "kubeovn.io/kube-ovn-controller") until no address in it
 * is in use, and takes no new pods meanwhile. */
bool subnet_is_deleting(const struct subnet_ctl *, const char *name);

/* Subnet 'name''s address usage changed (an allocation or release): its
 * status is written again, by this module's status writer. */
void subnet_usage_changed(struct subnet_ctl *, const char *name);

#endif /* subnet.h */
