/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* NetworkPolicy against a model: random namespaces, labelled pods with
 * named ports, and policies; a small reference model in this file (not
 * lib/netpol: it must be an independent opinion) says who may reach whom
 * on which protocol and port; ovn-trace, through ovn-northd's logical
 * flows, says what OVN does with a new connection (TCP SYN or UDP) for
 * every ordered pair of pods and every probed port.  Traffic from A to B
 * passes if A's egress and B's ingress both let it.  A disagreement is
 * shrunk greedily (fewer policies, pods, rules, peers, ports, namespace
 * labels) while it still disagrees, and the smallest case is printed: its
 * API objects, both verdicts, the trace and kovn's NB rows.
 *
 *   named-ports  a fixed case: a named port with two numbers on the pods
 *                a policy selects (two named-port address sets).
 *   model        KOVN_NP_MODEL_CASES random cases (default 3) from seed
 *                KOVN_NP_MODEL_SEED (default 1), starting at case number
 *                KOVN_NP_MODEL_FIRST (default 0); each is checked, then
 *                changed KOVN_NP_MODEL_STEPS times (default 1: 3 objects
 *                come, go or are relabelled a time) under the running
 *                controller and checked again.  To replay case N of a long
 *                run, give its seed and steps, FIRST=N and CASES=1.  Prints
 *                the cases run, the (pod, pod, probe) triples traced and the
 *                time.
 *   restart      policies and pods churn, the controller is SIGKILLed in
 *                the middle and the churn goes on without it; it starts
 *                again while ovsdb-client monitors watch NB's Address_Set
 *                and Port_Group: afterwards every pair agrees with the
 *                model, and no kovn set or port group lost on the way an
 *                element it had before and has after (emptied and filled
 *                again, or deleted and re-created).
 *   clean-exit   the controller exits with status 0 (under ASan: no
 *                leaks).
 *
 * The real kovn-controller binary runs against the kube-apiserver of
 * with-k8s.sh and an NB ovsdb-server + ovn-northd this test starts.  Pods
 * are API objects bound to a made-up node (no kubelet) with static
 * addresses, so that a case can be re-created the same while it shrinks
 * and ipBlocks can be drawn around them.  Namespaces npm-a and npm-b are on
 * ovn-default, npm-c on Subnet npm-sub: traffic between them is routed by
 * ovn-cluster.  An apiserver that drops endPort (before 1.21) gets no port
 * ranges.
 *
 * In "make check-controller" (meson suite 'controller', the ASan build);
 * alone, or a long run, after "ninja -C build":
 *
 *     KOVN_TEST_DIR=$PWD/tests/integration \
 *     KOVN_CONTROLLER=$PWD/build/controller/kovn-controller \
 *     KOVN_NP_MODEL_CASES=2000 KOVN_NP_MODEL_SEED=7 \
 *     tests/integration/with-k8s.sh \
 *         build/tests/integration/test-netpol-model model
 *
 * Environment: KOVN_TEST_DIR, KOVN_CONTROLLER, KOVN_TEST_KUBECONFIG, the
 * KOVN_NP_MODEL_* above, KOVN_TEST_KEEP (keep the folder with the logs). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-fixture.h"
#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define ANN "ovn.kubernetes.io/"
#define TIMEOUT_MS 30000
#define WAIT_FOR(COND) ITEST_WAIT_FOR(COND, TIMEOUT_MS)

/* ---- the world ---- */

enum { N_NS = 3, N_KEYS = 2, N_VALS = 2 };
static const char *const ns_names[N_NS] = { "npm-a", "npm-b", "npm-c" };
static const char *const ns_switch[N_NS] = {
    "ovn-default", "ovn-default", "npm-sub"
};
#define SUBNET "npm-sub"
#define SUBNET_CIDR "10.46.0.0/24"
/* Pods' static addresses: BASE + 2..61 on their namespace's switch. */
static const uint32_t ns_base[N_NS] = {
    0x0a104d00, 0x0a104d00, 0x0a2e0000,     /* 10.16.77.0, 10.46.0.0 */
};
#define HOST_MIN 2
#define HOST_MAX 61

static const char *const ns_keys[N_KEYS] = { "team", "env" };
static const char *const pod_keys[N_KEYS] = { "app", "role" };
static const char *const vals[N_VALS] = { "x", "y" };
static const char *const port_names[] = { "web", "dns" };
static const char *const protos[] = { "TCP", "UDP" };
static const char *const ovn_protos[] = { "tcp", "udp" };
enum { TCP, UDP };

/* ---- a case ---- */

enum { MAX_PODS = 16, MAX_POLS = 8, MAX_RULES = 2, MAX_PEERS = 2,
       MAX_PORTS = 2, MAX_EXPRS = 2, MAX_NAMED = 2, N_PROBES = 3 };
enum { OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST };
static const char *const op_names[] = {
    "In", "NotIn", "Exists", "DoesNotExist"
};
enum { INGRESS, EGRESS };

struct expr {
    int key;
    int op;
    int vals;                   /* In, NotIn: a bitmap of vals[]. */
};

struct selector {
    int labels[N_KEYS];         /* matchLabels: a value, or -1. */
    int n_exprs;
    struct expr exprs[MAX_EXPRS];
};

enum peer_kind { PEER_PODS, PEER_NAMESPACES, PEER_BOTH, PEER_IPBLOCK };

struct peer {
    enum peer_kind kind;
    struct selector pods, namespaces;
    uint32_t cidr, except;
    int plen, except_plen;      /* except_plen 0: no except. */
};

enum port_kind { PORT_ANY, PORT_NUMBER, PORT_RANGE, PORT_NAMED };

struct port {
    int proto;
    bool proto_given;           /* Else TCP by default. */
    enum port_kind kind;
    int number, end;            /* PORT_NUMBER, PORT_RANGE. */
    int name;                   /* PORT_NAMED: index in port_names[]. */
};

struct rule {
    int n_peers;                /* 0: every peer. */
    struct peer peers[MAX_PEERS];
    int n_ports;                /* 0: every port. */
    struct port ports[MAX_PORTS];
};

struct policy {
    bool alive;
    int ns;
    struct selector pods;
    int types;                  /* 0: none given; bit 0 Ingress, 1 Egress. */
    int n_rules[2];
    struct rule rules[2][MAX_RULES];

    /* In the API. */
    int gen;
    char *name;
    char *text;
};

struct named_port {
    int name, proto, number;
};

struct pod {
    bool alive;
    int ns;
    int labels[N_KEYS];         /* A value, or -1. */
    uint32_t ip;
    int n_named;
    struct named_port named[MAX_NAMED];

    /* In the API. */
    int gen;
    char *name;
    char *mac;
    int api_labels[N_KEYS];
};

struct probe {
    int proto, port;
};

struct kase {
    int id;
    int ns_labels[N_NS][N_KEYS];
    int n_pods;
    struct pod pods[MAX_PODS];
    int n_pols;
    struct policy pols[MAX_POLS];
    struct probe probes[N_PROBES];
};

/* The namespaces' labels as last written to the API (-2: unknown). */
static int ns_applied[N_NS][N_KEYS] = {
    { -2, -2 }, { -2, -2 }, { -2, -2 },
};

/* ---- the reference model ---- */

