/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ipam/ipam.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "packets.h"
#include "skiplist.h"
#include "sset.h"
#include "svec.h"
#include "util.h"

BUILD_ASSERT_DECL(sizeof ((struct ipam_lease *) NULL)->mac_string
                  == ETH_ADDR_STRLEN + 1);

struct ipam {
    struct shash subnets;       /* Name -> struct ipam_subnet. */
    struct hmap leases;         /* struct ipam_lease by 'owner'. */
    struct hmap macs;           /* struct ipam_lease by 'mac'. */
    size_t max_quarantine;      /* Per pool; see ipam_set_quarantine(). */
};

/* A range of never-used free addresses, in a pool's 'free' skiplist. */
struct free_range {
    ipnum lo, hi;
};

/* A released address waiting in a pool's quarantine. */
struct quarantined {
    struct hmap_node node;      /* In pool's 'quarantine_map', by 'ip'. */
    struct ovs_list list_node;  /* In pool's 'quarantine', oldest first. */
    ipnum ip;
};

/* The addresses of one family of a subnet.  Every address in
 * [first, last] is in exactly one of: the gateway, the excludes, 'free',
 * 'quarantine' or 'leased' -- except that a lease may also sit on an
 * excluded address (excluded after it was leased). */
struct ipam_pool {
    struct ip_cidr cidr;
    ipnum first, last;          /* Addresses that may ever be handed out. */
    ipnum gateway;
    struct ip_range *excludes;  /* Sorted, disjoint and not adjacent. */
    size_t n_excludes;

    struct skiplist *free;      /* struct free_range by 'hi': never used. */
    ipnum n_free;               /* Number of addresses in 'free'. */
    struct hmap leased;         /* struct ipam_slot by address. */
    struct hmap quarantine_map; /* struct quarantined by address. */
    struct ovs_list quarantine; /* struct quarantined, oldest first. */
};

struct ipam_subnet {
    char *name;
    struct ipam_pool *pools[2]; /* By family_idx(); NULL if absent. */
    char *cidr_block;           /* Normalised, in spec order. */
    char *gateway;              /* Normalised, in cidr_block's order. */
};

/* A parsed and checked subnet spec. */
struct subnet_spec {
    size_t n_cidrs;
    struct ip_cidr cidrs[2];    /* In cidrBlock order. */
    ipnum gateways[2];          /* Parallel to 'cidrs'. */
    struct ip_range *excludes[2];   /* Parallel to 'cidrs', normalised. */
    size_t n_excludes[2];
};

/* What an allocation or restore asks for, by family_idx().  It is checked
 * in full before anything changes, so a dual-stack allocation is all or
 * nothing. */
struct lease_request {
    bool want_ip[2];
    ipnum ip[2];
    bool want_mac;
    struct eth_addr mac;
};

static void lease_destroy(struct ipam *, struct ipam_lease *, bool recycle);

/* Index of 'family' in arrays kept per family: IPv4 first. */
static size_t
family_idx(int family)
{
    return family == AF_INET ? 0 : 1;
}

static int
idx_family(size_t idx)
{
    return idx ? AF_INET6 : AF_INET;
}

static uint32_t
hash_ipnum(ipnum n)
{
    return hash_uint64_basis(n, hash_uint64(n >> 64));
}

/* The addresses of 'cidr' that may be handed out: all but the network
 * address and, for IPv4, the broadcast address, in prefixes large enough
 * to have them. */
static void
cidr_span(const struct ip_cidr *cidr, ipnum *first, ipnum *last)
{
    unsigned int host_bits = cidr_family_bits(cidr->family) - cidr->plen;

    *first = cidr->network;
    *last = cidr_last(cidr);
    if (host_bits >= 2) {
        *first += 1;
        if (cidr->family == AF_INET) {
            *last -= 1;
        }
    }
}

/* Free ranges: never-used addresses as a skiplist of disjoint, non-adjacent
 * ranges ordered by their last address.  Ordering by 'hi' lets
 * skiplist_forward_to() find the range that contains an address. */

static int
free_range_cmp(const void *a_, const void *b_, const void *conf OVS_UNUSED)
{
    const struct free_range *a = a_;
    const struct free_range *b = b_;

    return a->hi < b->hi ? -1 : a->hi > b->hi;
}

static struct skiplist_node *
freeset_find(const struct ipam_pool *pool, ipnum ip)
{
    struct free_range key = { .hi = ip };

    return skiplist_forward_to(pool->free, &key);
}

static void
freeset_clear(struct ipam_pool *pool)
{
    if (pool->free) {
        skiplist_destroy(pool->free, free);
    }
    pool->free = skiplist_create(free_range_cmp, NULL);
    pool->n_free = 0;
}

/* Adds [lo, hi], which must lie above every range in 'pool->free' and not
 * touch the last one. */
static void
freeset_append(struct ipam_pool *pool, ipnum lo, ipnum hi)
{
    struct free_range *r = xmalloc(sizeof *r);

    r->lo = lo;
    r->hi = hi;
    skiplist_insert(pool->free, r);
    pool->n_free += hi - lo + 1;
}

/* Removes and returns the lowest free address.  'pool->n_free' must be
 * nonzero. */
