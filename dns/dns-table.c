/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "dns-table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns-records.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "svec.h"
#include "util.h"

/* One owner name. */
struct dns_name {
    struct shash want;          /* Record line -> count (uintptr_t). */
    struct sset have;           /* Record lines unbound holds. */
};

struct dns_table {
    struct shash owners;        /* Owner -> struct svec * of lines. */
    struct shash names;         /* Name -> struct dns_name *. */
    struct sset dirty;          /* Names whose 'want' and 'have' may
                                 * differ. */
    size_t n_records;
};

struct dns_table *
dns_table_create(void)
{
    struct dns_table *t = xzalloc(sizeof *t);
    shash_init(&t->owners);
    shash_init(&t->names);
    sset_init(&t->dirty);
    return t;
}

void
dns_table_destroy(struct dns_table *t)
{
    if (!t) {
        return;
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, &t->owners) {
        struct svec *lines = node->data;
        svec_destroy(lines);
        free(lines);
    }
    shash_destroy(&t->owners);
    SHASH_FOR_EACH (node, &t->names) {
        struct dns_name *n = node->data;
        shash_destroy(&n->want);
        sset_destroy(&n->have);
        free(n);
    }
    shash_destroy(&t->names);
    sset_destroy(&t->dirty);
    free(t);
}

static struct dns_name *
name_get(struct dns_table *t, const char *name, bool create)
{
    struct dns_name *n = shash_find_data(&t->names, name);
    if (!n && create) {
        n = xmalloc(sizeof *n);
        shash_init(&n->want);
        sset_init(&n->have);
        shash_add(&t->names, name, n);
    }
    return n;
}

/* Forgets name 'name' if nothing wants it and unbound does not hold it. */
static void
name_gc(struct dns_table *t, const char *name)
{
    struct shash_node *node = shash_find(&t->names, name);
    struct dns_name *n = node ? node->data : NULL;
    if (n && shash_is_empty(&n->want) && sset_is_empty(&n->have)) {
        shash_destroy(&n->want);
        sset_destroy(&n->have);
        free(n);
        shash_delete(&t->names, node);
    }
}

/* Adds 'delta' (+1 or -1) to the count of 'line'. */
static void
count_line(struct dns_table *t, const char *line, int delta)
{
    char *name = dns_line_name(line);
    struct dns_name *n = name_get(t, name, delta > 0);
    if (n) {
        struct shash_node *node = shash_find(&n->want, line);
        uintptr_t count = node ? (uintptr_t) node->data : 0;
        if (delta > 0) {
            if (node) {
                node->data = (void *) (count + 1);
            } else {
                shash_add(&n->want, line, (void *) (uintptr_t) 1);
                t->n_records++;
            }
        } else if (node && count > 1) {
            node->data = (void *) (count - 1);
        } else if (node) {
            shash_delete(&n->want, node);
            t->n_records--;
        }
        sset_add(&t->dirty, name);
    }
    free(name);
}

void
dns_table_set(struct dns_table *t, const char *owner,
              const struct svec *lines)
{
    struct shash_node *node = shash_find(&t->owners, owner);
    struct svec *old = node ? node->data : NULL;
    if (old && svec_equal(old, lines)) {
        return;
    }
    for (size_t i = 0; i < lines->n; i++) {
        count_line(t, lines->names[i], +1);
    }
    if (old) {
        for (size_t i = 0; i < old->n; i++) {
            count_line(t, old->names[i], -1);
        }
        svec_destroy(old);
        free(old);
        shash_delete(&t->owners, node);
    }
    if (lines->n) {
        struct svec *copy = xmalloc(sizeof *copy);
        svec_clone(copy, lines);
        shash_add(&t->owners, owner, copy);
    }
}

void
dns_table_owners(const struct dns_table *t, struct svec *owners)
{
    struct svec mine = SVEC_EMPTY_INITIALIZER;
    struct shash_node *node;
    SHASH_FOR_EACH (node, &t->owners) {
        svec_add(&mine, node->name);
    }
    svec_sort(&mine);
    svec_append(owners, &mine);
    svec_destroy(&mine);
}

void
dns_table_set_installed(struct dns_table *t, const struct svec *lines)
{
    struct shash_node *node, *next;
    SHASH_FOR_EACH (node, &t->names) {
        struct dns_name *n = node->data;
        sset_clear(&n->have);
        sset_add(&t->dirty, node->name);
    }
    for (size_t i = 0; i < lines->n; i++) {
        char *name = dns_line_name(lines->names[i]);
        sset_add(&name_get(t, name, true)->have, lines->names[i]);
        sset_add(&t->dirty, name);
        free(name);
    }
    SHASH_FOR_EACH_SAFE (node, next, &t->names) {
        name_gc(t, node->name);
    }
}

/* True if every line unbound holds for 'n' is wanted. */
static bool
have_is_wanted(const struct dns_name *n)
{
    const char *line;
    SSET_FOR_EACH (line, &n->have) {
        if (!shash_find(&n->want, line)) {
            return false;
        }
    }
    return true;
}

bool
dns_table_changes(const struct dns_table *t, struct svec *remove,
                  struct svec *add)
{
    const char *name;
    SSET_FOR_EACH (name, &t->dirty) {
        const struct dns_name *n = shash_find_data(&t->names, name);
        if (!n) {
            continue;
        }
        bool rewrite = !have_is_wanted(n);
        if (rewrite) {
            svec_add(remove, name);
        }
        struct shash_node *node;
        SHASH_FOR_EACH (node, &n->want) {
            if (rewrite || !sset_contains(&n->have, node->name)) {
                svec_add(add, node->name);
            }
        }
    }
    svec_sort(remove);
    svec_sort(add);
    return remove->n || add->n;
}

void
dns_table_commit(struct dns_table *t)
{
    const char *name;
    SSET_FOR_EACH (name, &t->dirty) {
        struct dns_name *n = shash_find_data(&t->names, name);
        if (n) {
            struct shash_node *node;
            sset_clear(&n->have);
            SHASH_FOR_EACH (node, &n->want) {
                sset_add(&n->have, node->name);
            }
            name_gc(t, name);
        }
    }
    sset_clear(&t->dirty);
}

size_t
dns_table_n_owners(const struct dns_table *t)
{
    return shash_count(&t->owners);
}

size_t
dns_table_n_names(const struct dns_table *t)
{
    return shash_count(&t->names);
}

size_t
dns_table_n_records(const struct dns_table *t)
{
    return t->n_records;
}

size_t
dns_table_n_dirty(const struct dns_table *t)
{
    return sset_count(&t->dirty);
}
