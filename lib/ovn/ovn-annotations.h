/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OVN_ANNOTATIONS_H
#define KOVN_OVN_ANNOTATIONS_H 1

/* The ovn.kubernetes.io/ annotations that Kube-OVN defined and kovn keeps:
 * kovn-controller writes them on pods and nodes, kovn-daemon reads them to
 * wire the pod or the node's ovn0 port, and users set the inputs (static
 * address, MAC, subnet, rates).
 *
 * A pod's network as the controller annotates it:
 *   allocated    "true" once the rest is written
 *   ip_address   "10.16.0.5" or dual stack "10.16.0.5,fd00:10:16::5"
 *   mac_address  "0a:58:0a:10:00:05"
 *   cidr         the subnet's cidrBlock, "10.16.0.0/16[,fd00:10:16::/64]"
 *   gateway      "10.16.0.1[,fd00:10:16::1]"
 * A node's join port carries the same five keys plus port_name. */

#include <stdbool.h>
#include <stddef.h>
#include "ipam/cidr.h"
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct json;

#define OVN_ANN_PREFIX          "ovn.kubernetes.io/"
#define OVN_ANN_ALLOCATED       OVN_ANN_PREFIX "allocated"
#define OVN_ANN_IP_ADDRESS      OVN_ANN_PREFIX "ip_address"
#define OVN_ANN_MAC_ADDRESS     OVN_ANN_PREFIX "mac_address"
#define OVN_ANN_CIDR            OVN_ANN_PREFIX "cidr"
#define OVN_ANN_GATEWAY         OVN_ANN_PREFIX "gateway"
#define OVN_ANN_LOGICAL_SWITCH  OVN_ANN_PREFIX "logical_switch"
#define OVN_ANN_LOGICAL_ROUTER  OVN_ANN_PREFIX "logical_router"
#define OVN_ANN_ROUTED          OVN_ANN_PREFIX "routed"
#define OVN_ANN_PORT_NAME       OVN_ANN_PREFIX "port_name"
#define OVN_ANN_EXCLUDE_IPS     OVN_ANN_PREFIX "exclude_ips"
#define OVN_ANN_SUBNET_LABEL    OVN_ANN_PREFIX "subnet"   /* A label. */
#define OVN_ANN_INGRESS_RATE    OVN_ANN_PREFIX "ingress_rate"
#define OVN_ANN_EGRESS_RATE     OVN_ANN_PREFIX "egress_rate"

/* One address of an interface: "10.16.0.5" within "10.16.0.0/16", reached
 * through 'gateway'. */
struct ovn_ann_addr {
    struct ip_addr ip;
    struct ip_cidr cidr;
    struct ip_addr gateway;
};

/* The network an object's annotations describe, one entry per family. */
struct ovn_ann_network {
    struct ovn_ann_addr addrs[2];
    size_t n_addrs;
    struct eth_addr mac;
};

/* True once 'obj' (a pod or node) carries allocated=true. */
bool ovn_ann_is_allocated(const struct json *obj);

/* Reads ip_address, mac_address, cidr and gateway of 'obj' into '*net'.
 * Returns NULL, or a malloc'd message naming the annotation at fault (the
 * caller frees it): a missing key, a malformed value, an address outside
 * its cidr, or families that do not line up. */
char *ovn_ann_network_parse(const struct json *obj,
                            struct ovn_ann_network *net)
    OVS_WARN_UNUSED_RESULT;

/* Reads a rate annotation ('key', in Mbit/s) into '*mbps': 0 when absent.
 * Returns a malloc'd message if it is not a whole number. */
char *ovn_ann_rate_parse(const struct json *obj, const char *key,
                         unsigned int *mbps) OVS_WARN_UNUSED_RESULT;

#endif /* lib/ovn/ovn-annotations.h */