static ipnum
freeset_pop(struct ipam_pool *pool)
{
    struct free_range *r = skiplist_get_data(skiplist_first(pool->free));
    ipnum ip = r->lo;

    if (r->lo == r->hi) {
        skiplist_delete(pool->free, r);
        free(r);
    } else {
        r->lo++;
    }
    pool->n_free--;
    return ip;
}

/* Removes 'ip' from the free ranges, splitting one if needed.  Returns false
 * if 'ip' was not free. */
static bool
freeset_take(struct ipam_pool *pool, ipnum ip)
{
    struct free_range *r = skiplist_get_data(freeset_find(pool, ip));

    if (!r || r->lo > ip) {
        return false;
    }
    if (r->lo == r->hi) {
        skiplist_delete(pool->free, r);
        free(r);
    } else if (ip == r->lo) {
        r->lo++;
    } else if (ip == r->hi) {
        /* Changing the key in place keeps the order: the range before
         * ends below r->lo. */
        r->hi--;
    } else {
        struct free_range *low = xmalloc(sizeof *low);

        low->lo = r->lo;
        low->hi = ip - 1;
        r->lo = ip + 1;
        skiplist_insert(pool->free, low);
    }
    pool->n_free--;
    return true;
}

/* Adds 'ip', which must not be free, merging it with its neighbours. */
static void
freeset_add(struct ipam_pool *pool, ipnum ip)
{
    struct skiplist_node *node = freeset_find(pool, ip ? ip - 1 : 0);
    struct free_range *prev = NULL;
    struct free_range *next = skiplist_get_data(node);

    if (ip && next && next->hi == ip - 1) {
        prev = next;
        next = skiplist_get_data(skiplist_next(node));
    }
    bool join_next = next && next->lo == ip + 1;

    if (prev && join_next) {
        skiplist_delete(pool->free, next);
        prev->hi = next->hi;
        free(next);
    } else if (prev) {
        prev->hi = ip;
    } else if (join_next) {
        next->lo = ip;
    } else {
        struct free_range *r = xmalloc(sizeof *r);

        r->lo = r->hi = ip;
        skiplist_insert(pool->free, r);
    }
    pool->n_free++;
}

/* Pools. */

static struct ipam_pool *
pool_create(void)
{
    struct ipam_pool *pool = xzalloc(sizeof *pool);

    freeset_clear(pool);
    hmap_init(&pool->leased);
    hmap_init(&pool->quarantine_map);
    ovs_list_init(&pool->quarantine);
    return pool;
}

static void
quarantine_remove(struct ipam_pool *pool, struct quarantined *q)
{
    hmap_remove(&pool->quarantine_map, &q->node);
    ovs_list_remove(&q->list_node);
    free(q);
}

/* Destroys 'pool', which must hold no lease. */
static void
pool_destroy(struct ipam_pool *pool)
{
    if (pool) {
        struct quarantined *q;

        ovs_assert(hmap_is_empty(&pool->leased));
        HMAP_FOR_EACH_SAFE (q, node, &pool->quarantine_map) {
            quarantine_remove(pool, q);
        }
        hmap_destroy(&pool->quarantine_map);
        hmap_destroy(&pool->leased);
        skiplist_destroy(pool->free, free);
        free(pool->excludes);
        free(pool);
    }
}

static ipnum
slot_ip(const struct ipam_slot *slot)
{
    return slot->lease->ips[slot->idx].n;
}

static struct ipam_slot *
pool_find_leased(const struct ipam_pool *pool, ipnum ip)
{
    struct ipam_slot *slot;

    HMAP_FOR_EACH_WITH_HASH (slot, node, hash_ipnum(ip), &pool->leased) {
        if (slot_ip(slot) == ip) {
            return slot;
        }
    }
    return NULL;
}

static struct quarantined *
pool_find_quarantined(const struct ipam_pool *pool, ipnum ip)
{
    struct quarantined *q;

    HMAP_FOR_EACH_WITH_HASH (q, node, hash_ipnum(ip), &pool->quarantine_map) {
        if (q->ip == ip) {
            return q;
        }
    }
    return NULL;
}

static bool
pool_is_excluded(const struct ipam_pool *pool, ipnum ip)
{
    size_t lo = 0, hi = pool->n_excludes;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ip_range *r = &pool->excludes[mid];

        if (ip < r->lo) {
            hi = mid;
        } else if (ip > r->hi) {
            lo = mid + 1;
        } else {
            return true;
        }
    }
    return false;
}

/* True if 'ip' must never be handed out (again) in 'pool'. */
static bool
pool_is_reserved(const struct ipam_pool *pool, ipnum ip)
{
    return (ip < pool->first || ip > pool->last || ip == pool->gateway
            || pool_is_excluded(pool, ip));
}

static ipnum
pool_available(const struct ipam_pool *pool)
{
    return pool->n_free + hmap_count(&pool->quarantine_map);
}

/* Takes the next address to hand out: never-used ones first, then the
 * longest quarantined.  pool_available() must be nonzero. */
static ipnum
pool_take_next(struct ipam_pool *pool)
{
    if (pool->n_free) {
        return freeset_pop(pool);
    }

    struct quarantined *q = CONTAINER_OF(ovs_list_front(&pool->quarantine),
                                         struct quarantined, list_node);
    ipnum ip = q->ip;
    quarantine_remove(pool, q);
    return ip;
}

/* Takes 'ip', which pool_check_claim() accepted, out of the free ranges or
 * the quarantine.  An excluded address being restored is in neither. */
