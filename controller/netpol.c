/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* The NetworkPolicy kind: a key is a policy, "ns/name".  Its NB rows:
 *
 *   - port group kovn_np_<hash> of the ports of the pods it selects,
 *     changed by element;
 *   - for each named port and each number it has on some destination pod,
 *     address set kovn_npport_<hash>_<family> of those pods (the selected
 *     pods for ingress; for egress every pod of the cluster), listed in
 *     the port group's external_ids:named-sets so that the ones no longer
 *     wanted are found without a scan;
 *   - a meter of the same name when the policy asks for logs;
 *   - its ACLs on the port group (np-acl.h), owned by external_ids:np.
 *
 * A policy kovn cannot read keeps what NB has and gets a Warning Event. */

#include <config.h>
#include "netpol.h"

#include <string.h>
#include <sys/socket.h>

#include "controller.h"
#include "hmapx.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nb/nb-acl.h"
#include "nb/nb-index.h"
#include "netpol/np-acl.h"
#include "netpol/np-policy.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "pod-obj.h"
#include "reconciler.h"
#include "smap.h"
#include "sset.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(netpol);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* The port group's key listing the policy's named-port sets. */
#define NAMED_SETS_KEY "named-sets"

/* A named port's number and the pods that have it, per family. */
struct named_set {
    struct np_named_port port;
    struct sset addrs[2];
};

struct named_sets {
    struct named_set *sets;
    size_t n;
};

static struct named_set *
named_set_find_or_add(struct named_sets *ns, enum np_dir dir,
                      enum np_proto proto, const char *name, int port)
{
    for (size_t i = 0; i < ns->n; i++) {
        const struct np_named_port *p = &ns->sets[i].port;
        if (p->dir == dir && p->proto == proto && p->port == port
            && !strcmp(p->name, name)) {
            return &ns->sets[i];
        }
    }
    ns->sets = xrealloc(ns->sets, (ns->n + 1) * sizeof *ns->sets);
    for (size_t i = 0; i < ns->n; i++) {
        /* A small sset points into itself: mend the moved ones. */
        sset_moved(&ns->sets[i].addrs[0]);
        sset_moved(&ns->sets[i].addrs[1]);
    }
    struct named_set *s = &ns->sets[ns->n++];
    s->port = (struct np_named_port) { dir, proto, name, port };
    sset_init(&s->addrs[0]);
    sset_init(&s->addrs[1]);
    return s;
}

static void
named_sets_destroy(struct named_sets *ns)
{
    for (size_t i = 0; i < ns->n; i++) {
        sset_destroy(&ns->sets[i].addrs[0]);
        sset_destroy(&ns->sets[i].addrs[1]);
    }
    free(ns->sets);
}

/* Adds 'pod' to the sets of the named ports of the rules of 'dir' it
 * has. */
static void
add_named_ports(const struct np_policy *p, enum np_dir dir,
                const struct json *pod, struct named_sets *out)
{
    for (size_t i = 0; i < p->n_rules[dir]; i++) {
        const struct np_rule *r = &p->rules[dir][i];
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct np_port *port = &r->ports[j];
            int number = (port->name
                          ? np_pod_named_port(pod, port->name, port->proto)
                          : 0);
            if (number) {
                struct named_set *s = named_set_find_or_add(
                    out, dir, port->proto, port->name, number);
                np_pod_addresses(pod, &s->addrs[0], &s->addrs[1]);
            }
        }
    }
}

static bool
has_named_ports(const struct np_policy *p, enum np_dir dir)
{
    for (size_t i = 0; i < p->n_rules[dir]; i++) {
        for (size_t j = 0; j < p->rules[dir][i].n_ports; j++) {
            if (p->rules[dir][i].ports[j].name) {
                return true;
            }
        }
    }
    return false;
}

static const struct hmapx empty_hmapx = HMAPX_INITIALIZER(&empty_hmapx);

/* The ports of the pods 'p' selects, and the named-port sets.  A selected
 * pod whose port NB does not have yet goes in 'keep' by name: the Pod kind
 * adds a new port to its groups in the transaction that creates it
 * (np_pod_join_port_groups()), which this one may share, and must not
 * undo. */
static void
collect_pods(const struct controller *c, const struct np_policy *p,
             struct hmapx *ports, struct sset *keep,
             struct named_sets *named)
{
    const struct hmapx *pods = k8s_informer_index_lookup(
        controller_cache(c, IN_PODS), POD_INDEX_NAMESPACE, p->ns);
    bool ingress_named = p->affects[NP_INGRESS]
                         && has_named_ports(p, NP_INGRESS);
    struct hmapx_node *node;
    HMAPX_FOR_EACH (node, pods ? pods : &empty_hmapx) {
        const struct k8s_object *o = node->data;
        if (!pod_wants_address(o->obj)
            || !np_policy_selects(p, json_get_path(o->obj,
                                                   "metadata.labels"))) {
            continue;
        }
        char *lsp_name = ovn_name_pod_port(k8s_obj_name(o->obj), p->ns);
        const struct nbrec_logical_switch_port *lsp
            = nb_find_lsp(c->nbi, lsp_name);
        if (lsp) {
            hmapx_add(ports, CONST_CAST(void *, lsp));
        } else {
            sset_add(keep, lsp_name);
        }
        free(lsp_name);
        if (ingress_named) {
            add_named_ports(p, NP_INGRESS, o->obj, named);
        }
    }
    if (p->affects[NP_EGRESS] && has_named_ports(p, NP_EGRESS)) {
        /* A named port of an egress rule is the destination's, which may
         * be any pod. */
        struct k8s_object *o;
        K8S_INFORMER_FOR_EACH (o, controller_cache(c, IN_PODS)) {
            add_named_ports(p, NP_EGRESS, o->obj, named);
        }
    }
}

