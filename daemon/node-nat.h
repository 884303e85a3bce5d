/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_NODE_NAT_H
#define KOVN_DAEMON_NODE_NAT_H 1

/* The node's NAT of what pods send out of the cluster: kovn-daemon's side
 * of a Subnet's natOutgoing, natOutgoingPolicyRules and egress address
 * (lib/ovn/subnet-gw.h), in node-services.h's table "inet kovn".  The
 * cluster router brings the traffic to the node (the pod's own node, or a
 * centralized Subnet's gateway node: controller/subnet-gateway.h); here it
 * leaves by the node's own interfaces.
 *
 *   prerouting:   iifname != "ovn0" ip daddr @nat_src4
 *                 ip daddr != @local_pods4 ip saddr != @cluster4
 *                 meta mark set meta mark | MASQ       (and ip6)
 *   postrouting:  (the mark is masqueraded: node-services.h)
 *                 oifname != "ovn0" ip saddr @nat_src4
 *                 ip daddr != @cluster4 jump nat_out   (and ip6)
 *   nat_out:      ip saddr vmap @nat_rules4            (and ip6)
 *                 goto nat_do
 *   natpol/<subnet>: its natOutgoingPolicyRules in order: a match of
 *                 "forward" accepts (no NAT), of "nat" goes to nat_do; the
 *                 end returns to nat_out, which NATs
 *   nat_do:       snat ip to ip saddr map @egress4     (and ip6)
 *                 masquerade
 *
 * The prerouting rule is for a host outside the cluster that routes the pod
 * CIDRs to this node: a pod of a natOutgoing Subnet on another node would
 * answer through its own node (the router sends what it sends out there),
 * which would masquerade the reply; masqueraded here instead, to this
 * node's ovn0 address, the reply comes back the way the request went.  A
 * pod on this node answers through this node: it sees the client's
 * address.  (Kube-OVN does the same with its ipsets.)  Packets the node
 * sends itself do not pass prerouting and keep their source.
 *
 * @nat_src holds the CIDRs of the natOutgoing Subnets; @cluster what is
 * never NATed to (every Subnet, the join network, the Service CIDRs);
 * @local_pods the addresses of this node's pods;
 * @nat_rules maps a Subnet with policy rules to its chain; @egress maps a
 * centralized Subnet whose gatewayNode gives this node an address
 * ("node:IP") to that address.  Only those Subnets have chains; everything
 * else is an element, so one Subnet's change is a few element commands
 * whatever the number of Subnets (bench/bench-node-nat.sh). */

#include <stddef.h>

struct ip_cidr;
struct json;
struct nsvc_chain;
struct nsvc_frag;
struct nsvc_networks;
struct shash;
struct sset;

/* Adds Subnet 'subnet' (of the default VPC, whose CIDRs are the 'n'
 * 'cidrs') to 'nets->nat' if its pods' traffic is NATed, as seen from
 * node 'node'.  'last_good' (Subnet name -> struct json *, the caller's,
 * kept across reads) holds each Subnet's last version whose gateway
 * settings were valid: a Subnet whose settings are refused keeps those
 * (kovn-controller says why on the Subnet, and keeps its router policy
 * too), so that a typo does not cut its traffic. */
void nsvc_nat_add_subnet(struct nsvc_networks *, const struct json *subnet,
                         const struct ip_cidr *cidrs, size_t n,
                         const char *node, struct shash *last_good);

/* Drops from 'last_good' the Subnets not in 'seen' (all if NULL). */
void nsvc_nat_forget(struct shash *last_good, const struct sset *seen);

/* Frees 'nets->nat'. */
void nsvc_nat_subnets_destroy(struct nsvc_networks *);

/* Adds to chain 'prerouting' (which the caller seals) the rule that marks
 * what comes from outside to another node's pod for masquerade. */
void nsvc_nat_prerouting(struct nsvc_chain *prerouting);

/* Adds the NAT of 'nets' to 'f': the rules of chain 'postrouting' (which
 * the caller seals), the chains above and the sets' elements. */
void nsvc_nat_frag(const struct nsvc_networks *,
                   struct nsvc_chain *postrouting, struct nsvc_frag *f);

#endif /* daemon/node-nat.h */