static void
pool_claim(struct ipam_pool *pool, ipnum ip)
{
    struct quarantined *q = pool_find_quarantined(pool, ip);

    if (q) {
        quarantine_remove(pool, q);
    } else {
        freeset_take(pool, ip);
    }
}

/* Puts 'ip', just released, at the back of the quarantine, and turns the
 * oldest quarantined addresses beyond 'max' into free ones. */
static void
pool_recycle(struct ipam_pool *pool, ipnum ip, size_t max)
{
    if (pool_is_reserved(pool, ip)) {
        return;                 /* Excluded after it was leased. */
    }

    struct quarantined *q = xmalloc(sizeof *q);
    q->ip = ip;
    hmap_insert(&pool->quarantine_map, &q->node, hash_ipnum(ip));
    ovs_list_push_back(&pool->quarantine, &q->list_node);

    while (hmap_count(&pool->quarantine_map) > max) {
        q = CONTAINER_OF(ovs_list_front(&pool->quarantine),
                         struct quarantined, list_node);
        ip = q->ip;
        quarantine_remove(pool, q);
        freeset_add(pool, ip);
    }
}

static int
range_cmp(const void *a_, const void *b_)
{
    const struct ip_range *a = a_;
    const struct ip_range *b = b_;

    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static void
add_point(struct ip_range *ranges, size_t *n, ipnum ip)
{
    ranges[*n].lo = ranges[*n].hi = ip;
    (*n)++;
}

/* Recomputes the free ranges as everything in [first, last] that is not the
 * gateway, excluded, leased or quarantined. */
static void
pool_rebuild_free(struct ipam_pool *pool)
{
    size_t n = 0;
    struct ip_range *blocked = xmalloc(
        (pool->n_excludes + 1 + hmap_count(&pool->leased)
         + hmap_count(&pool->quarantine_map)) * sizeof *blocked);

    memcpy(blocked, pool->excludes, pool->n_excludes * sizeof *blocked);
    n = pool->n_excludes;
    add_point(blocked, &n, pool->gateway);

    const struct ipam_slot *slot;
    HMAP_FOR_EACH (slot, node, &pool->leased) {
        add_point(blocked, &n, slot_ip(slot));
    }
    const struct quarantined *q;
    HMAP_FOR_EACH (q, node, &pool->quarantine_map) {
        add_point(blocked, &n, q->ip);
    }
    qsort(blocked, n, sizeof *blocked, range_cmp);

    /* Sweep: 'next' is the lowest address not yet known to be blocked. */
    freeset_clear(pool);
    ipnum next = pool->first;
    bool done = false;
    for (size_t i = 0; i < n && !done; i++) {
        const struct ip_range *b = &blocked[i];

        if (b->hi < next) {
            continue;
        }
        if (b->lo > next) {
            freeset_append(pool, next, MIN(b->lo - 1, pool->last));
        }
        if (b->hi >= pool->last) {
            done = true;        /* Also keeps b->hi + 1 from overflowing. */
        } else {
            next = b->hi + 1;
        }
    }
    if (!done) {
        freeset_append(pool, next, pool->last);
    }
    free(blocked);
}

/* Applies a new CIDR, gateway and excludes (taking ownership of
 * 'excludes') to 'pool', keeping its leases and what stays usable of its
 * quarantine. */
static void
pool_reconfigure(struct ipam_pool *pool, const struct ip_cidr *cidr,
                 ipnum gateway, struct ip_range *excludes, size_t n_excludes)
{
    pool->cidr = *cidr;
    cidr_span(cidr, &pool->first, &pool->last);
    pool->gateway = gateway;
    free(pool->excludes);
    pool->excludes = excludes;
    pool->n_excludes = n_excludes;

    struct quarantined *q;
    HMAP_FOR_EACH_SAFE (q, node, &pool->quarantine_map) {
        if (pool_is_reserved(pool, q->ip)) {
            quarantine_remove(pool, q);
        }
    }
    pool_rebuild_free(pool);
}

/* Parsing a subnet spec. */

static void
spec_destroy(struct subnet_spec *spec)
{
    for (size_t i = 0; i < 2; i++) {
        free(spec->excludes[i]);
    }
}

/* The index in 'spec->cidrs' of the CIDR of 'family', or -1. */
static int
spec_find_family(const struct subnet_spec *spec, int family)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (spec->cidrs[i].family == family) {
            return i;
        }
    }
    return -1;
}

/* Parses 's': one address, or two of different families separated by a
 * comma.  'what' names the field in messages. */
static char *
parse_ip_list(const char *s, const char *what, struct ip_addr addrs[2],
              size_t *n)
{
    char *copy = xstrdup(s);
    char *error = NULL;
    char *token = copy;

    *n = 0;
    for (;;) {
        char *comma = strchr(token, ',');
        if (comma) {
            *comma = '\0';
        }
        if (*n == 2) {
            error = xasprintf("%s \"%s\" has more than two addresses",
                              what, s);
            break;
        }
        error = cidr_parse_ip(token, &addrs[*n]);
        if (error) {
            char *msg = xasprintf("%s \"%s\": %s", what, s, error);
            free(error);
            error = msg;
            break;
        }
        if (*n == 1 && addrs[0].family == addrs[1].family) {
            error = xasprintf("%s \"%s\" has two %s addresses", what, s,
                              cidr_family_name(addrs[0].family));
            break;
        }
        (*n)++;
        if (!comma) {
            break;
        }
        token = comma + 1;
    }
    free(copy);
    return error;
}

