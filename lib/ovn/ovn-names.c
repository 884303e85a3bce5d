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

/* 64 bits of hash of 's', as 16 hex digits: collisions are not a concern at
 * millions of names. */
static char *
name_hash(const char *prefix, const char *s, const char *suffix)
{
    uint32_t h1 = hash_string(s, 0);
    uint32_t h2 = hash_string(s, 0x9e3779b9);
    return xasprintf("%s%08"PRIx32"%08"PRIx32"%s", prefix, h1, h2, suffix);
}

char *
ovn_name_np_port_group(const char *key)
{
    return name_hash("kovn_np_", key, "");
}

char *
ovn_name_np_peer_set(const char *key, int family)
{
    return name_hash("kovn_peer_", key, family == 4 ? "_4" : "_6");
}

char *
ovn_name_np_named_set(const char *policy_key, const char *dir,
                      const char *proto, const char *name, int port,
                      int family)
{
    char *what = xasprintf("%s|%s|%s|%s|%d", policy_key, dir, proto, name,
                           port);
    char *s = name_hash("kovn_npport_", what, family == 4 ? "_4" : "_6");
    free(what);
    return s;
}
