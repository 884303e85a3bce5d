/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NAMESPACE_H
#define KOVN_NAMESPACE_H 1

/* Namespace binding: each Namespace's annotations say which Subnet its pods
 * get addresses from, as Kube-OVN writes them:
 *
 *     ovn.kubernetes.io/logical_switch   the Subnet's name
 *     ovn.kubernetes.io/cidr             its spec.cidrBlock
 *     ovn.kubernetes.io/exclude_ips      its spec.excludeIps, comma joined
 *
 * A Namespace listed in a valid Subnet's spec.namespaces is bound to it (to
 * the first by name if several list it); any other to the default Subnet.
 * "Valid" means registered in the IPAM by the subnet reconciler.  Patches
 * are merge patches, sent only when an annotation differs.
 *
 * Ownership: the caller owns the namespace_ctl; it borrows the controller. */

#include "k8s/k8s-informer.h"

struct controller;

struct namespace_ctl *namespace_create(struct controller *);
void namespace_destroy(struct namespace_ctl *);

extern const struct k8s_informer_handlers namespace_informer_handlers;

/* Queues every Namespace of the cache (a Subnet changed). */
void namespace_enqueue_all(struct namespace_ctl *);

void namespace_run(struct namespace_ctl *);
void namespace_wait(struct namespace_ctl *);

#endif /* namespace.h */