static char *
spec_parse_gateway(struct subnet_spec *spec, const char *gateway)
{
    struct ip_addr addrs[2];
    size_t n = 0;

    for (size_t i = 0; i < spec->n_cidrs; i++) {
        ipnum last;
        cidr_span(&spec->cidrs[i], &spec->gateways[i], &last);
    }
    if (gateway && *gateway) {
        char *error = parse_ip_list(gateway, "gateway", addrs, &n);
        if (error) {
            return error;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int c = spec_find_family(spec, addrs[i].family);
        char buf[CIDR_IP_STRLEN];
        const char *ip_s = cidr_ip_format(addrs[i].family, addrs[i].n, buf);

        if (c < 0 || !cidr_contains(&spec->cidrs[c], addrs[i].family,
                                    addrs[i].n)) {
            return xasprintf("gateway %s is not inside the cidrBlock", ip_s);
        }

        ipnum first, last;
        cidr_span(&spec->cidrs[c], &first, &last);
        if (addrs[i].n < first || addrs[i].n > last) {
            return xasprintf("gateway %s is the network or broadcast "
                             "address", ip_s);
        }
        spec->gateways[c] = addrs[i].n;
    }
    return NULL;
}

/* Sorts 'ranges' and merges overlapping and adjacent ones, so that the
 * excludes of a pool can be binary searched. */
static void
normalise_ranges(struct ip_range *ranges, size_t *n)
{
    size_t out = 0;

    qsort(ranges, *n, sizeof *ranges, range_cmp);
    for (size_t i = 0; i < *n; i++) {
        struct ip_range *last = out ? &ranges[out - 1] : NULL;

        if (last && (ranges[i].lo <= last->hi
                     || ranges[i].lo - 1 == last->hi)) {
            last->hi = MAX(last->hi, ranges[i].hi);
        } else {
            ranges[out++] = ranges[i];
        }
    }
    *n = out;
}

static char *
spec_parse_excludes(struct subnet_spec *spec, const char *const *excludes,
                    size_t n_excludes)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        spec->excludes[i] = xmalloc(n_excludes * sizeof *spec->excludes[i]);
    }
    for (size_t i = 0; i < n_excludes; i++) {
        struct ip_range r;
        char *error = cidr_parse_range(excludes[i], &r);
        if (error) {
            char *msg = xasprintf("excludeIps: %s", error);
            free(error);
            return msg;
        }

        int c = spec_find_family(spec, r.family);
        if (c < 0 || !cidr_contains(&spec->cidrs[c], r.family, r.lo)
            || !cidr_contains(&spec->cidrs[c], r.family, r.hi)) {
            return xasprintf("excludeIps entry \"%s\" is not inside the "
                             "cidrBlock", excludes[i]);
        }
        spec->excludes[c][spec->n_excludes[c]++] = r;
    }
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        normalise_ranges(spec->excludes[i], &spec->n_excludes[i]);
    }
    return NULL;
}

static char *
spec_parse(struct subnet_spec *spec, const char *cidr_block,
           const char *gateway, const char *const *excludes,
           size_t n_excludes)
{
    memset(spec, 0, sizeof *spec);
    if (!cidr_block || !*cidr_block) {
        return xstrdup("cidrBlock is empty");
    }

    char *error = cidr_parse_block(cidr_block, spec->cidrs, &spec->n_cidrs);
    if (!error) {
        error = spec_parse_gateway(spec, gateway);
    }
    if (!error) {
        error = spec_parse_excludes(spec, excludes, n_excludes);
    }
    return error;
}

static char *
spec_cidr_block_string(const struct subnet_spec *spec)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (i) {
            ds_put_char(&s, ',');
        }
        cidr_put(&spec->cidrs[i], &s);
    }
    return ds_steal_cstr(&s);
}

static char *
spec_gateway_string(const struct subnet_spec *spec)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (i) {
            ds_put_char(&s, ',');
        }
        cidr_ip_put(spec->cidrs[i].family, spec->gateways[i], &s);
    }
    return ds_steal_cstr(&s);
}

static bool
ranges_equal(const struct ip_range *a, size_t n_a,
             const struct ip_range *b, size_t n_b)
{
    if (n_a != n_b) {
        return false;
    }
    for (size_t i = 0; i < n_a; i++) {
        if (a[i].lo != b[i].lo || a[i].hi != b[i].hi) {
            return false;
        }
    }
    return true;
}

/* True if 'spec' is what 'subnet' already has, so that a reconciler calling
 * ipam_subnet_set() again and again costs next to nothing. */
static bool
subnet_matches_spec(const struct ipam_subnet *subnet,
                    const struct subnet_spec *spec)
{
    char *cidr_block = spec_cidr_block_string(spec);
    bool same = !strcmp(cidr_block, subnet->cidr_block);
    free(cidr_block);

    for (size_t i = 0; same && i < spec->n_cidrs; i++) {
        const struct ipam_pool *pool
            = subnet->pools[family_idx(spec->cidrs[i].family)];

        same = (pool->gateway == spec->gateways[i]
                && ranges_equal(pool->excludes, pool->n_excludes,
                                spec->excludes[i], spec->n_excludes[i]));
    }
    return same;
}

