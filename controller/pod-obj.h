/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_POD_OBJ_H
#define KOVN_POD_OBJ_H 1

/* What the Pod kind reads of a pod: pure functions of the cached object. */

#include <stdbool.h>

struct json;

/* The Pod informer's transform: keeps only what kovn reads. */
void pod_transform(struct json *obj);

/* True once 'obj' carries ovn.kubernetes.io/allocated=true. */
bool pod_allocated(const struct json *obj);

/* True if the pod has finished (Succeeded or Failed): its address goes. */
bool pod_finished(const struct json *obj);

/* True if the pod needs an address from kovn: scheduled, not hostNetwork,
 * not finished. */
bool pod_wants_address(const struct json *obj);

/* The Subnet pod 'obj' belongs in: its ovn.kubernetes.io/logical_switch
 * annotation, else its Namespace's ('ns', may be NULL), else
 * 'default_subnet'. */
const char *pod_subnet_of(const struct json *obj, const struct json *ns,
                          const char *default_subnet);

#endif /* pod-obj.h */
