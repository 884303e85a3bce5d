/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "cni-server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirs.h"
#include "jsonrpc.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cni_server);

/* One plugin connection: one request, one reply, then the plugin closes. */
struct cni_conn {
    struct ovs_list node;       /* In cni_server's 'conns'. */
    struct jsonrpc *rpc;
    struct cni_call *call;      /* Handed out, not answered yet, or NULL. */
};

struct cni_server {
    struct pstream *listener;
    char *path;
    struct ovs_list conns;
    size_t n_conns;
    cni_call_handler *handler;
    void *aux;
};

static char *
make_parent_dir(const char *path)
{
    char *dir = dir_name(path);
    char *error = NULL;
    /* The socket's folder is private to root: whoever can connect can make
     * the daemon wire network interfaces. */
    if (mkdir(dir, 0700) && errno != EEXIST) {
        error = xasprintf("cannot create %s: %s", dir, ovs_strerror(errno));
    }
    free(dir);
    return error;
}

char *
cni_server_create(const char *path, cni_call_handler *handler, void *aux,
                  struct cni_server **serverp)
{
    *serverp = NULL;
    char *error = make_parent_dir(path);
    if (error) {
        return error;
    }
    /* A socket left by a daemon that crashed would make bind() fail. */
    unlink(path);

    char *name = xasprintf("punix:%s", path);
    struct pstream *listener;
    int retval = pstream_open(name, &listener, 0);
    free(name);
    if (retval) {
        return xasprintf("cannot listen on %s: %s", path,
                         ovs_strerror(retval));
    }

    struct cni_server *s = xzalloc(sizeof *s);
    s->listener = listener;
    s->path = xstrdup(path);
    ovs_list_init(&s->conns);
    s->handler = handler;
    s->aux = aux;
    *serverp = s;
    return NULL;
}

static void
conn_close(struct cni_server *s, struct cni_conn *c)
{
    if (c->call) {
        c->call->conn = NULL;       /* The handler still owns the call. */
    }
    ovs_list_remove(&c->node);
    jsonrpc_close(c->rpc);
    free(c);
    s->n_conns--;
}

void
cni_server_destroy(struct cni_server *s)
{
    if (!s) {
        return;
    }
    struct cni_conn *c;
    LIST_FOR_EACH_SAFE (c, node, &s->conns) {
        conn_close(s, c);
    }
    pstream_close(s->listener);
    unlink(s->path);
    free(s->path);
    free(s);
}

/* Answers a request that could not be decoded. */
static void
reply_bad_request(struct cni_conn *c, const struct jsonrpc_msg *msg,
                  struct cni_error *e)
{
    VLOG_WARN("refused a CNI request: %s", e->msg);
    jsonrpc_send(c->rpc, cni_rpc_error_reply(msg, e));
    cni_error_destroy(e);
}

static void
conn_receive(struct cni_server *s, struct cni_conn *c, struct jsonrpc_msg *msg)
{
    if (msg->type != JSONRPC_REQUEST || c->call) {
        VLOG_WARN("unexpected JSON-RPC message on the CNI socket");
        jsonrpc_msg_destroy(msg);
        return;
    }
    struct cni_call *call = xzalloc(sizeof *call);
    struct cni_error *e = cni_rpc_request_from_json(msg->method, msg->params,
                                                    &call->rq);
    if (e) {
        reply_bad_request(c, msg, e);
        cni_rpc_request_destroy(&call->rq);
        free(call);
        jsonrpc_msg_destroy(msg);
        return;
    }
    call->msg = msg;
    call->conn = c;
    call->received = time_msec();
    c->call = call;
    s->handler(call, s->aux);
}

static void
conn_run(struct cni_server *s, struct cni_conn *c)
{
    jsonrpc_run(c->rpc);
    for (int i = 0; i < 4 && !jsonrpc_get_status(c->rpc); i++) {
        struct jsonrpc_msg *msg;
        int error = jsonrpc_recv(c->rpc, &msg);
        if (error) {
            break;
        }
        conn_receive(s, c, msg);
    }
    if (jsonrpc_get_status(c->rpc)) {
        conn_close(s, c);
    }
}

void
cni_server_run(struct cni_server *s)
{
    /* Accept a bounded number per pass, so that a flood cannot starve the
     * rest of the main loop. */
    for (int i = 0; i < 64; i++) {
        struct stream *stream;
        int error = pstream_accept(s->listener, &stream);
        if (error) {
            if (error != EAGAIN) {
                VLOG_WARN("accept on %s: %s", s->path, ovs_strerror(error));
            }
            break;
        }
        struct cni_conn *c = xzalloc(sizeof *c);
        c->rpc = jsonrpc_open(stream);
        ovs_list_push_back(&s->conns, &c->node);
        s->n_conns++;
    }

    struct cni_conn *c;
    LIST_FOR_EACH_SAFE (c, node, &s->conns) {
        conn_run(s, c);
    }
}

void
cni_server_wait(struct cni_server *s)
{
    pstream_wait(s->listener);
    struct cni_conn *c;
    LIST_FOR_EACH (c, node, &s->conns) {
        jsonrpc_wait(c->rpc);
        jsonrpc_recv_wait(c->rpc);
    }
}

size_t
cni_server_n_conns(const struct cni_server *s)
{
    return s->n_conns;
}

static void
call_finish(struct cni_call *call, struct jsonrpc_msg *reply)
{
    if (call->conn) {
        call->conn->call = NULL;
        jsonrpc_send(call->conn->rpc, reply);
    } else {
        jsonrpc_msg_destroy(reply);
    }
    jsonrpc_msg_destroy(call->msg);
    cni_rpc_request_destroy(&call->rq);
    free(call);
}

void
cni_call_reply_result(struct cni_call *call, const struct cni_result *result)
{
    call_finish(call, cni_rpc_result_reply(call->msg, result));
}

void
cni_call_reply_error(struct cni_call *call, const struct cni_error *e)
{
    call_finish(call, cni_rpc_error_reply(call->msg, e));
}

bool
cni_call_abandoned(const struct cni_call *call)
{
    return !call->conn;
}
