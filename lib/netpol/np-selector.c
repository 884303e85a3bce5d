/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "netpol/np-selector.h"

#include <string.h>

#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "util.h"
#include "util/json-util.h"

/* The number of elements of 'j' if it is an array, else 0. */
static size_t
array_n(const struct json *j)
{
    return j && j->type == JSON_ARRAY ? json_array_n(j) : 0;
}

static const char *
label_of(const struct json *labels, const char *key)
{
    const struct json *v = labels ? json_get_member(labels, key) : NULL;
    return v && v->type == JSON_STRING ? json_string(v) : NULL;
}

static bool
values_contain(const struct json *values, const char *s)
{
    size_t n = array_n(values);
    for (size_t i = 0; s && i < n; i++) {
        const struct json *v = json_array(values)->elems[i];
        if (v->type == JSON_STRING && !strcmp(json_string(v), s)) {
            return true;
        }
    }
    return false;
}

enum op { OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST, OP_BAD };

static enum op
parse_op(const char *s)
{
    return (!s ? OP_BAD
            : !strcmp(s, "In") ? OP_IN
            : !strcmp(s, "NotIn") ? OP_NOT_IN
            : !strcmp(s, "Exists") ? OP_EXISTS
            : !strcmp(s, "DoesNotExist") ? OP_DOES_NOT_EXIST
            : OP_BAD);
}

static char *
check_expression(const struct json *e, size_t i)
{
    const char *key = json_get_string(e, "key");
    const char *op_name = json_get_string(e, "operator");
    enum op op = parse_op(op_name);
    const struct json *values = json_get_member(e, "values");
    size_t n = array_n(values);

    if (!key || !*key) {
        return xasprintf("matchExpressions[%"PRIuSIZE"]: no key", i);
    }
    if (op == OP_BAD) {
        return xasprintf("matchExpressions[%"PRIuSIZE"]: operator \"%s\" "
                         "is not In, NotIn, Exists or DoesNotExist", i,
                         op_name ? op_name : "");
    }
    if ((op == OP_IN || op == OP_NOT_IN) && !n) {
        return xasprintf("matchExpressions[%"PRIuSIZE"]: %s needs values",
                         i, op_name);
    }
    if ((op == OP_EXISTS || op == OP_DOES_NOT_EXIST) && n) {
        return xasprintf("matchExpressions[%"PRIuSIZE"]: %s takes no "
                         "values", i, op_name);
    }
    return NULL;
}

char *
np_selector_check(const struct json *sel)
{
    if (!sel || sel->type != JSON_OBJECT) {
        return xstrdup("a selector must be an object");
    }
    const struct json *ml = json_get_member(sel, "matchLabels");
    if (ml) {
        if (ml->type != JSON_OBJECT) {
            return xstrdup("matchLabels must be an object");
        }
        struct shash_node *node;
        SHASH_FOR_EACH (node, json_object(ml)) {
            const struct json *v = node->data;
            if (v->type != JSON_STRING) {
                return xasprintf("matchLabels[%s] is not a string",
                                 node->name);
            }
        }
    }
    const struct json *me = json_get_member(sel, "matchExpressions");
    if (me && me->type != JSON_ARRAY) {
        return xstrdup("matchExpressions must be a list");
    }
    for (size_t i = 0; i < array_n(me); i++) {
        char *error = check_expression(json_array(me)->elems[i], i);
        if (error) {
            return error;
        }
    }
    return NULL;
}

static bool
expression_holds(const struct json *e, const struct json *labels)
{
    const char *value = label_of(labels, json_get_string(e, "key"));
    const struct json *values = json_get_member(e, "values");
    switch (parse_op(json_get_string(e, "operator"))) {
    case OP_IN: return value && values_contain(values, value);
    case OP_NOT_IN: return !value || !values_contain(values, value);
    case OP_EXISTS: return value != NULL;
    case OP_DOES_NOT_EXIST: return value == NULL;
    case OP_BAD: default: return false;
    }
}

bool
np_selector_matches(const struct json *sel, const struct json *labels)
{
    if (!sel || sel->type != JSON_OBJECT) {
        return false;
    }
    const struct json *ml = json_get_member(sel, "matchLabels");
    if (ml && ml->type == JSON_OBJECT) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, json_object(ml)) {
            const struct json *want = node->data;
            const char *have = label_of(labels, node->name);
            if (want->type != JSON_STRING || !have
                || strcmp(have, json_string(want))) {
                return false;
            }
        }
    } else if (ml) {
        return false;
    }
    const struct json *me = json_get_member(sel, "matchExpressions");
    for (size_t i = 0; i < array_n(me); i++) {
        if (!expression_holds(json_array(me)->elems[i], labels)) {
            return false;
        }
    }
    return true;
}
