/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "k8s/k8s-config.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "hash.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(k8s_client);

/* Rate limit for log lines a broken server or a storm can repeat. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* How long a bearer token read from a file is used before re-reading it:
 * projected service-account tokens are rotated by the kubelet. */
#define TOKEN_REFRESH_MS (60 * 1000)

/* Bytes of a response body kept as text for error messages. */
#define ERROR_TEXT_MAX 512

/* Requests (other than streams) handed to libcurl at once; the rest wait in
 * 'queued', in order.  It keeps a burst of thousands of patches within the
 * server's HTTP/2 stream limit (Go's default is 250 per connection, watches
 * included): a transfer that libcurl parks on a full connection may never be
 * woken up. */
#define MAX_RUNNING 100

/* Of those, at most this many deferred ones (k8s_request_defer()), so that
 * slots stay free for the requests that others wait on. */
#define MAX_RUNNING_DEFERRED 10

/* While requests (not watches: an idle daemon should sleep) run, libcurl is
 * given a timeout at least this often, in case it left one waiting without
 * arming its timer. */
#define KICK_MS 1000

/* One socket libcurl asked us to watch. */
struct client_socket {
    struct hmap_node node;      /* In client->sockets, by fd. */
    curl_socket_t fd;
    int what;                   /* CURL_POLL_IN, _OUT or _INOUT. */
};

struct k8s_client {
    CURLM *multi;
    struct hmap sockets;        /* struct client_socket. */
    long long int timer_deadline;   /* LLONG_MAX if libcurl wants none. */

    /* Requests are on exactly one of these lists (or none, once a caller-
     * owned request is done). */
    struct ovs_list queued;     /* Waiting for a running slot. */
    struct ovs_list deferred;   /* Waiting behind 'queued'. */
    struct ovs_list active;     /* Running in libcurl. */
    struct ovs_list finished;   /* Done, completion not yet delivered. */
    struct ovs_list ready;      /* Running streams with objects to deliver
                                 * (via 'ready_node'). */
    size_t n_active;            /* Queued or running. */
    size_t n_running;           /* Running, streams excepted. */
    size_t n_running_deferred;  /* Of those, deferred ones. */
    long long int last_kick;

    /* Connection settings, copied from the config. */
    char *server;
    char *ca_file, *cert_file, *key_file;
    struct curl_blob ca_blob, cert_blob, key_blob;
    bool insecure;
    struct k8s_config *token_source;    /* For k8s_config_get_token(). */
    char *token;
    long long int token_expires;
};

/* Where the bytes of a list's body go (k8s_client_list()). */
enum list_state {
    LIST_OUTSIDE,               /* Outside "items": to the body's parser. */
    LIST_BETWEEN,               /* In "items", between elements. */
    LIST_ITEM,                  /* In an element: to 'item_parser'. */
};

/* What the byte scanners below keep of strings, to recognise keys. */
struct key_scan {
    bool in_string, escaped;
    char key[16];               /* Start of the last string... */
    size_t key_len;             /* ...and its whole length. */
};

struct list_split {
    enum list_state state;
    struct json_parser *item_parser;

    /* What is needed of the JSON outside "items" to find it. */
    int depth;                  /* Open objects and arrays. */
    struct key_scan keys;
    bool items_next;            /* After "items": at depth 1. */

    /* Dropping an element's metadata.managedFields before it is parsed
     * (k8s_request_drop_managed_fields()): the value is skipped, and
     * "null" parsed in its place. */
    bool drop_managed;
    struct item_scan {
        int depth;              /* Open objects and arrays in the item. */
        struct key_scan keys;
        bool metadata_next;     /* After "metadata": at depth 1. */
        bool in_metadata;       /* In the item's "metadata". */
        bool managed_next;      /* After "managedFields": in metadata. */
        int skip_depth;         /* >0: skipping managedFields' value. */
    } scan;
};

struct k8s_request {
    struct k8s_client *client;
    struct ovs_list node;       /* In client->active or client->finished. */
    struct ovs_list ready_node; /* In client->ready if 'in_ready'. */
    bool in_ready;

