/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_ROUTER_H
#define KOVN_NB_ROUTER_H 1

/* Logical routers and their static routes, owner-scoped: every helper here
 * creates rows with external_ids:vendor=kovn and owner keys, and changes
 * or deletes only rows that carry them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nbrec_logical_router;
struct ovn_txn;

/* Adds router 'name' to 't', owned by VPC 'name'.  The row is the
 * transaction's: its ports are added once it is committed. */
const struct nbrec_logical_router *nb_router_insert(struct ovn_txn *,
                                                    const char *name);

/* Makes the static routes of 'router' owned by 'owner_key'='owner' be
 * exactly one route 'prefix' via 'nexthop', or none if 'prefix' is NULL.
 * 'router' may be NULL (nothing to do).  Returns true if it added or
 * removed a route. */
bool nb_routes_ensure(struct ovn_txn *, const struct nbrec_logical_router *,
                      const char *owner_key, const char *owner,
                      const char *prefix, const char *nexthop);

/* Priorities of the cluster router's policies, as Kube-OVN's: traffic to
 * the cluster's own networks and nodes is routed as usual ("allow"); the
 * rest that pods send goes to their node (node-gateway.h). */
#define NB_POLICY_ALLOW_INTERNAL 31000
#define NB_POLICY_REROUTE_CENTRALIZED 29100  /* subnet-gateway.h: above
                                              * the node's own. */
#define NB_POLICY_REROUTE_GATEWAY 29000

/* A router policy, as the caller wants it.  Strings are the caller's. */
struct nb_policy_spec {
    int64_t priority;
    const char *match;
    const char *action;             /* "allow", "drop", "reroute". */
    const char *const *nexthops;    /* For "reroute" (ECMP if several). */
    size_t n_nexthops;
};

/* Makes the policies of 'router' owned by 'owner_key'='owner' be exactly
 * 'want' (a policy is identified by its priority and match): the others
 * of that owner go, the missing ones come, and those that differ in action
 * or next hops are rewritten.  Policies of other owners, and rows without
 * vendor=kovn, are left alone.  Returns true if it added or removed
 * one. */
bool nb_policies_ensure(struct ovn_txn *, const struct nbrec_logical_router *,
                        const char *owner_key, const char *owner,
                        const struct nb_policy_spec *want, size_t n_want);

/* nb_policies_ensure() with one NB_POLICY_ALLOW_INTERNAL "allow" policy
 * "ip4.dst == CIDR" (or ip6) per CIDR of 'cidrs'. */
struct ip_cidr;
bool nb_policies_allow_cidrs(struct ovn_txn *,
                             const struct nbrec_logical_router *,
                             const char *owner_key, const char *owner,
                             const struct ip_cidr *cidrs, size_t n);

#endif /* nb/nb-router.h */
