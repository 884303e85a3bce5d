/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NET_NET_NL_H
#define KOVN_NET_NET_NL_H 1

/* Internal to lib/net: a route netlink socket (libnl) that remembers the
 * kernel's own answer to the last request, so that error messages can say
 * "File exists" or "Nexthop has invalid gateway" instead of libnl's
 * translated "Object exists" / "Unspecific failure".
 *
 * A socket belongs to the network namespace of the thread that opens it, so
 * every public lib/net function opens its own (a few microseconds) instead
 * of sharing one that might live in another namespace. */

#include <stdbool.h>
#include "openvswitch/compiler.h"

struct nl_sock;
struct rtnl_link;

struct net_nl {
    struct nl_sock *sk;
    int kernel_errno;           /* Positive errno of the last NLMSG_ERROR. */
    char kernel_msg[128];       /* Extended ack text of it, or "". */
    char text[192];             /* Buffer of net_nl_strerror(). */
};

/* Opens '*nl'; on failure returns an error message that starts with
 * 'context' (e.g. "eth0: setting MTU 1400") and '*nl' needs no closing.
 * Close with net_nl_close(). */
char *net_nl_open(struct net_nl *nl, const char *context)
    OVS_WARN_UNUSED_RESULT;
void net_nl_close(struct net_nl *nl);

/* Forgets the last kernel answer: call before each request. */
void net_nl_reset(struct net_nl *nl);

/* Why the request that returned libnl error 'nlerr' (negative) failed.
 * The string is owned by 'nl' or libnl and valid until the next call. */
const char *net_nl_strerror(struct net_nl *nl, int nlerr);

/* True if the last request failed because its object was missing: the
 * kernel said ENODEV, ENOENT, ESRCH or EADDRNOTAVAIL. */
bool net_nl_was_missing(const struct net_nl *nl, int nlerr);

/* Looks up link 'name' in the kernel.  On success stores in '*linkp' a
 * reference the caller drops with rtnl_link_put(); on failure returns
 * "NAME: no such interface" or another error naming 'name'. */
char *net_nl_get_link(struct net_nl *nl, const char *name,
                      struct rtnl_link **linkp) OVS_WARN_UNUSED_RESULT;

/* Stores the ifindex of link 'name' in '*ifindex'; errors as
 * net_nl_get_link(). */
char *net_nl_get_ifindex(struct net_nl *nl, const char *name, int *ifindex)
    OVS_WARN_UNUSED_RESULT;

#endif /* lib/net/net-nl.h */
