/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OBJECTS_H
#define KOVN_OBJECTS_H 1

/* Small pure helpers over Kubernetes objects that several kinds share.
 * Objects are the informers' (const struct json *); nothing here keeps a
 * pointer. */

#include <stdbool.h>

struct json;

/* strcmp() that takes NULL as "". */
bool obj_str_eq(const char *a, const char *b);

/* True if 'obj' (may be NULL) has a deletionTimestamp. */
bool obj_is_deleting(const struct json *obj);

/* Splits "ns/name" into malloc'd parts; false if malformed. */
bool obj_split_key(const char *key, char **ns, char **name);

/* Adds 'key' = 'value' to 'anns' (a JSON object) if 'obj''s annotation
 * says otherwise. */
void obj_want_annotation(struct json *anns, const struct json *obj,
                         const char *key, const char *value);

/* The merge patch {"metadata":{"annotations": ANNS}}, taking 'anns', or
 * NULL (and 'anns' freed) if 'anns' is empty. */
struct json *obj_annotations_patch(struct json *anns);

/* True if objects 'a' and 'b' hold equal values (or none) at 'path'
 * ("spec.cidrBlock"). */
bool obj_same_at(const struct json *a, const struct json *b,
                 const char *path);

/* True if objects 'a' and 'b' differ in their status only, and in the
 * resourceVersion that every write changes. */
bool obj_status_only_change(const struct json *a, const struct json *b);

#endif /* objects.h */
