/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet-defaults.h"

#include <stdlib.h>
#include <string.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "ovn/ovn-names.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

/* Absent, null or "": what Go's zero value is to Kube-OVN. */
static bool
missing(const struct json *spec, const char *name)
{
    const struct json *v = json_get_member(spec, name);
    return !v || v->type == JSON_NULL
           || (v->type == JSON_STRING && !*json_string(v));
}

/* The value of string member 'name' of 'spec' if it is set, else 'dflt'
 * (NULL if it is set to something other than a string). */
static const char *
string_or(const struct json *spec, const char *name, const char *dflt)
{
    return missing(spec, name) ? dflt : json_get_string(spec, name);
}

/* The first and last address of 'cidr' that kovn's IPAM may hand out or
 * take as gateway: all but the network and, for IPv4, broadcast address,
 * where a prefix is large enough to have them (as lib/ipam/ipam.c). */
static void
usable_span(const struct ip_cidr *cidr, ipnum *first, ipnum *last)
{
    *first = cidr->network;
    *last = cidr_last(cidr);
    if (cidr_family_bits(cidr->family) - cidr->plen >= 2) {
        *first += 1;
        if (cidr->family == AF_INET) {
            *last -= 1;
        }
    }
}

/* The gateway in effect for each CIDR of a cidrBlock. */
struct gateways {
    struct svec texts;          /* names[i] lies in cidrs[i]: the user's
                                 * text, or the formatted default. */
    bool added;                 /* Was a default put in for some family? */
};

/* Fills 'gw' from 'spec''s gateway: the user's address for each family
 * written, the default for the others.  Returns false if the user's
 * gateway is not valid for 'cidrs', with 'gw' to be destroyed anyway. */
static bool
gateways_init(struct gateways *gw, const struct json *spec,
              const struct ip_cidr cidrs[], size_t n)
{
    const char *given[2] = { NULL, NULL };
    char *copy = NULL;
    bool ok = true;

    svec_init(&gw->texts);
    gw->added = false;
    if (!missing(spec, "gateway")) {
        const char *s = json_get_string(spec, "gateway");
        if (!s) {
            return false;
        }
        /* Split by hand: strtok_r() would skip the empty token of
         * "10.0.0.1,", which is not a valid gateway. */
        copy = xstrdup(s);
        for (char *tok = copy, *comma; ok && tok; tok = comma) {
            comma = strchr(tok, ',');
            if (comma) {
                *comma++ = '\0';
            }
            struct ip_addr ip;
            char *error = cidr_parse_ip(tok, &ip);
            if (error) {
                free(error);
                ok = false;
                break;
            }
            ok = false;
            for (size_t i = 0; i < n; i++) {
                ipnum first, last;
                usable_span(&cidrs[i], &first, &last);
                if (cidrs[i].family == ip.family && !given[i]
                    && ip.n >= first && ip.n <= last) {
                    given[i] = tok;
                    ok = true;
                }
            }
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        if (given[i]) {
            svec_add(&gw->texts, given[i]);
        } else {
            ipnum first, last;
            char buf[CIDR_IP_STRLEN];
            usable_span(&cidrs[i], &first, &last);
            svec_add(&gw->texts, cidr_ip_format(cidrs[i].family, first, buf));
            gw->added = true;
        }
    }
    free(copy);
    return ok;
}

/* excludeIps: the gateways if the list is missing or empty; else the
 * user's list with every gateway that no entry covers appended.  NULL if
 * nothing is to change or an entry does not parse. */
static struct json *
excludes_fill(const struct json *spec, const struct gateways *gw)
{
    const struct json *list = json_get_member(spec, "excludeIps");
    struct svec sorted;
    svec_clone(&sorted, &gw->texts);
    svec_sort(&sorted);                 /* Kube-OVN's sort.Strings(). */

    struct json *result = NULL;
    if (!list || list->type == JSON_NULL
        || (list->type == JSON_ARRAY && !list->array.n)) {
        result = json_array_create_empty();
        for (size_t i = 0; i < sorted.n; i++) {
            json_array_add(result, json_string_create(sorted.names[i]));
        }
    } else if (list->type == JSON_ARRAY) {
        size_t n = list->array.n;
        struct ip_range *ranges = xmalloc(n * sizeof *ranges);
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++) {
            const struct json *e = list->array.elems[i];
            char *error = (e->type == JSON_STRING
                           ? cidr_parse_range(json_string(e), &ranges[i])
                           : xstrdup("not a string"));
            ok = !error;
            free(error);
        }
        for (size_t k = 0; ok && k < sorted.n; k++) {
            struct ip_addr ip;
            char *error = cidr_parse_ip(sorted.names[k], &ip);
            ovs_assert(!error);         /* gateways_init() parsed it. */
            bool covered = false;
            for (size_t i = 0; !covered && i < n; i++) {
                covered = (ranges[i].family == ip.family
                           && ranges[i].lo <= ip.n && ip.n <= ranges[i].hi);
            }
            if (!covered) {
                if (!result) {
                    /* Deep: json_clone() would share the cache's array. */
                    result = json_deep_clone(list);
                }
                json_array_add(result, json_string_create(sorted.names[k]));
            }
        }
        free(ranges);
    }
    svec_destroy(&sorted);
    return result;
}

