/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include "unit-json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "openvswitch/json.h"
#include "util.h"

struct json *
unit_json(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    struct json *j = json_from_string(s);
    free(s);
    if (j->type == JSON_STRING) {
        fail_msg("bad JSON in the test: %s", json_string(j));
    }
    return j;
}
