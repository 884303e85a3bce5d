/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_POD_H
#define KOVN_POD_H 1

/* The Pod kind: gives each scheduled, non-hostNetwork pod an address from
 * the IPAM, a logical switch port "<pod>.<namespace>" on its subnet's
 * switch, the ovn.kubernetes.io annotations the daemon reads and a
 * kubeovn.io/v1 IP resource (ip-resource.h), as Kube-OVN does; and takes
 * them away again when the pod is deleted or has finished (a StatefulSet's
 * pod keeps its address while its StatefulSet will re-create it, sts.h).
 *
 * Subnet choice: pod_subnet_of() (pod-obj.h).  Static input:
 * ovn.kubernetes.io/ip_address and mac_address.  Bad input gets a Warning
 * Event on the pod, a log line, nothing else, and a retry with backoff; a
 * pod that found its Subnet full waits until an address is released.
 *
 * Start-up (PHASE_RUNNING): nothing is allocated before the IPAM is rebuilt
 * from pod annotations, IP resources and kovn's NB ports
 * (pod_ipam_rebuild(), the kind's rebuild step); then every pod is queued,
 * those without an address first.  Garbage collection (pod_gc_keys():
 * ports, IP resources and leases of pods that no longer exist) runs then
 * and every --gc-interval.
 *
 * NB writes join the shared transaction; API writes (annotations, IP
 * resources) start once it succeeded, and a pod's lease is released only
 * once NB no longer has its port.  Signals: IN_SUBNET_USAGE with the
 * Subnet's name whenever an address is allocated or released. */

struct controller;
struct sset;

extern const struct kind_class pod_class;

/* Rebuilds the pods' leases in the IPAM: annotated pods oldest first, then
 * IP resources, then kovn's pod ports.  A record that conflicts with one
 * already restored gets a Warning Event (IPConflict) on its pod. */
void pod_ipam_rebuild(struct controller *);

/* Adds to 'keys' every pod key that a kovn NB port, an IP resource or an
 * IPAM lease names but whose pod is gone from the cache. */
void pod_gc_keys(const struct controller *, struct sset *keys);

#endif /* pod.h */
