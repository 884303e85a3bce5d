/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "net/net-nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/link.h"
#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Copies the NLMSGERR_ATTR_MSG text of the extended ack that follows 'e'
 * (if the kernel sent one) into 'nl->kernel_msg'. */
static void
save_ext_ack(struct net_nl *nl, const struct nlmsgerr *e)
{
    const struct nlmsghdr *h = (const struct nlmsghdr *)
        ((const char *) e - NLMSG_HDRLEN);
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) {
        return;
    }

    /* The TLVs follow the echoed request: its header only if capped. */
    size_t echoed = h->nlmsg_flags & NLM_F_CAPPED
                    ? sizeof e->msg : e->msg.nlmsg_len;
    size_t offset = NLMSG_HDRLEN + sizeof e->error + NLMSG_ALIGN(echoed);
    while (offset + NLA_HDRLEN <= h->nlmsg_len) {
        const struct nlattr *a = (const struct nlattr *)
            ((const char *) h + offset);
        if (a->nla_len < NLA_HDRLEN || offset + a->nla_len > h->nlmsg_len) {
            return;
        }
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            size_t len = a->nla_len - NLA_HDRLEN;
            len = MIN(len, sizeof nl->kernel_msg - 1);
            memcpy(nl->kernel_msg, (const char *) a + NLA_HDRLEN, len);
            nl->kernel_msg[len] = '\0';
            return;
        }
        offset += NLA_ALIGN(a->nla_len);
    }
}

static int
error_cb(struct sockaddr_nl *who OVS_UNUSED, struct nlmsgerr *e, void *nl_)
{
    struct net_nl *nl = nl_;

    nl->kernel_errno = -e->error;
    save_ext_ack(nl, e);
    return NL_STOP;             /* libnl then returns its own error code. */
}

char *
net_nl_open(struct net_nl *nl, const char *context)
{
    memset(nl, 0, sizeof *nl);
    nl->sk = nl_socket_alloc();
    if (!nl->sk) {
        return xasprintf("%s: allocating a netlink socket failed", context);
    }
    int err = nl_connect(nl->sk, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(nl->sk);
        return xasprintf("%s: opening a route netlink socket failed (%s)",
                         context, nl_geterror(err));
    }
    /* Ask for the kernel's explanation of a refusal (Linux 4.12+); an
     * older kernel's refusal of the option itself is harmless. */
    int one = 1;
    setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
               &one, sizeof one);
    nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, error_cb, nl);
    return NULL;
}

void
net_nl_close(struct net_nl *nl)
{
    nl_socket_free(nl->sk);
    nl->sk = NULL;
}

void
net_nl_reset(struct net_nl *nl)
{
    nl->kernel_errno = 0;
    nl->kernel_msg[0] = '\0';
}

const char *
net_nl_strerror(struct net_nl *nl, int nlerr)
{
    if (!nl->kernel_errno) {
        return nl_geterror(nlerr);
    }
    snprintf(nl->text, sizeof nl->text, "%s%s%s",
             ovs_strerror(nl->kernel_errno),
             nl->kernel_msg[0] ? ": " : "", nl->kernel_msg);
    return nl->text;
}

bool
net_nl_was_missing(const struct net_nl *nl, int nlerr)
{
    switch (nl->kernel_errno) {
    case ENODEV: case ENOENT: case ESRCH: case EADDRNOTAVAIL:
        return true;
    case 0:
        return nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV;
    default:
        return false;
    }
}

char *
net_nl_get_link(struct net_nl *nl, const char *name, struct rtnl_link **linkp)
{
    *linkp = NULL;
    char *error = net_ifname_check(name);
    if (error) {
        return error;
    }

    net_nl_reset(nl);
    int err = rtnl_link_get_kernel(nl->sk, 0, name, linkp);
    if (err < 0) {
        return net_nl_was_missing(nl, err)
               ? xasprintf("%s: no such interface", name)
               : xasprintf("%s: looking up the interface failed (%s)",
                           name, net_nl_strerror(nl, err));
    }
    return NULL;
}

char *
net_nl_get_ifindex(struct net_nl *nl, const char *name, int *ifindex)
{
    struct rtnl_link *link;
    char *error = net_nl_get_link(nl, name, &link);

    *ifindex = 0;
    if (!error) {
        *ifindex = rtnl_link_get_ifindex(link);
        rtnl_link_put(link);
    }
    return error;
}
