/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-index.h"

#include "ovn-nb-idl.h"
#include "util.h"

struct nb_index {
    struct ovsdb_idl *idl;
    struct ovsdb_idl_index *switches;
    struct ovsdb_idl_index *switch_ports;
    struct ovsdb_idl_index *routers;
    struct ovsdb_idl_index *router_ports;
    struct ovsdb_idl_index *address_sets;   /* NULL if not replicated. */
    struct ovsdb_idl_index *port_groups;    /* NULL if not replicated. */
    struct ovsdb_idl_index *lbs;            /* NULL if not replicated. */
    struct ovsdb_idl_index *lb_groups;      /* NULL if not replicated. */
};


struct nb_index *
nb_index_create(struct ovsdb_idl *idl, unsigned int tables)
{
    struct nb_index *x = xmalloc(sizeof *x);
    x->idl = idl;
    x->switches = ovsdb_idl_index_create1(idl,
                                          &nbrec_logical_switch_col_name);
    x->switch_ports = ovsdb_idl_index_create1(
        idl, &nbrec_logical_switch_port_col_name);
    x->routers = ovsdb_idl_index_create1(idl,
                                         &nbrec_logical_router_col_name);
    x->router_ports = ovsdb_idl_index_create1(
        idl, &nbrec_logical_router_port_col_name);
    bool acl_tables = tables & NB_INDEX_ACL;
    bool lb_tables = tables & NB_INDEX_LB;
    x->address_sets = (acl_tables
                       ? ovsdb_idl_index_create1(idl,
                                                 &nbrec_address_set_col_name)
                       : NULL);
    x->port_groups = (acl_tables
                      ? ovsdb_idl_index_create1(idl,
                                                &nbrec_port_group_col_name)
                      : NULL);
    x->lbs = (lb_tables
              ? ovsdb_idl_index_create1(idl, &nbrec_load_balancer_col_name)
              : NULL);
    x->lb_groups = (lb_tables
                    ? ovsdb_idl_index_create1(
                        idl, &nbrec_load_balancer_group_col_name)
                    : NULL);
    return x;
}

void
nb_index_destroy(struct nb_index *x)
{
    free(x);                        /* The IDL frees its indexes. */
}

/* Each lookup fills a search row with the name, as the generated index API
 * wants. */
const struct nbrec_logical_switch *
nb_find_switch(struct nb_index *x, const char *name)
{
    struct nbrec_logical_switch *key
        = nbrec_logical_switch_index_init_row(x->switches);
    nbrec_logical_switch_index_set_name(key, name);
    const struct nbrec_logical_switch *ls
        = nbrec_logical_switch_index_find(x->switches, key);
    nbrec_logical_switch_index_destroy_row(key);
    return ls;
}

const struct nbrec_logical_router *
nb_find_router(struct nb_index *x, const char *name)
{
    struct nbrec_logical_router *key
        = nbrec_logical_router_index_init_row(x->routers);
    nbrec_logical_router_index_set_name(key, name);
    const struct nbrec_logical_router *lr
        = nbrec_logical_router_index_find(x->routers, key);
    nbrec_logical_router_index_destroy_row(key);
    return lr;
}

const struct nbrec_logical_router_port *
nb_find_lrp(struct nb_index *x, const char *name)
{
    struct nbrec_logical_router_port *key
        = nbrec_logical_router_port_index_init_row(x->router_ports);
    nbrec_logical_router_port_index_set_name(key, name);
    const struct nbrec_logical_router_port *lrp
        = nbrec_logical_router_port_index_find(x->router_ports, key);
    nbrec_logical_router_port_index_destroy_row(key);
    return lrp;
}

const struct nbrec_logical_switch_port *
nb_find_lsp(struct nb_index *x, const char *name)
{
    struct nbrec_logical_switch_port *key
        = nbrec_logical_switch_port_index_init_row(x->switch_ports);
    nbrec_logical_switch_port_index_set_name(key, name);
    const struct nbrec_logical_switch_port *lsp
        = nbrec_logical_switch_port_index_find(x->switch_ports, key);
    nbrec_logical_switch_port_index_destroy_row(key);
    return lsp;
}

struct ovsdb_idl *
nb_index_idl(const struct nb_index *x)
{
    return x->idl;
}

const struct nbrec_address_set *
nb_find_address_set(struct nb_index *x, const char *name)
{
    ovs_assert(x->address_sets);
    struct nbrec_address_set *key
        = nbrec_address_set_index_init_row(x->address_sets);
    nbrec_address_set_index_set_name(key, name);
    const struct nbrec_address_set *as
        = nbrec_address_set_index_find(x->address_sets, key);
    nbrec_address_set_index_destroy_row(key);
    return as;
}

const struct nbrec_port_group *
nb_find_port_group(struct nb_index *x, const char *name)
{
    ovs_assert(x->port_groups);
    struct nbrec_port_group *key
        = nbrec_port_group_index_init_row(x->port_groups);
    nbrec_port_group_index_set_name(key, name);
    const struct nbrec_port_group *pg
        = nbrec_port_group_index_find(x->port_groups, key);
    nbrec_port_group_index_destroy_row(key);
    return pg;
}

const struct nbrec_load_balancer *
nb_find_lb(struct nb_index *x, const char *name)
{
    ovs_assert(x->lbs);
    struct nbrec_load_balancer *key
        = nbrec_load_balancer_index_init_row(x->lbs);
    nbrec_load_balancer_index_set_name(key, name);
    const struct nbrec_load_balancer *lb
        = nbrec_load_balancer_index_find(x->lbs, key);
    nbrec_load_balancer_index_destroy_row(key);
    return lb;
}

const struct nbrec_load_balancer_group *
nb_find_lb_group(struct nb_index *x, const char *name)
{
    ovs_assert(x->lb_groups);
    struct nbrec_load_balancer_group *key
        = nbrec_load_balancer_group_index_init_row(x->lb_groups);
    nbrec_load_balancer_group_index_set_name(key, name);
    const struct nbrec_load_balancer_group *g
        = nbrec_load_balancer_group_index_find(x->lb_groups, key);
    nbrec_load_balancer_group_index_destroy_row(key);
    return g;
}
