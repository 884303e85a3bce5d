/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NET_NETNS_H
#define KOVN_NET_NETNS_H 1

/* Network namespaces: open one by path and run a function inside it.
 *
 * setns() changes the namespace of the calling thread only, and a daemon's
 * main thread must never leave its own namespace (its sockets, netlink
 * monitors and everything it calls would silently act on the wrong one).
 * So netns_run() starts a fresh thread, moves that thread into the
 * namespace, runs the function there and joins the thread before it
 * returns.  The thread then ends, so nothing ever has to switch back.
 *
 * Every function that returns 'char *' returns NULL on success or a
 * malloc'd error message that the caller frees. */

#include "openvswitch/compiler.h"

/* An open network namespace: a file descriptor that keeps it alive. */
struct netns;

/* Opens the network namespace at 'path', as a container runtime passes it
 * to a CNI plugin: "/var/run/netns/NAME" (made by "ip netns add") or
 * "/proc/PID/ns/net".  On success stores in '*nsp' a namespace that the
 * caller closes with netns_close(); on failure stores NULL. */
char *netns_open(const char *path, struct netns **nsp) OVS_WARN_UNUSED_RESULT;

/* Closes 'ns' (NULL is fine). */
void netns_close(struct netns *ns);

/* The path 'ns' was opened with (owned by 'ns'). */
const char *netns_path(const struct netns *ns);

/* The file descriptor of 'ns' (owned by 'ns'), e.g. to move a link into it
 * with net_link_move(). */
int netns_fd(const struct netns *ns);

/* What netns_run() calls: returns NULL or a malloc'd error message. */
typedef char *netns_func(void *aux);

/* Runs 'func(aux)' in a new thread inside 'ns' and waits for it.  Returns
 * what 'func' returned, prefixed with the namespace's path, or an error if
 * the thread could not be started or enter the namespace (then 'func' did
 * not run).  'func' may block; the caller's thread waits meanwhile.
 *
 * Whatever 'func' opens stays in 'ns' (a socket made in it keeps its
 * namespace), but it must not start threads of its own that outlive it. */
char *netns_run(const struct netns *ns, netns_func *func, void *aux)
    OVS_WARN_UNUSED_RESULT;

/* netns_open(), netns_run() and netns_close() in one call. */
char *netns_run_path(const char *path, netns_func *func, void *aux)
    OVS_WARN_UNUSED_RESULT;

#endif /* lib/net/netns.h */
