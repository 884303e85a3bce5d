/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CONTROLLER_H
#define KOVN_CONTROLLER_H 1

/* kovn-controller's core (controller.c): the shared state every kind reads,
 * and the loop that drives them.
 *
 * One thread, the OVS main loop.  Informers keep every cache warm from the
 * start, leading or not; only the replica holding the Lease writes, and
 * only once NB and every cache are synced.  Then each pass opens one NB
 * transaction, lets cluster.c and every kind of the registry (registry.h)
 * add their writes to it, commits it, and settles the kinds' keys when it
 * ends; the start-up phases (startup.h) say which kinds take part.
 *
 * Ownership: the controller owns everything it points to; kinds borrow the
 * pointers and own only their own state. */

#include <stdbool.h>
#include "ipam/cidr.h"
#include "openvswitch/compiler.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "registry.h"
#include "startup.h"
#include "svec.h"

struct cluster_ctl;
struct ipam;
struct json;
struct k8s_client;
struct k8s_event_recorder;
struct k8s_informer;
struct k8s_leader;
struct k8s_resource;
struct k8s_workqueue;
struct kind;
struct nb_index;
struct nbrec_load_balancer_group;
struct nbrec_logical_router;
struct ovn_idl;
struct ovn_txn;
struct unixctl_server;

/* Command-line settings.  Strings are owned by the controller. */
struct controller_options {
    char *kubeconfig;               /* NULL: k8s_config_load() defaults. */
    char *nb_remotes;
    char *default_subnet;           /* "ovn-default". */
    char *default_cidr;             /* "10.16.0.0/16". */
    char *default_gateway;          /* "10.16.0.1". */
    char *default_excludes;         /* Comma separated; "" = the gateway. */
    char *join_cidr;                /* "100.64.0.0/16". */
    char *service_cidr;             /* "10.96.0.0/12" (or v4,v6). */
    char *cluster_router;           /* "ovn-cluster". */
    char *leader_namespace;         /* "kube-system". */
    char *identity;                 /* Hostname by default. */
    char *unixctl_path;             /* NULL: OVS default. */
    long long int lease_duration_ms;
    long long int gc_interval_ms;   /* Periodic garbage collection. */
};

/* Fills 'o' with the defaults of every option (the strings are 'o''s). */
void controller_options_init(struct controller_options *o);

/* What an informer's handlers get: which input of which controller. */
struct controller_input_aux {
    struct controller *c;
    enum controller_input input;
};

struct controller {
    struct controller_options opts;
    struct ip_cidr join_cidr;       /* Parsed --join-cidr. */

    struct k8s_client *client;      /* NULL: synthetic caches (tests). */
    struct k8s_informer *informers[N_INFORMERS];
    struct controller_input_aux informer_aux[N_INFORMERS];
    struct k8s_event_recorder *events;
    struct k8s_leader *leader;      /* NULL: always leading (tests). */
    struct ovn_idl *nb;
    struct nb_index *nbi;           /* NB rows by name, see nb/nb-index.h. */
    struct ipam *ipam;

    struct cluster_ctl *cluster;
    struct kind *kinds[N_KINDS];

    enum startup_phase phase;
    const struct nbrec_logical_router *router;  /* Committed, kovn's. */
    /* Services': OVN_SERVICES_LB_GROUPS groups, with 'router' (else
     * NULL). */
    const struct nbrec_load_balancer_group *const *lb_groups;
    struct ovn_txn *txn;            /* In flight, or NULL. */
    long long int next_gc;

    /* API writes in flight, so that they can be cancelled on exit ('struct
     * api_call's), and, without a client, those made ('api_log', one
     * "METHOD PATH BODY" string each). */
    struct hmap api_calls;
    struct svec api_log;

    struct ovs_list syncs;          /* kovn/sync requests waiting. */
};

/* Creates the controller for 'opts' (taken; check_networks() first):
 * connects to the API (unless 'client' is NULL: then every informer is a
 * synthetic cache and API writes go to 'api_log') and to NB, and creates
 * the informers and the kinds.  Registers kovn/sync on 'unixctl' if
 * nonnull. */
struct controller *controller_create(struct controller_options *opts,
                                     bool connect_api,
                                     struct unixctl_server *unixctl);
void controller_destroy(struct controller *);

/* One pass of the main loop.  Returns false if the process must exit: it
 * lost the Lease, and another replica may be writing already. */
bool controller_run(struct controller *);
void controller_wait(struct controller *);

/* The cache of informer 'input'. */
struct k8s_informer *controller_cache(const struct controller *,
                                      enum controller_input input);

/* True if pods may have addresses of IP 'family' (4 or 6): the default
 * Subnet's or the join network's. */
bool controller_family_in_use(const struct controller *, int family);

/* Tells the dependency table that 'input' (a signal) happened to 'key'. */
void controller_signal(struct controller *, enum controller_input input,
                       const char *key);

/* Records a Kubernetes Event about 'obj' (of 'res') and logs nothing: the
 * caller logs.  Without a client, the Event goes to 'api_log' as
 * "EVENT <type> <reason> <message>". */
void controller_event(struct controller *, const struct k8s_resource *res,
                      const struct json *obj, const char *type,
                      const char *reason, const char *format, ...)
    OVS_PRINTF_FORMAT(6, 7);

/* True when no kind has work ready or waiting for a transaction, no NB
 * transaction and no API write is in flight, and start-up is done. */
bool controller_is_idle(const struct controller *);

/* Starts an API write ('method' on 'path' with 'body', which the caller
 * keeps).  On failure 'key' is put back in 'queue' with backoff.  Returns
 * the request (NULL without a client), which the client owns, for
 * k8s_request_defer() right away. */
struct k8s_request *api_write(struct controller *, int method,
                              const char *path, const struct json *body,
                              struct k8s_workqueue *queue, const char *key);

#endif /* controller.h */
