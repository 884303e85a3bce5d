/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_EVENT_H
#define KOVN_K8S_EVENT_H 1

/* core/v1 Events: what a user must see about their object ("kubectl describe
 * pod" shows them), e.g. a static IP that is already taken.
 *
 * Recording is fire-and-forget: the Event is sent asynchronously through the
 * client and a failure is only logged.  The same event (object, type, reason
 * and message) recorded again within ten minutes increments the count of the
 * existing Event instead of creating another, as kubectl and the kubelet
 * expect.  At most K8S_EVENT_MAX_INFLIGHT Events are in flight; past that,
 * new ones are dropped with a rate-limited log line, so a storm of errors
 * cannot swamp the apiserver. */

#include "openvswitch/compiler.h"
#include "openvswitch/json.h"

struct k8s_client;
struct k8s_resource;

#define K8S_EVENT_MAX_INFLIGHT 100

/* 'component' is the reporting component ("kovn-controller"); 'host' the
 * node name or NULL.  Both are copied. */
struct k8s_event_recorder *k8s_event_recorder_create(struct k8s_client *,
                                                     const char *component,
                                                     const char *host);
void k8s_event_recorder_destroy(struct k8s_event_recorder *);

/* Records an Event about 'obj', an object of kind 'res'.  'type' is "Normal"
 * or "Warning"; 'reason' a short CamelCase word ("IPConflict"). */
void k8s_event_record(struct k8s_event_recorder *,
                      const struct k8s_resource *res, const struct json *obj,
                      const char *type, const char *reason,
                      const char *format, ...)
    OVS_PRINTF_FORMAT(6, 7);

/* Events sent, aggregated into an existing Event, and dropped. */
void k8s_event_recorder_get_stats(const struct k8s_event_recorder *,
                                  unsigned long long *n_sent,
                                  unsigned long long *n_aggregated,
                                  unsigned long long *n_dropped);

#endif /* k8s-event.h */
