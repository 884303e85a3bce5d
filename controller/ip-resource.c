/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ip-resource.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam/ipam.h"
#include "objects.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "ovn/ovn-annotations.h"
#include "sts.h"
#include "util.h"
#include "util/json-util.h"

struct json *
ip_resource_spec(const struct json *obj, const char *ns, const char *name,
                 const char *subnet, const struct ipam_lease *lease)
{
    struct json *spec = json_object_create();
    char v4[INET6_ADDRSTRLEN] = "", v6[INET6_ADDRSTRLEN] = "";
    for (size_t i = 0; i < lease->n_ips; i++) {
        char *dst = lease->ips[i].family == AF_INET ? v4 : v6;
        cidr_ip_format(lease->ips[i].family, lease->ips[i].n, dst);
    }
    const char *node = json_get_string(obj, "spec.nodeName");
    json_object_put_string(spec, "podName", name);
    json_object_put_string(spec, "namespace", ns);
    json_object_put_string(spec, "subnet", subnet);
    json_object_put_string(spec, "nodeName", node ? node : "");
    json_object_put_string(spec, "ipAddress", lease->ip_string);
    json_object_put_string(spec, "v4IpAddress", v4);
    json_object_put_string(spec, "v6IpAddress", v6);
    json_object_put_string(spec, "macAddress", lease->mac_string);
    json_object_put_string(spec, "podType", sts_owner(obj) ? "StatefulSet"
                                                           : "");
    return spec;
}

bool
ip_resource_spec_matches(const struct json *have, const struct json *want)
{
    struct shash_node *node;
    SHASH_FOR_EACH (node, json_object(want)) {
        const char *h = json_get_string(have, node->name);
        if (!obj_str_eq(h, json_string(node->data))) {
            return false;
        }
    }
    return true;
}

struct json *
ip_resource_create(const char *port, const char *subnet, struct json *spec)
{
    struct json *res = json_object_create();
    json_object_put_string(res, "apiVersion", "kubeovn.io/v1");
    json_object_put_string(res, "kind", "IP");
    json_put_path(res, "metadata.name", json_string_create(port));
    struct json *labels = json_object_create();
    json_object_put_string(labels, OVN_ANN_SUBNET_LABEL, subnet);
    json_put_path(res, "metadata.labels", labels);
    json_object_put(res, "spec", spec);
    return res;
}

char *
ip_resource_pod_key(const struct json *ip)
{
    const char *ns = json_get_string(ip, "spec.namespace");
    const char *name = json_get_string(ip, "spec.podName");
    return ns && *ns && name && *name ? xasprintf("%s/%s", ns, name) : NULL;
}
