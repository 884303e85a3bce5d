/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-router.h"

#include <string.h>
#include <sys/socket.h>
#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"

#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "util.h"

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

static bool
same_strings(char **a, size_t n_a, const char *const *b, size_t n_b)
{
    if (n_a != n_b) {
        return false;
    }
    for (size_t i = 0; i < n_a; i++) {
        bool found = false;
        for (size_t j = 0; j < n_b && !found; j++) {
            found = !strcmp(a[i], b[j]);
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static void
policy_write(const struct nbrec_logical_router_policy *p,
             const struct nb_policy_spec *spec)
{
    if (strcmp(p->action, spec->action)) {
        nbrec_logical_router_policy_set_action(p, spec->action);
    }
    if (!same_strings(p->nexthops, p->n_nexthops, spec->nexthops,
                      spec->n_nexthops)) {
        nbrec_logical_router_policy_set_nexthops(
            p, (const char **) spec->nexthops, spec->n_nexthops);
    }
}

/* Index in 'want' of the spec that policy 'p' is, or -1. */
static int
find_spec(const struct nbrec_logical_router_policy *p,
          const struct nb_policy_spec *want, size_t n_want)
{
    for (size_t i = 0; i < n_want; i++) {
        if (p->priority == want[i].priority
            && !strcmp(p->match, want[i].match)) {
            return i;
        }
    }
    return -1;
}

bool
nb_policies_ensure(struct ovn_txn *t,
                   const struct nbrec_logical_router *router,
                   const char *owner_key, const char *owner,
                   const struct nb_policy_spec *want, size_t n_want)
{
    bool changed = false;
    bool *have = xcalloc(n_want ? n_want : 1, sizeof *have);

    for (size_t i = 0; router && i < router->n_policies; i++) {
        const struct nbrec_logical_router_policy *p = router->policies[i];
        if (!ovn_owner_matches(&p->external_ids, owner_key, owner)) {
            continue;
        }
        int k = find_spec(p, want, n_want);
        if (k >= 0 && !have[k]) {
            have[k] = true;
            policy_write(p, &want[k]);
        } else {
            nbrec_logical_router_update_policies_delvalue(router, p);
            nbrec_logical_router_policy_delete(p);
            changed = true;
        }
    }
    for (size_t i = 0; router && i < n_want; i++) {
        if (!have[i]) {
            struct smap ids = SMAP_INITIALIZER(&ids);
            ovn_owner_init(&ids, owner_key, owner, NULL);
            const struct nbrec_logical_router_policy *p
                = nbrec_logical_router_policy_insert(t->txn);
            nbrec_logical_router_policy_set_priority(p, want[i].priority);
            nbrec_logical_router_policy_set_match(p, want[i].match);
            nbrec_logical_router_policy_set_external_ids(p, &ids);
            policy_write(p, &want[i]);
            nbrec_logical_router_update_policies_addvalue(router, p);
            smap_destroy(&ids);
            changed = true;
        }
    }
    free(have);
    return changed;
}

bool
nb_policies_allow_cidrs(struct ovn_txn *t,
                        const struct nbrec_logical_router *router,
                        const char *owner_key, const char *owner,
                        const struct ip_cidr *cidrs, size_t n)
{
    struct nb_policy_spec *want = xcalloc(n ? n : 1, sizeof *want);
    struct ds *matches = xcalloc(n ? n : 1, sizeof *matches);
    for (size_t i = 0; i < n; i++) {
        ds_init(&matches[i]);
        ds_put_format(&matches[i], "%s.dst == ",
                      cidrs[i].family == AF_INET ? "ip4" : "ip6");
        cidr_put(&cidrs[i], &matches[i]);
        want[i] = (struct nb_policy_spec) {
            .priority = NB_POLICY_ALLOW_INTERNAL,
            .match = ds_cstr(&matches[i]),
            .action = "allow",
        };
    }
    bool changed = nb_policies_ensure(t, router, owner_key, owner, want, n);
    for (size_t i = 0; i < n; i++) {
        ds_destroy(&matches[i]);
    }
    free(matches);
    free(want);
    return changed;
}
