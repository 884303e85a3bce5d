/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "node-setup.h"
#include "subnets.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "k8s/k8s-informer.h"
#include "net/addr.h"
#include "net/ethtool.h"
#include "net/link.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "ovs-ports.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(node_setup);

/* ovn0's kernel state is checked again this often, in case someone took
 * its address or a route away. */
#define RECHECK_MS (60 * 1000)

struct node_setup {
    struct daemon *d;
    bool have_net;                  /* 'net' holds the Node's annotations. */
    struct ovn_ann_network net;     /* The join address, MAC, gateway. */
    char *applied;                  /* What ovn0 was last configured as. */
    long long int next_check;       /* Look at the inputs again. */
    long long int next_full;        /* Apply even if they did not change. */
    bool done;
};

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

struct node_setup *
node_setup_create(struct daemon *d)
{
    struct node_setup *ns = xzalloc(sizeof *ns);
    ns->d = d;
    return ns;
}

void
node_setup_destroy(struct node_setup *ns)
{
    if (ns) {
        free(ns->applied);
        free(ns);
    }
}

void
node_setup_changed(struct node_setup *ns)
{
    ns->next_check = 0;
    poll_immediate_wake();
}

bool
node_setup_done(const struct node_setup *ns)
{
    return ns->done;
}

static const struct json *
node_object(const struct node_setup *ns)
{
    return k8s_informer_get(ns->d->node, ns->d->opts.node_name);
}

/* The Geneve endpoint: --encap-ip or the interface's, else the Node's
 * InternalIP. */
static const char *
encap_ip(const struct node_setup *ns)
{
    if (ns->d->encap_ip) {
        return ns->d->encap_ip;
    }
    const struct json *node = node_object(ns);
    return node ? k8s_node_internal_ip(node, AF_INET) : NULL;
}

/* ---- Open_vSwitch ---- */

static void
set_ovs_id(const struct ovsrec_open_vswitch *root, const char *key,
           const char *value)
{
    if (value && strcmp(smap_get_def(&root->external_ids, key, ""), value)) {
        VLOG_INFO("Open_vSwitch external_ids:%s=%s", key, value);
        ovsrec_open_vswitch_update_external_ids_setkey(root, key, value);
    }
}

static void
write_ovs_ids(struct node_setup *ns, const struct ovsrec_open_vswitch *root)
{
    const struct daemon *d = ns->d;
    /* ovn-controller names its Chassis after system-id: keep one that an
     * operator or an earlier install set. */
    if (!smap_get(&root->external_ids, "system-id")) {
        set_ovs_id(root, "system-id", d->opts.node_name);
    }
    set_ovs_id(root, "hostname", d->opts.node_name);
    set_ovs_id(root, "ovn-remote", d->opts.ovn_sb_remote);
    set_ovs_id(root, "ovn-encap-type", "geneve");
    set_ovs_id(root, "ovn-encap-ip", encap_ip(ns));
    set_ovs_id(root, "ovn-bridge-datapath-type", d->datapath_type);
    set_ovs_id(root, "ovn-bridge", d->opts.bridge);
    /* Every chassis needs nearly all of the SB anyway (each switch hangs
     * off the distributed cluster router), and conditional monitoring
     * makes every new port a condition change for ovn-controller and the
     * SB server: with it off, a port's ovn-installed comes ~2x sooner at
     * 200 ports (bench/RESULTS.md).  OVN-Kubernetes sets it too.  An
     * operator's own value is kept. */
    if (!smap_get(&root->external_ids, "ovn-monitor-all")) {
        set_ovs_id(root, "ovn-monitor-all", "true");
    }
}

static struct ovsrec_interface *
insert_internal_port(struct ovsdb_idl_txn *txn, const char *name,
                     struct ovsrec_port **portp)
{
    struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, "internal");
    struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, &iface, 1);
    *portp = port;
    return iface;
}

static void
write_bridge(struct node_setup *ns, struct ovn_txn *t,
             const struct ovsrec_open_vswitch *root)
{
    const char *name = ns->d->opts.bridge;
    const struct ovsrec_bridge *br = ovs_find_bridge(ns->d->ovs, name);
    if (br) {
        if (strcmp(br->datapath_type, ns->d->datapath_type)) {
            ovsrec_bridge_set_datapath_type(br, ns->d->datapath_type);
        }
        return;
    }
    VLOG_INFO("creating bridge %s (datapath %s)", name,
              ns->d->datapath_type);
    struct ovsrec_port *port;
    insert_internal_port(t->txn, name, &port);
    struct ovsrec_bridge *nbr = ovsrec_bridge_insert(t->txn);
    ovsrec_bridge_set_name(nbr, name);
    ovsrec_bridge_set_datapath_type(nbr, ns->d->datapath_type);
    /* Only OVN's flows forward; no in-band control traffic on it. */
    ovsrec_bridge_set_fail_mode(nbr, "secure");
    ovsrec_bridge_update_other_config_setkey(nbr, "disable-in-band",
                                             "true");
    ovsrec_bridge_set_ports(nbr, &port, 1);
    ovsrec_open_vswitch_update_bridges_addvalue(root, nbr);
}

