/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "namespace.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(namespace);

#define ANN_LOGICAL_SWITCH "ovn.kubernetes.io/logical_switch"
#define ANN_CIDR           "ovn.kubernetes.io/cidr"
#define ANN_EXCLUDE_IPS    "ovn.kubernetes.io/exclude_ips"

/* Namespaces per main-loop pass: a resync of thousands does not hold up
 * the rest of the loop. */
#define NAMESPACE_BATCH 500

struct namespace_ctl {
    struct controller *c;
    struct k8s_workqueue *queue;
};

struct namespace_ctl *
namespace_create(struct controller *c)
{
    struct namespace_ctl *ns = xzalloc(sizeof *ns);
    ns->c = c;
    ns->queue = k8s_workqueue_create("namespace", 0, 0);
    return ns;
}

void
namespace_destroy(struct namespace_ctl *ns)
{
    if (ns) {
        k8s_workqueue_destroy(ns->queue);
        free(ns);
    }
}

static void
on_add(const struct json *obj, void *ns_)
{
    struct namespace_ctl *ns = ns_;
    k8s_workqueue_add(ns->queue, k8s_obj_name(obj));
}

static void
on_update(const struct json *old OVS_UNUSED, const struct json *new,
          void *ns_)
{
    on_add(new, ns_);           /* Someone may have changed our annotations. */
}

const struct k8s_informer_handlers namespace_informer_handlers = {
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = NULL,          /* Nothing of a Namespace's to clean up. */
};

void
namespace_enqueue_all(struct namespace_ctl *ns)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->c->namespaces) {
        k8s_workqueue_add(ns->queue, o->key);
    }
}

static bool
lists_namespace(const struct json *subnet, const char *name)
{
    const struct json *list = json_get_path(subnet, "spec.namespaces");
    if (list && list->type == JSON_ARRAY) {
        for (size_t i = 0; i < list->array.n; i++) {
            const struct json *e = list->array.elems[i];
            if (e->type == JSON_STRING && !strcmp(json_string(e), name)) {
                return true;
            }
        }
    }
    return false;
}

/* The Subnet that Namespace 'name' belongs to, or NULL if none is valid. */
static const struct json *
subnet_for(struct namespace_ctl *ns, const char *name)
{
    const struct json *best = NULL;
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->c->subnets) {
        if (ipam_subnet_find(ns->c->ipam, o->key)
            && lists_namespace(o->obj, name)
            && (!best || strcmp(o->key, k8s_obj_name(best)) < 0)) {
            best = o->obj;
        }
    }
    if (!best && ipam_subnet_find(ns->c->ipam, ns->c->opts.default_subnet)) {
        best = k8s_informer_get(ns->c->subnets, ns->c->opts.default_subnet);
    }
    return best;
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

/* Adds 'key' = 'value' to 'anns' if the Namespace says otherwise. */
static void
want(struct json *anns, const struct json *obj, const char *key,
     const char *value)
{
    const char *have = k8s_obj_annotation(obj, key);
    if (!have || strcmp(have, value)) {
        json_object_put_string(anns, key, value);
    }
}

static void
reconcile(struct namespace_ctl *ns, const char *name)
{
    const struct json *obj = k8s_informer_get(ns->c->namespaces, name);
    if (!obj) {
        return;
    }
    const struct json *subnet = subnet_for(ns, name);
    if (!subnet) {
        return;                 /* Queued again when a Subnet is ready. */
    }

    const char *block = json_get_string(subnet, "spec.cidrBlock");
    char *excludes = join_excludes(subnet);
    struct json *anns = json_object_create();
    want(anns, obj, ANN_LOGICAL_SWITCH, k8s_obj_name(subnet));
    want(anns, obj, ANN_CIDR, block ? block : "");
    want(anns, obj, ANN_EXCLUDE_IPS, excludes);
    free(excludes);

    if (shash_is_empty(json_object(anns))) {
        json_destroy(anns);
        return;
    }
    VLOG_DBG("binding namespace %s to subnet %s", name,
             k8s_obj_name(subnet));
    struct json *patch = json_object_create();
    json_put_path(patch, "metadata.annotations", anns);
    char *path = k8s_resource_path(&k8s_namespaces, NULL, name, NULL);
    api_write(ns->c, K8S_PATCH_MERGE, path, patch, ns->queue, name);
    free(path);
    json_destroy(patch);
}

void
namespace_run(struct namespace_ctl *ns)
{
    for (int i = 0; i < NAMESPACE_BATCH; i++) {
        const char *key = k8s_workqueue_get(ns->queue);
        if (!key) {
            break;
        }
        reconcile(ns, key);
        k8s_workqueue_done(ns->queue, key);
    }
}

void
namespace_wait(struct namespace_ctl *ns)
{
    k8s_workqueue_wait(ns->queue);
}
