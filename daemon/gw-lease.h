/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_GW_LEASE_H
#define KOVN_DAEMON_GW_LEASE_H 1

/* kovn-daemon's half of a centralized gateway's liveness
 * (controller/gw-liveness.h): while this node is a gateway of some Subnet
 * (a centralized one whose spec.gatewayNode names it) and the daemon is
 * connected to its node's OVSDB, it holds Lease
 * kube-system/kovn-daemon-<node> and renews it every GW_LEASE_RENEW_MS.
 * A daemon that dies, loses its OVSDB or is cut off from the apiserver
 * stops renewing, and kovn-controller moves the Subnets' traffic to
 * another gateway GW_LEASE_DURATION_S later.  Nodes that are no gateway
 * write nothing: the apiserver's load grows with the gateway nodes, not
 * with the cluster. */

#include <stdbool.h>

struct k8s_client;
struct k8s_informer;

#define GW_LEASE_DURATION_S 3
#define GW_LEASE_RENEW_MS 1000

/* 'subnets' is borrowed and must outlive the module; an index is added to
 * it, so create the module before the informer's first run. */
struct gw_lease *gw_lease_create(struct k8s_client *, const char *node,
                                 struct k8s_informer *subnets);
void gw_lease_destroy(struct gw_lease *);

/* 'ovs_ok': the daemon is connected to its node's OVSDB. */
void gw_lease_run(struct gw_lease *, bool ovs_ok);
void gw_lease_wait(struct gw_lease *);

/* Whether this node holds its Lease now (for kovn/status). */
bool gw_lease_held(const struct gw_lease *);

#endif /* daemon/gw-lease.h */
