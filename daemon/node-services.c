/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "node-services.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmapx.h"
#include "ipam/cidr.h"
#include "k8s/k8s-informer.h"
#include "nft.h"
#include "node-nat.h"
#include "subnets.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-names.h"
#include "sha1.h"
#include "simap.h"
#include "svc/svc-model.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(node_services);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* Changes whenever the skeleton (maps, base chains, the services chain)
 * changes meaning: a table of another version is replaced whole. */
#define NSVC_SCHEMA "kovn-nft-4"

#define SLICE_INDEX "service"

/* ==== the pure part ==== */

static const char *const map_names[N_NSVC_MAPS] = {
    [NSVC_NODEPORTS] = "nodeports",
    [NSVC_EXTERNAL4] = "external4",
    [NSVC_EXTERNAL6] = "external6",
    [NSVC_CLUSTERIP4] = "clusterip4",
    [NSVC_CLUSTERIP6] = "clusterip6",
    [NSVC_NP_ONE4] = "np_one4",
    [NSVC_NP_ONE6] = "np_one6",
    [NSVC_VIP_ONE4] = "vip_one4",
    [NSVC_VIP_ONE6] = "vip_one6",
    [NSVC_NAT_SRC4] = "nat_src4",
    [NSVC_NAT_SRC6] = "nat_src6",
    [NSVC_CLUSTER4] = "cluster4",
    [NSVC_CLUSTER6] = "cluster6",
    [NSVC_LOCAL_PODS4] = "local_pods4",
    [NSVC_LOCAL_PODS6] = "local_pods6",
    [NSVC_NAT_RULES4] = "nat_rules4",
    [NSVC_NAT_RULES6] = "nat_rules6",
    [NSVC_EGRESS4] = "egress4",
    [NSVC_EGRESS6] = "egress6",
};

/* "KEY_TYPE : DATA_TYPE" of each map. */
static const char *const map_types[N_NSVC_MAPS] = {
    [NSVC_NODEPORTS] = "inet_proto . inet_service : verdict",
    [NSVC_EXTERNAL4] = "ipv4_addr . inet_proto . inet_service : verdict",
    [NSVC_EXTERNAL6] = "ipv6_addr . inet_proto . inet_service : verdict",
    [NSVC_CLUSTERIP4] = "ipv4_addr . inet_proto . inet_service : verdict",
    [NSVC_CLUSTERIP6] = "ipv6_addr . inet_proto . inet_service : verdict",
    [NSVC_NP_ONE4] = "inet_proto . inet_service : ipv4_addr . inet_service",
    [NSVC_NP_ONE6] = "inet_proto . inet_service : ipv6_addr . inet_service",
    [NSVC_VIP_ONE4] = "ipv4_addr . inet_proto . inet_service : "
                      "ipv4_addr . inet_service",
    [NSVC_VIP_ONE6] = "ipv6_addr . inet_proto . inet_service : "
                      "ipv6_addr . inet_service",
    /* By CIDR (flags interval): sets, then maps. */
    [NSVC_NAT_SRC4] = "ipv4_addr",
    [NSVC_NAT_SRC6] = "ipv6_addr",
    [NSVC_CLUSTER4] = "ipv4_addr",
    [NSVC_CLUSTER6] = "ipv6_addr",
    [NSVC_LOCAL_PODS4] = "ipv4_addr",
    [NSVC_LOCAL_PODS6] = "ipv6_addr",
    [NSVC_NAT_RULES4] = "ipv4_addr : verdict",
    [NSVC_NAT_RULES6] = "ipv6_addr : verdict",
    [NSVC_EGRESS4] = "ipv4_addr : ipv4_addr",
    [NSVC_EGRESS6] = "ipv6_addr : ipv6_addr",
};

/* Whether map 'm' is keyed by CIDR (flags interval). */
static bool
map_is_interval(int m)
{
    return m >= NSVC_NAT_SRC4;
}

/* The chains of the skeleton, in the order they are written. */
static const char *const fixed_chains[] = {
    "np_masq", "np_local", "vip_masq", "vip_local",
    "services", "prerouting", "output", "postrouting",
    "nat_out", "nat_do",
};

const char *
nsvc_map_name(enum nsvc_map m)
{
    return m < N_NSVC_MAPS ? map_names[m] : "?";
}

bool
nsvc_is_fixed_chain(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(fixed_chains); i++) {
        if (!strcmp(name, fixed_chains[i])) {
            return true;
        }
    }
    return false;
}

void
nsvc_frag_init(struct nsvc_frag *f)
{
    shash_init(&f->chains);
    for (int i = 0; i < N_NSVC_MAPS; i++) {
        sset_init(&f->elems[i]);
    }
    f->maps_seen = 0;
}

static void
chain_destroy(struct nsvc_chain *c)
{
    if (c) {
        free(c->header);
        svec_destroy(&c->rules);
        free(c->sig);
        free(c);
    }
}

void
nsvc_frag_destroy(struct nsvc_frag *f)
{
    if (!f) {
        return;
    }
    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, &f->chains) {
        chain_destroy(node->data);
    }
    shash_destroy(&f->chains);
    for (int i = 0; i < N_NSVC_MAPS; i++) {
        sset_destroy(&f->elems[i]);
    }
}

size_t
nsvc_frag_n_elems(const struct nsvc_frag *f)
{
    size_t n = 0;
    for (int i = 0; i < N_NSVC_MAPS; i++) {
        n += sset_count(&f->elems[i]);
    }
    return n;
}

/* Exchanges the contents of 'a' and 'b' (hash maps must not be copied as
 * structs). */
static void
frag_swap(struct nsvc_frag *a, struct nsvc_frag *b)
{
    shash_swap(&a->chains, &b->chains);
    for (int i = 0; i < N_NSVC_MAPS; i++) {
        sset_swap(&a->elems[i], &b->elems[i]);
    }
    unsigned int seen = a->maps_seen;
    a->maps_seen = b->maps_seen;
    b->maps_seen = seen;
}

struct nsvc_chain *
nsvc_chain_add(struct nsvc_frag *f, const char *name, const char *header)
{
    struct nsvc_chain *c = xzalloc(sizeof *c);
    c->header = header ? xstrdup(header) : NULL;
    svec_init(&c->rules);
    chain_destroy(shash_replace(&f->chains, name, c));
    return c;
}

void
nsvc_chain_rule(struct nsvc_chain *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    svec_add_nocopy(&c->rules, xvasprintf(format, args));
    va_end(args);
}

void
nsvc_chain_seal(struct nsvc_chain *c, const char *name)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "%s\n", NSVC_SCHEMA);
    for (size_t i = 0; i < N_NSVC_MAPS; i++) {
        /* The maps' types are part of every chain's meaning. */
        ds_put_format(&s, "%s: %s\n", map_names[i], map_types[i]);
    }
    ds_put_format(&s, "%s\n%s\n", name, c->header ? c->header : "");
    for (size_t i = 0; i < c->rules.n; i++) {
        ds_put_format(&s, "%s\n", c->rules.names[i]);
    }
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_bytes(s.string, s.length, digest);
    char hex[SHA1_DIGEST_SIZE * 2 + 1];
    sha1_to_hex(digest, hex);
    free(c->sig);
    c->sig = xasprintf("kovn:%.16s:%"PRIuSIZE, hex, c->rules.n);
    ds_destroy(&s);
}

