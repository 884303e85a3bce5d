/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "cni/cni-rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "openvswitch/poll-loop.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

static const struct {
    enum cni_command command;
    const char *method;
} methods[] = {
    { CNI_CMD_ADD, "cni.add" },
    { CNI_CMD_DEL, "cni.del" },
    { CNI_CMD_CHECK, "cni.check" },
};

const char *
cni_rpc_method(enum cni_command command)
{
    for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
        if (methods[i].command == command) {
            return methods[i].method;
        }
    }
    return NULL;
}

bool
cni_rpc_method_to_command(const char *method, enum cni_command *commandp)
{
    for (size_t i = 0; method && i < ARRAY_SIZE(methods); i++) {
        if (!strcmp(methods[i].method, method)) {
            *commandp = methods[i].command;
            return true;
        }
    }
    return false;
}

static void
put_opt_string(struct json *o, const char *name, const char *value)
{
    if (value) {
        json_object_put_string(o, name, value);
    }
}

struct json *
cni_rpc_request_to_json(const struct cni_args *a,
                        const struct cni_netconf *nc)
{
    struct json *o = json_object_create();
    struct json *args = json_object_create();
    struct smap_node *node;

    json_object_put_string(o, "cniVersion", nc->cni_version);
    json_object_put_string(o, "command", cni_command_name(a->command));
    put_opt_string(o, "containerID", a->container_id);
    put_opt_string(o, "netns", a->netns);
    put_opt_string(o, "ifName", a->ifname);
    SMAP_FOR_EACH (node, &a->extra) {
        json_object_put_string(args, node->key, node->value);
    }
    json_object_put(o, "args", args);
    put_opt_string(o, "podNamespace", a->pod_namespace);
    put_opt_string(o, "podName", a->pod_name);
    put_opt_string(o, "podInfraContainerID", a->pod_infra_container_id);
    put_opt_string(o, "podUID", a->pod_uid);
    json_object_put(o, "netconf", json_clone(nc->raw));
    return o;
}

static struct cni_error *
request_error(int code, const char *msg)
{
    return cni_error_create(code, NULL, "invalid kovn CNI request: %s", msg);
}

static struct cni_error *
request_from_json__(const char *method, const struct json *params,
                    struct cni_rpc_request *r)
{
    enum cni_command command;
    const struct json *p, *args;
    struct cni_error *e;

    if (!cni_rpc_method_to_command(method, &command)) {
        return request_error(CNI_ERR_INVALID_ENV, "unknown method");
    }
    if (!params || params->type != JSON_ARRAY || json_array(params)->n != 1
        || json_array(params)->elems[0]->type != JSON_OBJECT) {
        return request_error(CNI_ERR_INVALID_ENV,
                             "\"params\" must be an array of one object");
    }
    p = json_array(params)->elems[0];

    const struct json *nc = json_get_member(p, "netconf");
    if (!nc) {
        return request_error(CNI_ERR_INVALID_NETCONF, "no \"netconf\"");
    }
    e = cni_netconf_from_json(nc, &r->netconf);
    if (e) {
        return e;
    }

    r->args.command = command;
    const char *id = json_get_string(p, "containerID");
    const char *ifname = json_get_string(p, "ifName");
    const char *netns = json_get_string(p, "netns");
    if (!id || !ifname || (!netns && command != CNI_CMD_DEL)) {
        return request_error(CNI_ERR_INVALID_ENV, "\"containerID\", "
                             "\"ifName\" or \"netns\" is missing");
    }
    r->args.container_id = xstrdup(id);
    r->args.ifname = xstrdup(ifname);
    r->args.netns = nullable_xstrdup(netns);

    args = json_get_member(p, "args");
    if (args && args->type == JSON_OBJECT) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, json_object(args)) {
            const struct json *v = node->data;
            if (v->type != JSON_STRING) {
                return request_error(CNI_ERR_INVALID_ENV,
                                     "\"args\" values must be strings");
            }
            smap_replace(&r->args.extra, node->name, json_string(v));
        }
    }
    r->args.pod_namespace = smap_get(&r->args.extra, "K8S_POD_NAMESPACE");
    r->args.pod_name = smap_get(&r->args.extra, "K8S_POD_NAME");
    r->args.pod_infra_container_id
        = smap_get(&r->args.extra, "K8S_POD_INFRA_CONTAINER_ID");
    r->args.pod_uid = smap_get(&r->args.extra, "K8S_POD_UID");
    return NULL;
}

