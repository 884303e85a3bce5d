/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "pod-wire.h"

#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "net/ethtool.h"
#include "net/link.h"
#include "net/netns.h"
#include "openvswitch/dynamic-string.h"
#include "ovn/ovn-annotations.h"
#include "packets.h"
#include "util.h"

void
pod_wire_host_ifname(const char *container_id, char buf[POD_WIRE_IFNAME_LEN])
{
    snprintf(buf, POD_WIRE_IFNAME_LEN, "%.12s_h", container_id);
}

static void
ann_ifaddr(const struct ovn_ann_addr *a, struct net_ifaddr *ifa)
{
    memset(ifa, 0, sizeof *ifa);
    ifa->ip = a->ip;
    ifa->plen = a->cidr.plen;
}

/* Inside the pod: MAC, addresses and routes of its interface, which is
 * there already.  Idempotent, so that a repeated ADD converges. */
static char *
configure_pod_iface(void *w_)
{
    const struct pod_wire *w = w_;
    char *error = net_link_set_mac(w->ifname, w->net->mac);
    if (!error && w->tx_checksum_off) {
        error = net_set_tx_checksum(w->ifname, false);
    }
    if (!error) {
        error = net_link_set_mtu(w->ifname, w->mtu);
    }
    if (!error) {
        error = net_link_set_up(w->ifname, true);
    }
    for (size_t i = 0; !error && i < w->net->n_addrs; i++) {
        struct net_ifaddr ifa;
        ann_ifaddr(&w->net->addrs[i], &ifa);
        error = net_addr_add(w->ifname, &ifa);
    }
    for (size_t i = 0; !error && i < w->net->n_addrs; i++) {
        error = net_route_add_default(w->ifname, &w->net->addrs[i].gateway);
    }
    return error;
}

/* A repeated ADD of a container whose veth exists: configure it again in
 * place.  Recreating it would give OVS's userspace datapath a port of the
 * same name whose old socket is bound to the deleted device. */
static bool
repair(const struct pod_wire *w)
{
    struct net_link link;
    char *error = net_link_get(w->host_ifname, &link);
    if (!error) {
        error = netns_run_path(w->netns, configure_pod_iface,
                               CONST_CAST(void *, w));
    }
    if (!error) {
        error = net_link_set_up(w->host_ifname, true);
    }
    bool repaired = !error;
    free(error);
    return repaired;
}

char *
pod_wire_add(const struct pod_wire *w, bool *fresh)
{
    *fresh = !repair(w);
    if (!*fresh) {
        return NULL;
    }

    struct netns *ns;
    char *error = netns_open(w->netns, &ns);
    if (error) {
        return error;
    }
    /* Leftovers of an earlier attempt: deleting either end of a veth
     * deletes both.  The pod's end is born in the pod under its final
     * name, as the CNI reference plugins do it. */
    error = pod_wire_remove(w->host_ifname);
    if (!error) {
        error = net_veth_create(w->host_ifname, w->ifname, ns, w->mtu);
    }
    if (!error) {
        error = netns_run(ns, configure_pod_iface, CONST_CAST(void *, w));
    }
    if (!error) {
        /* The host end is only an OVS port.  A link-local address would add
         * IPv6 routes to the node with every pod, and each route change
         * makes ovs-vswitchd dump the node's routes and addresses again, a
         * cost that grows with the pods (bench/RESULTS.md). */
        error = net_link_set_ipv6_ll_off(w->host_ifname);
    }
    if (!error) {
        error = net_link_set_up(w->host_ifname, true);
    }
    netns_close(ns);
    if (error) {
        free(pod_wire_remove(w->host_ifname));
    }
    return error;
}

static bool
has_addr(const struct net_ifaddr *addrs, size_t n, const struct net_ifaddr *a)
{
    for (size_t i = 0; i < n; i++) {
        if (addrs[i].ip.family == a->ip.family && addrs[i].ip.n == a->ip.n
            && addrs[i].plen == a->plen) {
            return true;
        }
    }
    return false;
}

static bool
has_default_route(const struct net_route *routes, size_t n,
                  const struct ip_addr *gw)
{
    for (size_t i = 0; i < n; i++) {
        if (routes[i].dst.plen == 0 && routes[i].gw.family == gw->family
            && routes[i].gw.n == gw->n) {
            return true;
        }
    }
    return false;
}

static char *
check_addresses(const struct pod_wire *w)
{
    struct net_ifaddr *addrs = NULL;
    struct net_route *routes = NULL;
    size_t n_addrs = 0, n_routes = 0;
    char *error = net_addr_list(w->ifname, AF_UNSPEC, &addrs, &n_addrs);
    if (!error) {
        error = net_route_list(w->ifname, AF_UNSPEC, &routes, &n_routes);
    }
    for (size_t i = 0; !error && i < w->net->n_addrs; i++) {
        const struct ovn_ann_addr *a = &w->net->addrs[i];
        struct net_ifaddr want;
        ann_ifaddr(a, &want);
        struct ds s = DS_EMPTY_INITIALIZER;
        if (!has_addr(addrs, n_addrs, &want)) {
            net_ifaddr_put(&want, &s);
            error = xasprintf("%s lacks address %s", w->ifname, ds_cstr(&s));
        } else if (!has_default_route(routes, n_routes, &a->gateway)) {
            cidr_ip_put(a->gateway.family, a->gateway.n, &s);
            error = xasprintf("%s lacks the default route via %s", w->ifname,
                              ds_cstr(&s));
        }
        ds_destroy(&s);
    }
    free(addrs);
    free(routes);
    return error;
}

static char *
check_in_pod(void *w_)
{
    const struct pod_wire *w = w_;
    struct net_link link;
    char *error = net_link_get(w->ifname, &link);
    if (error) {
        return error;
    }
    if (!eth_addr_equals(link.mac, w->net->mac)) {
        return xasprintf("%s has MAC "ETH_ADDR_FMT", want "ETH_ADDR_FMT,
                         w->ifname, ETH_ADDR_ARGS(link.mac),
                         ETH_ADDR_ARGS(w->net->mac));
    }
    if (w->mtu && link.mtu != w->mtu) {
        return xasprintf("%s has MTU %d, want %d", w->ifname, link.mtu,
                         w->mtu);
    }
    if (!link.up) {
        return xasprintf("%s is down", w->ifname);
    }
    return check_addresses(w);
}

char *
pod_wire_check(const struct pod_wire *w)
{
    struct net_link link;
    char *error = net_link_get(w->host_ifname, &link);
    if (error) {
        return error;
    }
    return netns_run_path(w->netns, check_in_pod, CONST_CAST(void *, w));
}

char *
pod_wire_remove(const char *host_ifname)
{
    return net_link_delete(host_ifname);
}
