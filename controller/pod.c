/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "pod.h"

#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "ip-resource.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "nb/nb-index.h"
#include "nb/nb-switch.h"
#include "objects.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-lsp-addresses.h"
#include "netpol.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "pod-obj.h"
#include "reconciler.h"
#include "smap.h"
#include "sset.h"
#include "sts.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(pod);

/* Pods per NB transaction. */
#define POD_BATCH 256

struct pod_state {
    struct sset waiting;            /* Keys waiting for a free address. */
    struct sset ips_sent;           /* IP resources created, not yet seen
                                     * by the informer. */

    /* Keys of the start-up resync not yet queued, from 'resync_next' on
     * (see pod_enqueue_all()). */
    struct svec resync;
    size_t resync_next;
};

/* The aux of a key whose lease goes once its port's removal commits. */
static int release_on_commit;

static void *
pod_state_create(struct kind *k OVS_UNUSED)
{
    struct pod_state *s = xzalloc(sizeof *s);
    sset_init(&s->waiting);
    sset_init(&s->ips_sent);
    svec_init(&s->resync);
    return s;
}

static void
pod_state_destroy(void *s_)
{
    struct pod_state *s = s_;
    sset_destroy(&s->waiting);
    sset_destroy(&s->ips_sent);
    svec_destroy(&s->resync);
    free(s);
}

static struct k8s_informer *
cache(const struct kind *k, enum controller_input input)
{
    return controller_cache(k->c, input);
}

/* ---- queueing ---- */

/* Every pod, once the IPAM is rebuilt: those without an address at once,
 * as their CNI calls wait for it; the others, which only need a check, a
 * batch at a time when nothing else waits (pod_run()), so that the events
 * that come meanwhile do not wait behind thousands. */
static void
pod_enqueue_all(struct kind *k)
{
    struct pod_state *s = k->state;
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, cache(k, IN_PODS)) {
        if (!pod_allocated(o->obj)) {
            kind_enqueue(k, o->key, 0);
        } else {
            svec_add(&s->resync, o->key);
        }
    }
}

static void
pod_run(struct kind *k)
{
    struct pod_state *s = k->state;
    if (k8s_workqueue_len(k->queue)) {
        return;
    }
    for (int i = 0; i < POD_BATCH && s->resync_next < s->resync.n; i++) {
        kind_enqueue(k, s->resync.names[s->resync_next++], 0);
    }
    if (s->resync_next >= s->resync.n) {
        svec_clear(&s->resync);
        s->resync_next = 0;
    }
}

static void
pod_wait(struct kind *k)
{
    struct pod_state *s = k->state;
    if (s->resync.n) {
        poll_immediate_wake();
    }
}

static bool
pod_is_idle(const struct kind *k)
{
    const struct pod_state *s = k->state;
    return !s->resync.n;
}

static void
pod_gc(struct kind *k)
{
    struct sset keys = SSET_INITIALIZER(&keys);
    pod_gc_keys(k->c, &keys);
    const char *key;
    SSET_FOR_EACH (key, &keys) {
        kind_enqueue(k, key, 0);
    }
    if (!sset_is_empty(&keys)) {
        VLOG_INFO("garbage collection: %"PRIuSIZE" deleted pod(s) to clean "
                  "up", sset_count(&keys));
    }
    sset_destroy(&keys);
}

static void
pod_rebuild(struct kind *k)
{
    pod_ipam_rebuild(k->c);
}

/* Queues the pods that wait for a free address. */
static void
requeue_waiting(struct kind *k)
{
    struct pod_state *s = k->state;
    const char *key;
    SSET_FOR_EACH (key, &s->waiting) {
        kind_enqueue(k, key, 0);
    }
    sset_clear(&s->waiting);
}

/* ---- the lease ---- */

