/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_STS_H
#define KOVN_STS_H 1

/* StatefulSet retention, as in Kube-OVN: a StatefulSet's pod keeps its
 * address while its StatefulSet will re-create it.  Pure functions of
 * cached objects. */

#include <stdbool.h>
#include <stdint.h>

struct json;
struct k8s_informer;
struct svec;

extern const struct k8s_resource k8s_statefulsets;

/* How many pods StatefulSet 'sts' re-creates: spec.replicas (1 if unset, as
 * the API defaults it), none while it is being deleted. */
int64_t sts_replicas(const struct json *sts);

/* The name of the StatefulSet that owns pod 'pod', or NULL. */
const char *sts_owner(const struct json *pod);

/* True if pod 'name' of namespace 'ns' (absent from the cache) belongs to a
 * StatefulSet of 'statefulsets' that will re-create it, so that its address
 * is kept: the StatefulSet exists, is not being deleted, and the pod's
 * ordinal is below its replicas.  The IP resource 'ip' (may be NULL) says
 * whether it was a StatefulSet's pod; its StatefulSet's name is the pod's
 * less "-<ordinal>", as in Kube-OVN. */
bool sts_keeps(const struct k8s_informer *statefulsets, const char *ns,
               const char *name, const struct json *ip);

/* Adds to 'keys' the "ns/name" keys of the pods that StatefulSet 'old'
 * re-created and 'new' (NULL if deleted) no longer does: the ordinals
 * from the new size up. */
void sts_released_pods(const struct json *old, const struct json *new,
                       struct svec *keys);

#endif /* sts.h */
