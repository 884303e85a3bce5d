/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OVN_OWNER_H
#define KOVN_OVN_OWNER_H 1

/* Which NB rows are kovn's.
 *
 * Every row kovn creates carries external_ids:vendor=kovn plus keys naming
 * the Kubernetes object it exists for.  The NB may be shared with another
 * cloud management system (e.g. OpenStack Neutron), so kovn never changes
 * or deletes a row unless ovn_owner_is_kovn() says it is its own, and the
 * garbage collector finds what to delete by its owner keys.
 *
 * The helpers work on a row's external_ids column, a 'struct smap'
 * (&lsp->external_ids); they neither allocate nor keep pointers. */

#include <stdbool.h>
#include <stddef.h>
#include "smap.h"

#define OVN_OWNER_VENDOR_KEY "vendor"
#define OVN_OWNER_VENDOR     "kovn"

/* Owner keys: the value names the object the row exists for. */
#define OVN_OWNER_POD        "pod"        /* "namespace/name" of the pod. */
#define OVN_OWNER_NAMESPACE  "namespace"  /* Namespace of the pod, np... */
#define OVN_OWNER_SUBNET     "subnet"     /* Subnet (logical switch). */
#define OVN_OWNER_VPC        "vpc"        /* Vpc (logical router). */
#define OVN_OWNER_NP         "np"         /* NetworkPolicy name. */
#define OVN_OWNER_NODE       "node"       /* Node name. */
#define OVN_OWNER_SERVICE    "service"    /* Service name. */
#define OVN_OWNER_GATEWAY    "gateway"    /* Subnet whose way out it is. */

/* The IPAM's owners use the same keys: "pod/<namespace>/<name>",
 * "node/<name>".  ovn_owner_ipam() returns one (the caller frees it);
 * ovn_owner_ipam_parse() returns the value of an IPAM owner whose key is
 * 'key' (a pointer into 'owner'), else NULL. */
char *ovn_owner_ipam(const char *key, const char *value);
const char *ovn_owner_ipam_parse(const char *owner, const char *key);

/* Replaces 'ids' content by vendor=kovn and the KEY, VALUE pairs that
 * follow, up to a NULL KEY:
 *
 *     ovn_owner_init(&ids, OVN_OWNER_POD, "default/web-0",
 *                    OVN_OWNER_NAMESPACE, "default", NULL);
 *
 * 'ids' must be initialized; the caller destroys it. */
void ovn_owner_init(struct smap *ids, ...) __attribute__((__sentinel__));

/* Adds (or overwrites) vendor=kovn in 'ids', keeping its other keys. */
void ovn_owner_stamp(struct smap *ids);

/* True if 'ids' (NULL counts as empty) has vendor=kovn. */
bool ovn_owner_is_kovn(const struct smap *ids);

/* 'ids''s value for 'key' if the row is kovn's and has that key, else NULL:
 * a foreign row never has a kovn owner. */
const char *ovn_owner_get(const struct smap *ids, const char *key);

/* True if the row is kovn's and its 'key' is 'value'. */
bool ovn_owner_matches(const struct smap *ids, const char *key,
                       const char *value);

#endif /* lib/ovn/ovn-owner.h */