static void
release_lease(struct kind *k, const char *owner, const char *key)
{
    const struct ipam_lease *lease = ipam_lookup_owner(k->c->ipam, owner);
    if (lease) {
        char *subnet = xstrdup(ipam_subnet_name(lease->subnet));
        VLOG_INFO("pod %s: releasing %s", key, lease->ip_string);
        ipam_release(k->c->ipam, owner);
        controller_signal(k->c, IN_SUBNET_USAGE, subnet);
        free(subnet);
        requeue_waiting(k);
    }
}

static void OVS_PRINTF_FORMAT(4, 5)
reject(struct kind *k, const struct json *obj, const char *reason,
       const char *format, ...)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 50);
    va_list args;
    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);

    char *key = k8s_obj_key(obj);
    VLOG_WARN_RL(&rl, "pod %s: %s", key, msg);
    free(key);
    controller_event(k->c, &k8s_pods, obj, "Warning", reason, "%s", msg);
    free(msg);
}

/* Gives pod 'key' its lease in 'subnet' (keeping one it has there), or
 * reports why not.  Its old port goes if it moved to another subnet. */
static const struct ipam_lease *
allocate(struct kind *k, const char *key, const struct json *obj,
         const char *subnet, const struct nbrec_logical_switch_port **have)
{
    struct controller *c = k->c;
    struct pod_state *s = k->state;
    const struct ipam_subnet *is = ipam_subnet_find(c->ipam, subnet);
    char *owner = ovn_owner_ipam(OVN_OWNER_POD, key);
    const struct ipam_lease *lease = ipam_lookup_owner(c->ipam, owner);
    if (lease && lease->subnet != is) {
        /* Moved to another subnet before it was annotated: its old port
         * goes with its old address, whatever becomes of the new one. */
        release_lease(k, owner, key);
        if (*have) {
            nb_lsp_delete(c->nbi, *have);
            *have = NULL;
        }
        lease = NULL;
    }

    char *error = NULL;
    enum ipam_error e = IPAM_OK;
    if (!lease && obj_is_deleting(k8s_informer_get(cache(k, IN_SUBNETS),
                                                   subnet))) {
        /* A Subnet being deleted waits for its pods to go: no new ones. */
        error = xasprintf("Subnet %s is being deleted", subnet);
        e = IPAM_ERR_INVALID;
    } else {
        bool had = lease != NULL;
        e = ipam_allocate(c->ipam, subnet, owner,
                          k8s_obj_annotation(obj, OVN_ANN_IP_ADDRESS),
                          k8s_obj_annotation(obj, OVN_ANN_MAC_ADDRESS),
                          &lease, &error);
        if (!e && !had) {
            VLOG_INFO("pod %s: %s %s in %s", key, lease->ip_string,
                      lease->mac_string, subnet);
            controller_signal(c, IN_SUBNET_USAGE, subnet);
        }
    }
    free(owner);
    if (e) {
        bool full = e == IPAM_ERR_EXHAUSTED;
        reject(k, obj, full ? "NoAvailableAddress" : "AcquireAddressFailed",
               "%s", error);
        if (full) {
            sset_add(&s->waiting, key);
        }
        free(error);
        return NULL;
    }
    return lease;
}

/* ---- reconcile ---- */

static void
ensure_port(struct kind *k, struct ovn_txn *t,
            const struct nbrec_logical_switch *ls,
            const struct nbrec_logical_switch_port *have, const char *port,
            const char *key, const char *ns, const char *subnet,
            const struct ipam_lease *lease, const struct json *obj)
{
    char *addresses = ovn_lsp_addresses_format(lease->mac_string,
                                               lease->ip_string);
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_POD, key, OVN_OWNER_NAMESPACE, ns,
                   OVN_OWNER_SUBNET, subnet, NULL);
    struct nb_lsp_spec spec = {
        .name = port,
        .addresses = addresses,
        .port_security = true,
        .external_ids = &ids,
    };
    const struct nbrec_logical_switch_port *lsp
        = nb_lsp_ensure(t, k->c->nbi, ls, have, &spec);
    if (!have && lsp) {
        /* A new pod's port starts with its policies' ACLs. */
        np_pod_join_port_groups(k->c, obj, lsp);
    }
    smap_destroy(&ids);
    free(addresses);
}

