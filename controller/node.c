/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "node.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-event.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "nb-network.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "sset.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(node);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* Keys per NB transaction, as for subnets. */
#define NODE_BATCH 128

#define ANN_IP_ADDRESS     "ovn.kubernetes.io/ip_address"
#define ANN_MAC_ADDRESS    "ovn.kubernetes.io/mac_address"
#define ANN_CIDR           "ovn.kubernetes.io/cidr"
#define ANN_GATEWAY        "ovn.kubernetes.io/gateway"
#define ANN_PORT_NAME      "ovn.kubernetes.io/port_name"
#define ANN_ALLOCATED      "ovn.kubernetes.io/allocated"
#define ANN_LOGICAL_SWITCH "ovn.kubernetes.io/logical_switch"

struct node_ctl {
    struct controller *c;
    struct k8s_workqueue *queue;
    bool restored;              /* Join subnet registered, leases rebuilt. */
    struct sset pending;        /* Keys whose writes are in flight. */
};

struct node_ctl *
node_create(struct controller *c)
{
    struct node_ctl *nc = xzalloc(sizeof *nc);
    nc->c = c;
    nc->queue = k8s_workqueue_create("node", 0, 0);
    sset_init(&nc->pending);
    return nc;
}

void
node_destroy(struct node_ctl *nc)
{
    if (nc) {
        sset_destroy(&nc->pending);
        k8s_workqueue_destroy(nc->queue);
        free(nc);
    }
}

static char *
node_owner(const char *name)
{
    return xasprintf("node/%s", name);
}

/* ---- informer ---- */

/* A Node's status carries images, conditions, capacity...: only addresses
 * are read here. */
static void
transform(struct json *obj)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata",
                                       "status" };
    static const char *const status[] = { "addresses" };
    json_object_keep(obj, top, ARRAY_SIZE(top));
    struct json *st = (struct json *) json_get_member(obj, "status");
    json_object_keep(st, status, ARRAY_SIZE(status));
}

const struct k8s_informer_options node_informer_options = {
    .namespace = NULL,
    .transform = transform,
};

static void
on_add(const struct json *obj, void *nc_)
{
    struct node_ctl *nc = nc_;
    k8s_workqueue_add(nc->queue, k8s_obj_name(obj));
}

static bool
member_equal(const struct json *a, const struct json *b, const char *path)
{
    const struct json *x = json_get_path(a, path);
    const struct json *y = json_get_path(b, path);
    return x == y || (x && y && json_equal(x, y));
}

static void
on_update(const struct json *old, const struct json *new, void *nc_)
{
    /* Kubelets update their Node often; only what the reconciler reads
     * (our annotations, the addresses) queues it. */
    if (!member_equal(old, new, "metadata.annotations")
        || !member_equal(old, new, "status.addresses")) {
        on_add(new, nc_);
    }
}

const struct k8s_informer_handlers node_informer_handlers = {
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_add,        /* The reconciler sees it gone. */
};

void
node_enqueue_all(struct node_ctl *nc)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, nc->c->nodes) {
        k8s_workqueue_add(nc->queue, o->key);
    }

    /* NB rows of Nodes deleted while no controller ran. */
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, nc->c->nb->idl) {
        const char *name = ovn_owner_get(&lsp->external_ids,
                                         OVN_OWNER_NODE);
        if (name) {
            k8s_workqueue_add(nc->queue, name);
        }
    }
    const struct nbrec_logical_router_static_route *route;
    NBREC_LOGICAL_ROUTER_STATIC_ROUTE_FOR_EACH (route, nc->c->nb->idl) {
        const char *name = ovn_owner_get(&route->external_ids,
                                         OVN_OWNER_NODE);
        if (name) {
            k8s_workqueue_add(nc->queue, name);
        }
    }
}

/* ---- rebuild ---- */

/* The kovn-owned switch port of node 'name', or NULL. */
static const struct nbrec_logical_switch_port *
find_node_port(struct nb_index *nbi, const char *port_name)
{
    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(nbi,
                                                              port_name);
    return lsp && ovn_owner_get(&lsp->external_ids, OVN_OWNER_NODE)
           ? lsp : NULL;
}

/* Registers the join network in the IPAM, its gateway being the address of
 * the join router port (first address of --join-cidr, see cluster.c). */