    /* What to send.  The libcurl handle (several kB) is made only when
     * the request starts, as thousands may wait in the queue. */
    enum k8s_method method;
    char *url;
    char *body_text;            /* Request body, or NULL. */
    CURL *easy;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];

    struct json_parser *parser;
    char *parse_error;          /* First parse error, or NULL. */
    struct ds error_text;       /* First bytes of the body, for errors. */
    bool stream;
    bool list;                  /* k8s_client_list(). */
    struct list_split split;    /* If 'list'. */
    struct json *pending;       /* Stream objects or list items not yet
                                 * delivered (array). */
    size_t n_delivered;         /* Of 'pending'. */

    k8s_object_cb *on_object;
    k8s_response_cb *cb;        /* NULL: the caller owns the request. */
    void *aux;

    bool deferred;              /* See k8s_request_defer(). */
    bool started;               /* Handed to libcurl. */
    bool done;
    bool cancelled;
    bool delivering;            /* In a callback: defer freeing. */
    bool destroyed;             /* k8s_request_destroy() was called. */
    struct k8s_response response;
};

static void request_free(struct k8s_request *);
static void request_finish(struct k8s_request *, CURLcode);
static void start_queued(struct k8s_client *);
static void request_launch(struct k8s_request *);

/* libcurl wants to watch (or stop watching) socket 'fd'. */
static int
socket_cb(CURL *easy OVS_UNUSED, curl_socket_t fd, int what, void *client_,
          void *socketp OVS_UNUSED)
{
    struct k8s_client *client = client_;
    struct client_socket *s = NULL, *iter;

    HMAP_FOR_EACH_WITH_HASH (iter, node, hash_int(fd, 0), &client->sockets) {
        if (iter->fd == fd) {
            s = iter;
            break;
        }
    }
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            hmap_remove(&client->sockets, &s->node);
            free(s);
        }
    } else {
        if (!s) {
            s = xmalloc(sizeof *s);
            s->fd = fd;
            hmap_insert(&client->sockets, &s->node, hash_int(fd, 0));
        }
        s->what = what;
    }
    return 0;
}

static int
timer_cb(CURLM *multi OVS_UNUSED, long timeout_ms, void *client_)
{
    struct k8s_client *client = client_;
    client->timer_deadline = (timeout_ms < 0 ? LLONG_MAX
                              : time_msec() + timeout_ms);
    return 0;
}

static void
blob_set(struct curl_blob *blob, const char *data, size_t len)
{
    blob->data = data ? xmemdup(data, len) : NULL;
    blob->len = data ? len : 0;
    blob->flags = CURL_BLOB_NOCOPY;
}

struct k8s_client *
k8s_client_connect(const char *kubeconfig, char **errp)
{
    struct k8s_config *config;
    *errp = k8s_config_load(kubeconfig, &config);
    if (*errp) {
        return NULL;
    }
    struct k8s_client *client = k8s_client_create(config, errp);
    k8s_config_destroy(config);
    return client;
}

struct k8s_client *
k8s_client_create(const struct k8s_config *config, char **errp)
{
    static bool curl_initialized;
    if (!curl_initialized) {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            *errp = xasprintf("libcurl initialisation failed: %s",
                              curl_easy_strerror(rc));
            return NULL;
        }
        curl_initialized = true;
    }

    struct k8s_client *client = xzalloc(sizeof *client);
    client->multi = curl_multi_init();
    hmap_init(&client->sockets);
    client->timer_deadline = LLONG_MAX;
    ovs_list_init(&client->queued);
    ovs_list_init(&client->deferred);
    ovs_list_init(&client->active);
    ovs_list_init(&client->finished);
    ovs_list_init(&client->ready);

    /* A trailing '/' would make every path start with "//". */
    client->server = xstrdup(config->server);
    size_t len = strlen(client->server);
    while (len > 0 && client->server[len - 1] == '/') {
        client->server[--len] = '\0';
    }
    client->ca_file = nullable_xstrdup(config->ca_file);
    client->cert_file = nullable_xstrdup(config->cert_file);
    client->key_file = nullable_xstrdup(config->key_file);
    blob_set(&client->ca_blob, config->ca_data, config->ca_data_len);
    blob_set(&client->cert_blob, config->cert_data, config->cert_data_len);
    blob_set(&client->key_blob, config->key_data, config->key_data_len);
    client->insecure = config->insecure;
    if (config->token || config->token_file) {
        client->token_source = xzalloc(sizeof *client->token_source);
        client->token_source->token = nullable_xstrdup(config->token);
        client->token_source->token_file
            = nullable_xstrdup(config->token_file);
    }

    curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client);
    /* HTTP/2 multiplexes requests on a connection; past the server's stream
     * limit libcurl opens more.  No per-host cap on connections: over
     * HTTP/1.1 (a load balancer that does not speak HTTP/2) each watch holds
     * a connection of its own, and a cap below the number of watches would
     * leave every other request waiting for good.  MAX_RUNNING bounds the
     * rest. */
    curl_multi_setopt(client->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    return client;
}