/* Makes the named-port sets those of 'named'; returns their names, comma
 * separated, for the port group's external_ids. */
static char *
ensure_named_sets(struct controller *c, struct ovn_txn *t,
                  const struct np_policy *p, const struct named_sets *named,
                  const struct nbrec_port_group *old_pg)
{
    struct sset want = SSET_INITIALIZER(&want);
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP, p->key, NULL);
    for (size_t i = 0; i < named->n; i++) {
        const struct named_set *s = &named->sets[i];
        for (int f = 0; f < 2; f++) {
            if (!controller_family_in_use(c, f ? 6 : 4)) {
                continue;
            }
            char *name = ovn_name_np_named_set(
                p->key, np_dir_name(s->port.dir),
                np_proto_name(s->port.proto), s->port.name, s->port.port,
                f ? 6 : 4);
            if (!nb_address_set_ensure(t, c->nbi, name, &ids,
                                       &s->addrs[f])) {
                VLOG_WARN_RL(&rl, "address set %s exists in NB without "
                             "vendor=kovn: left alone", name);
            }
            sset_add_and_free(&want, name);
        }
    }
    smap_destroy(&ids);

    /* The sets the policy had and wants no more. */
    const char *old = old_pg ? smap_get(&old_pg->external_ids,
                                        NAMED_SETS_KEY) : NULL;
    struct sset had = SSET_INITIALIZER(&had);
    sset_from_delimited_string(&had, old ? old : "", ",");
    const char *name;
    SSET_FOR_EACH (name, &had) {
        if (!sset_contains(&want, name)) {
            nb_address_set_remove(c->nbi, name);
        }
    }
    sset_destroy(&had);
    char *list = sset_join(&want, ",", "");
    sset_destroy(&want);
    return list;
}

static void
remove_policy(struct controller *c, const char *key)
{
    char *pg_name = ovn_name_np_port_group(key);
    const struct nbrec_port_group *pg = nb_find_port_group(c->nbi, pg_name);
    if (pg && ovn_owner_is_kovn(&pg->external_ids)) {
        const char *named = smap_get(&pg->external_ids, NAMED_SETS_KEY);
        struct sset had = SSET_INITIALIZER(&had);
        sset_from_delimited_string(&had, named ? named : "", ",");
        const char *name;
        SSET_FOR_EACH (name, &had) {
            nb_address_set_remove(c->nbi, name);
        }
        sset_destroy(&had);
    }
    if (nb_port_group_remove(c->nbi, pg_name)) {
        VLOG_INFO("NetworkPolicy %s: removed port group %s and its ACLs",
                  key, pg_name);
    }
    nb_meter_remove(c->nb->idl, pg_name);
    free(pg_name);
}

/* The ACLs of 'p' on 'pg', logged through meter 'meter' if it asks. */
static void
ensure_acls(struct controller *c, struct ovn_txn *t, const struct np_policy *p,
            const struct nbrec_port_group *pg, const char *pg_name,
            const struct named_sets *named, const char *meter)
{
    struct np_named_port *ports = xmalloc((named->n + 1) * sizeof *ports);
    for (size_t i = 0; i < named->n; i++) {
        ports[i] = named->sets[i].port;
    }
    struct np_acl_input in = {
        .policy = p,
        .port_group = pg_name,
        .families = { controller_family_in_use(c, 4),
                      controller_family_in_use(c, 6) },
        .named = ports,
        .n_named = named->n,
    };
    in.node_cidrs[c->join_cidr.family == AF_INET ? 0 : 1]
        = c->opts.join_cidr;
    struct np_acls acls;
    np_acls_build(&in, &acls);

    struct smap after_lb = SMAP_INITIALIZER(&after_lb);
    smap_add(&after_lb, "apply-after-lb", "true");
    struct nb_acl_spec *specs = xcalloc(acls.n + 1, sizeof *specs);
    char *log_name = xasprintf("%.63s", p->key);
    for (size_t i = 0; i < acls.n; i++) {
        const struct np_acl *a = &acls.acls[i];
        specs[i] = (struct nb_acl_spec) {
            .direction = a->dir == NP_INGRESS ? "to-lport" : "from-lport",
            .priority = a->priority,
            .match = a->match,
            .action = a->action,
            .log = a->log,
            .name = a->log ? log_name : NULL,
            .severity = (!a->log ? NULL
                         : !strcmp(a->action, "drop") ? "warning" : "info"),
            .meter = a->log ? meter : NULL,
            .options = a->dir == NP_EGRESS ? &after_lb : NULL,
        };
    }
    nb_acls_ensure(t, pg, OVN_OWNER_NP, p->key, specs, acls.n);
    free(specs);
    free(log_name);
    smap_destroy(&after_lb);
    np_acls_destroy(&acls);
    free(ports);
}

