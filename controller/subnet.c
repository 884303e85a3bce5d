/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "nb/nb-network.h"
#include "objects.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "reconciler.h"
#include "subnet-defaults.h"
#include "subnet-acl.h"
#include "subnet-gateway.h"
#include "subnet-status.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(subnet);

struct subnet_state {
    /* Subnet name -> resourceVersion of the object a finalizer patch was
     * last computed from. */
    struct shash finalizer_sent;
};

/* What a key's commit brings: the status to write, or the finalizer to
 * remove. */
struct subnet_commit {
    struct subnet_status *status;       /* Or NULL. */
    bool finalize;
};

static void *
subnet_state_create(struct kind *k OVS_UNUSED)
{
    struct subnet_state *s = xzalloc(sizeof *s);
    shash_init(&s->finalizer_sent);
    return s;
}

static void
subnet_state_destroy(void *s_)
{
    struct subnet_state *s = s_;
    shash_destroy_free_data(&s->finalizer_sent);
    free(s);
}

static void
commit_free(void *cm_)
{
    struct subnet_commit *cm = cm_;
    if (cm->status) {
        subnet_status_destroy(cm->status);
        free(cm->status);
    }
    free(cm);
}

static struct k8s_informer *
subnets(const struct kind *k)
{
    return controller_cache(k->c, IN_SUBNETS);
}

static void
subnet_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, subnets(k)) {
        kind_enqueue(k, o->key, 0);
    }

    /* NB rows of Subnets deleted while no controller ran. */
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, k->c->nb->idl) {
        const char *name = ovn_owner_get(&ls->external_ids,
                                         OVN_OWNER_SUBNET);
        if (name && strcmp(name, OVN_JOIN_SWITCH)) {
            kind_enqueue(k, name, 0);
        }
    }
}

/* ---- API writes ---- */

/* Adds the status write that makes Subnet 'name' say 'st' to 'w', if it
 * differs; returns true if it did.  Not before the IPAM is rebuilt: until
 * then the counts would say that nothing is in use (every Subnet is queued
 * again once it is). */
static bool
write_status(struct kind *k, struct kind_work *w, const char *name,
             const struct subnet_status *st)
{
    if (k->c->phase < PHASE_RUNNING) {
        return false;
    }
    const struct json *obj = k8s_informer_get(subnets(k), name);
    struct json *patch = obj ? subnet_status_patch(obj, st) : NULL;
    if (!patch) {
        return false;
    }
    kind_work_write(w, K8S_PATCH_MERGE,
                    k8s_resource_path(&kubeovn_subnets, NULL, name, "status"),
                    patch, false);
    return true;
}

/* The patch that adds kovn's finalizer to Subnet 'name' ('want') or removes
 * it, or NULL.  Once per version of the object: until the cache sees the
 * patch's result, a resync would only send it again and get a 409.  A
 * write that failed requeued the key with backoff, which sends it again. */
static struct json *
finalizer_patch(struct kind *k, const char *name, bool want)
{
    struct subnet_state *s = k->state;
    const struct json *obj = k8s_informer_get(subnets(k), name);
    const char *rv = obj ? k8s_obj_resource_version(obj) : NULL;
    const char *sent = shash_find_data(&s->finalizer_sent, name);
    if (!rv || (sent && !strcmp(sent, rv)
                && !k8s_workqueue_num_requeues(k->queue, name))) {
        return NULL;
    }
    struct json *patch = subnet_finalizers_patch(obj, want);
    if (patch) {
        free(shash_replace(&s->finalizer_sent, name, xstrdup(rv)));
    }
    return patch;
}

static void
write_patch(struct kind_work *w, const char *name, struct json *patch)
{
    if (patch) {
        kind_work_write(w, K8S_PATCH_MERGE,
                        k8s_resource_path(&kubeovn_subnets, NULL, name, NULL),
                        patch, false);
    }
}

/* Adds kovn's finalizer and the spec defaults Kube-OVN writes, in one
 * patch: both carry the resourceVersion they were computed from, and the
 * second of two would fail with 409. */
