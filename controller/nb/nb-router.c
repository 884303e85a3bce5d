/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-router.h"

#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"

const struct nbrec_logical_router *
nb_router_insert(struct ovn_txn *t, const char *name)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_VPC, name, NULL);
    const struct nbrec_logical_router *lr
        = nbrec_logical_router_insert(t->txn);
    nbrec_logical_router_set_name(lr, name);
    nbrec_logical_router_set_external_ids(lr, &ids);
    smap_destroy(&ids);
    return lr;
}

bool
nb_routes_ensure(struct ovn_txn *t, const struct nbrec_logical_router *router,
                 const char *owner_key, const char *owner,
                 const char *prefix, const char *nexthop)
{
    const struct nbrec_logical_router_static_route *keep = NULL;
    bool changed = false;

    if (!router) {
        return false;
    }
    for (size_t i = 0; i < router->n_static_routes; i++) {
        const struct nbrec_logical_router_static_route *r
            = router->static_routes[i];
        if (!ovn_owner_matches(&r->external_ids, owner_key, owner)) {
            continue;
        }
        if (prefix && !keep) {
            keep = r;
            nbrec_logical_router_static_route_set_ip_prefix(r, prefix);
            nbrec_logical_router_static_route_set_nexthop(r, nexthop);
        } else {
            nbrec_logical_router_update_static_routes_delvalue(router, r);
            nbrec_logical_router_static_route_delete(r);
            changed = true;
        }
    }
    if (prefix && !keep) {
        struct smap ids = SMAP_INITIALIZER(&ids);
        ovn_owner_init(&ids, owner_key, owner, NULL);
        const struct nbrec_logical_router_static_route *r
            = nbrec_logical_router_static_route_insert(t->txn);
        nbrec_logical_router_static_route_set_ip_prefix(r, prefix);
        nbrec_logical_router_static_route_set_nexthop(r, nexthop);
        nbrec_logical_router_static_route_set_external_ids(r, &ids);
        nbrec_logical_router_update_static_routes_addvalue(router, r);
        smap_destroy(&ids);
        changed = true;
    }
    return changed;
}