static const char *
nfproto(int family)
{
    return family == AF_INET6 ? "ipv6" : "ipv4";
}

const char *
nsvc_l3(int family)
{
    return family == AF_INET6 ? "ip6" : "ip";
}

static const struct svc_vip *
first_vip(const struct svc_vip *vips, size_t n, int family)
{
    for (size_t i = 0; i < n; i++) {
        if (vips[i].family == family) {
            return &vips[i];
        }
    }
    return NULL;
}

static const int families[] = { AF_INET, AF_INET6 };

/* "meta nfproto F meta l4proto P dnat F to TO", marked for masquerade if
 * 'masq'. */
static void
dnat_rule(struct nsvc_chain *c, int family, enum svc_proto proto, bool masq,
          const char *to)
{
    char mark[64] = "";
    if (masq) {
        snprintf(mark, sizeof mark, "meta mark set meta mark | 0x%08x ",
                 NSVC_MASQ_MARK);
    }
    nsvc_chain_rule(c, "meta nfproto %s meta l4proto %s %sdnat %s to %s",
               nfproto(family), svc_proto_name(proto), mark, nsvc_l3(family), to);
}

/* Whether 'b' is of 'family' and, unless 'node' is NULL, on 'node'. */
static bool
backend_in(const struct svc_backend *b, int family, const char *node)
{
    return b->family == family
           && (!node || (b->node && !strcmp(b->node, node)));
}

/* Whether 'ip' (canonical text) is in one of the 'n' 'cidrs'. */
static bool
in_cidrs(const char *ip, const struct ip_cidr *cidrs, size_t n)
{
    struct ip_addr a;
    char *error = cidr_parse_ip(ip, &a);
    bool in = false;
    for (size_t i = 0; !error && !in && i < n; i++) {
        in = cidr_contains(&cidrs[i], a.family, a.n);
    }
    free(error);
    return in;
}

/* Whether 'p' has a backend of 'family' on 'node' outside the pod CIDRs of
 * 'nets': a hostNetwork endpoint of this node. */
static bool
has_host_backend(const struct svc_port *p, int family, const char *node,
                 const struct nsvc_networks *nets)
{
    for (size_t i = 0; i < p->n_backends; i++) {
        const struct svc_backend *b = &p->backends[i];
        if (backend_in(b, family, node)
            && !in_cidrs(b->ip, nets->pods, nets->n_pods)) {
            return true;
        }
    }
    return false;
}

/* Where the packets of one Service port and family may be DNATed to. */
struct target {
    const char *ip;             /* Borrowed from the model. */
    int port;
};

/* What a port's targets are (see node-services.h). */
enum target_kind {
    TK_CLUSTER,         /* NodePort/externalIPs, externalTrafficPolicy
                         * Cluster. */
    TK_LOCAL,           /* NodePort/externalIPs, Local. */
    TK_HOST,            /* ClusterIP from the node, for a port with a
                         * hostNetwork endpoint here. */
};

/* The targets of port 'p' of 'm' for packets of 'family' on node 'node',
 * in 't' (room for p->n_backends + 1); returns how many. */
static size_t
port_targets(const struct svc_model *m, const struct svc_port *p,
             int family, enum target_kind kind, const char *node,
             const struct nsvc_networks *nets, struct target *t)
{
    const struct svc_vip *cip = first_vip(m->cluster_ips, m->n_cluster_ips,
                                          family);
    const char *only_on = NULL;
    switch (kind) {
    case TK_CLUSTER:
        if (!cip) {
            return 0;
        } else if (!has_host_backend(p, family, node, nets)) {
            t[0] = (struct target) { cip->ip, p->port };
            return 1;
        }
        break;
    case TK_LOCAL:
        if (!cip && !first_vip(m->external_ips, m->n_external_ips,
                               family)) {
            return 0;
        }
        only_on = node;
        break;
    case TK_HOST:
        if (!cip || !has_host_backend(p, family, node, nets)) {
            return 0;
        }
        break;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->n_backends; i++) {
        const struct svc_backend *b = &p->backends[i];
        if (backend_in(b, family, only_on)) {
            t[n++] = (struct target) { b->ip, b->port };
        }
    }
    return n;
}

/* A port's targets for both families. */
struct port_targets {
    struct target *t[2];        /* Index: family_index(). */
    size_t n[2];
};

static int
family_index(int family)
{
    return family == AF_INET6;
}

static void
port_targets_fill(const struct svc_model *m, const struct svc_port *p,
                  enum target_kind kind, const char *node,
                  const struct nsvc_networks *nets, struct port_targets *pt)
{
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        int fi = family_index(families[i]);
        pt->t[fi] = xmalloc((p->n_backends + 1) * sizeof *pt->t[fi]);
        pt->n[fi] = port_targets(m, p, families[i], kind, node, nets,
                                 pt->t[fi]);
    }
}

static void
port_targets_destroy(struct port_targets *pt)
{
    free(pt->t[0]);
    free(pt->t[1]);
}

/* Whether the port needs a chain of its own: more than one target in a
 * family, to pick from. */
static bool
port_targets_pick(const struct port_targets *pt)
{
    return pt->n[0] > 1 || pt->n[1] > 1;
}

/* Adds chain 'name' that DNATs packets of port 'p' to one of its targets,
 * at random, per family ('masq': marked for masquerade), and drops the
 * rest. */
static void
add_pick_chain(struct nsvc_frag *f, const char *name,
               const struct svc_port *p, bool masq,
               const struct port_targets *pt)
{
    struct nsvc_chain *c = nsvc_chain_add(f, name, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
        int fam = families[i];
        int fi = family_index(fam);
        size_t n = pt->n[fi];
        const struct target *t = pt->t[fi];
        struct ds to = DS_EMPTY_INITIALIZER;
        if (n == 1) {
            svc_put_endpoint(&to, fam, t[0].ip, t[0].port);
        } else if (n > 1) {
            ds_put_format(&to, "numgen random mod %"PRIuSIZE" map { ", n);
            for (size_t k = 0; k < n; k++) {
                ds_put_format(&to, "%s%"PRIuSIZE" : %s . %d",
                              k ? ", " : "", k, t[k].ip, t[k].port);
            }
            ds_put_cstr(&to, " }");
        }
        if (n) {
            dnat_rule(c, fam, p->proto, masq, ds_cstr(&to));
        }
        ds_destroy(&to);
    }
    nsvc_chain_rule(c, "drop");
    nsvc_chain_seal(c, name);
}

/* Adds "KEY : goto CHAIN" to verdict map 'map' of 'f' and, unless 'pt' is
 * NULL (the port has a chain of its own), "KEY : IP . PORT" to data map
 * one[FAMILY_INDEX] for each family in which the port has its one target
 * (N_NSVC_MAPS: not for that family). */
static void
add_port_elems(struct nsvc_frag *f, enum nsvc_map map, const char *key,
               const char *chain, const struct port_targets *pt,
               const enum nsvc_map one[2])
{
    sset_add_and_free(&f->elems[map], xasprintf("%s : goto %s", key, chain));
    for (int fi = 0; fi < 2 && pt; fi++) {
        if (one[fi] != N_NSVC_MAPS && pt->n[fi] == 1) {
            sset_add_and_free(&f->elems[one[fi]],
                              xasprintf("%s : %s . %d", key, pt->t[fi][0].ip,
                                        pt->t[fi][0].port));
        }
    }
}

