/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_OVS_PORTS_H
#define KOVN_DAEMON_OVS_PORTS_H 1

/* Reads and writes of the node's own Open_vSwitch database that kovn-daemon
 * needs: the integration bridge, pod ports and their QoS, and whether
 * ovn-controller has installed a port ("ovn-installed").
 *
 * Writers add to a transaction the caller owns ('txn', see
 * lib/ovn/ovn-idl.h); row pointers are the IDL's and valid until its next
 * run.  Set-up: ovs_ports_register() before the IDL's first run. */

#include <stdbool.h>
#include "smap.h"
#include "vswitch-idl.h"

struct ovn_idl;
struct ovsdb_idl_txn;

/* external_ids keys kovn puts on a pod's Interface, beside "iface-id" (the
 * OVN logical port) and vendor=kovn. */
#define OVS_IFACE_ID            "iface-id"
#define OVS_OVN_INSTALLED       "ovn-installed"
#define OVS_POD_NAMESPACE       "pod_namespace"
#define OVS_POD_NAME            "pod_name"
#define OVS_POD_NETNS           "pod_netns"
#define OVS_CONTAINER_ID        "container_id"

/* Replicates what the daemon reads and creates the name index. */
void ovs_ports_register(struct ovn_idl *);

const struct ovsrec_open_vswitch *ovs_root(const struct ovn_idl *);
const struct ovsrec_bridge *ovs_find_bridge(const struct ovn_idl *,
                                            const char *name);
const struct ovsrec_interface *ovs_find_interface(const struct ovn_idl *,
                                                  const char *name);
/* The Port of 'br' named 'name', or NULL. */
const struct ovsrec_port *ovs_bridge_find_port(const struct ovsrec_bridge *,
                                               const char *name);

/* True once ovs-vswitchd has attached 'iface' (it has an OpenFlow port
 * number). */
bool ovs_iface_attached(const struct ovsrec_interface *);

/* True once ovn-controller has claimed 'iface' and installed its flows. */
bool ovs_iface_installed(const struct ovsrec_interface *);

/* A pod's port: Port and Interface 'name' on 'br' with 'external_ids', and
 * rate limits in Mbit/s (0: none): 'egress_mbps' polices what the pod
 * sends, 'ingress_mbps' shapes what it receives (a QoS of 'qos_type',
 * "linux-htb" for the kernel datapath, "egress-policer" for the userspace
 * one). */
struct ovs_pod_port {
    const char *name;
    const struct smap *external_ids;
    unsigned int egress_mbps;
    unsigned int ingress_mbps;
    const char *qos_type;
};
void ovs_add_pod_port(struct ovsdb_idl_txn *, const struct ovsrec_bridge *,
                      const struct ovs_pod_port *);

/* Removes 'port' from 'br'.  Its QoS, if kovn made one, goes with the
 * next ovs_gc_qos(). */
void ovs_del_port(struct ovsdb_idl_txn *, const struct ovsrec_bridge *,
                  const struct ovsrec_port *);

/* Deletes, in the transaction open on 'ovs', kovn's QoS rows that no port
 * uses any more; true if there were any. */
bool ovs_gc_qos(const struct ovn_idl *);

/* The external_ids of a port's first interface (NULL if it has none). */
const struct smap *ovs_port_iface_ids(const struct ovsrec_port *);

#endif /* daemon/ovs-ports.h */