/* Why the leases of 'subnet' rule out 'spec', or NULL if they do not. */
static char *
subnet_check_update(const struct ipam_subnet *subnet,
                    const struct subnet_spec *spec)
{
    for (size_t f = 0; f < 2; f++) {
        const struct ipam_pool *pool = subnet->pools[f];
        if (!pool) {
            continue;
        }

        int c = spec_find_family(spec, idx_family(f));
        ipnum first = 0, last = 0;
        if (c >= 0) {
            cidr_span(&spec->cidrs[c], &first, &last);
        }

        const struct ipam_slot *slot;
        HMAP_FOR_EACH (slot, node, &pool->leased) {
            ipnum ip = slot_ip(slot);
            const char *why = (c < 0 || !cidr_contains(&spec->cidrs[c],
                                                       idx_family(f), ip)
                               ? "outside the new cidrBlock"
                               : ip < first || ip > last
                               ? "the new network or broadcast address"
                               : ip == spec->gateways[c]
                               ? "the new gateway"
                               : NULL);
            if (why) {
                char buf[CIDR_IP_STRLEN];
                return xasprintf("%s is in use by %s and would be %s",
                                 cidr_ip_format(idx_family(f), ip, buf),
                                 slot->lease->owner, why);
            }
        }
    }
    return NULL;
}

/* Makes 'subnet' follow 'spec', whose excludes it takes. */
static void
subnet_apply(struct ipam_subnet *subnet, struct subnet_spec *spec)
{
    struct ipam_pool *pools[2] = { NULL, NULL };

    for (size_t i = 0; i < spec->n_cidrs; i++) {
        size_t f = family_idx(spec->cidrs[i].family);

        pools[f] = subnet->pools[f] ? subnet->pools[f] : pool_create();
        subnet->pools[f] = NULL;
        pool_reconfigure(pools[f], &spec->cidrs[i], spec->gateways[i],
                         spec->excludes[i], spec->n_excludes[i]);
        spec->excludes[i] = NULL;
    }
    for (size_t f = 0; f < 2; f++) {
        pool_destroy(subnet->pools[f]);     /* Families dropped. */
        subnet->pools[f] = pools[f];
    }

    free(subnet->cidr_block);
    subnet->cidr_block = spec_cidr_block_string(spec);
    free(subnet->gateway);
    subnet->gateway = spec_gateway_string(spec);
}

/* The ipam. */

struct ipam *
ipam_create(void)
{
    struct ipam *ipam = xmalloc(sizeof *ipam);

    shash_init(&ipam->subnets);
    hmap_init(&ipam->leases);
    hmap_init(&ipam->macs);
    ipam->max_quarantine = IPAM_QUARANTINE_DEFAULT;
    return ipam;
}

void
ipam_destroy(struct ipam *ipam)
{
    if (ipam) {
        struct shash_node *node;

        SHASH_FOR_EACH_SAFE (node, &ipam->subnets) {
            ipam_subnet_remove(ipam, node->name);
        }
        ovs_assert(hmap_is_empty(&ipam->leases));
        shash_destroy(&ipam->subnets);
        hmap_destroy(&ipam->leases);
        hmap_destroy(&ipam->macs);
        free(ipam);
    }
}

void
ipam_set_quarantine(struct ipam *ipam, size_t max)
{
    ipam->max_quarantine = max;
}

static struct ipam_subnet *
subnet_lookup(const struct ipam *ipam, const char *name)
{
    return shash_find_data(&ipam->subnets, name);
}

char *
ipam_subnet_set(struct ipam *ipam, const char *name, const char *cidr_block,
                const char *gateway, const char *const *excludes,
                size_t n_excludes)
{
    struct ipam_subnet *subnet = subnet_lookup(ipam, name);
    struct subnet_spec spec;
    char *error = spec_parse(&spec, cidr_block, gateway, excludes,
                             n_excludes);

    if (!error && subnet) {
        if (subnet_matches_spec(subnet, &spec)) {
            goto out;
        }
        error = subnet_check_update(subnet, &spec);
    }
    if (error) {
        char *msg = xasprintf("subnet %s: %s", name, error);
        free(error);
        error = msg;
        goto out;
    }

    if (!subnet) {
        subnet = xzalloc(sizeof *subnet);
        subnet->name = xstrdup(name);
        shash_add(&ipam->subnets, name, subnet);
    }
    subnet_apply(subnet, &spec);

out:
    spec_destroy(&spec);
    return error;
}

bool
ipam_subnet_remove(struct ipam *ipam, const char *name)
{
    struct ipam_subnet *subnet = shash_find_and_delete(&ipam->subnets, name);
    if (!subnet) {
        return false;
    }

    for (size_t f = 0; f < 2; f++) {
        struct ipam_pool *pool = subnet->pools[f];
        struct ipam_slot *slot;

        if (pool) {
            /* A dual-stack lease leaves both pools at once. */
            HMAP_FOR_EACH_SAFE (slot, node, &pool->leased) {
                lease_destroy(ipam, slot->lease, false);
            }
        }
    }
    for (size_t f = 0; f < 2; f++) {
        pool_destroy(subnet->pools[f]);
    }
    free(subnet->name);
    free(subnet->cidr_block);
    free(subnet->gateway);
    free(subnet);
    return true;
}

const struct ipam_subnet *
ipam_subnet_find(const struct ipam *ipam, const char *name)
{
    return subnet_lookup(ipam, name);
}

