/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ipam/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

const char *
cidr_family_name(int family)
{
    return family == AF_INET ? "IPv4" : "IPv6";
}

/* Converts the 'n_bytes' network-order bytes at 'p' to a number. */
static ipnum
bytes_to_ipnum(const uint8_t *p, size_t n_bytes)
{
    ipnum n = 0;

    for (size_t i = 0; i < n_bytes; i++) {
        n = (n << 8) | p[i];
    }
    return n;
}

static void
ipnum_to_bytes(ipnum n, uint8_t *p, size_t n_bytes)
{
    for (size_t i = n_bytes; i-- > 0; n >>= 8) {
        p[i] = n & 0xff;
    }
}

/* The guess behind the error message: a string with a ':' was meant to be
 * IPv6, one made of digits and dots IPv4, anything else is just garbage. */
static const char *
guess_family_name(const char *s)
{
    if (strchr(s, ':')) {
        return "IPv6 address";
    }
    return s[strspn(s, "0123456789.")] ? "IP address" : "IPv4 address";
}

char *
cidr_parse_ip(const char *s, struct ip_addr *ip)
{
    uint8_t bytes[16];

    /* inet_pton() is strict where it matters: it rejects "10.16.0.300",
     * octets with leading zeros (which some parsers read as octal) and
     * trailing garbage. */
    if (strchr(s, ':')) {
        if (inet_pton(AF_INET6, s, bytes) == 1) {
            ip->family = AF_INET6;
            ip->n = bytes_to_ipnum(bytes, 16);
            return NULL;
        }
    } else if (inet_pton(AF_INET, s, bytes) == 1) {
        ip->family = AF_INET;
        ip->n = bytes_to_ipnum(bytes, 4);
        return NULL;
    }
    return xasprintf("\"%s\" is not a valid %s", s, guess_family_name(s));
}

const char *
cidr_ip_format(int family, ipnum n, char buf[CIDR_IP_STRLEN])
{
    uint8_t bytes[16];

    ipnum_to_bytes(n, bytes, family == AF_INET ? 4 : 16);
    return inet_ntop(family, bytes, buf, CIDR_IP_STRLEN);
}

void
cidr_ip_put(int family, ipnum n, struct ds *s)
{
    char buf[CIDR_IP_STRLEN];

    ds_put_cstr(s, cidr_ip_format(family, n, buf));
}

struct in6_addr
cidr_ip_to_in6(int family, ipnum n)
{
    struct in6_addr a;

    if (family == AF_INET) {
        n |= (ipnum) 0xffff << 32;     /* ::ffff:a.b.c.d */
    }
    ipnum_to_bytes(n, a.s6_addr, 16);
    return a;
}

/* The host part of a prefix of 'plen' bits in 'family'. */
static ipnum
host_mask(int family, unsigned int plen)
{
    unsigned int host_bits = cidr_family_bits(family) - plen;

    /* Shifting a 128-bit number by 128 is undefined. */
    return host_bits >= 128 ? ~(ipnum) 0 : ((ipnum) 1 << host_bits) - 1;
}

/* Parses the prefix length after the '/': decimal, no sign, no leading
 * zeros, at most 'max'.  Returns false if it is not one. */
static bool
parse_plen(const char *s, unsigned int max, unsigned int *plen)
{
    size_t len = strlen(s);

    if (!len || len > 3 || len != strspn(s, "0123456789")
        || (s[0] == '0' && len > 1)) {
        return false;
    }
    *plen = atoi(s);
    return *plen <= max;
}

char *
cidr_parse(const char *s, struct ip_cidr *cidr, bool *had_host_bits)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        return xasprintf("\"%s\" is not a valid CIDR: no \"/\" and prefix "
                         "length", s);
    }

    char *addr_s = xmemdup0(s, slash - s);
    struct ip_addr addr;
    char *error = cidr_parse_ip(addr_s, &addr);
    free(addr_s);
    if (error) {
        char *msg = xasprintf("\"%s\" is not a valid CIDR: %s", s, error);
        free(error);
        return msg;
    }

    unsigned int bits = cidr_family_bits(addr.family);
    if (!parse_plen(slash + 1, bits, &cidr->plen)) {
        return xasprintf("\"%s\" is not a valid CIDR: prefix length \"%s\" "
                         "is not a number from 0 to %u",
                         s, slash + 1, bits);
    }

    ipnum mask = host_mask(addr.family, cidr->plen);
    cidr->family = addr.family;
    cidr->network = addr.n & ~mask;
    if (had_host_bits) {
        *had_host_bits = (addr.n & mask) != 0;
    }
    return NULL;
}

