/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NODE_GATEWAY_H
#define KOVN_NODE_GATEWAY_H 1

/* Part of the Node kind: the node as its pods' distributed gateway, as
 * Kube-OVN's "distributed" gatewayType does it.  For node <name>, on the
 * cluster router:
 *
 *   - address sets kovn.node.<name>_ip4 and _ip6 (each '-' of the name
 *     becomes '_'): the addresses of the pods on the node, from their
 *     ovn.kubernetes.io/ip_address annotation, changed by element;
 *   - policy 31000 "ip4.dst == <InternalIP>" allow: pods reach the node
 *     (and host-network endpoints on it) through its static route;
 *   - policy 29000 "ip4.src == $kovn.node.<name>_ip4" reroute to the
 *     node's join address: what the node's pods send out of the cluster
 *     networks (which policies of priority 31000 let through, see subnet.c
 *     and cluster.c) leaves through their own node, which masquerades it
 *     (kovn-daemon's nftables).  Replies to connections DNATed on the node
 *     (a NodePort with externalTrafficPolicy Local) so return through it.
 *
 * All rows carry vendor=kovn node=<name>. */

#include <stdbool.h>

struct controller;
struct ipam_lease;
struct json;
struct ovn_txn;
struct svec;

/* Makes the gateway rows of node 'name' match Node 'obj' with join lease
 * 'lease', or removes them if 'obj' is NULL.  Returns true if it wrote
 * something. */
bool node_gateway_ensure(struct controller *, struct ovn_txn *,
                         const char *name, const struct json *obj,
                         const struct ipam_lease *lease);

/* Pod informer index: the pod's node. */
#define NODE_INDEX_PODS "node"

/* Whether a pod event ('old' -> 'new', either NULL) changes the pod
 * addresses of a node: adds the nodes concerned to 'nodes'. */
void node_gateway_pod_nodes(const struct json *old, const struct json *new,
                            struct svec *nodes);

#endif /* node-gateway.h */
