/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "deps.h"

#include <string.h>

#include "controller.h"
#include "ip-resource.h"
#include "k8s/k8s-informer.h"
#include "namespace.h"
#include "netpol.h"
#include "netpol/np-policy.h"
#include "netpol/np-selector.h"
#include "gw-liveness.h"
#include "hmapx.h"
#include "node-gateway.h"
#include "objects.h"
#include "openvswitch/json.h"
#include "ovn/subnet-gw.h"
#include "reconciler.h"
#include "sts.h"
#include "svc/svc-model.h"
#include "util.h"
#include "util/json-util.h"

/* A Subnet whose address counts alone changed is looked at again (and its
 * status written) after this delay, so that a burst of pods costs a status
 * write per Subnet and delay, not one per NB transaction, each coming back
 * as an update that would queue the next at once. */
#define SUBNET_STATUS_DELAY_MS 1000

static void
add_all(const struct controller *c, enum controller_input input,
        struct dep_keys *out)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(c, input)) {
        svec_add(&out->keys, o->key);
    }
}

/* ---- the map functions ---- */

/* The object itself. */
static void
map_self(const struct controller *c OVS_UNUSED, const struct dep_event *ev,
         struct dep_keys *out)
{
    svec_add(&out->keys, ev->key);
}

/* The object itself, unless it is gone. */
static void
map_self_unless_deleted(const struct controller *c,
                        const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->new) {
        map_self(c, ev, out);
    }
}

/* A Subnet: itself; every Subnet when it comes, goes or changes its CIDR
 * (overlaps may have come or gone: the younger of two is refused); after a
 * delay when only its status changed (most likely kovn's own write). */
static void
map_subnet_to_subnets(const struct controller *c, const struct dep_event *ev,
                      struct dep_keys *out)
{
    if (!ev->old || !ev->new
        || !obj_same_at(ev->old, ev->new, "spec.cidrBlock")) {
        add_all(c, IN_SUBNETS, out);
        svec_add(&out->keys, ev->key);
    } else if (obj_status_only_change(ev->old, ev->new)) {
        svec_add(&out->keys, ev->key);
        out->delay_ms = SUBNET_STATUS_DELAY_MS;
    } else {
        svec_add(&out->keys, ev->key);
    }
}

/* Its status, after the delay: counts of a burst are written once. */
static void
map_usage_to_subnet(const struct controller *c OVS_UNUSED,
                    const struct dep_event *ev, struct dep_keys *out)
{
    svec_add(&out->keys, ev->key);
    out->delay_ms = SUBNET_STATUS_DELAY_MS;
}

/* The Namespaces Subnet 'name' ('obj', 'other' its other version or NULL)
 * binds: those it lists, or every one for the default Subnet, which binds
 * all that no other Subnet lists. */
static void
add_bound_namespaces(const struct controller *c, const char *name,
                     const struct json *obj, const struct json *other,
                     struct dep_keys *out)
{
    if (!strcmp(name, c->opts.default_subnet)) {
        add_all(c, IN_NAMESPACES, out);
    } else {
        subnet_index_namespaces(obj, &out->keys);
        if (other) {
            subnet_index_namespaces(other, &out->keys);
        }
    }
}

/* A Subnet's spec.namespaces, cidrBlock or excludeIps (what a Namespace's
 * annotations say) changed, or it came or went -> the Namespaces it
 * binds, before and after. */
static void
map_subnet_to_namespaces(const struct controller *c,
                         const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old && ev->new
        && obj_same_at(ev->old, ev->new, "spec.namespaces")
        && obj_same_at(ev->old, ev->new, "spec.cidrBlock")
        && obj_same_at(ev->old, ev->new, "spec.excludeIps")) {
        return;
    }
    add_bound_namespaces(c, ev->key, ev->old ? ev->old : ev->new, ev->new,
                         out);
}

/* A Subnet entered or left the IPAM (became valid, or went) -> the
 * Namespaces it binds. */
static void
map_network_to_namespaces(const struct controller *c,
                          const struct dep_event *ev, struct dep_keys *out)
{
    const struct json *obj = k8s_informer_get(controller_cache(c, IN_SUBNETS),
                                              ev->key);
    if (obj) {
        add_bound_namespaces(c, ev->key, obj, NULL, out);
    }
}