/* "KIND/NS/NAME/PROTO/PORT", the name of a chain of port 'p'. */
static char *
port_chain_name(const char *kind, const struct svc_model *m,
                const struct svc_port *p)
{
    return xasprintf("%s/%s/%s/%s/%d", kind, m->ns, m->name,
                     svc_proto_name(p->proto), p->port);
}

/* Adds to 'f' the elements of port 'p' for each of the 'n' 'vips' in
 * verdict maps 'map4' and 'map6' (but for VIPs of a family without a
 * target, if 'skip_empty'): to 'chain' when the port has one of its own,
 * else to fixed chain 'fixed', with the VIP's family's one target in the
 * vip_one maps. */
static void
add_vip_elems(struct nsvc_frag *f, enum nsvc_map map4, enum nsvc_map map6,
              const struct svc_vip *vips, size_t n, const struct svc_port *p,
              const char *chain, const char *fixed,
              const struct port_targets *pt, bool skip_empty)
{
    for (size_t i = 0; i < n; i++) {
        int fi = family_index(vips[i].family);
        if (skip_empty && !pt->n[fi]) {
            continue;
        }
        enum nsvc_map one[2] = { N_NSVC_MAPS, N_NSVC_MAPS };
        one[fi] = fi ? NSVC_VIP_ONE6 : NSVC_VIP_ONE4;
        char *key = xasprintf("%s . %s . %d", vips[i].ip,
                              svc_proto_name(p->proto), p->port);
        add_port_elems(f, fi ? map6 : map4, key, chain ? chain : fixed,
                       chain ? NULL : pt, one);
        free(key);
    }
}

/* Port 'p' from outside and from the node: its nodePort and its external
 * IPs. */
static void
port_frag(const struct svc_model *m, const struct svc_port *p,
          const char *node, const struct nsvc_networks *nets,
          struct nsvc_frag *f)
{
    if (!p->node_port && !m->n_external_ips) {
        return;
    }
    bool local = m->local_traffic;
    struct port_targets pt;
    port_targets_fill(m, p, local ? TK_LOCAL : TK_CLUSTER, node, nets, &pt);
    char *chain = NULL;
    if (port_targets_pick(&pt)) {
        chain = port_chain_name("svc", m, p);
        add_pick_chain(f, chain, p, !local, &pt);
    }

    if (p->node_port) {
        static const enum nsvc_map np_one[2] = { NSVC_NP_ONE4,
                                                 NSVC_NP_ONE6 };
        char *key = xasprintf("%s . %d", svc_proto_name(p->proto),
                              p->node_port);
        add_port_elems(f, NSVC_NODEPORTS, key,
                       chain ? chain : local ? "np_local" : "np_masq",
                       chain ? NULL : &pt, np_one);
        free(key);
    }
    add_vip_elems(f, NSVC_EXTERNAL4, NSVC_EXTERNAL6, m->external_ips,
                  m->n_external_ips, p, chain,
                  local ? "vip_local" : "vip_masq", &pt, false);
    free(chain);
    port_targets_destroy(&pt);
}

/* Port 'p' from the node itself to its ClusterIPs, for each family in which
 * it has a hostNetwork endpoint on 'node': to any of its backends of that
 * family, at random, masqueraded.  (OVN would send the node's own endpoint
 * back into the node from the node's own ovn0 address, a martian.) */
static void
clusterip_frag(const struct svc_model *m, const struct svc_port *p,
               const char *node, const struct nsvc_networks *nets,
               struct nsvc_frag *f)
{
    struct port_targets pt;
    port_targets_fill(m, p, TK_HOST, node, nets, &pt);
    if (pt.n[0] || pt.n[1]) {
        char *chain = NULL;
        if (port_targets_pick(&pt)) {
            chain = port_chain_name("clusterip", m, p);
            add_pick_chain(f, chain, p, true, &pt);
        }
        add_vip_elems(f, NSVC_CLUSTERIP4, NSVC_CLUSTERIP6, m->cluster_ips,
                      m->n_cluster_ips, p, chain, "vip_masq", &pt, true);
        free(chain);
    }
    port_targets_destroy(&pt);
}

void
nsvc_service_frag(const struct svc_model *m, const char *node,
                  const struct nsvc_networks *nets, struct nsvc_frag *f)
{
    if (!m->has_vips) {
        return;
    }
    for (size_t i = 0; i < m->n_ports; i++) {
        port_frag(m, &m->ports[i], node, nets, f);
        clusterip_frag(m, &m->ports[i], node, nets, f);
    }
}


/* The rules that send a packet to maps 'map4' and 'map6' by destination
 * address, protocol and port. */
static void
vip_vmap_rules(struct nsvc_chain *c, enum nsvc_map map4, enum nsvc_map map6)
{
    nsvc_chain_rule(c, "ip daddr . meta l4proto . th dport vmap @%s",
               map_names[map4]);
    nsvc_chain_rule(c, "ip6 daddr . meta l4proto . th dport vmap @%s",
               map_names[map6]);
}

/* Adds fixed chain 'name': DNAT by data maps 'one4' and 'one6', looked up
 * by 'key4' and 'key6', marked for masquerade if 'masq'; drop when the
 * packet's family has no target. */
static void
add_fixed_dnat_chain(struct nsvc_frag *f, const char *name, bool masq,
                     const char *key4, enum nsvc_map one4,
                     const char *key6, enum nsvc_map one6)
{
    struct nsvc_chain *c = nsvc_chain_add(f, name, NULL);
    if (masq) {
        nsvc_chain_rule(c, "meta mark set meta mark | 0x%08x", NSVC_MASQ_MARK);
    }
    /* A key without an address needs the family said. */
    bool l3_key = strstr(key4, " daddr ") != NULL;
    nsvc_chain_rule(c, "%sdnat ip to %s map @%s",
               l3_key ? "" : "meta nfproto ipv4 ", key4, map_names[one4]);
    nsvc_chain_rule(c, "%sdnat ip6 to %s map @%s",
               l3_key ? "" : "meta nfproto ipv6 ", key6, map_names[one6]);
    nsvc_chain_rule(c, "drop");
    nsvc_chain_seal(c, name);
}

