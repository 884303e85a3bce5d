/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_JSON_UTIL_H
#define KOVN_JSON_UTIL_H 1

/* Small helpers over Open vSwitch's JSON library for reading and building
 * Kubernetes objects.
 *
 * Lookups never allocate: they return pointers into the JSON they were given,
 * valid as long as it is, or NULL when a member is missing or of another
 * type.  A 'path' is member names separated by '.', e.g. "metadata.name";
 * a member name that itself contains '.' (annotation keys) is looked up with
 * json_get_member(). */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/json.h"

const struct json *json_get_member(const struct json *, const char *name);
const struct json *json_get_path(const struct json *, const char *path);
const char *json_get_string(const struct json *, const char *path);
bool json_get_int(const struct json *, const char *path, int64_t *valuep);
bool json_get_bool(const struct json *, const char *path, bool *valuep);

/* The array at 'path', or NULL if there is none; and the number of
 * elements of an array that may be NULL. */
const struct json *json_get_array(const struct json *, const char *path);
size_t json_array_n(const struct json *array);

/* Kubernetes metadata accessors; NULL when absent. */
const char *k8s_obj_name(const struct json *);
const char *k8s_obj_namespace(const struct json *);
const char *k8s_obj_uid(const struct json *);
const char *k8s_obj_resource_version(const struct json *);
const char *k8s_obj_annotation(const struct json *, const char *key);
const char *k8s_obj_label(const struct json *, const char *key);

/* A Node's first status.addresses entry of type InternalIP that is a valid
 * address of 'family' (AF_INET or AF_INET6), or NULL. */
const char *k8s_node_internal_ip(const struct json *node, int family);

/* Returns "namespace/name", or "name" for a cluster-scoped object, as a
 * malloc'd string the caller frees; NULL if the object has no name. */
char *k8s_obj_key(const struct json *);

/* Returns the member 'name' of object 'obj', creating it as an empty object
 * if absent (replacing it if it is not an object).  'obj' must be an object;
 * the returned JSON is owned by 'obj'. */
struct json *json_object_ensure(struct json *obj, const char *name);

/* Sets 'obj'.'path' (dotted, intermediate objects created) to 'value', taking
 * ownership of 'value'. */
void json_put_path(struct json *obj, const char *path, struct json *value);

/* Removes member 'name' from object 'obj' if present, freeing it. */
void json_object_remove(struct json *obj, const char *name);

/* Removes every member of object 'obj' whose name is not among the 'n'
 * 'names' (a no-op if 'obj' is NULL or not an object). */
void json_object_keep(struct json *obj, const char *const names[], size_t n);

#endif /* json-util.h */
