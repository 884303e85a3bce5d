/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "net/link.h"

#include <ctype.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <string.h>
#include <unistd.h>

#include "net/net-nl.h"
#include "net/netns.h"
#include "packets.h"
#include "util.h"

char *
net_ifname_check(const char *name)
{
    if (!name || !name[0]) {
        return xstrdup("interface name is empty");
    }
    size_t len = strlen(name);
    if (len >= IFNAMSIZ) {
        return xasprintf("interface name \"%s\" is too long (%zu bytes, at "
                         "most %d)", name, len, IFNAMSIZ - 1);
    }
    if (!strcmp(name, ".") || !strcmp(name, "..")) {
        return xasprintf("\"%s\" is not a valid interface name", name);
    }
    /* The kernel's dev_valid_name() rejects '/', ':' and white space. */
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || isspace((unsigned char) *p)) {
            return xasprintf("interface name \"%s\" contains '%c'",
                             name, *p);
        }
    }
    return NULL;
}

char *
net_veth_create(const char *name, const char *peer_name,
                const struct netns *peer_ns, int mtu)
{
    char *error = net_ifname_check(name);
    if (!error) {
        error = net_ifname_check(peer_name);
    }
    if (error) {
        return error;
    }

    struct net_nl nl;
    error = net_nl_open(&nl, name);
    if (error) {
        return error;
    }

    struct rtnl_link *link = rtnl_link_veth_alloc();
    struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
    rtnl_link_set_name(link, name);
    rtnl_link_set_name(peer, peer_name);
    if (mtu > 0) {
        rtnl_link_set_mtu(link, mtu);
        rtnl_link_set_mtu(peer, mtu);
    }
    if (peer_ns) {
        rtnl_link_set_ns_fd(peer, netns_fd(peer_ns));
    }

    net_nl_reset(&nl);
    int err = rtnl_link_add(nl.sk, link, NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) {
        error = xasprintf("veth %s (peer %s): creating failed (%s)",
                          name, peer_name, net_nl_strerror(&nl, err));
    }
    rtnl_link_put(peer);
    rtnl_link_veth_release(link);
    net_nl_close(&nl);
    return error;
}

char *
net_link_get(const char *name, struct net_link *info)
{
    memset(info, 0, sizeof *info);

    struct net_nl nl;
    char *error = net_nl_open(&nl, name);
    if (error) {
        return error;
    }

    struct rtnl_link *link;
    error = net_nl_get_link(&nl, name, &link);
    if (!error) {
        info->ifindex = rtnl_link_get_ifindex(link);
        info->mtu = rtnl_link_get_mtu(link);
        info->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;

        struct nl_addr *mac = rtnl_link_get_addr(link);
        if (mac && nl_addr_get_len(mac) == sizeof info->mac) {
            memcpy(&info->mac, nl_addr_get_binary_addr(mac),
                   sizeof info->mac);
        }
        rtnl_link_put(link);
    }
    net_nl_close(&nl);
    return error;
}

/* Applies 'changes' to link 'name' with one RTM_NEWLINK request; 'what'
 * names the change for the error message ("setting MTU 1400"). */
static char *
change_link(const char *name, struct rtnl_link *changes, const char *what)
{
    struct net_nl nl;
    char *error = net_nl_open(&nl, name);
    if (error) {
        return error;
    }

    struct rtnl_link *link;
    error = net_nl_get_link(&nl, name, &link);
    if (!error) {
        net_nl_reset(&nl);
        int err = rtnl_link_change(nl.sk, link, changes, 0);
        if (err < 0) {
            error = xasprintf("%s: %s failed (%s)", name, what,
                              net_nl_strerror(&nl, err));
        }
        rtnl_link_put(link);
    }
    net_nl_close(&nl);
    return error;
}

/* Runs change_link() and drops 'changes'. */
static char *
change_link_put(const char *name, struct rtnl_link *changes,
                const char *what)
{
    char *error = change_link(name, changes, what);
    rtnl_link_put(changes);
    return error;
}

char *
net_link_move(const char *name, const struct netns *ns)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    rtnl_link_set_ns_fd(changes, netns_fd(ns));

    char *what = xasprintf("moving to network namespace %s", netns_path(ns));
    char *error = change_link_put(name, changes, what);
    free(what);
    return error;
}

char *
net_link_rename(const char *name, const char *new_name)
{
    char *error = net_ifname_check(new_name);
    if (error) {
        char *e = xasprintf("%s: renaming: %s", name, error);
        free(error);
        return e;
    }

    struct rtnl_link *changes = rtnl_link_alloc();
    rtnl_link_set_name(changes, new_name);

    char *what = xasprintf("renaming to %s", new_name);
    error = change_link_put(name, changes, what);
    free(what);
    return error;
}

char *
net_link_set_mac(const char *name, struct eth_addr mac)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    struct nl_addr *addr = nl_addr_build(AF_LLC, mac.ea, sizeof mac.ea);
    rtnl_link_set_addr(changes, addr);
    nl_addr_put(addr);

    char *what = xasprintf("setting MAC "ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));
    char *error = change_link_put(name, changes, what);
    free(what);
    return error;
}

char *
net_link_set_mtu(const char *name, int mtu)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    rtnl_link_set_mtu(changes, mtu);

    char *what = xasprintf("setting MTU %d", mtu);
    char *error = change_link_put(name, changes, what);
    free(what);
    return error;
}

char *
net_link_set_up(const char *name, bool up)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    if (up) {
        rtnl_link_set_flags(changes, IFF_UP);
    } else {
        rtnl_link_unset_flags(changes, IFF_UP);
    }
    return change_link_put(name, changes, up ? "setting up" : "setting down");
}

char *
net_link_set_ipv6_ll_off(const char *name)
{
    if (access("/proc/sys/net/ipv6", F_OK)) {
        return NULL;            /* No IPv6 in this kernel or namespace. */
    }
    struct rtnl_link *changes = rtnl_link_alloc();
    int err = rtnl_link_inet6_set_addr_gen_mode(changes,
                                                IN6_ADDR_GEN_MODE_NONE);
    if (err < 0) {
        rtnl_link_put(changes);
        return xasprintf("%s: turning off IPv6 link-local addresses failed "
                         "(%s)", name, nl_geterror(err));
    }
    return change_link_put(name, changes,
                           "turning off IPv6 link-local addresses");
}

char *
net_link_delete(const char *name)
{
    char *error = net_ifname_check(name);
    if (error) {
        return error;
    }

    struct net_nl nl;
    error = net_nl_open(&nl, name);
    if (error) {
        return error;
    }

    /* By name, in one request: a lookup first would race with another
     * deleter (the peer's namespace going away takes the veth with it). */
    struct rtnl_link *link = rtnl_link_alloc();
    rtnl_link_set_name(link, name);
    net_nl_reset(&nl);
    int err = rtnl_link_delete(nl.sk, link);
    if (err < 0 && !net_nl_was_missing(&nl, err)) {
        error = xasprintf("%s: deleting failed (%s)", name,
                          net_nl_strerror(&nl, err));
    }
    rtnl_link_put(link);
    net_nl_close(&nl);
    return error;
}
