/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NP_SELECTOR_H
#define KOVN_NP_SELECTOR_H 1

/* Kubernetes label selectors (metav1.LabelSelector), read straight from
 * the API object's JSON: no parse step, no allocation, so the dependency
 * table can ask "does this policy's selector match this pod?" on every pod
 * event.
 *
 *   - matchLabels: every key must be there with that value;
 *   - matchExpressions: In, NotIn, Exists, DoesNotExist, all must hold
 *     (NotIn and DoesNotExist hold for an absent key);
 *   - an empty selector {} matches everything; an absent one (NULL) is the
 *     caller's to interpret (a policy's podSelector is never absent). */

#include <stdbool.h>

struct json;

/* Returns NULL if 'sel' is a selector kovn can evaluate, else an error
 * message (the caller frees it). */
char *np_selector_check(const struct json *sel);

/* True if 'labels' (an object of strings, or NULL: no labels) satisfies
 * 'sel'.  A selector np_selector_check() refuses matches nothing. */
bool np_selector_matches(const struct json *sel, const struct json *labels);

#endif /* np-selector.h */
