/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "netpol/np-acl.h"

#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "ovn/ovn-names.h"
#include "sset.h"
#include "util.h"

/* A part of a match, for one family (4, 6) or any (0); NULL text: no
 * condition. */
struct cond {
    int family;
    char *text;
};

struct conds {
    struct cond *c;
    size_t n, allocated;
};

static void
conds_add(struct conds *cs, int family, char *text)
{
    if (cs->n >= cs->allocated) {
        cs->c = x2nrealloc(cs->c, &cs->allocated, sizeof *cs->c);
    }
    cs->c[cs->n++] = (struct cond) { family, text };
}

static void
conds_destroy(struct conds *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->c[i].text);
    }
    free(cs->c);
}

struct builder {
    const struct np_acl_input *in;
    struct np_acls *out;
    struct sset seen[N_NP_DIRS];    /* "PRIORITY MATCH", against
                                     * duplicates. */
};

static const char *
pg_field(enum np_dir dir)
{
    return dir == NP_INGRESS ? "outport" : "inport";
}

/* The address field of the peer: the source of what comes in, the
 * destination of what goes out. */
static const char *
peer_field(enum np_dir dir)
{
    return dir == NP_INGRESS ? "src" : "dst";
}

static void
add_acl(struct builder *b, enum np_dir dir, int priority, char *match,
        const char *action, bool log)
{
    char *id = xasprintf("%d %s", priority, match);
    bool dup = !sset_add(&b->seen[dir], id);
    free(id);
    if (dup) {
        free(match);
        return;
    }
    struct np_acls *o = b->out;
    o->acls = xrealloc(o->acls, (o->n + 1) * sizeof *o->acls);
    o->acls[o->n++] = (struct np_acl) { dir, priority, match, action, log };
}

static void
peer_conds(const struct builder *b, enum np_dir dir, const struct np_rule *r,
           struct conds *out)
{
    if (!r->n_peers) {
        conds_add(out, 0, NULL);
        return;
    }
    for (int f = 0; f < 2; f++) {
        if (!b->in->families[f]) {
            continue;
        }
        int family = f ? 6 : 4;
        struct ds s = DS_EMPTY_INITIALIZER;
        for (size_t i = 0; i < r->n_peers; i++) {
            if (r->peers[i].set_key) {
                char *set = ovn_name_np_peer_set(r->peers[i].set_key,
                                                 family);
                ds_put_format(&s, "%s$%s", s.length ? ", " : "", set);
                free(set);
            }
        }
        if (s.length) {
            conds_add(out, family, xasprintf("ip%d.%s == {%s}", family,
                                             peer_field(dir), ds_cstr(&s)));
        }
        ds_destroy(&s);
    }
    for (size_t i = 0; i < r->n_peers; i++) {
        const struct np_peer *p = &r->peers[i];
        if (p->set_key || !b->in->families[p->family == 6]) {
            continue;
        }
        struct ds s = DS_EMPTY_INITIALIZER;
        ds_put_format(&s, "ip%d.%s == %s", p->family, peer_field(dir),
                      p->cidr);
        if (p->except.n) {
            ds_put_format(&s, " && ip%d.%s != {", p->family,
                          peer_field(dir));
            for (size_t j = 0; j < p->except.n; j++) {
                ds_put_format(&s, "%s%s", j ? ", " : "", p->except.names[j]);
            }
            ds_put_char(&s, '}');
        }
        conds_add(out, p->family, ds_steal_cstr(&s));
    }
}

static void
named_port_conds(const struct builder *b, enum np_dir dir,
                 const struct np_port *port, struct conds *out)
{
    const struct np_acl_input *in = b->in;
    const char *proto = np_proto_name(port->proto);
    for (size_t i = 0; i < in->n_named; i++) {
        const struct np_named_port *n = &in->named[i];
        if (n->dir != dir || n->proto != port->proto
            || strcmp(n->name, port->name)) {
            continue;
        }
        for (int f = 0; f < 2; f++) {
            if (in->families[f]) {
                int family = f ? 6 : 4;
                char *set = ovn_name_np_named_set(in->policy->key,
                                                  np_dir_name(dir), proto,
                                                  n->name, n->port, family);
                conds_add(out, family,
                          xasprintf("ip%d.dst == $%s && %s.dst == %d",
                                    family, set, proto, n->port));
                free(set);
            }
        }
    }
}

