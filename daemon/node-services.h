/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_NODE_SERVICES_H
#define KOVN_DAEMON_NODE_SERVICES_H 1

/* The node's kernel side of Services and of the distributed gateway: ONE
 * nftables table, "inet kovn", in the node's network namespace.
 *
 *   - NodePort: a packet to a local address of the node (not loopback) on
 *     a Service's nodePort, and a packet to one of its externalIPs or
 *     load balancer ingress IPs on its port, is looked up in the verdict
 *     maps @nodeports (proto . port) and @external4 / @external6
 *     (ip . proto . port), from prerouting (from outside) and output (from
 *     the node itself).  Each Service port has, per family, its TARGETS:
 *     externalTrafficPolicy Cluster: the Service's ClusterIP of that
 *     family (routed via ovn0 into OVN, whose load balancer picks the
 *     backend), masqueraded; Local: the ready endpoints on this node, the
 *     client's address kept, dropped when there is none.
 *   - A ClusterIP from the node itself: for each Service port that has a
 *     ready backend on this node outside the pod CIDRs (a hostNetwork
 *     endpoint), a packet of the node's own (output, not prerouting) to a
 *     ClusterIP of a family that backend has, on that port, is looked up in
 *     @clusterip4 / @clusterip6 (ip . proto . port); its targets are all
 *     the port's ready backends of that family, masqueraded.  So are the
 *     targets of that port's nodePort and externalIPs under Cluster.
 *     (Through OVN, the node's own endpoint would come back into the node
 *     from the node's own ovn0 address, which the kernel drops as
 *     martian.)  Other Services' ClusterIPs are OVN's alone.
 *   - Where a port has at most one target per family (the common case:
 *     Cluster without a hostNetwork endpoint here, Local with one endpoint
 *     here), its verdict is a goto to one of four fixed chains
 *     (np_masq, np_local, vip_masq, vip_local) that DNAT through data maps
 *     (@np_one4/6: proto . port, @vip_one4/6: ip . proto . port, to
 *     ip . port): the port is only map elements.  A port with more targets
 *     gets a chain of its own ("svc/NS/NAME/PROTO/PORT" or
 *     "clusterip/..."), which picks one at random.  libnftables reads
 *     every chain of the table before a command that names one, so keeping
 *     per-port chains to those few keeps a change's cost from growing with
 *     the number of Services (bench/bench-nft.py).
 *   - Gateway: what pods of a natOutgoing Subnet send out of the cluster
 *     is masqueraded (or SNATed to this node's egress address) as it
 *     leaves the node: node-nat.h.
 *
 * A change to one Service (or its EndpointSlices) is one nft transaction
 * that adds and deletes that Service's map elements and adds, flushes or
 * deletes its chains, if it has any: its cost does not grow with the
 * number of Services (but with the number of per-port chains, when it
 * names one).
 * At start (and every resync interval) the table is read back and made
 * exactly what it should be in one transaction: nothing is written when it
 * is already right, stale chains and elements are removed, and the whole
 * table is replaced atomically when its skeleton is not this version's.
 * Each chain's first rule carries a comment with a hash of the chain's
 * content, so that a read-back chain is compared without parsing rules.
 *
 * Bad input (two Services claiming one nodePort or externalIP:port, a
 * Service nft refuses) gets a log line; the first claimant keeps the
 * port, and the other Services are served.
 *
 * The first half of this header is pure (model -> nft commands, and nft's
 * JSON listing -> the same form), for tests; the second half is the
 * module kovn-daemon runs. */

#include <stdbool.h>
#include <stddef.h>

#include "openvswitch/compiler.h"
#include "ipam/cidr.h"
#include "ovn/subnet-gw.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "svec.h"

struct ds;
struct ip_cidr;
struct json;
struct k8s_informer;
struct svc_model;

#define NSVC_TABLE "inet kovn"          /* Family and name. */
#define NSVC_MASQ_MARK 0x00020000       /* Packet mark bit: masquerade. */

