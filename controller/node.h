/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NODE_H
#define KOVN_NODE_H 1

/* The Node reconciler: every Node gets, as in Kube-OVN,
 *
 *   - an address and a MAC in the join network (--join-cidr), leased from
 *     the controller's IPAM as owner "node/<name>" in the IPAM subnet
 *     "join" (gateway: the join router port's address);
 *   - a port "node-<name>" on the join switch, addresses "MAC IP",
 *     external_ids vendor=kovn node=<name>, and no port_security (as in
 *     Kube-OVN: egress port security would drop pod traffic to the node's
 *     InternalIP, which is not the port's address);
 *   - on the cluster router, a static route <InternalIP>/32 via its join
 *     address (external_ids vendor=kovn node=<name>), so that pods reach
 *     the node; a Node without an InternalIP gets no route (log line and
 *     Warning Event "NoInternalIP"), but still its port;
 *   - once NB has them, the annotations ovn.kubernetes.io/ip_address,
 *     mac_address, cidr, gateway, port_name, logical_switch (join) and
 *     allocated=true (merge patch, only when one differs: an edited
 *     annotation is written back).
 *
 * A deleted Node's port, route and lease go (kovn-owned rows only; a
 * same-named port that is not kovn's is reported and left alone).
 *
 * Rebuild.  Before the first allocation (the first node_run() once the
 * Node cache and NB are synced), the join subnet is registered in the IPAM
 * and the node leases are restored: first from kovn's node-* ports on the
 * join switch (what the data plane uses), then from the Nodes' annotations
 * (a record that contradicts a port is dropped and the annotation is
 * corrected later).  Only nodes allocate in the join subnet, so this step
 * does not depend on the pods' rebuild.
 *
 * Ownership: the caller owns the node_ctl; it borrows the controller. */

#include "k8s/k8s-informer.h"
#include "ovsdb-idl.h"

struct controller;
struct ovn_txn;
struct nbrec_logical_router;

struct node_ctl *node_create(struct controller *);
void node_destroy(struct node_ctl *);

/* Handlers and options for the Node informer, with the node_ctl as 'aux'.
 * The options' transform keeps only what the reconciler reads. */
extern const struct k8s_informer_handlers node_informer_handlers;
extern const struct k8s_informer_options node_informer_options;

/* Queues every Node of the cache and every node named by a kovn NB row. */
void node_enqueue_all(struct node_ctl *);

/* Adds the writes of up to a batch of queued Nodes to 't'.  'router' is
 * the committed cluster router.  Does nothing until the Node informer has
 * synced. */
void node_run(struct node_ctl *, struct ovn_txn *t,
              const struct nbrec_logical_router *router);
void node_wait(struct node_ctl *);

/* Settles the keys whose writes were in the transaction that ended with
 * 'status': annotations are written after a success. */
void node_txn_done(struct node_ctl *, enum ovsdb_idl_txn_status status);

#endif /* node.h */