void
nsvc_base_frag(const struct nsvc_networks *nets, struct nsvc_frag *f)
{
    static const char np_key[] = "meta l4proto . th dport";
    static const char vip_key4[] = "ip daddr . meta l4proto . th dport";
    static const char vip_key6[] = "ip6 daddr . meta l4proto . th dport";
    for (int masq = 0; masq < 2; masq++) {
        add_fixed_dnat_chain(f, masq ? "np_masq" : "np_local", masq,
                             np_key, NSVC_NP_ONE4, np_key, NSVC_NP_ONE6);
        add_fixed_dnat_chain(f, masq ? "vip_masq" : "vip_local", masq,
                             vip_key4, NSVC_VIP_ONE4, vip_key6,
                             NSVC_VIP_ONE6);
    }

    struct nsvc_chain *c = nsvc_chain_add(f, "services", NULL);
    vip_vmap_rules(c, NSVC_EXTERNAL4, NSVC_EXTERNAL6);
    nsvc_chain_rule(c, "fib daddr type local ip daddr != 127.0.0.0/8 "
               "meta l4proto . th dport vmap @%s", map_names[NSVC_NODEPORTS]);
    nsvc_chain_rule(c, "fib daddr type local ip6 daddr != ::1 "
               "meta l4proto . th dport vmap @%s", map_names[NSVC_NODEPORTS]);
    nsvc_chain_seal(c, "services");

    c = nsvc_chain_add(f, "prerouting",
                  "type nat hook prerouting priority dstnat; policy accept;");
    nsvc_nat_prerouting(c);
    nsvc_chain_rule(c, "jump services");
    nsvc_chain_seal(c, "prerouting");

    c = nsvc_chain_add(f, "output",
                  "type nat hook output priority -100; policy accept;");
    vip_vmap_rules(c, NSVC_CLUSTERIP4, NSVC_CLUSTERIP6);
    nsvc_chain_rule(c, "jump services");
    nsvc_chain_seal(c, "output");

    c = nsvc_chain_add(f, "postrouting",
                  "type nat hook postrouting priority srcnat; "
                  "policy accept;");
    nsvc_chain_rule(c, "meta mark & 0x%08x == 0x%08x meta mark set meta mark & "
               "0x%08x masquerade", NSVC_MASQ_MARK, NSVC_MASQ_MARK,
               ~(unsigned int) NSVC_MASQ_MARK);
    nsvc_nat_frag(nets, c, f);
    nsvc_chain_seal(c, "postrouting");
}

/* ---- commands ---- */

static void
put_chain_rules(struct ds *cmds, const char *name, const struct nsvc_chain *c)
{
    for (size_t i = 0; i < c->rules.n; i++) {
        ds_put_format(cmds, "add rule %s %s %s", NSVC_TABLE, name,
                      c->rules.names[i]);
        if (!i) {
            ds_put_format(cmds, " comment \"%s\"", c->sig);
        }
        ds_put_char(cmds, '\n');
    }
}

static void
put_add_chain(struct ds *cmds, const char *name, const struct nsvc_chain *c)
{
    ds_put_format(cmds, "add chain %s %s", NSVC_TABLE, name);
    if (c->header) {
        ds_put_format(cmds, " { %s }", c->header);
    }
    ds_put_char(cmds, '\n');
}

/* The key of element "KEY : VERDICT". */
static char *
elem_key(const char *elem)
{
    const char *colon = strstr(elem, " : ");
    return colon ? xmemdup0(elem, colon - elem) : xstrdup(elem);
}

/* One "VERB element" command per map for the elements of 'a' not in 'b'
 * ('keys_only' for deletions). */
static void
put_elems(struct ds *cmds, const char *verb, enum nsvc_map map,
          const struct sset *a, const struct sset *b, bool keys_only)
{
    const char **sorted = sset_sort(a);
    size_t k = 0;
    for (size_t i = 0; i < sset_count(a); i++) {
        if (b && sset_contains(b, sorted[i])) {
            continue;
        }
        if (!k++) {
            ds_put_format(cmds, "%s element %s %s { ", verb, NSVC_TABLE,
                          map_names[map]);
        } else {
            ds_put_cstr(cmds, ", ");
        }
        if (keys_only) {
            char *key = elem_key(sorted[i]);
            ds_put_cstr(cmds, key);
            free(key);
        } else {
            ds_put_cstr(cmds, sorted[i]);
        }
    }
    if (k) {
        ds_put_cstr(cmds, " }\n");
    }
    free(sorted);
}

void
nsvc_diff(const struct nsvc_frag *old, const struct nsvc_frag *new,
          struct ds *cmds)
{
    const struct shash_node **sorted = shash_sort(&new->chains);
    size_t n = shash_count(&new->chains);

    /* New chains first: rules and elements may refer to them. */
    for (size_t i = 0; i < n; i++) {
        if (!shash_find(&old->chains, sorted[i]->name)) {
            put_add_chain(cmds, sorted[i]->name, sorted[i]->data);
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct nsvc_chain *c = sorted[i]->data;
        const struct nsvc_chain *was = shash_find_data(&old->chains,
                                                       sorted[i]->name);
        if (was && was->sig && c->sig && !strcmp(was->sig, c->sig)) {
            continue;
        }
        if (was) {
            ds_put_format(cmds, "flush chain %s %s\n", NSVC_TABLE,
                          sorted[i]->name);
        }
        put_chain_rules(cmds, sorted[i]->name, c);
    }
    free(sorted);

    for (int m = 0; m < N_NSVC_MAPS; m++) {
        put_elems(cmds, "delete", m, &old->elems[m], &new->elems[m], true);
    }
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        put_elems(cmds, "add", m, &new->elems[m], &old->elems[m], false);
    }

    /* Gone chains last, once no element refers to them. */
    sorted = shash_sort(&old->chains);
    n = shash_count(&old->chains);
    for (size_t i = 0; i < n; i++) {
        if (!shash_find(&new->chains, sorted[i]->name)) {
            ds_put_format(cmds, "flush chain %s %s\ndelete chain %s %s\n",
                          NSVC_TABLE, sorted[i]->name, NSVC_TABLE,
                          sorted[i]->name);
        }
    }
    free(sorted);
}

void
nsvc_replace(const struct nsvc_frag *all, struct ds *cmds)
{
    ds_put_format(cmds, "add table %s\ndelete table %s\nadd table %s\n",
                  NSVC_TABLE, NSVC_TABLE, NSVC_TABLE);
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        ds_put_format(cmds, "add %s %s %s { type %s; %s}\n",
                      strstr(map_types[m], " : ") ? "map" : "set",
                      NSVC_TABLE, map_names[m], map_types[m],
                      map_is_interval(m) ? "flags interval; " : "");
    }
    struct nsvc_frag empty;
    nsvc_frag_init(&empty);
    nsvc_diff(&empty, all, cmds);
    nsvc_frag_destroy(&empty);
}

/* ---- reading the table back ---- */

/* nft's text listing, not its JSON: see nft.h. */

static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == ',')) {
        s[--n] = '\0';
    }
    return s;
}

static int
map_index(const char *name)
{
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        if (!strcmp(name, map_names[m])) {
            return m;
        }
    }
    return -1;
}

/* Adds the elements in 'text' ("a : goto x, b : goto y", maybe with the
 * braces) to map 'm' of 'f'. */
static void
add_elements(struct nsvc_frag *f, int m, char *text)
{
    char *save = NULL;
    for (char *e = strtok_r(text, ",{}", &save); e;
         e = strtok_r(NULL, ",{}", &save)) {
        e = trim(e);
        if (*e && m >= 0) {
            sset_add(&f->elems[m], e);
        }
    }
}

