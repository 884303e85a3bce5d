/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "net/addr.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <string.h>

#include "net/net-nl.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* ---- conversions between lib/ipam numbers and libnl addresses ---- */

/* A new libnl address (the caller puts it) for 'family' number 'n'. */
static struct nl_addr *
nl_addr_from_ip(int family, ipnum n, unsigned int plen)
{
    struct in6_addr in6 = cidr_ip_to_in6(family, n);
    struct nl_addr *a = family == AF_INET
        ? nl_addr_build(AF_INET, &in6.s6_addr[12], 4)    /* v4-mapped. */
        : nl_addr_build(AF_INET6, &in6, sizeof in6);
    nl_addr_set_prefixlen(a, plen);
    return a;
}

/* The family and number of 'a'; family 0 if 'a' is NULL or not IP.  A
 * zero-length address (the kernel's way to say "default") is 0. */
static struct ip_addr
ip_from_nl_addr(const struct nl_addr *a)
{
    struct ip_addr ip = { .family = 0, .n = 0 };
    int family = a ? nl_addr_get_family(a) : 0;
    if (family != AF_INET && family != AF_INET6) {
        return ip;
    }

    const uint8_t *p = nl_addr_get_binary_addr(a);
    size_t len = MIN(nl_addr_get_len(a), cidr_family_bits(family) / 8);
    ip.family = family;
    for (size_t i = 0; i < len; i++) {
        ip.n = (ip.n << 8) | p[i];
    }
    return ip;
}

/* ---- addresses ---- */

char *
net_ifaddr_parse(const char *s, struct net_ifaddr *a)
{
    memset(a, 0, sizeof *a);

    /* cidr_parse() checks the whole syntax and the prefix length but keeps
     * the network only; the address comes from the part before '/'. */
    struct ip_cidr cidr;
    char *error = cidr_parse(s, &cidr, NULL);
    if (error) {
        return error;
    }
    char *ip = xmemdup0(s, strcspn(s, "/"));
    error = cidr_parse_ip(ip, &a->ip);
    free(ip);
    a->plen = cidr.plen;
    return error;
}

void
net_ifaddr_put(const struct net_ifaddr *a, struct ds *s)
{
    cidr_ip_put(a->ip.family, a->ip.n, s);
    ds_put_format(s, "/%u", a->plen);
}

/* A new libnl address object (the caller puts it) for 'a' on 'ifindex'. */
static struct rtnl_addr *
rtnl_addr_from(const struct net_ifaddr *a, int ifindex)
{
    struct rtnl_addr *addr = rtnl_addr_alloc();
    struct nl_addr *local = nl_addr_from_ip(a->ip.family, a->ip.n, a->plen);

    rtnl_addr_set_ifindex(addr, ifindex);
    rtnl_addr_set_family(addr, a->ip.family);
    rtnl_addr_set_local(addr, local);
    rtnl_addr_set_prefixlen(addr, a->plen);
    if (a->ip.family == AF_INET6) {
        rtnl_addr_set_flags(addr, IFA_F_NODAD);
    }
    nl_addr_put(local);
    return addr;
}

/* Adds ('add') or removes 'a' on 'dev'. */
static char *
change_addr(const char *dev, const struct net_ifaddr *a, bool add)
{
    struct net_nl nl;
    char *error = net_nl_open(&nl, dev);
    if (error) {
        return error;
    }

    int ifindex;
    error = net_nl_get_ifindex(&nl, dev, &ifindex);
    if (!error) {
        struct rtnl_addr *addr = rtnl_addr_from(a, ifindex);
        net_nl_reset(&nl);
        int err = add ? rtnl_addr_add(nl.sk, addr, NLM_F_REPLACE)
                      : rtnl_addr_delete(nl.sk, addr, 0);
        if (err < 0 && (add || !net_nl_was_missing(&nl, err))) {
            struct ds s = DS_EMPTY_INITIALIZER;
            net_ifaddr_put(a, &s);
            error = xasprintf("%s: %s address %s failed (%s)", dev,
                              add ? "adding" : "removing", ds_cstr(&s),
                              net_nl_strerror(&nl, err));
            ds_destroy(&s);
        }
        rtnl_addr_put(addr);
    }
    net_nl_close(&nl);
    return error;
}

char *
net_addr_add(const char *dev, const struct net_ifaddr *a)
{
    return change_addr(dev, a, true);
}

char *
net_addr_del(const char *dev, const struct net_ifaddr *a)
{
    return change_addr(dev, a, false);
}