static bool
selector_matches(const struct selector *s, const int labels[N_KEYS])
{
    for (int k = 0; k < N_KEYS; k++) {
        if (s->labels[k] >= 0 && labels[k] != s->labels[k]) {
            return false;
        }
    }
    for (int i = 0; i < s->n_exprs; i++) {
        const struct expr *e = &s->exprs[i];
        bool has = labels[e->key] >= 0;
        bool in = has && (e->vals & (1 << labels[e->key]));
        bool ok = (e->op == OP_IN ? in
                   : e->op == OP_NOT_IN ? !in
                   : e->op == OP_EXISTS ? has
                   : !has);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool
in_cidr(uint32_t ip, uint32_t net, int plen)
{
    uint32_t mask = plen ? UINT32_MAX << (32 - plen) : 0;
    return (ip & mask) == (net & mask);
}

/* True if 'pe' of a policy in namespace 'ns' holds pod 'other'. */
static bool
peer_matches(const struct kase *k, int ns, const struct peer *pe,
             const struct pod *other)
{
    switch (pe->kind) {
    case PEER_PODS:
        return other->ns == ns && selector_matches(&pe->pods, other->labels);
    case PEER_NAMESPACES:
        return selector_matches(&pe->namespaces, k->ns_labels[other->ns]);
    case PEER_BOTH:
        return (selector_matches(&pe->namespaces, k->ns_labels[other->ns])
                && selector_matches(&pe->pods, other->labels));
    case PEER_IPBLOCK:
        return (in_cidr(other->ip, pe->cidr, pe->plen)
                && !(pe->except_plen
                     && in_cidr(other->ip, pe->except, pe->except_plen)));
    }
    OVS_NOT_REACHED();
}

/* True if 'po' admits 'pr' to pod 'dst' (where named ports resolve). */
static bool
port_matches(const struct port *po, const struct probe *pr,
             const struct pod *dst)
{
    int proto = po->proto_given ? po->proto : TCP;
    if (proto != pr->proto) {
        return false;
    }
    switch (po->kind) {
    case PORT_ANY:
        return true;
    case PORT_NUMBER:
        return po->number == pr->port;
    case PORT_RANGE:
        return po->number <= pr->port && pr->port <= po->end;
    case PORT_NAMED:
        for (int i = 0; i < dst->n_named; i++) {
            const struct named_port *n = &dst->named[i];
            if (n->name == po->name && n->proto == proto) {
                return n->number == pr->port;
            }
        }
        return false;
    }
    OVS_NOT_REACHED();
}

static bool
policy_affects(const struct policy *p, int dir)
{
    if (p->types) {
        return p->types & (1 << dir);
    }
    /* Kubernetes' default: Ingress, and Egress if there are egress
     * rules. */
    return dir == INGRESS || p->n_rules[EGRESS] > 0;
}

/* Whether direction 'dir' of pod 'self' lets 'pr' through, 'other' being
 * the far end and 'dst' the destination. */
static bool
dir_allows(const struct kase *k, int dir, const struct pod *self,
           const struct pod *other, const struct pod *dst,
           const struct probe *pr)
{
    bool isolated = false;
    for (int i = 0; i < k->n_pols; i++) {
        const struct policy *p = &k->pols[i];
        if (!p->alive || p->ns != self->ns || !policy_affects(p, dir)
            || !selector_matches(&p->pods, self->labels)) {
            continue;
        }
        isolated = true;
        for (int r = 0; r < p->n_rules[dir]; r++) {
            const struct rule *rule = &p->rules[dir][r];
            bool peer_ok = !rule->n_peers;
            for (int j = 0; j < rule->n_peers && !peer_ok; j++) {
                peer_ok = peer_matches(k, p->ns, &rule->peers[j], other);
            }
            bool port_ok = !rule->n_ports;
            for (int j = 0; j < rule->n_ports && !port_ok; j++) {
                port_ok = port_matches(&rule->ports[j], pr, dst);
            }
            if (peer_ok && port_ok) {
                return true;
            }
        }
    }
    return !isolated;
}

static bool
model_allows(const struct kase *k, int a, int b, const struct probe *pr)
{
    const struct pod *src = &k->pods[a], *dst = &k->pods[b];
    return (dir_allows(k, EGRESS, src, dst, dst, pr)
            && dir_allows(k, INGRESS, dst, src, dst, pr));
}

/* ---- the generator ---- */

static uint64_t rng;

static uint32_t rnd(uint32_t n);

/* Seeds that differ by one must not give shifted copies of one
 * sequence: the state starts from a draw of the seed's own. */
static void
rng_seed(uint64_t seed)
{
    rng = seed;
    rnd(0);
    rng = rng * 0xbf58476d1ce4e5b9ULL ^ seed;
}

static uint32_t
rnd(uint32_t n)
{
    /* splitmix64. */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    if (!n) {
        rng = z;
    }
    return n ? z % n : 0;
}

static void
gen_labels(int labels[N_KEYS])
{
    for (int k = 0; k < N_KEYS; k++) {
        labels[k] = rnd(3) ? (int) rnd(N_VALS) : -1;
    }
}

static void
gen_selector(struct selector *s)
{
    for (int k = 0; k < N_KEYS; k++) {
        s->labels[k] = !rnd(4) ? (int) rnd(N_VALS) : -1;
    }
    s->n_exprs = rnd(4) ? 0 : 1 + rnd(MAX_EXPRS);
    for (int i = 0; i < s->n_exprs; i++) {
        s->exprs[i] = (struct expr) { rnd(N_KEYS), rnd(4), 1 + rnd(3) };
    }
}

static bool
ip_used(const struct kase *k, uint32_t ip)
{
    for (int i = 0; i < k->n_pods; i++) {
        if (k->pods[i].ip == ip) {
            return true;
        }
    }
    return false;
}

/* Adds a random pod; false if 'k' is full. */
static bool
gen_pod(struct kase *k)
{
    if (k->n_pods >= MAX_PODS) {
        return false;
    }
    struct pod *p = &k->pods[k->n_pods];
    memset(p, 0, sizeof *p);
    p->alive = true;
    p->ns = rnd(N_NS);
    gen_labels(p->labels);
    do {
        p->ip = ns_base[p->ns] + HOST_MIN + rnd(HOST_MAX - HOST_MIN + 1);
    } while (ip_used(k, p->ip));
    static const int numbers[] = { 53, 80, 81 };
    int n = rnd(3);
    for (int i = 0; i < n; i++) {
        struct named_port np = { i ? !p->named[0].name : (int) rnd(2),
                                 rnd(2), numbers[rnd(3)] };
        if (i && np.proto == p->named[0].proto
            && np.number == p->named[0].number) {
            break;              /* One name per container port. */
        }
        p->named[p->n_named++] = np;
    }
    k->n_pods++;
    return true;
}

static const struct pod *
random_pod(const struct kase *k)
{
    for (;;) {
        const struct pod *p = &k->pods[rnd(k->n_pods)];
        if (p->alive) {
            return p;
        }
    }
}

static void
gen_peer(const struct kase *k, struct peer *pe)
{
    memset(pe, 0, sizeof *pe);
    pe->kind = rnd(4);
    gen_selector(&pe->pods);
    gen_selector(&pe->namespaces);
    if (pe->kind == PEER_IPBLOCK) {
        static const int plens[] = { 8, 24, 26, 28, 30, 32 };
        pe->plen = plens[rnd(ARRAY_SIZE(plens))];
        pe->cidr = random_pod(k)->ip & (UINT32_MAX << (32 - pe->plen));
        if (pe->plen < 32 && rnd(2)) {
            /* Except: around a pod in the block (itself, maybe). */
            uint32_t ip;
            do {
                ip = random_pod(k)->ip;
            } while (!in_cidr(ip, pe->cidr, pe->plen));
            do {
                pe->except_plen = 26 + 2 * rnd(4);
            } while (pe->except_plen <= pe->plen);
            pe->except = ip & (UINT32_MAX << (32 - pe->except_plen));
        }
    }
}

/* Whether the apiserver keeps a port's endPort (Kubernetes 1.21 and
 * later): an older one drops it, and the policy then means port alone. */
static bool end_port_served;

static void
gen_port(struct port *po)
{
    memset(po, 0, sizeof *po);
    po->proto_given = rnd(2);
    po->proto = po->proto_given && !rnd(3) ? UDP : TCP;
    static const int numbers[] = { 53, 80, 81, 443 };
    switch (rnd(6)) {
    case 0:
        po->kind = PORT_ANY;
        break;
    case 1:
    case 2:
        po->kind = PORT_NUMBER;
        po->number = numbers[rnd(ARRAY_SIZE(numbers))];
        break;
    case 3:
        po->kind = end_port_served ? PORT_RANGE : PORT_NUMBER;
        po->number = numbers[rnd(ARRAY_SIZE(numbers))] - rnd(2);
        po->end = po->number + rnd(3);
        break;
    default:
        po->kind = PORT_NAMED;
        po->name = rnd(2);
        break;
    }
}

static void
gen_rule(const struct kase *k, struct rule *r)
{
    r->n_peers = rnd(MAX_PEERS + 1);
    for (int i = 0; i < r->n_peers; i++) {
        gen_peer(k, &r->peers[i]);
    }
    r->n_ports = rnd(MAX_PORTS + 1);
    for (int i = 0; i < r->n_ports; i++) {
        gen_port(&r->ports[i]);
    }
}

/* Adds a random policy; false if 'k' is full. */
static bool
gen_policy(struct kase *k)
{
    if (k->n_pols >= MAX_POLS) {
        return false;
    }
    struct policy *p = &k->pols[k->n_pols++];
    memset(p, 0, sizeof *p);
    p->alive = true;
    p->ns = rnd(N_NS);
    gen_selector(&p->pods);
    static const int types[] = { 0, 0, 1, 2, 3 };
    p->types = types[rnd(ARRAY_SIZE(types))];
    for (int d = 0; d < 2; d++) {
        p->n_rules[d] = rnd(MAX_RULES + 1);
        for (int r = 0; r < p->n_rules[d]; r++) {
            gen_rule(k, &p->rules[d][r]);
        }
    }
    return true;
}

static void
gen_case(struct kase *k, int id, uint64_t seed, int min_pods, int max_pods,
         int max_pols)
{
    memset(k, 0, sizeof *k);
    rng_seed(seed);
    k->id = id;
    for (int i = 0; i < N_NS; i++) {
        gen_labels(k->ns_labels[i]);
    }
    int n_pods = min_pods + rnd(max_pods - min_pods + 1);
    for (int i = 0; i < n_pods; i++) {
        gen_pod(k);
    }
    int n_pols = 1 + rnd(max_pols);
    for (int i = 0; i < n_pols; i++) {
        gen_policy(k);
    }
    static const struct probe all[] = {
        { TCP, 80 }, { TCP, 81 }, { TCP, 443 }, { UDP, 53 }, { UDP, 80 },
    };
    int first = rnd(ARRAY_SIZE(all));
    for (int i = 0; i < N_PROBES; i++) {
        k->probes[i] = all[(first + i * 2) % ARRAY_SIZE(all)];
    }
}

/* ---- the API objects ---- */

static char *
ip_str(uint32_t ip)
{
    return xasprintf("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
                     (ip >> 8) & 0xff, ip & 0xff);
}

static void
put_labels(struct ds *s, const char *const keys[], const int labels[],
           bool nulls)
{
    ds_put_char(s, '{');
    bool first = true;
    for (int k = 0; k < N_KEYS; k++) {
        if (labels[k] >= 0 || nulls) {
            ds_put_format(s, "%s\"%s\":", first ? "" : ",", keys[k]);
            if (labels[k] >= 0) {
                ds_put_format(s, "\"%s\"", vals[labels[k]]);
            } else {
                ds_put_cstr(s, "null");
            }
            first = false;
        }
    }
    ds_put_char(s, '}');
}

static void
put_selector(struct ds *s, const struct selector *sel,
             const char *const keys[])
{
    ds_put_char(s, '{');
    bool any = false;
    for (int k = 0; k < N_KEYS; k++) {
        any |= sel->labels[k] >= 0;
    }
    if (any) {
        ds_put_cstr(s, "\"matchLabels\":");
        put_labels(s, keys, sel->labels, false);
    }
    if (sel->n_exprs) {
        ds_put_format(s, "%s\"matchExpressions\":[", any ? "," : "");
        for (int i = 0; i < sel->n_exprs; i++) {
            const struct expr *e = &sel->exprs[i];
            ds_put_format(s, "%s{\"key\":\"%s\",\"operator\":\"%s\"",
                          i ? "," : "", keys[e->key], op_names[e->op]);
            if (e->op == OP_IN || e->op == OP_NOT_IN) {
                ds_put_cstr(s, ",\"values\":[");
                bool first = true;
                for (int v = 0; v < N_VALS; v++) {
                    if (e->vals & (1 << v)) {
                        ds_put_format(s, "%s\"%s\"", first ? "" : ",",
                                      vals[v]);
                        first = false;
                    }
                }
                ds_put_char(s, ']');
            }
            ds_put_char(s, '}');
        }
        ds_put_char(s, ']');
    }
    ds_put_char(s, '}');
}

static void
put_peer(struct ds *s, const struct peer *pe)
{
    ds_put_char(s, '{');
    if (pe->kind == PEER_IPBLOCK) {
        char *cidr = ip_str(pe->cidr);
        ds_put_format(s, "\"ipBlock\":{\"cidr\":\"%s/%d\"", cidr, pe->plen);
        free(cidr);
        if (pe->except_plen) {
            char *ex = ip_str(pe->except);
            ds_put_format(s, ",\"except\":[\"%s/%d\"]", ex, pe->except_plen);
            free(ex);
        }
        ds_put_char(s, '}');
    } else {
        if (pe->kind != PEER_PODS) {
            ds_put_cstr(s, "\"namespaceSelector\":");
            put_selector(s, &pe->namespaces, ns_keys);
        }
        if (pe->kind != PEER_NAMESPACES) {
            ds_put_format(s, "%s\"podSelector\":",
                          pe->kind == PEER_BOTH ? "," : "");
            put_selector(s, &pe->pods, pod_keys);
        }
    }
    ds_put_char(s, '}');
}

static void
put_port(struct ds *s, const struct port *po)
{
    ds_put_char(s, '{');
    if (po->proto_given) {
        ds_put_format(s, "\"protocol\":\"%s\"", protos[po->proto]);
    }
    const char *sep = po->proto_given ? "," : "";
    if (po->kind == PORT_NUMBER || po->kind == PORT_RANGE) {
        ds_put_format(s, "%s\"port\":%d", sep, po->number);
    }
    if (po->kind == PORT_RANGE) {
        ds_put_format(s, ",\"endPort\":%d", po->end);
    }
    if (po->kind == PORT_NAMED) {
        ds_put_format(s, "%s\"port\":\"%s\"", sep, port_names[po->name]);
    }
    ds_put_char(s, '}');
}

static char *
policy_json(const struct policy *p, const char *name)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "{\"apiVersion\":\"networking.k8s.io/v1\","
                  "\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"%s\","
                  "\"namespace\":\"%s\"},\"spec\":{\"podSelector\":",
                  name, ns_names[p->ns]);
    put_selector(&s, &p->pods, pod_keys);
    if (p->types) {
        ds_put_format(&s, ",\"policyTypes\":[%s%s%s]",
                      p->types & 1 ? "\"Ingress\"" : "",
                      p->types == 3 ? "," : "",
                      p->types & 2 ? "\"Egress\"" : "");
    }
    for (int d = 0; d < 2; d++) {
        if (!p->n_rules[d]) {
            continue;
        }
        ds_put_format(&s, ",\"%s\":[", d ? "egress" : "ingress");
        for (int r = 0; r < p->n_rules[d]; r++) {
            const struct rule *rule = &p->rules[d][r];
            ds_put_format(&s, "%s{", r ? "," : "");
            if (rule->n_peers) {
                ds_put_format(&s, "\"%s\":[", d ? "to" : "from");
                for (int i = 0; i < rule->n_peers; i++) {
                    if (i) {
                        ds_put_char(&s, ',');
                    }
                    put_peer(&s, &rule->peers[i]);
                }
                ds_put_char(&s, ']');
            }
            if (rule->n_ports) {
                ds_put_format(&s, "%s\"ports\":[",
                              rule->n_peers ? "," : "");
                for (int i = 0; i < rule->n_ports; i++) {
                    if (i) {
                        ds_put_char(&s, ',');
                    }
                    put_port(&s, &rule->ports[i]);
                }
                ds_put_char(&s, ']');
            }
            ds_put_char(&s, '}');
        }
        ds_put_char(&s, ']');
    }
    ds_put_cstr(&s, "}}");
    return ds_steal_cstr(&s);
}

