/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_IPAM_H
#define KOVN_IPAM_H 1

/* In-memory IP and MAC address management for the controller.
 *
 * An ipam holds named subnets, each with an IPv4 CIDR, an IPv6 CIDR or one of
 * each (dual stack), as Kube-OVN's Subnet.spec.cidrBlock writes them.  An
 * owner, an opaque string chosen by the caller and unique across the whole
 * ipam, holds at most one lease: one address per family of its subnet plus a
 * MAC address.  Owners appear verbatim in error messages ("10.16.0.5 is
 * already in use by pod default/web-1"), so make them readable, e.g.
 * "pod default/web-1" or "node node-1".
 *
 * Never handed out: the gateway (by default the first address of the CIDR),
 * the addresses in excludeIps, the network address, and for IPv4 the
 * broadcast address.  IPv4 /31 and /32 and IPv6 /127 and /128 have no
 * network or broadcast address (RFC 3021, RFC 6164).  The IPv6 network
 * address is the Subnet-Router anycast address (RFC 4291), so it is not
 * handed out either, as in Kube-OVN.
 *
 * Allocation order.  A dynamic allocation takes the lowest address that was
 * never leased since the subnet was created.  A released address goes to the
 * back of a FIFO "quarantine" instead, and is handed out again only when no
 * never-used address is left, oldest release first.  That keeps a just
 * released address from going straight to the next pod while peers may
 * still hold it in their ARP/neighbour caches or conntrack tables, as
 * Kube-OVN does.  The FIFO holds at most ipam_set_quarantine() addresses per
 * subnet and family (IPAM_QUARANTINE_DEFAULT): beyond that the oldest one
 * becomes an ordinary free address again, so that churn in a huge IPv6
 * subnet, where never-used addresses never run out, does not grow memory
 * without bound.  A static request may take a quarantined address at once.
 *
 * Cost.  Nothing is proportional to the size of a subnet: free never-used
 * addresses are a sorted set of ranges (OVS skiplist), leases are in hash
 * maps by owner, by address and by MAC.  Allocation and release are
 * O(log r) in the number of free ranges r, which stays small unless many
 * static addresses are scattered; typically O(1).  Memory is proportional to
 * the number of leases, quarantined addresses, excludeIps entries and free
 * ranges.  ipam_subnet_set() with a changed spec costs O(n log n) in the
 * subnet's leases; with an unchanged spec it is cheap, so a reconciler may
 * call it every time.
 *
 * Restarting.  The ipam lives only in memory.  At start-up the controller
 * creates the subnets, then calls ipam_restore() with what pod annotations,
 * IP resources and NB rows say is allocated, before any new allocation.
 *
 * Errors.  Functions that can fail return NULL on success or a malloc'd
 * message that the caller frees; ipam_allocate() also returns what kind of
 * failure it was (enum ipam_error), so that a caller can react to a full
 * subnet without reading the message.  On failure nothing has changed.
 *
 * Not thread-safe: use an ipam from one thread, or lock around it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ipam/cidr.h"
#include "openvswitch/compiler.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"

struct sset;
struct svec;

/* About 1 MiB per subnet and family when full.  At ten pod deletions a
 * second it still keeps an address out of use for about half an hour, far
 * longer than ARP, neighbour or conntrack entries of a closed flow live. */
#define IPAM_QUARANTINE_DEFAULT 16384

/* Why ipam_allocate() failed.  The message says which address, MAC or
 * holder; the kind says what a caller can do about it. */
enum ipam_error {
    IPAM_OK = 0,
    IPAM_ERR_NO_SUBNET,     /* The subnet does not exist (yet). */
    IPAM_ERR_EXHAUSTED,     /* A family of the subnet has no free address:
                             * may succeed after some release. */
    IPAM_ERR_CONFLICT,      /* A requested address or MAC is held by another
                             * owner, or the owner already holds another
                             * lease: may succeed after that one's release. */
    IPAM_ERR_INVALID,       /* No release helps, only a change of the
                             * request or of the subnet's spec: a malformed
                             * address or MAC, an address outside the
                             * subnet, its network, broadcast or gateway
                             * address, an excluded one, a multicast or zero
                             * MAC. */
};