char *
nsvc_frag_parse(const char *listing, struct nsvc_frag *f)
{
    char *copy = xstrdup(listing);
    struct simap n_rules = SIMAP_INITIALIZER(&n_rules);
    enum { TOP, TABLE, MAP, ELEMS, CHAIN, OTHER } state = TOP;
    int map = -1;
    struct nsvc_chain *chain = NULL;
    const char *chain_name = NULL;
    char *error = NULL;
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line && !error;
         line = strtok_r(NULL, "\n", &save)) {
        line = trim(line);
        char *hash = strstr(line, " # handle ");
        if (hash) {
            *hash = '\0';           /* A listing with handles. */
            line = trim(line);
        }
        if (!*line) {
            continue;
        }
        switch (state) {
        case TOP:
            if (!strncmp(line, "table ", 6)) {
                state = TABLE;
            }
            break;
        case TABLE:
            if (!strncmp(line, "map ", 4) || !strncmp(line, "chain ", 6)
                || !strncmp(line, "set ", 4)) {
                char *name = trim(strchr(line, ' ') + 1);
                size_t n = strlen(name);
                if (n < 2 || strcmp(name + n - 2, " {")) {
                    error = xasprintf("unexpected line \"%s\"", line);
                    break;
                }
                name[n - 2] = '\0';
                if (line[0] == 'm' || line[0] == 's') {
                    state = MAP;
                    map = map_index(name);
                    if (map >= 0) {
                        f->maps_seen |= 1u << map;
                    }
                } else if (line[0] == 'c') {
                    state = CHAIN;
                    chain = nsvc_chain_add(f, name, NULL);
                    chain->sig = xstrdup("");
                    chain_name = shash_find(&f->chains, name)->name;
                } else {
                    state = OTHER;
                }
            } else if (!strcmp(line, "}")) {
                state = TOP;
            }
            break;
        case MAP:
            if (!strncmp(line, "elements = {", 12)) {
                bool done = strchr(line + 12, '}') != NULL;
                add_elements(f, map, line + 12);
                state = done ? MAP : ELEMS;
            } else if (!strcmp(line, "}")) {
                state = TABLE;
            }
            break;
        case ELEMS:
            state = strchr(line, '}') ? MAP : ELEMS;
            add_elements(f, map, line);
            break;
        case CHAIN:
            if (!strcmp(line, "}")) {
                state = TABLE;
            } else if (!strncmp(line, "type ", 5) && strstr(line, " hook ")) {
                free(chain->header);
                chain->header = xstrdup(line);
            } else if (simap_increase(&n_rules, chain_name, 1) == 1) {
                const char *c = strstr(line, " comment \"");
                if (c) {
                    c += strlen(" comment \"");
                    free(chain->sig);
                    chain->sig = xmemdup0(c, strcspn(c, "\""));
                }
            }
            break;
        case OTHER:
            if (!strcmp(line, "}")) {
                state = TABLE;
            }
            break;
        }
    }
    /* A signature holds only if the chain still has that many rules. */
    struct shash_node *node;
    SHASH_FOR_EACH (node, &f->chains) {
        struct nsvc_chain *c = node->data;
        const char *colon = strrchr(c->sig, ':');
        unsigned int n = simap_get(&n_rules, node->name);
        if (!colon || strtoul(colon + 1, NULL, 10) != n) {
            free(c->sig);
            c->sig = xstrdup("");
        }
    }
    simap_destroy(&n_rules);
    free(copy);
    return error;
}

bool
nsvc_skeleton_ok(const struct nsvc_frag *have, const struct nsvc_frag *want)
{
    if (have->maps_seen != (1u << N_NSVC_MAPS) - 1) {
        return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(fixed_chains); i++) {
        const char *name = fixed_chains[i];
        const struct nsvc_chain *h = shash_find_data(&have->chains, name);
        const struct nsvc_chain *w = shash_find_data(&want->chains, name);
        if (!h || !w || !h->header != !w->header) {
            return false;
        }
        if (!h->sig || !w->sig || strcmp(h->sig, w->sig)) {
            return false;
        }
    }
    return true;
}

static int
compare_cidrs(const void *a_, const void *b_)
{
    const struct ip_cidr *a = a_, *b = b_;
    if (a->family != b->family) {
        return a->family < b->family ? -1 : 1;
    }
    if (a->network != b->network) {
        return a->network < b->network ? -1 : 1;
    }
    return a->plen < b->plen ? -1 : a->plen > b->plen;
}

void
nsvc_cidrs_normalize(struct ip_cidr *cidrs, size_t *n)
{
    if (!*n) {
        return;                 /* 'cidrs' may be NULL: not for qsort(). */
    }
    qsort(cidrs, *n, sizeof *cidrs, compare_cidrs);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (k && cidrs[k - 1].family == cidrs[i].family
            && cidr_contains(&cidrs[k - 1], cidrs[i].family,
                             cidrs[i].network)) {
            continue;           /* Inside the one before (sorted). */
        }
        cidrs[k++] = cidrs[i];
    }
    *n = k;
}

/* ==== the module ==== */

struct node_services {
    char *node_name;
    struct k8s_informer *services, *slices, *subnets, *node, *pods;
    struct ip_cidr *service_cidrs;
    size_t n_service_cidrs;
    int resync_ms;
    bool set_forwarding;
    struct nft *nft;
    struct nsvc_networks nets;      /* As last read. */

    /* What the table holds (as far as we know). */
    bool synced;                    /* Made right once: 'base', 'applied'
                                     * are the table's. */
    struct nsvc_frag base;          /* The skeleton. */
    struct shash applied;           /* Service key -> struct nsvc_frag *. */

    /* nodeport and external IP:port claims: "MAP|KEY" -> owner key. */
    struct shash claims;
    struct shash nat_last_good;     /* node-nat.h's 'last_good'. */
    size_t n_applied_elems;         /* Map elements in 'applied'. */
    struct shash owned;             /* Service key -> struct sset * of the
                                     * claims it holds (so that settling
                                     * one Service does not walk all). */
    struct sset blocked;            /* Services that lost a claim. */

    struct sset dirty;              /* Service keys to look at. */
    bool networks_dirty;
    long long int next_resync;      /* LLONG_MAX: none planned. */
    bool forwarding_done;

    struct node_services_stats stats;
};

struct node_services *
node_services_create(const struct node_services_config *cfg)
{
    struct node_services *ns = xzalloc(sizeof *ns);
    ns->node_name = xstrdup(cfg->node_name);
    ns->services = cfg->services;
    ns->slices = cfg->slices;
    ns->subnets = cfg->subnets;
    ns->node = cfg->node;
    ns->pods = cfg->pods;
    ns->service_cidrs = xmemdup(cfg->service_cidrs,
                                cfg->n_service_cidrs
                                * sizeof *cfg->service_cidrs);
    ns->n_service_cidrs = cfg->n_service_cidrs;
    ns->resync_ms = (cfg->resync_s > 0 ? cfg->resync_s : 300) * 1000;
    ns->set_forwarding = cfg->set_forwarding;
    ns->nft = nft_create();
    nsvc_frag_init(&ns->base);
    shash_init(&ns->applied);
    shash_init(&ns->claims);
    shash_init(&ns->nat_last_good);
    shash_init(&ns->owned);
    sset_init(&ns->blocked);
    sset_init(&ns->dirty);
    ns->next_resync = 0;
    k8s_informer_add_index(ns->slices, SLICE_INDEX, svc_index_slice_service);
    return ns;
}

static void networks_destroy(struct nsvc_networks *);

static void
frag_free(struct nsvc_frag *f)
{
    nsvc_frag_destroy(f);
    free(f);
}

