/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CNI_RPC_H
#define KOVN_CNI_RPC_H 1

/* The protocol between the `kovn` CNI plugin and kovn-daemon.
 *
 * Transport: JSON-RPC 1.0 as Open vSwitch's lib/jsonrpc.c speaks it (one
 * JSON object per message, no framing), over the daemon's unix stream
 * socket (netconf "server_socket", default /run/kovn/cni.sock).  The plugin
 * opens one connection per CNI call, sends one request, waits for its reply
 * (up to the netconf's "request_timeout" seconds, default 120) and closes.
 *
 * Request:
 *   {"id": <any>, "method": "cni.add" | "cni.del" | "cni.check",
 *    "params": [ {
 *       "cniVersion":  "1.0.0",              the netconf's version
 *       "command":     "ADD" | "DEL" | "CHECK",
 *       "containerID": "<CNI_CONTAINERID>",
 *       "netns":       "<CNI_NETNS>",        absent if unset (DEL)
 *       "ifName":      "<CNI_IFNAME>",
 *       "args":        {"K8S_POD_NAMESPACE": "..", ...},  CNI_ARGS, all keys
 *       "podNamespace", "podName", "podInfraContainerID", "podUID":
 *                      copies of the K8S_POD_* args, each absent if unset
 *       "netconf":     { the plugin's configuration exactly as received on
 *                        stdin, with "prevResult" and "runtimeConfig" }
 *    } ]}
 *
 * Reply on success:
 *   cni.add:   {"id", "result": <CNI result>, "error": null}.  The result
 *              may be of any version kovn supports (1.0.0 preferred); it
 *              holds only the daemon's own interfaces, ips, routes and dns:
 *              the plugin merges it into the prevResult, if any, and prints
 *              it in the netconf's cniVersion.
 *   cni.del, cni.check: {"id", "result": {}, "error": null}.
 *   cni.del must succeed when there is nothing (left) to delete: the
 *   runtime repeats DEL until it succeeds.
 *
 * Reply on failure:
 *   {"id", "result": null,
 *    "error": {"code": <CNI error code>, "msg": "...", "details": "..."}}
 *   'code' is one of the spec's codes (3 unknown container, 7 invalid
 *   network config, 11 try again later, ...) or >= 100 for kovn's own;
 *   'msg' is shown to the user as is.  An error that is not such an object
 *   becomes code 999 with its JSON text as the message.
 */

#include <stdbool.h>
#include "cni/cni-spec.h"
#include "openvswitch/compiler.h"
#include "openvswitch/json.h"

struct jsonrpc_msg;

/* "cni.add", "cni.del", "cni.check" (NULL for VERSION); and back (false if
 * 'method' is none of them). */
const char *cni_rpc_method(enum cni_command);
bool cni_rpc_method_to_command(const char *method, enum cni_command *);

/* A decoded request, on the daemon's side. */
struct cni_rpc_request {
    struct cni_args args;       /* 'path' is NULL: CNI_PATH is not sent. */
    struct cni_netconf netconf;
};

/* The request's "params" object (the array's single element). */
struct json *cni_rpc_request_to_json(const struct cni_args *,
                                     const struct cni_netconf *);

/* Decodes a request message's "params" (the whole array) for 'method'.
 * Errors carry code 7 (bad netconf), 1 (unsupported version) or 4 (bad
 * arguments), ready to send back with cni_rpc_error_reply(). */
struct cni_error *cni_rpc_request_from_json(const char *method,
                                            const struct json *params,
                                            struct cni_rpc_request *)
    OVS_WARN_UNUSED_RESULT;
void cni_rpc_request_destroy(struct cni_rpc_request *);

/* Replies for the daemon to send: a result (serialised as 1.0.0; NULL for
 * an empty "{}" result, as DEL and CHECK answer) or an error. */
struct jsonrpc_msg *cni_rpc_result_reply(const struct jsonrpc_msg *request,
                                         const struct cni_result *);
struct jsonrpc_msg *cni_rpc_error_reply(const struct jsonrpc_msg *request,
                                        const struct cni_error *);

/* The plugin's side: connects to 'socket_path', sends 'params' (as
 * cni_rpc_request_to_json() makes them) with 'method' and waits up to
 * 'timeout_ms' for the answer.  On success stores the reply's "result" in
 * '*resultp' (the caller destroys it) and returns NULL.  Errors:
 *   - daemon unreachable (no socket, nobody listening): code 11, "cannot
 *     reach kovn-daemon at PATH: REASON; is kovn-daemon running on this
 *     node?";
 *   - no answer in time, or the connection closed before the answer:
 *     code 11;
 *   - the daemon's error reply, as decoded by cni_error_from_json(). */
struct cni_error *cni_rpc_call(const char *socket_path, const char *method,
                               const struct json *params,
                               long long int timeout_ms,
                               struct json **resultp)
    OVS_WARN_UNUSED_RESULT;

#endif /* lib/cni/cni-rpc.h */
