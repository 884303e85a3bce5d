/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CONTROLLER_H
#define KOVN_CONTROLLER_H 1

/* kovn-controller's shared state: what main.c creates and every reconciler
 * reads.  main.c owns everything here and frees it on exit; reconcilers
 * borrow the pointers and own only their own module state. */

#include <stdbool.h>
#include "ipam/cidr.h"
#include "openvswitch/hmap.h"
#include "sset.h"

struct ipam;
struct k8s_client;
struct k8s_event_recorder;
struct k8s_informer;
struct k8s_leader;
struct k8s_workqueue;
struct nb_index;
struct ovn_idl;
struct json;

/* Command-line settings.  Strings are owned by the controller. */
struct controller_options {
    char *kubeconfig;               /* NULL: k8s_config_load() defaults. */
    char *nb_remotes;
    char *default_subnet;           /* "ovn-default". */
    char *default_cidr;             /* "10.16.0.0/16". */
    char *default_gateway;          /* "10.16.0.1". */
    char *default_excludes;         /* Comma separated; "" = the gateway. */
    char *join_cidr;                /* "100.64.0.0/16". */
    char *cluster_router;           /* "ovn-cluster". */
    char *leader_namespace;         /* "kube-system". */
    char *identity;                 /* Hostname by default. */
    char *unixctl_path;             /* NULL: OVS default. */
    long long int lease_duration_ms;
    long long int gc_interval_ms;   /* Periodic garbage collection. */
};

struct controller {
    struct controller_options opts;
    struct ip_cidr join_cidr;       /* Parsed --join-cidr. */

    struct k8s_client *client;
    struct k8s_informer *subnets;
    struct k8s_informer *namespaces;
    struct k8s_informer *nodes;
    struct k8s_event_recorder *events;
    struct k8s_leader *leader;
    struct ovn_idl *nb;
    struct nb_index *nbi;           /* NB rows by name, see nb-network.h. */
    struct ipam *ipam;

    bool leading;                   /* Only then do reconcilers write. */

    /* Reconciler state, owned by each module. */
    struct cluster_ctl *cluster;
    struct subnet_ctl *subnet;
    struct namespace_ctl *ns;
    struct node_ctl *node;
    struct pod_ctl *pod;

    /* Fire-and-forget API writes (status, annotations), so that they can be
     * cancelled on exit: 'struct api_call's, see api_write(). */
    struct hmap api_calls;
};

/* Starts an API write ('method' on 'path' with 'body', which the caller
 * keeps).  On failure the key 'key' is put back in 'queue' with backoff,
 * so the reconciler that wrote it looks again.  Returns the request, which
 * the client owns, for k8s_request_defer() right away. */
struct k8s_request *api_write(struct controller *, int method,
                              const char *path, const struct json *body,
                              struct k8s_workqueue *queue, const char *key);
void api_cancel_all(struct controller *);

#endif /* controller.h */