const char *
ipam_subnet_name(const struct ipam_subnet *subnet)
{
    return subnet->name;
}

const char *
ipam_subnet_cidr_block(const struct ipam_subnet *subnet)
{
    return subnet->cidr_block;
}

const char *
ipam_subnet_gateway(const struct ipam_subnet *subnet)
{
    return subnet->gateway;
}

void
ipam_subnet_usage(const struct ipam_subnet *subnet, struct ipam_usage *usage)
{
    const struct ipam_pool *v4 = subnet->pools[0];
    const struct ipam_pool *v6 = subnet->pools[1];

    usage->v4_used = v4 ? hmap_count(&v4->leased) : 0;
    usage->v6_used = v6 ? hmap_count(&v6->leased) : 0;
    usage->v4_available = v4 ? (double) pool_available(v4) : 0;
    usage->v6_available = v6 ? (double) pool_available(v6) : 0;
}

/* Leases. */

static struct ipam_lease *
lease_lookup(const struct ipam *ipam, const char *owner)
{
    struct ipam_lease *lease;

    HMAP_FOR_EACH_WITH_HASH (lease, owner_node, hash_string(owner, 0),
                             &ipam->leases) {
        if (!strcmp(lease->owner, owner)) {
            return lease;
        }
    }
    return NULL;
}

static struct ipam_lease *
mac_holder(const struct ipam *ipam, struct eth_addr mac)
{
    struct ipam_lease *lease;

    HMAP_FOR_EACH_WITH_HASH (lease, mac_node, hash_mac(mac, 0, 0),
                             &ipam->macs) {
        if (eth_addr_equals(lease->mac, mac)) {
            return lease;
        }
    }
    return NULL;
}

static struct ipam_pool *
lease_pool(const struct ipam_lease *lease, size_t i)
{
    return lease->subnet->pools[family_idx(lease->ips[i].family)];
}

/* A fresh random MAC, locally administered and unicast
 * (eth_addr_random()), that no lease holds. */
static struct eth_addr
random_unique_mac(const struct ipam *ipam)
{
    struct eth_addr mac;

    do {
        eth_addr_random(&mac);
    } while (mac_holder(ipam, mac));
    return mac;
}

/* Creates the lease that 'req' describes, which must have been checked.
 * With 'fill', a family of the subnet that 'req' does not name gets the
 * next free address. */
static struct ipam_lease *
lease_create(struct ipam *ipam, const struct ipam_subnet *subnet,
             const char *owner, const struct lease_request *req, bool fill)
{
    struct ipam_lease *lease = xzalloc(sizeof *lease);
    struct ds ips = DS_EMPTY_INITIALIZER;

    lease->owner = xstrdup(owner);
    lease->subnet = subnet;
    for (size_t f = 0; f < 2; f++) {
        struct ipam_pool *pool = subnet->pools[f];
        ipnum ip;

        if (!pool || (!req->want_ip[f] && !fill)) {
            continue;
        } else if (req->want_ip[f]) {
            ip = req->ip[f];
            pool_claim(pool, ip);
        } else {
            ip = pool_take_next(pool);
        }

        size_t i = lease->n_ips++;
        struct ipam_slot *slot = &lease->slots[i];
        lease->ips[i].family = idx_family(f);
        lease->ips[i].n = ip;
        slot->lease = lease;
        slot->idx = i;
        hmap_insert(&pool->leased, &slot->node, hash_ipnum(ip));
        if (i) {
            ds_put_char(&ips, ',');
        }
        cidr_ip_put(idx_family(f), ip, &ips);
    }
    lease->ip_string = ds_steal_cstr(&ips);

    lease->mac = req->want_mac ? req->mac : random_unique_mac(ipam);
    snprintf(lease->mac_string, sizeof lease->mac_string, ETH_ADDR_FMT,
             ETH_ADDR_ARGS(lease->mac));
    hmap_insert(&ipam->macs, &lease->mac_node, hash_mac(lease->mac, 0, 0));
    hmap_insert(&ipam->leases, &lease->owner_node, hash_string(owner, 0));
    return lease;
}

/* Frees 'lease'.  With 'recycle', its addresses go to quarantine; without,
 * its pools are about to be destroyed anyway. */
static void
lease_destroy(struct ipam *ipam, struct ipam_lease *lease, bool recycle)
{
    for (size_t i = 0; i < lease->n_ips; i++) {
        struct ipam_pool *pool = lease_pool(lease, i);

        hmap_remove(&pool->leased, &lease->slots[i].node);
        if (recycle) {
            pool_recycle(pool, lease->ips[i].n, ipam->max_quarantine);
        }
    }
    hmap_remove(&ipam->leases, &lease->owner_node);
    hmap_remove(&ipam->macs, &lease->mac_node);
    free(CONST_CAST(char *, lease->owner));
    free(CONST_CAST(char *, lease->ip_string));
    free(lease);
}

/* Stores 'msg' in '*errorp' and returns 'error': the failure paths of the
 * lease functions below, which classify each message where it is made. */
static enum ipam_error
fail(char **errorp, enum ipam_error error, char *msg)
{
    *errorp = msg;
    return error;
}

/* Why 'ip' cannot be leased in 'pool' of 'subnet', or IPAM_OK.
 * 'restoring' accepts excluded addresses. */
