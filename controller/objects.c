/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "objects.h"

#include <string.h>

#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "util.h"
#include "util/json-util.h"

bool
obj_str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool
obj_is_deleting(const struct json *obj)
{
    return obj && json_get_string(obj, "metadata.deletionTimestamp");
}

bool
obj_split_key(const char *key, char **ns, char **name)
{
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || !slash[1]) {
        return false;
    }
    *ns = xmemdup0(key, slash - key);
    *name = xstrdup(slash + 1);
    return true;
}

void
obj_want_annotation(struct json *anns, const struct json *obj,
                    const char *key, const char *value)
{
    if (!obj_str_eq(k8s_obj_annotation(obj, key), value)) {
        json_object_put_string(anns, key, value);
    }
}

struct json *
obj_annotations_patch(struct json *anns)
{
    if (shash_is_empty(json_object(anns))) {
        json_destroy(anns);
        return NULL;
    }
    struct json *patch = json_object_create();
    json_put_path(patch, "metadata.annotations", anns);
    return patch;
}

static bool
same_json(const struct json *a, const struct json *b)
{
    return a == b || (a && b && json_equal(a, b));
}

bool
obj_same_at(const struct json *a, const struct json *b, const char *path)
{
    return same_json(json_get_path(a, path), json_get_path(b, path));
}

/* True if objects 'a' and 'b' differ in their status only, and in the
 * resourceVersion that every write changes. */
bool
obj_status_only_change(const struct json *a, const struct json *b)
{
    const struct json *ma = json_get_member(a, "metadata");
    const struct json *mb = json_get_member(b, "metadata");
    if (!obj_same_at(a, b, "spec")
        || !ma || !mb || ma->type != JSON_OBJECT || mb->type != JSON_OBJECT
        || shash_count(json_object(ma)) != shash_count(json_object(mb))) {
        return false;
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, json_object(ma)) {
        if (strcmp(node->name, "resourceVersion")
            && !same_json(node->data, shash_find_data(json_object(mb),
                                                      node->name))) {
            return false;
        }
    }
    return true;
}

