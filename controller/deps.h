/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DEPS_H
#define KOVN_DEPS_H 1

/* The dependency table: which change queues which keys of which kind, in
 * the manner of OVN's engine_add_input().  Every key that any kind's work
 * queue gets from a change of the world comes through here: an informer
 * event or a reconciler's signal is one 'struct dep_event'; each row of
 * the table for its input maps it to keys of its kind.
 *
 * The map functions are pure: they read the event, the controller's caches
 * and options, and nothing else (unit tests run them on synthetic
 * caches). */

#include <stdbool.h>
#include "registry.h"
#include "svec.h"

struct controller;
struct json;

struct dep_event {
    enum controller_input input;
    const struct json *old;     /* Informers: before (NULL for an add). */
    const struct json *new;     /* Informers: after (NULL for a delete). */
    const char *key;            /* The object's or the signal's key. */
};

/* What a map function returns: keys to queue, each after 'delay_ms'. */
struct dep_keys {
    struct svec keys;
    long long int delay_ms;
};

typedef void dep_map_func(const struct controller *, const struct dep_event *,
                          struct dep_keys *);

struct dependency {
    enum controller_input input;
    enum kind_id kind;
    dep_map_func *map;
    const char *why;            /* One line, for docs and debugging. */
};

extern const struct dependency dependencies[];
extern const size_t n_dependencies;

/* Runs every row of 'ev''s input and queues the keys in the kinds. */
void deps_dispatch(struct controller *, const struct dep_event *);

/* Runs the rows of 'ev''s input that queue 'kind' and adds their keys to
 * 'out' (an initialized svec), without queueing them; returns their delay
 * (the longest).  For tests. */
long long int deps_fan_out(const struct controller *,
                           const struct dep_event *, enum kind_id kind,
                           struct svec *out);

#endif /* deps.h */