/* Kubelets update their Node often: only what the Node kind reads (our
 * annotations, the addresses) queues it. */
static void
map_node_to_node(const struct controller *c, const struct dep_event *ev,
                 struct dep_keys *out)
{
    if (!ev->old || !ev->new
        || !obj_same_at(ev->old, ev->new, "metadata.annotations")
        || !obj_same_at(ev->old, ev->new, "status.addresses")) {
        map_self(c, ev, out);
    }
}

/* A StatefulSet that shrinks or goes does not re-create its pods from the
 * new size up, so their kept addresses go, as in Kube-OVN: their keys are
 * queued, and the Pod kind releases those whose pods are gone. */
static void
map_sts_to_pods(const struct controller *c OVS_UNUSED,
                const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old) {
        sts_released_pods(ev->old, ev->new, &out->keys);
    }
}

/* An IP resource whose pod is gone (its creation raced with the pod's
 * deletion) is cleaned up at once, not at the next garbage collection. */
static void
map_ip_to_pod(const struct controller *c, const struct dep_event *ev,
              struct dep_keys *out)
{
    char *key = !ev->old && ev->new ? ip_resource_pod_key(ev->new) : NULL;
    if (key && !k8s_informer_get(controller_cache(c, IN_PODS), key)) {
        svec_add(&out->keys, key);
    }
    free(key);
}

/* A pod came, went, moved or got its address -> its node's gateway rows
 * (the address set of its pods). */
static void
map_pod_to_nodes(const struct controller *c OVS_UNUSED,
                 const struct dep_event *ev, struct dep_keys *out)
{
    node_gateway_pod_nodes(ev->old, ev->new, &out->keys);
}

/* An EndpointSlice -> the Service it belongs to, before and after (the
 * label could be edited). */
static void
map_slice_to_service(const struct controller *c OVS_UNUSED,
                     const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old) {
        svc_index_slice_service(ev->old, &out->keys);
    }
    if (ev->new) {
        svc_index_slice_service(ev->new, &out->keys);
    }
}

/* ---- NetworkPolicy ---- */

/* Calls 'cb' for each policy under 'value' of the policy index. */
static void
for_policies_at(const struct controller *c, const char *value,
                void (*cb)(const struct json *policy, const void *aux,
                           struct dep_keys *),
                const void *aux, struct dep_keys *out)
{
    const struct hmapx *set = k8s_informer_index_lookup(
        controller_cache(c, IN_NETWORK_POLICIES), NP_INDEX, value);
    if (set) {
        struct hmapx_node *node;
        HMAPX_FOR_EACH (node, set) {
            const struct k8s_object *o = node->data;
            cb(o->obj, aux, out);
        }
    }
}

/* A policy -> the peer sets it names, before and after. */
static void
map_policy_to_peers(const struct controller *c OVS_UNUSED,
                    const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old) {
        np_policy_peer_keys(ev->old, &out->keys);
    }
    if (ev->new) {
        np_policy_peer_keys(ev->new, &out->keys);
    }
}

/* A pod, and the labels of its namespace. */
struct np_pod_view {
    const struct json *pod;
    const char *ns;
    const struct json *ns_labels;
};

static void
add_policy_if_selects(const struct json *policy, const void *pod_,
                      struct dep_keys *out)
{
    const struct json *pod = pod_;
    if (np_selector_matches(json_get_path(policy, "spec.podSelector"),
                            json_get_path(pod, "metadata.labels"))) {
        char *key = k8s_obj_key(policy);
        svec_add_nocopy(&out->keys, key);
    }
}

static void
add_policy(const struct json *policy, const void *aux OVS_UNUSED,
           struct dep_keys *out)
{
    svec_add_nocopy(&out->keys, k8s_obj_key(policy));
}

static bool
has_named_ports(const struct json *pod)
{
    const struct json *containers = json_get_path(pod, "spec.containers");
    for (size_t i = 0; i < json_array_n(containers); i++) {
        if (json_get_member(json_array(containers)->elems[i], "ports")) {
            return true;
        }
    }
    return false;
}

/* What policies read of a pod changed -> the policies of its namespace
 * that select it (before or after: their port groups), and those whose
 * egress names a port, if it has named ports. */