static char *
pod_json(const struct pod *p, const char *name)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    char *ip = ip_str(p->ip);
    ds_put_format(&s, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                  "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
                  "\"labels\":", name, ns_names[p->ns]);
    put_labels(&s, pod_keys, p->labels, false);
    ds_put_format(&s, ",\"annotations\":{\"" ANN "ip_address\":\"%s\"}},"
                  "\"spec\":{\"nodeName\":\"n1\","
                  "\"automountServiceAccountToken\":false,"
                  "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"",
                  ip);
    free(ip);
    if (p->n_named) {
        ds_put_cstr(&s, ",\"ports\":[");
        for (int i = 0; i < p->n_named; i++) {
            const struct named_port *n = &p->named[i];
            ds_put_format(&s, "%s{\"name\":\"%s\",\"containerPort\":%d,"
                          "\"protocol\":\"%s\"}", i ? "," : "",
                          port_names[n->name], n->number, protos[n->proto]);
        }
        ds_put_char(&s, ']');
    }
    ds_put_cstr(&s, "}]}}");
    return ds_steal_cstr(&s);
}

static char *
pod_key(const struct pod *p)
{
    return xasprintf("%s/%s", ns_names[p->ns], p->name);
}

static char *
pod_lsp(const struct pod *p)
{
    return xasprintf("%s.%s", p->name, ns_names[p->ns]);
}

