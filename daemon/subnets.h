/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_SUBNETS_H
#define KOVN_DAEMON_SUBNETS_H 1

/* What kovn-daemon reads of a Subnet, shared by the node set-up (ovn0's
 * routes) and the nftables table (what is not masqueraded).  Pure. */

#include <stdbool.h>
#include <stddef.h>

struct ip_cidr;
struct json;

/* The CIDRs of 'subnet' (1 or 2, in 'cidrs', room for 2) if it is a valid
 * Subnet of the default VPC, the networks of the cluster router; else
 * false. */
bool node_subnet_cidrs(const struct json *subnet, struct ip_cidr *cidrs,
                       size_t *n);

#endif /* daemon/subnets.h */