/* The annotations the daemon reads, once NB has the port. */
static void
write_annotations(struct kind *k, struct kind_work *w, const struct json *obj,
                  const char *ns, const char *name, const char *subnet,
                  const struct ipam_lease *lease)
{
    const struct ipam_subnet *is = lease->subnet;
    struct json *anns = json_object_create();
    obj_want_annotation(anns, obj, OVN_ANN_ALLOCATED, "true");
    obj_want_annotation(anns, obj, OVN_ANN_IP_ADDRESS, lease->ip_string);
    obj_want_annotation(anns, obj, OVN_ANN_MAC_ADDRESS, lease->mac_string);
    obj_want_annotation(anns, obj, OVN_ANN_CIDR, ipam_subnet_cidr_block(is));
    obj_want_annotation(anns, obj, OVN_ANN_GATEWAY, ipam_subnet_gateway(is));
    obj_want_annotation(anns, obj, OVN_ANN_LOGICAL_SWITCH, subnet);
    obj_want_annotation(anns, obj, OVN_ANN_LOGICAL_ROUTER,
                        k->c->opts.cluster_router);
    obj_want_annotation(anns, obj, OVN_ANN_ROUTED, "true");
    struct json *patch = obj_annotations_patch(anns);
    if (patch) {
        kind_work_write(w, K8S_PATCH_MERGE,
                        k8s_resource_path(&k8s_pods, ns, name, NULL),
                        patch, false);
    }
}

/* The IP resource, behind the annotations. */
static void
write_ip_resource(struct kind *k, struct kind_work *w, const struct json *obj,
                  const char *key, const char *ns, const char *name,
                  const char *port, const char *subnet,
                  const struct ipam_lease *lease)
{
    struct pod_state *s = k->state;
    struct json *spec = ip_resource_spec(obj, ns, name, subnet, lease);
    const struct json *ip = k8s_informer_get(cache(k, IN_IPS), port);
    if (ip) {
        sset_find_and_delete(&s->ips_sent, port);
    }
    if (!ip && sset_contains(&s->ips_sent, port)
        && !k8s_workqueue_num_requeues(k->queue, key)) {
        /* Created already; the informer has not seen it yet. */
        json_destroy(spec);
    } else if (!ip) {
        sset_add(&s->ips_sent, port);
        kind_work_write(w, K8S_POST,
                        k8s_resource_path(&kubeovn_ips, NULL, NULL, NULL),
                        ip_resource_create(port, subnet, spec), true);
    } else if (!ip_resource_spec_matches(json_get_member(ip, "spec"),
                                         spec)) {
        struct json *patch = json_object_create();
        json_object_put(patch, "spec", spec);
        kind_work_write(w, K8S_PATCH_MERGE,
                        k8s_resource_path(&kubeovn_ips, NULL, port, NULL),
                        patch, true);
    } else {
        json_destroy(spec);
    }
}

static enum reconcile_result
ensure_pod(struct kind *k, struct ovn_txn *t, const char *key,
           const char *ns, const char *name, const struct json *obj,
           struct kind_work *w)
{
    struct controller *c = k->c;
    const char *subnet = pod_subnet_of(
        obj, k8s_informer_get(cache(k, IN_NAMESPACES), ns),
        c->opts.default_subnet);
    if (!ipam_subnet_find(c->ipam, subnet)) {
        reject(k, obj, "LogicalSwitchNotFound",
               "logical switch %s does not exist", subnet);
        return RECONCILE_RETRY;
    }
    const struct nbrec_logical_switch *ls = nb_find_switch(c->nbi, subnet);
    if (!ls || !ovn_owner_matches(&ls->external_ids, OVN_OWNER_SUBNET,
                                  subnet)) {
        return RECONCILE_RETRY;     /* Its switch is on the way. */
    }

