/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_UNIT_JSON_H
#define KOVN_UNIT_JSON_H 1

/* JSON in unit tests: 'text' with ' for ", so that objects read well in C
 * strings.  Fails the test on bad JSON.  The caller frees the result. */

struct json;

struct json *unit_json(const char *text);

#endif /* unit-json.h */
