/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DNS_RECORDS_H
#define KOVN_DNS_RECORDS_H 1

/* The DNS records of one Service or one Pod, as the Kubernetes DNS
 * specification (github.com/kubernetes/dns, docs/specification.md) gives
 * them, in the zone file format unbound-control reads and prints:
 *
 *     "NAME.\tTTL\tIN\tTYPE\tRDATA"
 *
 * one record per line, names in lower case and absolute.  Pure functions of
 * the API objects: no I/O.
 *
 *   ClusterIP   svc.ns.svc.ZONE A/AAAA each cluster IP; PTR of each IP;
 *               _port._proto.svc.ns.svc.ZONE SRV for each named port.
 *   headless    svc.ns.svc.ZONE A/AAAA each ready endpoint (as
 *               svc_model_build() counts ready, publishNotReadyAddresses
 *               included); HOST.svc.ns.svc.ZONE A/AAAA for each, HOST
 *               being its hostname or, without one, its address with '-'
 *               for '.' and ':'; PTR of the address to the hostname name
 *               (endpoints with a hostname only); SRV per named port and
 *               endpoint, to HOST.svc.ns.svc.ZONE.
 *   ExternalName  svc.ns.svc.ZONE CNAME spec.externalName.
 *   Pod         a-b-c-d.ns.pod.ZONE A a.b.c.d for each pod IP (IPv6: ':'
 *               becomes '-').
 *
 * Ownership: the functions append malloc'd lines to the caller's svec and
 * return NULL, or an error message the caller frees; on error they add
 * nothing. */

#include <stdbool.h>
#include <stddef.h>

struct json;
struct svec;

/* What every record shares. */
struct dns_zone {
    const char *domain;     /* "cluster.local": lower case, no final dot. */
    int ttl;                /* Seconds. */
};

/* Appends the records of Service 'svc' and its 'n_slices' EndpointSlices
 * (those labelled with its name) to 'out'. */
char *dns_service_records(const struct dns_zone *, const struct json *svc,
                          const struct json *const *slices, size_t n_slices,
                          struct svec *out);

/* Appends the records of Pod 'pod' (none without an IP) to 'out'. */
char *dns_pod_records(const struct dns_zone *, const struct json *pod,
                      struct svec *out);

/* True if 's' is a DNS label kovn writes: 1 to 63 of [a-z0-9-], not
 * starting or ending with '-' ('allow_underscore': '_' too, for
 * ExternalName targets). */
bool dns_label_ok(const char *s, size_t len, bool allow_underscore);

/* True if 's' is a relative or absolute domain name of such labels (an
 * ExternalName target), at most 253 characters. */
bool dns_name_ok(const char *s);

/* The reverse name of an IP address in canonical text ("d.c.b.a.in-addr.
 * arpa" or the nibbles of ip6.arpa, without a final dot), malloc'd, or
 * NULL if 'ip' is not an address. */
char *dns_reverse_name(const char *ip);

/* The owner name in a record line (the text before its first tab, with its
 * final dot), malloc'd. */
char *dns_line_name(const char *line);

#endif /* dns/dns-records.h */