static void
write_finalizer_and_defaults(struct kind *k, struct kind_work *w,
                             const struct json *obj)
{
    const char *name = k8s_obj_name(obj);
    struct json *patch = finalizer_patch(k, name, true);
    struct json *defaults = subnet_defaults_patch(obj,
                                                  k->c->opts.cluster_router);
    if (patch && defaults) {
        json_object_put(patch, "spec",
                        json_clone(json_get_member(defaults, "spec")));
        json_destroy(defaults);
    } else if (defaults) {
        patch = defaults;
    }
    write_patch(w, name, patch);
}

static void
subnet_committed(struct kind *k, const char *name, void *cm_,
                 struct kind_work *w)
{
    struct subnet_commit *cm = cm_;
    if (cm && cm->status) {
        write_status(k, w, name, cm->status);
    }
    if (cm && cm->finalize) {
        write_patch(w, name, finalizer_patch(k, name, false));
    }
}

/* ---- deletion ---- */

/* True if an address of Subnet 'name' is held: by a pod, or kept for a
 * StatefulSet's pod by its IP resource.  Both are leases in the IPAM, which
 * the pod kind releases only once NB no longer has the pod's port, so no
 * pod port is left on the switch either. */
static bool
in_use(const struct kind *k, const char *name)
{
    const struct ipam_subnet *is = ipam_subnet_find(k->c->ipam, name);
    struct ipam_usage u = { .v4_used = 0 };
    if (is) {
        ipam_subnet_usage(is, &u);
    }
    return u.v4_used || u.v6_used;
}

/* Adds the removal of Subnet 'name''s rows to 't' and takes it out of the
 * IPAM. */
static void
remove_network(struct kind *k, struct ovn_txn *t, const char *name,
               const char *why)
{
    if (ipam_subnet_remove(k->c->ipam, name)) {
        controller_signal(k->c, IN_SUBNET_NETWORK, name);
    }
    subnet_gateway_remove(k->c, t, name);
    if (network_remove(t, k->c->nbi, k->c->router, name)) {
        VLOG_INFO("Subnet %s %s: removing its NB rows", name, why);
    }
}

/* Says, once per deletion, why Subnet 'obj' stays. */
static void
report_blocked(struct kind *k, const struct json *obj, const char *reason)
{
    if (obj_str_eq(subnet_ready_reason(obj), reason)) {
        return;                     /* Said already (maybe by a restart). */
    }
    VLOG_INFO("Subnet %s is being deleted but addresses in it are in use: "
              "it stays until they are released", k8s_obj_name(obj));
    controller_event(k->c, &kubeovn_subnets, obj, "Warning", reason,
                     "addresses in this Subnet are still in use by pods or "
                     "IP resources: its deletion waits until they are "
                     "released");
}

/* ---- reconcile ---- */

static void
reject(struct kind *k, struct kind_work *w, const struct json *obj,
       const char *name, char *error)
{
    struct subnet_status st = {
        .ready = false,
        .reason = "ValidateFailed",
        .message = error,
    };
    const struct ipam_subnet *is = ipam_subnet_find(k->c->ipam, name);
    if (is) {
        /* A spec that went bad keeps its previous, valid network. */
        ipam_subnet_usage(is, &st.usage);
    }
    /* The Event and the log line only when the status changes, so that
     * level-driven resyncs of a bad Subnet do not repeat them. */
    if (write_status(k, w, name, &st)) {
        VLOG_WARN("Subnet %s is invalid: %s", name, error);
        controller_event(k->c, &kubeovn_subnets, obj, "Warning",
                         "ValidateFailed", "%s", error);
    }
    free(error);
}

/* The Subnet's isolation and spec.acls on its switch 'ls' (subnet-acl.h),
 * and what its ACLsApplied condition says in 'st'.  Refused ACLs leave the
 * switch's as they are; the Event and log line come once per error. */
