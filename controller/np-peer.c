/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* The peer set kind: a key is a peer set's key (np-policy.h); its address
 * sets hold the addresses of the pods it selects, one set per family in
 * use.  Changes go by element (nb-acl.h): a pod that comes or goes costs
 * one mutation per set it is in, whatever their size, and a restart with
 * nothing changed writes nothing.  A set no policy names any more goes. */

#include <config.h>
#include "netpol.h"

#include <string.h>

#include "controller.h"
#include "hmapx.h"
#include "k8s/k8s-informer.h"
#include "nb/nb-acl.h"
#include "netpol/np-policy.h"
#include "netpol/np-selector.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "reconciler.h"
#include "smap.h"
#include "sset.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(np_peer);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

/* True if some policy names peer set 'key'. */
static bool
is_referenced(const struct controller *c, const char *key)
{
    const struct hmapx *policies = k8s_informer_index_lookup(
        controller_cache(c, IN_NETWORK_POLICIES), NP_PEER_INDEX, key);
    return policies && !hmapx_is_empty(policies);
}

/* Adds the addresses of the pods of namespace 'ns' that 'sel' holds. */
static void
add_namespace_pods(const struct controller *c, const struct np_peer_sel *sel,
                   const char *ns, struct sset *v4, struct sset *v6)
{
    const struct hmapx *pods = k8s_informer_index_lookup(
        controller_cache(c, IN_PODS), POD_INDEX_NAMESPACE, ns);
    if (!pods) {
        return;
    }
    struct hmapx_node *node;
    HMAPX_FOR_EACH (node, pods) {
        const struct k8s_object *o = node->data;
        if (np_selector_matches(sel->pod_sel,
                                json_get_path(o->obj, "metadata.labels"))) {
            np_pod_addresses(o->obj, v4, v6);
        }
    }
}

static void
collect(const struct controller *c, const struct np_peer_sel *sel,
        struct sset *v4, struct sset *v6)
{
    if (sel->ns) {
        add_namespace_pods(c, sel, sel->ns, v4, v6);
        return;
    }
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(c, IN_NAMESPACES)) {
        if (np_selector_matches(sel->ns_sel,
                                json_get_path(o->obj, "metadata.labels"))) {
            add_namespace_pods(c, sel, o->key, v4, v6);
        }
    }
}

static void
remove_sets(struct controller *c, const char *key)
{
    for (int family = 4; family <= 6; family += 2) {
        char *name = ovn_name_np_peer_set(key, family);
        if (nb_address_set_remove(c->nbi, name)) {
            VLOG_INFO("peer set %s (%s): removed, no policy names it",
                      name, key);
        }
        free(name);
    }
}

static enum reconcile_result
np_peer_reconcile(struct kind *k, const char *key, struct ovn_txn *t,
                  struct kind_work *w OVS_UNUSED)
{
    struct controller *c = k->c;
    struct np_peer_sel sel;
    if (!np_peer_sel_parse(key, &sel)) {
        VLOG_WARN_RL(&rl, "%s: not a peer set key", key);
        np_peer_sel_destroy(&sel);
        return RECONCILE_SETTLED;
    }
    if (!is_referenced(c, key)) {
        remove_sets(c, key);
        np_peer_sel_destroy(&sel);
        return RECONCILE_PENDING;
    }

    struct sset addrs[2] = { SSET_INITIALIZER(&addrs[0]),
                             SSET_INITIALIZER(&addrs[1]) };
    collect(c, &sel, &addrs[0], &addrs[1]);
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP_PEER, key, NULL);
    for (int f = 0; f < 2; f++) {
        char *name = ovn_name_np_peer_set(key, f ? 6 : 4);
        if (!controller_family_in_use(c, f ? 6 : 4)) {
            nb_address_set_remove(c->nbi, name);
        } else if (!nb_address_set_ensure(t, c->nbi, name, &ids,
                                          &addrs[f])) {
            VLOG_WARN_RL(&rl, "address set %s exists in NB without "
                         "vendor=kovn: left alone, policies naming peer "
                         "%s will not work", name, key);
        }
        free(name);
        sset_destroy(&addrs[f]);
    }
    smap_destroy(&ids);
    np_peer_sel_destroy(&sel);
    return RECONCILE_PENDING;
}

/* The peer sets that kovn's address sets name ('only_gone': those no
 * policy names any more; checked again by reconcile()). */
static void
enqueue_nb_sets(struct kind *k)
{
    const struct nbrec_address_set *as;
    NBREC_ADDRESS_SET_FOR_EACH (as, k->c->nb->idl) {
        const char *key = ovn_owner_get(&as->external_ids,
                                        OVN_OWNER_NP_PEER);
        if (key) {
            kind_enqueue(k, key, 0);
        }
    }
}

static void
np_peer_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(k->c, IN_NETWORK_POLICIES)) {
        struct svec keys = SVEC_EMPTY_INITIALIZER;
        np_policy_peer_keys(o->obj, &keys);
        const char *key;
        size_t i;
        SVEC_FOR_EACH (i, key, &keys) {
            kind_enqueue(k, key, 0);
        }
        svec_destroy(&keys);
    }
    enqueue_nb_sets(k);     /* Those of policies deleted meanwhile. */
}

const struct kind_class np_peer_class = {
    .name = "np-peer",
    .phase = PHASE_RUNNING,
    .batch = 512,
    .enqueue_all = np_peer_enqueue_all,
    .reconcile = np_peer_reconcile,
    .gc = enqueue_nb_sets,
};
