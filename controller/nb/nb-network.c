/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "nb/nb-network.h"

#include <string.h>
#include <sys/socket.h>

#include "nb/nb-index.h"
#include "nb/nb-router.h"
#include "nb/nb-switch.h"
#include "openvswitch/dynamic-string.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "packets.h"
#include "smap.h"
#include "svec.h"
#include "util.h"

/* A row is ours for network 'name' only with vendor=kovn and subnet=name:
 * a kovn row of another subnet with the same name is a conflict too. */
static bool
owned(const struct smap *ids, const char *name)
{
    return ovn_owner_matches(ids, OVN_OWNER_SUBNET, name);
}

char *
network_check_foreign(struct nb_index *x, const char *router,
                      const char *name)
{
    const struct nbrec_logical_switch *ls = nb_find_switch(x, name);
    if (ls && !owned(&ls->external_ids, name)) {
        return xasprintf("logical switch %s exists in OVN NB and is not "
                         "kovn's (no external_ids:vendor=kovn, "
                         "subnet=%s); kovn does not take it over",
                         name, name);
    }

    char *lrp_name = ovn_name_router_port(router, name);
    char *lsp_name = ovn_name_switch_port(name, router);
    const struct nbrec_logical_router_port *lrp = nb_find_lrp(x, lrp_name);
    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(x, lsp_name);
    char *error = NULL;
    if (lrp && !owned(&lrp->external_ids, name)) {
        error = xasprintf("logical router port %s exists in OVN NB and is "
                          "not kovn's", lrp_name);
    } else if (lsp && !owned(&lsp->external_ids, name)) {
        error = xasprintf("logical switch port %s exists in OVN NB and is "
                          "not kovn's", lsp_name);
    }
    free(lrp_name);
    free(lsp_name);
    return error;
}

/* Fills 'ids' with kovn's stamp for network 'name'. */
static void
owner_ids(struct smap *ids, const char *name)
{
    smap_init(ids);
    ovn_owner_init(ids, OVN_OWNER_SUBNET, name, NULL);
}

/* other_config as Kube-OVN writes it: ovn-northd reads 'subnet',
 * 'exclude_ips' (space separated, "A..B" ranges) and 'ipv6_prefix' for its
 * own dynamic addressing, which kovn does not use but other tools expect. */
static void
switch_other_config(const struct network_spec *spec, struct smap *oc)
{
    smap_init(oc);
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        const struct ip_cidr *c = &spec->cidrs[i];
        struct ds s = DS_EMPTY_INITIALIZER;
        if (c->family == AF_INET) {
            cidr_put(c, &s);
            smap_add(oc, "subnet", ds_cstr(&s));
        } else {
            cidr_ip_put(c->family, c->network, &s);
            smap_add(oc, "ipv6_prefix", ds_cstr(&s));
        }
        ds_destroy(&s);
    }

    struct ds ex = DS_EMPTY_INITIALIZER;
    const char *e;
    size_t i;
    SVEC_FOR_EACH (i, e, spec->excludes) {
        if (!strchr(e, ':')) {          /* OVN excludes IPv4 only. */
            ds_put_format(&ex, "%s%s", ex.length ? " " : "", e);
        }
    }
    if (ex.length) {
        smap_add(oc, "exclude_ips", ds_cstr(&ex));
    }
    ds_destroy(&ex);
}

bool
nb_switch_has_lb_group(const struct nbrec_logical_switch *ls,
                       const struct nbrec_load_balancer_group *group)
{
    for (size_t i = 0; i < ls->n_load_balancer_group; i++) {
        if (ls->load_balancer_group[i] == group) {
            return true;
        }
    }
    return false;
}

static const struct nbrec_logical_switch *
ensure_switch(struct ovn_txn *t, struct nb_index *x,
              const struct network_spec *spec)
{
    const struct nbrec_logical_switch *ls = nb_find_switch(x, spec->name);
    if (!ls) {
        ls = nbrec_logical_switch_insert(t->txn);
        nbrec_logical_switch_set_name(ls, spec->name);
    }

    struct smap ids, oc;
    owner_ids(&ids, spec->name);
    switch_other_config(spec, &oc);
    nbrec_logical_switch_set_external_ids(ls, &ids);
    nbrec_logical_switch_set_other_config(ls, &oc);
    for (size_t i = 0; i < spec->n_lb_groups; i++) {
        if (!nb_switch_has_lb_group(ls, spec->lb_groups[i])) {
            nbrec_logical_switch_update_load_balancer_group_addvalue(
                ls, spec->lb_groups[i]);
        }
    }
    smap_destroy(&ids);
    smap_destroy(&oc);
    return ls;
}

/* The router port's MAC: the one it has, so that a restart does not change
 * the gateway's MAC under the pods' neighbour caches; else a new random
 * locally administered one, as Kube-OVN does. */