static void
applied_clear(struct shash *applied)
{
    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, applied) {
        frag_free(node->data);
        shash_delete(applied, node);
    }
}

void
node_services_destroy(struct node_services *ns)
{
    if (!ns) {
        return;
    }
    applied_clear(&ns->applied);
    shash_destroy(&ns->applied);
    shash_destroy_free_data(&ns->claims);
    nsvc_nat_forget(&ns->nat_last_good, NULL);
    shash_destroy(&ns->nat_last_good);
    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, &ns->owned) {
        sset_destroy(node->data);
        free(node->data);
        shash_delete(&ns->owned, node);
    }
    shash_destroy(&ns->owned);
    sset_destroy(&ns->blocked);
    sset_destroy(&ns->dirty);
    nsvc_frag_destroy(&ns->base);
    networks_destroy(&ns->nets);
    nft_destroy(ns->nft);
    free(ns->service_cidrs);
    free(ns->node_name);
    free(ns);
}

void
node_services_service_changed(struct node_services *ns,
                              const struct json *service)
{
    char *key = k8s_obj_key(service);
    if (key) {
        sset_add_and_free(&ns->dirty, key);
    }
    poll_immediate_wake();
}

void
node_services_slice_changed(struct node_services *ns,
                            const struct json *slice)
{
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    svc_index_slice_service(slice, &keys);
    for (size_t i = 0; i < keys.n; i++) {
        sset_add(&ns->dirty, keys.names[i]);
    }
    svec_destroy(&keys);
    poll_immediate_wake();
}

void
node_services_networks_changed(struct node_services *ns)
{
    ns->networks_dirty = true;
    poll_immediate_wake();
}

void
node_services_pod_changed(struct node_services *ns, const struct json *old,
                          const struct json *new)
{
    const char *a = old ? k8s_obj_annotation(old, OVN_ANN_IP_ADDRESS) : NULL;
    const char *b = new ? k8s_obj_annotation(new, OVN_ANN_IP_ADDRESS) : NULL;
    if (a != b && (!a || !b || strcmp(a, b))) {
        node_services_networks_changed(ns);
    }
}

void
node_services_resync(struct node_services *ns)
{
    ns->next_resync = 0;
    poll_immediate_wake();
}

void
node_services_get_stats(const struct node_services *ns,
                        struct node_services_stats *stats)
{
    *stats = ns->stats;
    stats->synced = ns->synced;
    stats->n_services = shash_count(&ns->applied);
    stats->n_elems = ns->n_applied_elems;
}

/* ---- inputs ---- */

static void
add_cidr(struct ip_cidr **cidrs, size_t *n, const struct ip_cidr *c)
{
    *cidrs = xrealloc(*cidrs, (*n + 1) * sizeof **cidrs);
    (*cidrs)[(*n)++] = *c;
}

/* The addresses of this node's pods, as /32 and /128. */
static void
read_local_pods(const struct node_services *ns, struct nsvc_networks *nets)
{
    if (!ns->pods) {
        return;
    }
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->pods) {
        struct ovn_ann_network net;
        char *error = (ovn_ann_is_allocated(o->obj)
                       ? ovn_ann_network_parse(o->obj, &net)
                       : xstrdup("not yet"));
        if (error) {
            free(error);        /* cni-ops says it, if anyone asks. */
            continue;
        }
        for (size_t i = 0; i < net.n_addrs; i++) {
            const struct ip_addr *a = &net.addrs[i].ip;
            struct ip_cidr c = { a->family, cidr_family_bits(a->family),
                                 a->n };
            add_cidr(&nets->local_pods, &nets->n_local_pods, &c);
        }
    }
}

/* The pod CIDRs (Subnets of the default VPC, but the join network) and the
 * cluster's networks (those, join, the Service CIDRs); this node's pods. */
static void
read_networks(struct node_services *ns, struct nsvc_networks *nets)
{
    memset(nets, 0, sizeof *nets);
    struct ovn_ann_network join = { .n_addrs = 0 };
    const struct json *node = ns->node
        ? k8s_informer_get(ns->node, ns->node_name) : NULL;
    if (node && ovn_ann_is_allocated(node)) {
        char *error = ovn_ann_network_parse(node, &join);
        if (error) {
            join.n_addrs = 0;
            free(error);            /* node-setup says it. */
        }
    }
    for (size_t i = 0; i < join.n_addrs; i++) {
        add_cidr(&nets->cluster, &nets->n_cluster, &join.addrs[i].cidr);
    }
    for (size_t i = 0; i < ns->n_service_cidrs; i++) {
        add_cidr(&nets->cluster, &nets->n_cluster, &ns->service_cidrs[i]);
    }

    struct sset seen = SSET_INITIALIZER(&seen);
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->subnets) {
        struct ip_cidr cidrs[2];
        size_t n_cidrs;
        if (!node_subnet_cidrs(o->obj, cidrs, &n_cidrs)) {
            continue;
        }
        for (size_t i = 0; i < n_cidrs; i++) {
            bool is_join = false;
            for (size_t j = 0; j < join.n_addrs; j++) {
                is_join = is_join || cidr_contains(&cidrs[i],
                                                   join.addrs[j].ip.family,
                                                   join.addrs[j].ip.n);
            }
            add_cidr(&nets->cluster, &nets->n_cluster, &cidrs[i]);
            if (!is_join) {
                add_cidr(&nets->pods, &nets->n_pods, &cidrs[i]);
            }
        }
        if (strcmp(k8s_obj_name(o->obj), OVN_JOIN_SWITCH)) {
            nsvc_nat_add_subnet(nets, o->obj, cidrs, n_cidrs, ns->node_name,
                                &ns->nat_last_good);
            sset_add(&seen, k8s_obj_name(o->obj));
        }
    }
    nsvc_nat_forget(&ns->nat_last_good, &seen);
    sset_destroy(&seen);
    nsvc_cidrs_normalize(nets->pods, &nets->n_pods);
    nsvc_cidrs_normalize(nets->cluster, &nets->n_cluster);
    read_local_pods(ns, nets);
}

static void
networks_destroy(struct nsvc_networks *nets)
{
    free(nets->pods);
    free(nets->cluster);
    free(nets->local_pods);
    nsvc_nat_subnets_destroy(nets);
}

/* Whether the 'n_a' CIDRs 'a' are the 'n_b' 'b' (both normalized). */
static bool
same_cidrs(const struct ip_cidr *a, size_t n_a, const struct ip_cidr *b,
           size_t n_b)
{
    for (size_t i = 0; n_a == n_b && i < n_a; i++) {
        if (compare_cidrs(&a[i], &b[i])) {
            return false;
        }
    }
    return n_a == n_b;
}

/* Reads the cluster's networks into 'ns->nets'.  Returns true if the pod
 * CIDRs changed (which Services' content depends on). */
static bool
update_networks(struct node_services *ns)
{
    struct nsvc_networks nets;
    read_networks(ns, &nets);
    bool changed = !same_cidrs(nets.pods, nets.n_pods, ns->nets.pods,
                               ns->nets.n_pods);
    networks_destroy(&ns->nets);
    ns->nets = nets;
    return changed;
}

/* The skeleton of 'ns->nets'. */
static void
build_base(const struct node_services *ns, struct nsvc_frag *f)
{
    nsvc_frag_init(f);
    nsvc_base_frag(&ns->nets, f);
}