static bool
family_matches(int want, int family)
{
    return want == AF_UNSPEC || want == family;
}

typedef int alloc_cache_func(struct nl_sock *, int family,
                             struct nl_cache **);

/* Opens netlink in 'nl', looks up 'dev''s ifindex and fills '*cachep' with
 * 'alloc' (listing 'what', for the error message).  On success the caller
 * frees '*cachep' with nl_cache_free() and closes 'nl'; on error nothing is
 * left to free. */
static char *
link_cache_open(const char *dev, const char *what, int family,
                alloc_cache_func *alloc, struct net_nl *nl, int *ifindex,
                struct nl_cache **cachep)
{
    char *error = net_nl_open(nl, dev);
    if (error) {
        return error;
    }

    error = net_nl_get_ifindex(nl, dev, ifindex);
    if (!error) {
        net_nl_reset(nl);
        int err = alloc(nl->sk, family, cachep);
        if (err < 0) {
            error = xasprintf("%s: listing %s failed (%s)", dev, what,
                              net_nl_strerror(nl, err));
        }
    }
    if (error) {
        net_nl_close(nl);
    }
    return error;
}

static int
alloc_addr_cache(struct nl_sock *sk, int family OVS_UNUSED,
                 struct nl_cache **cachep)
{
    return rtnl_addr_alloc_cache(sk, cachep);
}

static int
alloc_route_cache(struct nl_sock *sk, int family, struct nl_cache **cachep)
{
    return rtnl_route_alloc_cache(sk, family, 0, cachep);
}

char *
net_addr_list(const char *dev, int family, struct net_ifaddr **addrs,
              size_t *n)
{
    *addrs = NULL;
    *n = 0;

    struct net_nl nl;
    struct nl_cache *cache;
    int ifindex;
    char *error = link_cache_open(dev, "addresses", AF_UNSPEC,
                                  alloc_addr_cache, &nl, &ifindex, &cache);
    if (error) {
        return error;
    }

    size_t allocated = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o;
         o = nl_cache_get_next(o)) {
        struct rtnl_addr *addr = (struct rtnl_addr *) o;
        struct ip_addr ip = ip_from_nl_addr(rtnl_addr_get_local(addr));
        if (rtnl_addr_get_ifindex(addr) != ifindex || !ip.family
            || !family_matches(family, ip.family)) {
            continue;
        }
        if (*n >= allocated) {
            *addrs = x2nrealloc(*addrs, &allocated, sizeof **addrs);
        }
        (*addrs)[(*n)++] = (struct net_ifaddr) {
            .ip = ip,
            .plen = rtnl_addr_get_prefixlen(addr),
            .scope = rtnl_addr_get_scope(addr),
        };
    }
    nl_cache_free(cache);
    net_nl_close(&nl);
    return NULL;
}

/* ---- routes ---- */

/* A new libnl route (the caller puts it) to 'dst' out of 'ifindex', via
 * 'gw' unless it is NULL. */
static struct rtnl_route *
rtnl_route_from(const struct ip_cidr *dst, const struct ip_addr *gw,
                int ifindex)
{
    struct rtnl_route *route = rtnl_route_alloc();
    struct nl_addr *d = nl_addr_from_ip(dst->family, dst->network,
                                        dst->plen);
    rtnl_route_set_family(route, dst->family);
    rtnl_route_set_table(route, RT_TABLE_MAIN);
    rtnl_route_set_protocol(route, RTPROT_BOOT);
    rtnl_route_set_type(route, RTN_UNICAST);
    /* Without a gateway the prefix is on the link itself. */
    rtnl_route_set_scope(route, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    rtnl_route_set_dst(route, d);
    nl_addr_put(d);

    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, ifindex);
    if (gw) {
        struct nl_addr *g = nl_addr_from_ip(gw->family, gw->n,
                                            cidr_family_bits(gw->family));
        rtnl_route_nh_set_gateway(nh, g);
        nl_addr_put(g);
    }
    rtnl_route_add_nexthop(route, nh);     /* 'route' owns 'nh' now. */
    return route;
}

void
net_route_put(const struct net_route *r, struct ds *s)
{
    if (r->dst.plen) {
        cidr_put(&r->dst, s);
    } else {
        ds_put_cstr(s, "default");
    }
    if (r->gw.family) {
        ds_put_cstr(s, " via ");
        cidr_ip_put(r->gw.family, r->gw.n, s);
    }
}

