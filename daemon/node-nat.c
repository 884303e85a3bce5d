/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "node-nat.h"

#include <stdlib.h>
#include <string.h>

#include "ipam/cidr.h"
#include "node-services.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovn/ovn-names.h"
#include "ovn/subnet-gw.h"
#include "util.h"
#include "sset.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(node_nat);

static const int families[] = { AF_INET, AF_INET6 };

static int
fam_index(int family)
{
    return family == AF_INET6;
}

/* Parses 'subnet''s gateway settings into 'gw'; if they are refused,
 * those of its last good version in 'last_good' (logged), if any.  Returns
 * false if there are none. */
static bool
parse_gateway(const struct json *subnet, struct shash *last_good,
              struct subnet_gw *gw)
{
    const char *name = k8s_obj_name(subnet);
    char *error = subnet_gw_parse(subnet, gw);
    if (!error) {
        json_destroy(shash_replace(last_good, name, json_clone(subnet)));
        return true;
    }
    const struct json *good = shash_find_data(last_good, name);
    char *e2 = good ? subnet_gw_parse(good, gw) : xstrdup("none");
    if (good && !e2) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
        VLOG_WARN_RL(&rl, "Subnet %s: gateway settings refused (%s): the "
                     "node keeps its last valid ones", name, error);
    }
    free(error);
    free(e2);
    return good != NULL;
}

void
nsvc_nat_add_subnet(struct nsvc_networks *nets, const struct json *subnet,
                    const struct ip_cidr *cidrs, size_t n, const char *node,
                    struct shash *last_good)
{
    struct subnet_gw gw;
    if (!parse_gateway(subnet, last_good, &gw) || !gw.nat_outgoing) {
        subnet_gw_destroy(&gw);
        return;
    }
    nets->nat = xrealloc(nets->nat, (nets->n_nat + 1) * sizeof *nets->nat);
    struct nsvc_nat_subnet *s = &nets->nat[nets->n_nat++];
    memset(s, 0, sizeof *s);
    s->name = xstrdup(k8s_obj_name(subnet));
    s->n_cidrs = MIN(n, ARRAY_SIZE(s->cidrs));
    memcpy(s->cidrs, cidrs, s->n_cidrs * sizeof *cidrs);
    s->gw = gw;
    const struct subnet_gw_node *me = subnet_gw_find_node(&gw, node);
    if (gw.type == SUBNET_GW_CENTRALIZED && me) {
        s->egress = me->egress;
    }
}

void
nsvc_nat_forget(struct shash *last_good, const struct sset *seen)
{
    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, last_good) {
        if (!seen || !sset_contains(seen, node->name)) {
            json_destroy(node->data);
            shash_delete(last_good, node);
        }
    }
}

void
nsvc_nat_subnets_destroy(struct nsvc_networks *nets)
{
    for (size_t i = 0; i < nets->n_nat; i++) {
        free(nets->nat[i].name);
        subnet_gw_destroy(&nets->nat[i].gw);
    }
    free(nets->nat);
    nets->nat = NULL;
    nets->n_nat = 0;
}

/* An element of an interval set as nft lists it: a /32 (/128) is its
 * address alone. */
static void
put_cidr_elem(struct ds *s, const struct ip_cidr *c)
{
    if (c->plen == cidr_family_bits(c->family)) {
        cidr_ip_put(c->family, c->network, s);
    } else {
        cidr_put(c, s);
    }
}

static void
add_cidr_elem(struct nsvc_frag *f, int map, const struct ip_cidr *c,
              const char *value)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    put_cidr_elem(&s, c);
    if (value) {
        ds_put_format(&s, " : %s", value);
    }
    sset_add_and_free(&f->elems[map], ds_steal_cstr(&s));
}

/* Whether 'c' overlaps one of the 'n' 'taken' (a Subnet the controller
 * refused for overlapping another: nft refuses overlapping intervals). */
