/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OVN_IDL_H
#define KOVN_OVN_IDL_H 1

/* A client of one OVSDB database (OVN NB or SB, or the local Open_vSwitch
 * db) through the OVS IDL, plus what every kovn user of it would otherwise
 * repeat: raft remotes with leader-only writes, a connection state, and
 * transactions whose final status arrives on a later run.
 *
 * It does not hide the IDL.  Read rows with the generated iterators on
 * 'oi->idl' (NBREC_LOGICAL_SWITCH_FOR_EACH (ls, nb->idl)), write them with
 * the generated setters on 't->txn' (nbrec_logical_switch_insert(t->txn)),
 * and call any ovsdb_idl_*() function the glue does not cover (conditions,
 * change tracking, indexes, locks).
 *
 * Main loop, the OVS way:
 *
 *     for (;;) {
 *         ovn_idl_run(nb);            // replica and transaction replies
 *         ... read nb->idl; commit or look at transactions ...
 *         ovn_idl_wait(nb);
 *         if (t) { ovn_txn_wait(t); }
 *         poll_block();
 *     }
 *
 * Ownership: ovn_idl_create() gives the caller an ovn_idl to free with
 * ovn_idl_destroy(); ovn_txn_begin() gives the caller an ovn_txn to free
 * with ovn_txn_destroy(), before its ovn_idl.  Row pointers read from the
 * IDL are valid only until the next ovn_idl_run() changes ovn_idl_seqno(). */

#include <stdbool.h>
#include "openvswitch/compiler.h"
#include "ovsdb-idl.h"

/* The connection as of the last ovn_idl_run().  Best effort, for logs,
 * metrics and startup: a transaction's status is the authority on whether a
 * write went through. */
enum ovn_idl_state {
    OVN_IDL_CONNECTING,     /* No replica yet. */
    OVN_IDL_SYNCED,         /* Connected (to the leader) and up to date. */
    OVN_IDL_RECONNECTING,   /* Connection lost; the replica is the last one
                             * seen, and commits get TXN_TRY_AGAIN. */
};

struct ovn_idl {
    struct ovsdb_idl *idl;      /* The IDL itself, for reads and raw calls. */

    /* Private. */
    char *remotes;
    enum ovn_idl_state state;
    unsigned int offline_seqno; /* IDL seqno last seen while not synced. */
};

/* Connects to 'remotes' ("unix:/run/nb.sock", or a raft cluster's members
 * separated by commas: "unix:/a.sock,unix:/b.sock,tcp:10.0.0.3:6641") for
 * the database of 'class' (&nbrec_idl_class, &sbrec_idl_class,
 * &ovsrec_idl_class).  The connection is made by later ovn_idl_run() calls
 * and kept: it retries, and moves to another member if one fails.  With a
 * cluster it only settles on the raft leader, so that reads are never
 * stale.  While no member leads (an election after the leader died), the
 * IDL's reconnect backoff grows 1, 2, 4, 8 s: measured here, writes resume
 * 1 to 15 s after the leader is killed.
 *
 * 'monitor_all' replicates every table and column; otherwise nothing is
 * replicated until chosen with ovn_idl_monitor_table() or
 * ovsdb_idl_add_column(oi->idl, &nbrec_logical_switch_col_name): the
 * controller replicates only what it reads, to save memory.  Choose before
 * the first ovn_idl_run().
 *
 * Returns NULL and stores a new ovn_idl in '*oip', or returns an error
 * message (the caller frees it) and stores NULL, when 'remotes' is not a
 * valid list of active OVSDB remotes.  Like every OVS client, the process
 * then ignores SIGPIPE. */
char *ovn_idl_create(const struct ovsdb_idl_class *, const char *remotes,
                     bool monitor_all, struct ovn_idl **oip)
    OVS_WARN_UNUSED_RESULT;
void ovn_idl_destroy(struct ovn_idl *);

/* Replicates every column of 'table' (e.g. &nbrec_table_logical_switch).
 * The IDL also replicates the rows, but no columns, of each table these
 * columns refer to, so that references resolve (a switch's 'ports' bring
 * the ports' UUIDs). */
