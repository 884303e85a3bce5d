/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ovn/ovn-names.h"

#include "hash.h"
#include "util.h"

char *
ovn_name_services_lb_group(unsigned int i)
{
    return xasprintf("%s-%02u", OVN_SERVICES_LB_GROUP_V1, i);
}

unsigned int
ovn_services_lb_group_of(const char *key)
{
    return hash_string(key, 0) % OVN_SERVICES_LB_GROUPS;
}

char *
ovn_name_router_port(const char *router, const char *sw)
{
    return xasprintf("%s-%s", router, sw);
}

char *
ovn_name_switch_port(const char *sw, const char *router)
{
    return xasprintf("%s-%s", sw, router);
}

char *
ovn_name_pod_port(const char *pod, const char *namespace)
{
    return xasprintf("%s.%s", pod, namespace);
}

char *
ovn_name_node_port(const char *node)
{
    return xasprintf("node-%s", node);
}
