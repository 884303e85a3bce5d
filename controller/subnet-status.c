/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet-status.h"

#include <string.h>

#include "k8s/k8s-time.h"
#include "objects.h"
#include "openvswitch/json.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

static bool
json_number(const struct json *j, double *d)
{
    if (j && j->type == JSON_INTEGER) {
        *d = j->integer;
        return true;
    } else if (j && j->type == JSON_REAL) {
        *d = j->real;
        return true;
    }
    return false;
}

static bool
number_equals(const struct json *status, const char *name, double want)
{
    double have;
    return json_number(json_get_member(status, name), &have) && have == want;
}

static struct json *
number(double d)
{
    /* Integers print without ".0"; a /64's count does not fit one. */
    return d < 9e15 ? json_integer_create((long long int) d)
                    : json_real_create(d);
}

static const struct json *
find_condition(const struct json *status, const char *type)
{
    const struct json *conds = json_get_member(status, "conditions");
    if (conds && conds->type == JSON_ARRAY) {
        for (size_t i = 0; i < conds->array.n; i++) {
            const char *t = json_get_string(conds->array.elems[i], "type");
            if (t && !strcmp(t, type)) {
                return conds->array.elems[i];
            }
        }
    }
    return NULL;
}

/* True if condition 'type' of 'status' says 'ok', 'reason', 'message'. */
static bool
condition_says(const struct json *status, const char *type, bool ok,
               const char *reason, const char *message)
{
    const struct json *c = find_condition(status, type);
    return (obj_str_eq(json_get_string(c, "status"), ok ? "True" : "False")
            && obj_str_eq(json_get_string(c, "reason"), reason)
            && obj_str_eq(json_get_string(c, "message"), message));
}

/* Condition 'type' as it should be, its transition time kept unless its
 * status changes. */
static struct json *
make_condition(const struct json *status, const char *type, bool ok,
               const char *reason, const char *message, const char *now)
{
    const struct json *old = find_condition(status, type);
    const char *want = ok ? "True" : "False";
    const char *since = json_get_string(old, "lastTransitionTime");
    bool same = obj_str_eq(json_get_string(old, "status"), want);
    struct json *cond = json_object_create();
    json_object_put_string(cond, "type", type);
    json_object_put_string(cond, "status", want);
    json_object_put_string(cond, "reason", reason);
    json_object_put_string(cond, "message", message ? message : "");
    json_object_put_string(cond, "lastUpdateTime", now);
    json_object_put_string(cond, "lastTransitionTime",
                           same && since ? since : now);
    return cond;
}

/* Returns the merge patch that makes 'obj''s status say 'st', or NULL if
 * it already does.  Timestamps alone never make a patch: otherwise each
 * status write would trigger another. */
void
subnet_status_destroy(struct subnet_status *st)
{
    free(st->message);
    free(st->acl.message);
    free(st->gateway.message);
    free(st->active_gateway);
}

/* The extra conditions of 'st', for loops. */
static void
extra_conditions(const struct subnet_status *st,
                 const struct subnet_condition *out[2])
{
    out[0] = &st->acl;
    out[1] = &st->gateway;
}

static const char *
condition_reason(const struct subnet_condition *c)
{
    return c->ok ? c->type : c->reason;
}

static const char *
condition_message(const struct subnet_condition *c)
{
    return c->ok || !c->message ? "" : c->message;
}

/* True if 'status' says what 'st' wants, timestamps aside. */
static bool
status_says(const struct json *status, const struct subnet_status *st)
{
    const struct subnet_condition *extra[2];
    extra_conditions(st, extra);
    for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
        const struct subnet_condition *c = extra[i];
        if (c->type && !condition_says(status, c->type, c->ok,
                                       condition_reason(c),
                                       condition_message(c))) {
            return false;
        }
    }
    const char *gw = json_get_string(status, "activateGateway");
    return (condition_says(status, "Ready", st->ready, st->reason,
                           st->message ? st->message : "")
            && (!st->active_gateway
                || obj_str_eq(gw ? gw : "", st->active_gateway))
            && number_equals(status, "v4availableIPs", st->usage.v4_available)
            && number_equals(status, "v4usingIPs", st->usage.v4_used)
            && number_equals(status, "v6availableIPs", st->usage.v6_available)
            && number_equals(status, "v6usingIPs", st->usage.v6_used));
}

