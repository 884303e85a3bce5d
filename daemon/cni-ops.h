/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_CNI_OPS_H
#define KOVN_DAEMON_CNI_OPS_H 1

/* CNI ADD, DEL and CHECK as kovn-daemon carries them out.
 *
 * Calls for one container of a pod run one at a time, in arrival order
 * (its DEL after its ADD); calls for different containers, even of one pod,
 * run side by side, so that the DEL of an old sandbox never waits behind
 * the ADD of a new one.  An ADD waits (on informer events, never a sleep
 * loop) until kovn-controller has annotated the pod, wires the veth pair,
 * adds the OVS port, then waits until ovn-controller reports the port
 * "ovn-installed" in the local OVSDB, and only then answers.  Every wait is
 * bounded by --cni-timeout; an ADD that fails or times out leaves nothing
 * behind.  An ADD (or CHECK) for a pod that is not there does not wait:
 * once the node's pod cache is synced, a pod it lacks is looked up in the
 * API and the call fails at once if the pod does not exist or is bound to
 * another node (after a 2 s grace if the API cannot say), and a pod
 * deleted while its ADD waits ends that ADD.  DEL succeeds when there is
 * nothing left to delete.
 *
 * Each ADD's answer is logged with the time it spent in each phase
 * (annotations, veth, ovs-port, ovn-installed, answer).
 *
 * The module also removes, at start and every few minutes, the ports of
 * pods that no longer exist on this node (a DEL the daemon missed while it
 * was down).
 *
 * The daemon's main loop calls, each pass: cni_ops_run(); then, when no
 * transaction on the local OVSDB is in flight, cni_ops_write() into a new
 * one and, once it has its final status, cni_ops_txn_done(). */

#include <stddef.h>
#include "ovsdb-idl.h"

struct cni_call;
struct daemon;
struct ovn_txn;

struct cni_ops *cni_ops_create(struct daemon *);
void cni_ops_destroy(struct cni_ops *);  /* Answers what is pending. */

/* The CNI server's handler: takes ownership of 'call'. */
void cni_ops_handle(struct cni_call *call, void *ops);

/* The pod informer's news: a pod of this node came, changed or went. */
void cni_ops_pod_changed(struct cni_ops *);

void cni_ops_run(struct cni_ops *);
void cni_ops_write(struct cni_ops *, struct ovn_txn *);
void cni_ops_txn_done(struct cni_ops *, enum ovsdb_idl_txn_status,
                      const char *error);
void cni_ops_wait(struct cni_ops *);

/* Calls being worked on or queued. */
size_t cni_ops_n_pending(const struct cni_ops *);

#endif /* daemon/cni-ops.h */
