/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OVN_NAMES_H
#define KOVN_OVN_NAMES_H 1

/* Names of the NB rows kovn creates, the same as Kube-OVN's so that an
 * existing Kube-OVN deployment's NB means the same thing to kovn.
 *
 * Ownership: every function returns a new string that the caller frees
 * with free(). */

#define OVN_CLUSTER_ROUTER  "ovn-cluster"   /* The default VPC's router. */
#define OVN_DEFAULT_SWITCH  "ovn-default"   /* The default subnet. */
#define OVN_JOIN_SWITCH     "join"          /* Nodes <-> cluster router. */
#define OVN_NODE_IFACE      "ovn0"          /* A node port's interface. */

/* The default VPC's Services' load balancers are spread over
 * OVN_SERVICES_LB_GROUPS Load_Balancer_Groups, "kovn-cluster-services-00"
 * to "-15", each attached to every switch of the VPC (kovn's own names:
 * Kube-OVN has no group).  Why several: adding a member to a group makes
 * every IDL client re-link the group's whole load_balancer set, a cost in
 * proportion to its size, so that one group of N Services costs O(N) per
 * Service added (bench/RESULTS.md). */
#define OVN_SERVICES_LB_GROUPS 16

/* The single group of earlier kovn versions, retired when found. */
#define OVN_SERVICES_LB_GROUP_V1 "kovn-cluster-services"

/* Group 'i' (< OVN_SERVICES_LB_GROUPS): "kovn-cluster-services-07". */
char *ovn_name_services_lb_group(unsigned int i);

/* The group (index) of the load balancers of Service 'key' ("ns/name"):
 * fixed by the key alone. */
unsigned int ovn_services_lb_group_of(const char *key);

/* Router port linking 'router' to 'sw': "ovn-cluster-ovn-default". */
char *ovn_name_router_port(const char *router, const char *sw);

/* Switch port linking 'sw' to 'router': "ovn-default-ovn-cluster". */
char *ovn_name_switch_port(const char *sw, const char *router);

/* A pod's switch port: "<pod>.<namespace>". */
char *ovn_name_pod_port(const char *pod, const char *namespace);

/* A node's port on the join switch: "node-<node>". */
char *ovn_name_node_port(const char *node);

/* NetworkPolicy rows.  OVN names port groups and address sets in ACL
 * matches ("@pg", "$as"), where a name is an identifier (letters, digits,
 * '_'), so kovn's are a prefix and a 64-bit hash of what they stand for;
 * their external_ids say it in full.
 *
 *   kovn_np_<hash>             port group of policy 'key' ("ns/name"), and
 *                              its log meter;
 *   kovn_peer_<hash>_<4|6>     peer set 'key' (np-policy.h), one family;
 *   kovn_npport_<hash>_<4|6>   the pods on which a named port of a policy
 *                              has one number. */
char *ovn_name_np_port_group(const char *key);
char *ovn_name_np_peer_set(const char *key, int family);
char *ovn_name_np_named_set(const char *policy_key, const char *dir,
                            const char *proto, const char *name, int port,
                            int family);

#endif /* lib/ovn/ovn-names.h */
