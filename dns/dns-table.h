/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DNS_TABLE_H
#define KOVN_DNS_TABLE_H 1

/* The records kovn-dns wants in unbound and those unbound has, by name, and
 * the smallest change between the two.
 *
 * Records come from owners ("svc/NS/NAME", "pod/NS/NAME"), each owner's
 * set replaced whole when its objects change.  Two owners may give the
 * same name (two pods with one host-network IP, an endpoint in two
 * headless Services): a name's wanted records are the union of its
 * owners', counted.  unbound removes records by name only (all its types
 * at once), so a name that must lose a record is removed and written again
 * whole; a name that only gains records gets just those.
 *
 * Pure bookkeeping, no I/O: dns_table_changes() says what to send,
 * dns_table_commit() records that it was applied.
 *
 * Ownership: the table copies every string it is given. */

#include <stdbool.h>
#include <stddef.h>

struct svec;

struct dns_table *dns_table_create(void);
void dns_table_destroy(struct dns_table *);

/* Makes the records of 'owner' exactly 'lines' (record lines as
 * dns-records.h writes them; none: forget 'owner'). */
void dns_table_set(struct dns_table *, const char *owner,
                   const struct svec *lines);

/* The owners the table knows, sorted, appended to 'owners'. */
void dns_table_owners(const struct dns_table *, struct svec *owners);

/* Tells the table that unbound holds exactly 'lines' (of the names kovn
 * writes; from a dump, or none after a restart): every name is looked at
 * again by the next dns_table_changes(). */
void dns_table_set_installed(struct dns_table *, const struct svec *lines);

/* What makes unbound match: names to remove (absolute, with their final
 * dot) into 'remove' and record lines to add into 'add', both sorted.
 * Returns false if there is nothing to do. */
bool dns_table_changes(const struct dns_table *, struct svec *remove,
                       struct svec *add);

/* The changes of the last dns_table_changes() were applied. */
void dns_table_commit(struct dns_table *);

/* Counts, for logs and the control socket. */
size_t dns_table_n_owners(const struct dns_table *);
size_t dns_table_n_names(const struct dns_table *);
size_t dns_table_n_records(const struct dns_table *);   /* Wanted. */
size_t dns_table_n_dirty(const struct dns_table *);

#endif /* dns/dns-table.h */