static char *
claim_key(enum nsvc_map m, const char *elem)
{
    char *key = elem_key(elem);
    char *ck = xasprintf("%s|%s", map_names[m], key);
    free(key);
    return ck;
}

/* Drops the elements of 'f' that another Service claimed first, takes the
 * others for 'key', and gives up the claims 'key' no longer makes.
 * Returns true if it gave up any. */
static bool
settle_claims(struct node_services *ns, const char *key, struct nsvc_frag *f)
{
    struct sset *mine = xmalloc(sizeof *mine);
    sset_init(mine);
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        const char *elem;
        SSET_FOR_EACH_SAFE (elem, &f->elems[m]) {
            char *ck = claim_key(m, elem);
            const char *owner = shash_find_data(&ns->claims, ck);
            if (owner && strcmp(owner, key)) {
                if (m < NSVC_NP_ONE4) {
                    /* A target's element follows its verdict's: one
                     * line for both. */
                    VLOG_WARN_RL(&rl, "service %s: %s is already %s's: "
                                 "not served for %s", key,
                                 strchr(ck, '|') + 1, owner, key);
                }
                sset_add(&ns->blocked, key);
                sset_delete(&f->elems[m], SSET_NODE_FROM_NAME(elem));
                free(ck);
                continue;
            }
            if (!owner) {
                shash_add(&ns->claims, ck, xstrdup(key));
            }
            sset_add_and_free(mine, ck);
        }
    }

    bool released = false;
    struct sset *had = shash_find_and_delete(&ns->owned, key);
    if (had) {
        const char *ck;
        SSET_FOR_EACH (ck, had) {
            if (!sset_contains(mine, ck)) {
                free(shash_find_and_delete(&ns->claims, ck));
                released = true;
            }
        }
        sset_destroy(had);
        free(had);
    }
    if (sset_is_empty(mine)) {
        sset_destroy(mine);
        free(mine);
    } else {
        shash_add(&ns->owned, key, mine);
    }
    return released;
}

/* The content Service 'key' should have now (empty when it is gone or
 * bad). */
static struct nsvc_frag *
build_service(struct node_services *ns, const char *key)
{
    struct nsvc_frag *f = xmalloc(sizeof *f);
    nsvc_frag_init(f);
    const struct json *svc = k8s_informer_get(ns->services, key);
    if (svc) {
        const struct hmapx *set = k8s_informer_index_lookup(ns->slices,
                                                            SLICE_INDEX, key);
        size_t n = set ? hmapx_count(set) : 0, i = 0;
        const struct json **slices = xmalloc((n ? n : 1) * sizeof *slices);
        struct hmapx_node *hn;
        if (set) {
            HMAPX_FOR_EACH (hn, set) {
                const struct k8s_object *o = hn->data;
                slices[i++] = o->obj;
            }
        }
        struct svc_model m;
        char *error = svc_model_build(svc, slices, n, &m);
        if (error) {
            VLOG_WARN_RL(&rl, "service %s: %s: not served on this node",
                         key, error);
            free(error);
        } else {
            nsvc_service_frag(&m, ns->node_name, &ns->nets, f);
        }
        svc_model_destroy(&m);
        free(slices);
    }
    sset_find_and_delete(&ns->blocked, key);
    if (settle_claims(ns, key, f)) {
        /* Services that were refused a port may have it now. */
        const char *b;
        SSET_FOR_EACH (b, &ns->blocked) {
            sset_add(&ns->dirty, b);
        }
    }
    return f;
}

/* ---- applying ---- */

static char *
apply(struct node_services *ns, const struct ds *cmds)
{
    if (!cmds->length) {
        return NULL;
    }
    char *error = nft_run(ns->nft, ds_cstr_ro(cmds));
    ns->stats.n_txns++;
    if (error) {
        ns->stats.n_errors++;
        return error;
    }
    for (const char *p = ds_cstr_ro(cmds); *p; p++) {
        ns->stats.n_commands += *p == '\n';
    }
    return NULL;
}

/* Turns IP forwarding on: IPv4's, and IPv6's if the cluster has IPv6
 * networks (it stops the node from taking IPv6 router advertisements). */
static void
set_forwarding(struct node_services *ns)
{
    static const char *const knobs[] = {
        "/proc/sys/net/ipv4/ip_forward",
        "/proc/sys/net/ipv6/conf/all/forwarding",
    };
    if (!ns->set_forwarding || ns->forwarding_done) {
        return;
    }
    bool v6 = false;
    for (size_t i = 0; i < ns->nets.n_cluster; i++) {
        v6 = v6 || ns->nets.cluster[i].family == AF_INET6;
    }
    ns->forwarding_done = true;
    for (size_t i = 0; i < (v6 ? 2 : 1); i++) {
        FILE *f = fopen(knobs[i], "r+");
        int c = f ? fgetc(f) : EOF;
        if (f && c != '1') {
            rewind(f);
            fputs("1\n", f);
        }
        if (!f || fclose(f)) {
            VLOG_WARN("%s: %s", knobs[i], ovs_strerror(errno));
        } else if (c != '1') {
            VLOG_INFO("%s set to 1", knobs[i]);
        }
    }
}

/* Every Service: the keys of the cache and those of the table. */
static void
all_keys(const struct node_services *ns, struct sset *keys)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, ns->services) {
        sset_add(keys, o->key);
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, &ns->applied) {
        sset_add(keys, node->name);
    }
}

/* Adds 'src' to 'dst' (their chains and elements do not overlap: claims
 * keep elements apart, keys keep chains apart). */
static void
frag_merge(struct nsvc_frag *dst, const struct nsvc_frag *src)
{
    struct shash_node *node;
    SHASH_FOR_EACH (node, &src->chains) {
        const struct nsvc_chain *c = node->data;
        struct nsvc_chain *copy = nsvc_chain_add(dst, node->name, c->header);
        svec_destroy(&copy->rules);
        svec_clone(&copy->rules, &c->rules);
        copy->sig = c->sig ? xstrdup(c->sig) : NULL;
    }
    for (int m = 0; m < N_NSVC_MAPS; m++) {
        const char *e;
        SSET_FOR_EACH (e, &src->elems[m]) {
            sset_add(&dst->elems[m], e);
        }
    }
}

/* Reads the table back and makes it what it should be, in one
 * transaction.  Returns false on failure (logged). */
