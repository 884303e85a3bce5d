/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_TIME_H
#define KOVN_K8S_TIME_H 1

/* Kubernetes timestamps: metav1.Time ("2026-11-21T13:05:00Z") and
 * metav1.MicroTime ("2026-11-21T13:05:00.123456Z"), always UTC. */

#include <stdbool.h>

/* Formats 'wall_ms' (milliseconds since the epoch) as a Time, or as a
 * MicroTime if 'micro'.  The caller frees the result. */
char *k8s_time_format(long long int wall_ms, bool micro);

/* Parses a Time or MicroTime into milliseconds since the epoch.  Returns
 * false if 's' is not one. */
bool k8s_time_parse(const char *s, long long int *wall_msp);

#endif /* k8s-time.h */
