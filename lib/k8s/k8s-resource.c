/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-resource.h"

#include <ctype.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define CORE(VAR, PLURAL, KIND, NAMESPACED)                 \
    const struct k8s_resource VAR = { "", "v1", "v1", PLURAL, \
                                      KIND, NAMESPACED }
#define GROUPED(VAR, GROUP, VERSION, PLURAL, KIND, NAMESPACED)        \
    const struct k8s_resource VAR = { GROUP, VERSION, GROUP "/" VERSION, \
                                      PLURAL, KIND, NAMESPACED }

CORE(k8s_pods, "pods", "Pod", true);
CORE(k8s_nodes, "nodes", "Node", false);
CORE(k8s_namespaces, "namespaces", "Namespace", false);
CORE(k8s_services, "services", "Service", true);
CORE(k8s_events, "events", "Event", true);
GROUPED(k8s_leases, "coordination.k8s.io", "v1", "leases", "Lease", true);
GROUPED(k8s_network_policies, "networking.k8s.io", "v1", "networkpolicies",
        "NetworkPolicy", true);
GROUPED(k8s_endpoint_slices_v1beta1, "discovery.k8s.io", "v1beta1",
        "endpointslices", "EndpointSlice", true);
const struct k8s_resource k8s_endpoint_slices_v1 = {
    "discovery.k8s.io", "v1", "discovery.k8s.io/v1", "endpointslices",
    "EndpointSlice", true, &k8s_endpoint_slices_v1beta1,
};
GROUPED(kubeovn_subnets, "kubeovn.io", "v1", "subnets", "Subnet", false);
GROUPED(kubeovn_ips, "kubeovn.io", "v1", "ips", "IP", false);
GROUPED(kubeovn_vpcs, "kubeovn.io", "v1", "vpcs", "Vpc", false);

/* Appends "/" and 'segment', percent-escaping what a path segment may not
 * hold literally.  Kubernetes names never need it; this keeps a malformed
 * name from changing the path's meaning. */
static void
put_segment(struct ds *path, const char *segment)
{
    ds_put_char(path, '/');
    for (const char *p = segment; *p; p++) {
        unsigned char c = *p;
        if (isalnum(c) || strchr("-._~:@", c)) {
            ds_put_char(path, c);
        } else {
            ds_put_format(path, "%%%02X", c);
        }
    }
}

char *
k8s_resource_path(const struct k8s_resource *res, const char *namespace,
                  const char *name, const char *subresource)
{
    struct ds path = DS_EMPTY_INITIALIZER;

    if (res->group[0]) {
        ds_put_format(&path, "/apis/%s/%s", res->group, res->version);
    } else {
        ds_put_format(&path, "/api/%s", res->version);
    }
    if (res->namespaced && namespace && namespace[0]) {
        ds_put_cstr(&path, "/namespaces");
        put_segment(&path, namespace);
    }
    ds_put_format(&path, "/%s", res->plural);
    if (name) {
        put_segment(&path, name);
        if (subresource) {
            put_segment(&path, subresource);
        }
    }
    return ds_steal_cstr(&path);
}
