/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NODE_H
#define KOVN_NODE_H 1

/* The Node kind: every Node gets, as in Kube-OVN,
 *
 *   - an address and a MAC in the join network (--join-cidr), leased from
 *     the controller's IPAM as owner "node/<name>" in the IPAM subnet
 *     "join" (gateway: the join router port's address);
 *   - a port "node-<name>" on the join switch, addresses "MAC IP",
 *     external_ids vendor=kovn node=<name> subnet=join, and no
 *     port_security (as in Kube-OVN: egress port security would drop pod
 *     traffic to the node's InternalIP, which is not the port's address);
 *   - on the cluster router, a static route <InternalIP>/32 via its join
 *     address (external_ids vendor=kovn node=<name>), so that pods reach
 *     the node; a Node without an InternalIP gets no route (log line and
 *     Warning Event "NoInternalIP"), but still its port;
 *   - its pods' distributed gateway: see node-gateway.h;
 *   - once NB has them, the annotations ovn.kubernetes.io/ip_address,
 *     mac_address, cidr, gateway, port_name, logical_switch (join) and
 *     allocated=true (merge patch, only when one differs: an edited
 *     annotation is written back).
 *
 * A deleted Node's port, route and lease go (kovn-owned rows only; a
 * same-named port that is not kovn's is reported and left alone).
 *
 * Rebuild.  Before the first allocation (PHASE_RUNNING's rebuild step),
 * the join subnet is registered in the IPAM
 * and the node leases are restored: first from kovn's node-* ports on the
 * join switch (what the data plane uses), then from the Nodes' annotations
 * (a record that contradicts a port is dropped and the annotation is
 * corrected later).  Only nodes allocate in the join subnet, so this step
 * does not depend on the pods' rebuild.
 *
 * Node updates queue the Node only when what the kind reads changed (our
 * annotations, the addresses): kubelets update their Node often.  A pod
 * that comes, goes, or gets its address queues its node. */

struct json;

extern const struct kind_class node_class;

/* The Node informer's transform: keeps only what the kind reads. */
void node_transform(struct json *obj);

#endif /* node.h */
