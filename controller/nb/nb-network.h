/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_NETWORK_H
#define KOVN_NB_NETWORK_H 1

/* The NB rows of one routed network: a logical switch, its port to the
 * cluster router, and the router's port to it, as Kube-OVN names them:
 *
 *     switch  <name>                   external_ids vendor=kovn subnet=<name>
 *     LSP     <name>-<router>          type=router, addresses=router
 *     LRP     <router>-<name>          gateway/prefix, MAC
 *
 * Shared by the subnet reconciler and the join switch of cluster.c.  Every
 * function only touches rows with external_ids:vendor=kovn; the caller
 * first asks network_check_foreign() whether a same-named row of someone
 * else's blocks the name.
 *
 * Rows are found by name through IDL indexes (nb/nb-index.h). */

#include <stddef.h>
#include "ipam/cidr.h"

struct nb_index;
struct ovn_txn;
struct nbrec_load_balancer_group;
struct nbrec_logical_router;
struct nbrec_logical_switch;
struct nbrec_logical_switch_port;
struct svec;

struct network_spec {
    const char *name;               /* Switch name = subnet name. */
    size_t n_cidrs;
    struct ip_cidr cidrs[2];
    struct ip_addr gateways[2];     /* gateways[i] lies in cidrs[i]. */
    const struct svec *excludes;    /* excludeIps entries, as written. */
    /* Services on the switch: 'n_lb_groups' groups, all attached. */
    const struct nbrec_load_balancer_group *const *lb_groups;
    size_t n_lb_groups;
};

/* Whether switch 'ls' carries load balancer group 'group'. */
bool nb_switch_has_lb_group(const struct nbrec_logical_switch *ls,
                            const struct nbrec_load_balancer_group *group);

/* Returns a malloc'd message if a row that network 'name' on 'router'
 * needs exists without vendor=kovn (or is kovn's but another subnet's),
 * else NULL. */
char *network_check_foreign(struct nb_index *, const char *router,
                            const char *name);

/* Adds to 't' what makes the rows of 'spec' exist and match it.  'router'
 * is the kovn-owned cluster router, already committed.  Writes that change
 * nothing are dropped by the IDL, so calling it again is cheap.  Returns
 * the switch (the transaction's row if new). */
const struct nbrec_logical_switch *network_ensure(
    struct ovn_txn *t, struct nb_index *,
    const struct nbrec_logical_router *router,
    const struct network_spec *spec);

/* Adds to 't' the removal of the kovn-owned rows of network 'name'.
 * 'router' may be NULL.  Returns true if there was anything to remove. */
bool network_remove(struct ovn_txn *t, struct nb_index *,
                    const struct nbrec_logical_router *router,
                    const char *name);

#endif /* nb-network.h */
