/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_H
#define KOVN_DAEMON_H 1

/* kovn-daemon's shared state: main.c creates and frees all of it; the
 * modules (node set-up, CNI operations) borrow these pointers and own only
 * their own state. */

#include <stdbool.h>
#include <stddef.h>

#include "ipam/cidr.h"

struct cni_ops;
struct cni_server;
struct k8s_client;
struct k8s_informer;
struct node_services;
struct gw_lease;
struct node_setup;
struct ovn_idl;

/* Command-line settings; strings are owned by the daemon. */
struct daemon_options {
    char *kubeconfig;           /* NULL: k8s_config_load() defaults. */
    char *node_name;            /* Required (or $KUBE_NODE_NAME). */
    char *ovs_remote;           /* Local Open_vSwitch db. */
    char *ovn_sb_remote;        /* ovn-remote for ovn-controller, or NULL
                                 * to keep what the node has. */
    char *encap_ip;             /* Geneve endpoint, or NULL. */
    char *encap_iface;          /* ...or the interface holding it. */
    char *datapath_type;        /* "auto", "netdev" or "system". */
    char *bridge;               /* Integration bridge, "br-int". */
    char *socket_path;          /* CNI server socket. */
    char *cni_bin_dir;          /* Where to install the plugin, or NULL. */
    char *cni_conf_dir;         /* Where to write 01-kovn.conflist, or
                                 * NULL. */
    char *cni_plugin;           /* The plugin binary to install. */
    char *unixctl_path;         /* NULL: OVS default. */
    char *service_cidr;         /* Service CIDR(s), "a" or "a,b". */
    int mtu;                    /* Pod MTU; 0: from the encap interface. */
    int cni_timeout_s;          /* Longest an ADD may wait. */
};

struct daemon {
    struct daemon_options opts;
    const char *datapath_type;  /* Resolved: "netdev" or "system". */
    char *encap_ip;             /* Resolved Geneve endpoint, or NULL. */
    int pod_mtu;                /* --mtu, or the underlay's less Geneve's
                                 * overhead. */
    struct ip_cidr service_cidrs[2];    /* --service-cidr, parsed. */
    size_t n_service_cidrs;

    struct k8s_client *client;
    struct k8s_informer *pods;      /* This node's pods. */
    struct k8s_informer *node;      /* This node's Node. */
    struct k8s_informer *subnets;   /* Subnets, for ovn0's routes. */
    struct k8s_informer *services;  /* All Services... */
    struct k8s_informer *slices;    /* ...and EndpointSlices: NodePort. */
    struct ovn_idl *ovs;            /* The local Open_vSwitch db. */

    struct node_setup *setup;
    struct node_services *services_nft;
    struct gw_lease *gw_lease;      /* Gateway liveness (gw-lease.h). */
    struct cni_ops *ops;
    struct cni_server *server;
};

#endif /* daemon/daemon.h */
