/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_POD_H
#define KOVN_POD_H 1

/* The Pod reconciler: gives each scheduled, non-hostNetwork pod an address
 * from the IPAM, a logical switch port "<pod>.<namespace>" on its subnet's
 * switch, the ovn.kubernetes.io annotations the daemon reads and a
 * kubeovn.io/v1 IP resource, as Kube-OVN does; and takes them away again
 * when the pod is deleted or has finished (a StatefulSet's pod keeps its
 * address while its StatefulSet will re-create it: it exists, is not being
 * deleted and has more replicas than the pod's ordinal).
 *
 * Subnet choice: the pod's ovn.kubernetes.io/logical_switch annotation,
 * else its namespace's (namespace.c), else the default subnet.  Static
 * input: ovn.kubernetes.io/ip_address and mac_address.  Bad input gets a
 * Warning Event on the pod, a log line, nothing else, and a retry with
 * backoff.
 *
 * Start-up: nothing is allocated before the IPAM is rebuilt from pod
 * annotations, IP resources and kovn's NB ports (pod_run() does it once the
 * caches are synced and every Subnet was reconciled).  Garbage collection
 * (ports, IP resources and leases of pods that no longer exist) runs then
 * and every --gc-interval.
 *
 * The pod_ctl owns the Pod, IP and StatefulSet informers.  NB writes join
 * the caller's transaction; API writes (annotations, IP resources) start
 * only in pod_txn_done() once that transaction succeeded.
 *
 * Ownership: the caller owns the pod_ctl; it borrows the controller. */

#include <stdbool.h>
#include "ovsdb-idl.h"

struct controller;
struct ovn_txn;

struct pod_ctl *pod_create(struct controller *);
void pod_destroy(struct pod_ctl *);

/* The informers: run/wait them in every main-loop pass, leading or not, so
 * that a standby's caches are warm. */
void pod_informers_run(struct pod_ctl *);
void pod_informers_wait(struct pod_ctl *);

/* Adds the NB writes of up to a batch of queued pods to 't'. */
void pod_run(struct pod_ctl *, struct ovn_txn *t);
void pod_wait(struct pod_ctl *);

/* True once the IPAM holds every address in use (see start-up above). */
bool pod_is_restored(const struct pod_ctl *);

/* Settles the pods whose writes were in the transaction that ended with
 * 'status'. */
void pod_txn_done(struct pod_ctl *, enum ovsdb_idl_txn_status status);

#endif /* pod.h */
