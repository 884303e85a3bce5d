/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NP_ACL_H
#define KOVN_NP_ACL_H 1

/* The OVN ACLs of one NetworkPolicy (np-policy.h): a pure function of the
 * policy, its named ports' numbers and the cluster's node networks.
 *
 * They hang on the policy's port group (@pg: its selected pods' ports),
 * one drop and the allows per direction the policy affects:
 *
 *   to-lport   (ingress, after load balancing by nature)
 *     2000  outport == @pg && ip                                 drop
 *     2001  outport == @pg && ip4.src == <node network>          allow-related
 *     2001  outport == @pg && <from> && <port>                   allow-related
 *   from-lport (egress, options:apply-after-lb=true, so that a rule
 *               allowing a backend allows its Service's ClusterIP)
 *     2000  inport == @pg && ip                                  drop
 *     2001  inport == @pg && <to> && <port>                      allow-related
 *
 * with, in both directions, IPv6 neighbour discovery always allowed.  A
 * rule is one ACL per (peer, port) pair: <from> / <to> is
 * "ip4.src == {$peer_4, ...}" for the rule's pod peers together, or
 * "ip4.src == CIDR && ip4.src != {EXCEPT...}" for each ipBlock (each with
 * its own except list); <port> is "tcp.dst == N", a range
 * "tcp.dst >= N && tcp.dst <= M", "tcp" for every port, or, for a named
 * port, "ip4.dst == $named && tcp.dst == N" for each number N the name has
 * on some destination pod ($named holds those pods).  Several policies on
 * one pod are a union: any allow beats every drop.  Replies pass by
 * conntrack (allow-related).  The node's own traffic to the pod (kubelet
 * probes) comes from the node network (kovn's join subnet), and is always
 * allowed.  No ACL tiers: OVN 23.03 has none.  The priorities are
 * Kube-OVN's, above Subnet isolation (1000/1001, subnet-acl.h), so that a
 * policy decides for the pods it selects, and users' Subnet spec.acls
 * compare with them as they did under Kube-OVN.
 *
 * Ownership: np_acls_build() fills an array the caller frees with
 * np_acls_destroy(). */

#include <stdbool.h>
#include <stddef.h>
#include "netpol/np-policy.h"

#define NP_PRIORITY_DROP  2000
#define NP_PRIORITY_ALLOW 2001

struct np_acl {
    enum np_dir dir;
    int priority;
    char *match;
    const char *action;             /* "drop", "allow-related", "allow". */
    bool log;
};

/* One number of a named port, on some destination pod. */
struct np_named_port {
    enum np_dir dir;
    enum np_proto proto;
    const char *name;
    int port;
};

struct np_acl_input {
    const struct np_policy *policy;
    const char *port_group;
    bool families[2];               /* [0]: IPv4, [1]: IPv6 in use. */
    const char *node_cidrs[2];      /* Node network per family, or NULL. */
    const struct np_named_port *named;
    size_t n_named;
};

struct np_acls {
    struct np_acl *acls;
    size_t n;
};

void np_acls_build(const struct np_acl_input *, struct np_acls *);
void np_acls_destroy(struct np_acls *);

#endif /* np-acl.h */