/* A short name for 'error', e.g. "exhausted", for logs and metrics. */
const char *ipam_error_name(enum ipam_error);

/* Creates an empty ipam, destroyed (with all subnets and leases) by
 * ipam_destroy(). */
struct ipam *ipam_create(void);
void ipam_destroy(struct ipam *);

/* Limits the released-address FIFO of each subnet and family to 'max'
 * addresses; 0 turns quarantine off (a released address is free at once and
 * handed out again lowest first). */
void ipam_set_quarantine(struct ipam *, size_t max);

/* Subnets. */

/* Creates subnet 'name', or updates it, from Kube-OVN's spec fields:
 * 'cidr_block' ("10.16.0.0/16" or "10.16.0.0/16,fd00:10:16::/64"),
 * 'gateway' (NULL or "" for the first address of each CIDR; else one address
 * per family, comma separated; a missing family gets the default) and
 * 'excludes' ('n_excludes' strings, each an address or a range "LO..HI" that
 * must lie inside the CIDR of its family).  CIDRs with host bits set are
 * normalised (see cidr_parse()).
 *
 * An update keeps every lease, even on a newly excluded address (it is then
 * just not handed out again after its release).  It fails, changing nothing,
 * if a lease would fall outside the new CIDRs, on the new gateway, or on a
 * new network or broadcast address; the message names the holder. */
char *ipam_subnet_set(struct ipam *, const char *name, const char *cidr_block,
                      const char *gateway,
                      const char *const *excludes, size_t n_excludes)
    OVS_WARN_UNUSED_RESULT;

/* Removes subnet 'name' and every lease in it (pointers to them become
 * invalid).  Returns false if there was no such subnet. */
bool ipam_subnet_remove(struct ipam *, const char *name);

/* The subnet called 'name', or NULL.  Valid until it is removed. */
const struct ipam_subnet *ipam_subnet_find(const struct ipam *,
                                           const char *name);

/* A subnet's name, and its normalised cidrBlock and gateway in the order of
 * the spec's cidrBlock (the values for the pod annotations "cidr" and
 * "gateway").  Owned by the subnet; valid until the next ipam_subnet_set()
 * or ipam_subnet_remove() of it. */
const char *ipam_subnet_name(const struct ipam_subnet *);
const char *ipam_subnet_cidr_block(const struct ipam_subnet *);
const char *ipam_subnet_gateway(const struct ipam_subnet *);

/* Address counts for Subnet.status.  'available' counts the addresses that
 * could still be handed out; Kube-OVN's status fields are float64 too, and a
 * /64 has more than fits in 64 bits minus one. */
struct ipam_usage {
    uint64_t v4_used, v6_used;
    double v4_available, v6_available;
};
void ipam_subnet_usage(const struct ipam_subnet *, struct ipam_usage *);

/* Leases. */

/* A lease: the addresses and MAC held by one owner.  Owned by the ipam:
 * callers only read the public members, and a pointer stays valid until the
 * owner's ipam_release(), the removal of its subnet, or ipam_destroy(). */
struct ipam_lease {
    const char *owner;
    const struct ipam_subnet *subnet;
    size_t n_ips;               /* 1, or 2 in a dual-stack subnet. */
    struct ip_addr ips[2];      /* IPv4 first, as Kube-OVN writes them. */
    const char *ip_string;      /* "10.16.0.5,fd00:10:16::5". */
    struct eth_addr mac;        /* Never multicast or zero. */
    char mac_string[18];        /* "0a:1b:2c:3d:4e:5f". */

    /* Private to ipam.c. */
    struct hmap_node owner_node;    /* In ipam's 'leases'. */
    struct hmap_node mac_node;      /* In ipam's 'macs'. */
    struct ipam_slot {              /* ips[i], in its pool's 'leased'. */
        struct hmap_node node;
        struct ipam_lease *lease;
        size_t idx;
    } slots[2];
};

