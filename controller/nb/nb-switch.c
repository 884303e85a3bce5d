/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-switch.h"

#include <string.h>

#include "nb/nb-index.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "util.h"

static bool
switch_has_port(const struct nbrec_logical_switch *ls,
                const struct nbrec_logical_switch_port *lsp)
{
    for (size_t i = 0; i < ls->n_ports; i++) {
        if (ls->ports[i] == lsp) {
            return true;
        }
    }
    return false;
}

const struct nbrec_logical_switch *
nb_lsp_switch(struct nb_index *x, const struct nbrec_logical_switch_port *lsp)
{
    const char *subnet = ovn_owner_get(&lsp->external_ids, OVN_OWNER_SUBNET);
    const struct nbrec_logical_switch *ls = (subnet
                                             ? nb_find_switch(x, subnet)
                                             : NULL);
    if (ls && switch_has_port(ls, lsp)) {
        return ls;
    }
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, nb_index_idl(x)) {
        if (switch_has_port(ls, lsp)) {
            return ls;
        }
    }
    return NULL;
}

void
nb_lsp_delete(struct nb_index *x, const struct nbrec_logical_switch_port *lsp)
{
    const struct nbrec_logical_switch *ls = nb_lsp_switch(x, lsp);
    if (ls) {
        nbrec_logical_switch_update_ports_delvalue(ls, lsp);
    }
    nbrec_logical_switch_port_delete(lsp);
}

static bool
column_is(char **values, size_t n, const char *want)
{
    return want ? n == 1 && !strcmp(values[0], want) : !n;
}

const struct nbrec_logical_switch_port *
nb_lsp_ensure(struct ovn_txn *t, struct nb_index *x,
              const struct nbrec_logical_switch *ls,
              const struct nbrec_logical_switch_port *have,
              const struct nb_lsp_spec *spec)
{
    const struct nbrec_logical_switch_port *lsp = have;
    if (!lsp) {
        lsp = nbrec_logical_switch_port_insert(t->txn);
        nbrec_logical_switch_port_set_name(lsp, spec->name);
        nbrec_logical_switch_update_ports_addvalue(ls, lsp);
    } else if (!ovn_owner_matches(&lsp->external_ids, OVN_OWNER_SUBNET,
                                  ls->name)) {
        /* Only then can it be on another switch (found by a slower
         * search). */
        const struct nbrec_logical_switch *from = nb_lsp_switch(x, lsp);
        if (from != ls) {
            if (from) {
                nbrec_logical_switch_update_ports_delvalue(from, lsp);
            }
            nbrec_logical_switch_update_ports_addvalue(ls, lsp);
        }
    }

    /* The comparisons spare building a datum for each of thousands of pod
     * ports on a resync; the IDL would drop the same writes anyway. */
    const char *type = spec->type ? spec->type : "";
    if (!have || strcmp(lsp->type, type)) {
        nbrec_logical_switch_port_set_type(lsp, type);
    }
    const char *addresses = spec->addresses;
    if (!have || !column_is(lsp->addresses, lsp->n_addresses, addresses)) {
        nbrec_logical_switch_port_set_addresses(lsp, &addresses,
                                                addresses ? 1 : 0);
    }
    const char *ps = spec->port_security ? addresses : NULL;
    if (!have || !column_is(lsp->port_security, lsp->n_port_security, ps)) {
        nbrec_logical_switch_port_set_port_security(lsp, &ps, ps ? 1 : 0);
    }
    struct smap none = SMAP_INITIALIZER(&none);
    const struct smap *options = spec->options ? spec->options : &none;
    if (!have || !smap_equal(&lsp->options, options)) {
        nbrec_logical_switch_port_set_options(lsp, options);
    }
    if (!have || !smap_equal(&lsp->external_ids, spec->external_ids)) {
        nbrec_logical_switch_port_set_external_ids(lsp, spec->external_ids);
    }
    return lsp;
}