    char *port = ovn_name_pod_port(name, ns);
    const struct nbrec_logical_switch_port *have = nb_find_lsp(c->nbi, port);
    if (have && !ovn_owner_is_kovn(&have->external_ids)) {
        reject(k, obj, "PortConflict", "logical switch port %s exists in "
               "OVN NB and is not kovn's", port);
        free(port);
        return RECONCILE_RETRY;
    }

    const struct ipam_lease *lease = allocate(k, key, obj, subnet, &have);
    if (lease) {
        ensure_port(k, t, ls, have, port, key, ns, subnet, lease, obj);
        write_annotations(k, w, obj, ns, name, subnet, lease);
        write_ip_resource(k, w, obj, key, ns, name, port, subnet, lease);
    }
    free(port);
    return lease ? RECONCILE_PENDING : RECONCILE_RETRY;
}

/* Removes everything of pod 'key' (absent or finished): adds the port's
 * removal to 't' and the IP resource's deletion to 'w'; the lease goes
 * once the port's removal commits. */
static void
release_pod(struct kind *k, const char *key, const char *ns,
            const char *name, struct kind_work *w)
{
    struct pod_state *s = k->state;
    char *port = ovn_name_pod_port(name, ns);
    kind_work_set_aux(w, &release_on_commit);

    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(k->c->nbi,
                                                              port);
    if (lsp && ovn_owner_matches(&lsp->external_ids, OVN_OWNER_POD, key)) {
        nb_lsp_delete(k->c->nbi, lsp);
    }
    if (k8s_informer_get(cache(k, IN_IPS), port)
        || sset_find_and_delete(&s->ips_sent, port)) {
        kind_work_write(w, K8S_DELETE,
                        k8s_resource_path(&kubeovn_ips, NULL, port, NULL),
                        NULL, true);
    }
    free(port);
}

static enum reconcile_result
pod_reconcile(struct kind *k, const char *key, struct ovn_txn *t,
              struct kind_work *w)
{
    struct pod_state *s = k->state;
    char *ns, *name;
    if (!obj_split_key(key, &ns, &name)) {
        return RECONCILE_SETTLED;
    }
    const struct json *obj = k8s_informer_get(cache(k, IN_PODS), key);
    enum reconcile_result r = RECONCILE_PENDING;
    sset_find_and_delete(&s->waiting, key);

    if (obj && pod_wants_address(obj)) {
        r = ensure_pod(k, t, key, ns, name, obj, w);
    } else if (obj && !pod_finished(obj)) {
        r = RECONCILE_SETTLED;      /* Unscheduled or hostNetwork. */
    } else {
        char *port = ovn_name_pod_port(name, ns);
        const struct json *ip = k8s_informer_get(cache(k, IN_IPS), port);
        free(port);
        if (!obj && sts_keeps(cache(k, IN_STATEFULSETS), ns, name, ip)) {
            r = RECONCILE_SETTLED;  /* Kept for the pod's re-creation. */
        } else {
            release_pod(k, key, ns, name, w);
        }
    }
    free(ns);
    free(name);
    return r;
}

static void
pod_committed(struct kind *k, const char *key, void *aux,
              struct kind_work *w OVS_UNUSED)
{
    if (aux == &release_on_commit) {
        char *owner = ovn_owner_ipam(OVN_OWNER_POD, key);
        release_lease(k, owner, key);
        free(owner);
    }
}

const struct kind_class pod_class = {
    .name = "pod",
    .phase = PHASE_RUNNING,
    .batch = POD_BATCH,
    /* Bad input may become valid: look again within a minute. */
    .backoff_max_ms = 60000,
    .create = pod_state_create,
    .destroy = pod_state_destroy,
    .enqueue_all = pod_enqueue_all,
    .reconcile = pod_reconcile,
    .committed = pod_committed,
    .rebuild = pod_rebuild,
    .gc = pod_gc,
    .run = pod_run,
    .wait = pod_wait,
    .is_idle = pod_is_idle,
};
