/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-informer.h"
#include "nb/nb-network.h"
#include "ovn/ovn-names.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

static bool
cidrs_overlap(const struct ip_cidr *a, const struct ip_cidr *b)
{
    return a->family == b->family
           && (cidr_contains(a, b->family, b->network)
               || cidr_contains(b, a->family, a->network));
}

/* True if Subnet 'a' is already in use: this controller registered it, or
 * a controller said it was Ready (which survives restarts). */
static bool
established(const struct controller *c, const struct json *s)
{
    if (ipam_subnet_find(c->ipam, k8s_obj_name(s))) {
        return true;
    }
    const struct json *conds = json_get_path(s, "status.conditions");
    for (size_t i = 0; conds && conds->type == JSON_ARRAY
                       && i < conds->array.n; i++) {
        const char *type = json_get_string(conds->array.elems[i], "type");
        const char *st = json_get_string(conds->array.elems[i], "status");
        if (type && !strcmp(type, "Ready") && st && !strcmp(st, "True")) {
            return true;
        }
    }
    return false;
}

/* True if Subnet 'a' came before 'b': of two overlapping Subnets the one
 * in use keeps its CIDR and the other is refused, as Kube-OVN's webhook
 * refuses the second.  Creation times have a resolution of a second, so
 * they only decide between two Subnets equally (not) in use; then names,
 * so that every replica agrees. */
static bool
precedes(const struct controller *c, const struct json *a,
         const struct json *b)
{
    bool ea = established(c, a), eb = established(c, b);
    if (ea != eb) {
        return ea;
    }
    const char *ta = json_get_string(a, "metadata.creationTimestamp");
    const char *tb = json_get_string(b, "metadata.creationTimestamp");
    int cmp = strcmp(ta ? ta : "", tb ? tb : "");
    return cmp ? cmp < 0 : strcmp(k8s_obj_name(a), k8s_obj_name(b)) < 0;
}

static char *
check_overlaps(const struct controller *c, const struct json *obj,
               const struct network_spec *spec, const char *block)
{
    const struct ip_cidr *join = &c->join_cidr;
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (cidrs_overlap(&spec->cidrs[i], join)) {
            return xasprintf("cidrBlock %s overlaps the join network %s "
                             "(--join-cidr)", block, c->opts.join_cidr);
        }
    }

    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(c, IN_SUBNETS)) {
        const char *other = json_get_string(o->obj, "spec.cidrBlock");
        struct ip_cidr cidrs[2];
        size_t n;
        if (!strcmp(o->key, spec->name) || !other
            || !precedes(c, o->obj, obj)) {
            continue;
        }
        char *error = cidr_parse_block(other, cidrs, &n);
        if (error) {
            free(error);            /* That one is invalid itself. */
            continue;
        }
        for (size_t i = 0; i < spec->n_cidrs; i++) {
            for (size_t j = 0; j < n; j++) {
                if (cidrs_overlap(&spec->cidrs[i], &cidrs[j])) {
                    return xasprintf("cidrBlock %s overlaps Subnet %s (%s), "
                                     "which came first",
                                     block, o->key, other);
                }
            }
        }
    }
    return NULL;
}

/* Index in 'spec->cidrs' of the CIDR of 'family', or -1. */
static int
cidr_of_family(const struct network_spec *spec, int family)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (spec->cidrs[i].family == family) {
            return i;
        }
    }
    return -1;
}

/* spec.gateway: one address per family, comma separated; a family left
 * out gets the first address of its CIDR, as in Kube-OVN. */
static char *
parse_gateways(struct network_spec *spec, const char *gateway)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        spec->gateways[i].family = spec->cidrs[i].family;
        spec->gateways[i].n = spec->cidrs[i].network + 1;
    }
    if (!gateway || !*gateway) {
        return NULL;
    }

    char *copy = xstrdup(gateway), *save = NULL, *error = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !error;
         tok = strtok_r(NULL, ",", &save)) {
        struct ip_addr ip;
        char *e = cidr_parse_ip(tok, &ip);
        if (e) {
            error = xasprintf("invalid gateway %s: %s", gateway, e);
            free(e);
            break;
        }
        int i = cidr_of_family(spec, ip.family);
        if (i < 0 || !cidr_contains(&spec->cidrs[i], ip.family, ip.n)) {
            error = xasprintf("gateway %s is not inside cidrBlock", tok);
        } else {
            spec->gateways[i] = ip;
        }
    }
    free(copy);
    return error;
}

/* spec.excludeIps: a list of addresses and "LO..HI" ranges, each inside the
 * CIDR of its family. */
static char *
parse_excludes(const struct network_spec *spec, const struct json *list,
               struct svec *excludes)
{
    if (!list) {
        return NULL;
    }
    if (list->type != JSON_ARRAY) {
        return xstrdup("excludeIps must be a list of addresses and ranges");
    }
    for (size_t i = 0; i < list->array.n; i++) {
        const struct json *e = list->array.elems[i];
        if (e->type != JSON_STRING) {
            return xstrdup("excludeIps must be a list of strings");
        }
        struct ip_range r;
        char *error = cidr_parse_range(json_string(e), &r);
        if (error) {
            char *msg = xasprintf("invalid excludeIps entry %s: %s",
                                  json_string(e), error);
            free(error);
            return msg;
        }
        int k = cidr_of_family(spec, r.family);
        if (k < 0 || !cidr_contains(&spec->cidrs[k], r.family, r.lo)
            || !cidr_contains(&spec->cidrs[k], r.family, r.hi)) {
            return xasprintf("excludeIps entry %s is not inside cidrBlock",
                             json_string(e));
        }
        svec_add(excludes, json_string(e));
    }
    return NULL;
}

/* Fills 'spec' and 'excludes' from Subnet 'obj' and registers it in the
 * IPAM, or returns why it is invalid (changing nothing). */
char *
subnet_validate(const struct controller *c, const struct json *obj,
         struct network_spec *spec, struct svec *excludes)
{
    const char *block = json_get_string(obj, "spec.cidrBlock");
    const char *gateway = json_get_string(obj, "spec.gateway");
    char *error;

    if (!strcmp(spec->name, OVN_JOIN_SWITCH)) {
        return xasprintf("the name %s is reserved for the join network "
                         "(--join-cidr)", spec->name);
    }
    if (!block) {
        return xstrdup("spec.cidrBlock is missing");
    }
    error = cidr_parse_block(block, spec->cidrs, &spec->n_cidrs);
    if (error) {
        char *msg = xasprintf("invalid cidrBlock %s: %s", block, error);
        free(error);
        return msg;
    }
    error = parse_gateways(spec, gateway);
    if (!error) {
        error = parse_excludes(spec, json_get_path(obj, "spec.excludeIps"),
                               excludes);
    }
    if (!error) {
        error = check_overlaps(c, obj, spec, block);
    }
    if (!error) {
        error = network_check_foreign(c->nbi,
                                      c->opts.cluster_router,
                                      spec->name);
    }
    if (!error) {
        error = ipam_subnet_set(c->ipam, spec->name, block, gateway,
                                (const char *const *) excludes->names,
                                excludes->n);
    }
    return error;
}
