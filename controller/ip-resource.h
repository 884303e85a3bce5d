/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_IP_RESOURCE_H
#define KOVN_IP_RESOURCE_H 1

/* kubeovn.io/v1 IP resources, as Kube-OVN writes one per pod address:
 * named after the pod's port ("<pod>.<namespace>"), labelled with its
 * Subnet, the spec saying which pod holds which addresses.  They survive
 * the pod, which is how a StatefulSet's pod keeps its address, and they are
 * one of the records the IPAM is rebuilt from.  Pure functions: each
 * returns a new object the caller frees. */

#include <stdbool.h>

struct ipam_lease;
struct json;

/* The spec of the IP resource of pod 'obj' ('ns'/'name') in 'subnet'
 * holding 'lease'. */
struct json *ip_resource_spec(const struct json *obj, const char *ns,
                              const char *name, const char *subnet,
                              const struct ipam_lease *lease);

/* True if the spec 'have' (an IP resource's) says what 'want' says. */
bool ip_resource_spec_matches(const struct json *have,
                              const struct json *want);

/* A whole IP resource 'port' in 'subnet' with 'spec' (taken). */
struct json *ip_resource_create(const char *port, const char *subnet,
                                struct json *spec);

/* The pod key "ns/name" that IP resource 'ip' is for (caller frees), or
 * NULL if its spec names none. */
char *ip_resource_pod_key(const struct json *ip);

#endif /* ip-resource.h */