enum nsvc_map {
    /* Verdict maps: key -> "goto CHAIN" or "drop". */
    NSVC_NODEPORTS, NSVC_EXTERNAL4, NSVC_EXTERNAL6,
    NSVC_CLUSTERIP4, NSVC_CLUSTERIP6,
    /* Data maps of the fixed chains: key -> "IP . PORT". */
    NSVC_NP_ONE4, NSVC_NP_ONE6, NSVC_VIP_ONE4, NSVC_VIP_ONE6,
    /* The gateway NAT's (node-nat.h), keyed by CIDR: sets, then maps. */
    NSVC_NAT_SRC4, NSVC_NAT_SRC6,       /* NATed when leaving. */
    NSVC_CLUSTER4, NSVC_CLUSTER6,       /* Never NATed to. */
    NSVC_LOCAL_PODS4, NSVC_LOCAL_PODS6, /* This node's pods. */
    NSVC_NAT_RULES4, NSVC_NAT_RULES6,   /* -> "jump natpol/SUBNET". */
    NSVC_EGRESS4, NSVC_EGRESS6,         /* -> this node's egress IP. */
    N_NSVC_MAPS
};
const char *nsvc_map_name(enum nsvc_map);

/* One chain of the table. */
struct nsvc_chain {
    char *header;               /* Base chains: "type nat hook ...; policy
                                 * accept;", else NULL. */
    struct svec rules;          /* Empty in a read-back table. */
    char *sig;                  /* "kovn:HASH:N_RULES" of header and
                                 * rules; read back: the first rule's
                                 * comment, or "" when the rule count does
                                 * not match it. */
};

/* A part of the table (one Service's, the skeleton's) or all of it. */
struct nsvc_frag {
    struct shash chains;                /* Name -> struct nsvc_chain *. */
    struct sset elems[N_NSVC_MAPS];     /* "KEY : VALUE", as nft lists
                                         * them. */
    unsigned int maps_seen;             /* Read back: 1 << map, for each
                                         * map the table has. */
};

/* A Subnet whose pods' traffic is NATed as it leaves the cluster. */
struct nsvc_nat_subnet {
    char *name;
    struct ip_cidr cidrs[2];
    size_t n_cidrs;
    struct subnet_gw gw;
    struct ip_addr egress;      /* This node's egress address for it (a
                                 * centralized gateway "node:IP"), or
                                 * family 0: the node's own. */
};

/* The cluster's networks, for the gateway NAT (and the pod CIDRs to tell a
 * hostNetwork endpoint from a pod).  Owns what it points to. */
struct nsvc_networks {
    struct ip_cidr *pods;       /* Pod CIDRs. */
    size_t n_pods;
    struct ip_cidr *cluster;    /* Never NATed to: pods, join, Services. */
    size_t n_cluster;
    struct nsvc_nat_subnet *nat;        /* By name. */
    size_t n_nat;
    struct ip_cidr *local_pods; /* This node's pods' addresses (/32, /128). */
    size_t n_local_pods;
};

void nsvc_frag_init(struct nsvc_frag *);
void nsvc_frag_destroy(struct nsvc_frag *);
size_t nsvc_frag_n_elems(const struct nsvc_frag *);

/* Adds to 'f' what the Service of 'm' needs on node 'node', whose pod
 * CIDRs are those of 'nets': its chains and map elements (none for a
 * Service without VIPs, or without node ports, externalIPs and a
 * hostNetwork endpoint on 'node'). */
void nsvc_service_frag(const struct svc_model *m, const char *node,
                       const struct nsvc_networks *nets,
                       struct nsvc_frag *f);

/* Adds to 'f' the table's skeleton: base chains, the "services" chain, the
 * gateway NAT of 'nets' (node-nat.h).  The chains are fixed by this
 * version of the code but the natpol/ ones. */
void nsvc_base_frag(const struct nsvc_networks *nets, struct nsvc_frag *f);

/* True if 'name' is a chain of the skeleton (fixed by code). */
bool nsvc_is_fixed_chain(const char *name);