static bool
overlaps(const struct ip_cidr *c, const struct ip_cidr *taken, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (taken[i].family == c->family
            && (cidr_contains(&taken[i], c->family, c->network)
                || cidr_contains(c, taken[i].family, taken[i].network))) {
            return true;
        }
    }
    return false;
}

/* "{ a, b/24 }" of the CIDRs of 'family' among the 'n' 'cidrs'; false if
 * there is none. */
static bool
put_cidr_set(struct ds *s, const struct ip_cidr *cidrs, size_t n, int family)
{
    struct ip_cidr *sorted = xmemdup(cidrs, n * sizeof *cidrs);
    nsvc_cidrs_normalize(sorted, &n);
    size_t k = 0;
    ds_put_cstr(s, "{ ");
    for (size_t i = 0; i < n; i++) {
        if (sorted[i].family == family) {
            ds_put_cstr(s, k++ ? ", " : "");
            put_cidr_elem(s, &sorted[i]);
        }
    }
    ds_put_cstr(s, " }");
    free(sorted);
    return k > 0;
}

/* Appends to 'c' rule 'r' for 'family', or for any family if 'family' is
 * 0 (a rule that names no address). */
static void
add_policy_rule(struct nsvc_chain *c, const struct subnet_nat_rule *r,
                int family)
{
    struct ds m = DS_EMPTY_INITIALIZER;
    if (family) {
        const char *l3 = nsvc_l3(family);
        if (r->n_src) {
            ds_put_format(&m, "%s saddr ", l3);
            if (!put_cidr_set(&m, r->src, r->n_src, family)) {
                goto out;       /* Names only the other family's. */
            }
            ds_put_char(&m, ' ');
        }
        if (r->n_dst) {
            ds_put_format(&m, "%s daddr ", l3);
            if (!put_cidr_set(&m, r->dst, r->n_dst, family)) {
                goto out;
            }
            ds_put_char(&m, ' ');
        }
    }
    nsvc_chain_rule(c, "%s%s", ds_cstr(&m),
                    r->forward ? "accept" : "goto nat_do");
out:
    ds_destroy(&m);
}

/* Chain natpol/<subnet> of 's''s policy rules, and @nat_rules' elements to
 * it.  'taken' holds the CIDRs mapped so far. */
static void
add_policy_chain(const struct nsvc_nat_subnet *s, struct ip_cidr **taken,
                 size_t *n_taken, struct nsvc_frag *f)
{
    char *name = xasprintf("natpol/%s", s->name);
    char *verdict = xasprintf("jump %s", name);
    bool any = false;
    for (size_t i = 0; i < s->n_cidrs; i++) {
        const struct ip_cidr *c = &s->cidrs[i];
        if (overlaps(c, *taken, *n_taken)) {
            continue;
        }
        *taken = xrealloc(*taken, (*n_taken + 1) * sizeof **taken);
        (*taken)[(*n_taken)++] = *c;
        add_cidr_elem(f, fam_index(c->family) ? NSVC_NAT_RULES6
                      : NSVC_NAT_RULES4, c, verdict);
        any = true;
    }
    if (any) {
        struct nsvc_chain *c = nsvc_chain_add(f, name, NULL);
        for (size_t i = 0; i < s->gw.n_rules; i++) {
            const struct subnet_nat_rule *r = &s->gw.rules[i];
            if (!r->n_src && !r->n_dst) {
                add_policy_rule(c, r, 0);
                continue;
            }
            for (size_t j = 0; j < ARRAY_SIZE(families); j++) {
                add_policy_rule(c, r, families[j]);
            }
        }
        nsvc_chain_seal(c, name);
    }
    free(verdict);
    free(name);
}