/* Gives 'owner' a lease in subnet 'subnet', stores it in '*leasep' and
 * returns IPAM_OK.  On failure, stores NULL in '*leasep' and returns the
 * kind of failure; then if 'errorp' is nonnull it receives a malloc'd
 * message that the caller frees (on success, NULL).
 *
 * 'ips' is NULL or "" for the next free address of each family, or the
 * static addresses wanted, comma separated (the ip_address annotation, e.g.
 * "10.16.0.5" or "10.16.0.5,fd00:10:16::5"); a family not named gets a
 * dynamic address.  'mac' is NULL or "" for a new random, locally
 * administered unicast MAC unique in the ipam, or the MAC wanted.
 *
 * Idempotent: if 'owner' already holds a lease in 'subnet' that satisfies
 * 'ips' and 'mac', that lease is returned.  A lease that does not (another
 * subnet, other addresses) is an error; release it first.  (So a lease
 * made before its subnet went dual stack keeps its one address until it is
 * released and allocated again.)
 *
 * Fails, without allocating anything, with IPAM_ERR_NO_SUBNET if there is
 * no subnet 'subnet'; IPAM_ERR_INVALID if a requested address is malformed,
 * outside the subnet, its network, broadcast or gateway address or excluded,
 * or a requested MAC is malformed, multicast or zero; IPAM_ERR_CONFLICT if
 * a requested address or MAC is held by another owner or 'owner' holds a
 * lease that does not satisfy the request (the message names the holder);
 * IPAM_ERR_EXHAUSTED if a family to be allocated dynamically has no free
 * address left.  When several apply, which one is reported is unspecified. */
enum ipam_error ipam_allocate(struct ipam *, const char *subnet,
                              const char *owner, const char *ips,
                              const char *mac,
                              const struct ipam_lease **leasep,
                              char **errorp)
    OVS_WARN_UNUSED_RESULT;

/* Releases the lease of 'owner' (see "Allocation order" above).  Returns
 * false if 'owner' had none. */
bool ipam_release(struct ipam *, const char *owner);

/* The lease of 'owner', or NULL. */
const struct ipam_lease *ipam_lookup_owner(const struct ipam *,
                                           const char *owner);

/* The lease that holds address 'ip' (a string) in subnet 'subnet', or NULL
 * if none does (or 'ip' is malformed). */
const struct ipam_lease *ipam_lookup_ip(const struct ipam *,
                                        const char *subnet, const char *ip);

/* Adds the owner of every lease to 'owners' (e.g. for garbage collection);
 * only those in subnet 'subnet' if it is nonnull. */
void ipam_get_owners(const struct ipam *, const char *subnet,
                     struct sset *owners);

/* Rebuilding at start-up. */

/* What some other record (pod annotations, an IP resource, an NB row) says
 * one owner holds.  The caller owns the strings. */
struct ipam_record {
    const char *subnet;
    const char *owner;
    const char *ips;            /* "10.16.0.5" or "10.16.0.5,fd00::5". */
    const char *mac;            /* NULL: a new random MAC. */
};

/* Re-creates the lease that 'record' describes.  Unlike ipam_allocate(), an
 * excluded address is accepted (it may have been excluded after it was
 * leased).  A record identical to an existing lease is accepted again; one
 * claiming an address or MAC that another owner holds, or giving an owner
 * that holds something else, is rejected with a message naming both. */
char *ipam_restore_one(struct ipam *, const struct ipam_record *)
    OVS_WARN_UNUSED_RESULT;

/* Calls ipam_restore_one() on each of the 'n' records, in order, so the
 * first claim of a contested address wins: sort the records (e.g. by
 * creation time) if that matters.  Appends one message per rejected record
 * to 'errors' and returns the number of records accepted. */
size_t ipam_restore(struct ipam *, const struct ipam_record *, size_t n,
                    struct svec *errors);

#endif /* lib/ipam/ipam.h */
