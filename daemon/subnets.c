/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnets.h"

#include <stdlib.h>
#include <string.h>

#include "ipam/cidr.h"
#include "ovn/ovn-names.h"
#include "util.h"
#include "util/json-util.h"

bool
node_subnet_cidrs(const struct json *subnet, struct ip_cidr *cidrs,
                  size_t *n)
{
    const char *vpc = json_get_string(subnet, "spec.vpc");
    const char *block = json_get_string(subnet, "spec.cidrBlock");
    char *error = block ? cidr_parse_block(block, cidrs, n)
                        : xstrdup("no cidrBlock");
    if (error || (vpc && *vpc && strcmp(vpc, OVN_CLUSTER_ROUTER))) {
        free(error);
        return false;
    }
    return true;
}