struct cni_error *
cni_rpc_request_from_json(const char *method, const struct json *params,
                          struct cni_rpc_request *r)
{
    memset(r, 0, sizeof *r);
    cni_args_init(&r->args);

    struct cni_error *e = request_from_json__(method, params, r);
    if (e) {
        cni_rpc_request_destroy(r);
    }
    return e;
}

void
cni_rpc_request_destroy(struct cni_rpc_request *r)
{
    if (r) {
        cni_args_destroy(&r->args);
        cni_netconf_destroy(&r->netconf);
    }
}

struct jsonrpc_msg *
cni_rpc_result_reply(const struct jsonrpc_msg *request,
                     const struct cni_result *result)
{
    struct json *j = (result
                      ? cni_result_to_json(result, CNI_VERSION_CURRENT)
                      : json_object_create());
    return jsonrpc_create_reply(j, request->id);
}

struct jsonrpc_msg *
cni_rpc_error_reply(const struct jsonrpc_msg *request,
                    const struct cni_error *e)
{
    struct json *j = json_object_create();

    json_object_put(j, "code", json_integer_create(e->code));
    json_object_put_string(j, "msg", e->msg);
    if (e->details) {
        json_object_put_string(j, "details", e->details);
    }
    return jsonrpc_create_error(j, request->id);
}

/* ---- Client ---- */

static struct cni_error *
unreachable(const char *socket_path, int error)
{
    return cni_error_create(CNI_ERR_TRY_AGAIN, NULL,
                            "cannot reach kovn-daemon at %s: %s; is "
                            "kovn-daemon running on this node?",
                            socket_path, ovs_retval_to_string(error));
}

struct cni_error *
cni_rpc_call(const char *socket_path, const char *method,
             const struct json *params, long long int timeout_ms,
             struct json **resultp)
{
    long long int deadline = time_msec() + timeout_ms;
    struct cni_error *e = NULL;
    struct stream *stream = NULL;
    struct jsonrpc *rpc;
    struct json *id = NULL;
    char *name = xasprintf("unix:%s", socket_path);
    int error;

    *resultp = NULL;
    error = stream_open_block(stream_open(name, &stream, DSCP_DEFAULT),
                              timeout_ms, &stream);
    free(name);
    if (error) {
        return unreachable(socket_path, error);
    }

    rpc = jsonrpc_open(stream);
    struct json *array = json_array_create_1(json_clone(params));
    error = jsonrpc_send(rpc, jsonrpc_create_request(method, array, &id));
    while (!error) {
        struct jsonrpc_msg *msg;

        jsonrpc_run(rpc);
        error = jsonrpc_recv(rpc, &msg);
        if (!error) {
            if ((msg->type == JSONRPC_REPLY || msg->type == JSONRPC_ERROR)
                && json_equal(msg->id, id)) {
                if (msg->type == JSONRPC_REPLY) {
                    *resultp = msg->result;
                    msg->result = NULL;
                } else {
                    e = cni_error_from_json(msg->error);
                    if (!e) {
                        char *s = json_to_string(msg->error, JSSF_SORT);
                        e = cni_error_create(CNI_ERR_INTERNAL, NULL,
                                             "kovn-daemon failed %s: %s",
                                             method, s);
                        free(s);
                    }
                }
                jsonrpc_msg_destroy(msg);
                break;
            }
            /* Not ours (e.g. an echo request): ignore it. */
            jsonrpc_msg_destroy(msg);
            continue;
        } else if (error != EAGAIN) {
            break;
        }
        error = 0;

        if (time_msec() >= deadline) {
            e = cni_error_create(
                CNI_ERR_TRY_AGAIN, NULL,
                "kovn-daemon at %s did not answer %s within %lld s; see "
                "kovn-daemon's log on this node (the netconf's "
                "\"request_timeout\" sets this limit)", socket_path, method,
                (timeout_ms + 999) / 1000);
            break;
        }
        jsonrpc_wait(rpc);
        jsonrpc_recv_wait(rpc);
        poll_timer_wait_until(deadline);
        poll_block();
    }
    if (error && !e) {
        e = cni_error_create(CNI_ERR_TRY_AGAIN, NULL,
                             "kovn-daemon at %s closed the connection "
                             "before answering %s: %s; see kovn-daemon's "
                             "log on this node", socket_path, method,
                             ovs_retval_to_string(error));
    }
    json_destroy(id);
    jsonrpc_close(rpc);
    return e;
}
