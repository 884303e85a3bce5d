/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NET_LINK_H
#define KOVN_NET_LINK_H 1

/* Network interfaces ("links") over route netlink: veth pairs, moving a
 * link into another network namespace, renaming, MAC, MTU, up/down,
 * deletion and lookup.
 *
 * Every function acts in the network namespace of the calling thread: to
 * act inside a pod's namespace, call it from a function that netns_run()
 * runs.  Interfaces are named by name, as CNI names them; a name is at most
 * IFNAMSIZ - 1 (15) bytes.
 *
 * Every function that returns 'char *' returns NULL on success or a
 * malloc'd error message, which names the interface and the operation, for
 * the caller to free. */

#include <stdbool.h>
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct netns;

/* What net_link_get() reports about one interface. */
struct net_link {
    int ifindex;
    struct eth_addr mac;        /* All zeros if the link has none (lo). */
    int mtu;
    bool up;                    /* Administratively up (IFF_UP). */
};

/* Returns NULL if 'name' is a valid interface name: 1 to 15 bytes, not "."
 * or "..", no '/', ':' or white space.  Otherwise an error saying why. */
char *net_ifname_check(const char *name) OVS_WARN_UNUSED_RESULT;

/* Creates a veth pair 'name' <-> 'peer', both down, with MTU 'mtu' (0 for
 * the kernel's default).  'peer' is made directly in 'peer_ns' if it is
 * nonnull: much faster than net_link_move() afterwards, which unregisters
 * the device and waits for RCU.  Fails if either name is taken. */
char *net_veth_create(const char *name, const char *peer,
                      const struct netns *peer_ns, int mtu)
    OVS_WARN_UNUSED_RESULT;

/* Looks up 'name'; "NAME: no such interface" if it does not exist. */
char *net_link_get(const char *name, struct net_link *)
    OVS_WARN_UNUSED_RESULT;

/* Moves 'name' into 'ns'.  The link goes down and loses its addresses on
 * the way (the kernel does that); configure it afterwards, inside 'ns'. */
char *net_link_move(const char *name, const struct netns *ns)
    OVS_WARN_UNUSED_RESULT;

/* Renames 'name' to 'new_name'.  Rename before setting the link up: Linux
 * before 6.2 refuses to rename a link that is up (EBUSY). */
char *net_link_rename(const char *name, const char *new_name)
    OVS_WARN_UNUSED_RESULT;

char *net_link_set_mac(const char *name, struct eth_addr mac)
    OVS_WARN_UNUSED_RESULT;
char *net_link_set_mtu(const char *name, int mtu) OVS_WARN_UNUSED_RESULT;
char *net_link_set_up(const char *name, bool up) OVS_WARN_UNUSED_RESULT;

/* Keeps the kernel from giving 'name' an IPv6 link-local address (and the
 * routes that come with it) when it is next set up.  Nothing to do, and no
 * error, where IPv6 is off. */
char *net_link_set_ipv6_ll_off(const char *name) OVS_WARN_UNUSED_RESULT;

/* Deletes 'name'; success if it does not exist.  Deleting either end of a
 * veth pair deletes both. */
char *net_link_delete(const char *name) OVS_WARN_UNUSED_RESULT;

#endif /* lib/net/link.h */
