/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-leader.h"

#include <string.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-time.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(k8s_leader);

/* Rate limit for log lines a broken server or a storm can repeat. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

struct k8s_leader {
    struct k8s_client *client;
    char *namespace;
    char *name;
    char *identity;
    long long int lease_duration_ms;
    long long int renew_deadline_ms;
    long long int retry_ms;

    struct k8s_request *req;        /* GET or write in flight. */
    long long int next_try_ms;

    /* The Lease as last seen, and when (our clock) it last changed. */
    char *observed_holder;
    char *observed_renew;
    long long int observed_ms;
    long long int observed_duration_ms;
    char *resource_version;         /* Of the Lease as last seen. */

    bool leader;
    bool lost;
    long long int last_renew_ms;    /* Our last successful write. */
    struct json *written;           /* The Lease our last write made, while
                                     * it is the last we know of: renewed
                                     * without reading it first. */
};

static void lease_get_done(struct k8s_request *, const struct k8s_response *,
                           void *);

struct k8s_leader *
k8s_leader_create(struct k8s_client *client,
                  const struct k8s_leader_options *options)
{
    struct k8s_leader *l = xzalloc(sizeof *l);
    l->client = client;
    l->namespace = xstrdup(options->namespace);
    l->name = xstrdup(options->name);
    l->identity = xstrdup(options->identity);
    l->lease_duration_ms = (options->lease_duration_ms
                            ? options->lease_duration_ms : 15000);
    l->renew_deadline_ms = (options->renew_deadline_ms
                            ? options->renew_deadline_ms : 10000);
    l->retry_ms = options->retry_ms ? options->retry_ms : 2000;
    l->observed_holder = xstrdup("");
    l->next_try_ms = LLONG_MIN;
    return l;
}

void
k8s_leader_destroy(struct k8s_leader *l)
{
    if (l) {
        k8s_request_cancel(l->req);
        free(l->namespace);
        free(l->name);
        free(l->identity);
        free(l->observed_holder);
        free(l->observed_renew);
        free(l->resource_version);
        json_destroy(l->written);
        free(l);
    }
}

static void
schedule_retry(struct k8s_leader *l)
{
    l->next_try_ms = time_msec() + l->retry_ms;
}

static void
stop_leading(struct k8s_leader *l, const char *why)
{
    if (l->leader) {
        VLOG_WARN("%s: lost leadership of lease %s/%s: %s", l->identity,
                  l->namespace, l->name, why);
        l->leader = false;
        l->lost = true;
    }
}

/* Remembers the Lease 'lease' as seen now. */
static void
observe(struct k8s_leader *l, const struct json *lease)
{
    const char *holder = json_get_string(lease, "spec.holderIdentity");
    const char *renew = json_get_string(lease, "spec.renewTime");
    int64_t duration_s = 0;

    holder = holder ? holder : "";
    renew = renew ? renew : "";
    if (strcmp(holder, l->observed_holder)
        || !l->observed_renew || strcmp(renew, l->observed_renew)) {
        free(l->observed_holder);
        free(l->observed_renew);
        l->observed_holder = xstrdup(holder);
        l->observed_renew = xstrdup(renew);
        l->observed_ms = time_msec();
    }
    l->observed_duration_ms = (json_get_int(lease, "spec.leaseDurationSeconds",
                                            &duration_s) && duration_s > 0
                               ? duration_s * 1000 : l->lease_duration_ms);
    free(l->resource_version);
    l->resource_version = nullable_xstrdup(k8s_obj_resource_version(lease));
}

/* Returns the Lease spec for us holding it now.  'acquire' is the acquire
 * time to keep (NULL: now) and 'transitions' the transition count. */