static enum ipam_error
pool_check_claim(const struct ipam_subnet *subnet,
                 const struct ipam_pool *pool, ipnum ip, bool restoring,
                 char **errorp)
{
    char buf[CIDR_IP_STRLEN];
    const char *ip_s = cidr_ip_format(pool->cidr.family, ip, buf);
    const struct ipam_slot *slot;

    if (!cidr_contains(&pool->cidr, pool->cidr.family, ip)) {
        return fail(errorp, IPAM_ERR_INVALID,
                    xasprintf("%s is outside subnet %s (%s)",
                              ip_s, subnet->name, subnet->cidr_block));
    } else if (ip < pool->first || ip > pool->last) {
        return fail(errorp, IPAM_ERR_INVALID,
                    xasprintf("%s is the %s address of subnet %s", ip_s,
                              ip < pool->first ? "network" : "broadcast",
                              subnet->name));
    } else if (ip == pool->gateway) {
        return fail(errorp, IPAM_ERR_INVALID,
                    xasprintf("%s is the gateway of subnet %s",
                              ip_s, subnet->name));
    } else if ((slot = pool_find_leased(pool, ip)) != NULL) {
        /* Another owner's: the caller has handled the owner's own lease. */
        return fail(errorp, IPAM_ERR_CONFLICT,
                    xasprintf("%s is already in use by %s",
                              ip_s, slot->lease->owner));
    } else if (!restoring && pool_is_excluded(pool, ip)) {
        return fail(errorp, IPAM_ERR_INVALID,
                    xasprintf("%s is in the excludeIps of subnet %s",
                              ip_s, subnet->name));
    }
    return IPAM_OK;
}

/* Parses the requested addresses 'ips' and MAC 'mac' (each NULL or "" for
 * none) into 'req', checking that each address has a CIDR in 'subnet'.
 * Every failure is IPAM_ERR_INVALID: it is about the request alone. */
static enum ipam_error
request_parse(const struct ipam_subnet *subnet, const char *ips,
              const char *mac, struct lease_request *req, char **errorp)
{
    memset(req, 0, sizeof *req);
    if (ips && *ips) {
        struct ip_addr addrs[2];
        size_t n;
        char *error = parse_ip_list(ips, "IP", addrs, &n);
        if (error) {
            return fail(errorp, IPAM_ERR_INVALID, error);
        }
        for (size_t i = 0; i < n; i++) {
            size_t f = family_idx(addrs[i].family);
            if (!subnet->pools[f]) {
                char buf[CIDR_IP_STRLEN];
                return fail(errorp, IPAM_ERR_INVALID,
                            xasprintf("%s is outside subnet %s (%s)",
                                      cidr_ip_format(addrs[i].family,
                                                     addrs[i].n, buf),
                                      subnet->name, subnet->cidr_block));
            }
            req->want_ip[f] = true;
            req->ip[f] = addrs[i].n;
        }
    }
    if (mac && *mac) {
        char *error = cidr_parse_mac(mac, &req->mac);
        if (error) {
            return fail(errorp, IPAM_ERR_INVALID, error);
        } else if (eth_addr_is_multicast(req->mac)) {
            return fail(errorp, IPAM_ERR_INVALID,
                        xasprintf("MAC %s is a multicast address", mac));
        } else if (eth_addr_is_zero(req->mac)) {
            return fail(errorp, IPAM_ERR_INVALID,
                        xasprintf("MAC %s is not a usable address", mac));
        }
        req->want_mac = true;
    }
    return IPAM_OK;
}

/* Checks that 'req' can be granted to 'owner' in 'subnet'.  With 'fill',
 * families not requested need a free address. */
static enum ipam_error
request_check(const struct ipam *ipam, const struct ipam_subnet *subnet,
              const struct lease_request *req, bool fill, bool restoring,
              char **errorp)
{
    for (size_t f = 0; f < 2; f++) {
        const struct ipam_pool *pool = subnet->pools[f];

        if (!pool) {
            continue;
        } else if (req->want_ip[f]) {
            enum ipam_error error = pool_check_claim(subnet, pool, req->ip[f],
                                                     restoring, errorp);
            if (error) {
                return error;
            }
        } else if (fill && !pool_available(pool)) {
            return fail(errorp, IPAM_ERR_EXHAUSTED,
                        xasprintf("subnet %s has no free %s address",
                                  subnet->name,
                                  cidr_family_name(idx_family(f))));
        }
    }

    const struct ipam_lease *holder;
    if (req->want_mac && (holder = mac_holder(ipam, req->mac)) != NULL) {
        /* Another owner's, as in pool_check_claim(). */
        return fail(errorp, IPAM_ERR_CONFLICT,
                    xasprintf("MAC %s is already in use by %s",
                              holder->mac_string, holder->owner));
    }
    return IPAM_OK;
}

/* True if 'lease' grants 'req' in 'subnet'.  With 'exact', it must also hold
 * no address that 'req' does not name. */
static bool
lease_satisfies(const struct ipam_lease *lease,
                const struct ipam_subnet *subnet,
                const struct lease_request *req, bool exact)
{
    bool held[2] = { false, false };

    if (lease->subnet != subnet
        || (req->want_mac && !eth_addr_equals(lease->mac, req->mac))) {
        return false;
    }
    for (size_t i = 0; i < lease->n_ips; i++) {
        size_t f = family_idx(lease->ips[i].family);

        held[f] = true;
        if (req->want_ip[f] ? req->ip[f] != lease->ips[i].n : exact) {
            return false;
        }
    }
    for (size_t f = 0; f < 2; f++) {
        if (req->want_ip[f] && !held[f]) {
            return false;
        }
    }
    return true;
}

