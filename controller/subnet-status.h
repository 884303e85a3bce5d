/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_STATUS_H
#define KOVN_SUBNET_STATUS_H 1

/* The API writes of a Subnet, as merge patches computed from the cached
 * object: its status (Ready condition and address counts, as Kube-OVN
 * writes them) and kovn's finalizer.  Pure functions: they read 'obj' and
 * return a new patch the caller frees, or NULL when the object says so
 * already. */

#include <stdbool.h>
#include "ipam/ipam.h"

struct json;

/* A condition beside Ready: none while 'type' is NULL; else True with
 * reason 'type' itself, or False with 'reason' and 'message'. */
struct subnet_condition {
    const char *type;
    bool ok;
    const char *reason;             /* When !ok. */
    char *message;                  /* When !ok; owned. */
};

/* What a Subnet's status should say.  'message' NULL means "".
 * 'active_gateway' (owned) is status.activateGateway, NULL to leave it
 * alone; "" clears it. */
struct subnet_status {
    bool ready;
    const char *reason;
    char *message;
    struct ipam_usage usage;

    struct subnet_condition acl;        /* ACLsApplied (subnet-acl.h). */
    struct subnet_condition gateway;    /* GatewayReady
                                         * (subnet-gateway.h). */
    char *active_gateway;
};

/* Frees what 'st' owns (not 'st'). */
void subnet_status_destroy(struct subnet_status *);

#define SUBNET_ACL_CONDITION "ACLsApplied"
#define SUBNET_GATEWAY_CONDITION "GatewayReady"

/* The patch that makes 'obj''s status say 'st'.  Timestamps alone never
 * make a patch: otherwise each status write would trigger another. */
struct json *subnet_status_patch(const struct json *obj,
                                 const struct subnet_status *st);

/* The Ready condition's reason in 'obj''s status, or NULL. */
const char *subnet_ready_reason(const struct json *obj);

/* The message of condition 'type' in 'obj''s status, or NULL if it has
 * none. */
const char *subnet_condition_message(const struct json *obj,
                                     const char *type);

/* Kube-OVN's finalizer name, so that Subnets move between Kube-OVN and kovn
 * as they are: either controller lets a Subnet the other marked go once it
 * is empty.  Kube-OVN before 1.12 wrote the legacy name; kovn replaces
 * it. */
#define SUBNET_FINALIZER "kubeovn.io/kube-ovn-controller"
#define SUBNET_FINALIZER_LEGACY "kube-ovn-controller"

/* The patch that makes 'obj''s finalizers hold kovn's exactly once ('want')
 * or not at all, the others kept in order.  A merge patch replaces the list
 * whole, so it carries the resourceVersion it was computed from: a
 * finalizer that someone else adds meanwhile makes it fail (409), and the
 * key is tried again. */
struct json *subnet_finalizers_patch(const struct json *obj, bool want);

#endif /* subnet-status.h */