/* @nat_src's, @egress's and @nat_rules' elements and the policy chains. */
static void
add_subnets(const struct nsvc_networks *nets, struct nsvc_frag *f)
{
    struct ip_cidr *src = NULL, *taken = NULL;
    size_t n_src = 0, n_taken = 0;
    for (size_t i = 0; i < nets->n_nat; i++) {
        const struct nsvc_nat_subnet *s = &nets->nat[i];
        for (size_t j = 0; j < s->n_cidrs; j++) {
            src = xrealloc(src, (n_src + 1) * sizeof *src);
            src[n_src++] = s->cidrs[j];
            if (s->egress.family == s->cidrs[j].family) {
                char buf[CIDR_IP_STRLEN];
                add_cidr_elem(f, fam_index(s->egress.family)
                              ? NSVC_EGRESS6 : NSVC_EGRESS4, &s->cidrs[j],
                              cidr_ip_format(s->egress.family, s->egress.n,
                                             buf));
            }
        }
        if (s->gw.n_rules) {
            add_policy_chain(s, &taken, &n_taken, f);
        }
    }
    nsvc_cidrs_normalize(src, &n_src);
    for (size_t i = 0; i < n_src; i++) {
        add_cidr_elem(f, fam_index(src[i].family) ? NSVC_NAT_SRC6
                      : NSVC_NAT_SRC4, &src[i], NULL);
    }
    free(src);
    free(taken);
}

void
nsvc_nat_prerouting(struct nsvc_chain *pre)
{
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        const char *l3 = nsvc_l3(families[i]);
        nsvc_chain_rule(pre, "iifname != \"%s\" %s daddr @%s %s daddr != @%s "
                        "%s saddr != @%s meta mark set meta mark | 0x%08x",
                        OVN_NODE_IFACE, l3,
                        nsvc_map_name(i ? NSVC_NAT_SRC6 : NSVC_NAT_SRC4), l3,
                        nsvc_map_name(i ? NSVC_LOCAL_PODS6
                                      : NSVC_LOCAL_PODS4), l3,
                        nsvc_map_name(i ? NSVC_CLUSTER6 : NSVC_CLUSTER4),
                        NSVC_MASQ_MARK);
    }
}

void
nsvc_nat_frag(const struct nsvc_networks *nets, struct nsvc_chain *post,
              struct nsvc_frag *f)
{
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        const char *l3 = nsvc_l3(families[i]);
        nsvc_chain_rule(post, "oifname != \"%s\" %s saddr @%s %s daddr != "
                        "@%s jump nat_out", OVN_NODE_IFACE, l3,
                        nsvc_map_name(i ? NSVC_NAT_SRC6 : NSVC_NAT_SRC4), l3,
                        nsvc_map_name(i ? NSVC_CLUSTER6 : NSVC_CLUSTER4));
    }

    struct nsvc_chain *c = nsvc_chain_add(f, "nat_out", NULL);
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        nsvc_chain_rule(c, "%s saddr vmap @%s", nsvc_l3(families[i]),
                        nsvc_map_name(i ? NSVC_NAT_RULES6 : NSVC_NAT_RULES4));
    }
    nsvc_chain_rule(c, "goto nat_do");
    nsvc_chain_seal(c, "nat_out");

    c = nsvc_chain_add(f, "nat_do", NULL);
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        const char *l3 = nsvc_l3(families[i]);
        nsvc_chain_rule(c, "snat %s to %s saddr map @%s", l3, l3,
                        nsvc_map_name(i ? NSVC_EGRESS6 : NSVC_EGRESS4));
    }
    nsvc_chain_rule(c, "masquerade");
    nsvc_chain_seal(c, "nat_do");

    for (size_t i = 0; i < nets->n_cluster; i++) {
        const struct ip_cidr *cl = &nets->cluster[i];
        add_cidr_elem(f, fam_index(cl->family) ? NSVC_CLUSTER6
                      : NSVC_CLUSTER4, cl, NULL);
    }
    for (size_t i = 0; i < nets->n_local_pods; i++) {
        const struct ip_cidr *p = &nets->local_pods[i];
        add_cidr_elem(f, fam_index(p->family) ? NSVC_LOCAL_PODS6
                      : NSVC_LOCAL_PODS4, p, NULL);
    }
    add_subnets(nets, f);
}