static struct json *
our_lease_spec(const struct k8s_leader *l, const char *acquire,
               int64_t transitions)
{
    struct json *spec = json_object_create();
    char *now = k8s_time_format(time_wall_msec(), true);

    json_object_put_string(spec, "holderIdentity", l->identity);
    json_object_put(spec, "leaseDurationSeconds",
                    json_integer_create((l->lease_duration_ms + 999) / 1000));
    json_object_put_string(spec, "acquireTime", acquire ? acquire : now);
    json_object_put_string(spec, "renewTime", now);
    json_object_put(spec, "leaseTransitions",
                    json_integer_create(transitions));
    free(now);
    return spec;
}

static void
lease_write_done(struct k8s_request *req, const struct k8s_response *r,
                 void *l_)
{
    struct k8s_leader *l = l_;

    l->req = NULL;
    schedule_retry(l);
    json_destroy(l->written);
    l->written = NULL;
    if (!k8s_response_ok(r)) {
        /* 409 Conflict: someone else wrote first; we learn who next time. */
        VLOG_DBG("%s: lease write failed: %s", l->identity, r->error);
        return;
    }
    if (!l->leader) {
        VLOG_INFO("%s: became leader (lease %s/%s)", l->identity,
                  l->namespace, l->name);
    }
    l->leader = true;
    l->lost = false;
    l->last_renew_ms = time_msec();
    observe(l, r->body);
    l->written = k8s_request_steal_body(req);
}

static void
write_lease(struct k8s_leader *l, const struct json *current)
{
    struct json *lease = json_object_create();
    struct json *metadata = json_object_create();
    const char *holder = json_get_string(current, "spec.holderIdentity");
    const char *acquire = json_get_string(current, "spec.acquireTime");
    int64_t transitions = 0;

    json_get_int(current, "spec.leaseTransitions", &transitions);
    bool ours = holder && !strcmp(holder, l->identity);
    if (!ours && current) {
        transitions++;
    }

    json_object_put_string(lease, "apiVersion", k8s_leases.api_version);
    json_object_put_string(lease, "kind", k8s_leases.kind);
    json_object_put_string(metadata, "name", l->name);
    json_object_put_string(metadata, "namespace", l->namespace);
    if (current) {
        /* Optimistic concurrency: fails with 409 if the Lease changed. */
        json_object_put_string(metadata, "resourceVersion",
                               k8s_obj_resource_version(current));
    }
    json_object_put(lease, "metadata", metadata);
    json_object_put(lease, "spec", our_lease_spec(l, ours ? acquire : NULL,
                                                  transitions));
    l->req = (current
              ? k8s_update(l->client, &k8s_leases, l->namespace, l->name,
                           NULL, lease, lease_write_done, l)
              : k8s_create(l->client, &k8s_leases, l->namespace, lease,
                           lease_write_done, l));
    /* A leader that waits behind its own burst of writes loses the lease. */
    k8s_request_expedite(l->req);
    json_destroy(lease);
}

static void
lease_get_done(struct k8s_request *req OVS_UNUSED,
               const struct k8s_response *r, void *l_)
{
    struct k8s_leader *l = l_;

    l->req = NULL;
    if (r->status == 404) {
        write_lease(l, NULL);
        return;
    }
    if (!k8s_response_ok(r)) {
        VLOG_WARN_RL(&rl, "%s: reading lease %s/%s failed: %s", l->identity,
                     l->namespace, l->name, r->error);
        schedule_retry(l);
        return;
    }

    observe(l, r->body);
    bool held_by_other = (l->observed_holder[0]
                          && strcmp(l->observed_holder, l->identity));
    if (held_by_other
        && time_msec() < l->observed_ms + l->observed_duration_ms) {
        stop_leading(l, "another candidate holds the lease");
        schedule_retry(l);
        return;
    }
    write_lease(l, r->body);
}

