/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_REGISTRY_H
#define KOVN_REGISTRY_H 1

/* What kovn-controller is made of, in one place (registry.c):
 *
 *   - the inputs: one informer per watched resource (shared by every kind
 *     that reads it), and the signals that reconcilers raise with
 *     controller_signal();
 *   - the kinds, each a 'struct kind_class' in a file of its own, in the
 *     order they run in a pass;
 *   - which input queues which kind's keys: the dependency table, deps.c.
 *
 * Adding a kind: its file, an entry in 'enum kind_id' and 'kind_classes',
 * its informer (if new) here, its dependency rows in deps.c.  See
 * docs/developing.md. */

#include "openvswitch/compiler.h"

struct json;
struct k8s_resource;
struct kind_class;
struct svec;

enum controller_input {
    /* Informers: an object was added, updated or deleted. */
    IN_SUBNETS,
    IN_NAMESPACES,
    IN_NODES,
    IN_PODS,
    IN_IPS,
    IN_STATEFULSETS,
    IN_SERVICES,
    IN_ENDPOINTSLICES,
    IN_NETWORK_POLICIES,
    IN_LEASES,                      /* kovn-daemons' (gw-liveness.h). */
    N_INFORMERS,

    /* Signals, raised by reconcilers with the key of what they concern. */
    IN_SUBNET_USAGE = N_INFORMERS,  /* Addresses used in a Subnet changed. */
    IN_SUBNET_NETWORK,              /* A Subnet entered or left the IPAM. */
    N_INPUTS
};

enum kind_id {
    KIND_SUBNET,
    KIND_NAMESPACE,
    KIND_NODE,
    KIND_POD,
    KIND_SERVICE,
    KIND_NP_PEER,
    KIND_NETPOL,
    N_KINDS
};

struct informer_index {
    const char *name;
    void (*func)(const struct json *, struct svec *);
};

struct informer_spec {
    const char *name;                       /* For logs and kovn/sync. */
    const struct k8s_resource *resource;
    void (*transform)(struct json *);       /* Or NULL: whole objects. */
    const char *namespace;                  /* Or NULL: all. */
    struct informer_index indexes[2];       /* Unused ones: NULL name. */
};

extern const struct informer_spec informer_specs[N_INFORMERS];
extern const struct kind_class *const kind_classes[N_KINDS];

const char *controller_input_name(enum controller_input);

#endif /* registry.h */
