/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-lb.h"

#include "hmapx.h"
#include "nb/nb-index.h"
#include "nb/nb-network.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "util.h"

const struct nbrec_load_balancer_group *
nb_lb_group_ensure(struct ovn_txn *t, struct nb_index *x, const char *name)
{
    const struct nbrec_load_balancer_group *g = nb_find_lb_group(x, name);
    if (!g) {
        g = nbrec_load_balancer_group_insert(t->txn);
        nbrec_load_balancer_group_set_name(g, name);
        return NULL;
    }
    return g;
}

/* Whether every load balancer of 'old' is in one of the 'n' 'groups'. */
static bool
members_moved(const struct nbrec_load_balancer_group *old,
              const struct nbrec_load_balancer_group *const *groups,
              size_t n)
{
    struct hmapx members = HMAPX_INITIALIZER(&members);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < groups[i]->n_load_balancer; j++) {
            hmapx_add(&members, CONST_CAST(struct nbrec_load_balancer *,
                                           groups[i]->load_balancer[j]));
        }
    }
    bool moved = true;
    for (size_t j = 0; moved && j < old->n_load_balancer; j++) {
        moved = hmapx_contains(&members, old->load_balancer[j]);
    }
    hmapx_destroy(&members);
    return moved;
}

bool
nb_lb_group_retire(struct nb_index *x, const char *name,
                   const struct nbrec_load_balancer_group *const *groups,
                   size_t n)
{
    const struct nbrec_load_balancer_group *g = nb_find_lb_group(x, name);
    if (!g || !members_moved(g, groups, n)) {
        return false;
    }
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, nb_index_idl(x)) {
        if (nb_switch_has_lb_group(ls, g)
            && !ovn_owner_is_kovn(&ls->external_ids)) {
            return false;
        }
    }
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, nb_index_idl(x)) {
        if (nb_switch_has_lb_group(ls, g)) {
            nbrec_logical_switch_update_load_balancer_group_delvalue(ls, g);
        }
    }
    nbrec_load_balancer_group_delete(g);
    return true;
}

static bool
group_has(const struct nbrec_load_balancer_group *g,
          const struct nbrec_load_balancer *lb)
{
    for (size_t i = 0; i < g->n_load_balancer; i++) {
        if (g->load_balancer[i] == lb) {
            return true;
        }
    }
    return false;
}

bool
nb_lb_ensure(struct ovn_txn *t, struct nb_index *x,
             const struct nbrec_load_balancer_group *group,
             const struct nb_lb_spec *spec)
{
    const struct nbrec_load_balancer *lb = nb_find_lb(x, spec->name);
    if (lb && !ovn_owner_is_kovn(&lb->external_ids)) {
        return false;
    }
    if (!lb) {
        lb = nbrec_load_balancer_insert(t->txn);
        nbrec_load_balancer_set_name(lb, spec->name);
        /* Joined by mutation, so that concurrent joins of other load
         * balancers do not overwrite each other, and at once: a load
         * balancer is never seen outside its group. */
        nbrec_load_balancer_group_update_load_balancer_addvalue(group, lb);
    } else if (!group_has(group, lb)) {
        /* Made by an earlier kovn, in another group. */
        nbrec_load_balancer_group_update_load_balancer_addvalue(group, lb);
    }
    /* Whole-column writes of what the caller wants: the IDL drops those
     * that change nothing (ovsdb_idl_set_write_changed_only_all()), so a
     * resync writes nothing. */
    nbrec_load_balancer_set_protocol(lb, spec->protocol);
    nbrec_load_balancer_set_vips(lb, spec->vips);
    nbrec_load_balancer_set_options(lb, spec->options);
    nbrec_load_balancer_set_selection_fields(
        lb, CONST_CAST(const char **, spec->selection_fields),
        spec->n_selection_fields);
    nbrec_load_balancer_set_external_ids(lb, spec->external_ids);
    return true;
}

bool
nb_lb_remove(struct nb_index *x,
             const struct nbrec_load_balancer_group *group, const char *name)
{
    const struct nbrec_load_balancer *lb = nb_find_lb(x, name);
    if (!lb || !ovn_owner_is_kovn(&lb->external_ids)) {
        return false;
    }
    if (group) {
        nbrec_load_balancer_group_update_load_balancer_delvalue(group, lb);
    }
    nbrec_load_balancer_delete(lb);
    return true;
}