static void
ensure_acls(struct kind *k, struct ovn_txn *t, const struct json *obj,
            const struct nbrec_logical_switch *ls,
            const struct network_spec *spec, struct subnet_status *st)
{
    const char *name = k8s_obj_name(obj);
    struct subnet_acls acls;
    char *error = subnet_acls_build(obj, spec->cidrs, spec->n_cidrs,
                                    &k->c->join_cidr, &acls);
    const char *had = subnet_condition_message(obj, SUBNET_ACL_CONDITION);
    if (error) {
        st->acl = (struct subnet_condition) {
            SUBNET_ACL_CONDITION, false, "InvalidACL", error };
        if (!obj_str_eq(had, error)) {
            VLOG_WARN("Subnet %s: ACLs refused, the switch keeps those it "
                      "has: %s", name, error);
            controller_event(k->c, &kubeovn_subnets, obj, "Warning",
                             "InvalidACL", "ACLs refused, the switch keeps "
                             "those it has: %s", error);
        }
    } else {
        nb_switch_acls_ensure(t, ls, OVN_OWNER_SUBNET, name, acls.specs,
                              acls.n);
        if (acls.any || had) {
            st->acl = (struct subnet_condition) { SUBNET_ACL_CONDITION,
                                                  true, NULL, NULL };
        }
    }
    subnet_acls_destroy(&acls);
}

static enum reconcile_result
subnet_reconcile(struct kind *k, const char *name, struct ovn_txn *t,
                 struct kind_work *w)
{
    const struct json *obj = k8s_informer_get(subnets(k), name);

    if (!strcmp(name, OVN_JOIN_SWITCH) && !obj) {
        return RECONCILE_SETTLED;   /* cluster.c's, not a Subnet's. */
    }
    if (!obj) {
        /* Gone: its finalizer was removed (by us, or by hand), or it was
         * deleted before kovn added one.  Nothing to wait for. */
        struct subnet_state *s = k->state;
        free(shash_find_and_delete(&s->finalizer_sent, name));
        remove_network(k, t, name, "deleted");
        return RECONCILE_PENDING;
    }

    /* A Subnet in use is not deleted until its addresses are released: it
     * keeps working for the pods still in it meanwhile.  Before the IPAM is
     * rebuilt nobody knows, so it waits (every Subnet is queued again
     * then). */
    bool deleting = obj_is_deleting(obj);
    bool known = k->c->phase == PHASE_RUNNING;
    struct subnet_commit *cm = xzalloc(sizeof *cm);
    kind_work_set_aux(w, cm);
    if (deleting && known && !in_use(k, name)) {
        remove_network(k, t, name, "deleted and unused");
        cm->finalize = true;
        return RECONCILE_PENDING;
    }
    if (!deleting) {
        write_finalizer_and_defaults(k, w, obj);
    }

    struct svec excludes = SVEC_EMPTY_INITIALIZER;
    struct network_spec spec = { .name = name, .excludes = &excludes,
                                 .lb_groups = k->c->lb_groups,
                                 .n_lb_groups = OVN_SERVICES_LB_GROUPS };
    bool was_known = ipam_subnet_find(k->c->ipam, name) != NULL;
    char *error = subnet_validate(k->c, obj, &spec, &excludes);
    if (error) {
        reject(k, w, obj, name, error);
        svec_destroy(&excludes);
        return RECONCILE_SETTLED;
    }
    if (!was_known) {
        controller_signal(k->c, IN_SUBNET_NETWORK, name);
    }
    const struct nbrec_logical_switch *ls
        = network_ensure(t, k->c->nbi, k->c->router, &spec);
    struct subnet_status *st = xzalloc(sizeof *st);
    ensure_acls(k, t, obj, ls, &spec, st);
    long long int recheck_ms = subnet_gateway_ensure(k->c, t, obj, &spec, st);
    if (recheck_ms) {
        kind_enqueue(k, name, recheck_ms);
    }
    svec_destroy(&excludes);

    st->ready = true;
    if (deleting && known) {
        st->reason = "DeletionBlocked";
        st->message = xstrdup("being deleted: waits until no pod or IP "
                              "resource holds an address in it");
        report_blocked(k, obj, st->reason);
    } else {
        st->reason = "ReconcileSuccess";
        st->message = xstrdup("");
    }
    ipam_subnet_usage(ipam_subnet_find(k->c->ipam, name), &st->usage);
    cm->status = st;
    return RECONCILE_PENDING;
}

const struct kind_class subnet_class = {
    .name = "subnet",
    .phase = PHASE_NETWORKS,
    /* Enough to batch a start-up resync, small enough that one
     * transaction stays quick for the server. */
    .batch = 128,
    .create = subnet_state_create,
    .destroy = subnet_state_destroy,
    .enqueue_all = subnet_enqueue_all,
    .reconcile = subnet_reconcile,
    .committed = subnet_committed,
    .aux_free = commit_free,
};
