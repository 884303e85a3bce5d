/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "netpol/np-policy.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam/cidr.h"
#include "netpol/np-selector.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "util.h"
#include "util/json-util.h"

static const char *const dir_names[N_NP_DIRS] = { "ingress", "egress" };
/* The field of a rule that lists its peers, per direction. */
static const char *const peer_fields[N_NP_DIRS] = { "from", "to" };
static const char *const proto_names[N_NP_PROTOS] = { "tcp", "udp", "sctp" };

const char *
np_dir_name(enum np_dir dir)
{
    return dir_names[dir];
}

const char *
np_proto_name(enum np_proto proto)
{
    return proto_names[proto];
}

bool
np_proto_parse(const char *s, enum np_proto *proto)
{
    static const char *const api[N_NP_PROTOS] = { "TCP", "UDP", "SCTP" };
    for (int i = 0; i < N_NP_PROTOS; i++) {
        if (!s || !strcmp(s, api[i])) {
            *proto = s ? i : NP_TCP;
            return true;
        }
    }
    return false;
}

static size_t
array_n(const struct json *j)
{
    return j && j->type == JSON_ARRAY ? json_array_n(j) : 0;
}

static const struct json *
array_at(const struct json *j, size_t i)
{
    return json_array(j)->elems[i];
}

/* ---- peer set keys ---- */

/* The canonical text of 'j' (keys sorted), or of {} for NULL. */
static void
put_canonical(struct ds *s, const struct json *j)
{
    if (!j) {
        ds_put_cstr(s, "{}");
    } else {
        json_to_ds(j, JSSF_SORT, s);
    }
}

/* ["ns", NAMESPACE, POD_SELECTOR] or ["nss", NS_SELECTOR, POD_SELECTOR]. */
static char *
peer_key(const char *policy_ns, const struct json *ns_sel,
         const struct json *pod_sel)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    if (ns_sel) {
        ds_put_cstr(&s, "[\"nss\",");
        put_canonical(&s, ns_sel);
    } else {
        struct json *ns = json_string_create(policy_ns);
        ds_put_cstr(&s, "[\"ns\",");
        json_to_ds(ns, 0, &s);
        json_destroy(ns);
    }
    ds_put_char(&s, ',');
    put_canonical(&s, pod_sel);
    ds_put_char(&s, ']');
    return ds_steal_cstr(&s);
}

bool
np_peer_sel_parse(const char *key, struct np_peer_sel *sel)
{
    memset(sel, 0, sizeof *sel);
    sel->doc = json_from_string(key);
    const struct json *d = sel->doc;
    if (d->type != JSON_ARRAY || array_n(d) != 3
        || array_at(d, 0)->type != JSON_STRING
        || array_at(d, 2)->type != JSON_OBJECT) {
        return false;
    }
    const char *how = json_string(array_at(d, 0));
    const struct json *what = array_at(d, 1);
    if (!strcmp(how, "ns") && what->type == JSON_STRING) {
        sel->ns = json_string(what);
    } else if (!strcmp(how, "nss") && what->type == JSON_OBJECT) {
        sel->ns_sel = what;
    } else {
        return false;
    }
    sel->pod_sel = array_at(d, 2);
    return true;
}

void
np_peer_sel_destroy(struct np_peer_sel *sel)
{
    json_destroy(sel->doc);
    memset(sel, 0, sizeof *sel);
}

bool
np_peer_sel_matches(const struct np_peer_sel *sel, const char *ns,
                    const struct json *ns_labels,
                    const struct json *pod_labels)
{
    if (sel->ns ? strcmp(sel->ns, ns)
        : !sel->ns_sel || !np_selector_matches(sel->ns_sel, ns_labels)) {
        return false;
    }
    return np_selector_matches(sel->pod_sel, pod_labels);
}

/* ---- parsing ---- */

