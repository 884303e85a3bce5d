/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_ROUTER_H
#define KOVN_NB_ROUTER_H 1

/* Logical routers and their static routes, owner-scoped: every helper here
 * creates rows with external_ids:vendor=kovn and owner keys, and changes
 * or deletes only rows that carry them.  (Router policies join this file
 * with the gateway work.) */

#include <stdbool.h>

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

#endif /* nb/nb-router.h */
