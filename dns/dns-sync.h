/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DNS_SYNC_H
#define KOVN_DNS_SYNC_H 1

/* Keeps unbound's records in step with the API: informers on Services,
 * EndpointSlices and Pods mark their owners ("svc/NS/NAME", "pod/NS/NAME")
 * dirty; each run recomputes the dirty owners' records (dns-records.h),
 * lets the table (dns-table.h) find the change, and sends it to unbound in
 * one batch (unbound-ctl.h).
 *
 * A full resync, on start and whenever unbound answers with another pid
 * (restarted: its runtime records are gone) or a batch failed: the
 * cluster domain's local zone ("static": a name under it without records
 * is NXDOMAIN), the forwarders, a dump of the records unbound holds for
 * the domain, and every owner again.  Failures back off from 1 s to 30 s.
 *
 * Ownership: dns_sync owns its informers and table; the caller keeps the
 * client and the unbound_ctl alive until dns_sync_destroy(). */

#include <stdbool.h>

struct ds;
struct k8s_client;
struct unbound_ctl;

struct dns_sync_options {
    const char *domain;         /* "cluster.local". */
    int ttl;                    /* Seconds. */
    const char *upstream;       /* NULL: leave unbound's own forwarding;
                                 * "none": refuse names outside the domain;
                                 * else "ADDR[@PORT] ...": forward there. */
    int check_ms;               /* How often to ask unbound its pid. */
};

struct dns_sync *dns_sync_create(struct k8s_client *, struct unbound_ctl *,
                                 const struct dns_sync_options *);
void dns_sync_destroy(struct dns_sync *);

void dns_sync_run(struct dns_sync *);
void dns_sync_wait(struct dns_sync *);

/* True once the caches synced and unbound took a full resync. */
bool dns_sync_ready(const struct dns_sync *);

/* Appends a human-readable status to 's'. */
void dns_sync_status(const struct dns_sync *, struct ds *s);

#endif /* dns/dns-sync.h */
