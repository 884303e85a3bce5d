/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_IPAM_CIDR_H
#define KOVN_IPAM_CIDR_H 1

/* Parsing and formatting of the address syntax found in Kube-OVN objects:
 * addresses ("10.16.0.5", "fd00:10:16::5"), CIDRs ("10.16.0.0/16"),
 * dual-stack CIDR blocks ("10.16.0.0/16,fd00:10:16::/64"), the ranges of
 * excludeIps ("10.16.0.1..10.16.0.10") and MAC addresses.
 *
 * An address of either family is held as a 128-bit unsigned number in host
 * byte order ('ipnum'), so "next address", range sizes and containment are
 * plain arithmetic.  IPv4 addresses use the low 32 bits; the family always
 * travels beside the number.
 *
 * Every parser returns NULL on success, or a malloc'd error message that
 * quotes the offending token (the caller frees it), in which case the output
 * is unspecified.  Parsers are strict: no surrounding white space, no leading
 * zeros in IPv4 octets or prefix lengths. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct ds;

/* GCC and Clang provide this type on every 64-bit target kovn supports. */
__extension__ typedef unsigned __int128 ipnum;

/* Room for any address formatted by cidr_ip_format(), with its NUL. */
#define CIDR_IP_STRLEN INET6_ADDRSTRLEN

/* One address. */
struct ip_addr {
    int family;                 /* AF_INET or AF_INET6. */
    ipnum n;
};

/* One CIDR, always normalised: no host bits set in 'network'. */
struct ip_cidr {
    int family;                 /* AF_INET or AF_INET6. */
    unsigned int plen;          /* Prefix length, 0...32 or 0...128. */
    ipnum network;
};

/* An inclusive range of addresses of one family, lo <= hi. */
struct ip_range {
    int family;                 /* AF_INET or AF_INET6. */
    ipnum lo, hi;
};

/* Address bits of 'family': 32 or 128. */
static inline unsigned int
cidr_family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* "IPv4" or "IPv6", for messages. */
const char *cidr_family_name(int family);

/* Addresses. */
char *cidr_parse_ip(const char *s, struct ip_addr *) OVS_WARN_UNUSED_RESULT;
const char *cidr_ip_format(int family, ipnum, char buf[CIDR_IP_STRLEN]);
void cidr_ip_put(int family, ipnum, struct ds *);
struct in6_addr cidr_ip_to_in6(int family, ipnum);  /* IPv4 is v4-mapped. */

/* CIDRs.  "10.16.0.1/16" is accepted, as Kube-OVN accepts it, and normalised
 * to its network 10.16.0.0/16; if 'had_host_bits' is nonnull it tells whether
 * that happened, so that a caller can log it or write the normal form back. */
char *cidr_parse(const char *s, struct ip_cidr *, bool *had_host_bits)
    OVS_WARN_UNUSED_RESULT;
void cidr_put(const struct ip_cidr *, struct ds *);
ipnum cidr_last(const struct ip_cidr *);    /* Broadcast for IPv4. */
bool cidr_contains(const struct ip_cidr *, int family, ipnum);

/* A Kube-OVN cidrBlock: one CIDR, or two of different families separated by
 * a comma ("10.16.0.0/16,fd00:10:16::/64").  Stores them in input order in
 * 'cidrs' and their number in '*n'. */
char *cidr_parse_block(const char *s, struct ip_cidr cidrs[2], size_t *n)
    OVS_WARN_UNUSED_RESULT;

/* An excludeIps entry: one address ("10.16.0.5", a range of one) or a range
 * "LO..HI" of one family with LO <= HI. */
char *cidr_parse_range(const char *s, struct ip_range *)
    OVS_WARN_UNUSED_RESULT;

/* A MAC address: six pairs of hex digits separated by ':' or '-' (either
 * case), as Go's net.ParseMAC accepts for EUI-48.  Any MAC is accepted here;
 * the caller decides whether multicast or zero addresses are allowed. */
char *cidr_parse_mac(const char *s, struct eth_addr *) OVS_WARN_UNUSED_RESULT;

#endif /* lib/ipam/cidr.h */