/* Sends 'req' and waits; fatal on failure (but for a 404 if 'gone_ok').
 * Returns the resourceVersion of the object answered, or NULL. */
static char *
api_do(struct k8s_request *req, const char *what, bool gone_ok)
{
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r) && !(gone_ok && r->status == 404)) {
        itest_fatal("%s: %ld %s", what, r->status, r->error);
    }
    const char *rv = r->body ? k8s_obj_resource_version(r->body) : NULL;
    char *copy = rv ? xstrdup(rv) : NULL;
    k8s_request_destroy(req);
    return copy;
}

static void
api_create(const struct k8s_resource *res, const char *ns, const char *text)
{
    struct json *obj = json_from_string(text);
    if (obj->type != JSON_OBJECT) {
        itest_fatal("bad JSON: %s", text);
    }
    free(api_do(k8s_create(client, res, ns, obj, NULL, NULL), text, false));
    json_destroy(obj);
}

/* What a set of API writes waits for: the barrier after them. */
struct pending {
    char *ns_rv[N_NS];
    struct svec pods_gone, pols_gone, pols_new;
    struct svec pods_patched, pod_rvs;      /* Keys, and their RVs. */
};

static void
pending_init(struct pending *pd)
{
    memset(pd, 0, sizeof *pd);
    svec_init(&pd->pods_gone);
    svec_init(&pd->pols_gone);
    svec_init(&pd->pols_new);
    svec_init(&pd->pods_patched);
    svec_init(&pd->pod_rvs);
}

static void
pending_destroy(struct pending *pd)
{
    for (int i = 0; i < N_NS; i++) {
        free(pd->ns_rv[i]);
    }
    svec_destroy(&pd->pods_gone);
    svec_destroy(&pd->pols_gone);
    svec_destroy(&pd->pols_new);
    svec_destroy(&pd->pods_patched);
    svec_destroy(&pd->pod_rvs);
}

static void
write_ns_labels(const struct kase *k, struct pending *pd)
{
    for (int i = 0; i < N_NS; i++) {
        if (!memcmp(ns_applied[i], k->ns_labels[i], sizeof ns_applied[i])) {
            continue;
        }
        struct ds s = DS_EMPTY_INITIALIZER;
        ds_put_cstr(&s, "{\"metadata\":{\"labels\":");
        put_labels(&s, ns_keys, k->ns_labels[i], true);
        ds_put_cstr(&s, "}}");
        struct json *patch = json_from_string(ds_cstr(&s));
        free(pd->ns_rv[i]);
        pd->ns_rv[i] = api_do(k8s_merge_patch(client, &k8s_namespaces, NULL,
                                              ns_names[i], NULL, patch,
                                              NULL, NULL),
                              ds_cstr(&s), false);
        json_destroy(patch);
        ds_destroy(&s);
        memcpy(ns_applied[i], k->ns_labels[i], sizeof ns_applied[i]);
    }
}

static void
write_pod_labels(struct pod *p, struct pending *pd)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&s, "{\"metadata\":{\"labels\":");
    put_labels(&s, pod_keys, p->labels, true);
    ds_put_cstr(&s, "}}");
    struct json *patch = json_from_string(ds_cstr(&s));
    char *rv = api_do(k8s_merge_patch(client, &k8s_pods, ns_names[p->ns],
                                      p->name, NULL, patch, NULL, NULL),
                      ds_cstr(&s), false);
    svec_add_nocopy(&pd->pods_patched, pod_key(p));
    svec_add_nocopy(&pd->pod_rvs, rv ? rv : xstrdup(""));
    memcpy(p->api_labels, p->labels, sizeof p->labels);
    json_destroy(patch);
    ds_destroy(&s);
}

static void
delete_policy(struct policy *p, struct pending *pd)
{
    free(api_do(k8s_delete(client, &k8s_network_policies, ns_names[p->ns],
                           p->name, NULL, NULL), p->name, true));
    svec_add_nocopy(&pd->pols_gone, xasprintf("%s/%s", ns_names[p->ns],
                                              p->name));
    free(p->name);
    free(p->text);
    p->name = p->text = NULL;
}

/* Writes to the API what differs between 'k' and what it has, without
 * waiting for the controller: pods and policies that died go, those that
 * changed go and come back under a new name, new ones come.  If
 * 'settle_deletions', waits after deleting pods until the controller has
 * released their addresses, so that a pod re-created with one can have
 * it. */
static void
write_case(struct kase *k, struct pending *pd, bool settle_deletions)
{
    write_ns_labels(k, pd);
    size_t n_gone = pd->pods_gone.n;
    for (int i = 0; i < k->n_pods; i++) {
        struct pod *p = &k->pods[i];
        if (p->name && !p->alive) {
            ctl_delete_pod(ns_names[p->ns], p->name);
            svec_add_nocopy(&pd->pods_gone, pod_key(p));
            free(p->name);
            free(p->mac);
            p->name = p->mac = NULL;
        }
    }
    for (int i = 0; i < k->n_pods; i++) {
        struct pod *p = &k->pods[i];
        if (p->alive && p->name
            && memcmp(p->api_labels, p->labels, sizeof p->labels)) {
            write_pod_labels(p, pd);
        }
    }
    for (int i = 0; i < k->n_pols; i++) {
        struct policy *p = &k->pols[i];
        char *text = p->alive && p->name ? policy_json(p, p->name) : NULL;
        if (p->name && (!p->alive || strcmp(text, p->text))) {
            delete_policy(p, pd);
        }
        free(text);
    }
    if (settle_deletions && pd->pods_gone.n > n_gone) {
        for (size_t i = n_gone; i < pd->pods_gone.n; i++) {
            ctl_sync_gone("pods", pd->pods_gone.names[i]);
        }
        ctl_sync();
    }
    for (int i = 0; i < k->n_pods; i++) {
        struct pod *p = &k->pods[i];
        if (p->alive && !p->name) {
            p->name = xasprintf("c%dp%dg%d", k->id, i, p->gen++);
            memcpy(p->api_labels, p->labels, sizeof p->labels);
            char *text = pod_json(p, p->name);
            api_create(&k8s_pods, ns_names[p->ns], text);
            free(text);
        }
    }
    for (int i = 0; i < k->n_pols; i++) {
        struct policy *p = &k->pols[i];
        if (p->alive && !p->name) {
            p->name = xasprintf("c%dn%dg%d", k->id, i, p->gen++);
            p->text = policy_json(p, p->name);
            api_create(&k8s_network_policies, ns_names[p->ns], p->text);
            svec_add_nocopy(&pd->pols_new, xasprintf("%s/%s",
                                                     ns_names[p->ns],
                                                     p->name));
        }
    }
}

/* The pod's object once kovn has allocated its address; NULL after
 * 30 s. */
static struct json *
get_allocated(const struct pod *p)
{
    struct json *obj = NULL;
    WAIT_FOR((json_destroy(obj),
              obj = itest_get(client, &k8s_pods, ns_names[p->ns], p->name),
              obj && k8s_obj_annotation(obj, ANN "allocated")));
    if (obj && !k8s_obj_annotation(obj, ANN "allocated")) {
        json_destroy(obj);
        obj = NULL;
    }
    return obj;
}

/* The barrier after write_case(): the controller has seen every change
 * (each live pod with its address) and is idle.  Fatal if a pod does not
 * get its static address. */
