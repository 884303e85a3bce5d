/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

struct netns {
    int fd;
    char *path;
};

/* Tells why 'fd' (opened from 'path') is not a network namespace, or
 * returns NULL if it is one.  Checked here rather than left to setns() so
 * that a wrong path fails at once with a message that says what is wrong,
 * not later as an EINVAL from inside a thread. */
static char *
check_netns_fd(int fd, const char *path)
{
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0) {
        return errno == ENOTTY || errno == EINVAL
               ? xasprintf("%s: not a namespace file", path)
               : xasprintf("%s: reading namespace type failed (%s)",
                           path, ovs_strerror(errno));
    }
    if (type != CLONE_NEWNET) {
        return xasprintf("%s: not a network namespace", path);
    }
    return NULL;
}

char *
netns_open(const char *path, struct netns **nsp)
{
    *nsp = NULL;
    if (!path || !path[0]) {
        return xstrdup("network namespace path is empty");
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return xasprintf("%s: opening network namespace failed (%s)",
                         path, ovs_strerror(errno));
    }
    char *error = check_netns_fd(fd, path);
    if (error) {
        close(fd);
        return error;
    }

    struct netns *ns = xmalloc(sizeof *ns);
    ns->fd = fd;
    ns->path = xstrdup(path);
    *nsp = ns;
    return NULL;
}

void
netns_close(struct netns *ns)
{
    if (ns) {
        close(ns->fd);
        free(ns->path);
        free(ns);
    }
}

const char *
netns_path(const struct netns *ns)
{
    return ns->path;
}

int
netns_fd(const struct netns *ns)
{
    return ns->fd;
}

/* What the namespace thread gets and gives back. */
struct netns_call {
    const struct netns *ns;
    netns_func *func;
    void *aux;
    char *error;                /* Of setns() or of 'func'. */
};

static void *
netns_thread(void *call_)
{
    struct netns_call *call = call_;

    /* Only the network namespace: this thread shares the process's files
     * and memory, which is what lets 'func' hand results back. */
    if (setns(call->ns->fd, CLONE_NEWNET)) {
        call->error = xasprintf("entering network namespace %s failed (%s)",
                                call->ns->path, ovs_strerror(errno));
        return NULL;
    }
    char *error = call->func(call->aux);
    if (error) {
        call->error = xasprintf("in network namespace %s: %s",
                                call->ns->path, error);
        free(error);
    }
    return NULL;
}

char *
netns_run(const struct netns *ns, netns_func *func, void *aux)
{
    struct netns_call call = { .ns = ns, .func = func, .aux = aux };
    pthread_t thread;

    /* A plain pthread rather than ovs_thread_create(): the latter marks the
     * process multithreaded for good (OVS then forbids fork()), for a thread
     * that lives a few milliseconds. */
    int err = pthread_create(&thread, NULL, netns_thread, &call);
    if (err) {
        return xasprintf("network namespace %s: starting a thread failed "
                         "(%s)", ns->path, ovs_strerror(err));
    }
    err = pthread_join(thread, NULL);
    if (err) {
        /* Cannot happen for a joinable thread we own; if it did, 'call'
         * might still be in use, so stop rather than return. */
        ovs_abort(err, "pthread_join of a network namespace thread");
    }
    return call.error;
}

char *
netns_run_path(const char *path, netns_func *func, void *aux)
{
    struct netns *ns;
    char *error = netns_open(path, &ns);
    if (!error) {
        error = netns_run(ns, func, aux);
        netns_close(ns);
    }
    return error;
}