void
k8s_client_destroy(struct k8s_client *client)
{
    if (!client) {
        return;
    }

    struct k8s_request *req;
    LIST_FOR_EACH_SAFE (req, node, &client->queued) {
        k8s_request_cancel(req);
    }
    LIST_FOR_EACH_SAFE (req, node, &client->deferred) {
        k8s_request_cancel(req);
    }
    LIST_FOR_EACH_SAFE (req, node, &client->active) {
        k8s_request_cancel(req);
    }
    LIST_FOR_EACH_SAFE (req, node, &client->finished) {
        k8s_request_cancel(req);
    }
    curl_multi_cleanup(client->multi);

    struct client_socket *s;
    HMAP_FOR_EACH_POP (s, node, &client->sockets) {
        free(s);
    }
    hmap_destroy(&client->sockets);
    free(client->server);
    free(client->ca_file);
    free(client->cert_file);
    free(client->key_file);
    free(client->ca_blob.data);
    free(client->cert_blob.data);
    free(client->key_blob.data);
    k8s_config_destroy(client->token_source);
    free(client->token);
    free(client);
}

/* Runs libcurl on every socket that is ready and on its timer. */
static void
drive_curl(struct k8s_client *client)
{
    size_t n = hmap_count(&client->sockets);
    struct pollfd *pfds = xmalloc((n ? n : 1) * sizeof *pfds);
    struct client_socket *s;
    int running;
    size_t i = 0;

    HMAP_FOR_EACH (s, node, &client->sockets) {
        pfds[i].fd = s->fd;
        pfds[i].events = ((s->what & CURL_POLL_IN ? POLLIN : 0)
                          | (s->what & CURL_POLL_OUT ? POLLOUT : 0));
        pfds[i++].revents = 0;
    }
    if (n && poll(pfds, n, 0) > 0) {
        for (i = 0; i < n; i++) {
            int mask = ((pfds[i].revents & (POLLIN | POLLHUP)
                         ? CURL_CSELECT_IN : 0)
                        | (pfds[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0)
                        | (pfds[i].revents & POLLERR ? CURL_CSELECT_ERR : 0));
            if (mask) {
                curl_multi_socket_action(client->multi, pfds[i].fd, mask,
                                         &running);
            }
        }
    }
    free(pfds);

    long long int now = time_msec();
    if (now >= client->timer_deadline
        || (client->n_running && now >= client->last_kick + KICK_MS)) {
        client->timer_deadline = LLONG_MAX;
        client->last_kick = now;
        curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0,
                                 &running);
    }

    CURLMsg *msg;
    int n_left;
    while ((msg = curl_multi_info_read(client->multi, &n_left))) {
        if (msg->msg == CURLMSG_DONE) {
            struct k8s_request *req;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
            request_finish(req, msg->data.result);
        }
    }
    start_queued(client);
}

/* Delivers the stream objects 'req' has received.  Returns false if a
 * callback cancelled 'req' (which is then freed). */
static bool
deliver_objects(struct k8s_request *req)
{
    req->delivering = true;
    while (req->pending && req->n_delivered < req->pending->array.n
           && !req->cancelled) {
        /* The callback takes the object. */
        struct json **slot = &req->pending->array.elems[req->n_delivered++];
        struct json *obj = *slot;
        *slot = NULL;
        req->on_object(obj, req->aux);
    }
    json_destroy(req->pending);
    req->pending = NULL;
    req->n_delivered = 0;
    req->delivering = false;

    if (req->cancelled) {
        /* Cancelled from a callback: free it now unless its caller owns it
         * and has not yet destroyed it. */
        if (req->cb || req->destroyed) {
            request_free(req);
        }
        return false;
    }
    return true;
}

static void
deliver_completion(struct k8s_request *req)
{
    if (!deliver_objects(req)) {
        return;
    }
    if (req->cb) {
        req->delivering = true;
        req->cb(req, &req->response, req->aux);
        request_free(req);
    }
}

void
k8s_client_run(struct k8s_client *client)
{
    drive_curl(client);

    while (!ovs_list_is_empty(&client->ready)) {
        struct k8s_request *req = CONTAINER_OF(ovs_list_pop_front(
                                                   &client->ready),
                                               struct k8s_request, ready_node);
        req->in_ready = false;
        deliver_objects(req);
    }
    while (!ovs_list_is_empty(&client->finished)) {
        struct k8s_request *req = CONTAINER_OF(
            ovs_list_pop_front(&client->finished), struct k8s_request, node);
        ovs_list_init(&req->node);
        deliver_completion(req);
    }
}

