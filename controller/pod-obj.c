/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "pod-obj.h"

#include <string.h>

#include "openvswitch/json.h"
#include "ovn/ovn-annotations.h"
#include "util.h"
#include "util/json-util.h"

/* Of each container, only its ports' names, numbers and protocols: the
 * named ports of NetworkPolicies. */
static void
keep_container_ports(struct json *containers)
{
    static const char *const container[] = { "ports" };
    static const char *const port[] = { "name", "containerPort",
                                        "protocol" };
    if (!containers || containers->type != JSON_ARRAY) {
        return;
    }
    for (size_t i = 0; i < json_array_n(containers); i++) {
        struct json *c = json_array(containers)->elems[i];
        json_object_keep(c, container, ARRAY_SIZE(container));
        struct json *ports = CONST_CAST(struct json *,
                                        json_get_member(c, "ports"));
        for (size_t j = 0; ports && ports->type == JSON_ARRAY
                           && j < json_array_n(ports); j++) {
            json_object_keep(json_array(ports)->elems[j], port,
                             ARRAY_SIZE(port));
        }
    }
}

void
pod_transform(struct json *obj)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata",
                                       "spec", "status" };
    static const char *const meta[] = {
        "name", "namespace", "uid", "resourceVersion", "annotations",
        "labels", "ownerReferences", "creationTimestamp",
        "deletionTimestamp",
    };
    static const char *const spec[] = { "nodeName", "hostNetwork",
                                        "containers" };
    static const char *const status[] = { "phase", "hostIP" };

    json_object_keep(obj, top, ARRAY_SIZE(top));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(obj, "metadata")),
                     meta, ARRAY_SIZE(meta));
    struct json *pod_spec = CONST_CAST(struct json *,
                                       json_get_member(obj, "spec"));
    json_object_keep(pod_spec, spec, ARRAY_SIZE(spec));
    keep_container_ports(CONST_CAST(struct json *,
                                    json_get_member(pod_spec, "containers")));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(obj, "status")),
                     status, ARRAY_SIZE(status));
}

bool
pod_allocated(const struct json *obj)
{
    const char *alloc = k8s_obj_annotation(obj, OVN_ANN_ALLOCATED);
    return alloc && !strcmp(alloc, "true");
}

bool
pod_finished(const struct json *obj)
{
    const char *phase = json_get_string(obj, "status.phase");
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

bool
pod_wants_address(const struct json *obj)
{
    bool host = false;
    const char *node = json_get_string(obj, "spec.nodeName");
    json_get_bool(obj, "spec.hostNetwork", &host);
    return node && *node && !host && !pod_finished(obj);
}

const char *
pod_subnet_of(const struct json *obj, const struct json *ns,
              const char *default_subnet)
{
    const char *s = k8s_obj_annotation(obj, OVN_ANN_LOGICAL_SWITCH);
    if (s && *s) {
        return s;
    }
    s = ns ? k8s_obj_annotation(ns, OVN_ANN_LOGICAL_SWITCH) : NULL;
    return s && *s ? s : default_subnet;
}
