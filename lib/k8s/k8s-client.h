/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_CLIENT_H
#define KOVN_K8S_CLIENT_H 1

/* An asynchronous Kubernetes API client driven by an OVS-style main loop.
 *
 * Requests run concurrently over libcurl's multi interface (HTTP/2 streams
 * multiplexed on one TLS connection when the server offers it), so a caller
 * may start thousands of patches without waiting for each: k8s_client_run()
 * moves them along and delivers completions, k8s_client_wait() arranges for
 * poll_block() to wake when there is something to do.
 *
 * Ownership of a request:
 *
 *   - Started with a callback: the client owns it and frees it right after
 *     the callback returns.  The caller may cancel it before then with
 *     k8s_request_cancel(), after which the callback is never called.
 *
 *   - Started without a callback (cb == NULL): the caller owns it, polls it
 *     with k8s_request_is_done() (or k8s_client_block()) and must free it with
 *     k8s_request_destroy(), which also cancels it if still running.
 *
 * A stream request (watch) calls 'on_object' for each JSON object the server
 * sends, then completes like any other request when the stream ends; a list
 * request (k8s_client_list()) does the same with the items of a list. */

#include <stdbool.h>
#include "openvswitch/json.h"

struct k8s_config;
struct k8s_client;
struct k8s_request;
struct k8s_resource;

enum k8s_method {
    K8S_GET,
    K8S_POST,
    K8S_PUT,
    K8S_PATCH_MERGE,            /* PATCH, application/merge-patch+json. */
    K8S_DELETE,
};

struct k8s_response {
    long status;            /* HTTP status; 0 if no answer came. */
    char *error;            /* NULL on success; else the transport error
                             * (also after a 2xx, when a stream breaks) or
                             * the server's Status message.  Owned by the
                             * response. */
    const char *reason;     /* Status "reason" ("NotFound", "Conflict", "Gone",
                             * "Expired"...), or "" if none. */
    struct json *body;      /* Parsed body (an object), or NULL.  Owned by the
                             * response. */
};

static inline bool
k8s_response_ok(const struct k8s_response *r)
{
    return r->status >= 200 && r->status < 300 && !r->error;
}

typedef void k8s_response_cb(struct k8s_request *,
                             const struct k8s_response *, void *aux);
/* Gets a stream's object or a list's item, which it owns from then on. */
typedef void k8s_object_cb(struct json *, void *aux);

/* Creates a client for 'config' (copied; the caller keeps its own).  Returns
 * NULL and stores a malloc'd message in '*errp' on failure. */
struct k8s_client *k8s_client_create(const struct k8s_config *, char **errp);
/* k8s_config_load('kubeconfig') (NULL: the usual search) and
 * k8s_client_create() in one, as every kovn daemon starts. */
struct k8s_client *k8s_client_connect(const char *kubeconfig, char **errp);
void k8s_client_destroy(struct k8s_client *);

void k8s_client_run(struct k8s_client *);
void k8s_client_wait(struct k8s_client *);

/* Runs the client (and only the client) until 'req', a caller-owned request
 * (started without a callback), is done or 'timeout_ms' passes.  Returns
 * true if 'req' is done.  For tools and tests: a daemon waits in its own
 * main loop instead. */
bool k8s_client_block(struct k8s_client *, struct k8s_request *,
                      long long int timeout_ms);

/* Number of requests in flight, for back-pressure and metrics. */
size_t k8s_client_n_active(const struct k8s_client *);

/* Starts a request for 'path' (which may carry a "?query").  'body', if
 * nonnull, is serialised now; the caller keeps it. */
struct k8s_request *k8s_client_request(struct k8s_client *, enum k8s_method,
                                       const char *path,
                                       const struct json *body,
                                       k8s_response_cb *cb, void *aux);

/* Starts a streaming GET (watch): 'on_object' for each object, then 'cb'. */
struct k8s_request *k8s_client_stream(struct k8s_client *, const char *path,
                                      k8s_object_cb *on_object,
                                      k8s_response_cb *cb, void *aux);

/* Starts a GET of a list ('path' names a collection, maybe with a
 * "?query"): 'on_item' gets each element of the response's "items" as soon
 * as it has arrived, then 'cb' the response, whose body holds the rest
 * ("metadata"...) and an empty "items".  So a long list is never held
 * whole, parsed or unparsed. */
struct k8s_request *k8s_client_list(struct k8s_client *, const char *path,
                                    k8s_object_cb *on_item,
                                    k8s_response_cb *cb, void *aux);

/* Makes list request 'req' drop each element's metadata.managedFields
 * before parsing it, to save the parse (much of a pod's JSON) when the
 * caller would drop them anyway; "managedFields" is then null. */
void k8s_request_drop_managed_fields(struct k8s_request *);

/* Runs 'req' at once if it still waits in the client's queue behind other
 * requests: for the few requests that must not wait for a burst of writes,
 * such as leader election's lease renewals. */
void k8s_request_expedite(struct k8s_request *);

/* Makes 'req', if it still waits in the client's queue, wait behind every
 * request that is not deferred, with few deferred requests running at once:
 * for bulk writes nothing waits on, so that the writes others wait on are
 * not stuck behind them.  Deferred requests keep their order. */
void k8s_request_defer(struct k8s_request *);

bool k8s_request_is_done(const struct k8s_request *);
/* The response of a finished request, or NULL while it runs. */
const struct k8s_response *k8s_request_response(const struct k8s_request *);
/* Takes the body out of the response of a finished request (caller frees). */
struct json *k8s_request_steal_body(struct k8s_request *);
void k8s_request_cancel(struct k8s_request *);
void k8s_request_destroy(struct k8s_request *);

/* REST verbs on a resource.  'ns' is ignored for cluster-scoped resources.
 * 'subresource' is NULL or e.g. "status".  'query' is NULL or a query string
 * without '?' (already escaped; see k8s_query_escape()). */
struct k8s_request *k8s_get(struct k8s_client *, const struct k8s_resource *,
                            const char *ns, const char *name,
                            k8s_response_cb *, void *aux);
struct k8s_request *k8s_list(struct k8s_client *,
                             const struct k8s_resource *, const char *ns,
                             const char *query, k8s_response_cb *, void *aux);
struct k8s_request *k8s_create(struct k8s_client *,
                               const struct k8s_resource *, const char *ns,
                               const struct json *obj,
                               k8s_response_cb *, void *aux);
struct k8s_request *k8s_update(struct k8s_client *,
                               const struct k8s_resource *, const char *ns,
                               const char *name, const char *subresource,
                               const struct json *obj,
                               k8s_response_cb *, void *aux);
struct k8s_request *k8s_merge_patch(struct k8s_client *,
                                    const struct k8s_resource *,
                                    const char *ns, const char *name,
                                    const char *subresource,
                                    const struct json *patch,
                                    k8s_response_cb *, void *aux);
struct k8s_request *k8s_delete(struct k8s_client *,
                               const struct k8s_resource *, const char *ns,
                               const char *name, k8s_response_cb *,
                               void *aux);

/* Returns 's' percent-escaped for use as a query value (caller frees). */
char *k8s_query_escape(const char *s);

#endif /* k8s-client.h */
