/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ovn/ovn-idl.h"

#include <stdlib.h>
#include "fatal-signal.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl-provider.h"
#include "ovsdb-session.h"
#include "stream.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "uuid.h"

VLOG_DEFINE_THIS_MODULE(ovn_idl);

/* Each remote must name an active stream ("unix:", "tcp:", "ssl:"); the
 * IDL itself would only log a bad one and retry it forever. */
static char *
verify_remotes(const char *remotes)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    struct uuid cid;
    char *error = NULL;

    ovsdb_session_parse_remote(remotes, &names, &cid);
    if (!names.n) {
        error = xasprintf("\"%s\": no OVSDB remote", remotes);
    }
    for (size_t i = 0; !error && i < names.n; i++) {
        if (stream_verify_name(names.names[i])) {
            error = xasprintf("\"%s\": not an active OVSDB remote "
                              "(unix:PATH, tcp:IP:PORT or ssl:IP:PORT)",
                              names.names[i]);
        }
    }
    svec_destroy(&names);
    return error;
}

char *
ovn_idl_create(const struct ovsdb_idl_class *class, const char *remotes,
               bool monitor_all, struct ovn_idl **oip)
{
    *oip = NULL;

    char *error = verify_remotes(remotes);
    if (error) {
        return error;
    }

    /* A server that goes away must not kill the client: every OVS client
     * ignores SIGPIPE and handles EPIPE. */
    fatal_ignore_sigpipe();

    struct ovn_idl *oi = xzalloc(sizeof *oi);
    oi->remotes = xstrdup(remotes);
    oi->idl = ovsdb_idl_create(remotes, class, monitor_all, true);
    /* The IDL's default already, but kovn relies on it: a follower may lag
     * behind the leader, and writing through it adds a hop. */
    ovsdb_idl_set_leader_only(oi->idl, true);
    oi->state = OVN_IDL_CONNECTING;
    oi->offline_seqno = ovsdb_idl_get_seqno(oi->idl);
    *oip = oi;
    return NULL;
}

void
ovn_idl_destroy(struct ovn_idl *oi)
{
    if (oi) {
        ovsdb_idl_destroy(oi->idl);
        free(oi->remotes);
        free(oi);
    }
}

void
ovn_idl_monitor_table(struct ovn_idl *oi,
                      const struct ovsdb_idl_table_class *table)
{
    /* The IDL cannot change what it monitors once it has data. */
    ovs_assert(!ovsdb_idl_has_ever_connected(oi->idl));
    for (size_t i = 0; i < table->n_columns; i++) {
        ovsdb_idl_add_column(oi->idl, &table->columns[i]);
    }
}

void
ovn_idl_set_probe_interval(struct ovn_idl *oi, int msec)
{
    ovsdb_idl_set_probe_interval(oi->idl, msec);
}

/* The IDL does not say when its replica is current again after a
 * reconnect.  It does bump its seqno when a monitor reply arrives, and it
 * only asks for one from the raft leader, so "connected and the seqno moved
 * since we were last offline" means synced. */
static void
update_state(struct ovn_idl *oi)
{
    unsigned int seqno = ovsdb_idl_get_seqno(oi->idl);
    enum ovn_idl_state old = oi->state;

    if (!ovsdb_idl_is_connected(oi->idl)) {
        oi->offline_seqno = seqno;
        if (oi->state == OVN_IDL_SYNCED) {
            oi->state = OVN_IDL_RECONNECTING;
        }
    } else if (oi->state != OVN_IDL_SYNCED && seqno != oi->offline_seqno) {
        oi->state = OVN_IDL_SYNCED;
    }

    if (oi->state != old) {
        VLOG_INFO("%s: %s", oi->remotes, ovn_idl_state_to_string(oi->state));
    }
}

void
ovn_idl_run(struct ovn_idl *oi)
{
    ovsdb_idl_run(oi->idl);
    update_state(oi);
}