void
k8s_client_wait(struct k8s_client *client)
{
    struct client_socket *s;

    if (!ovs_list_is_empty(&client->finished)
        || !ovs_list_is_empty(&client->ready)) {
        poll_immediate_wake();
    }
    HMAP_FOR_EACH (s, node, &client->sockets) {
        short events = ((s->what & CURL_POLL_IN ? POLLIN : 0)
                        | (s->what & CURL_POLL_OUT ? POLLOUT : 0));
        if (events) {
            poll_fd_wait(s->fd, events);
        }
    }
    if (client->timer_deadline != LLONG_MAX) {
        poll_timer_wait_until(client->timer_deadline);
    }
    if (client->n_running) {
        poll_timer_wait_until(client->last_kick + KICK_MS);
    }
}

bool
k8s_client_block(struct k8s_client *client, struct k8s_request *req,
                 long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;

    ovs_assert(!req->cb);       /* Else it may be freed while we look. */
    for (;;) {
        k8s_client_run(client);
        if (k8s_request_is_done(req) || time_msec() >= deadline) {
            return k8s_request_is_done(req);
        }
        k8s_client_wait(client);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

size_t
k8s_client_n_active(const struct k8s_client *client)
{
    return client->n_active;
}

/* Returns the bearer token to send, re-reading a token file now and then. */
static const char *
client_token(struct k8s_client *client)
{
    if (!client->token_source) {
        return NULL;
    }
    if (!client->token || time_msec() >= client->token_expires) {
        char *token = k8s_config_get_token(client->token_source);
        if (token) {
            free(client->token);
            client->token = token;
        } else {
            VLOG_WARN_RL(&rl, "could not read the bearer token; "
                         "using the last one");
        }
        client->token_expires = time_msec() + TOKEN_REFRESH_MS;
    }
    return client->token;
}

/* Keeps 'obj', a stream's object or a list's item, for delivery by the next
 * k8s_client_run(). */
static void
queue_object(struct k8s_request *req, struct json *obj)
{
    if (!req->pending) {
        req->pending = json_array_create_empty();
    }
    json_array_add(req->pending, obj);
    if (!req->in_ready) {
        req->in_ready = true;
        ovs_list_push_back(&req->client->ready, &req->ready_node);
    }
}

/* Parses body bytes: one object, or a stream's objects one after another. */
static void
parse_objects(struct k8s_request *req, const char *data, size_t n)
{
    for (size_t used = 0; used < n && !req->parse_error; ) {
        if (!req->parser) {
            /* Skip whitespace between stream objects. */
            while (used < n && strchr(" \t\r\n", data[used])) {
                used++;
            }
            if (used == n) {
                break;
            }
            req->parser = json_parser_create(0);
        }
        used += json_parser_feed(req->parser, data + used, n - used);
        if (!json_parser_is_done(req->parser)) {
            break;
        }

        struct json *obj = json_parser_finish(req->parser);
        req->parser = NULL;
        if (obj->type != JSON_OBJECT) {
            req->parse_error = xasprintf("malformed JSON in response: %s",
                                         obj->type == JSON_STRING
                                         ? obj->string : "not an object");
            json_destroy(obj);
        } else if (req->stream) {
            queue_object(req, obj);
        } else if (req->response.body) {
            req->parse_error = xstrdup("unexpected data after the response");
            json_destroy(obj);
        } else {
            req->response.body = obj;
        }
    }
}

/* Follows byte 'c' inside a string and returns true, or returns false
 * outside one. */
static bool
key_scan_string(struct key_scan *k, char c)
{
    if (!k->in_string) {
        return false;
    }
    if (k->escaped) {
        k->escaped = false;
    } else if (c == '\\') {
        k->escaped = true;
    } else if (c == '"') {
        k->in_string = false;
    } else if (k->key_len++ < sizeof k->key) {
        k->key[k->key_len - 1] = c;
    }
    return true;
}

/* The '"' that opens a string. */
static void
key_scan_open(struct key_scan *k)
{
    k->in_string = true;
    k->key_len = 0;
}

/* True if the last string was 'key'. */
static bool
key_scan_is(const struct key_scan *k, const char *key)
{
    size_t len = strlen(key);
    return k->key_len == len && !memcmp(k->key, key, len);
}

/* Follows byte 'c' of a list's body outside "items"; returns true if it is
 * the '[' that opens "items" (a member of the top-level object). */
static bool
list_scan(struct list_split *s, char c)
{
    if (key_scan_string(&s->keys, c)) {
        return false;
    }

    bool items = false;
    switch (c) {
    case ' ': case '\t': case '\r': case '\n':
        return false;
    case '"':
        key_scan_open(&s->keys);
        break;
    case ':':
        s->items_next = s->depth == 1 && key_scan_is(&s->keys, "items");
        return false;
    case '[':
        items = s->items_next;
        /* Fall through. */
    case '{':
        s->depth++;
        break;
    case ']': case '}':
        s->depth--;
        break;
    }
    s->items_next = false;
    return items;
}

/* Follows byte 'c' of a list element, as list_scan() the body's. */
static enum { SCAN_FEED, SCAN_SKIP, SCAN_END }
item_scan(struct item_scan *s, char c)
{
    if (key_scan_string(&s->keys, c)) {
        return s->skip_depth ? SCAN_SKIP : SCAN_FEED;
    }
    if (s->skip_depth) {
        if (c == '"') {
            key_scan_open(&s->keys);
        } else if (c == '[' || c == '{') {
            s->skip_depth++;
        } else if (c == ']' || c == '}') {
            s->skip_depth--;
        }
        return SCAN_SKIP;
    }

    switch (c) {
    case ' ': case '\t': case '\r': case '\n':
        return SCAN_FEED;
    case '"':
        key_scan_open(&s->keys);
        break;
    case ':':
        s->metadata_next = s->depth == 1 && key_scan_is(&s->keys, "metadata");
        s->managed_next = (s->depth == 2 && s->in_metadata
                           && key_scan_is(&s->keys, "managedFields"));
        return SCAN_FEED;
    case '[':
        if (s->managed_next) {
            s->managed_next = false;
            s->skip_depth = 1;
            return SCAN_SKIP;
        }
        s->depth++;
        break;
    case '{':
        s->in_metadata = s->in_metadata || (s->depth == 1
                                            && s->metadata_next);
        s->depth++;
        break;
    case ']': case '}':
        if (--s->depth <= 1) {
            s->in_metadata = false;
        }
        break;
    }
    s->metadata_next = s->managed_next = false;
    return s->depth ? SCAN_FEED : SCAN_END;
}

/* Feeds the parser of the list element in progress with 'data', less the
 * element's managedFields if so asked.  Returns the bytes used: fewer than
 * 'n' if the element ended. */
static size_t
feed_item(struct list_split *s, const char *data, size_t n)
{
    if (!s->drop_managed) {
        return json_parser_feed(s->item_parser, data, n);
    }

    size_t i = 0;
    while (i < n) {
        size_t start = i;
        bool skipping = s->scan.skip_depth > 0;
        while (i < n && (s->scan.skip_depth > 0) == skipping) {
            if (item_scan(&s->scan, data[i++]) == SCAN_END) {
                break;
            }
        }
        if (!skipping) {
            /* The '[' that starts a skip was scanned but is not fed. */
            size_t end = s->scan.skip_depth ? i - 1 : i;
            size_t used = json_parser_feed(s->item_parser, data + start,
                                           end - start);
            if (used < end - start || json_parser_is_done(s->item_parser)) {
                return start + used;
            }
        } else if (!s->scan.skip_depth) {
            json_parser_feed(s->item_parser, "null", 4);
        }
    }
    return i;
}

/* Parses bytes of a list's body: each element of "items" on its own, handed
 * over as soon as complete; the rest (with "items" left empty) as the
 * response's body. */
static void
split_list(struct k8s_request *req, const char *data, size_t n)
{
    struct list_split *s = &req->split;

    for (size_t i = 0; i < n && !req->parse_error; ) {
        if (s->state == LIST_OUTSIDE) {
            size_t start = i;
            bool items = false;
            while (i < n && !items) {
                items = list_scan(s, data[i++]);
            }
            parse_objects(req, data + start, i - start);
            if (items) {
                s->state = LIST_BETWEEN;
            }
        } else if (s->state == LIST_BETWEEN) {
            if (data[i] == ']') {
                s->state = LIST_OUTSIDE;    /* The ']' is the body's. */
            } else if (strchr(" \t\r\n,", data[i])) {
                i++;
            } else {
                s->item_parser = json_parser_create(0);
                memset(&s->scan, 0, sizeof s->scan);
                s->state = LIST_ITEM;
            }
        } else {
            i += feed_item(s, data + i, n - i);
            if (json_parser_is_done(s->item_parser)) {
                struct json *item = json_parser_finish(s->item_parser);
                s->item_parser = NULL;
                s->state = LIST_BETWEEN;
                if (item->type == JSON_OBJECT) {
                    queue_object(req, item);
                } else {
                    req->parse_error = xstrdup("malformed JSON in response: "
                                               "a list item is not an "
                                               "object");
                    json_destroy(item);
                }
            }
        }
    }
}

/* libcurl hands us body bytes: parse them as they come. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *req_)
{
    struct k8s_request *req = req_;
    size_t n = size * nmemb;

    if (req->error_text.length < ERROR_TEXT_MAX) {
        ds_put_buffer(&req->error_text, data,
                      MIN(n, ERROR_TEXT_MAX - req->error_text.length));
    }
    if (req->list) {
        split_list(req, data, n);
    } else {
        parse_objects(req, data, n);
    }
    /* Returning less than 'n' would make libcurl abort the transfer; a
     * malformed body is reported when the request finishes instead. */
    return n;
}

/* Fills in 'req->response.error' and 'reason' for a finished request. */
static void
set_response_error(struct k8s_request *req, CURLcode rc)
{
    struct k8s_response *r = &req->response;
    const struct json *body = r->body;

    r->reason = "";
    if (rc != CURLE_OK) {
        r->error = xasprintf("%s: %s", req->client->server,
                             req->errbuf[0] ? req->errbuf
                                            : curl_easy_strerror(rc));
    } else if (r->status < 200 || r->status >= 300) {
        const char *message = json_get_string(body, "message");
        const char *reason = json_get_string(body, "reason");
        r->reason = reason ? reason : "";
        r->error = (message
                    ? xasprintf("HTTP %ld: %s", r->status, message)
                    : xasprintf("HTTP %ld: %s", r->status,
                                ds_cstr(&req->error_text)));
    } else if (req->parse_error) {
        r->error = xstrdup(req->parse_error);
    } else if (!req->stream && !body) {
        r->error = xstrdup("empty response body");
    }
}

/* Takes 'req' out of libcurl (if there) and counts it done. */
static void
request_stop(struct k8s_request *req)
{
    struct k8s_client *client = req->client;

    if (req->started) {
        curl_multi_remove_handle(client->multi, req->easy);
        if (!req->stream) {
            client->n_running--;
            client->n_running_deferred -= req->deferred;
        }
    }
    req->done = true;
    client->n_active--;
}

/* Makes the libcurl handle of 'req'. */
static void
request_setup(struct k8s_request *req)
{
    struct k8s_client *client = req->client;

    CURL *e = req->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, req);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "kovn/" KOVN_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* A watch may be quiet for minutes; TCP keepalives notice a dead peer. */
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    if (!req->stream) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
    }

    if (client->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (client->ca_blob.data) {
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &client->ca_blob);
    } else if (client->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, client->ca_file);
    }
    if (client->cert_blob.data) {
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &client->cert_blob);
    } else if (client->cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, client->cert_file);
    }
    if (client->key_blob.data) {
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &client->key_blob);
    } else if (client->key_file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, client->key_file);
    }

    req->headers = curl_slist_append(NULL, "Accept: application/json");
    const char *token = client_token(client);
    if (token) {
        char *auth = xasprintf("Authorization: Bearer %s", token);
        req->headers = curl_slist_append(req->headers, auth);
        free(auth);
    }

    static const char *const method_names[] = {
        [K8S_GET] = "GET", [K8S_POST] = "POST", [K8S_PUT] = "PUT",
        [K8S_PATCH_MERGE] = "PATCH", [K8S_DELETE] = "DELETE",
    };
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_names[req->method]);
    if (req->body_text) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body_text);
        req->headers = curl_slist_append(
            req->headers, req->method == K8S_PATCH_MERGE
                          ? "Content-Type: application/merge-patch+json"
                          : "Content-Type: application/json");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
}

