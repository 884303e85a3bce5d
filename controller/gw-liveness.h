/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_GW_LIVENESS_H
#define KOVN_GW_LIVENESS_H 1

/* Whether a node can be a centralized Subnet's gateway now.  A node is live
 * while all of these hold:
 *   - its Node is Ready (the kubelet's view, slow to turn: 40 s by
 *     default);
 *   - it has its join address (the reroute's next hop);
 *   - its kovn-daemon keeps renewing Lease kube-system/kovn-daemon-<node>
 *     (lib/ovn/subnet-gw.h), which it does only while it is a gateway and
 *     connected to its OVS: the fast signal.
 * A Lease counts from when this process SAW it renewed, not from the
 * renewTime it carries, so clock skew between nodes does not matter (as
 * kube-controller-manager treats node leases).  The leases informer's
 * transform stamps each version with the local time it arrived; a relist
 * re-stamps them all, so a dead daemon looks alive for one more lease
 * duration after the controller (re)connects. */

#include <stdbool.h>

struct controller;
struct json;

/* The leases informer's transform: keeps the spec, adds the stamp. */
void gw_lease_transform(struct json *lease);

/* The node a kovn-daemon Lease is for, or NULL for other Leases. */
const char *gw_lease_node(const struct json *lease);

/* When 'lease' stops vouching for its node (time_msec() terms). */
long long int gw_lease_expiry(const struct json *lease);

/* Whether a Lease update ('old' -> 'new', either NULL) may change its
 * node's liveness: it came, went, or was renewed after it had expired. */
bool gw_lease_liveness_changed(const struct json *old,
                               const struct json *new);

/* Whether Node 'node''s Ready condition is True. */
bool gw_node_ready(const struct json *node);

/* The nodes informer's transform keeps the Ready condition's status and
 * nothing else of status.conditions (heartbeats would wake everyone). */
void gw_node_conditions_transform(struct json *status);

/* Whether node 'name' is live now ('now' in time_msec() terms); if so,
 * '*until' is when its Lease runs out unless renewed. */
bool gw_node_live(const struct controller *, const char *name,
                  long long int now, long long int *until);

#endif /* gw-liveness.h */
