/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SUBNET_GATEWAY_H
#define KOVN_SUBNET_GATEWAY_H 1

/* Part of the Subnet kind: the Subnet's way out of the cluster
 * (lib/ovn/subnet-gw.h) on the cluster router.
 *
 *   - distributed: nothing of the Subnet's own: its pods' traffic leaves
 *     through their own nodes (node-gateway.h), which masquerade it if
 *     natOutgoing (kovn-daemon's nftables);
 *   - centralized: policy NB_POLICY_REROUTE_CENTRALIZED
 *     "ip4.src == <cidr>" (and ip6) reroute to the join addresses of its
 *     live gateway nodes (gw-liveness.h): the first live one in
 *     spec.gatewayNode's order (active-standby, so the preferred node takes
 *     the traffic back once it is live again), or every live one with
 *     enableEcmp.  With none live the policy goes, and the Subnet's pods
 *     leave through their own nodes until one is back; the condition says
 *     so.  The rows carry vendor=kovn gateway=<subnet>.
 *
 * Status: activateGateway (the active node(s), comma-separated; "" when
 * distributed or none is live) and condition GatewayReady: True, or False
 * with reason InvalidGateway (the spec is refused: the router keeps what
 * it had, and a Warning Event says why) or NoGatewayAlive. */

struct controller;
struct json;
struct network_spec;
struct ovn_txn;
struct subnet_status;

/* Adds to 't' what Subnet 'obj' (whose networks are 'spec') needs, and
 * fills in the gateway part of 'st'.  Returns in how many ms the Subnet
 * must be looked at again (a live gateway's Lease runs out then unless
 * renewed), or 0. */
long long int subnet_gateway_ensure(struct controller *, struct ovn_txn *,
                                    const struct json *obj,
                                    const struct network_spec *spec,
                                    struct subnet_status *st);

/* Adds to 't' the removal of Subnet 'name''s gateway rows. */
void subnet_gateway_remove(struct controller *, struct ovn_txn *,
                           const char *name);

#endif /* subnet-gateway.h */