/* Hands 'req' to libcurl. */
static void
request_launch(struct k8s_request *req)
{
    struct k8s_client *client = req->client;

    request_setup(req);
    ovs_list_push_back(&client->active, &req->node);
    req->started = true;
    if (!req->stream) {
        client->n_running++;
        client->n_running_deferred += req->deferred;
    }
    CURLMcode mrc = curl_multi_add_handle(client->multi, req->easy);
    if (mrc != CURLM_OK) {
        ovs_strlcpy(req->errbuf, curl_multi_strerror(mrc), sizeof req->errbuf);
        request_finish(req, CURLE_FAILED_INIT);
    }
}

/* Hands queued requests to libcurl while there is room. */
static void
start_queued(struct k8s_client *client)
{
    while (client->n_running < MAX_RUNNING
           && !ovs_list_is_empty(&client->queued)) {
        request_launch(CONTAINER_OF(ovs_list_pop_front(&client->queued),
                                    struct k8s_request, node));
    }
    while (client->n_running < MAX_RUNNING
           && client->n_running_deferred < MAX_RUNNING_DEFERRED
           && !ovs_list_is_empty(&client->deferred)) {
        request_launch(CONTAINER_OF(ovs_list_pop_front(&client->deferred),
                                    struct k8s_request, node));
    }
}