/* Appends to 'cmds' the commands that turn 'old' into 'new' (chains added,
 * flushed and rewritten when their signature differs, or deleted; elements
 * deleted and added), in an order nft accepts as one transaction.  Appends
 * nothing when they are equal. */
void nsvc_diff(const struct nsvc_frag *old, const struct nsvc_frag *new,
               struct ds *cmds);

/* Appends to 'cmds' the commands that replace the whole table with 'all'
 * (which must hold the skeleton). */
void nsvc_replace(const struct nsvc_frag *all, struct ds *cmds);

/* Reads nft's text listing of the table ("list table inet kovn", with or
 * without handles) into 'f' (chains with their headers and signatures,
 * no rules).  Returns NULL or a malloc'd message. */
char *nsvc_frag_parse(const char *listing, struct nsvc_frag *f)
    OVS_WARN_UNUSED_RESULT;

/* True if 'have' (read back) has the skeleton of this version: every map,
 * and every fixed chain with the signature of 'want'. */
bool nsvc_skeleton_ok(const struct nsvc_frag *have,
                      const struct nsvc_frag *want);

/* Chains: 'header' NULL for a regular chain; rules added in order; sealed
 * (signed) once complete.  The chain belongs to 'f'. */
struct nsvc_chain *nsvc_chain_add(struct nsvc_frag *f, const char *name,
                                  const char *header);
void nsvc_chain_rule(struct nsvc_chain *, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);
void nsvc_chain_seal(struct nsvc_chain *, const char *name);

/* "ip" or "ip6". */
const char *nsvc_l3(int family);

/* Normalizes 'cidrs' in place: sorted, none contained in another.  */
void nsvc_cidrs_normalize(struct ip_cidr *cidrs, size_t *n);

/* ---- the module ---- */

struct node_services_config {
    const char *node_name;
    struct k8s_informer *services;      /* All Services. */
    struct k8s_informer *slices;        /* All EndpointSlices. */
    struct k8s_informer *subnets;       /* Subnets: the pod CIDRs. */
    struct k8s_informer *node;          /* This Node: the join CIDR. */
    struct k8s_informer *pods;          /* This node's pods, or NULL. */
    const struct ip_cidr *service_cidrs;
    size_t n_service_cidrs;
    int resync_s;                       /* Read back and repair this often;
                                         * 0: 300 s. */
    bool set_forwarding;                /* Turn IP forwarding on. */
};

/* Creates the module.  The informers are borrowed (they must outlive it);
 * it adds an index to 'slices', so call it before their first run.  The
 * module owns its nft handle and a copy of everything else. */
struct node_services *node_services_create(
    const struct node_services_config *);
void node_services_destroy(struct node_services *);

/* Informer events (call from the informers' handlers): a Service or an
 * EndpointSlice changed, or the Subnets or the Node did. */
void node_services_service_changed(struct node_services *,
                                   const struct json *service);
void node_services_slice_changed(struct node_services *,
                                 const struct json *slice);
void node_services_networks_changed(struct node_services *);

/* A pod of this node changed ('old' -> 'new', either NULL): its address
 * may have come or gone (node-nat.h's @local_pods). */
void node_services_pod_changed(struct node_services *,
                               const struct json *old,
                               const struct json *new);

/* Forces a read-back resync at the next run. */
void node_services_resync(struct node_services *);

void node_services_run(struct node_services *);
void node_services_wait(struct node_services *);

/* Counters, for kovn/status and tests. */
struct node_services_stats {
    bool synced;                        /* The table was made right once. */
    unsigned long long n_txns;          /* nft transactions run... */
    unsigned long long n_commands;      /* ...with this many commands. */
    unsigned long long n_errors;        /* Transactions nft refused. */
    unsigned long long n_resyncs;       /* Read-back resyncs. */
    unsigned long long n_replaces;      /* ...that replaced the table. */
    size_t n_services;                  /* Services with content. */
    size_t n_elems;                     /* Map elements written. */
};
void node_services_get_stats(const struct node_services *,
                             struct node_services_stats *);

#endif /* daemon/node-services.h */