/* Kube-OVN's util.IsOvnProvider(): "ovn", or "<nad>.<namespace>.ovn" for
 * an attachment network that OVN also serves. */
static bool
is_ovn_provider(const char *p)
{
    if (!strcmp(p, "ovn")) {
        return true;
    }
    const char *dot1 = strchr(p, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    return dot2 && !strcmp(dot2 + 1, "ovn");
}

struct json *
subnet_defaults_patch(const struct json *obj, const char *vpc)
{
    const char *rv = k8s_obj_resource_version(obj);
    const struct json *spec = json_get_member(obj, "spec");
    const char *block = json_get_string(spec, "cidrBlock");
    struct ip_cidr cidrs[2];
    size_t n;

    if (!rv || !block) {
        return NULL;
    }
    char *error = cidr_parse_block(block, cidrs, &n);
    if (error) {
        free(error);
        return NULL;
    }

    struct json *fill = json_object_create();

    struct gateways gw;
    if (gateways_init(&gw, spec, cidrs, n)) {
        if (gw.added) {
            struct ds s = DS_EMPTY_INITIALIZER;
            for (size_t i = 0; i < gw.texts.n; i++) {
                ds_put_format(&s, "%s%s", i ? "," : "", gw.texts.names[i]);
            }
            json_object_put(fill, "gateway",
                            json_string_create_nocopy(ds_steal_cstr(&s)));
        }
        struct json *ex = excludes_fill(spec, &gw);
        if (ex) {
            json_object_put(fill, "excludeIps", ex);
        }
    }
    svec_destroy(&gw.texts);

    if (missing(spec, "protocol")) {
        json_object_put_string(fill, "protocol",
                               n == 2 ? "Dual"
                               : cidrs[0].family == AF_INET ? "IPv4"
                               : "IPv6");
    }

    const char *provider = string_or(spec, "provider", "ovn");
    if (missing(spec, "provider")) {
        json_object_put_string(fill, "provider", provider);
    }

    /* Kube-OVN gives a VPC only to Subnets that OVN serves; a Subnet of
     * another provider (macvlan…) stays without one. */
    const char *subnet_vpc = string_or(spec, "vpc", NULL);
    if (missing(spec, "vpc") && provider && is_ovn_provider(provider)) {
        json_object_put_string(fill, "vpc", vpc);
        subnet_vpc = vpc;
    }

    /* gatewayType means something in the default VPC only; "join" is the
     * node network, whose gateway is each node itself. */
    const char *name = k8s_obj_name(obj);
    if (missing(spec, "gatewayType") && subnet_vpc
        && !strcmp(subnet_vpc, vpc)
        && !(name && !strcmp(name, OVN_JOIN_SWITCH))) {
        json_object_put_string(fill, "gatewayType", "distributed");
    }

    if (shash_is_empty(json_object(fill))) {
        json_destroy(fill);
        return NULL;
    }
    struct json *patch = json_object_create();
    json_object_put(patch, "spec", fill);
    json_put_path(patch, "metadata.resourceVersion", json_string_create(rv));
    return patch;
}