static void
request_finish(struct k8s_request *req, CURLcode rc)
{
    struct k8s_client *client = req->client;

    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE,
                      &req->response.status);
    if (req->parser) {
        /* A stream cut in the middle of an object, or a body that ended
         * early: not an error if nothing but whitespace was pending. */
        struct json *partial = json_parser_finish(req->parser);
        req->parser = NULL;
        if (!req->parse_error && partial->type == JSON_OBJECT
            && !req->stream && !req->response.body) {
            req->response.body = partial;
        } else {
            json_destroy(partial);
            if (!req->parse_error && rc == CURLE_OK) {
                req->parse_error = xstrdup("response body ended early");
            }
        }
    }
    if (req->split.item_parser) {
        json_parser_abort(req->split.item_parser);
        req->split.item_parser = NULL;
        if (!req->parse_error && rc == CURLE_OK) {
            req->parse_error = xstrdup("response body ended early");
        }
    }
    set_response_error(req, rc);

    request_stop(req);
    ovs_list_remove(&req->node);
    ovs_list_push_back(&client->finished, &req->node);
}

static struct k8s_request *
request_start(struct k8s_client *client, enum k8s_method method,
              const char *path, const struct json *body, bool stream,
              bool list, k8s_object_cb *on_object, k8s_response_cb *cb,
              void *aux)
{
    struct k8s_request *req = xzalloc(sizeof *req);
    req->client = client;
    req->stream = stream;
    req->list = list;
    req->on_object = on_object;
    req->cb = cb;
    req->aux = aux;
    ds_init(&req->error_text);
    ovs_list_init(&req->ready_node);

    req->method = method;
    req->url = xasprintf("%s%s", client->server, path);
    req->body_text = body ? json_to_string(body, 0) : NULL;

    /* Streams run at once: they live long and would hold a slot forever. */
    client->n_active++;
    if (stream) {
        request_launch(req);
    } else {
        ovs_list_push_back(&client->queued, &req->node);
        start_queued(client);
    }
    return req;
}

