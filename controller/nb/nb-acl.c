/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-acl.h"

#include <string.h>

#include "hmapx.h"
#include "nb/nb-index.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

const struct nbrec_address_set *
nb_address_set_ensure(struct ovn_txn *t, struct nb_index *x,
                      const char *name, const struct smap *ids,
                      const struct sset *want)
{
    const struct nbrec_address_set *as = nb_find_address_set(x, name);
    if (as && !ovn_owner_is_kovn(&as->external_ids)) {
        return NULL;
    }
    if (!as) {
        as = nbrec_address_set_insert(t->txn);
        nbrec_address_set_set_name(as, name);
    }
    if (!smap_equal(&as->external_ids, ids)) {
        nbrec_address_set_set_external_ids(as, ids);
    }

    struct sset have = SSET_INITIALIZER(&have);
    for (size_t i = 0; i < as->n_addresses; i++) {
        sset_add(&have, as->addresses[i]);
        if (!sset_contains(want, as->addresses[i])) {
            nbrec_address_set_update_addresses_delvalue(as,
                                                        as->addresses[i]);
        }
    }
    const char *addr;
    SSET_FOR_EACH (addr, want) {
        if (!sset_contains(&have, addr)) {
            nbrec_address_set_update_addresses_addvalue(as, addr);
        }
    }
    sset_destroy(&have);
    return as;
}