static char *
lease_conflict(const struct ipam_lease *lease)
{
    return xasprintf("%s already holds %s (MAC %s) in subnet %s",
                     lease->owner, lease->ip_string, lease->mac_string,
                     lease->subnet->name);
}

/* The common path of ipam_allocate() and ipam_restore_one().  On failure
 * stores a malloc'd message in '*errorp' ('errorp' must be nonnull); on
 * success leaves it alone. */
static enum ipam_error
lease_acquire(struct ipam *ipam, const char *subnet_name, const char *owner,
              const char *ips, const char *mac, bool restoring,
              const struct ipam_lease **leasep, char **errorp)
{
    const struct ipam_subnet *subnet = subnet_lookup(ipam, subnet_name);
    struct lease_request req;
    enum ipam_error error;

    *leasep = NULL;
    if (!subnet) {
        return fail(errorp, IPAM_ERR_NO_SUBNET,
                    xasprintf("subnet %s does not exist", subnet_name));
    }
    error = request_parse(subnet, ips, mac, &req, errorp);
    if (error) {
        return error;
    }

    const struct ipam_lease *lease = lease_lookup(ipam, owner);
    if (lease) {
        if (!lease_satisfies(lease, subnet, &req, restoring)) {
            return fail(errorp, IPAM_ERR_CONFLICT, lease_conflict(lease));
        }
        *leasep = lease;
        return IPAM_OK;
    }

    error = request_check(ipam, subnet, &req, !restoring, restoring, errorp);
    if (!error) {
        *leasep = lease_create(ipam, subnet, owner, &req, !restoring);
    }
    return error;
}

const char *
ipam_error_name(enum ipam_error error)
{
    switch (error) {
    case IPAM_OK:
        return "ok";
    case IPAM_ERR_NO_SUBNET:
        return "no-subnet";
    case IPAM_ERR_EXHAUSTED:
        return "exhausted";
    case IPAM_ERR_CONFLICT:
        return "conflict";
    case IPAM_ERR_INVALID:
        return "invalid";
    }
    /* No default above, so that -Wswitch names a new kind left out. */
    return "unknown";
}

enum ipam_error
ipam_allocate(struct ipam *ipam, const char *subnet, const char *owner,
              const char *ips, const char *mac,
              const struct ipam_lease **leasep, char **errorp)
{
    char *msg = NULL;
    enum ipam_error error = lease_acquire(ipam, subnet, owner, ips, mac,
                                          false, leasep, &msg);

    if (errorp) {
        *errorp = msg;
    } else {
        free(msg);
    }
    return error;
}

bool
ipam_release(struct ipam *ipam, const char *owner)
{
    struct ipam_lease *lease = lease_lookup(ipam, owner);

    if (lease) {
        lease_destroy(ipam, lease, true);
    }
    return lease != NULL;
}

const struct ipam_lease *
ipam_lookup_owner(const struct ipam *ipam, const char *owner)
{
    return lease_lookup(ipam, owner);
}

const struct ipam_lease *
ipam_lookup_ip(const struct ipam *ipam, const char *subnet_name,
               const char *ip_s)
{
    const struct ipam_subnet *subnet = subnet_lookup(ipam, subnet_name);
    struct ip_addr ip;
    char *error;

    if (!subnet) {
        return NULL;
    }
    error = cidr_parse_ip(ip_s, &ip);
    if (error) {
        free(error);
        return NULL;
    }

    const struct ipam_pool *pool = subnet->pools[family_idx(ip.family)];
    const struct ipam_slot *slot = pool ? pool_find_leased(pool, ip.n) : NULL;
    return slot ? slot->lease : NULL;
}

void
ipam_get_owners(const struct ipam *ipam, const char *subnet,
                struct sset *owners)
{
    const struct ipam_lease *lease;

    HMAP_FOR_EACH (lease, owner_node, &ipam->leases) {
        if (!subnet || !strcmp(lease->subnet->name, subnet)) {
            sset_add(owners, lease->owner);
        }
    }
}

char *
ipam_restore_one(struct ipam *ipam, const struct ipam_record *record)
{
    const struct ipam_lease *lease;
    char *error = NULL;

    if (!record->ips || !*record->ips) {
        error = xstrdup("the record has no IP address");
    } else {
        /* The kind does not matter here: every rejection is reported. */
        (void) lease_acquire(ipam, record->subnet, record->owner,
                             record->ips, record->mac, true, &lease, &error);
    }
    if (error) {
        char *msg = xasprintf("cannot restore %s in subnet %s: %s",
                              record->owner, record->subnet, error);
        free(error);
        error = msg;
    }
    return error;
}

size_t
ipam_restore(struct ipam *ipam, const struct ipam_record *records, size_t n,
             struct svec *errors)
{
    size_t n_ok = 0;

    for (size_t i = 0; i < n; i++) {
        char *error = ipam_restore_one(ipam, &records[i]);

        if (error) {
            svec_add_nocopy(errors, error);
        } else {
            n_ok++;
        }
    }
    return n_ok;
}