static void
map_pod_to_policies(const struct controller *c, const struct dep_event *ev,
                    struct dep_keys *out)
{
    if (!np_pod_changed(ev->old, ev->new)) {
        return;
    }
    const struct json *pods[2] = { ev->old, ev->new };
    for (int i = 0; i < 2; i++) {
        const char *ns = pods[i] ? k8s_obj_namespace(pods[i]) : NULL;
        if (ns) {
            for_policies_at(c, ns, add_policy_if_selects, pods[i], out);
            if (has_named_ports(pods[i])) {
                for_policies_at(c, NP_INDEX_EGRESS_NAMED, add_policy, NULL,
                                out);
            }
        }
    }
}

static void
add_pod_peer_keys(const struct json *policy, const void *v_,
                  struct dep_keys *out)
{
    const struct np_pod_view *v = v_;
    np_policy_pod_peer_keys(policy, v->ns, v->ns_labels,
                            json_get_path(v->pod, "metadata.labels"),
                            &out->keys);
}

/* What policies read of a pod changed -> the peer sets that hold it,
 * before or after. */
static void
map_pod_to_peers(const struct controller *c, const struct dep_event *ev,
                 struct dep_keys *out)
{
    if (!np_pod_changed(ev->old, ev->new)) {
        return;
    }
    const struct json *pods[2] = { ev->old, ev->new };
    for (int i = 0; i < 2; i++) {
        const char *ns = pods[i] ? k8s_obj_namespace(pods[i]) : NULL;
        if (ns) {
            struct np_pod_view v = { pods[i], ns,
                                     np_namespace_labels(c, ns) };
            for_policies_at(c, ns, add_pod_peer_keys, &v, out);
            for_policies_at(c, NP_INDEX_NS_SELECTORS, add_pod_peer_keys, &v,
                            out);
        }
    }
}

static void
add_ns_peer_keys(const struct json *policy, const void *labels,
                 struct dep_keys *out)
{
    np_policy_ns_peer_keys(policy, labels, &out->keys);
}

/* A Namespace's labels changed (or it came or went) -> the peer sets that
 * select it by label, before or after. */
static void
map_namespace_to_peers(const struct controller *c,
                       const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old && ev->new
        && obj_same_at(ev->old, ev->new, "metadata.labels")) {
        return;
    }
    const struct json *objs[2] = { ev->old, ev->new };
    for (int i = 0; i < 2; i++) {
        if (objs[i]) {
            for_policies_at(c, NP_INDEX_NS_SELECTORS, add_ns_peer_keys,
                            json_get_path(objs[i], "metadata.labels"), out);
        }
    }
}

/* The Subnets that name node 'node' in spec.gatewayNode. */
static void
add_gateway_subnets(const struct controller *c, const char *node,
                    struct dep_keys *out)
{
    const struct hmapx *set = k8s_informer_index_lookup(
        controller_cache(c, IN_SUBNETS), SUBNET_INDEX_GATEWAY_NODES, node);
    if (set) {
        struct hmapx_node *hn;
        HMAPX_FOR_EACH (hn, set) {
            const struct k8s_object *o = hn->data;
            svec_add(&out->keys, o->key);
        }
    }
}

/* A Node came, went, or changed its readiness or annotations (its join
 * address) -> the Subnets it is a gateway of. */
static void
map_node_to_gateway_subnets(const struct controller *c,
                            const struct dep_event *ev, struct dep_keys *out)
{
    if (ev->old && ev->new
        && gw_node_ready(ev->old) == gw_node_ready(ev->new)
        && obj_same_at(ev->old, ev->new, "metadata.annotations")) {
        return;
    }
    add_gateway_subnets(c, k8s_obj_name(ev->new ? ev->new : ev->old), out);
}

/* A kovn-daemon's Lease came, went, or was renewed after it had run out
 * -> the Subnets its node is a gateway of.  (That it runs out is found by
 * the Subnet looking again then: subnet-gateway.h.) */
static void
map_lease_to_gateway_subnets(const struct controller *c,
                             const struct dep_event *ev, struct dep_keys *out)
{
    const char *node = gw_lease_node(ev->new ? ev->new : ev->old);
    if (node && gw_lease_liveness_changed(ev->old, ev->new)) {
        add_gateway_subnets(c, node, out);
    }
}

/* ---- the table ---- */

