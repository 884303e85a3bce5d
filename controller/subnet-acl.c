/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet-acl.h"

#include <string.h>
#include <sys/socket.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "util.h"
#include "util/json-util.h"

/* OVN's own limits (ovn-nb(5)). */
#define MAX_PRIORITY 32767
#define MAX_MATCH 4096

static const char *const directions[] = { "from-lport", "to-lport" };
static const char *const actions[] = {
    "allow", "allow-related", "allow-stateless", "drop", "reject", "pass",
};

static const char *
one_of(const char *s, const char *const set[], size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        if (!strcmp(s, set[i])) {
            return set[i];
        }
    }
    return NULL;
}

/* Keeps 's' (taken) for the specs; returns it. */
static const char *
keep(struct subnet_acls *out, char *s)
{
    svec_add_nocopy(&out->strings, s);
    return s;
}

static void
add(struct subnet_acls *out, const char *direction, int64_t priority,
    const char *match, const char *action)
{
    out->specs = xrealloc(out->specs, (out->n + 1) * sizeof *out->specs);
    out->specs[out->n++] = (struct nb_acl_spec) {
        .direction = direction,
        .priority = priority,
        .match = match,
        .action = action,
    };
}

/* Parentheses and braces balance, outside quoted strings. */
static bool
balanced(const char *s)
{
    int depth[2] = { 0, 0 };
    bool quoted = false;
    for (; *s; s++) {
        if (*s == '"' ) {
            quoted = !quoted;
        } else if (!quoted && (*s == '(' || *s == '{')) {
            depth[*s == '{']++;
        } else if (!quoted && (*s == ')' || *s == '}')) {
            if (--depth[*s == '}'] < 0) {
                return false;
            }
        }
    }
    return !quoted && !depth[0] && !depth[1];
}

static char *
add_spec_acl(const struct json *e, size_t i, struct subnet_acls *out)
{
    const char *direction = one_of(json_get_string(e, "direction"),
                                   directions, ARRAY_SIZE(directions));
    const char *action = one_of(json_get_string(e, "action"), actions,
                                ARRAY_SIZE(actions));
    const char *match = json_get_string(e, "match");
    int64_t priority;
    if (!direction) {
        return xasprintf("spec.acls[%"PRIuSIZE"]: direction must be "
                         "from-lport or to-lport", i);
    }
    if (!action) {
        return xasprintf("spec.acls[%"PRIuSIZE"]: action must be allow, "
                         "allow-related, allow-stateless, drop, reject or "
                         "pass", i);
    }
    if (!json_get_int(e, "priority", &priority)
        || priority < 0 || priority > MAX_PRIORITY) {
        return xasprintf("spec.acls[%"PRIuSIZE"]: priority must be 0 to "
                         "%d", i, MAX_PRIORITY);
    }
    if (!match || !*match || strlen(match) > MAX_MATCH
        || strchr(match, '\n') || !balanced(match)) {
        return xasprintf("spec.acls[%"PRIuSIZE"]: match must be one OVN "
                         "expression (non-empty, balanced, at most %d "
                         "characters)", i, MAX_MATCH);
    }
    add(out, direction, priority, keep(out, xstrdup(match)), action);
    return NULL;
}

/* The allowed sources of family 'af': the Subnet, allowSubnets, nodes. */
static char *
allowed_sources(const struct json *allow, const struct ip_cidr *own, int af,
                const struct ip_cidr *join, struct ds *s)
{
    cidr_put(own, s);
    for (size_t i = 0; allow && i < json_array_n(allow); i++) {
        const struct json *a = json_array(allow)->elems[i];
        struct ip_cidr c;
        char *error = (a->type != JSON_STRING
                       ? xstrdup("not a string")
                       : cidr_parse(json_string(a), &c, NULL));
        if (error) {
            char *e = xasprintf("spec.allowSubnets[%"PRIuSIZE"]: %s", i,
                                error);
            free(error);
            return e;
        }
        if (c.family == af) {
            ds_put_cstr(s, ", ");
            cidr_put(&c, s);
        }
    }
    if (join->family == af) {
        ds_put_cstr(s, ", ");
        cidr_put(join, s);
    }
    return NULL;
}

static char *
add_isolation(const struct json *obj, const struct ip_cidr *cidrs,
              size_t n_cidrs, const struct ip_cidr *join,
              struct subnet_acls *out)
{
    const struct json *allow = json_get_path(obj, "spec.allowSubnets");
    if (allow && allow->type != JSON_ARRAY) {
        return xstrdup("spec.allowSubnets must be a list");
    }
    for (size_t i = 0; i < n_cidrs; i++) {
        int v = cidrs[i].family == AF_INET ? 4 : 6;
        struct ds own = DS_EMPTY_INITIALIZER, from = DS_EMPTY_INITIALIZER;
        cidr_put(&cidrs[i], &own);
        char *error = allowed_sources(allow, &cidrs[i], cidrs[i].family,
                                      join, &from);
        if (error) {
            ds_destroy(&own);
            ds_destroy(&from);
            return error;
        }
        add(out, "to-lport", SUBNET_ACL_PRIORITY_DROP,
            keep(out, xasprintf("ip%d.dst == %s", v, ds_cstr(&own))),
            "drop");
        add(out, "to-lport", SUBNET_ACL_PRIORITY_ALLOW,
            keep(out, xasprintf("ip%d.src == {%s} && ip%d.dst == %s", v,
                                ds_cstr(&from), v, ds_cstr(&own))),
            "allow-related");
        if (v == 6) {
            add(out, "to-lport", SUBNET_ACL_PRIORITY_ALLOW,
                "nd || nd_ra || nd_rs", "allow");
        }
        ds_destroy(&own);
        ds_destroy(&from);
    }
    return NULL;
}

char *
subnet_acls_build(const struct json *obj, const struct ip_cidr *cidrs,
                  size_t n_cidrs, const struct ip_cidr *join,
                  struct subnet_acls *out)
{
    memset(out, 0, sizeof *out);
    svec_init(&out->strings);

    bool private = false;
    json_get_bool(obj, "spec.private", &private);
    const struct json *acls = json_get_path(obj, "spec.acls");
    if (acls && acls->type != JSON_ARRAY) {
        return xstrdup("spec.acls must be a list");
    }
    out->any = private || json_array_n(acls);
    if (private) {
        char *error = add_isolation(obj, cidrs, n_cidrs, join, out);
        if (error) {
            return error;
        }
    }
    for (size_t i = 0; acls && i < json_array_n(acls); i++) {
        char *error = add_spec_acl(json_array(acls)->elems[i], i, out);
        if (error) {
            return error;
        }
    }
    return NULL;
}

void
subnet_acls_destroy(struct subnet_acls *acls)
{
    free(acls->specs);
    svec_destroy(&acls->strings);
    memset(acls, 0, sizeof *acls);
}
