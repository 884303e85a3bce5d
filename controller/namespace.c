/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "namespace.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "objects.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn/ovn-annotations.h"
#include "reconciler.h"
#include "hmapx.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(namespace);

void
subnet_index_namespaces(const struct json *subnet, struct svec *values)
{
    const struct json *list = json_get_path(subnet, "spec.namespaces");
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < list->array.n; i++) {
        const struct json *e = list->array.elems[i];
        if (e->type == JSON_STRING) {
            svec_add(values, json_string(e));
        }
    }
}

/* The Subnet that Namespace 'name' belongs to, or NULL if none is valid:
 * the first by name of the valid Subnets that list it, else the default
 * one. */
static const struct json *
namespace_subnet(const struct controller *c, const char *name)
{
    struct k8s_informer *subnets = controller_cache(c, IN_SUBNETS);
    const struct hmapx *listing = k8s_informer_index_lookup(
        subnets, SUBNET_INDEX_NAMESPACES, name);
    const struct k8s_object *best = NULL;
    const struct hmapx_node *node;
    if (listing) {
        HMAPX_FOR_EACH (node, listing) {
            const struct k8s_object *o = node->data;
            if (ipam_subnet_find(c->ipam, o->key)
                && (!best || strcmp(o->key, best->key) < 0)) {
                best = o;
            }
        }
    }
    if (best) {
        return best->obj;
    }
    return ipam_subnet_find(c->ipam, c->opts.default_subnet)
           ? k8s_informer_get(subnets, c->opts.default_subnet) : NULL;
}

static char *
join_excludes(const struct json *subnet)
{
    const struct json *list = json_get_path(subnet, "spec.excludeIps");
    struct ds s = DS_EMPTY_INITIALIZER;
    if (list && list->type == JSON_ARRAY) {
        for (size_t i = 0; i < list->array.n; i++) {
            const struct json *e = list->array.elems[i];
            if (e->type == JSON_STRING) {
                ds_put_format(&s, "%s%s", i ? "," : "", json_string(e));
            }
        }
    }
    return ds_steal_cstr(&s);
}

static void
namespace_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(k->c, IN_NAMESPACES)) {
        kind_enqueue(k, o->key, 0);
    }
}

static enum reconcile_result
namespace_reconcile(struct kind *k, const char *name,
                    struct ovn_txn *t OVS_UNUSED, struct kind_work *w)
{
    const struct json *obj = k8s_informer_get(
        controller_cache(k->c, IN_NAMESPACES), name);
    const struct json *subnet = obj ? namespace_subnet(k->c, name) : NULL;
    if (!subnet) {
        /* Gone, or no valid Subnet yet: one entering the IPAM queues its
         * Namespaces again (deps.c). */
        return RECONCILE_SETTLED;
    }

    const char *block = json_get_string(subnet, "spec.cidrBlock");
    char *excludes = join_excludes(subnet);
    struct json *anns = json_object_create();
    obj_want_annotation(anns, obj, OVN_ANN_LOGICAL_SWITCH,
                        k8s_obj_name(subnet));
    obj_want_annotation(anns, obj, OVN_ANN_CIDR, block ? block : "");
    obj_want_annotation(anns, obj, OVN_ANN_EXCLUDE_IPS, excludes);
    free(excludes);

    struct json *patch = obj_annotations_patch(anns);
    if (patch) {
        VLOG_DBG("binding namespace %s to subnet %s", name,
                 k8s_obj_name(subnet));
        kind_work_write(w, K8S_PATCH_MERGE,
                        k8s_resource_path(&k8s_namespaces, NULL, name, NULL),
                        patch, false);
    }
    return RECONCILE_SETTLED;
}

const struct kind_class namespace_class = {
    .name = "namespace",
    .phase = PHASE_RUNNING,
    /* A resync of thousands does not hold up the rest of the loop. */
    .batch = 500,
    .enqueue_all = namespace_enqueue_all,
    .reconcile = namespace_reconcile,
};