const struct dependency dependencies[] = {
    { IN_SUBNETS, KIND_SUBNET, map_subnet_to_subnets,
      "a Subnet -> itself; all Subnets when one comes, goes or moves" },
    { IN_SUBNET_USAGE, KIND_SUBNET, map_usage_to_subnet,
      "addresses used in a Subnet changed -> its status, a second later" },
    { IN_SUBNETS, KIND_NAMESPACE, map_subnet_to_namespaces,
      "a Subnet's namespaces, cidrBlock or excludeIps -> those Namespaces" },
    { IN_SUBNET_NETWORK, KIND_NAMESPACE, map_network_to_namespaces,
      "a Subnet entered or left the IPAM -> the Namespaces it binds" },
    { IN_NAMESPACES, KIND_NAMESPACE, map_self_unless_deleted,
      "a Namespace -> itself (its annotations may have been edited)" },
    { IN_NODES, KIND_NODE, map_node_to_node,
      "a Node's annotations or addresses -> itself" },
    { IN_PODS, KIND_POD, map_self,
      "a Pod -> itself" },
    { IN_PODS, KIND_NODE, map_pod_to_nodes,
      "a Pod comes, goes or gets its address -> its node's pod set" },
    { IN_STATEFULSETS, KIND_POD, map_sts_to_pods,
      "a StatefulSet shrinks or goes -> the pods it no longer re-creates" },
    { IN_IPS, KIND_POD, map_ip_to_pod,
      "an IP resource whose pod is gone -> that pod" },
    { IN_SERVICES, KIND_SERVICE, map_self,
      "a Service -> its load balancers" },
    { IN_ENDPOINTSLICES, KIND_SERVICE, map_slice_to_service,
      "an EndpointSlice -> its Service (label kubernetes.io/service-name)" },
    { IN_NETWORK_POLICIES, KIND_NETPOL, map_self,
      "a NetworkPolicy -> its port group, named-port sets and ACLs" },
    { IN_NETWORK_POLICIES, KIND_NP_PEER, map_policy_to_peers,
      "a NetworkPolicy -> the peer sets it names, before and after" },
    { IN_PODS, KIND_NETPOL, map_pod_to_policies,
      "a Pod's labels, addresses or named ports -> the policies selecting "
      "it, and those with named egress ports" },
    { IN_PODS, KIND_NP_PEER, map_pod_to_peers,
      "a Pod's labels, addresses or named ports -> the peer sets holding "
      "it, before and after" },
    { IN_NAMESPACES, KIND_NP_PEER, map_namespace_to_peers,
      "a Namespace's labels -> the peer sets selecting it by label" },
    { IN_NODES, KIND_SUBNET, map_node_to_gateway_subnets,
      "a Node's readiness or join address -> the Subnets it is a gateway "
      "of" },
    { IN_LEASES, KIND_SUBNET, map_lease_to_gateway_subnets,
      "a kovn-daemon's Lease comes, goes or comes back -> the Subnets its "
      "node is a gateway of" },
};
const size_t n_dependencies = ARRAY_SIZE(dependencies);

static void
run_row(const struct controller *c, const struct dependency *d,
        const struct dep_event *ev, struct dep_keys *out)
{
    svec_init(&out->keys);
    out->delay_ms = 0;
    d->map(c, ev, out);
}

void
deps_dispatch(struct controller *c, const struct dep_event *ev)
{
    for (size_t i = 0; i < n_dependencies; i++) {
        const struct dependency *d = &dependencies[i];
        if (d->input == ev->input) {
            struct dep_keys out;
            run_row(c, d, ev, &out);
            const char *key;
            size_t j;
            SVEC_FOR_EACH (j, key, &out.keys) {
                kind_enqueue(c->kinds[d->kind], key, out.delay_ms);
            }
            svec_destroy(&out.keys);
        }
    }
}

long long int
deps_fan_out(const struct controller *c, const struct dep_event *ev,
             enum kind_id kind, struct svec *keys)
{
    long long int delay_ms = 0;
    for (size_t i = 0; i < n_dependencies; i++) {
        const struct dependency *d = &dependencies[i];
        if (d->input == ev->input && d->kind == kind) {
            struct dep_keys out;
            run_row(c, d, ev, &out);
            svec_append(keys, &out.keys);
            svec_destroy(&out.keys);
            delay_ms = MAX(delay_ms, out.delay_ms);
        }
    }
    return delay_ms;
}