/* Whether 'st' sets condition 'type'. */
static bool
sets_condition(const struct subnet_status *st, const char *type)
{
    const struct subnet_condition *extra[2];
    extra_conditions(st, extra);
    for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
        if (extra[i]->type && obj_str_eq(extra[i]->type, type)) {
            return true;
        }
    }
    return obj_str_eq(type, "Ready");
}

static struct json *
conditions_patch(const struct json *status, const struct subnet_status *st)
{
    char *now = k8s_time_format(time_wall_msec(), false);
    /* A merge patch replaces a list whole: keep the other conditions. */
    struct json *conds = json_array_create_empty();
    const struct json *old = json_get_member(status, "conditions");
    for (size_t i = 0; old && old->type == JSON_ARRAY && i < old->array.n;
         i++) {
        const char *type = json_get_string(old->array.elems[i], "type");
        if (!sets_condition(st, type)) {
            json_array_add(conds, json_clone(old->array.elems[i]));
        }
    }
    json_array_add(conds, make_condition(status, "Ready", st->ready,
                                         st->reason, st->message, now));
    const struct subnet_condition *extra[2];
    extra_conditions(st, extra);
    for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
        const struct subnet_condition *c = extra[i];
        if (c->type) {
            json_array_add(conds, make_condition(status, c->type, c->ok,
                                                 condition_reason(c),
                                                 condition_message(c), now));
        }
    }
    free(now);
    return conds;
}

struct json *
subnet_status_patch(const struct json *obj, const struct subnet_status *st)
{
    const struct json *status = json_get_member(obj, "status");
    if (status_says(status, st)) {
        return NULL;
    }

    struct json *s = json_object_create();
    json_object_put(s, "v4availableIPs", number(st->usage.v4_available));
    json_object_put(s, "v4usingIPs", number(st->usage.v4_used));
    json_object_put(s, "v6availableIPs", number(st->usage.v6_available));
    json_object_put(s, "v6usingIPs", number(st->usage.v6_used));
    if (st->active_gateway) {
        json_object_put_string(s, "activateGateway", st->active_gateway);
    }
    json_object_put(s, "conditions", conditions_patch(status, st));

    struct json *patch = json_object_create();
    json_object_put(patch, "status", s);
    return patch;
}

const char *
subnet_condition_message(const struct json *obj, const char *type)
{
    const struct json *c = find_condition(json_get_member(obj, "status"),
                                          type);
    return c ? json_get_string(c, "message") : NULL;
}

const char *
subnet_ready_reason(const struct json *obj)
{
    const struct json *ready = find_condition(json_get_member(obj, "status"),
                                              "Ready");
    return json_get_string(ready, "reason");
}

/* The merge patch that makes 'obj''s finalizers hold kovn's exactly once
 * ('want') or not at all, the others kept in order; NULL if they do
 * already.  A merge patch replaces the list whole, so it carries the
 * resourceVersion it was computed from: a finalizer that someone else adds
 * meanwhile makes it fail (409) and the key is tried again. */
struct json *
subnet_finalizers_patch(const struct json *obj, bool want)
{
    const struct json *list = json_get_path(obj, "metadata.finalizers");
    struct json *keep = json_array_create_empty();
    size_t n_ours = 0;
    bool current = false;
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < list->array.n; i++) {
        const struct json *f = list->array.elems[i];
        const char *s = f->type == JSON_STRING ? json_string(f) : "";
        if (!strcmp(s, SUBNET_FINALIZER)
            || !strcmp(s, SUBNET_FINALIZER_LEGACY)) {
            n_ours++;
            current |= !strcmp(s, SUBNET_FINALIZER);
        } else {
            json_array_add(keep, json_clone(f));
        }
    }
    if (want ? n_ours == 1 && current : !n_ours) {
        json_destroy(keep);
        return NULL;
    }
    if (want) {
        json_array_add(keep, json_string_create(SUBNET_FINALIZER));
    }
    struct json *patch = json_object_create();
    json_put_path(patch, "metadata.finalizers", keep);
    json_put_path(patch, "metadata.resourceVersion",
                  json_string_create(k8s_obj_resource_version(obj)));
    return patch;
}

