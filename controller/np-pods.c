/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "netpol.h"

#include <string.h>

#include "controller.h"
#include "hmapx.h"
#include "nb/nb-index.h"
#include "netpol/np-policy.h"
#include "netpol/np-selector.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "k8s/k8s-informer.h"
#include "objects.h"
#include "openvswitch/json.h"
#include "ovn/ovn-annotations.h"
#include "pod-obj.h"
#include "sset.h"
#include "util.h"
#include "util/json-util.h"

static void
add_address(const char *s, struct sset *v4, struct sset *v6)
{
    if (strchr(s, ':')) {
        sset_add(v6, s);
    } else if (*s) {
        sset_add(v4, s);
    }
}

bool
np_pod_addresses(const struct json *pod, struct sset *v4, struct sset *v6)
{
    size_t n = sset_count(v4) + sset_count(v6);
    bool host = false;
    json_get_bool(pod, "spec.hostNetwork", &host);
    if (pod_finished(pod)) {
        return false;
    }
    if (host) {
        const char *ip = json_get_string(pod, "status.hostIP");
        if (ip) {
            add_address(ip, v4, v6);
        }
    } else if (pod_allocated(pod)) {
        const char *ips = k8s_obj_annotation(pod, OVN_ANN_IP_ADDRESS);
        char *copy = xstrdup(ips ? ips : "");
        char *save = NULL;
        for (char *ip = strtok_r(copy, ",", &save); ip;
             ip = strtok_r(NULL, ",", &save)) {
            add_address(ip, v4, v6);
        }
        free(copy);
    }
    return sset_count(v4) + sset_count(v6) > n;
}

const struct json *
np_namespace_labels(const struct controller *c, const char *ns)
{
    const struct json *obj = k8s_informer_get(
        controller_cache(c, IN_NAMESPACES), ns);
    return json_get_path(obj, "metadata.labels");
}

static bool
same_annotation(const struct json *a, const struct json *b, const char *key)
{
    return obj_str_eq(k8s_obj_annotation(a, key), k8s_obj_annotation(b, key));
}

bool
np_pod_changed(const struct json *old, const struct json *new)
{
    if (!old || !new) {
        return true;
    }
    return (!obj_same_at(old, new, "metadata.labels")
            || !same_annotation(old, new, OVN_ANN_IP_ADDRESS)
            || !same_annotation(old, new, OVN_ANN_ALLOCATED)
            || !obj_same_at(old, new, "status.hostIP")
            || !obj_same_at(old, new, "spec.containers")
            || pod_finished(old) != pod_finished(new));
}

void
np_pod_join_port_groups(struct controller *c, const struct json *pod,
                        const struct nbrec_logical_switch_port *lsp)
{
    const char *ns = k8s_obj_namespace(pod);
    const struct hmapx *policies = k8s_informer_index_lookup(
        controller_cache(c, IN_NETWORK_POLICIES), NP_INDEX, ns ? ns : "");
    if (!policies) {
        return;
    }
    const struct json *labels = json_get_path(pod, "metadata.labels");
    struct hmapx_node *node;
    HMAPX_FOR_EACH (node, policies) {
        const struct k8s_object *o = node->data;
        if (!np_selector_matches(json_get_path(o->obj, "spec.podSelector"),
                                 labels)) {
            continue;
        }
        char *name = ovn_name_np_port_group(o->key);
        const struct nbrec_port_group *pg = nb_find_port_group(c->nbi, name);
        if (pg && ovn_owner_is_kovn(&pg->external_ids)) {
            nbrec_port_group_update_ports_addvalue(pg, lsp);
        }
        free(name);
    }
}
