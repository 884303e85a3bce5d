/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NET_ADDR_H
#define KOVN_NET_ADDR_H 1

/* IPv4 and IPv6 addresses and routes of one interface, over route netlink:
 * what a CNI ADD configures inside a pod and a CNI CHECK reads back.
 *
 * Like lib/net/link.h, every function acts in the network namespace of the
 * calling thread (use netns_run() for a pod's), names the interface by
 * name, and returns NULL on success or a malloc'd error message, naming
 * the interface and the operation, that the caller frees.
 *
 * Addresses are the 'struct ip_addr' of lib/ipam/cidr.h, so what IPAM
 * allocated goes in unchanged. */

#include <stddef.h>
#include "ipam/cidr.h"
#include "openvswitch/compiler.h"

struct ds;

/* An address on an interface with its prefix length, "10.16.0.5/16".
 * Unlike a 'struct ip_cidr', the host bits are the point. */
struct net_ifaddr {
    struct ip_addr ip;
    unsigned int plen;          /* 0...32 or 0...128. */
    int scope;                  /* RT_SCOPE_*: filled in by listing only;
                                 * 0 (universe) for global addresses,
                                 * 253 (link) for fe80::/64. */
};

/* Parses "ADDRESS/PLEN" of either family. */
char *net_ifaddr_parse(const char *s, struct net_ifaddr *)
    OVS_WARN_UNUSED_RESULT;
void net_ifaddr_put(const struct net_ifaddr *, struct ds *);

/* Adds 'a' to 'dev'; success if it is already there.  IPv6 addresses skip
 * duplicate address detection (IFA_F_NODAD): a pod's address is unique by
 * IPAM, and DAD would keep it unusable ("tentative") for a second or more
 * after the CNI ADD returns. */
char *net_addr_add(const char *dev, const struct net_ifaddr *a)
    OVS_WARN_UNUSED_RESULT;

/* Removes 'a' from 'dev'; success if it is not there. */
char *net_addr_del(const char *dev, const struct net_ifaddr *a)
    OVS_WARN_UNUSED_RESULT;

/* Stores in '*addrs' a malloc'd array (the caller frees it with free()) of
 * the '*n' addresses of 'dev' of 'family' (AF_INET, AF_INET6 or AF_UNSPEC
 * for both), link-local ones included. */
char *net_addr_list(const char *dev, int family, struct net_ifaddr **addrs,
                    size_t *n) OVS_WARN_UNUSED_RESULT;

/* A route of the main table through one interface. */
struct net_route {
    struct ip_cidr dst;         /* 0.0.0.0/0 or ::/0 for a default route. */
    struct ip_addr gw;          /* 'family' 0: none, the prefix is on-link. */
};

/* Adds, or replaces, the route to 'dst' via gateway 'gw' out of 'dev' or,
 * if 'gw' is NULL, directly out of 'dev' (scope link).  A gateway must be
 * reachable on 'dev' already: add the address first. */
char *net_route_add(const char *dev, const struct ip_cidr *dst,
                    const struct ip_addr *gw) OVS_WARN_UNUSED_RESULT;

/* net_route_add() of the default route of 'gw''s family. */
char *net_route_add_default(const char *dev, const struct ip_addr *gw)
    OVS_WARN_UNUSED_RESULT;

/* Removes the route to 'dst' out of 'dev'; success if there is none. */
char *net_route_del(const char *dev, const struct ip_cidr *dst)
    OVS_WARN_UNUSED_RESULT;

/* Stores in '*routes' a malloc'd array (the caller frees it with free()) of
 * the '*n' unicast routes of the main table of 'family' (AF_INET, AF_INET6
 * or AF_UNSPEC) that go out of 'dev', including the ones the kernel adds
 * for an address's prefix. */
char *net_route_list(const char *dev, int family, struct net_route **routes,
                     size_t *n) OVS_WARN_UNUSED_RESULT;

/* "default via 10.16.0.1", "10.17.0.0/16 via 10.16.0.1", "10.16.0.0/16". */
void net_route_put(const struct net_route *, struct ds *);

#endif /* lib/net/addr.h */
