/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "gw-liveness.h"

#include <string.h>

#include "controller.h"
#include "k8s/k8s-informer.h"
#include "openvswitch/json.h"
#include "ovn/ovn-annotations.h"
#include "ovn/subnet-gw.h"
#include "registry.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

/* Where the transform keeps the local time a version arrived. */
#define OBSERVED_KEY "kovnObservedMs"

void
gw_lease_transform(struct json *lease)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata",
                                       "spec" };
    json_object_keep(lease, top, ARRAY_SIZE(top));
    json_object_put(lease, OBSERVED_KEY, json_integer_create(time_msec()));
}

const char *
gw_lease_node(const struct json *lease)
{
    const char *name = k8s_obj_name(lease);
    size_t n = strlen(SUBNET_GW_LEASE_PREFIX);
    return (name && !strncmp(name, SUBNET_GW_LEASE_PREFIX, n) && name[n]
            ? name + n : NULL);
}

long long int
gw_lease_expiry(const struct json *lease)
{
    int64_t observed, duration_s;
    if (!json_get_int(lease, OBSERVED_KEY, &observed)
        || !json_get_int(lease, "spec.leaseDurationSeconds", &duration_s)
        || !json_get_string(lease, "spec.renewTime")) {
        return LLONG_MIN;
    }
    return observed + duration_s * 1000;
}

bool
gw_lease_liveness_changed(const struct json *old, const struct json *new)
{
    if (!old || !new) {
        return true;
    }
    int64_t observed;
    return (!json_get_int(new, OBSERVED_KEY, &observed)
            || gw_lease_expiry(old) <= observed);
}

bool
gw_node_ready(const struct json *node)
{
    const struct json *conds = json_get_array(node, "status.conditions");
    for (size_t i = 0; i < json_array_n(conds); i++) {
        const struct json *c = conds->array.elems[i];
        const char *type = json_get_string(c, "type");
        if (type && !strcmp(type, "Ready")) {
            const char *status = json_get_string(c, "status");
            return status && !strcmp(status, "True");
        }
    }
    return false;
}

void
gw_node_conditions_transform(struct json *status)
{
    if (!status || status->type != JSON_OBJECT) {
        return;
    }
    const struct json *conds = json_get_array(status, "conditions");
    struct json *keep = json_array_create_empty();
    for (size_t i = 0; i < json_array_n(conds); i++) {
        const struct json *c = conds->array.elems[i];
        const char *type = json_get_string(c, "type");
        const char *st = json_get_string(c, "status");
        if (type && st && !strcmp(type, "Ready")) {
            struct json *r = json_object_create();
            json_object_put_string(r, "type", type);
            json_object_put_string(r, "status", st);
            json_array_add(keep, r);
        }
    }
    json_object_put(status, "conditions", keep);
}

bool
gw_node_live(const struct controller *c, const char *name, long long int now,
             long long int *until)
{
    const struct json *node = k8s_informer_get(controller_cache(c, IN_NODES),
                                               name);
    if (!node || !gw_node_ready(node) || !ovn_ann_is_allocated(node)) {
        return false;
    }
    char *key = xasprintf("%s/%s%s", SUBNET_GW_LEASE_NAMESPACE,
                          SUBNET_GW_LEASE_PREFIX, name);
    const struct json *lease
        = k8s_informer_get(controller_cache(c, IN_LEASES), key);
    free(key);
    *until = lease ? gw_lease_expiry(lease) : LLONG_MIN;
    return *until > now;
}