static bool
register_join(struct node_ctl *nc)
{
    const struct ip_cidr *j = &nc->c->join_cidr;
    char gw[CIDR_IP_STRLEN];
    cidr_ip_format(j->family, j->network + 1, gw);
    char *error = ipam_subnet_set(nc->c->ipam, OVN_JOIN_SWITCH,
                                  nc->c->opts.join_cidr, gw, NULL, 0);
    if (error) {
        VLOG_ERR_RL(&rl, "join network %s: %s", nc->c->opts.join_cidr,
                    error);
        free(error);
        return false;
    }
    return true;
}

/* Rebuilds the node leases from kovn's node ports, then from the Nodes'
 * annotations; see node.h. */
static void
restore(struct node_ctl *nc)
{
    struct svec owners = SVEC_EMPTY_INITIALIZER;
    struct svec ips = SVEC_EMPTY_INITIALIZER;
    struct svec macs = SVEC_EMPTY_INITIALIZER;

    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, nc->c->nb->idl) {
        const char *name = ovn_owner_get(&lsp->external_ids,
                                         OVN_OWNER_NODE);
        if (!name || lsp->n_addresses < 1) {
            continue;
        }
        /* "MAC IP [IP]". */
        char *copy = xstrdup(lsp->addresses[0]), *save = NULL;
        char *mac = strtok_r(copy, " ", &save);
        struct ds ip = DS_EMPTY_INITIALIZER;
        for (char *tok = strtok_r(NULL, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
            ds_put_format(&ip, "%s%s", ip.length ? "," : "", tok);
        }
        if (mac && ip.length) {
            svec_add_nocopy(&owners, node_owner(name));
            svec_add(&macs, mac);
            svec_add_nocopy(&ips, ds_steal_cstr(&ip));
        }
        ds_destroy(&ip);
        free(copy);
    }

    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, nc->c->nodes) {
        const char *ip = k8s_obj_annotation(o->obj, ANN_IP_ADDRESS);
        const char *mac = k8s_obj_annotation(o->obj, ANN_MAC_ADDRESS);
        const char *ls = k8s_obj_annotation(o->obj, ANN_LOGICAL_SWITCH);
        if (ip && *ip && mac && *mac
            && (!ls || !strcmp(ls, OVN_JOIN_SWITCH))) {
            svec_add_nocopy(&owners, node_owner(o->key));
            svec_add(&macs, mac);
            svec_add(&ips, ip);
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
    size_t n = ipam_restore(nc->c->ipam, records, owners.n, &errors);
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

/* Makes the node's routes on 'router' be exactly one route 'prefix' via
 * 'nexthop', or none if 'prefix' is NULL. */
static bool
ensure_routes(struct ovn_txn *t, const struct nbrec_logical_router *router,
              const char *name, const char *prefix, const char *nexthop)
{
    const struct nbrec_logical_router_static_route *keep = NULL;
    bool changed = false;

    if (!router) {
        return false;
    }
    for (size_t i = 0; i < router->n_static_routes; i++) {
        const struct nbrec_logical_router_static_route *r
            = router->static_routes[i];
        if (!ovn_owner_matches(&r->external_ids, OVN_OWNER_NODE, name)) {
            continue;
        }
        if (prefix && !keep) {
            keep = r;
            nbrec_logical_router_static_route_set_ip_prefix(r, prefix);
            nbrec_logical_router_static_route_set_nexthop(r, nexthop);
        } else {
            nbrec_logical_router_update_static_routes_delvalue(router, r);
            nbrec_logical_router_static_route_delete(r);
            changed = true;
        }
    }
    if (prefix && !keep) {
        struct smap ids = SMAP_INITIALIZER(&ids);
        ovn_owner_init(&ids, OVN_OWNER_NODE, name, NULL);
        const struct nbrec_logical_router_static_route *r
            = nbrec_logical_router_static_route_insert(t->txn);
        nbrec_logical_router_static_route_set_ip_prefix(r, prefix);
        nbrec_logical_router_static_route_set_nexthop(r, nexthop);
        nbrec_logical_router_static_route_set_external_ids(r, &ids);
        nbrec_logical_router_update_static_routes_addvalue(router, r);
        smap_destroy(&ids);
        changed = true;
    }
    return changed;
}

/* Adds to 't' the removal of deleted node 'name''s kovn rows and releases
 * its lease. */
static void
remove_node(struct node_ctl *nc, struct ovn_txn *t,
            const struct nbrec_logical_router *router, const char *name)
{
    char *owner = node_owner(name);
    char *port = ovn_name_node_port(name);
    bool changed = ipam_release(nc->c->ipam, owner);

    const struct nbrec_logical_switch_port *lsp
        = find_node_port(nc->c->nbi, port);
    if (lsp && ovn_owner_matches(&lsp->external_ids, OVN_OWNER_NODE, name)) {
        const struct nbrec_logical_switch *ls;
        NBREC_LOGICAL_SWITCH_FOR_EACH (ls, t->oi->idl) {
            for (size_t i = 0; i < ls->n_ports; i++) {
                if (ls->ports[i] == lsp) {
                    nbrec_logical_switch_update_ports_delvalue(ls, lsp);
                    break;
                }
            }
        }
        nbrec_logical_switch_port_delete(lsp);
        changed = true;
    }
    changed |= ensure_routes(t, router, name, NULL, NULL);
    if (changed) {
        VLOG_INFO("Node %s deleted: removing its port, route and lease",
                  name);
    }
    free(port);
    free(owner);
}

/* Adds to 't' what makes NB match Node 'name'.  Returns true if the key
 * waits for 't', false if it is settled already (or was put back). */
static bool
reconcile(struct node_ctl *nc, struct ovn_txn *t,
          const struct nbrec_logical_router *router, const char *name)
{
    struct controller *c = nc->c;
    const struct json *obj = k8s_informer_get(c->nodes, name);
    if (!obj) {
        remove_node(nc, t, router, name);
        sset_add(&nc->pending, name);
        return true;
    }

    /* The join switch must be kovn's (cluster.c reports it otherwise). */
    const struct nbrec_logical_switch *join = nb_find_switch(c->nbi,
                                                             OVN_JOIN_SWITCH);
    if (!join || !ovn_owner_matches(&join->external_ids, OVN_OWNER_SUBNET,
                                    OVN_JOIN_SWITCH)) {
        k8s_workqueue_add_rate_limited(nc->queue, name);
        return false;
    }

    char *port = ovn_name_node_port(name);
    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(c->nbi, port);
    if (lsp && !ovn_owner_matches(&lsp->external_ids, OVN_OWNER_NODE,
                                  name)) {
        char *msg = xasprintf("logical switch port %s exists in OVN NB and "
                              "is not kovn's; kovn does not take it over",
                              port);
        VLOG_WARN_RL(&rl, "Node %s: %s", name, msg);
        k8s_event_record(c->events, &k8s_nodes, obj, "Warning",
                         "PortConflict", "%s", msg);
        free(msg);
        free(port);
        return false;
    }

    char *owner = node_owner(name);
    const struct ipam_lease *lease;
    char *error = ipam_allocate(c->ipam, OVN_JOIN_SWITCH, owner, NULL, NULL,
                                &lease);
    free(owner);
    if (error) {
        VLOG_WARN_RL(&rl, "Node %s: no join address: %s", name, error);
        k8s_event_record(c->events, &k8s_nodes, obj, "Warning",
                         "AllocateFailed", "no address in the join network "
                         "%s: %s", c->opts.join_cidr, error);
        free(error);
        free(port);
        k8s_workqueue_add_rate_limited(nc->queue, name);
        return false;
    }

    /* The port. */
    if (!lsp) {
        lsp = nbrec_logical_switch_port_insert(t->txn);
        nbrec_logical_switch_port_set_name(lsp, port);
        nbrec_logical_switch_update_ports_addvalue(join, lsp);
        VLOG_INFO("Node %s: port %s with %s", name, port, lease->ip_string);
    }
    struct ds addr = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&addr, lease->mac_string);
    for (size_t i = 0; i < lease->n_ips; i++) {
        char buf[CIDR_IP_STRLEN];
        ds_put_format(&addr, " %s", cidr_ip_format(lease->ips[i].family,
                                                   lease->ips[i].n, buf));
    }
    const char *addresses[] = { ds_cstr(&addr) };
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NODE, name, NULL);
    nbrec_logical_switch_port_set_addresses(lsp, addresses, 1);
    /* No port_security, as in Kube-OVN: its egress check would drop what
     * pods send to the node's InternalIP (not the port's address) through
     * this port; the node's ovn0 is the host's own. */
    nbrec_logical_switch_port_set_port_security(lsp, NULL, 0);
    nbrec_logical_switch_port_set_external_ids(lsp, &ids);
    smap_destroy(&ids);
    ds_destroy(&addr);
    free(port);

    /* The route from pods to the node. */
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
        k8s_event_record(c->events, &k8s_nodes, obj, "Warning",
                         "NoInternalIP", "the node has no %s InternalIP "
                         "in status.addresses: pods cannot reach it",
                         cidr_family_name(family));
    }
    ensure_routes(t, router, name, prefix, nexthop);
    free(prefix);

    sset_add(&nc->pending, name);
    return true;
}

