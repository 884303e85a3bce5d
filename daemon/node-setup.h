/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_NODE_SETUP_H
#define KOVN_DAEMON_NODE_SETUP_H 1

/* Makes the node ready for pods, and keeps it so:
 *
 *   - the Open_vSwitch row's external_ids tell ovn-controller who it is
 *     and where OVN is: system-id, hostname, ovn-remote, ovn-encap-type
 *     (geneve), ovn-encap-ip, ovn-bridge-datapath-type;
 *   - the integration bridge (br-int) exists with that datapath type;
 *   - the internal port ovn0 is bound to the node's OVN port node-<name>
 *     with the join address and MAC from the Node's annotations, and the
 *     node routes every subnet of the cluster router, and the Service
 *     CIDRs (--service-cidr), through the join gateway on it, so that the
 *     node reaches pods and ClusterIPs and pods the node.
 *
 * Like cni-ops.h: node_setup_run() each pass; node_setup_write() into the
 * main loop's local OVSDB transaction. */

#include <stdbool.h>

struct daemon;
struct ovn_txn;

struct node_setup *node_setup_create(struct daemon *);
void node_setup_destroy(struct node_setup *);

/* The Node object or the Subnets changed. */
void node_setup_changed(struct node_setup *);

void node_setup_run(struct node_setup *);
void node_setup_write(struct node_setup *, struct ovn_txn *);
void node_setup_wait(struct node_setup *);

/* True once ovn0 has its address and routes. */
bool node_setup_done(const struct node_setup *);

#endif /* daemon/node-setup.h */
