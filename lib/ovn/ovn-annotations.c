/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "ovn/ovn-annotations.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "util/json-util.h"

bool
ovn_ann_is_allocated(const struct json *obj)
{
    const char *v = k8s_obj_annotation(obj, OVN_ANN_ALLOCATED);
    return v && !strcmp(v, "true");
}

static const char *
required(const struct json *obj, const char *key, char **errorp)
{
    const char *v = k8s_obj_annotation(obj, key);
    if (!v || !*v) {
        *errorp = xasprintf("annotation %s is missing", key);
    }
    return v;
}

/* Splits 'list' ("a" or "a,b") into at most 2 parsed addresses. */
static char *
parse_ip_list(const char *key, const char *list, struct ip_addr ips[2],
              size_t *n)
{
    char *copy = xstrdup(list), *save = NULL, *error = NULL;
    *n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !error;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n == 2) {
            error = xasprintf("annotation %s=\"%s\": more than two "
                              "addresses", key, list);
            break;
        }
        char *e = cidr_parse_ip(tok, &ips[(*n)++]);
        if (e) {
            error = xasprintf("annotation %s: %s", key, e);
            free(e);
        }
    }
    free(copy);
    return error;
}

/* Finds the entry of 'family' in 'ips' (n of them). */
static const struct ip_addr *
find_family(const struct ip_addr *ips, size_t n, int family)
{
    for (size_t i = 0; i < n; i++) {
        if (ips[i].family == family) {
            return &ips[i];
        }
    }
    return NULL;
}

static char *
pair_up(const struct ip_addr *ips, size_t n_ips, const struct ip_cidr *cidrs,
        size_t n_cidrs, const struct ip_addr *gws, size_t n_gws,
        struct ovn_ann_network *net)
{
    net->n_addrs = 0;
    for (size_t i = 0; i < n_ips; i++) {
        int family = ips[i].family;
        const struct ip_cidr *cidr = NULL;
        for (size_t j = 0; j < n_cidrs; j++) {
            if (cidrs[j].family == family) {
                cidr = &cidrs[j];
            }
        }
        const struct ip_addr *gw = find_family(gws, n_gws, family);
        if (!cidr || !gw) {
            return xasprintf("annotations %s and %s lack the %s network of "
                             "%s", OVN_ANN_CIDR, OVN_ANN_GATEWAY,
                             cidr_family_name(family), OVN_ANN_IP_ADDRESS);
        }
        if (!cidr_contains(cidr, family, ips[i].n)
            || !cidr_contains(cidr, family, gw->n)) {
            return xasprintf("annotation %s or %s is outside %s",
                             OVN_ANN_IP_ADDRESS, OVN_ANN_GATEWAY,
                             OVN_ANN_CIDR);
        }
        struct ovn_ann_addr *a = &net->addrs[net->n_addrs++];
        a->ip = ips[i];
        a->cidr = *cidr;
        a->gateway = *gw;
    }
    return NULL;
}

char *
ovn_ann_network_parse(const struct json *obj, struct ovn_ann_network *net)
{
    char *error = NULL;
    const char *ip_s = required(obj, OVN_ANN_IP_ADDRESS, &error);
    const char *mac_s = error ? NULL : required(obj, OVN_ANN_MAC_ADDRESS,
                                                &error);
    const char *cidr_s = error ? NULL : required(obj, OVN_ANN_CIDR, &error);
    const char *gw_s = error ? NULL : required(obj, OVN_ANN_GATEWAY, &error);
    if (error) {
        return error;
    }

    struct ip_addr ips[2], gws[2];
    struct ip_cidr cidrs[2];
    size_t n_ips, n_gws, n_cidrs;
    error = parse_ip_list(OVN_ANN_IP_ADDRESS, ip_s, ips, &n_ips);
    if (!error) {
        error = parse_ip_list(OVN_ANN_GATEWAY, gw_s, gws, &n_gws);
    }
    if (!error) {
        char *e = cidr_parse_block(cidr_s, cidrs, &n_cidrs);
        if (e) {
            error = xasprintf("annotation %s: %s", OVN_ANN_CIDR, e);
            free(e);
        }
    }
    if (!error) {
        char *e = cidr_parse_mac(mac_s, &net->mac);
        if (e) {
            error = xasprintf("annotation %s: %s", OVN_ANN_MAC_ADDRESS, e);
            free(e);
        }
    }
    return error ? error : pair_up(ips, n_ips, cidrs, n_cidrs, gws, n_gws,
                                   net);
}

char *
ovn_ann_rate_parse(const struct json *obj, const char *key,
                   unsigned int *mbps)
{
    const char *v = k8s_obj_annotation(obj, key);
    *mbps = 0;
    if (!v || !*v) {
        return NULL;
    }
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (*end || errno || n > 1000000 || v[0] == '-') {
        return xasprintf("annotation %s=\"%s\": want a whole number of "
                         "Mbit/s (0 to 1000000)", key, v);
    }
    *mbps = n;
    return NULL;
}
