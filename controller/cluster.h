/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CLUSTER_H
#define KOVN_CLUSTER_H 1

/* What the cluster needs before any subnet: the cluster router
 * (--cluster-router, "ovn-cluster"), the join switch (--join-cidr) with its
 * ports to the router, the Load_Balancer_Group of Services that every switch
 * of the cluster router carries, and the default Subnet resource
 * ("ovn-default").
 *
 * Runs only while leading, from PHASE_CLUSTER on (startup.h).  A
 * same-named router or join row that is not kovn's is reported (log, rate
 * limited) and left alone; nothing that needs it goes ahead.
 *
 * Ownership: the controller owns the cluster_ctl; it borrows the
 * controller. */

#include "ovsdb-idl.h"

struct controller;
struct ovn_txn;
struct nbrec_load_balancer_group;
struct nbrec_logical_router;

struct cluster_ctl *cluster_create(struct controller *);
void cluster_destroy(struct cluster_ctl *);

/* Adds to 't' what the router and join switch still need, and starts the
 * default Subnet's creation if it is missing.  Returns the cluster router
 * once it is committed and kovn's, else NULL: subnets wait for it.  The NB
 * rows are looked at again only once the replica changed (or the last
 * transaction failed), as nothing else changes them. */
const struct nbrec_logical_router *cluster_run(struct cluster_ctl *,
                                               struct ovn_txn *t);
void cluster_wait(struct cluster_ctl *);

/* The OVN_SERVICES_LB_GROUPS Load_Balancer_Groups of the default VPC's
 * Services (committed), once cluster_run() returned the router; else
 * NULL. */
const struct nbrec_load_balancer_group *const *cluster_lb_groups(
    const struct cluster_ctl *);

/* True when the default Subnet's creation is not in flight. */
bool cluster_is_idle(const struct cluster_ctl *);

/* The transaction cluster_run() last wrote to ended with 'status'. */
void cluster_txn_done(struct cluster_ctl *, enum ovsdb_idl_txn_status);

#endif /* cluster.h */