void ovn_idl_monitor_table(struct ovn_idl *,
                           const struct ovsdb_idl_table_class *table);

/* Sends an inactivity probe after 'msec' ms of silence and reconnects when
 * no answer comes within another 'msec'; 0 disables probes.  The IDL's
 * default is 5 s for tcp/ssl remotes and none for unix sockets.  Values
 * between 1 and 999 are raised to 1000. */
void ovn_idl_set_probe_interval(struct ovn_idl *, int msec);

void ovn_idl_run(struct ovn_idl *);
void ovn_idl_wait(struct ovn_idl *);

enum ovn_idl_state ovn_idl_state(const struct ovn_idl *);
const char *ovn_idl_state_to_string(enum ovn_idl_state);

/* Changes whenever ovn_idl_run() changes the replica (including a resync
 * after reconnecting).  Equal seqnos mean nothing to look at again. */
unsigned int ovn_idl_seqno(const struct ovn_idl *);

/* Blocking helpers for tools and tests: they loop run/wait/poll_block.
 * Both return false if 'timeout_ms' passes first. */
bool ovn_idl_wait_synced(struct ovn_idl *, long long int timeout_ms);
bool ovn_idl_wait_change(struct ovn_idl *, unsigned int seqno,
                         long long int timeout_ms);

/* Transactions.
 *
 *     struct ovn_txn *t = ovn_txn_begin(nb);
 *     ... nbrec_*() writes on t->txn ...
 *     ovn_txn_commit(t);              // sends it; never blocks
 *     ... later runs: ovn_txn_status(t) leaves TXN_INCOMPLETE ...
 *     ovn_txn_destroy(t);
 *
 * Only one transaction per ovn_idl may be open (begun, not yet committed)
 * at a time, and it must be committed or destroyed before the next
 * ovn_idl_run().  Committed ones may be in flight together.
 *
 * Final statuses: TXN_SUCCESS; TXN_UNCHANGED (nothing to write);
 * TXN_TRY_AGAIN (a verify failed, the connection was lost, or the server
 * was not ready: wait until ovn_idl_seqno() differs from 't->seqno', then
 * compose the transaction again from the replica -- it may or may not have
 * been applied if the connection dropped after sending); TXN_ERROR (the
 * server refused it: ovn_txn_error() says why; retrying the same writes
 * fails the same way); TXN_NOT_LOCKED (only with ovsdb_idl_set_lock()). */
struct ovn_txn {
    struct ovsdb_idl_txn *txn;  /* For the generated nbrec_*() writers. */
    struct ovn_idl *oi;
    unsigned int seqno;         /* ovn_idl_seqno() when begun. */
    bool committed;             /* Private. */
};

struct ovn_txn *ovn_txn_begin(struct ovn_idl *);
void ovn_txn_commit(struct ovn_txn *);

/* TXN_UNCOMMITTED before ovn_txn_commit(), TXN_INCOMPLETE while waiting
 * for the server's reply, else the final status. */
enum ovsdb_idl_txn_status ovn_txn_status(struct ovn_txn *);

/* The server's message for TXN_ERROR, else NULL.  Owned by 't'. */
const char *ovn_txn_error(const struct ovn_txn *t);

/* Wakes poll_block() when 't' has its final status. */
void ovn_txn_wait(const struct ovn_txn *);

/* Commits 't' if not done yet and runs the IDL until 't' has its final
 * status or 'timeout_ms' passes; returns the status, TXN_INCOMPLETE on
 * timeout (the server may still apply it).  For tools and tests: daemons
 * keep their main loop running instead. */
enum ovsdb_idl_txn_status ovn_txn_commit_block(struct ovn_txn *,
                                               long long int timeout_ms);

/* Frees 't'; if still open, its writes are dropped.  If in flight, the
 * server may still apply it but its status is lost. */
void ovn_txn_destroy(struct ovn_txn *);

#endif /* lib/ovn/ovn-idl.h */
