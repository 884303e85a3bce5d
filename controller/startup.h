/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_STARTUP_H
#define KOVN_STARTUP_H 1

/* kovn-controller's start-up phases, in order.  Each kind says from which
 * phase it works (kind_class.phase); controller.c moves from one phase to
 * the next, and nothing else decides what may run when.
 *
 *   WAITING   not leading, or NB or a cache not synced yet: nothing is
 *             written (a Subnet not yet listed would look deleted);
 *   CLUSTER   the cluster router and the join switch (cluster.c) and the
 *             default Subnet's creation;
 *   NETWORKS  once the router is committed: Subnets into the IPAM and NB,
 *             statuses held back (the address counts are not known yet);
 *   RUNNING   once every NETWORKS kind is idle: each kind's rebuild()
 *             (the IPAM from pod annotations, IP resources and NB rows,
 *             before any allocation), then a full resync of every kind
 *             (enqueue_all()), then the first garbage collection (gc()),
 *             repeated every --gc-interval; then normal work. */

enum startup_phase {
    PHASE_WAITING,
    PHASE_CLUSTER,
    PHASE_NETWORKS,
    PHASE_RUNNING,
};

const char *startup_phase_name(enum startup_phase);

#endif /* startup.h */