static void
wait_case(struct kase *k, struct pending *pd)
{
    for (int i = 0; i < N_NS; i++) {
        if (pd->ns_rv[i]) {
            ctl_sync_rv("namespaces", ns_names[i], pd->ns_rv[i]);
        }
    }
    for (size_t i = 0; i < pd->pods_gone.n; i++) {
        ctl_sync_gone("pods", pd->pods_gone.names[i]);
    }
    for (size_t i = 0; i < pd->pols_gone.n; i++) {
        if (!svec_contains_unsorted(&pd->pols_new, pd->pols_gone.names[i])) {
            ctl_sync_gone("networkpolicies", pd->pols_gone.names[i]);
        }
    }
    for (size_t i = 0; i < pd->pols_new.n; i++) {
        ctl_sync_has("networkpolicies", pd->pols_new.names[i]);
    }
    for (size_t i = 0; i < pd->pods_patched.n; i++) {
        /* RVs grow: the last is enough, but any will do. */
        if (!svec_contains_unsorted(&pd->pods_gone,
                                    pd->pods_patched.names[i])) {
            ctl_sync_rv("pods", pd->pods_patched.names[i],
                        pd->pod_rvs.names[i]);
        }
    }
    for (int i = 0; i < k->n_pods; i++) {
        struct pod *p = &k->pods[i];
        if (!p->alive || p->mac) {
            continue;
        }
        struct json *obj = get_allocated(p);
        char *key = pod_key(p);
        char *ip = ip_str(p->ip);
        const char *have = obj ? k8s_obj_annotation(obj, ANN "ip_address")
                               : NULL;
        const char *mac = obj ? k8s_obj_annotation(obj, ANN "mac_address")
                              : NULL;
        if (!have || strcmp(have, ip) || !mac) {
            itest_sh("tail -n 30 %s/controller.log >&2", dir);
            itest_fatal("pod %s: not allocated its static address %s "
                        "(has %s)", key, ip, have ? have : "none");
        }
        p->mac = xstrdup(mac);
        ctl_sync_rv("pods", key, k8s_obj_resource_version(obj));
        free(ip);
        free(key);
        json_destroy(obj);
    }
    ctl_sync();
    pending_destroy(pd);
    pending_init(pd);
}

static void
apply_case(struct kase *k)
{
    struct pending pd;
    pending_init(&pd);
    write_case(k, &pd, true);
    wait_case(k, &pd);
    pending_destroy(&pd);
}

static void
kill_case(struct kase *k)
{
    for (int i = 0; i < k->n_pods; i++) {
        k->pods[i].alive = false;
    }
    for (int i = 0; i < k->n_pols; i++) {
        k->pols[i].alive = false;
    }
    apply_case(k);
}

/* ---- ovn-trace ---- */

static char *lrp_macs[N_NS];

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    struct ds s = DS_EMPTY_INITIALIZER;
    if (f) {
        int c;
        while ((c = getc(f)) != EOF) {
            ds_put_char(&s, c);
        }
        fclose(f);
    }
    return ds_steal_cstr(&s);
}

static void
put_trace_cmd(struct ds *script, const struct kase *k, int a, int b,
              const struct probe *pr, const char *out)
{
    const struct pod *src = &k->pods[a], *dst = &k->pods[b];
    const char *eth_dst = (!strcmp(ns_switch[src->ns], ns_switch[dst->ns])
                           ? dst->mac : lrp_macs[src->ns]);
    char *sip = ip_str(src->ip), *dip = ip_str(dst->ip);
    char *lsp = pod_lsp(src);
    const char *proto = ovn_protos[pr->proto];
    /* A new connection in every conntrack zone it passes: each ct action
     * takes the next --ct, and without one ovn-trace assumes an
     * established one. */
    ds_put_format(script, "ovn-trace --db=unix:%s/sb.sock --ct=new --ct=new "
                  "--ct=new --ct=new %s "
                  "'inport == \"%s\" && eth.src == %s && eth.dst == %s && "
                  "ip4.src == %s && ip4.dst == %s && ip.ttl == 64 && "
                  "%s.src == 33333 && %s.dst == %d%s' >%s 2>&1 &\n",
                  dir, ns_switch[src->ns], lsp, src->mac, eth_dst, sip, dip,
                  proto, proto, pr->port,
                  pr->proto == TCP ? " && tcp.flags == 0x2" : "", out);
    free(lsp);
    free(sip);
    free(dip);
}

/* A probe: pod 'a' to pod 'b' on probe 'p'. */
struct check {
    int a, b, p;
    bool model, ovn;
    char *trace;
};

/* Traces each of 'checks' (ovn-trace runs a few at a time), filling in
 * their 'ovn' verdicts and 'trace's. */
static void
run_traces(const struct kase *k, struct check *checks, size_t n)
{
    if (itest_sh("ovn-nbctl --db=unix:%s/nb.sock --timeout=30 --wait=sb "
                 "sync", dir)) {
        itest_fatal("ovn-northd did not catch up with NB");
    }
    struct ds script = DS_EMPTY_INITIALIZER;
    ds_put_format(&script, "mkdir -p %s/traces\n", dir);
    for (size_t i = 0; i < n; i++) {
        char *out = xasprintf("%s/traces/%"PRIuSIZE, dir, i);
        put_trace_cmd(&script, k, checks[i].a, checks[i].b,
                      &k->probes[checks[i].p], out);
        free(out);
        if (i % 4 == 3) {
            ds_put_cstr(&script, "wait\n");
        }
    }
    ds_put_cstr(&script, "wait\n");
    char *path = xasprintf("%s/traces.sh", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(ds_cstr(&script), f) < 0 || fclose(f)) {
        itest_fatal("writing %s: %s", path, strerror(errno));
    }
    itest_sh("sh %s", path);
    for (size_t i = 0; i < n; i++) {
        char *out = xasprintf("%s/traces/%"PRIuSIZE, dir, i);
        struct check *c = &checks[i];
        c->trace = read_text(out);
        if (!strstr(c->trace, "ingress(dp=")) {
            itest_fatal("ovn-trace failed:\n%s", c->trace);
        }
        char *lsp = pod_lsp(&k->pods[c->b]);
        char *want = xasprintf("output to \"%s\"", lsp);
        c->ovn = strstr(c->trace, want) != NULL;
        free(want);
        free(lsp);
        free(out);
    }
    itest_sh("rm -rf %s/traces", dir);
    free(path);
    ds_destroy(&script);
}

static size_t pairs_checked;

/* Checks every ordered pair of live pods on every probe.  Returns the
 * first disagreement in '*bad' (its trace the caller's), or false. */
static bool
check_case(const struct kase *k, struct check *bad)
{
    struct check *checks = xmalloc(MAX_PODS * MAX_PODS * N_PROBES
                                   * sizeof *checks);
    size_t n = 0;
    for (int a = 0; a < k->n_pods; a++) {
        for (int b = 0; b < k->n_pods; b++) {
            if (a == b || !k->pods[a].alive || !k->pods[b].alive) {
                continue;
            }
            for (int p = 0; p < N_PROBES; p++) {
                checks[n++] = (struct check) {
                    a, b, p, model_allows(k, a, b, &k->probes[p]), false,
                    NULL
                };
            }
        }
    }
    run_traces(k, checks, n);
    pairs_checked += n;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (!found && checks[i].model != checks[i].ovn) {
            *bad = checks[i];
            found = true;
        } else {
            free(checks[i].trace);
        }
    }
    free(checks);
    return found;
}

/* ---- shrinking ---- */

/* Applies 'k' and checks pair 'c' again; true if it still disagrees ('c'
 * then holds the new verdicts and trace). */
static bool
still_fails(struct kase *k, struct check *c)
{
    apply_case(k);
    struct check again = *c;
    again.model = model_allows(k, c->a, c->b, &k->probes[c->p]);
    run_traces(k, &again, 1);
    pairs_checked++;
    if (again.model != again.ovn) {
        free(c->trace);
        *c = again;
        return true;
    }
    free(again.trace);
    return false;
}

/* Tries each candidate simplification of 'k' in turn, keeping those after
 * which 'c' still disagrees.  Returns the number kept. */