struct k8s_request *
k8s_client_request(struct k8s_client *client, enum k8s_method method,
                   const char *path, const struct json *body,
                   k8s_response_cb *cb, void *aux)
{
    return request_start(client, method, path, body, false, false, NULL, cb,
                         aux);
}

struct k8s_request *
k8s_client_stream(struct k8s_client *client, const char *path,
                  k8s_object_cb *on_object, k8s_response_cb *cb, void *aux)
{
    return request_start(client, K8S_GET, path, NULL, true, false,
                         on_object, cb, aux);
}

struct k8s_request *
k8s_client_list(struct k8s_client *client, const char *path,
                k8s_object_cb *on_item, k8s_response_cb *cb, void *aux)
{
    return request_start(client, K8S_GET, path, NULL, false, true, on_item,
                         cb, aux);
}

void
k8s_request_drop_managed_fields(struct k8s_request *req)
{
    req->split.drop_managed = true;
}

void
k8s_request_expedite(struct k8s_request *req)
{
    if (!req->started && !req->done) {
        ovs_list_remove(&req->node);
        req->deferred = false;
        request_launch(req);
    }
}

void
k8s_request_defer(struct k8s_request *req)
{
    if (!req->started && !req->done && !req->deferred) {
        req->deferred = true;
        ovs_list_remove(&req->node);
        ovs_list_push_back(&req->client->deferred, &req->node);
    }
}

bool
k8s_request_is_done(const struct k8s_request *req)
{
    return req->done;
}

const struct k8s_response *
k8s_request_response(const struct k8s_request *req)
{
    return req->done ? &req->response : NULL;
}