void
k8s_leader_run(struct k8s_leader *l)
{
    long long int now = time_msec();

    if (l->leader && now > l->last_renew_ms + l->renew_deadline_ms) {
        stop_leading(l, "could not renew the lease in time");
    }
    if (!l->req && now >= l->next_try_ms) {
        l->next_try_ms = LLONG_MAX;     /* Set again when 'req' finishes. */
        if (l->leader && l->written) {
            /* One request per renewal, not two: the write carries the
             * resourceVersion it made, so it fails (409, and the next try
             * reads the Lease) if anyone wrote since, as after a read. */
            write_lease(l, l->written);
            return;
        }
        l->req = k8s_get(l->client, &k8s_leases, l->namespace, l->name,
                         lease_get_done, l);
        k8s_request_expedite(l->req);
    }
}

void
k8s_leader_wait(struct k8s_leader *l)
{
    if (!l->req) {
        poll_timer_wait_until(l->next_try_ms);
    }
    if (l->leader) {
        poll_timer_wait_until(l->last_renew_ms + l->renew_deadline_ms + 1);
    }
}

bool
k8s_leader_is_leader(const struct k8s_leader *l)
{
    return l->leader;
}

bool
k8s_leader_lost(const struct k8s_leader *l)
{
    return l->lost;
}

/* Sends the release of the Lease as last seen (its resourceVersion), and
 * waits until 'deadline'.  Returns the HTTP status, 0 if none came. */
static long
send_release(struct k8s_leader *l, long long int deadline)
{
    /* As client-go: no holder, and a one-second lease, so that any
     * candidate may take it on its next try. */
    struct json *patch = json_object_create();
    char *now = k8s_time_format(time_wall_msec(), true);
    json_put_path(patch, "metadata.resourceVersion",
                  json_string_create(l->resource_version));
    json_put_path(patch, "spec.holderIdentity", json_string_create(""));
    json_put_path(patch, "spec.leaseDurationSeconds", json_integer_create(1));
    json_put_path(patch, "spec.renewTime", json_string_create(now));
    free(now);

    struct k8s_request *req = k8s_merge_patch(l->client, &k8s_leases,
                                              l->namespace, l->name, NULL,
                                              patch, NULL, NULL);
    k8s_request_expedite(req);
    json_destroy(patch);
    long status = 0;
    if (k8s_client_block(l->client, req, MAX(deadline - time_msec(), 0))) {
        const struct k8s_response *r = k8s_request_response(req);
        status = k8s_response_ok(r) ? 200 : r->status;
    }
    k8s_request_destroy(req);
    return status;
}

/* Reads the Lease again into 'l'.  Returns true if we still hold it. */
static bool
reread_lease(struct k8s_leader *l, long long int deadline)
{
    struct k8s_request *req = k8s_get(l->client, &k8s_leases, l->namespace,
                                      l->name, NULL, NULL);
    k8s_request_expedite(req);
    bool ours = false;
    if (k8s_client_block(l->client, req, MAX(deadline - time_msec(), 0))
        && k8s_response_ok(k8s_request_response(req))) {
        observe(l, k8s_request_response(req)->body);
        ours = !strcmp(l->observed_holder, l->identity);
    }
    k8s_request_destroy(req);
    return ours;
}

void
k8s_leader_release(struct k8s_leader *l, long long int timeout_ms)
{
    if (!l->leader || !l->resource_version) {
        return;
    }
    k8s_request_cancel(l->req);
    l->req = NULL;

    /* A renewal cancelled just now may still have reached the server and
     * changed the resourceVersion: on 409 Conflict, read the Lease again and
     * retry while it is still ours. */
    long long int deadline = time_msec() + timeout_ms;
    for (int attempt = 0; attempt < 3; attempt++) {
        long status = send_release(l, deadline);
        if (status == 200) {
            VLOG_INFO("%s: released lease %s/%s", l->identity, l->namespace,
                      l->name);
            break;
        } else if (status != 409 || !reread_lease(l, deadline)) {
            VLOG_WARN("%s: could not release lease %s/%s (HTTP %ld); "
                      "others take over when it expires", l->identity,
                      l->namespace, l->name, status);
            break;
        }
    }
    l->leader = false;
}