/* ovn0, bound to node-<name>, once the controller gave the node its join
 * address. */
static void
write_ovn0(struct node_setup *ns, struct ovn_txn *t)
{
    const struct ovsrec_bridge *br = ovs_find_bridge(ns->d->ovs,
                                                     ns->d->opts.bridge);
    if (!br || !ns->have_net) {
        return;
    }
    char *iface_id = ovn_name_node_port(ns->d->opts.node_name);
    char mac[ETH_ADDR_STRLEN + 1];
    snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(ns->net.mac));
    int64_t mtu = ns->d->pod_mtu;

    const struct ovsrec_interface *iface = ovs_find_interface(ns->d->ovs,
                                                              OVN_NODE_IFACE);
    if (!iface) {
        struct ovsrec_port *port;
        iface = insert_internal_port(t->txn, OVN_NODE_IFACE, &port);
        ovsrec_bridge_update_ports_addvalue(br, port);
    }
    if (strcmp(smap_get_def(&iface->external_ids, OVS_IFACE_ID, ""),
               iface_id)) {
        struct smap ids = SMAP_INITIALIZER(&ids);
        ovn_owner_init(&ids, OVS_IFACE_ID, iface_id, NULL);
        ovsrec_interface_set_external_ids(iface, &ids);
        smap_destroy(&ids);
    }
    if (!iface->mac || strcmp(iface->mac, mac)) {
        ovsrec_interface_set_mac(iface, mac);
    }
    if (iface->n_mtu_request != 1 || iface->mtu_request[0] != mtu) {
        ovsrec_interface_set_mtu_request(iface, &mtu, 1);
    }
    free(iface_id);
}

void
node_setup_write(struct node_setup *ns, struct ovn_txn *t)
{
    const struct ovsrec_open_vswitch *root = ovs_root(ns->d->ovs);
    if (root) {
        write_ovs_ids(ns, root);
        write_bridge(ns, t, root);
        write_ovn0(ns, t);
    }
}

/* ---- ovn0 in the kernel ---- */

/* The CIDRs of the cluster router's subnets, which the node reaches
 * through the join gateway: every Subnet of the default VPC but join. */
static void
add_route(struct ip_cidr **routes, size_t *n, size_t *allocated,
          const struct ip_cidr *c)
{
    if (*n >= *allocated) {
        *routes = x2nrealloc(*routes, allocated, sizeof **routes);
    }
    (*routes)[(*n)++] = *c;
}

static void
subnet_routes(const struct node_setup *ns, struct ip_cidr **routes,
              size_t *n, size_t *allocated)
{
    const struct ovn_ann_addr *join = &ns->net.addrs[0];
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->d->subnets) {
        struct ip_cidr cidrs[2];
        size_t n_cidrs;
        if (!node_subnet_cidrs(o->obj, cidrs, &n_cidrs)) {
            continue;
        }
        for (size_t i = 0; i < n_cidrs; i++) {
            if (cidrs[i].family == join->ip.family
                && !cidr_contains(&cidrs[i], join->ip.family, join->ip.n)) {
                add_route(routes, n, allocated, &cidrs[i]);
            }
        }
    }
}

/* The Service CIDRs of the join network's family (--service-cidr): the
 * node reaches ClusterIPs through OVN's load balancers on the join switch. */
static void
service_routes(const struct node_setup *ns, struct ip_cidr **routes,
               size_t *n, size_t *allocated)
{
    const struct ovn_ann_addr *join = &ns->net.addrs[0];
    for (size_t i = 0; i < ns->d->n_service_cidrs; i++) {
        if (ns->d->service_cidrs[i].family == join->ip.family) {
            add_route(routes, n, allocated, &ns->d->service_cidrs[i]);
        }
    }
}