void
node_run(struct node_ctl *nc, struct ovn_txn *t,
         const struct nbrec_logical_router *router)
{
    if (!k8s_informer_has_synced(nc->c->nodes)) {
        return;
    }
    if (!nc->restored) {
        if (!register_join(nc)) {
            return;
        }
        restore(nc);
        nc->restored = true;
        node_enqueue_all(nc);
    }
    for (int i = 0; i < NODE_BATCH; i++) {
        const char *key = k8s_workqueue_get(nc->queue);
        if (!key) {
            break;
        }
        if (!reconcile(nc, t, router, key)) {
            k8s_workqueue_done(nc->queue, key);
        }
    }
}

void
node_wait(struct node_ctl *nc)
{
    k8s_workqueue_wait(nc->queue);
}

/* Adds 'key' = 'value' to 'anns' if Node 'obj' says otherwise. */
static void
want(struct json *anns, const struct json *obj, const char *key,
     const char *value)
{
    const char *have = k8s_obj_annotation(obj, key);
    if (!have || strcmp(have, value)) {
        json_object_put_string(anns, key, value);
    }
}

/* Writes the annotations of Node 'name' that differ from its lease. */
static void
write_annotations(struct node_ctl *nc, const char *name)
{
    struct controller *c = nc->c;
    const struct json *obj = k8s_informer_get(c->nodes, name);
    char *owner = node_owner(name);
    const struct ipam_lease *lease = ipam_lookup_owner(c->ipam, owner);
    free(owner);
    if (!obj || !lease) {
        return;
    }

    char *port = ovn_name_node_port(name);
    struct json *anns = json_object_create();
    want(anns, obj, ANN_IP_ADDRESS, lease->ip_string);
    want(anns, obj, ANN_MAC_ADDRESS, lease->mac_string);
    want(anns, obj, ANN_CIDR, ipam_subnet_cidr_block(lease->subnet));
    want(anns, obj, ANN_GATEWAY, ipam_subnet_gateway(lease->subnet));
    want(anns, obj, ANN_PORT_NAME, port);
    want(anns, obj, ANN_LOGICAL_SWITCH, OVN_JOIN_SWITCH);
    want(anns, obj, ANN_ALLOCATED, "true");
    free(port);

    if (shash_is_empty(json_object(anns))) {
        json_destroy(anns);
        return;
    }
    struct json *patch = json_object_create();
    json_put_path(patch, "metadata.annotations", anns);
    char *path = k8s_resource_path(&k8s_nodes, NULL, name, NULL);
    api_write(c, K8S_PATCH_MERGE, path, patch, nc->queue, name);
    free(path);
    json_destroy(patch);
}

void
node_txn_done(struct node_ctl *nc, enum ovsdb_idl_txn_status status)
{
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;
    if (!ok && !sset_is_empty(&nc->pending)) {
        VLOG_INFO("NB transaction for %"PRIuSIZE" node(s) ended with %s: "
                  "trying again", sset_count(&nc->pending),
                  ovsdb_idl_txn_status_to_string(status));
    }

    const char *name;
    SSET_FOR_EACH (name, &nc->pending) {
        k8s_workqueue_done(nc->queue, name);
        if (ok) {
            write_annotations(nc, name);
            k8s_workqueue_forget(nc->queue, name);
        } else {
            k8s_workqueue_add_rate_limited(nc->queue, name);
        }
    }
    sset_clear(&nc->pending);
}