static int
shrink_pass(struct kase *k, struct check *c)
{
    int kept = 0;
    struct kase saved;

#define TRY(CHANGE)                                             \
    do {                                                        \
        saved = *k;                                             \
        CHANGE;                                                 \
        if (still_fails(k, c)) {                                \
            kept++;                                             \
        } else {                                                \
            /* Back; the API names are the newest. */           \
            struct kase now = *k;                               \
            *k = saved;                                         \
            for (int i_ = 0; i_ < k->n_pods; i_++) {            \
                k->pods[i_].name = now.pods[i_].name;           \
                k->pods[i_].mac = now.pods[i_].mac;             \
                k->pods[i_].gen = now.pods[i_].gen;             \
                memcpy(k->pods[i_].api_labels,                  \
                       now.pods[i_].api_labels,                 \
                       sizeof now.pods[i_].api_labels);         \
            }                                                   \
            for (int i_ = 0; i_ < k->n_pols; i_++) {            \
                k->pols[i_].name = now.pols[i_].name;           \
                k->pols[i_].text = now.pols[i_].text;           \
                k->pols[i_].gen = now.pols[i_].gen;             \
            }                                                   \
        }                                                       \
    } while (0)

    for (int i = 0; i < k->n_pols; i++) {
        if (k->pols[i].alive) {
            TRY(k->pols[i].alive = false);
        }
    }
    for (int i = 0; i < k->n_pods; i++) {
        if (k->pods[i].alive && i != c->a && i != c->b) {
            TRY(k->pods[i].alive = false);
        }
    }
    for (int i = 0; i < k->n_pols; i++) {
        struct policy *p = &k->pols[i];
        for (int d = 0; p->alive && d < 2; d++) {
            for (int r = p->n_rules[d] - 1; r >= 0; r--) {
                TRY({
                    memmove(&p->rules[d][r], &p->rules[d][r + 1],
                            (p->n_rules[d] - r - 1) * sizeof p->rules[d][r]);
                    p->n_rules[d]--;
                });
            }
            for (int r = 0; r < p->n_rules[d]; r++) {
                struct rule *rule = &p->rules[d][r];
                for (int j = rule->n_peers - 1; j >= 0; j--) {
                    TRY({
                        memmove(&rule->peers[j], &rule->peers[j + 1],
                                (rule->n_peers - j - 1)
                                * sizeof rule->peers[j]);
                        rule->n_peers--;
                    });
                }
                for (int j = rule->n_ports - 1; j >= 0; j--) {
                    TRY({
                        memmove(&rule->ports[j], &rule->ports[j + 1],
                                (rule->n_ports - j - 1)
                                * sizeof rule->ports[j]);
                        rule->n_ports--;
                    });
                }
            }
        }
        if (p->alive && p->types) {
            TRY(p->types = 0);
        }
    }
    for (int i = 0; i < N_NS; i++) {
        for (int key = 0; key < N_KEYS; key++) {
            if (k->ns_labels[i][key] >= 0) {
                TRY(k->ns_labels[i][key] = -1);
            }
        }
    }
#undef TRY
    return kept;
}

static void
print_nb(void)
{
    static const char *const cmds[] = {
        "--columns=name,direction,priority,match,action,options list ACL",
        "--columns=name,addresses list Address_Set",
        "--columns=name,ports list Port_Group",
        "--columns=_uuid,name list Logical_Switch_Port",
    };
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        char *out = ctl_nbctl("%s", cmds[i]);
        fprintf(stderr, "--- ovn-nbctl %s\n%s\n", cmds[i], out ? out : "");
        free(out);
    }
}

static void
print_case(const struct kase *k)
{
    fprintf(stderr, "namespaces:\n");
    for (int i = 0; i < N_NS; i++) {
        struct ds s = DS_EMPTY_INITIALIZER;
        put_labels(&s, ns_keys, k->ns_labels[i], false);
        fprintf(stderr, "  %s (switch %s) labels %s\n", ns_names[i],
                ns_switch[i], ds_cstr(&s));
        ds_destroy(&s);
    }
    fprintf(stderr, "pods:\n");
    for (int i = 0; i < k->n_pods; i++) {
        if (k->pods[i].alive) {
            char *text = pod_json(&k->pods[i], (k->pods[i].name
                                                ? k->pods[i].name : "new"));
            fprintf(stderr, "  %s\n", text);
            free(text);
        }
    }
    fprintf(stderr, "policies:\n");
    for (int i = 0; i < k->n_pols; i++) {
        if (k->pols[i].alive) {
            char *text = policy_json(&k->pols[i], (k->pols[i].name
                                                   ? k->pols[i].name
                                                   : "new"));
            fprintf(stderr, "  %s\n", text);
            free(text);
        }
    }
}

static const char *
verdict(bool allowed)
{
    return allowed ? "allowed" : "denied";
}

static void
shrink_and_report(struct kase *k, struct check *c, uint64_t seed)
{
    const struct probe *pr = &k->probes[c->p];
    fprintf(stderr, "case %d (seed %"PRIu64"): %s -> %s %s/%d: model says "
            "%s, ovn-trace %s; shrinking\n", k->id, seed,
            k->pods[c->a].name, k->pods[c->b].name, ovn_protos[pr->proto],
            pr->port, verdict(c->model), verdict(c->ovn));
    if (!still_fails(k, c)) {
        fprintf(stderr, "the disagreement went away when the case was "
                "applied again:\n%s\n", c->trace);
        print_case(k);
        print_nb();
        return;
    }
    for (int pass = 0; pass < 4 && shrink_pass(k, c); pass++) {
        continue;
    }
    /* The last change tried may have been undone in 'k' only. */
    if (!still_fails(k, c)) {
        fprintf(stderr, "the smallest case no longer fails when applied "
                "again (flaky?)\n");
    }
    fprintf(stderr, "\n=== smallest case: %s -> %s %s/%d: model says %s, "
            "ovn-trace says %s ===\n", k->pods[c->a].name,
            k->pods[c->b].name, ovn_protos[pr->proto], pr->port,
            verdict(c->model), verdict(c->ovn));
    print_case(k);
    fprintf(stderr, "--- ovn-trace\n%s\n", c->trace);
    print_nb();
}

/* ---- set-up ---- */

/* At exit, before the fixture removes its folder: if kovn-controller died
 * (the sync barrier then fails), what killed it. */
static void
show_controller_death(void)
{
    if (dir && controller_pid > 0
        && itest_controller_reap(&controller_pid, 0) >= 0) {
        itest_sh("echo 'kovn-controller died:' >&2; "
                 "sed -n '/ERROR: AddressSanitizer/,/SUMMARY/p' "
                 "%s/controller.log | head -n 60 >&2", dir);
    }
}

static void
ensure_world(void)
{
    static bool done;
    if (done) {
        return;
    }
    if (ctl_subnet_absent(SUBNET)) {
        ctl_create(&kubeovn_subnets, NULL,
                   "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
                   "\"metadata\":{\"name\":\"" SUBNET "\"},\"spec\":"
                   "{\"cidrBlock\":\"" SUBNET_CIDR "\",\"gateway\":"
                   "\"10.46.0.1\",\"excludeIps\":[],\"namespaces\":"
                   "[\"npm-c\"],\"protocol\":\"IPv4\"}}");
    }
    if (!WAIT_FOR(itest_nb_is(dir, SUBNET, "--bare --columns=name find "
                              "logical_switch name=" SUBNET))) {
        itest_fatal("no switch for Subnet " SUBNET);
    }
    ctl_sync();
    for (int i = 0; i < N_NS; i++) {
        char *lrp = xasprintf("ovn-cluster-%s", ns_switch[i]);
        lrp_macs[i] = ctl_lrp_mac(lrp);
        if (!lrp_macs[i]) {
            itest_fatal("no router port %s", lrp);
        }
        free(lrp);
    }
    done = true;
}

