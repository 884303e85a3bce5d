/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_H
#define KOVN_SUBNET_H 1

/* The Subnet kind: makes OVN NB, the IPAM and each Subnet's spec defaults,
 * status and finalizer match the kubeovn.io/v1 Subnets of the cache.
 *
 * Keys are Subnet names, from the cache and from kovn's NB switches (a
 * Subnet deleted while no controller ran is cleaned up too).  Its writes
 * join the shared NB transaction; status and finalizer follow once NB has
 * the rows (subnet-status.h).  It works from PHASE_NETWORKS: statuses are
 * held back until the IPAM is rebuilt, as the counts would say that
 * nothing is in use.
 *
 * An invalid Subnet (bad CIDR, gateway or excludeIps; overlap with an older
 * Subnet or the join network; a same-named NB row that is not kovn's) gets
 * Ready=False, a Warning Event and a log line, and no NB writes.  A Subnet
 * created with only a cidrBlock gets Kube-OVN's defaults written into its
 * spec (subnet-defaults.h).
 *
 * Deletion: every Subnet gets kovn's finalizer.  A deleted Subnet whose
 * addresses are still in use (pods, or IP resources kept for StatefulSet
 * pods) keeps working for them, says why in its Ready condition (reason
 * DeletionBlocked) and a Warning Event, and takes no new pods; once the
 * IPAM says the last address is released, its NB rows go, then the
 * finalizer.
 *
 * Signals: IN_SUBNET_NETWORK when a Subnet enters or leaves the IPAM. */

#include <stdbool.h>

struct controller;
struct json;
struct network_spec;
struct svec;

extern const struct kind_class subnet_class;

/* Fills 'spec' and 'excludes' from Subnet 'obj' and registers it in the
 * IPAM, or returns why it is invalid (malloc'd; changing nothing). */
char *subnet_validate(const struct controller *, const struct json *obj,
                      struct network_spec *spec, struct svec *excludes);

#endif /* subnet.h */
