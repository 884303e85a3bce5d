/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* IPAM throughput and memory: every address of a /16, a million addresses
 * of a /64, release and reallocation churn, scattered static addresses and
 * a subnet update over a full /16.  Build with --buildtype=release. */

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"
#include "ipam/ipam.h"
#include "random.h"
#include "util.h"

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}


static void
owner_name(char *buf, size_t size, const char *prefix, int i)
{
    snprintf(buf, size, "pod default/%s-%d", prefix, i);
}

static void
allocate_or_die(struct ipam *ipam, const char *subnet, const char *owner,
                const char *ip)
{
    const struct ipam_lease *lease;
    char *error;

    if (ipam_allocate(ipam, subnet, owner, ip, NULL, &lease, &error)) {
        ovs_fatal(0, "%s", error);
    }
}

static void
report(const char *what, int n, const char *unit, double ms)
{
    printf("%s: %d %s in %.1f ms = %.0f %s/s\n",
           what, n, unit, ms, n / (ms / 1e3), unit);
}

/* Allocates 'n' addresses in 'subnet' for owners "<prefix>-0"... */
static void
fill(struct ipam *ipam, const char *label, const char *subnet,
     const char *prefix, int n)
{
    size_t heap0 = bench_heap_bytes();
    long rss0 = bench_rss_kib();
    char owner[64];

    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        owner_name(owner, sizeof owner, prefix, i);
        allocate_or_die(ipam, subnet, owner, NULL);
    }
    report(label, n, "allocations", now_ms() - t0);
    printf("%s: memory %.1f MiB heap (%.0f bytes per lease), "
           "VmRSS +%.1f MiB\n", label,
           (bench_heap_bytes() - heap0) / 1048576.0,
           (double) (bench_heap_bytes() - heap0) / n,
           (bench_rss_kib() - rss0) / 1024.0);
}

/* 'rounds' times: releases 'batch' random owners among "<prefix>-0" to
 * "<prefix>-<n - 1>", then allocates them again. */
static void
churn(struct ipam *ipam, const char *label, const char *subnet,
      const char *prefix, int n, int batch, int rounds)
{
    int *picked = xmalloc(batch * sizeof *picked);
    double release_ms = 0, alloc_ms = 0;
    char owner[64];

    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        for (int i = 0; i < batch; i++) {
            do {
                picked[i] = random_range(n);
                owner_name(owner, sizeof owner, prefix, picked[i]);
            } while (!ipam_release(ipam, owner));
        }
        double t1 = now_ms();
        for (int i = 0; i < batch; i++) {
            owner_name(owner, sizeof owner, prefix, picked[i]);
            allocate_or_die(ipam, subnet, owner, NULL);
        }
        release_ms += t1 - t0;
        alloc_ms += now_ms() - t1;
    }
    char what[128];
    snprintf(what, sizeof what, "%s release", label);
    report(what, batch * rounds, "releases", release_ms);
    snprintf(what, sizeof what, "%s reallocate", label);
    report(what, batch * rounds, "allocations", alloc_ms);
    free(picked);
}

static void
bench_slash16(void)
{
    struct ipam *ipam = ipam_create();
    static const char *excludes[] = { "10.16.0.2..10.16.0.20" };
    char *error;

    error = ipam_subnet_set(ipam, "ovn-default", "10.16.0.0/16", NULL,
                            NULL, 0);
    ovs_assert(!error);
    fill(ipam, "ipam /16", "ovn-default", "p", 65533);
    churn(ipam, "ipam /16", "ovn-default", "p", 65533, 10000, 10);

    /* An update that changes excludeIps rebuilds the free ranges. */
    double t0 = now_ms();
    error = ipam_subnet_set(ipam, "ovn-default", "10.16.0.0/16", NULL,
                            excludes, 1);
    ovs_assert(!error);
    printf("ipam /16: subnet update with 65533 leases in %.1f ms\n",
           now_ms() - t0);
    t0 = now_ms();
    for (int i = 0; i < 1000; i++) {
        error = ipam_subnet_set(ipam, "ovn-default", "10.16.0.0/16", NULL,
                                excludes, 1);
        ovs_assert(!error);
    }
    printf("ipam /16: unchanged subnet update in %.4f ms\n",
           (now_ms() - t0) / 1000);
    ipam_destroy(ipam);
}

static void
bench_slash64(void)
{
    struct ipam *ipam = ipam_create();
    char *error;

    error = ipam_subnet_set(ipam, "v6", "fd00:10:16::/64", NULL, NULL, 0);
    ovs_assert(!error);
    fill(ipam, "ipam /64", "v6", "p", 1000000);
    churn(ipam, "ipam /64", "v6", "p", 1000000, 100000, 3);
    ipam_destroy(ipam);

    /* Static addresses scattered over a /64 split the free ranges. */
    ipam = ipam_create();
    error = ipam_subnet_set(ipam, "v6", "fd00:10:16::/64", NULL, NULL, 0);
    ovs_assert(!error);
    size_t heap0 = bench_heap_bytes();
    int n = 100000;
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        char owner[64], ip[64];

        owner_name(owner, sizeof owner, "s", i);
        snprintf(ip, sizeof ip, "fd00:10:16:0:%x:%x:%x:%x",
                 random_range(0x10000), random_range(0x10000),
                 random_range(0x10000), 0x100 + random_range(0xfe00));
        allocate_or_die(ipam, "v6", owner, ip);
    }
    report("ipam /64 static", n, "allocations", now_ms() - t0);
    printf("ipam /64 static: memory %.1f MiB heap (%.0f bytes per lease)\n",
           (bench_heap_bytes() - heap0) / 1048576.0,
           (double) (bench_heap_bytes() - heap0) / n);
    fill(ipam, "ipam /64 after static", "v6", "d", 100000);
    ipam_destroy(ipam);
}

int
main(void)
{
    random_set_seed(0x6b6f766e);
    bench_slash16();
    bench_slash64();
    return 0;
}