void
cidr_put(const struct ip_cidr *cidr, struct ds *s)
{
    cidr_ip_put(cidr->family, cidr->network, s);
    ds_put_format(s, "/%u", cidr->plen);
}

ipnum
cidr_last(const struct ip_cidr *cidr)
{
    return cidr->network | host_mask(cidr->family, cidr->plen);
}

bool
cidr_contains(const struct ip_cidr *cidr, int family, ipnum n)
{
    return (family == cidr->family
            && (n & ~host_mask(family, cidr->plen)) == cidr->network);
}

char *
cidr_parse_block(const char *s, struct ip_cidr cidrs[2], size_t *n)
{
    char *copy = xstrdup(s);
    char *save_ptr = NULL;
    char *error = NULL;

    *n = 0;
    if (!*s || s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,")) {
        error = xasprintf("cidrBlock \"%s\" has an empty CIDR", s);
        goto out;
    }
    for (char *token = strtok_r(copy, ",", &save_ptr); token;
         token = strtok_r(NULL, ",", &save_ptr)) {
        if (*n == 2) {
            error = xasprintf("cidrBlock \"%s\" has more than two CIDRs", s);
            goto out;
        }
        error = cidr_parse(token, &cidrs[*n], NULL);
        if (error) {
            goto out;
        }
        if (*n == 1 && cidrs[0].family == cidrs[1].family) {
            error = xasprintf("cidrBlock \"%s\" has two %s CIDRs", s,
                              cidr_family_name(cidrs[0].family));
            goto out;
        }
        (*n)++;
    }

out:
    free(copy);
    return error;
}

char *
cidr_parse_range(const char *s, struct ip_range *range)
{
    const char *dots = strstr(s, "..");
    struct ip_addr lo, hi;
    char *error;

    if (!dots) {
        error = cidr_parse_ip(s, &lo);
        if (error) {
            return error;
        }
        hi = lo;
    } else {
        char *lo_s = xmemdup0(s, dots - s);
        error = cidr_parse_ip(lo_s, &lo);
        free(lo_s);
        if (!error) {
            error = cidr_parse_ip(dots + 2, &hi);
        }
        if (error) {
            char *msg = xasprintf("\"%s\" is not a valid range: %s", s, error);
            free(error);
            return msg;
        }
        if (lo.family != hi.family) {
            return xasprintf("\"%s\" is not a valid range: it mixes IPv4 and "
                             "IPv6", s);
        }
        if (lo.n > hi.n) {
            return xasprintf("\"%s\" is not a valid range: its start is "
                             "after its end", s);
        }
    }
    range->family = lo.family;
    range->lo = lo.n;
    range->hi = hi.n;
    return NULL;
}

static int
hex_value(char c)
{
    return (c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
            : -1);
}

char *
cidr_parse_mac(const char *s, struct eth_addr *mac)
{
    /* Fixed layout "xx:xx:xx:xx:xx:xx": ovs_scan()'s "%hhx" would also take
     * "0:1:2:3:4:5" or a trailing suffix, which Kube-OVN refuses. */
    if (strlen(s) != ETH_ADDR_STRLEN || (s[2] != ':' && s[2] != '-')) {
        goto error;
    }
    for (int i = 0; i < 6; i++) {
        const char *p = &s[i * 3];
        int hi = hex_value(p[0]);
        int lo = hex_value(p[1]);

        if (hi < 0 || lo < 0 || (i < 5 && p[2] != s[2])) {
            goto error;
        }
        mac->ea[i] = hi << 4 | lo;
    }
    return NULL;

error:
    return xasprintf("\"%s\" is not a valid MAC address", s);
}
