/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_ACL_H
#define KOVN_SUBNET_ACL_H 1

/* A Subnet's ACLs on its logical switch, Kube-OVN's fields:
 *
 *   spec.private, spec.allowSubnets   isolation of the Subnet's pods: only
 *       the Subnet itself, the listed CIDRs and the nodes (kovn's join
 *       network) reach them.  to-lport, per family of the Subnet:
 *         1000  ip4.dst == CIDR                            drop
 *         1001  ip4.src == {CIDR, ALLOWED..., JOIN} && ip4.dst == CIDR
 *                                                          allow-related
 *       (and IPv6 neighbour discovery always allowed).  NetworkPolicy's
 *       ACLs (2000/2001, np-acl.h) come first for the pods they select.
 *   spec.acls[]   {direction, priority, match, action}: written as given.
 *
 * An entry kovn refuses (a direction, action or priority OVN does not
 * have, an empty or unbalanced match, an allowSubnets entry that is not a
 * CIDR) makes the whole set refused: the switch keeps the ACLs it has, and
 * the caller says why (condition, Event, log).  OVN parses the match
 * itself: a match that passes these checks and OVN refuses is logged by
 * ovn-northd.
 *
 * Ownership: subnet_acls_build() fills specs whose strings the caller
 * frees with subnet_acls_destroy(). */

#include <stddef.h>
#include "nb/nb-acl.h"
#include "svec.h"

struct ip_cidr;
struct json;

struct subnet_acls {
    struct nb_acl_spec *specs;
    size_t n;
    bool any;                   /* The Subnet asks for isolation or ACLs. */
    struct svec strings;        /* What 'specs' point to. */
};

#define SUBNET_ACL_PRIORITY_DROP  1000
#define SUBNET_ACL_PRIORITY_ALLOW 1001

/* The ACLs of Subnet 'obj' whose CIDRs are 'cidrs'; 'join' is the node
 * network.  Returns NULL, or why they are refused (the caller frees it). */
char *subnet_acls_build(const struct json *obj, const struct ip_cidr *cidrs,
                        size_t n_cidrs, const struct ip_cidr *join,
                        struct subnet_acls *out);
void subnet_acls_destroy(struct subnet_acls *);

#endif /* subnet-acl.h */