static const char *
ensure_meter(struct controller *c, struct ovn_txn *t,
             const struct np_policy *p, const char *name)
{
    if (!p->log[0] && !p->log[1]) {
        nb_meter_remove(c->nb->idl, name);
        return NULL;
    }
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP, p->key, NULL);
    const struct nbrec_meter *m = nb_meter_ensure(t, c->nb->idl, name, &ids,
                                                  p->log_rate);
    smap_destroy(&ids);
    return m ? name : NULL;
}

static void
apply_policy(struct controller *c, struct ovn_txn *t,
             const struct np_policy *p)
{
    char *pg_name = ovn_name_np_port_group(p->key);
    const struct nbrec_port_group *old_pg = nb_find_port_group(c->nbi,
                                                               pg_name);
    if (old_pg && !ovn_owner_is_kovn(&old_pg->external_ids)) {
        VLOG_WARN_RL(&rl, "NetworkPolicy %s: port group %s exists in NB "
                     "without vendor=kovn: left alone", p->key, pg_name);
        free(pg_name);
        return;
    }

    struct hmapx lsps = HMAPX_INITIALIZER(&lsps);
    struct sset keep = SSET_INITIALIZER(&keep);
    struct named_sets named = { NULL, 0 };
    collect_pods(c, p, &lsps, &keep, &named);
    char *named_list = ensure_named_sets(c, t, p, &named, old_pg);

    const struct nbrec_logical_switch_port **ports
        = xmalloc((hmapx_count(&lsps) + 1) * sizeof *ports);
    size_t n = 0;
    struct hmapx_node *node;
    HMAPX_FOR_EACH (node, &lsps) {
        ports[n++] = node->data;
    }
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP, p->key, NULL);
    if (*named_list) {
        smap_add(&ids, NAMED_SETS_KEY, named_list);
    }
    const struct nbrec_port_group *pg = nb_port_group_ensure(
        t, c->nbi, pg_name, &ids, ports, n, &keep);
    if (pg) {
        const char *meter = ensure_meter(c, t, p, pg_name);
        ensure_acls(c, t, p, pg, pg_name, &named, meter);
    }
    smap_destroy(&ids);
    free(ports);
    free(named_list);
    named_sets_destroy(&named);
    sset_destroy(&keep);
    hmapx_destroy(&lsps);
    free(pg_name);
}

static enum reconcile_result
netpol_reconcile(struct kind *k, const char *key, struct ovn_txn *t,
                 struct kind_work *w OVS_UNUSED)
{
    struct controller *c = k->c;
    const struct json *obj = k8s_informer_get(
        controller_cache(c, IN_NETWORK_POLICIES), key);
    if (!obj) {
        remove_policy(c, key);
        return RECONCILE_PENDING;
    }

    struct np_policy p;
    char *error = np_policy_parse(obj, &p);
    if (error) {
        /* The API validates most of it; what kovn cannot read keeps what
         * NB has, so that nothing is half-made. */
        VLOG_WARN_RL(&rl, "NetworkPolicy %s: %s", key, error);
        controller_event(c, &k8s_network_policies, obj, "Warning",
                         "InvalidNetworkPolicy",
                         "kovn cannot enforce this policy: %s", error);
        free(error);
        np_policy_destroy(&p);
        return RECONCILE_SETTLED;
    }
    apply_policy(c, t, &p);
    np_policy_destroy(&p);
    return RECONCILE_PENDING;
}

/* The policies that kovn's port groups name. */
static void
enqueue_pg_owners(struct kind *k, bool only_gone)
{
    const struct nbrec_port_group *pg;
    struct k8s_informer *policies = controller_cache(k->c,
                                                     IN_NETWORK_POLICIES);
    NBREC_PORT_GROUP_FOR_EACH (pg, k->c->nb->idl) {
        const char *key = ovn_owner_get(&pg->external_ids, OVN_OWNER_NP);
        if (key && (!only_gone || !k8s_informer_get(policies, key))) {
            kind_enqueue(k, key, 0);
        }
    }
}

static void
netpol_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(k->c, IN_NETWORK_POLICIES)) {
        kind_enqueue(k, o->key, 0);
    }
    enqueue_pg_owners(k, false);    /* Deleted while no controller ran. */
}

static void
netpol_gc(struct kind *k)
{
    enqueue_pg_owners(k, true);
}

const struct kind_class netpol_class = {
    .name = "netpol",
    .phase = PHASE_RUNNING,
    .batch = 256,
    .enqueue_all = netpol_enqueue_all,
    .reconcile = netpol_reconcile,
    .gc = netpol_gc,
};
