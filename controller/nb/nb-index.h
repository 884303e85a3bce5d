/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_INDEX_H
#define KOVN_NB_INDEX_H 1

/* NB rows by name: indexes of the switches, switch ports, routers and
 * router ports.  nb_index_create() must be called before the IDL's first
 * run (an IDL rule) and after its tables are chosen; the caller frees the
 * result with nb_index_destroy() before the IDL.
 *
 * Like every IDL index they hold the replica's committed rows: a row that
 * the open transaction inserted, wrote or deleted is not found until the
 * transaction ends.  So a caller keeps the pointer of a row it inserts, and
 * the IDL should drop writes that change nothing
 * (ovsdb_idl_set_write_changed_only_all()), or a resync's rewrite of a row
 * would hide it for the rest of the transaction.  The controller looks
 * names up on every pass, and the switch port table holds a row per pod:
 * no table scans on the hot path. */

#include <stdbool.h>

struct ovsdb_idl;

/* Which optional tables are indexed (their 'name' columns must be
 * replicated): the controller replicates only the tables some kind
 * reads. */
enum nb_index_tables {
    NB_INDEX_ACL = 1 << 0,      /* Address_Set, Port_Group. */
    NB_INDEX_LB = 1 << 1,       /* Load_Balancer, Load_Balancer_Group. */
};

struct nb_index *nb_index_create(struct ovsdb_idl *, unsigned int tables);
void nb_index_destroy(struct nb_index *);

struct ovsdb_idl *nb_index_idl(const struct nb_index *);

const struct nbrec_logical_switch *nb_find_switch(struct nb_index *,
                                                  const char *name);
const struct nbrec_logical_router *nb_find_router(struct nb_index *,
                                                  const char *name);
const struct nbrec_logical_router_port *nb_find_lrp(struct nb_index *,
                                                    const char *name);
const struct nbrec_logical_switch_port *nb_find_lsp(struct nb_index *,
                                                    const char *name);

/* Address sets and port groups by name: only with NB_INDEX_ACL; else
 * these assert. */
const struct nbrec_address_set *nb_find_address_set(struct nb_index *,
                                                    const char *name);
const struct nbrec_port_group *nb_find_port_group(struct nb_index *,
                                                  const char *name);

/* Load balancers and their groups by name: only with NB_INDEX_LB. */
const struct nbrec_load_balancer *nb_find_lb(struct nb_index *,
                                             const char *name);
const struct nbrec_load_balancer_group *nb_find_lb_group(struct nb_index *,
                                                         const char *name);

#endif /* nb/nb-index.h */
