/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_LB_H
#define KOVN_NB_LB_H 1

/* Load balancers and their group, owner-scoped.
 *
 * A load balancer kovn writes carries external_ids:vendor=kovn and its
 * owner keys; nothing here changes or deletes one that does not.  OVN
 * 23.03's Load_Balancer_Group has no external_ids: kovn owns its groups
 * by their names (ovn_name_services_lb_group(), in kovn's "kovn-" name
 * space) and only ever adds or removes its own load balancers in them. */

#include <stdbool.h>
#include <stddef.h>

struct nb_index;
struct nbrec_load_balancer_group;
struct ovn_txn;
struct smap;

/* Group 'name', or NULL after inserting it into 't' (it is found once the
 * transaction committed). */
const struct nbrec_load_balancer_group *nb_lb_group_ensure(
    struct ovn_txn *, struct nb_index *, const char *name);

/* Deletes group 'name' (kovn's by its name), in the IDL's open
 * transaction, with it from every switch that carries it, once each of its
 * load balancers is also in one of the 'n' 'groups' (which replace it);
 * leaves it while one is not, or if a switch that is not kovn's carries
 * it.  Its load balancers stay (a
 * group's references are weak).  Returns true if it deleted it. */
bool nb_lb_group_retire(struct nb_index *, const char *name,
                        const struct nbrec_load_balancer_group *const *groups,
                        size_t n);

/* A load balancer as the caller wants it.  All the caller's. */
struct nb_lb_spec {
    const char *name;
    const char *protocol;               /* "tcp", "udp", "sctp". */
    const struct smap *vips;            /* "VIP:PORT" -> "IP:PORT,...". */
    const struct smap *options;
    const char *const *selection_fields;    /* E.g. "ip_src"; may be
                                             * NULL if none. */
    size_t n_selection_fields;
    const struct smap *external_ids;    /* vendor=kovn and owner keys. */
};

/* Makes load balancer 'spec->name' be 'spec', a member of 'group'.  Writes
 * only what differs.  Returns false (and writes nothing) if a load
 * balancer of that name exists and is not kovn's. */
bool nb_lb_ensure(struct ovn_txn *, struct nb_index *,
                  const struct nbrec_load_balancer_group *group,
                  const struct nb_lb_spec *spec);

/* Deletes load balancer 'name' if it exists and is kovn's, removing it from
 * 'group' (may be NULL: the rows referring to it are then left to OVSDB's
 * referential integrity, which refuses the deletion).  Returns true if it
 * deleted it. */
bool nb_lb_remove(struct nb_index *,
                  const struct nbrec_load_balancer_group *group,
                  const char *name);

#endif /* nb/nb-lb.h */