static unsigned long long
env_number(const char *name, unsigned long long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* ---- the cases ---- */

static void churn_once(struct kase *, struct pending *);

static void
test_model(void)
{
    ensure_world();
    uint64_t seed = env_number("KOVN_NP_MODEL_SEED", 1);
    int n_cases = env_number("KOVN_NP_MODEL_CASES", 3);
    int n_steps = env_number("KOVN_NP_MODEL_STEPS", 1);
    int first = env_number("KOVN_NP_MODEL_FIRST", 0);
    long long int start = time_msec();
    size_t pairs_before = pairs_checked;
    int run = 0;
    bool failed = false;
    for (int i = first; i < first + n_cases && !failed; i++) {
        struct kase k;
        gen_case(&k, i, seed * 1000003 + i, 4, 8, 4);
        if (getenv("KOVN_TEST_VERBOSE")) {
            fprintf(stderr, "case %d:\n", i);
            print_case(&k);
        }
        long long int t0 = time_msec();
        apply_case(&k);
        long long int t1 = time_msec();
        struct check bad;
        bool disagree = check_case(&k, &bad);
        if (getenv("KOVN_TEST_VERBOSE")) {
            fprintf(stderr, "case %d: applied in %.1f s, traced in %.1f s\n",
                    i, (t1 - t0) / 1000.0, (time_msec() - t1) / 1000.0);
        }
        int step;
        for (step = 0; step < n_steps && !disagree; step++) {
            /* The case changes under the running controller: what depends
             * on what (deps.c) must follow. */
            struct pending pd;
            pending_init(&pd);
            for (int j = 0; j < 3; j++) {
                churn_once(&k, &pd);
            }
            wait_case(&k, &pd);
            pending_destroy(&pd);
            disagree = check_case(&k, &bad);
        }
        if (disagree) {
            fprintf(stderr, "after %d change(s) of 3 objects:\n", step);
            shrink_and_report(&k, &bad, seed);
            free(bad.trace);
            CHECK(false, "case %d of seed %"PRIu64" disagrees with the model "
                  "(replay: KOVN_NP_MODEL_SEED=%"PRIu64" "
                  "KOVN_NP_MODEL_FIRST=%d KOVN_NP_MODEL_CASES=1 "
                  "KOVN_NP_MODEL_STEPS=%d)", i, seed, seed, i, n_steps);
            failed = true;
        }
        kill_case(&k);
        run++;
        if (getenv("KOVN_TEST_VERBOSE") || run % 10 == 0) {
            fprintf(stderr, "model: %d cases, %"PRIuSIZE" pairs, %.1f s\n",
                    run, pairs_checked - pairs_before,
                    (time_msec() - start) / 1000.0);
        }
    }
    double secs = (time_msec() - start) / 1000.0;
    printf("model: seed %"PRIu64", %d cases, %"PRIuSIZE" pairs checked "
           "(pod, pod, probe), %.1f s (%.2f s a case)\n", seed, run,
           pairs_checked - pairs_before, secs, run ? secs / run : 0.0);
    CHECK(run == n_cases || failed, "ran %d cases", run);
}

/* A policy whose named port has two numbers on the pods it selects: two
 * named-port address sets (kovn once crashed growing their array). */
static void
test_named_ports(void)
{
    ensure_world();
    struct kase k;
    memset(&k, 0, sizeof k);
    k.id = 8000;
    memset(k.ns_labels, -1, sizeof k.ns_labels);
    for (int i = 0; i < 3; i++) {
        struct pod *p = &k.pods[k.n_pods++];
        *p = (struct pod) { .alive = true, .ns = 0, .labels = { -1, -1 },
                            .ip = ns_base[0] + 40 + i };
        if (i < 2) {
            p->named[p->n_named++] = (struct named_port) { 0, TCP, 80 + i };
        }
    }
    struct policy *pol = &k.pols[k.n_pols++];
    memset(k.pols[0].pods.labels, -1, sizeof k.pols[0].pods.labels);
    pol->alive = true;
    pol->n_rules[INGRESS] = 1;
    pol->rules[INGRESS][0] = (struct rule) {
        .n_ports = 1,
        .ports = { { .kind = PORT_NAMED, .name = 0 } },
    };
    k.probes[0] = (struct probe) { TCP, 80 };
    k.probes[1] = (struct probe) { TCP, 81 };
    k.probes[2] = (struct probe) { UDP, 80 };

    apply_case(&k);
    char *sets = ctl_nbctl("--bare --columns=name find Address_Set "
                           "'name>=kovn_npport_' 'name<kovn_npporu'");
    size_t n = 0;
    for (const char *p = sets; p && (p = strstr(p, "kovn_npport_")); p++) {
        n++;
    }
    CHECK(n == 2, "two named-port sets (web is 80 and 81):\n%s",
          sets ? sets : "");
    free(sets);
    struct check bad;
    bool disagree = check_case(&k, &bad);
    if (disagree) {
        shrink_and_report(&k, &bad, 0);
        free(bad.trace);
    }
    CHECK(!disagree, "named port with two numbers: every pair as the model "
          "says");
    kill_case(&k);
}

/* ---- the restart case: NB monitors ---- */

struct monitor {
    const char *table, *columns;
    char *file;
    pid_t pid;
};

static void
monitor_start(struct monitor *m)
{
    m->file = xasprintf("%s/monitor-%s.json", dir, m->table);
    m->pid = fork();
    if (m->pid < 0) {
        itest_fatal("fork: %s", strerror(errno));
    } else if (!m->pid) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(m->file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        char *db = xasprintf("unix:%s/nb.sock", dir);
        execlp("ovsdb-client", "ovsdb-client", "monitor", "--format=json",
               db, "OVN_Northbound", m->table, m->columns, (char *) NULL);
        _exit(127);
    }
}

static bool
file_has(const char *file, const char *part)
{
    char *text = read_text(file);
    bool ok = strstr(text, part) != NULL;
    free(text);
    return ok;
}

static void
monitor_stop(struct monitor *m)
{
    kill(m->pid, SIGTERM);
    waitpid(m->pid, NULL, 0);
    m->pid = 0;
}

/* Adds the elements of a column's value in ovsdb-client's JSON ("a",
 * ["uuid","u"], ["set",[...]]) to 'out'. */
static void
value_elems(const struct json *v, struct sset *out)
{
    if (v->type == JSON_STRING) {
        sset_add(out, json_string(v));
    } else if (v->type == JSON_ARRAY && json_array_n(v) == 2) {
        const struct json *tag = json_array(v)->elems[0];
        const struct json *x = json_array(v)->elems[1];
        if (!strcmp(json_string(tag), "set")) {
            for (size_t i = 0; i < json_array_n(x); i++) {
                value_elems(json_array(x)->elems[i], out);
            }
        } else if (x->type == JSON_STRING) {
            sset_add(out, json_string(x));      /* ["uuid", "..."]. */
        }
    }
}

/* A row of a monitored table, by name: its elements at the start of the
 * watch, now, and those of the start it has been without since. */
struct watched {
    struct sset initial, now, lost;
    int lost_at;                /* The update it first lost one at. */
};

static struct watched *
watched_get(struct shash *rows, const char *name)
{
    struct watched *w = shash_find_data(rows, name);
    if (!w) {
        w = xzalloc(sizeof *w);
        sset_init(&w->initial);
        sset_init(&w->now);
        sset_init(&w->lost);
        shash_add(rows, name, w);
    }
    return w;
}

/* Reads monitor 'm''s output.  An element that a kovn row (name "kovn_...")
 * had at the start of the watch and has at its end must be there all
 * along: a set or port group emptied and filled again, or deleted and
 * re-created, lets through (or stops) what it should not.  Adds each
 * such row to 'bad'.  Returns the number of updates after the initial
 * rows. */
static int
monitor_judge(const struct monitor *m, struct svec *bad)
{
    char *text = read_text(m->file);
    struct shash uuids = SHASH_INITIALIZER(&uuids);     /* uuid -> name. */
    struct shash rows = SHASH_INITIALIZER(&rows);       /* name -> watched. */
    int updates = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct json *upd = json_from_string(line);
        const struct json *data = json_get_member(upd, "data");
        const char *uuid = NULL;
        bool initial = false;
        for (size_t i = 0; i < json_array_n(data); i++) {
            struct json **e = json_array(json_array(data)->elems[i])->elems;
            const char *action = json_string(e[1]);
            if (e[0]->type == JSON_STRING && *json_string(e[0])) {
                uuid = json_string(e[0]);
            }
            initial |= !strcmp(action, "initial");
            if (!strcmp(action, "old")) {
                continue;
            }
            const char *name = (e[2]->type == JSON_STRING
                                ? json_string(e[2])
                                : shash_find_data(&uuids, uuid));
            if (!name) {
                continue;
            }
            if (!shash_find(&uuids, uuid)) {
                shash_add(&uuids, uuid, xstrdup(name));
            }
            struct watched *w = watched_get(&rows, name);
            sset_clear(&w->now);
            if (strcmp(action, "delete")) {
                value_elems(e[3], &w->now);
            }
            if (initial) {
                sset_destroy(&w->initial);
                sset_clone(&w->initial, &w->now);
                continue;
            }
            const char *elem;
            SSET_FOR_EACH (elem, &w->initial) {
                if (!sset_contains(&w->now, elem)
                    && sset_add(&w->lost, elem) && !w->lost_at) {
                    w->lost_at = updates + 1;
                }
            }
        }
        updates += !initial;
        json_destroy(upd);
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, &rows) {
        struct watched *w = node->data;
        const char *elem;
        size_t n = 0;
        SSET_FOR_EACH (elem, &w->lost) {
            n += sset_contains(&w->now, elem);
        }
        if (n && !strncmp(node->name, "kovn_", 5)) {
            svec_add_nocopy(bad, xasprintf(
                "%s %s: lost %"PRIuSIZE" of its %"PRIuSIZE" elements "
                "(update %d) that it has again at the end (%"PRIuSIZE")",
                m->table, node->name, n, sset_count(&w->initial),
                w->lost_at, sset_count(&w->now)));
        }
        sset_destroy(&w->initial);
        sset_destroy(&w->now);
        sset_destroy(&w->lost);
    }
    shash_destroy_free_data(&rows);
    shash_destroy_free_data(&uuids);
    free(text);
    return updates;
}

