/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "util/json-util.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include "openvswitch/shash.h"
#include "openvswitch/util.h"
#include "util.h"

const struct json *
json_get_member(const struct json *json, const char *name)
{
    return json && json->type == JSON_OBJECT
           ? shash_find_data(json->object, name)
           : NULL;
}

const struct json *
json_get_path(const struct json *json, const char *path)
{
    while (json && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? dot - path : strlen(path);
        if (json->type != JSON_OBJECT) {
            return NULL;
        }
        struct shash_node *node = shash_find_len(json->object, path, len);
        json = node ? node->data : NULL;
        path += len + (dot != NULL);
    }
    return json;
}

const struct json *
json_get_array(const struct json *json, const char *path)
{
    const struct json *a = json_get_path(json, path);
    return a && a->type == JSON_ARRAY ? a : NULL;
}

size_t
json_array_n(const struct json *array)
{
    return array ? array->array.n : 0;
}

const char *
json_get_string(const struct json *json, const char *path)
{
    const struct json *value = json_get_path(json, path);
    return value && value->type == JSON_STRING ? value->string : NULL;
}

bool
json_get_int(const struct json *json, const char *path, int64_t *valuep)
{
    const struct json *value = json_get_path(json, path);
    if (value && value->type == JSON_INTEGER) {
        *valuep = value->integer;
        return true;
    }
    return false;
}

bool
json_get_bool(const struct json *json, const char *path, bool *valuep)
{
    const struct json *value = json_get_path(json, path);
    if (value && (value->type == JSON_TRUE || value->type == JSON_FALSE)) {
        *valuep = value->type == JSON_TRUE;
        return true;
    }
    return false;
}

const char *
k8s_obj_name(const struct json *obj)
{
    return json_get_string(obj, "metadata.name");
}

const char *
k8s_obj_namespace(const struct json *obj)
{
    return json_get_string(obj, "metadata.namespace");
}

const char *
k8s_obj_uid(const struct json *obj)
{
    return json_get_string(obj, "metadata.uid");
}

const char *
k8s_obj_resource_version(const struct json *obj)
{
    return json_get_string(obj, "metadata.resourceVersion");
}

static const char *
get_metadata_map_entry(const struct json *obj, const char *map,
                       const char *key)
{
    const struct json *value
        = json_get_member(json_get_member(json_get_member(obj, "metadata"),
                                          map), key);
    return value && value->type == JSON_STRING ? value->string : NULL;
}

const char *
k8s_obj_annotation(const struct json *obj, const char *key)
{
    return get_metadata_map_entry(obj, "annotations", key);
}

const char *
k8s_obj_label(const struct json *obj, const char *key)
{
    return get_metadata_map_entry(obj, "labels", key);
}

const char *
k8s_node_internal_ip(const struct json *node, int family)
{
    const struct json *list = json_get_path(node, "status.addresses");
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < list->array.n; i++) {
        const char *type = json_get_string(list->array.elems[i], "type");
        const char *addr = json_get_string(list->array.elems[i],
                                           "address");
        struct in6_addr buf;
        if (type && !strcmp(type, "InternalIP") && addr
            && inet_pton(family, addr, &buf) == 1) {
            return addr;
        }
    }
    return NULL;
}

char *
k8s_obj_key(const struct json *obj)
{
    const char *name = k8s_obj_name(obj);
    const char *ns = k8s_obj_namespace(obj);

    if (!name) {
        return NULL;
    }
    return ns && ns[0] ? xasprintf("%s/%s", ns, name) : xstrdup(name);
}

struct json *
json_object_ensure(struct json *obj, const char *name)
{
    struct json *member = shash_find_data(obj->object, name);
    if (!member || member->type != JSON_OBJECT) {
        member = json_object_create();
        json_object_put(obj, name, member);
    }
    return member;
}

void
json_put_path(struct json *obj, const char *path, struct json *value)
{
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        char *name = xmemdup0(path, dot - path);
        obj = json_object_ensure(obj, name);
        free(name);
        path = dot + 1;
    }
    json_object_put(obj, path, value);
}

void
json_object_remove(struct json *obj, const char *name)
{
    struct json *member = shash_find_and_delete(obj->object, name);
    json_destroy(member);
}

void
json_object_keep(struct json *obj, const char *const names[], size_t n)
{
    if (!obj || obj->type != JSON_OBJECT) {
        return;
    }

    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, obj->object) {
        size_t i;
        for (i = 0; i < n && strcmp(node->name, names[i]); i++) {
            continue;
        }
        if (i == n) {
            json_destroy(node->data);
            shash_delete(obj->object, node);
        }
    }
}
