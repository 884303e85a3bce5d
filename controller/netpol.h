/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NETPOL_H
#define KOVN_NETPOL_H 1

/* NetworkPolicy in OVN: two kinds and what they share.
 *
 *   np_peer_class (np-peer.c)   a peer set's key (np-policy.h) -> its
 *       address sets kovn_peer_<hash>_4/_6: the addresses of the pods it
 *       selects, changed by element; gone when no policy names it.
 *   netpol_class (netpol.c)     a policy "ns/name" -> its port group (the
 *       selected pods' ports), the address sets of its named ports, its log
 *       meter and its ACLs (np-acl.h).
 *
 * The peer kind runs first in a pass, so a new policy's ACLs and the sets
 * they name go to NB in one transaction.  What queues which key is in
 * deps.c.  Both read pods through the helpers below. */

#include <stdbool.h>

struct controller;
struct json;
struct nbrec_logical_switch_port;
struct sset;

extern const struct kind_class np_peer_class;
extern const struct kind_class netpol_class;

/* The index of the Pod cache by namespace. */
#define POD_INDEX_NAMESPACE "namespace"

/* The owner key of kovn's peer sets (its value: the set's key). */
#define OVN_OWNER_NP_PEER "np-peer"

/* Adds the addresses by which policies know 'pod' to 'v4' and 'v6': its
 * own once kovn has allocated them, its node's for a hostNetwork pod;
 * none for a pod that has finished or has none yet.  Returns true if it
 * added any. */
bool np_pod_addresses(const struct json *pod, struct sset *v4,
                      struct sset *v6);

/* The labels of Namespace 'ns' (NULL if it has none or is not known). */
const struct json *np_namespace_labels(const struct controller *,
                                       const char *ns);

/* True if what policies read of a pod differs between 'old' and 'new'
 * (either may be NULL): labels, addresses, named ports. */
bool np_pod_changed(const struct json *old, const struct json *new);

/* Adds 'lsp', the port the open transaction creates for 'pod', to the
 * port groups of the policies that select the pod, so that a new pod is
 * never on the network without the policies that apply to it.  The
 * policy kind makes the groups right again anyway; this closes the window
 * until it runs.  For the Pod kind. */
void np_pod_join_port_groups(struct controller *, const struct json *pod,
                             const struct nbrec_logical_switch_port *lsp);

#endif /* netpol.h */
