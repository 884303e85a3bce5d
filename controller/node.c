/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "node.h"

#include <string.h>

#include "controller.h"
#include "gw-liveness.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nb/nb-index.h"
#include "node-gateway.h"
#include "nb/nb-router.h"
#include "nb/nb-switch.h"
#include "objects.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-lsp-addresses.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "reconciler.h"
#include "smap.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(node);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

static struct k8s_informer *
nodes(const struct kind *k)
{
    return controller_cache(k->c, IN_NODES);
}

/* A Node's status carries images, conditions, capacity...: only addresses
 * are read here. */
void
node_transform(struct json *obj)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata",
                                       "status" };
    static const char *const status[] = { "addresses", "conditions" };
    json_object_keep(obj, top, ARRAY_SIZE(top));
    struct json *st = (struct json *) json_get_member(obj, "status");
    json_object_keep(st, status, ARRAY_SIZE(status));
    gw_node_conditions_transform(st);
}

static void
node_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, nodes(k)) {
        kind_enqueue(k, o->key, 0);
    }

    /* NB rows of Nodes deleted while no controller ran. */
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, k->c->nb->idl) {
        const char *name = ovn_owner_get(&lsp->external_ids, OVN_OWNER_NODE);
        if (name) {
            kind_enqueue(k, name, 0);
        }
    }
    const struct nbrec_logical_router_static_route *route;
    NBREC_LOGICAL_ROUTER_STATIC_ROUTE_FOR_EACH (route, k->c->nb->idl) {
        const char *name = ovn_owner_get(&route->external_ids,
                                         OVN_OWNER_NODE);
        if (name) {
            kind_enqueue(k, name, 0);
        }
    }
    const struct nbrec_logical_router_policy *policy;
    NBREC_LOGICAL_ROUTER_POLICY_FOR_EACH (policy, k->c->nb->idl) {
        const char *name = ovn_owner_get(&policy->external_ids,
                                         OVN_OWNER_NODE);
        if (name) {
            kind_enqueue(k, name, 0);
        }
    }
}

/* ---- rebuild ---- */

/* Registers the join network in the IPAM, its gateway being the address of
 * the join router port (first address of --join-cidr, see cluster.c). */
static bool
register_join(struct controller *c)
{
    const struct ip_cidr *j = &c->join_cidr;
    char gw[CIDR_IP_STRLEN];
    cidr_ip_format(j->family, j->network + 1, gw);
    char *error = ipam_subnet_set(c->ipam, OVN_JOIN_SWITCH, c->opts.join_cidr,
                                  gw, NULL, 0);
    if (error) {
        VLOG_ERR("join network %s: %s", c->opts.join_cidr, error);
        free(error);
        return false;
    }
    return true;
}

static void
add_record(struct svec *owners, struct svec *ips, struct svec *macs,
           const char *name, const char *ip, const char *mac)
{
    svec_add_nocopy(owners, ovn_owner_ipam(OVN_OWNER_NODE, name));
    svec_add(ips, ip);
    svec_add(macs, mac);
}

/* Rebuilds the node leases from kovn's node ports, then from the Nodes'
 * annotations; see node.h. */