/* Adds ('add') or removes the route to 'dst' via 'gw' (or none) out of
 * 'dev'. */
static char *
change_route(const char *dev, const struct ip_cidr *dst,
             const struct ip_addr *gw, bool add)
{
    if (gw && gw->family != dst->family) {
        return xasprintf("%s: route to %s: gateway is %s", dev,
                         cidr_family_name(dst->family),
                         cidr_family_name(gw->family));
    }

    struct net_nl nl;
    char *error = net_nl_open(&nl, dev);
    if (error) {
        return error;
    }

    int ifindex;
    error = net_nl_get_ifindex(&nl, dev, &ifindex);
    if (!error) {
        struct rtnl_route *route = rtnl_route_from(dst, gw, ifindex);
        if (!add) {
            /* Any scope, as "ip route del" asks: the kernel deletes an IPv4
             * route only if the scope matches, and a route added via a
             * gateway has scope universe, not the link scope that
             * rtnl_route_from() gives a route without one.  Otherwise the
             * deletion finds nothing (ESRCH, taken for "already gone"). */
            rtnl_route_set_scope(route, RT_SCOPE_NOWHERE);
        }
        net_nl_reset(&nl);
        int err = add ? rtnl_route_add(nl.sk, route, NLM_F_REPLACE)
                      : rtnl_route_delete(nl.sk, route, 0);
        if (err < 0 && (add || !net_nl_was_missing(&nl, err))) {
            struct net_route r = { .dst = *dst };
            if (gw) {
                r.gw = *gw;
            }
            struct ds s = DS_EMPTY_INITIALIZER;
            net_route_put(&r, &s);
            error = xasprintf("%s: %s route %s failed (%s)", dev,
                              add ? "adding" : "removing", ds_cstr(&s),
                              net_nl_strerror(&nl, err));
            ds_destroy(&s);
        }
        rtnl_route_put(route);
    }
    net_nl_close(&nl);
    return error;
}

char *
net_route_add(const char *dev, const struct ip_cidr *dst,
              const struct ip_addr *gw)
{
    return change_route(dev, dst, gw, true);
}

char *
net_route_add_default(const char *dev, const struct ip_addr *gw)
{
    struct ip_cidr dst = { .family = gw->family, .plen = 0, .network = 0 };
    return change_route(dev, &dst, gw, true);
}

char *
net_route_del(const char *dev, const struct ip_cidr *dst)
{
    return change_route(dev, dst, NULL, false);
}

/* If 'route' goes out of 'ifindex', stores its gateway on that link (family
 * 0 if none) in '*gw' and returns true. */
static bool
route_via(struct rtnl_route *route, int ifindex, struct ip_addr *gw)
{
    int n = rtnl_route_get_nnexthops(route);
    for (int i = 0; i < n; i++) {
        struct rtnl_nexthop *nh = rtnl_route_nexthop_n(route, i);
        if (rtnl_route_nh_get_ifindex(nh) == ifindex) {
            *gw = ip_from_nl_addr(rtnl_route_nh_get_gateway(nh));
            return true;
        }
    }
    return false;
}

char *
net_route_list(const char *dev, int family, struct net_route **routes,
               size_t *n)
{
    *routes = NULL;
    *n = 0;

    struct net_nl nl;
    struct nl_cache *cache;
    int ifindex;
    char *error = link_cache_open(dev, "routes", family, alloc_route_cache,
                                  &nl, &ifindex, &cache);
    if (error) {
        return error;
    }

    size_t allocated = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o;
         o = nl_cache_get_next(o)) {
        struct rtnl_route *route = (struct rtnl_route *) o;
        int f = rtnl_route_get_family(route);
        struct ip_addr gw;
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN
            || rtnl_route_get_type(route) != RTN_UNICAST
            || (f != AF_INET && f != AF_INET6) || !family_matches(family, f)
            || !route_via(route, ifindex, &gw)) {
            continue;
        }

        struct nl_addr *d = rtnl_route_get_dst(route);
        struct ip_addr net = ip_from_nl_addr(d);
        if (*n >= allocated) {
            *routes = x2nrealloc(*routes, &allocated, sizeof **routes);
        }
        (*routes)[(*n)++] = (struct net_route) {
            .dst = { .family = f, .plen = d ? nl_addr_get_prefixlen(d) : 0,
                     .network = net.n },
            .gw = gw,
        };
    }
    nl_cache_free(cache);
    net_nl_close(&nl);
    return NULL;
}
