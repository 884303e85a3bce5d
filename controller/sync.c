/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "k8s/k8s-informer.h"
#include "openvswitch/list.h"
#include "unixctl.h"
#include "util.h"
#include "util/json-util.h"

/* One kovn/sync waiting for its answer. */
struct sync_request {
    struct ovs_list node;           /* In controller's 'syncs'. */
    struct unixctl_conn *conn;
    int cache;                      /* An informer, or -1: none. */
    char *key;
    enum { WANT_PRESENT, WANT_RV, WANT_GONE } want;
    unsigned long long int rv;
};

/* resourceVersions are opaque to clients, but kube-apiserver's are etcd
 * revisions: numbers that grow.  A test barrier may compare them. */
static bool
parse_rv(const char *s, unsigned long long int *rv)
{
    char *end;
    *rv = s ? strtoull(s, &end, 10) : 0;
    return s && *s && !*end;
}

static int
find_cache(const char *name)
{
    for (int i = 0; i < N_INFORMERS; i++) {
        if (!strcmp(informer_specs[i].name, name)) {
            return i;
        }
    }
    return -1;
}

static void
sync_command(struct unixctl_conn *conn, int argc, const char *argv[],
             void *c_)
{
    struct controller *c = c_;
    struct sync_request *s = xzalloc(sizeof *s);
    s->conn = conn;
    s->cache = -1;
    if (argc > 1) {
        s->cache = find_cache(argv[1]);
        if (s->cache < 0 || argc < 3) {
            unixctl_command_reply_error(conn, "usage: kovn/sync [CACHE KEY "
                                        "[RV|gone]], CACHE an informer "
                                        "such as pods");
            free(s);
            return;
        }
        s->key = xstrdup(argv[2]);
        if (argc > 3 && !strcmp(argv[3], "gone")) {
            s->want = WANT_GONE;
        } else if (argc > 3 && parse_rv(argv[3], &s->rv)) {
            s->want = WANT_RV;
        } else if (argc > 3) {
            unixctl_command_reply_error(conn, "RV must be a number or gone");
            free(s->key);
            free(s);
            return;
        }
    }
    ovs_list_push_back(&c->syncs, &s->node);
}

void
sync_register(struct controller *c, struct unixctl_server *unixctl)
{
    if (unixctl) {
        unixctl_command_register("kovn/sync", "[CACHE KEY [RV|gone]]", 0, 3,
                                 sync_command, c);
    }
}

static bool
seen(const struct controller *c, const struct sync_request *s)
{
    if (s->cache < 0) {
        return true;
    }
    const struct json *obj = k8s_informer_get(c->informers[s->cache], s->key);
    unsigned long long int rv;
    switch (s->want) {
    case WANT_PRESENT:
        return obj != NULL;
    case WANT_GONE:
        return obj == NULL;
    case WANT_RV:
        return obj && parse_rv(k8s_obj_resource_version(obj), &rv)
               && rv >= s->rv;
    }
    return false;
}

static void
sync_free(struct sync_request *s)
{
    ovs_list_remove(&s->node);
    free(s->key);
    free(s);
}

void
sync_run(struct controller *c)
{
    if (ovs_list_is_empty(&c->syncs) || !controller_is_idle(c)) {
        return;
    }
    struct sync_request *s;
    LIST_FOR_EACH_SAFE (s, node, &c->syncs) {
        if (seen(c, s)) {
            unixctl_command_reply(s->conn, "idle");
            sync_free(s);
        }
    }
}

void
sync_cancel_all(struct controller *c)
{
    struct sync_request *s;
    LIST_FOR_EACH_SAFE (s, node, &c->syncs) {
        unixctl_command_reply_error(s->conn, "exiting");
        sync_free(s);
    }
}