static void
node_rebuild(struct kind *k)
{
    struct controller *c = k->c;
    if (!register_join(c)) {
        return;
    }
    struct svec owners = SVEC_EMPTY_INITIALIZER;
    struct svec ips = SVEC_EMPTY_INITIALIZER;
    struct svec macs = SVEC_EMPTY_INITIALIZER;

    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, c->nb->idl) {
        const char *name = ovn_owner_get(&lsp->external_ids, OVN_OWNER_NODE);
        struct ovn_lsp_addresses a;
        char *error = (name && lsp->n_addresses
                       ? ovn_lsp_addresses_parse(lsp->addresses[0], true,
                                                 &a)
                       : xstrdup("not a node port"));
        if (!error) {
            struct ds s = DS_EMPTY_INITIALIZER;
            ovn_lsp_addresses_put_ips(&a, &s);
            add_record(&owners, &ips, &macs, name, ds_cstr(&s), a.mac_s);
            ds_destroy(&s);
        }
        free(error);
    }

    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, nodes(k)) {
        const char *ip = k8s_obj_annotation(o->obj, OVN_ANN_IP_ADDRESS);
        const char *mac = k8s_obj_annotation(o->obj, OVN_ANN_MAC_ADDRESS);
        const char *ls = k8s_obj_annotation(o->obj, OVN_ANN_LOGICAL_SWITCH);
        if (ip && *ip && mac && *mac
            && (!ls || !strcmp(ls, OVN_JOIN_SWITCH))) {
            add_record(&owners, &ips, &macs, o->key, ip, mac);
        }
    }

    struct ipam_record *records = xcalloc(owners.n ? owners.n : 1,
                                          sizeof *records);
    for (size_t i = 0; i < owners.n; i++) {
        records[i] = (struct ipam_record) {
            .subnet = OVN_JOIN_SWITCH,
            .owner = owners.names[i],
            .ips = ips.names[i],
            .mac = macs.names[i],
        };
    }
    struct svec errors = SVEC_EMPTY_INITIALIZER;
    size_t n = ipam_restore(c->ipam, records, owners.n, &errors);
    for (size_t i = 0; i < errors.n; i++) {
        /* An annotation edited by someone, corrected by the reconcile. */
        VLOG_INFO("node lease not restored: %s", errors.names[i]);
    }
    VLOG_INFO("restored %"PRIuSIZE" node lease record(s) in %s",
              n, OVN_JOIN_SWITCH);
    svec_destroy(&errors);
    free(records);
    svec_destroy(&owners);
    svec_destroy(&ips);
    svec_destroy(&macs);
}

/* ---- reconcile ---- */

/* Adds to 't' the removal of deleted node 'name''s kovn rows and releases
 * its lease. */
static void
remove_node(struct kind *k, struct ovn_txn *t, const char *name)
{
    struct controller *c = k->c;
    char *owner = ovn_owner_ipam(OVN_OWNER_NODE, name);
    char *port = ovn_name_node_port(name);
    bool changed = ipam_release(c->ipam, owner);

    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(c->nbi, port);
    if (lsp && ovn_owner_matches(&lsp->external_ids, OVN_OWNER_NODE, name)) {
        nb_lsp_delete(c->nbi, lsp);
        changed = true;
    }
    changed |= nb_routes_ensure(t, c->router, OVN_OWNER_NODE, name, NULL,
                                NULL);
    changed |= node_gateway_ensure(c, t, name, NULL, NULL);
    if (changed) {
        VLOG_INFO("Node %s deleted: removing its port, route and lease",
                  name);
    }
    free(port);
    free(owner);
}

static void
ensure_port(struct kind *k, struct ovn_txn *t,
            const struct nbrec_logical_switch *join,
            const struct nbrec_logical_switch_port *have, const char *name,
            const struct ipam_lease *lease)
{
    char *port = ovn_name_node_port(name);
    char *addresses = ovn_lsp_addresses_format(lease->mac_string,
                                               lease->ip_string);
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NODE, name,
                   OVN_OWNER_SUBNET, OVN_JOIN_SWITCH, NULL);
    struct nb_lsp_spec spec = {
        .name = port,
        .addresses = addresses,
        /* No port_security, as in Kube-OVN: its egress check would drop
         * what pods send to the node's InternalIP (not the port's address)
         * through this port; the node's ovn0 is the host's own. */
        .port_security = false,
        .external_ids = &ids,
    };
    if (!have) {
        VLOG_INFO("Node %s: port %s with %s", name, port, lease->ip_string);
    }
    nb_lsp_ensure(t, k->c->nbi, join, have, &spec);
    smap_destroy(&ids);
    free(addresses);
    free(port);
}

/* The route from pods to node 'obj' through its join address. */
static void
ensure_route(struct kind *k, struct ovn_txn *t, const struct json *obj,
             const char *name, const struct ipam_lease *lease)
{
    int family = lease->ips[0].family;
    const char *node_ip = k8s_node_internal_ip(obj, family);
    char nexthop[CIDR_IP_STRLEN];
    cidr_ip_format(family, lease->ips[0].n, nexthop);
    char *prefix = NULL;
    if (node_ip) {
        prefix = xasprintf("%s/%d", node_ip, family == AF_INET ? 32 : 128);
    } else {
        VLOG_WARN_RL(&rl, "Node %s has no %s InternalIP: no route from "
                     "pods to it", name, cidr_family_name(family));
        controller_event(k->c, &k8s_nodes, obj, "Warning", "NoInternalIP",
                         "the node has no %s InternalIP in "
                         "status.addresses: pods cannot reach it",
                         cidr_family_name(family));
    }
    nb_routes_ensure(t, k->c->router, OVN_OWNER_NODE, name, prefix, nexthop);
    free(prefix);
}