const struct nbrec_port_group *
nb_port_group_ensure(struct ovn_txn *t, struct nb_index *x, const char *name,
                     const struct smap *ids,
                     const struct nbrec_logical_switch_port *const *ports,
                     size_t n, const struct sset *keep)
{
    const struct nbrec_port_group *pg = nb_find_port_group(x, name);
    if (pg && !ovn_owner_is_kovn(&pg->external_ids)) {
        return NULL;
    }
    if (!pg) {
        pg = nbrec_port_group_insert(t->txn);
        nbrec_port_group_set_name(pg, name);
    }
    if (!smap_equal(&pg->external_ids, ids)) {
        nbrec_port_group_set_external_ids(pg, ids);
    }

    struct hmapx want = HMAPX_INITIALIZER(&want);
    struct hmapx have = HMAPX_INITIALIZER(&have);
    for (size_t i = 0; i < n; i++) {
        hmapx_add(&want, CONST_CAST(void *, ports[i]));
    }
    for (size_t i = 0; i < pg->n_ports; i++) {
        hmapx_add(&have, pg->ports[i]);
        if (!hmapx_contains(&want, pg->ports[i])
            && !(keep && sset_contains(keep, pg->ports[i]->name))) {
            nbrec_port_group_update_ports_delvalue(pg, pg->ports[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!hmapx_contains(&have, ports[i])) {
            nbrec_port_group_update_ports_addvalue(pg, ports[i]);
        }
    }
    hmapx_destroy(&want);
    hmapx_destroy(&have);
    return pg;
}

bool
nb_address_set_remove(struct nb_index *x, const char *name)
{
    const struct nbrec_address_set *as = nb_find_address_set(x, name);
    if (as && ovn_owner_is_kovn(&as->external_ids)) {
        nbrec_address_set_delete(as);
        return true;
    }
    return false;
}

bool
nb_port_group_remove(struct nb_index *x, const char *name)
{
    const struct nbrec_port_group *pg = nb_find_port_group(x, name);
    if (pg && ovn_owner_is_kovn(&pg->external_ids)) {
        nbrec_port_group_delete(pg);    /* Its ACLs are not root rows. */
        return true;
    }
    return false;
}

static bool
str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Writes the columns of 'acl' that differ from 'spec', but the ones that
 * identify it. */
static void
acl_write(const struct nbrec_acl *acl, const struct nb_acl_spec *spec)
{
    struct smap none = SMAP_INITIALIZER(&none);
    const struct smap *options = spec->options ? spec->options : &none;
    if (strcmp(acl->action, spec->action)) {
        nbrec_acl_set_action(acl, spec->action);
    }
    if (acl->log != spec->log) {
        nbrec_acl_set_log(acl, spec->log);
    }
    if (!str_eq(acl->name, spec->name)) {
        nbrec_acl_set_name(acl, spec->name);
    }
    if (!str_eq(acl->severity, spec->severity)) {
        nbrec_acl_set_severity(acl, spec->severity);
    }
    if (!str_eq(acl->meter, spec->meter)) {
        nbrec_acl_set_meter(acl, spec->meter);
    }
    if (!smap_equal(&acl->options, options)) {
        nbrec_acl_set_options(acl, options);
    }
}

/* Index in 'want' of the spec that 'acl' is, or -1. */
static int
find_spec(const struct nbrec_acl *acl, const struct nb_acl_spec *want,
          size_t n_want)
{
    for (size_t i = 0; i < n_want; i++) {
        if (acl->priority == want[i].priority
            && !strcmp(acl->direction, want[i].direction)
            && !strcmp(acl->match, want[i].match)) {
            return i;
        }
    }
    return -1;
}

/* Where a set of ACLs hangs: a port group's or a switch's 'acls'. */
struct acl_holder {
    struct nbrec_acl **acls;
    size_t n_acls;
    const void *row;
    void (*add)(const void *row, const struct nbrec_acl *);
    void (*del)(const void *row, const struct nbrec_acl *);
};

static bool
acls_ensure(struct ovn_txn *t, const struct acl_holder *h,
            const char *owner_key, const char *owner,
            const struct nb_acl_spec *want, size_t n_want)
{
    bool changed = false;
    bool *have = xcalloc(n_want ? n_want : 1, sizeof *have);

    for (size_t i = 0; i < h->n_acls; i++) {
        const struct nbrec_acl *acl = h->acls[i];
        if (!ovn_owner_matches(&acl->external_ids, owner_key, owner)) {
            continue;
        }
        int k = find_spec(acl, want, n_want);
        if (k >= 0 && !have[k]) {
            have[k] = true;
            acl_write(acl, &want[k]);
        } else {
            h->del(h->row, acl);
            nbrec_acl_delete(acl);
            changed = true;
        }
    }
    for (size_t i = 0; i < n_want; i++) {
        if (!have[i]) {
            struct smap ids = SMAP_INITIALIZER(&ids);
            ovn_owner_init(&ids, owner_key, owner, NULL);
            const struct nbrec_acl *acl = nbrec_acl_insert(t->txn);
            nbrec_acl_set_direction(acl, want[i].direction);
            nbrec_acl_set_priority(acl, want[i].priority);
            nbrec_acl_set_match(acl, want[i].match);
            nbrec_acl_set_external_ids(acl, &ids);
            acl_write(acl, &want[i]);
            h->add(h->row, acl);
            smap_destroy(&ids);
            changed = true;
        }
    }
    free(have);
    return changed;
}

static void
pg_add(const void *pg, const struct nbrec_acl *acl)
{
    nbrec_port_group_update_acls_addvalue(pg, acl);
}

static void
pg_del(const void *pg, const struct nbrec_acl *acl)
{
    nbrec_port_group_update_acls_delvalue(pg, acl);
}

static void
ls_add(const void *ls, const struct nbrec_acl *acl)
{
    nbrec_logical_switch_update_acls_addvalue(ls, acl);
}

static void
ls_del(const void *ls, const struct nbrec_acl *acl)
{
    nbrec_logical_switch_update_acls_delvalue(ls, acl);
}

bool
nb_acls_ensure(struct ovn_txn *t, const struct nbrec_port_group *pg,
               const char *owner_key, const char *owner,
               const struct nb_acl_spec *want, size_t n_want)
{
    struct acl_holder h = { pg->acls, pg->n_acls, pg, pg_add, pg_del };
    return acls_ensure(t, &h, owner_key, owner, want, n_want);
}

bool
nb_switch_acls_ensure(struct ovn_txn *t, const struct nbrec_logical_switch *ls,
                      const char *owner_key, const char *owner,
                      const struct nb_acl_spec *want, size_t n_want)
{
    struct acl_holder h = { ls->acls, ls->n_acls, ls, ls_add, ls_del };
    return acls_ensure(t, &h, owner_key, owner, want, n_want);
}

static const struct nbrec_meter *
find_meter(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_meter *m;
    NBREC_METER_FOR_EACH (m, idl) {
        if (!strcmp(m->name, name)) {
            return m;
        }
    }
    return NULL;
}

const struct nbrec_meter *
nb_meter_ensure(struct ovn_txn *t, struct ovsdb_idl *idl, const char *name,
                const struct smap *ids, int64_t rate)
{
    const struct nbrec_meter *m = find_meter(idl, name);
    if (m && !ovn_owner_is_kovn(&m->external_ids)) {
        return NULL;
    }
    if (!m) {
        m = nbrec_meter_insert(t->txn);
        nbrec_meter_set_name(m, name);
    }
    if (strcmp(m->unit, "pktps")) {
        nbrec_meter_set_unit(m, "pktps");
    }
    if (!smap_equal(&m->external_ids, ids)) {
        nbrec_meter_set_external_ids(m, ids);
    }
    const struct nbrec_meter_band *band = m->n_bands ? m->bands[0] : NULL;
    if (m->n_bands != 1 || strcmp(band->action, "drop")
        || band->rate != rate || band->burst_size != rate) {
        struct nbrec_meter_band *b = nbrec_meter_band_insert(t->txn);
        nbrec_meter_band_set_action(b, "drop");
        nbrec_meter_band_set_rate(b, rate);
        nbrec_meter_band_set_burst_size(b, rate);
        nbrec_meter_set_bands(m, &b, 1);
    }
    return m;
}

bool
nb_meter_remove(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_meter *m = find_meter(idl, name);
    if (m && ovn_owner_is_kovn(&m->external_ids)) {
        nbrec_meter_delete(m);      /* Its bands are not root rows. */
        return true;
    }
    return false;
}