/* One random change to 'k' (a pod or a policy comes or goes, or a
 * namespace's or a pod's labels change), written to the API without waiting.  Pods
 * take addresses no pod of 'k' ever had. */
static void
churn_once(struct kase *k, struct pending *pd)
{
    int alive_pods = 0, alive_pols = 0;
    for (int i = 0; i < k->n_pods; i++) {
        alive_pods += k->pods[i].alive;
    }
    for (int i = 0; i < k->n_pols; i++) {
        alive_pols += k->pols[i].alive;
    }
    switch (rnd(5)) {
    case 0:
        if (alive_pods > 3) {
            struct pod *p;
            do {
                p = &k->pods[rnd(k->n_pods)];
            } while (!p->alive);
            p->alive = false;
            break;
        }
        /* Fall through. */
    case 1:
        if (gen_pod(k)) {
            break;
        }
        /* Fall through. */
    case 2:
        if (alive_pols > 1) {
            struct policy *p;
            do {
                p = &k->pols[rnd(k->n_pols)];
            } while (!p->alive);
            p->alive = false;
            break;
        }
        /* Fall through. */
    case 3:
        if (gen_policy(k)) {
            break;
        }
        /* Fall through. */
    default:
        if (rnd(2)) {
            gen_labels(k->ns_labels[rnd(N_NS)]);
        } else {
            struct pod *p;
            do {
                p = &k->pods[rnd(k->n_pods)];
            } while (!p->alive);
            gen_labels(p->labels);
        }
        break;
    }
    write_case(k, pd, false);
}

static void
test_restart(void)
{
    ensure_world();
    uint64_t seed = env_number("KOVN_NP_MODEL_SEED", 1);
    struct kase k;
    gen_case(&k, 9000, seed * 7919 + 17, 8, 8, 4);
    apply_case(&k);
    struct check bad;
    if (check_case(&k, &bad)) {
        shrink_and_report(&k, &bad, seed);
        free(bad.trace);
        CHECK(false, "before the restart: every pair as the model says");
        kill_case(&k);
        return;
    }

    /* Churn; the controller dies in the middle and the churn goes on
     * without it. */
    struct pending pd;
    pending_init(&pd);
    int n_churn = 16, kill_at = 4 + rnd(8);
    for (int i = 0; i < n_churn; i++) {
        if (i == kill_at) {
            kill(controller_pid, SIGKILL);
            itest_controller_reap(&controller_pid, 5000);
            CHECK(!controller_pid, "controller killed");
        }
        churn_once(&k, &pd);
    }

    /* Watch NB from before the restart to after the controller is idle
     * again; a marker row in each table tells where the watch starts and
     * where it can end. */
    free(ctl_nbctl("create Address_Set name=npm_marker addresses=10.0.0.1 "
                   "-- pg-add npm_marker"));
    struct monitor mons[] = {
        { "Address_Set", "name,addresses", NULL, 0 },
        { "Port_Group", "name,ports", NULL, 0 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(mons); i++) {
        monitor_start(&mons[i]);
        if (!WAIT_FOR(file_has(mons[i].file, "npm_marker"))) {
            itest_fatal("ovsdb-client monitor %s did not start",
                        mons[i].table);
        }
    }
    long long int t0 = time_msec();
    ctl_start_controller();
    wait_case(&k, &pd);
    long long int t1 = time_msec();
    free(ctl_nbctl("destroy Address_Set npm_marker -- pg-del npm_marker"));
    struct svec emptied = SVEC_EMPTY_INITIALIZER;
    int updates = 0;
    for (size_t i = 0; i < ARRAY_SIZE(mons); i++) {
        if (!WAIT_FOR(file_has(mons[i].file, "\"delete\",\"npm_marker\""))) {
            itest_fatal("ovsdb-client monitor %s: no marker deletion",
                        mons[i].table);
        }
        monitor_stop(&mons[i]);
        /* Less the marker's deletion. */
        updates += monitor_judge(&mons[i], &emptied) - 1;
    }
    printf("restart: killed after %d of %d changes; restart to idle "
           "%.1f s, %d NB updates of Address_Set and Port_Group\n",
           kill_at, n_churn, (t1 - t0) / 1000.0, updates);
    for (size_t i = 0; i < emptied.n; i++) {
        fprintf(stderr, "  %s\n", emptied.names[i]);
    }
    CHECK(!emptied.n, "no kovn address set or port group lost during the "
          "restart an element it has before and after (%"PRIuSIZE" did)",
          emptied.n);
    svec_destroy(&emptied);

    if (check_case(&k, &bad)) {
        shrink_and_report(&k, &bad, seed);
        free(bad.trace);
        CHECK(false, "after the restart: every pair as the model says");
    }
    for (size_t i = 0; i < ARRAY_SIZE(mons); i++) {
        free(mons[i].file);
    }
    pending_destroy(&pd);
    kill_case(&k);
}

static void
test_clean_exit(void)
{
    ctl_check_clean_exit();
}

/* ---- the program ---- */

/* What an earlier run against the same apiserver left goes before the
 * controller starts, and again at the end. */
static void
purge(void)
{
    for (int i = 0; i < N_NS; i++) {
        itest_delete_all(client, &k8s_network_policies, ns_names[i], "");
        itest_delete_all(client, &k8s_pods, ns_names[i], "");
    }
    itest_delete_all(client, &kubeovn_ips, NULL, "");
    ctl_subnet_purge(SUBNET);
}

/* Sets 'end_port_served' from what the apiserver makes of a policy with
 * an endPort.  Before the controller starts: it never sees the probe. */
static void
probe_end_port(void)
{
    api_create(&k8s_network_policies, "npm-a",
               "{\"apiVersion\":\"networking.k8s.io/v1\","
               "\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":"
               "\"npm-probe\"},\"spec\":{\"podSelector\":{},\"ingress\":"
               "[{\"ports\":[{\"port\":80,\"endPort\":81}]}]}}");
    struct json *obj = itest_get(client, &k8s_network_policies, "npm-a",
                                 "npm-probe");
    const struct json *ports = json_get_array(obj, "spec.ingress");
    ports = json_array_n(ports) ? json_get_member(json_array(ports)->elems[0],
                                                  "ports") : NULL;
    end_port_served = (json_array_n(ports)
                       && json_get_member(json_array(ports)->elems[0],
                                          "endPort"));
    json_destroy(obj);
    itest_delete_all(client, &k8s_network_policies, "npm-a", "");
    if (!end_port_served) {
        printf("the apiserver drops endPort (Kubernetes before 1.21): no "
               "port ranges\n");
    }
}

static void
setup(void)
{
    ctl_fixture_init("kovn-npm", true);
    atexit(show_controller_death);
    itest_namespace_create(client, "kube-system");
    for (int i = 0; i < N_NS; i++) {
        itest_namespace_create(client, ns_names[i]);
    }
    purge();
    probe_end_port();
}

static void
teardown(void)
{
    purge();
    for (int i = 0; i < N_NS; i++) {
        free(lrp_macs[i]);
    }
}

static const struct itest_case_def cases[] = {
    { "named-ports", test_named_ports },
    { "model", test_model },
    { "restart", test_restart },
    { "clean-exit", test_clean_exit },
};

ITEST_MAIN(ctl_main, cases, setup, teardown)
