/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_CNI_SERVER_H
#define KOVN_DAEMON_CNI_SERVER_H 1

/* kovn-daemon's side of lib/cni/cni-rpc.h: a unix socket that accepts the
 * CNI plugin's connections, decodes each one's request and hands it on as
 * a 'struct cni_call', which the handler answers later (after waiting for
 * annotations and ovn-installed) with exactly one reply.
 *
 * Ownership: the handler owns every call it gets and ends it with
 * cni_call_reply_result() or cni_call_reply_error(), which free it.  If the
 * plugin hung up meanwhile (it gave up after its timeout), the reply is
 * dropped: cni_call_abandoned() says so in advance. */

#include <stdbool.h>
#include "cni/cni-rpc.h"
#include "openvswitch/compiler.h"

struct cni_server;

struct cni_call {
    struct cni_rpc_request rq;  /* Decoded request. */
    long long int received;     /* time_msec() when it arrived. */

    /* Private. */
    struct jsonrpc_msg *msg;    /* The request, for its id. */
    struct cni_conn *conn;      /* NULL once the plugin hung up. */
};

typedef void cni_call_handler(struct cni_call *, void *aux);

/* Listens on unix socket 'path' (its directory is created, a stale socket
 * replaced).  Returns NULL and stores the server in '*serverp', or a
 * malloc'd error message. */
char *cni_server_create(const char *path, cni_call_handler *, void *aux,
                        struct cni_server **serverp) OVS_WARN_UNUSED_RESULT;
void cni_server_destroy(struct cni_server *);

void cni_server_run(struct cni_server *);
void cni_server_wait(struct cni_server *);

/* Connections open now (for status and tests). */
size_t cni_server_n_conns(const struct cni_server *);

/* Replies and frees 'call'.  'result' may be NULL for DEL and CHECK. */
void cni_call_reply_result(struct cni_call *, const struct cni_result *);
void cni_call_reply_error(struct cni_call *, const struct cni_error *);
bool cni_call_abandoned(const struct cni_call *);

#endif /* daemon/cni-server.h */
