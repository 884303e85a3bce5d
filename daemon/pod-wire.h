/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_POD_WIRE_H
#define KOVN_DAEMON_POD_WIRE_H 1

/* The kernel side of a pod's network: a veth pair whose host end becomes
 * an OVS port and whose other end is the pod's interface ("eth0") with the
 * annotated MAC, addresses, default routes and MTU.
 *
 * These calls block on netlink for a few milliseconds (the pod's side runs
 * in a short-lived thread inside the pod's namespace, see lib/net/netns.h).
 * Each returns NULL on success or a malloc'd message for a person, which
 * the caller frees. */

#include <stdbool.h>
#include "openvswitch/compiler.h"

struct ovn_ann_network;

/* What to build.  Nothing here is owned: the caller keeps it all. */
struct pod_wire {
    const char *netns;          /* The pod's namespace, as CNI_NETNS. */
    const char *ifname;         /* Its interface, as CNI_IFNAME. */
    const char *host_ifname;    /* Host end, see pod_wire_host_ifname(). */
    const struct ovn_ann_network *net;
    int mtu;
    bool tx_checksum_off;       /* For OVS's userspace datapath. */
};

/* The host end's name for 'container_id': its first 12 characters and
 * "_h", as Kube-OVN names it, so that one container has one name across
 * daemon restarts.  Writes into 'buf'. */
#define POD_WIRE_IFNAME_LEN 16
void pod_wire_host_ifname(const char *container_id,
                          char buf[POD_WIRE_IFNAME_LEN]);

/* Builds everything.  A repeated ADD of the same container configures the
 * existing veth again in place; if that is impossible (its pod end is
 * missing), it builds anew, deleting what is left first.  '*fresh' tells
 * which: a fresh host end must become a fresh OVS port, since OVS may
 * still hold the old device under that name.  On failure nothing is left
 * behind. */
char *pod_wire_add(const struct pod_wire *, bool *fresh)
    OVS_WARN_UNUSED_RESULT;

/* Checks that the pod's interface has the MAC, addresses, default routes
 * and MTU of 'w' and that the host end exists (CNI CHECK). */
char *pod_wire_check(const struct pod_wire *) OVS_WARN_UNUSED_RESULT;

/* Deletes the host end (and with it the pod's end); success if it is
 * already gone. */
char *pod_wire_remove(const char *host_ifname) OVS_WARN_UNUSED_RESULT;

#endif /* daemon/pod-wire.h */
