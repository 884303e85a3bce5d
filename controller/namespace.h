/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NAMESPACE_H
#define KOVN_NAMESPACE_H 1

/* The Namespace kind: each Namespace's annotations say which Subnet its
 * pods get addresses from, as Kube-OVN writes them:
 *
 *     ovn.kubernetes.io/logical_switch   the Subnet's name
 *     ovn.kubernetes.io/cidr             its spec.cidrBlock
 *     ovn.kubernetes.io/exclude_ips      its spec.excludeIps, comma joined
 *
 * A Namespace listed in a valid Subnet's spec.namespaces is bound to it (to
 * the first by name if several list it); any other to the default Subnet.
 * "Valid" means registered in the IPAM by the Subnet kind.  Patches are
 * merge patches, sent only when an annotation differs.  Queued by its own
 * events and by the Subnets that name it (deps.c). */

struct json;
struct svec;

extern const struct kind_class namespace_class;

/* The index of the Subnet cache by the Namespaces each Subnet lists in
 * spec.namespaces, through which a Namespace finds its Subnet without a
 * scan of every Subnet. */
#define SUBNET_INDEX_NAMESPACES "namespaces"
void subnet_index_namespaces(const struct json *subnet, struct svec *values);

#endif /* namespace.h */