void
ovn_idl_wait(struct ovn_idl *oi)
{
    ovsdb_idl_wait(oi->idl);
}

enum ovn_idl_state
ovn_idl_state(const struct ovn_idl *oi)
{
    return oi->state;
}

const char *
ovn_idl_state_to_string(enum ovn_idl_state state)
{
    switch (state) {
    case OVN_IDL_CONNECTING:   return "connecting";
    case OVN_IDL_SYNCED:       return "synced";
    case OVN_IDL_RECONNECTING: return "reconnecting";
    }
    return "unknown";
}

unsigned int
ovn_idl_seqno(const struct ovn_idl *oi)
{
    return ovsdb_idl_get_seqno(oi->idl);
}

/* Runs 'oi' until done(oi, aux) or the timeout; returns done(oi, aux). */
static bool
run_until(struct ovn_idl *oi,
          bool (*done)(const struct ovn_idl *, const void *),
          const void *aux, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;

    for (;;) {
        ovn_idl_run(oi);
        if (done(oi, aux)) {
            return true;
        }
        if (time_msec() >= deadline) {
            return false;
        }
        ovn_idl_wait(oi);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

static bool
is_synced(const struct ovn_idl *oi, const void *aux OVS_UNUSED)
{
    return oi->state == OVN_IDL_SYNCED;
}

bool
ovn_idl_wait_synced(struct ovn_idl *oi, long long int timeout_ms)
{
    return run_until(oi, is_synced, NULL, timeout_ms);
}

static bool
seqno_differs(const struct ovn_idl *oi, const void *seqnop)
{
    return ovsdb_idl_get_seqno(oi->idl) != *(const unsigned int *) seqnop;
}

bool
ovn_idl_wait_change(struct ovn_idl *oi, unsigned int seqno,
                    long long int timeout_ms)
{
    return run_until(oi, seqno_differs, &seqno, timeout_ms);
}

struct ovn_txn *
ovn_txn_begin(struct ovn_idl *oi)
{
    struct ovn_txn *t = xmalloc(sizeof *t);
    t->oi = oi;
    t->seqno = ovsdb_idl_get_seqno(oi->idl);
    t->txn = ovsdb_idl_txn_create(oi->idl);
    t->committed = false;
    return t;
}

void
ovn_txn_commit(struct ovn_txn *t)
{
    if (!t->committed) {
        t->committed = true;
        ovsdb_idl_txn_commit(t->txn);
    }
}

enum ovsdb_idl_txn_status
ovn_txn_status(struct ovn_txn *t)
{
    /* Once committed, ovsdb_idl_txn_commit() only reports the status that
     * ovsdb_idl_run() recorded from the server's reply.  Before, it would
     * send the transaction, which asking for a status must not do. */
    return t->committed ? ovsdb_idl_txn_commit(t->txn) : TXN_UNCOMMITTED;
}

const char *
ovn_txn_error(const struct ovn_txn *t)
{
    return (t->committed && ovsdb_idl_txn_commit(t->txn) == TXN_ERROR
            ? ovsdb_idl_txn_get_error(t->txn) : NULL);
}

void
ovn_txn_wait(const struct ovn_txn *t)
{
    ovsdb_idl_txn_wait(t->txn);
}

enum ovsdb_idl_txn_status
ovn_txn_commit_block(struct ovn_txn *t, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;
    enum ovsdb_idl_txn_status status;

    ovn_txn_commit(t);
    while ((status = ovn_txn_status(t)) == TXN_INCOMPLETE
           && time_msec() < deadline) {
        ovn_idl_wait(t->oi);
        ovn_txn_wait(t);
        poll_timer_wait_until(deadline);
        poll_block();
        ovn_idl_run(t->oi);
    }
    return status;
}

void
ovn_txn_destroy(struct ovn_txn *t)
{
    if (t) {
        ovsdb_idl_txn_destroy(t->txn);
        free(t);
    }
}