struct json *
k8s_request_steal_body(struct k8s_request *req)
{
    struct json *body = req->response.body;
    req->response.body = NULL;
    return body;
}

static void
request_free(struct k8s_request *req)
{
    if (req->in_ready) {
        ovs_list_remove(&req->ready_node);
    }
    ovs_list_remove(&req->node);
    curl_easy_cleanup(req->easy);
    curl_slist_free_all(req->headers);
    free(req->url);
    free(req->body_text);
    if (req->parser) {
        json_parser_abort(req->parser);
    }
    if (req->split.item_parser) {
        json_parser_abort(req->split.item_parser);
    }
    free(req->parse_error);
    ds_destroy(&req->error_text);
    json_destroy(req->pending);
    free(req->response.error);
    json_destroy(req->response.body);
    free(req);
}

void
k8s_request_cancel(struct k8s_request *req)
{
    if (!req || req->cancelled) {
        return;
    }
    req->cancelled = true;
    if (!req->done) {
        request_stop(req);
        start_queued(req->client);
    }
    /* A caller-owned request stays until k8s_request_destroy(); one freed
     * inside its own callback is freed when the callback returns. */
    if (req->cb && !req->delivering) {
        request_free(req);
    } else if (!req->cb) {
        ovs_list_remove(&req->node);
        ovs_list_init(&req->node);
        if (req->in_ready) {
            ovs_list_remove(&req->ready_node);
            req->in_ready = false;
        }
    }
}

void
k8s_request_destroy(struct k8s_request *req)
{
    if (req) {
        ovs_assert(!req->cb);
        req->destroyed = true;
        k8s_request_cancel(req);
        if (!req->delivering) {
            request_free(req);
        }
    }
}

/* REST verbs. */

static struct k8s_request *
resource_request(struct k8s_client *client, enum k8s_method method,
                 const struct k8s_resource *res, const char *ns,
                 const char *name, const char *subresource, const char *query,
                 const struct json *body, k8s_response_cb *cb, void *aux)
{
    char *path = k8s_resource_path(res, ns, name, subresource);
    if (query && query[0]) {
        char *full = xasprintf("%s?%s", path, query);
        free(path);
        path = full;
    }
    struct k8s_request *req = k8s_client_request(client, method, path, body,
                                                 cb, aux);
    free(path);
    return req;
}

struct k8s_request *
k8s_get(struct k8s_client *client, const struct k8s_resource *res,
        const char *ns, const char *name, k8s_response_cb *cb, void *aux)
{
    return resource_request(client, K8S_GET, res, ns, name, NULL, NULL, NULL,
                            cb, aux);
}

struct k8s_request *
k8s_list(struct k8s_client *client, const struct k8s_resource *res,
         const char *ns, const char *query, k8s_response_cb *cb, void *aux)
{
    return resource_request(client, K8S_GET, res, ns, NULL, NULL, query, NULL,
                            cb, aux);
}

struct k8s_request *
k8s_create(struct k8s_client *client, const struct k8s_resource *res,
           const char *ns, const struct json *obj, k8s_response_cb *cb,
           void *aux)
{
    return resource_request(client, K8S_POST, res, ns, NULL, NULL, NULL, obj,
                            cb, aux);
}

struct k8s_request *
k8s_update(struct k8s_client *client, const struct k8s_resource *res,
           const char *ns, const char *name, const char *subresource,
           const struct json *obj, k8s_response_cb *cb, void *aux)
{
    return resource_request(client, K8S_PUT, res, ns, name, subresource, NULL,
                            obj, cb, aux);
}

struct k8s_request *
k8s_merge_patch(struct k8s_client *client, const struct k8s_resource *res,
                const char *ns, const char *name, const char *subresource,
                const struct json *patch, k8s_response_cb *cb, void *aux)
{
    return resource_request(client, K8S_PATCH_MERGE, res, ns, name,
                            subresource, NULL, patch, cb, aux);
}

struct k8s_request *
k8s_delete(struct k8s_client *client, const struct k8s_resource *res,
           const char *ns, const char *name, k8s_response_cb *cb, void *aux)
{
    return resource_request(client, K8S_DELETE, res, ns, name, NULL, NULL,
                            NULL, cb, aux);
}

char *
k8s_query_escape(const char *s)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p)) {
            ds_put_char(&out, *p);
        } else {
            ds_put_format(&out, "%%%02X", *p);
        }
    }
    return ds_steal_cstr(&out);
}