static bool
resync(struct node_services *ns)
{
    ns->stats.n_resyncs++;
    update_networks(ns);
    struct nsvc_frag base;
    build_base(ns, &base);

    struct sset keys = SSET_INITIALIZER(&keys);
    all_keys(ns, &keys);
    const char **sorted = sset_sort(&keys);
    struct shash want = SHASH_INITIALIZER(&want);
    struct nsvc_frag all;
    nsvc_frag_init(&all);
    frag_merge(&all, &base);
    sset_clear(&ns->dirty);     /* Those a released claim unblocks come
                                 * back during the loop. */
    ns->networks_dirty = false;
    for (size_t i = 0; i < sset_count(&keys); i++) {
        struct nsvc_frag *f = build_service(ns, sorted[i]);
        if (shash_is_empty(&f->chains) && !nsvc_frag_n_elems(f)) {
            frag_free(f);
            continue;
        }
        frag_merge(&all, f);
        shash_add(&want, sorted[i], f);
    }
    free(sorted);
    sset_destroy(&keys);

    struct ds cmds = DS_EMPTY_INITIALIZER;
    struct nsvc_frag have;
    nsvc_frag_init(&have);
    char *error = NULL;
    bool exists = nft_table_exists(ns->nft, "inet", "kovn", &error);
    if (!error && exists) {
        char *listing;
        error = nft_run_text(ns->nft, "list table " NSVC_TABLE, false,
                             &listing);
        if (!error) {
            error = nsvc_frag_parse(listing, &have);
            free(listing);
        }
    }
    bool replace = !error && (!exists || !nsvc_skeleton_ok(&have, &all));
    if (replace) {
        nsvc_replace(&all, &cmds);
    } else if (!error) {
        nsvc_diff(&have, &all, &cmds);
    }
    if (!error) {
        error = apply(ns, &cmds);
    }
    if (error && !replace) {
        /* Whatever was wrong with the diff, a replace repairs it. */
        VLOG_WARN("resync: %s; replacing the table", error);
        free(error);
        replace = true;
        ds_clear(&cmds);
        nsvc_replace(&all, &cmds);
        error = apply(ns, &cmds);
    }
    if (!error) {
        size_t n = 0;
        for (const char *p = ds_cstr(&cmds); *p; p++) {
            n += *p == '\n';
        }
        VLOG_INFO("table %s %s: %"PRIuSIZE" services, %"PRIuSIZE" map "
                  "elements, %"PRIuSIZE" commands", NSVC_TABLE,
                  replace ? "replaced" : n ? "repaired" : "already right",
                  shash_count(&want), nsvc_frag_n_elems(&all), n);
        ns->stats.n_replaces += replace;
        applied_clear(&ns->applied);
        shash_swap(&ns->applied, &want);
        ns->n_applied_elems = nsvc_frag_n_elems(&all)
                              - nsvc_frag_n_elems(&base);
        frag_swap(&ns->base, &base);
        nsvc_frag_destroy(&base);
        ns->synced = true;
        set_forwarding(ns);
    } else {
        VLOG_WARN_RL(&rl, "resync failed: %s", error);
        nsvc_frag_destroy(&base);
    }
    applied_clear(&want);
    shash_destroy(&want);
    nsvc_frag_destroy(&have);
    nsvc_frag_destroy(&all);
    ds_destroy(&cmds);
    bool ok = !error;
    free(error);
    return ok;
}

/* One change waiting to be applied. */
struct change {
    char *key;                  /* Service key, or NULL: the skeleton. */
    struct nsvc_frag *frag;     /* The new content. */
    struct ds cmds;
};

static void
commit_change(struct node_services *ns, struct change *c)
{
    if (!c->key) {
        frag_swap(&ns->base, c->frag);
        frag_free(c->frag);
    } else {
        struct nsvc_frag *old = shash_find_and_delete(&ns->applied, c->key);
        if (old) {
            ns->n_applied_elems -= nsvc_frag_n_elems(old);
            frag_free(old);
        }
        size_t n_elems = nsvc_frag_n_elems(c->frag);
        if (shash_is_empty(&c->frag->chains) && !n_elems) {
            frag_free(c->frag);
        } else {
            ns->n_applied_elems += n_elems;
            shash_add(&ns->applied, c->key, c->frag);
        }
    }
    c->frag = NULL;
}

/* Applies what changed since the last run: one transaction for all; if nft
 * refuses it, one per Service, so that one bad Service does not hold the
 * others back. */
static void
apply_changes(struct node_services *ns)
{
    struct change *changes = NULL;
    size_t n = 0, allocated = 0;
    struct ds all = DS_EMPTY_INITIALIZER;

    if (ns->networks_dirty) {
        ns->networks_dirty = false;
        if (update_networks(ns)) {
            all_keys(ns, &ns->dirty);   /* Which backends are pods. */
        }
        struct nsvc_frag *base = xmalloc(sizeof *base);
        build_base(ns, base);
        changes = x2nrealloc(changes, &allocated, sizeof *changes);
        changes[n] = (struct change) { .key = NULL, .frag = base };
        ds_init(&changes[n].cmds);
        nsvc_diff(&ns->base, base, &changes[n].cmds);
        n++;
    }
    while (!sset_is_empty(&ns->dirty)) {
        char *key = sset_pop(&ns->dirty);
        struct nsvc_frag *f = build_service(ns, key);
        struct nsvc_frag empty;
        const struct nsvc_frag *old = shash_find_data(&ns->applied, key);
        nsvc_frag_init(&empty);
        if (n >= allocated) {
            changes = x2nrealloc(changes, &allocated, sizeof *changes);
        }
        changes[n] = (struct change) { .key = key, .frag = f };
        ds_init(&changes[n].cmds);
        nsvc_diff(old ? old : &empty, f, &changes[n].cmds);
        nsvc_frag_destroy(&empty);
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        ds_put_buffer(&all, changes[i].cmds.string, changes[i].cmds.length);
    }

    char *error = apply(ns, &all);
    if (error && n > 1) {
        VLOG_WARN_RL(&rl, "%s; trying each change on its own", error);
        free(error);
        error = NULL;
        for (size_t i = 0; i < n; i++) {
            char *e = apply(ns, &changes[i].cmds);
            if (e) {
                VLOG_WARN_RL(&rl, "%s %s: %s", changes[i].key ? "service"
                             : "table", changes[i].key ? changes[i].key
                             : "skeleton", e);
                free(e);
            } else {
                commit_change(ns, &changes[i]);
            }
        }
    } else if (error) {
        VLOG_WARN_RL(&rl, "%s %s: %s", changes[0].key ? "service" : "table",
                     changes[0].key ? changes[0].key : "skeleton", error);
        free(error);
    } else {
        for (size_t i = 0; i < n; i++) {
            commit_change(ns, &changes[i]);
        }
        if (all.length) {
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (changes[i].frag) {
            frag_free(changes[i].frag);
        }
        free(changes[i].key);
        ds_destroy(&changes[i].cmds);
    }
    free(changes);
    ds_destroy(&all);
}

static bool
inputs_synced(const struct node_services *ns)
{
    return k8s_informer_has_synced(ns->services)
           && (!ns->pods || k8s_informer_has_synced(ns->pods))
           && k8s_informer_has_synced(ns->slices)
           && k8s_informer_has_synced(ns->subnets)
           && (!ns->node || k8s_informer_has_synced(ns->node));
}

void
node_services_run(struct node_services *ns)
{
    if (!inputs_synced(ns)) {
        return;
    }
    if (!ns->synced || time_msec() >= ns->next_resync) {
        bool ok = resync(ns);
        ns->next_resync = time_msec() + (ok ? ns->resync_ms : 5000);
        return;
    }
    if (!sset_is_empty(&ns->dirty) || ns->networks_dirty) {
        apply_changes(ns);
    }
}

void
node_services_wait(struct node_services *ns)
{
    if (!inputs_synced(ns)) {
        return;
    }
    if (ns->synced && (!sset_is_empty(&ns->dirty) || ns->networks_dirty)) {
        poll_immediate_wake();
    }
    poll_timer_wait_until(ns->next_resync);
}