static char *
router_port_mac(const struct nbrec_logical_router_port *lrp)
{
    struct eth_addr ea;
    if (lrp && eth_addr_from_string(lrp->mac, &ea)) {
        return xstrdup(lrp->mac);
    }
    eth_addr_random(&ea);
    return xasprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(ea));
}

static void
ensure_router_port(struct ovn_txn *t, struct nb_index *x,
                   const struct nbrec_logical_router *router,
                   const struct network_spec *spec)
{
    char *name = ovn_name_router_port(router->name, spec->name);
    const struct nbrec_logical_router_port *lrp = nb_find_lrp(x, name);
    bool is_new = !lrp;
    char *mac = router_port_mac(lrp);
    if (is_new) {
        lrp = nbrec_logical_router_port_insert(t->txn);
        nbrec_logical_router_port_set_name(lrp, name);
    }

    /* "10.16.0.1/16": the gateway with the subnet's prefix length. */
    char *networks[2];
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        char buf[CIDR_IP_STRLEN];
        networks[i] = xasprintf("%s/%u",
                                cidr_ip_format(spec->gateways[i].family,
                                               spec->gateways[i].n, buf),
                                spec->cidrs[i].plen);
    }

    struct smap ids;
    owner_ids(&ids, spec->name);
    nbrec_logical_router_port_set_mac(lrp, mac);
    nbrec_logical_router_port_set_networks(lrp, (const char **) networks,
                                           spec->n_cidrs);
    nbrec_logical_router_port_set_external_ids(lrp, &ids);
    if (is_new) {
        /* A mutation, not a rewrite of the whole column: concurrent adds of
         * other subnets' ports cannot overwrite each other. */
        nbrec_logical_router_update_ports_addvalue(router, lrp);
    }
    smap_destroy(&ids);
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        free(networks[i]);
    }
    free(mac);
    free(name);
}

static void
ensure_switch_port(struct ovn_txn *t, struct nb_index *x,
                   const struct nbrec_logical_switch *ls,
                   const char *router, const struct network_spec *spec)
{
    char *name = ovn_name_switch_port(spec->name, router);
    char *rp_name = ovn_name_router_port(router, spec->name);
    struct smap ids, options;
    owner_ids(&ids, spec->name);
    smap_init(&options);
    smap_add(&options, "router-port", rp_name);
    struct nb_lsp_spec port = {
        .name = name,
        .type = "router",
        .addresses = "router",
        .options = &options,
        .external_ids = &ids,
    };
    nb_lsp_ensure(t, x, ls, nb_find_lsp(x, name), &port);
    smap_destroy(&ids);
    smap_destroy(&options);
    free(rp_name);
    free(name);
}

/* Traffic to the network is routed as usual, before the policies that send
 * pods' outbound traffic to their node. */
static void
ensure_allow_policies(struct ovn_txn *t,
                      const struct nbrec_logical_router *router,
                      const struct network_spec *spec)
{
    nb_policies_allow_cidrs(t, router, OVN_OWNER_SUBNET, spec->name,
                            spec->cidrs, spec->n_cidrs);
}

const struct nbrec_logical_switch *
network_ensure(struct ovn_txn *t, struct nb_index *x,
               const struct nbrec_logical_router *router,
               const struct network_spec *spec)
{
    const struct nbrec_logical_switch *ls = ensure_switch(t, x, spec);
    ensure_router_port(t, x, router, spec);
    ensure_switch_port(t, x, ls, router->name, spec);
    ensure_allow_policies(t, router, spec);
    return ls;
}

bool
network_remove(struct ovn_txn *t, struct nb_index *x,
               const struct nbrec_logical_router *router, const char *name)
{
    bool changed = false;

    /* Router ports and switch ports are not root rows: dropping the
     * reference deletes them; delete() as well for clarity. */
    const char *router_name = router ? router->name : OVN_CLUSTER_ROUTER;
    char *lrp_name = ovn_name_router_port(router_name, name);
    const struct nbrec_logical_router_port *lrp = nb_find_lrp(x, lrp_name);
    if (lrp && owned(&lrp->external_ids, name)) {
        if (router) {
            nbrec_logical_router_update_ports_delvalue(router, lrp);
        }
        nbrec_logical_router_port_delete(lrp);
        changed = true;
    }
    free(lrp_name);

    changed |= nb_policies_ensure(t, router, OVN_OWNER_SUBNET, name, NULL,
                                  0);

    const struct nbrec_logical_switch *ls = nb_find_switch(x, name);
    if (ls && owned(&ls->external_ids, name)) {
        /* The switch's ports go with it.  Pods' ports will be gone before
         * (see the subnet-with-pods rule in subnet.c). */
        nbrec_logical_switch_delete(ls);
        changed = true;
    }
    return changed;
}