static void
port_conds(const struct builder *b, enum np_dir dir, const struct np_rule *r,
           struct conds *out)
{
    if (!r->n_ports) {
        conds_add(out, 0, NULL);
        return;
    }
    for (size_t i = 0; i < r->n_ports; i++) {
        const struct np_port *p = &r->ports[i];
        const char *proto = np_proto_name(p->proto);
        if (p->name) {
            named_port_conds(b, dir, p, out);
        } else if (!p->port) {
            conds_add(out, 0, xstrdup(proto));
        } else if (!p->end_port) {
            conds_add(out, 0, xasprintf("%s.dst == %d", proto, p->port));
        } else {
            conds_add(out, 0, xasprintf("%s.dst >= %d && %s.dst <= %d",
                                        proto, p->port, proto, p->end_port));
        }
    }
}

static void
build_rule(struct builder *b, enum np_dir dir, const struct np_rule *r)
{
    struct conds peers = { NULL, 0, 0 }, ports = { NULL, 0, 0 };
    peer_conds(b, dir, r, &peers);
    port_conds(b, dir, r, &ports);
    for (size_t i = 0; i < peers.n; i++) {
        for (size_t j = 0; j < ports.n; j++) {
            const struct cond *pe = &peers.c[i], *po = &ports.c[j];
            if (pe->family && po->family && pe->family != po->family) {
                continue;
            }
            struct ds m = DS_EMPTY_INITIALIZER;
            ds_put_format(&m, "%s == @%s", pg_field(dir), b->in->port_group);
            if (pe->text) {
                ds_put_format(&m, " && %s", pe->text);
            }
            if (po->text) {
                ds_put_format(&m, " && %s", po->text);
            }
            if (!pe->text && !po->text) {
                ds_put_cstr(&m, " && ip");
            }
            add_acl(b, dir, NP_PRIORITY_ALLOW, ds_steal_cstr(&m),
                    "allow-related", b->in->policy->log[0]);
        }
    }
    conds_destroy(&peers);
    conds_destroy(&ports);
}

static void
build_dir(struct builder *b, enum np_dir dir)
{
    const struct np_acl_input *in = b->in;
    const struct np_policy *p = in->policy;
    const char *pg = in->port_group;

    add_acl(b, dir, NP_PRIORITY_DROP,
            xasprintf("%s == @%s && ip", pg_field(dir), pg), "drop",
            p->log[1]);
    if (in->families[1]) {
        add_acl(b, dir, NP_PRIORITY_ALLOW,
                xasprintf("%s == @%s && (nd || nd_ra || nd_rs)",
                          pg_field(dir), pg), "allow", false);
    }
    for (int f = 0; dir == NP_INGRESS && f < 2; f++) {
        if (in->families[f] && in->node_cidrs[f]) {
            add_acl(b, dir, NP_PRIORITY_ALLOW,
                    xasprintf("outport == @%s && ip%d.src == %s", pg,
                              f ? 6 : 4, in->node_cidrs[f]),
                    "allow-related", false);
        }
    }
    for (size_t i = 0; i < p->n_rules[dir]; i++) {
        build_rule(b, dir, &p->rules[dir][i]);
    }
}

void
np_acls_build(const struct np_acl_input *in, struct np_acls *out)
{
    struct builder b = { .in = in, .out = out };
    out->acls = NULL;
    out->n = 0;
    for (int d = 0; d < N_NP_DIRS; d++) {
        sset_init(&b.seen[d]);
        if (in->policy->affects[d]) {
            build_dir(&b, d);
        }
    }
    for (int d = 0; d < N_NP_DIRS; d++) {
        sset_destroy(&b.seen[d]);
    }
}

void
np_acls_destroy(struct np_acls *acls)
{
    for (size_t i = 0; i < acls->n; i++) {
        free(acls->acls[i].match);
    }
    free(acls->acls);
    acls->acls = NULL;
    acls->n = 0;
}
