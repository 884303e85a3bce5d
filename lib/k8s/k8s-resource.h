/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_RESOURCE_H
#define KOVN_K8S_RESOURCE_H 1

/* A kind of Kubernetes resource, core or custom, and the REST paths to it. */

#include <stdbool.h>

struct k8s_resource {
    const char *group;          /* "" for the core group. */
    const char *version;        /* "v1", "v1beta1". */
    const char *api_version;    /* "v1" or "group/version", as in objects. */
    const char *plural;         /* "pods", "subnets". */
    const char *kind;           /* "Pod", "Subnet". */
    bool namespaced;

    /* What a server that does not serve this version (404 on a list) serves
     * instead, or NULL: informers fall back to it. */
    const struct k8s_resource *older;
};

extern const struct k8s_resource k8s_pods;
extern const struct k8s_resource k8s_nodes;
extern const struct k8s_resource k8s_namespaces;
extern const struct k8s_resource k8s_services;
extern const struct k8s_resource k8s_events;
extern const struct k8s_resource k8s_leases;
extern const struct k8s_resource k8s_network_policies;
/* discovery.k8s.io/v1, falling back to v1beta1 (a 1.20 apiserver). */
extern const struct k8s_resource k8s_endpoint_slices_v1;
extern const struct k8s_resource k8s_endpoint_slices_v1beta1;
extern const struct k8s_resource kubeovn_subnets;
extern const struct k8s_resource kubeovn_ips;
extern const struct k8s_resource kubeovn_vpcs;

/* Returns the path of a collection ('name' NULL) or of one object, with an
 * optional 'subresource' ("status"), e.g.
 * "/apis/kubeovn.io/v1/subnets/s1/status" or "/api/v1/namespaces/ns/pods".
 * 'namespace' is ignored for cluster-scoped resources; NULL or "" for a
 * namespaced resource means all namespaces (lists and watches only).
 * Path segments are percent-escaped.  The caller frees the result. */
char *k8s_resource_path(const struct k8s_resource *, const char *namespace,
                        const char *name, const char *subresource);

#endif /* k8s-resource.h */
