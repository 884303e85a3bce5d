/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CLUSTER_H
#define KOVN_CLUSTER_H 1

/* What the cluster needs before any subnet: the cluster router
 * (--cluster-router, "ovn-cluster"), the join switch (--join-cidr) with its
 * ports to the router, and the default Subnet resource ("ovn-default").
 *
 * Runs only while leading.  A same-named router or join row that is not
 * kovn's is reported (log, rate limited) and left alone; nothing that needs
 * it goes ahead.  Ownership: the caller owns the cluster_ctl; it borrows
 * the controller. */

struct controller;
struct ovn_txn;
struct nbrec_logical_router;

struct cluster_ctl *cluster_create(struct controller *);
void cluster_destroy(struct cluster_ctl *);

/* Adds to 't' what the router and join switch still need, and starts the
 * default Subnet's creation if it is missing.  Returns the cluster router
 * once it is committed and kovn's, else NULL: subnets wait for it. */
const struct nbrec_logical_router *cluster_run(struct cluster_ctl *,
                                               struct ovn_txn *t);
void cluster_wait(struct cluster_ctl *);

#endif /* cluster.h */
