/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_LEADER_H
#define KOVN_K8S_LEADER_H 1

/* Leader election on a coordination.k8s.io/v1 Lease, compatible with
 * client-go's leaderelection package (the same Lease fields), so that only
 * one replica of a controller writes.
 *
 * Every 'retry_ms' a candidate reads the Lease.  It takes the Lease when it
 * is absent, unheld, or its holder has not renewed it for
 * 'lease_duration_ms' as measured on the candidate's own clock from when it
 * last saw the Lease change (so clock skew between nodes does not matter).
 * Writes use the Lease's resourceVersion, so two candidates can never both
 * succeed.  The leader renews every 'retry_ms'; if it cannot renew for
 * 'renew_deadline_ms' it stops leading, and k8s_leader_lost() turns true: a
 * controller must then stop writing and exit, as client-go's do.
 *
 * k8s_leader_release() gives the Lease up on a clean shutdown so another
 * candidate takes over at once. */

#include <stdbool.h>

struct k8s_client;

struct k8s_leader_options {
    const char *namespace;          /* e.g. "kube-system". */
    const char *name;               /* Lease name, e.g. "kovn-controller". */
    const char *identity;           /* Unique per candidate (pod/host name). */
    long long int lease_duration_ms;    /* 0: 15000. */
    long long int renew_deadline_ms;    /* 0: 10000. */
    long long int retry_ms;             /* 0: 2000. */
};

/* Strings in 'options' are copied. */
struct k8s_leader *k8s_leader_create(struct k8s_client *,
                                     const struct k8s_leader_options *);
void k8s_leader_destroy(struct k8s_leader *);

void k8s_leader_run(struct k8s_leader *);
void k8s_leader_wait(struct k8s_leader *);

bool k8s_leader_is_leader(const struct k8s_leader *);
/* True once this candidate led and then failed to renew in time. */
bool k8s_leader_lost(const struct k8s_leader *);

/* Releases the Lease if we hold it, blocking up to 'timeout_ms'. */
void k8s_leader_release(struct k8s_leader *, long long int timeout_ms);

#endif /* k8s-leader.h */