static char *
parse_ip_block(const struct json *b, struct np_peer *peer)
{
    const char *cidr_s = json_get_string(b, "cidr");
    struct ip_cidr cidr;
    char *error = cidr_s ? cidr_parse(cidr_s, &cidr, NULL)
                         : xstrdup("ipBlock has no cidr");
    if (error) {
        return error;
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    cidr_put(&cidr, &s);
    peer->cidr = ds_steal_cstr(&s);
    peer->family = cidr.family == AF_INET ? 4 : 6;

    const struct json *except = json_get_member(b, "except");
    for (size_t i = 0; i < array_n(except); i++) {
        const struct json *e = array_at(except, i);
        struct ip_cidr ex;
        error = (e->type != JSON_STRING
                 ? xstrdup("ipBlock.except holds a non-string")
                 : cidr_parse(json_string(e), &ex, NULL));
        if (error) {
            return error;
        }
        if (ex.family != cidr.family || ex.plen < cidr.plen
            || !cidr_contains(&cidr, ex.family, ex.network)) {
            return xasprintf("ipBlock.except %s is not inside cidr %s",
                             json_string(e), cidr_s);
        }
        cidr_put(&ex, &s);
        svec_add_nocopy(&peer->except, ds_steal_cstr(&s));
    }
    return NULL;
}

static char *
parse_peer(const struct np_policy *p, const struct json *j,
           struct np_peer *peer)
{
    svec_init(&peer->except);
    const struct json *block = json_get_member(j, "ipBlock");
    const struct json *ns_sel = json_get_member(j, "namespaceSelector");
    const struct json *pod_sel = json_get_member(j, "podSelector");
    if (block) {
        if (ns_sel || pod_sel) {
            return xstrdup("a peer with ipBlock may have no selector");
        }
        return parse_ip_block(block, peer);
    }
    if (!ns_sel && !pod_sel) {
        return xstrdup("a peer needs podSelector, namespaceSelector or "
                       "ipBlock");
    }
    char *error = ns_sel ? np_selector_check(ns_sel) : NULL;
    if (!error && pod_sel) {
        error = np_selector_check(pod_sel);
    }
    if (!error) {
        peer->set_key = peer_key(p->ns, ns_sel, pod_sel);
    }
    return error;
}

static char *
parse_port(const struct json *j, struct np_port *port)
{
    const char *proto = json_get_string(j, "protocol");
    if (!np_proto_parse(proto, &port->proto)) {
        return xasprintf("protocol \"%s\" is not TCP, UDP or SCTP", proto);
    }
    const struct json *v = json_get_member(j, "port");
    int64_t end = 0;
    if (v && v->type == JSON_STRING) {
        port->name = xstrdup(json_string(v));
    } else if (v && v->type == JSON_INTEGER) {
        if (json_integer(v) < 1 || json_integer(v) > 65535) {
            return xasprintf("port %"PRId64" is not 1 to 65535",
                             json_integer(v));
        }
        port->port = json_integer(v);
    } else if (v && v->type != JSON_NULL) {
        return xstrdup("port is neither a number nor a name");
    }
    if (json_get_int(j, "endPort", &end)) {
        if (!port->port || end < port->port || end > 65535) {
            return xasprintf("endPort %"PRId64" needs a numeric port not "
                             "above it", end);
        }
        port->end_port = end > port->port ? end : 0;
    }
    return NULL;
}

static char *
parse_rule(const struct np_policy *p, enum np_dir dir, const struct json *j,
           struct np_rule *r)
{
    const struct json *peers = json_get_member(j, peer_fields[dir]);
    const struct json *ports = json_get_member(j, "ports");
    r->peers = xcalloc(array_n(peers) + 1, sizeof *r->peers);
    r->ports = xcalloc(array_n(ports) + 1, sizeof *r->ports);
    for (size_t i = 0; i < array_n(peers); i++) {
        char *error = parse_peer(p, array_at(peers, i), &r->peers[i]);
        r->n_peers++;
        if (error) {
            char *e = xasprintf("%s[].%s[%"PRIuSIZE"]: %s", dir_names[dir],
                                peer_fields[dir], i, error);
            free(error);
            return e;
        }
    }
    for (size_t i = 0; i < array_n(ports); i++) {
        char *error = parse_port(array_at(ports, i), &r->ports[i]);
        r->n_ports++;
        if (error) {
            char *e = xasprintf("%s[].ports[%"PRIuSIZE"]: %s", dir_names[dir],
                                i, error);
            free(error);
            return e;
        }
    }
    return NULL;
}

static void
parse_policy_types(const struct json *spec, struct np_policy *p)
{
    const struct json *types = json_get_member(spec, "policyTypes");
    if (!array_n(types)) {
        p->affects[NP_INGRESS] = true;
        p->affects[NP_EGRESS] = json_get_member(spec, "egress") != NULL;
        return;
    }
    for (size_t i = 0; i < array_n(types); i++) {
        const struct json *t = array_at(types, i);
        if (t->type == JSON_STRING) {
            if (!strcmp(json_string(t), "Ingress")) {
                p->affects[NP_INGRESS] = true;
            } else if (!strcmp(json_string(t), "Egress")) {
                p->affects[NP_EGRESS] = true;
            }
        }
    }
}

static void
parse_logging(const struct json *obj, struct np_policy *p)
{
    const char *on = k8s_obj_annotation(obj, NP_ANN_ENABLE_LOG);
    const char *actions = k8s_obj_annotation(obj, NP_ANN_LOG_ACTIONS);
    const char *rate = k8s_obj_annotation(obj, NP_ANN_LOG_RATE);
    p->log_rate = NP_LOG_RATE_DEFAULT;
    if (!on || strcmp(on, "true")) {
        return;
    }
    /* Kube-OVN logs drops unless told which actions. */
    if (!actions || !*actions) {
        actions = "drop";
    }
    p->log[0] = strstr(actions, "allow") != NULL;
    p->log[1] = strstr(actions, "drop") != NULL;
    if (rate) {
        char *end;
        long r = strtol(rate, &end, 10);
        if (!*end && r > 0 && r <= 1000000) {
            p->log_rate = r;
        }
    }
}

char *
np_policy_parse(const struct json *obj, struct np_policy *p)
{
    memset(p, 0, sizeof *p);
    const char *ns = k8s_obj_namespace(obj);
    const struct json *spec = json_get_member(obj, "spec");
    p->ns = xstrdup(ns ? ns : "");
    p->key = k8s_obj_key(obj);
    if (!p->key) {
        p->key = xstrdup("");
        return xstrdup("no namespace or name");
    }
    p->pod_selector = json_get_member(spec, "podSelector");
    char *error = np_selector_check(p->pod_selector);
    if (error) {
        char *e = xasprintf("podSelector: %s", error);
        free(error);
        return e;
    }
    parse_policy_types(spec, p);
    parse_logging(obj, p);
    for (int d = 0; d < N_NP_DIRS; d++) {
        const struct json *rules = json_get_member(spec, dir_names[d]);
        p->rules[d] = xcalloc(array_n(rules) + 1, sizeof *p->rules[d]);
        for (size_t i = 0; i < array_n(rules); i++) {
            error = parse_rule(p, d, array_at(rules, i), &p->rules[d][i]);
            p->n_rules[d]++;
            if (error) {
                return error;
            }
        }
    }
    return NULL;
}

static void
rule_destroy(struct np_rule *r)
{
    for (size_t i = 0; i < r->n_peers; i++) {
        free(r->peers[i].set_key);
        free(r->peers[i].cidr);
        svec_destroy(&r->peers[i].except);
    }
    for (size_t i = 0; i < r->n_ports; i++) {
        free(r->ports[i].name);
    }
    free(r->peers);
    free(r->ports);
}

void
np_policy_destroy(struct np_policy *p)
{
    for (int d = 0; d < N_NP_DIRS; d++) {
        for (size_t i = 0; i < p->n_rules[d]; i++) {
            rule_destroy(&p->rules[d][i]);
        }
        free(p->rules[d]);
    }
    free(p->ns);
    free(p->key);
    memset(p, 0, sizeof *p);
}

bool
np_policy_selects(const struct np_policy *p, const struct json *labels)
{
    return np_selector_matches(p->pod_selector, labels);
}

/* ---- straight from the API object ---- */

/* Calls 'cb' for every peer of 'obj' that selects pods. */
static void
for_each_pod_peer(const struct json *obj,
                  void (*cb)(const char *ns, const struct json *ns_sel,
                             const struct json *pod_sel, void *aux),
                  void *aux)
{
    const char *ns = k8s_obj_namespace(obj);
    const struct json *spec = json_get_member(obj, "spec");
    for (int d = 0; ns && d < N_NP_DIRS; d++) {
        const struct json *rules = json_get_member(spec, dir_names[d]);
        for (size_t i = 0; i < array_n(rules); i++) {
            const struct json *peers
                = json_get_member(array_at(rules, i), peer_fields[d]);
            for (size_t j = 0; j < array_n(peers); j++) {
                const struct json *peer = array_at(peers, j);
                const struct json *ns_sel
                    = json_get_member(peer, "namespaceSelector");
                const struct json *pod_sel
                    = json_get_member(peer, "podSelector");
                if ((ns_sel || pod_sel)
                    && !json_get_member(peer, "ipBlock")) {
                    cb(ns, ns_sel, pod_sel, aux);
                }
            }
        }
    }
}

static void
add_key(const char *ns, const struct json *ns_sel, const struct json *pod_sel,
        void *keys)
{
    svec_add_nocopy(keys, peer_key(ns, ns_sel, pod_sel));
}

void
np_policy_peer_keys(const struct json *obj, struct svec *keys)
{
    for_each_pod_peer(obj, add_key, keys);
}

struct pod_match {
    const char *ns;
    const struct json *ns_labels;
    const struct json *pod_labels;
    struct svec *keys;
};

static void
add_key_if_pod(const char *ns, const struct json *ns_sel,
               const struct json *pod_sel, void *m_)
{
    struct pod_match *m = m_;
    bool ns_ok = (ns_sel ? np_selector_matches(ns_sel, m->ns_labels)
                  : !strcmp(ns, m->ns));
    if (ns_ok && (!pod_sel || np_selector_matches(pod_sel, m->pod_labels))) {
        add_key(ns, ns_sel, pod_sel, m->keys);
    }
}

void
np_policy_pod_peer_keys(const struct json *obj, const char *ns,
                        const struct json *ns_labels,
                        const struct json *pod_labels, struct svec *keys)
{
    struct pod_match m = { ns, ns_labels, pod_labels, keys };
    for_each_pod_peer(obj, add_key_if_pod, &m);
}

static void
add_key_if_ns(const char *ns, const struct json *ns_sel,
              const struct json *pod_sel, void *m_)
{
    struct pod_match *m = m_;
    if (ns_sel && np_selector_matches(ns_sel, m->ns_labels)) {
        add_key(ns, ns_sel, pod_sel, m->keys);
    }
}

void
np_policy_ns_peer_keys(const struct json *obj, const struct json *ns_labels,
                       struct svec *keys)
{
    struct pod_match m = { NULL, ns_labels, NULL, keys };
    for_each_pod_peer(obj, add_key_if_ns, &m);
}

static void
note_ns_selector(const char *ns OVS_UNUSED, const struct json *ns_sel,
                 const struct json *pod_sel OVS_UNUSED, void *found)
{
    if (ns_sel) {
        *(bool *) found = true;
    }
}

static bool
has_named_egress_port(const struct json *obj)
{
    const struct json *rules = json_get_path(obj, "spec.egress");
    for (size_t i = 0; i < array_n(rules); i++) {
        const struct json *ports = json_get_member(array_at(rules, i),
                                                   "ports");
        for (size_t j = 0; j < array_n(ports); j++) {
            const struct json *v = json_get_member(array_at(ports, j),
                                                   "port");
            if (v && v->type == JSON_STRING) {
                return true;
            }
        }
    }
    return false;
}

void
np_policy_index(const struct json *obj, struct svec *values)
{
    const char *ns = k8s_obj_namespace(obj);
    bool ns_selectors = false;
    if (ns) {
        svec_add(values, ns);
    }
    for_each_pod_peer(obj, note_ns_selector, &ns_selectors);
    if (ns_selectors) {
        svec_add(values, NP_INDEX_NS_SELECTORS);
    }
    if (has_named_egress_port(obj)) {
        svec_add(values, NP_INDEX_EGRESS_NAMED);
    }
}

/* ---- pods ---- */

void
np_pod_named_ports(const struct json *pod,
                   void (*cb)(const char *name, enum np_proto, int port,
                              void *aux),
                   void *aux)
{
    const struct json *containers = json_get_path(pod, "spec.containers");
    for (size_t i = 0; i < array_n(containers); i++) {
        const struct json *ports = json_get_member(array_at(containers, i),
                                                   "ports");
        for (size_t j = 0; j < array_n(ports); j++) {
            const struct json *port = array_at(ports, j);
            const char *name = json_get_string(port, "name");
            int64_t number;
            enum np_proto proto;
            if (name && *name && json_get_int(port, "containerPort", &number)
                && number > 0 && number < 65536
                && np_proto_parse(json_get_string(port, "protocol"),
                                  &proto)) {
                cb(name, proto, number, aux);
            }
        }
    }
}

struct named_lookup {
    const char *name;
    enum np_proto proto;
    int port;
};

static void
note_named(const char *name, enum np_proto proto, int port, void *l_)
{
    struct named_lookup *l = l_;
    if (!l->port && proto == l->proto && !strcmp(name, l->name)) {
        l->port = port;
    }
}

int
np_pod_named_port(const struct json *pod, const char *name,
                  enum np_proto proto)
{
    struct named_lookup l = { name, proto, 0 };
    np_pod_named_ports(pod, note_named, &l);
    return l.port;
}