static enum reconcile_result
node_reconcile(struct kind *k, const char *name, struct ovn_txn *t,
               struct kind_work *w OVS_UNUSED)
{
    struct controller *c = k->c;
    const struct json *obj = k8s_informer_get(nodes(k), name);
    if (!obj) {
        remove_node(k, t, name);
        return RECONCILE_PENDING;
    }

    /* The join switch must be kovn's (cluster.c reports it otherwise). */
    const struct nbrec_logical_switch *join = nb_find_switch(c->nbi,
                                                             OVN_JOIN_SWITCH);
    if (!join || !ovn_owner_matches(&join->external_ids, OVN_OWNER_SUBNET,
                                    OVN_JOIN_SWITCH)) {
        return RECONCILE_RETRY;
    }

    char *port = ovn_name_node_port(name);
    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(c->nbi, port);
    if (lsp && !ovn_owner_matches(&lsp->external_ids, OVN_OWNER_NODE,
                                  name)) {
        VLOG_WARN_RL(&rl, "Node %s: logical switch port %s exists in OVN NB "
                     "and is not kovn's; kovn does not take it over",
                     name, port);
        controller_event(c, &k8s_nodes, obj, "Warning", "PortConflict",
                         "logical switch port %s exists in OVN NB and is "
                         "not kovn's; kovn does not take it over", port);
        free(port);
        return RECONCILE_SETTLED;
    }
    free(port);

    char *owner = ovn_owner_ipam(OVN_OWNER_NODE, name);
    const struct ipam_lease *lease;
    char *error;
    enum ipam_error e = ipam_allocate(c->ipam, OVN_JOIN_SWITCH, owner, NULL,
                                      NULL, &lease, &error);
    free(owner);
    if (e) {
        VLOG_WARN_RL(&rl, "Node %s: no join address: %s", name, error);
        controller_event(c, &k8s_nodes, obj, "Warning", "AllocateFailed",
                         "no address in the join network %s: %s",
                         c->opts.join_cidr, error);
        free(error);
        return RECONCILE_RETRY;
    }

    ensure_port(k, t, join, lsp, name, lease);
    ensure_route(k, t, obj, name, lease);
    node_gateway_ensure(c, t, name, obj, lease);
    return RECONCILE_PENDING;
}

/* Writes the annotations of Node 'name' that differ from its lease, once NB
 * has its port. */
static void
node_committed(struct kind *k, const char *name, void *aux OVS_UNUSED,
               struct kind_work *w)
{
    const struct json *obj = k8s_informer_get(nodes(k), name);
    char *owner = ovn_owner_ipam(OVN_OWNER_NODE, name);
    const struct ipam_lease *lease = ipam_lookup_owner(k->c->ipam, owner);
    free(owner);
    if (!obj || !lease) {
        return;
    }

    char *port = ovn_name_node_port(name);
    struct json *anns = json_object_create();
    obj_want_annotation(anns, obj, OVN_ANN_IP_ADDRESS, lease->ip_string);
    obj_want_annotation(anns, obj, OVN_ANN_MAC_ADDRESS, lease->mac_string);
    obj_want_annotation(anns, obj, OVN_ANN_CIDR,
                        ipam_subnet_cidr_block(lease->subnet));
    obj_want_annotation(anns, obj, OVN_ANN_GATEWAY,
                        ipam_subnet_gateway(lease->subnet));
    obj_want_annotation(anns, obj, OVN_ANN_PORT_NAME, port);
    obj_want_annotation(anns, obj, OVN_ANN_LOGICAL_SWITCH, OVN_JOIN_SWITCH);
    obj_want_annotation(anns, obj, OVN_ANN_ALLOCATED, "true");
    free(port);

    struct json *patch = obj_annotations_patch(anns);
    if (patch) {
        kind_work_write(w, K8S_PATCH_MERGE,
                        k8s_resource_path(&k8s_nodes, NULL, name, NULL),
                        patch, false);
    }
}

const struct kind_class node_class = {
    .name = "node",
    .phase = PHASE_RUNNING,
    .batch = 128,
    .enqueue_all = node_enqueue_all,
    .reconcile = node_reconcile,
    .committed = node_committed,
    .rebuild = node_rebuild,
};
