/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_DEFAULTS_H
#define KOVN_SUBNET_DEFAULTS_H 1

/* The spec defaults that Kube-OVN's controller writes back into a Subnet
 * (formatSubnet() in kube-ovn's pkg/controller/subnet.go), so that
 * `kubectl get subnet` shows the same columns under kovn.  A pure function:
 * the caller sends the patch (a JSON merge patch on the Subnet itself, not
 * its status subresource).
 *
 * A field is missing when it is absent, null or "" (an empty list for
 * excludeIps), as Go's zero values are to Kube-OVN.  What is filled:
 *
 *   gateway      the first address of each CIDR of cidrBlock, comma
 *                separated in cidrBlock order: the address kovn's IPAM
 *                reserves when no gateway is given (network + 1; the
 *                network address itself in a /31, /32, /127 or /128).
 *                A user's gateway that leaves out one family of a dual
 *                stack cidrBlock gets that family's default added, the
 *                user's text kept as written; both Kube-OVN and kovn's IPAM
 *                use that default anyway.
 *   excludeIps   missing: the gateway(s), sorted as strings (as Kube-OVN).
 *                Given: kept entry by entry, in order; a gateway address
 *                that no entry covers is appended, as Kube-OVN appends it.
 *                Kube-OVN also merges overlapping ranges and sorts the
 *                list; kovn does not rewrite what the user wrote.
 *   protocol     "IPv4", "IPv6" or "Dual" from cidrBlock.
 *   provider     "ovn".
 *   vpc          'vpc' (the cluster router), only for an OVN provider
 *                ("ovn" or "<name>.<namespace>.ovn").
 *   gatewayType  "distributed", only when the Subnet's vpc is 'vpc' and
 *                the Subnet is not named "join".
 *
 * Never changed: a value the user wrote.  In particular a protocol that
 * contradicts cidrBlock stays (Kube-OVN would overwrite it; which one is
 * right is the reconciler's call), and a cidrBlock with host bits set
 * ("10.16.0.1/16") is not rewritten to its network (Kube-OVN rewrites it;
 * the defaults are computed from the network).  A gateway or excludeIps
 * entry that does not parse, or a gateway outside its CIDR or on its
 * network or broadcast address, leaves both gateway and excludeIps alone:
 * the reconciler reports the invalid spec.  Not filled although Kube-OVN
 * fills it: enableLb (kovn has no load balancers yet); nor does kovn clear
 * "default" on a Subnet that is not the default one.
 *
 * Ownership: 'obj' is only read and not kept; the returned patch is the
 * caller's, freed with json_destroy(). */

#include "openvswitch/json.h"

/* Returns the JSON merge patch that fills the missing spec defaults of
 * Subnet 'obj', or NULL if none is missing, the cidrBlock is missing or
 * invalid (the reconciler reports invalid specs itself) or 'obj' has no
 * metadata.resourceVersion.  'vpc' is the cluster router name (nonnull).
 *
 * The patch carries 'obj''s metadata.resourceVersion: it replaces lists
 * whole, so a user editing the Subnet meanwhile makes it fail with 409
 * Conflict and the reconciler computes it again from the new object. */
struct json *subnet_defaults_patch(const struct json *obj, const char *vpc);

#endif /* controller/subnet-defaults.h */
