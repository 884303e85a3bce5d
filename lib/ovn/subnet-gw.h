/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_GW_H
#define KOVN_SUBNET_GW_H 1

/* A Subnet's way out of the cluster, in Kube-OVN's fields, as
 * kovn-controller (router policies, status) and kovn-daemon (the node's
 * NAT) both read them.  Pure.
 *
 *   spec.gatewayType     "distributed" (default): a pod's traffic leaves
 *                        through its own node; "centralized": through the
 *                        gateway nodes
 *   spec.gatewayNode     "n1,n2" or "n1:IP1,n2:IP2": the gateway nodes in
 *                        order of preference, each maybe with the egress
 *                        address (configured on that node) its traffic is
 *                        SNATed to instead of the node's own
 *   spec.enableEcmp      centralized: all live gateway nodes at once, not
 *                        the first live one
 *   spec.natOutgoing     the node masquerades what leaves the cluster
 *   spec.natOutgoingPolicyRules[]  {match: {srcIPs, dstIPs}, action}:
 *                        with natOutgoing, the first rule whose match holds
 *                        decides ("nat" or "forward": not NATed); an empty
 *                        list of IPs matches any address
 *
 * Ownership: a 'struct subnet_gw' owns all it points to. */

#include <stdbool.h>
#include <stddef.h>

#include "ipam/cidr.h"
#include "openvswitch/compiler.h"

struct json;
struct svec;

enum subnet_gw_type {
    SUBNET_GW_DISTRIBUTED,
    SUBNET_GW_CENTRALIZED,
};

struct subnet_gw_node {
    char *name;
    struct ip_addr egress;          /* family 0: none (the node's own). */
};

struct subnet_nat_rule {
    struct ip_cidr *src, *dst;      /* None: any. */
    size_t n_src, n_dst;
    bool forward;                   /* "forward": left unNATed. */
};

struct subnet_gw {
    enum subnet_gw_type type;
    bool nat_outgoing;
    bool ecmp;
    struct subnet_gw_node *nodes;   /* gatewayNode, in its order. */
    size_t n_nodes;
    struct subnet_nat_rule *rules;
    size_t n_rules;
};

/* Reads Subnet 'subnet' into 'gw'.  On error returns a malloc'd message
 * that names the field, and leaves 'gw' empty (destroying it is fine
 * either way). */
char *subnet_gw_parse(const struct json *subnet, struct subnet_gw *gw)
    OVS_WARN_UNUSED_RESULT;
void subnet_gw_destroy(struct subnet_gw *);

/* The gateway node 'name' of 'gw', or NULL. */
const struct subnet_gw_node *subnet_gw_find_node(const struct subnet_gw *,
                                                 const char *name);

/* A gateway node's kovn-daemon renews Lease NAMESPACE/PREFIX<node>, and
 * kovn-controller takes the node as a live gateway only while it does. */
#define SUBNET_GW_LEASE_NAMESPACE "kube-system"
#define SUBNET_GW_LEASE_PREFIX "kovn-daemon-"

/* Informer index (controller and daemon): the nodes a Subnet names in
 * spec.gatewayNode. */
#define SUBNET_INDEX_GATEWAY_NODES "gateway-nodes"
void subnet_gw_index_nodes(const struct json *subnet, struct svec *nodes);

#endif /* subnet-gw.h */
