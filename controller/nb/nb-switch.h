/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_SWITCH_H
#define KOVN_NB_SWITCH_H 1

/* Logical switch ports: the owner-scoped helpers every kind that puts a
 * port on a switch uses (pods, nodes, a network's port to its router).
 *
 * Callers check ownership before they write: a same-named port that is not
 * kovn's (ovn_owner_is_kovn()) is reported and left alone.  kovn keeps a
 * port on the switch its external_ids:subnet names, which makes finding a
 * port's switch quick. */

#include <stdbool.h>

struct nb_index;
struct nbrec_logical_switch;
struct nbrec_logical_switch_port;
struct ovn_txn;
struct smap;

/* What a port should be.  Strings and smaps are the caller's. */
struct nb_lsp_spec {
    const char *name;
    const char *type;               /* NULL or "": a VIF; "router". */
    const char *addresses;          /* The one entry: "MAC IP [IP]". */
    bool port_security;             /* port_security = addresses, or none. */
    const struct smap *options;     /* NULL: none. */
    const struct smap *external_ids;    /* vendor=kovn and owner keys. */
};

/* Makes port 'spec->name' exist on switch 'ls' and match 'spec', moving it
 * from another switch if it is on one.  'have' is the port as found by
 * name (kovn's, checked by the caller) or NULL.  Writes only columns that
 * differ.  Returns the port (the transaction's row if it is new). */
const struct nbrec_logical_switch_port *nb_lsp_ensure(
    struct ovn_txn *, struct nb_index *, const struct nbrec_logical_switch *ls,
    const struct nbrec_logical_switch_port *have,
    const struct nb_lsp_spec *spec);

/* Adds to the open transaction the removal of kovn's port 'lsp' from its
 * switch. */
void nb_lsp_delete(struct nb_index *,
                   const struct nbrec_logical_switch_port *);

/* The switch whose 'ports' hold 'lsp', or NULL.  Quick for a port whose
 * external_ids:subnet names its switch, as kovn's do; otherwise it scans
 * every switch. */
const struct nbrec_logical_switch *nb_lsp_switch(
    struct nb_index *, const struct nbrec_logical_switch_port *lsp);

#endif /* nb/nb-switch.h */
