/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "registry.h"

#include "gw-liveness.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "namespace.h"
#include "netpol.h"
#include "netpol/np-policy.h"
#include "node.h"
#include "ovn/subnet-gw.h"
#include "node-gateway.h"
#include "pod-obj.h"
#include "pod.h"
#include "reconciler.h"
#include "service.h"
#include "sts.h"
#include "subnet.h"
#include "svc/svc-model.h"

/* One informer per resource, whichever kinds read it.  Transforms drop what
 * no kind reads, to save memory at scale. */
const struct informer_spec informer_specs[N_INFORMERS] = {
    [IN_SUBNETS] = { "subnets", &kubeovn_subnets, NULL, NULL,
                     { { SUBNET_INDEX_NAMESPACES, subnet_index_namespaces },
                       { SUBNET_INDEX_GATEWAY_NODES,
                         subnet_gw_index_nodes } } },
    [IN_NAMESPACES] = { "namespaces", &k8s_namespaces, NULL },
    [IN_NODES] = { "nodes", &k8s_nodes, node_transform },
    [IN_PODS] = { "pods", &k8s_pods, pod_transform, NULL,
                  { { NODE_INDEX_PODS, k8s_index_by_node },
                    { POD_INDEX_NAMESPACE, k8s_index_by_namespace } } },
    [IN_IPS] = { "ips", &kubeovn_ips, NULL },
    [IN_STATEFULSETS] = { "statefulsets", &k8s_statefulsets, NULL },
    [IN_SERVICES] = { "services", &k8s_services, NULL },
    [IN_ENDPOINTSLICES] = { "endpointslices", &k8s_endpoint_slices_v1, NULL,
                            NULL, { { SERVICE_INDEX_SLICES,
                                svc_index_slice_service } } },
    [IN_NETWORK_POLICIES] = { "networkpolicies", &k8s_network_policies,
                              NULL, NULL, { { NP_INDEX, np_policy_index },
                                      { NP_PEER_INDEX,
                                        np_policy_peer_keys } } },
    [IN_LEASES] = { "leases", &k8s_leases, gw_lease_transform,
                    SUBNET_GW_LEASE_NAMESPACE },
};

/* The kinds, in the order a pass runs them. */
const struct kind_class *const kind_classes[N_KINDS] = {
    [KIND_SUBNET] = &subnet_class,
    [KIND_NAMESPACE] = &namespace_class,
    [KIND_NODE] = &node_class,
    [KIND_POD] = &pod_class,
    [KIND_SERVICE] = &service_class,
    [KIND_NP_PEER] = &np_peer_class,
    [KIND_NETPOL] = &netpol_class,
};

const char *
controller_input_name(enum controller_input input)
{
    if (input < N_INFORMERS) {
        return informer_specs[input].name;
    }
    switch (input) {
    case IN_SUBNET_USAGE: return "subnet-usage";
    case IN_SUBNET_NETWORK: return "subnet-network";
    default: return "unknown";
    }
}