/* Removes routes via the join gateway on ovn0 that no subnet wants. */
static char *
prune_routes(const struct ovn_ann_addr *join, const struct ip_cidr *want,
             size_t n_want)
{
    struct net_route *routes;
    size_t n;
    char *error = net_route_list(OVN_NODE_IFACE, join->ip.family, &routes,
                                 &n);
    for (size_t i = 0; !error && i < n; i++) {
        bool wanted = routes[i].gw.family != join->gateway.family
                      || routes[i].gw.n != join->gateway.n;
        for (size_t j = 0; !wanted && j < n_want; j++) {
            wanted = (want[j].plen == routes[i].dst.plen
                      && want[j].network == routes[i].dst.network);
        }
        if (!wanted) {
            error = net_route_del(OVN_NODE_IFACE, &routes[i].dst);
        }
    }
    free(routes);
    return error;
}

static char *
configure_ovn0(const struct node_setup *ns, const struct ip_cidr *routes,
               size_t n_routes)
{
    const struct ovn_ann_addr *join = &ns->net.addrs[0];
    struct net_ifaddr ifa = { .ip = join->ip, .plen = join->cidr.plen };
    char *error = NULL;
    if (!strcmp(ns->d->datapath_type, "netdev")) {
        /* As for pods: the userspace datapath never completes partial
         * checksums, so node <-> pod TCP needs them done here. */
        error = net_set_tx_checksum(OVN_NODE_IFACE, false);
    }
    if (!error) {
        error = net_link_set_up(OVN_NODE_IFACE, true);
    }
    if (!error) {
        error = net_addr_add(OVN_NODE_IFACE, &ifa);
    }
    for (size_t i = 0; !error && i < n_routes; i++) {
        error = net_route_add(OVN_NODE_IFACE, &routes[i], &join->gateway);
    }
    return error ? error : prune_routes(join, routes, n_routes);
}

/* A text that changes whenever ovn0's wanted state does. */
static char *
fingerprint(const struct node_setup *ns, const struct ip_cidr *routes,
            size_t n_routes, int ifindex)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "%d "ETH_ADDR_FMT, ifindex,
                  ETH_ADDR_ARGS(ns->net.mac));
    for (size_t i = 0; i < ns->net.n_addrs; i++) {
        ds_put_char(&s, ' ');
        cidr_ip_put(ns->net.addrs[i].ip.family, ns->net.addrs[i].ip.n, &s);
    }
    for (size_t i = 0; i < n_routes; i++) {
        ds_put_char(&s, ' ');
        cidr_put(&routes[i], &s);
    }
    return ds_steal_cstr(&s);
}

static void
read_node(struct node_setup *ns)
{
    const struct json *node = node_object(ns);
    ns->have_net = false;
    if (!node || !ovn_ann_is_allocated(node)) {
        return;
    }
    char *error = ovn_ann_network_parse(node, &ns->net);
    if (error) {
        VLOG_WARN_RL(&rl, "node %s: %s", ns->d->opts.node_name, error);
        free(error);
        return;
    }
    ns->have_net = true;
}

void
node_setup_run(struct node_setup *ns)
{
    if (time_msec() < ns->next_check) {
        return;
    }
    ns->next_check = time_msec() + RECHECK_MS;
    read_node(ns);

    struct net_link link;
    char *error = ns->have_net ? net_link_get(OVN_NODE_IFACE, &link) : NULL;
    if (!ns->have_net || error) {
        free(error);                /* ovn0 is not there yet. */
        ns->next_check = time_msec() + 1000;
        return;
    }
    struct ip_cidr *routes = NULL;
    size_t n_routes = 0, allocated = 0;
    subnet_routes(ns, &routes, &n_routes, &allocated);
    service_routes(ns, &routes, &n_routes, &allocated);
    /* Applied when it changes, and every RECHECK_MS in case someone else
     * changed ovn0: a route is a netlink request, too many to send for
     * every Subnet event in a cluster of hundreds of Subnets. */
    char *fp = fingerprint(ns, routes, n_routes, link.ifindex);
    bool changed = !ns->applied || strcmp(fp, ns->applied);
    if (!changed && time_msec() < ns->next_full) {
        free(fp);
        free(routes);
        return;
    }
    error = configure_ovn0(ns, routes, n_routes);
    free(routes);
    if (error) {
        VLOG_WARN_RL(&rl, "%s", error);
        free(error);
        free(fp);
        ns->next_check = time_msec() + 1000;
        return;
    }
    if (changed) {
        VLOG_INFO("%s configured: %s", OVN_NODE_IFACE, fp);
    }
    free(ns->applied);
    ns->applied = fp;
    ns->next_full = time_msec() + RECHECK_MS;
    ns->done = true;
}

void
node_setup_wait(struct node_setup *ns)
{
    poll_timer_wait_until(ns->next_check);
}
