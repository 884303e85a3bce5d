/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NB_ACL_H
#define KOVN_NB_ACL_H 1

/* Address sets, port groups and their ACLs, owner-scoped, for the
 * NetworkPolicy and Subnet isolation work.
 *
 * Members change by element: an address set or a port group gets
 * mutations that add and remove the members that differ, never a rewrite
 * of the whole column, so that one pod's change costs the same at 10 or
 * 10,000 members and two writers' changes do not overwrite each other.
 * Names are the caller's (OVN's rules: a set's name is a match identifier;
 * hash long ones).  A same-named row without vendor=kovn is not touched:
 * the helpers return NULL and the caller reports it.  The NB index must
 * have the tables (nb/nb-index.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_index;
struct nbrec_address_set;
struct nbrec_meter;
struct nbrec_logical_switch;
struct ovsdb_idl;
struct nbrec_logical_switch_port;
struct nbrec_port_group;
struct ovn_txn;
struct smap;
struct sset;

/* Makes address set 'name' exist with external_ids 'ids' and hold exactly
 * the addresses of 'want'.  Returns it (the transaction's row if new), or
 * NULL if a same-named set is not kovn's. */
const struct nbrec_address_set *nb_address_set_ensure(
    struct ovn_txn *, struct nb_index *, const char *name,
    const struct smap *ids, const struct sset *want);

/* Makes port group 'name' exist with external_ids 'ids' and hold exactly
 * the 'n' ports of 'ports', but that a port it holds whose name is in
 * 'keep' (may be NULL) stays: one the caller cannot see yet (inserted by
 * this transaction, so not in the name index).  Returns it, or NULL if a
 * same-named group is not kovn's. */
const struct nbrec_port_group *nb_port_group_ensure(
    struct ovn_txn *, struct nb_index *, const char *name,
    const struct smap *ids,
    const struct nbrec_logical_switch_port *const *ports, size_t n,
    const struct sset *keep);

/* Removes kovn's address set or port group 'name' (a port group's ACLs go
 * with it).  Returns true if there was one. */
bool nb_address_set_remove(struct nb_index *, const char *name);
bool nb_port_group_remove(struct nb_index *, const char *name);

/* An ACL as the caller wants it.  Strings are the caller's. */
struct nb_acl_spec {
    const char *direction;          /* "from-lport", "to-lport". */
    int64_t priority;
    const char *match;
    const char *action;             /* "allow-related", "drop"... */
    bool log;
    const char *name;               /* NULL: none (log name). */
    const char *severity;           /* NULL: none. */
    const char *meter;              /* NULL: none. */
    const struct smap *options;     /* NULL: none (e.g. apply-after-lb). */
};

/* Makes the ACLs of port group 'pg' owned by 'owner_key'='owner' be exactly
 * 'want' (an ACL is identified by its direction, priority and match): the
 * others of that owner go, the missing ones come, those that differ in the
 * rest are rewritten.  Returns true if it added or removed one. */
bool nb_acls_ensure(struct ovn_txn *, const struct nbrec_port_group *pg,
                    const char *owner_key, const char *owner,
                    const struct nb_acl_spec *want, size_t n_want);

/* The same for the ACLs of logical switch 'ls' owned by 'owner_key' =
 * 'owner' (a Subnet's isolation and spec.acls). */
bool nb_switch_acls_ensure(struct ovn_txn *,
                           const struct nbrec_logical_switch *ls,
                           const char *owner_key, const char *owner,
                           const struct nb_acl_spec *want, size_t n_want);

/* Makes meter 'name' exist with external_ids 'ids': at most 'rate'
 * packets per second, the rest dropped, so that ACL logging cannot flood
 * ovn-controller and the node's logs.  Returns it, or NULL if a same-named
 * meter is not kovn's.  Meters are few: found by a scan. */
const struct nbrec_meter *nb_meter_ensure(struct ovn_txn *,
                                          struct ovsdb_idl *,
                                          const char *name,
                                          const struct smap *ids,
                                          int64_t rate);
bool nb_meter_remove(struct ovsdb_idl *, const char *name);

#endif /* nb/nb-acl.h */
