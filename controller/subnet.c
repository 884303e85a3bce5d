/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet.h"

#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-event.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-time.h"
#include "k8s/k8s-workqueue.h"
#include "namespace.h"
#include "nb-network.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "pod.h"
#include "sset.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(subnet);

/* Keys per NB transaction: enough to batch a start-up resync, small enough
 * that one transaction stays quick for the server. */
#define SUBNET_BATCH 128

/* A Subnet whose address counts alone changed is looked at again (and its
 * status written) after this delay, so that a burst of pods costs a status
 * write per Subnet and delay, not one per NB transaction, each coming back
 * as an update that would queue the next at once. */
#define STATUS_DELAY_MS 1000

/* What a Subnet's status should say. */
struct subnet_status {
    bool ready;
    const char *reason;
    char *message;
    struct ipam_usage usage;
};

struct subnet_ctl {
    struct controller *c;
    struct k8s_workqueue *queue;

    /* Keys whose writes are in the transaction in flight, each with the
     * status to write once it succeeds (NULL for a removal). */
    struct shash pending;

    /* Keys of 'pending' whose finalizer goes once NB no longer has their
     * rows. */
    struct sset finalizing;

    /* Subnet name -> resourceVersion of the object a finalizer patch was
     * last computed from. */
    struct shash finalizer_sent;
};

struct subnet_ctl *
subnet_create(struct controller *c)
{
    struct subnet_ctl *sub = xzalloc(sizeof *sub);
    sub->c = c;
    sub->queue = k8s_workqueue_create("subnet", 0, 0);
    shash_init(&sub->pending);
    sset_init(&sub->finalizing);
    shash_init(&sub->finalizer_sent);
    return sub;
}

static void
status_free(struct subnet_status *st)
{
    if (st) {
        free(st->message);
        free(st);
    }
}

void
subnet_destroy(struct subnet_ctl *sub)
{
    if (sub) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, &sub->pending) {
            status_free(node->data);
        }
        shash_destroy(&sub->pending);
        sset_destroy(&sub->finalizing);
        shash_destroy_free_data(&sub->finalizer_sent);
        k8s_workqueue_destroy(sub->queue);
        free(sub);
    }
}

bool
subnet_has_pending(const struct subnet_ctl *sub)
{
    return !shash_is_empty(&sub->pending);
}

bool
subnet_is_idle(const struct subnet_ctl *sub)
{
    return !k8s_workqueue_len(sub->queue) && shash_is_empty(&sub->pending);
}

bool
subnet_is_deleting(const struct subnet_ctl *sub, const char *name)
{
    const struct json *obj = k8s_informer_get(sub->c->subnets, name);
    return obj && json_get_string(obj, "metadata.deletionTimestamp");
}

void
subnet_usage_changed(struct subnet_ctl *sub, const char *name)
{
    k8s_workqueue_add_after(sub->queue, name, STATUS_DELAY_MS);
}

/* ---- informer ---- */

static void
enqueue_cache(struct subnet_ctl *sub)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, sub->c->subnets) {
        k8s_workqueue_add(sub->queue, o->key);
    }
}

static void
on_add(const struct json *obj OVS_UNUSED, void *sub_)
{
    /* A new Subnet may overlap others, so all are looked at again. */
    enqueue_cache(sub_);
}

static bool
same_json(const struct json *a, const struct json *b)
{
    return a == b || (a && b && json_equal(a, b));
}

/* True if objects 'a' and 'b' differ in their status only, and in the
 * resourceVersion that every write changes. */
static bool
status_only_change(const struct json *a, const struct json *b)
{
    const struct json *ma = json_get_member(a, "metadata");
    const struct json *mb = json_get_member(b, "metadata");
    if (!same_json(json_get_member(a, "spec"), json_get_member(b, "spec"))
        || !ma || !mb || ma->type != JSON_OBJECT || mb->type != JSON_OBJECT
        || shash_count(json_object(ma)) != shash_count(json_object(mb))) {
        return false;
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, json_object(ma)) {
        if (strcmp(node->name, "resourceVersion")
            && !same_json(node->data, shash_find_data(json_object(mb),
                                                      node->name))) {
            return false;
        }
    }
    return true;
}

static void
on_update(const struct json *old, const struct json *new, void *sub_)
{
    struct subnet_ctl *sub = sub_;
    const char *a = json_get_string(old, "spec.cidrBlock");
    const char *b = json_get_string(new, "spec.cidrBlock");
    if (!a || !b || strcmp(a, b)) {
        enqueue_cache(sub);         /* Overlaps may have come or gone. */
    } else if (status_only_change(old, new)) {
        /* Most likely kovn's own status write. */
        k8s_workqueue_add_after(sub->queue, k8s_obj_name(new),
                                STATUS_DELAY_MS);
    } else {
        k8s_workqueue_add(sub->queue, k8s_obj_name(new));
    }
}

static void
on_delete(const struct json *obj, void *sub_)
{
    struct subnet_ctl *sub = sub_;
    k8s_workqueue_add(sub->queue, k8s_obj_name(obj));
    enqueue_cache(sub);             /* A younger one may be valid now. */
}

const struct k8s_informer_handlers subnet_informer_handlers = {
    .on_add = on_add,
    .on_update = on_update,
    .on_delete = on_delete,
};

void
subnet_enqueue_all(struct subnet_ctl *sub)
{
    enqueue_cache(sub);

    /* NB rows of Subnets deleted while no controller ran. */
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, sub->c->nb->idl) {
        const char *name = ovn_owner_get(&ls->external_ids,
                                         OVN_OWNER_SUBNET);
        if (name && strcmp(name, OVN_JOIN_SWITCH)) {
            k8s_workqueue_add(sub->queue, name);
        }
    }
}

/* ---- validation ---- */

static bool
cidrs_overlap(const struct ip_cidr *a, const struct ip_cidr *b)
{
    return a->family == b->family
           && (cidr_contains(a, b->family, b->network)
               || cidr_contains(b, a->family, a->network));
}

/* True if Subnet 'a' is already in use: this controller registered it, or
 * a controller said it was Ready (which survives restarts). */
static bool
established(const struct subnet_ctl *sub, const struct json *s)
{
    if (ipam_subnet_find(sub->c->ipam, k8s_obj_name(s))) {
        return true;
    }
    const struct json *conds = json_get_path(s, "status.conditions");
    for (size_t i = 0; conds && conds->type == JSON_ARRAY
                       && i < conds->array.n; i++) {
        const char *type = json_get_string(conds->array.elems[i], "type");
        const char *st = json_get_string(conds->array.elems[i], "status");
        if (type && !strcmp(type, "Ready") && st && !strcmp(st, "True")) {
            return true;
        }
    }
    return false;
}

/* True if Subnet 'a' came before 'b': of two overlapping Subnets the one
 * in use keeps its CIDR and the other is refused, as Kube-OVN's webhook
 * refuses the second.  Creation times have a resolution of a second, so
 * they only decide between two Subnets equally (not) in use; then names,
 * so that every replica agrees. */
static bool
precedes(const struct subnet_ctl *sub, const struct json *a,
         const struct json *b)
{
    bool ea = established(sub, a), eb = established(sub, b);
    if (ea != eb) {
        return ea;
    }
    const char *ta = json_get_string(a, "metadata.creationTimestamp");
    const char *tb = json_get_string(b, "metadata.creationTimestamp");
    int cmp = strcmp(ta ? ta : "", tb ? tb : "");
    return cmp ? cmp < 0 : strcmp(k8s_obj_name(a), k8s_obj_name(b)) < 0;
}

static char *
check_overlaps(struct subnet_ctl *sub, const struct json *obj,
               const struct network_spec *spec, const char *block)
{
    const struct ip_cidr *join = &sub->c->join_cidr;
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (cidrs_overlap(&spec->cidrs[i], join)) {
            return xasprintf("cidrBlock %s overlaps the join network %s "
                             "(--join-cidr)", block, sub->c->opts.join_cidr);
        }
    }

    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, sub->c->subnets) {
        const char *other = json_get_string(o->obj, "spec.cidrBlock");
        struct ip_cidr cidrs[2];
        size_t n;
        if (!strcmp(o->key, spec->name) || !other
            || !precedes(sub, o->obj, obj)) {
            continue;
        }
        char *error = cidr_parse_block(other, cidrs, &n);
        if (error) {
            free(error);            /* That one is invalid itself. */
            continue;
        }
        for (size_t i = 0; i < spec->n_cidrs; i++) {
            for (size_t j = 0; j < n; j++) {
                if (cidrs_overlap(&spec->cidrs[i], &cidrs[j])) {
                    return xasprintf("cidrBlock %s overlaps Subnet %s (%s), "
                                     "which came first",
                                     block, o->key, other);
                }
            }
        }
    }
    return NULL;
}

/* Index in 'spec->cidrs' of the CIDR of 'family', or -1. */
static int
cidr_of_family(const struct network_spec *spec, int family)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        if (spec->cidrs[i].family == family) {
            return i;
        }
    }
    return -1;
}

/* spec.gateway: one address per family, comma separated; a family left
 * out gets the first address of its CIDR, as in Kube-OVN. */
static char *
parse_gateways(struct network_spec *spec, const char *gateway)
{
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        spec->gateways[i].family = spec->cidrs[i].family;
        spec->gateways[i].n = spec->cidrs[i].network + 1;
    }
    if (!gateway || !*gateway) {
        return NULL;
    }

    char *copy = xstrdup(gateway), *save = NULL, *error = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !error;
         tok = strtok_r(NULL, ",", &save)) {
        struct ip_addr ip;
        char *e = cidr_parse_ip(tok, &ip);
        if (e) {
            error = xasprintf("invalid gateway %s: %s", gateway, e);
            free(e);
            break;
        }
        int i = cidr_of_family(spec, ip.family);
        if (i < 0 || !cidr_contains(&spec->cidrs[i], ip.family, ip.n)) {
            error = xasprintf("gateway %s is not inside cidrBlock", tok);
        } else {
            spec->gateways[i] = ip;
        }
    }
    free(copy);
    return error;
}

/* spec.excludeIps: a list of addresses and "LO..HI" ranges, each inside the
 * CIDR of its family. */
static char *
parse_excludes(const struct network_spec *spec, const struct json *list,
               struct svec *excludes)
{
    if (!list) {
        return NULL;
    }
    if (list->type != JSON_ARRAY) {
        return xstrdup("excludeIps must be a list of addresses and ranges");
    }
    for (size_t i = 0; i < list->array.n; i++) {
        const struct json *e = list->array.elems[i];
        if (e->type != JSON_STRING) {
            return xstrdup("excludeIps must be a list of strings");
        }
        struct ip_range r;
        char *error = cidr_parse_range(json_string(e), &r);
        if (error) {
            char *msg = xasprintf("invalid excludeIps entry %s: %s",
                                  json_string(e), error);
            free(error);
            return msg;
        }
        int k = cidr_of_family(spec, r.family);
        if (k < 0 || !cidr_contains(&spec->cidrs[k], r.family, r.lo)
            || !cidr_contains(&spec->cidrs[k], r.family, r.hi)) {
            return xasprintf("excludeIps entry %s is not inside cidrBlock",
                             json_string(e));
        }
        svec_add(excludes, json_string(e));
    }
    return NULL;
}

/* Fills 'spec' and 'excludes' from Subnet 'obj' and registers it in the
 * IPAM, or returns why it is invalid (changing nothing). */
static char *
validate(struct subnet_ctl *sub, const struct json *obj,
         struct network_spec *spec, struct svec *excludes)
{
    const char *block = json_get_string(obj, "spec.cidrBlock");
    const char *gateway = json_get_string(obj, "spec.gateway");
    char *error;

    if (!strcmp(spec->name, OVN_JOIN_SWITCH)) {
        return xasprintf("the name %s is reserved for the join network "
                         "(--join-cidr)", spec->name);
    }
    if (!block) {
        return xstrdup("spec.cidrBlock is missing");
    }
    error = cidr_parse_block(block, spec->cidrs, &spec->n_cidrs);
    if (error) {
        char *msg = xasprintf("invalid cidrBlock %s: %s", block, error);
        free(error);
        return msg;
    }
    error = parse_gateways(spec, gateway);
    if (!error) {
        error = parse_excludes(spec, json_get_path(obj, "spec.excludeIps"),
                               excludes);
    }
    if (!error) {
        error = check_overlaps(sub, obj, spec, block);
    }
    if (!error) {
        error = network_check_foreign(sub->c->nbi,
                                      sub->c->opts.cluster_router,
                                      spec->name);
    }
    if (!error) {
        error = ipam_subnet_set(sub->c->ipam, spec->name, block, gateway,
                                (const char *const *) excludes->names,
                                excludes->n);
    }
    return error;
}

/* ---- status ---- */

static bool
json_number(const struct json *j, double *d)
{
    if (j && j->type == JSON_INTEGER) {
        *d = j->integer;
        return true;
    } else if (j && j->type == JSON_REAL) {
        *d = j->real;
        return true;
    }
    return false;
}

static bool
number_equals(const struct json *status, const char *name, double want)
{
    double have;
    return json_number(json_get_member(status, name), &have) && have == want;
}

static struct json *
number(double d)
{
    /* Integers print without ".0"; a /64's count does not fit one. */
    return d < 9e15 ? json_integer_create((long long int) d)
                    : json_real_create(d);
}

static const struct json *
find_condition(const struct json *status, const char *type)
{
    const struct json *conds = json_get_member(status, "conditions");
    if (conds && conds->type == JSON_ARRAY) {
        for (size_t i = 0; i < conds->array.n; i++) {
            const char *t = json_get_string(conds->array.elems[i], "type");
            if (t && !strcmp(t, type)) {
                return conds->array.elems[i];
            }
        }
    }
    return NULL;
}

static bool
str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* Returns the merge patch that makes 'obj''s status say 'st', or NULL if
 * it already does.  Timestamps alone never make a patch: otherwise each
 * status write would trigger another. */
static struct json *
status_patch(const struct json *obj, const struct subnet_status *st)
{
    const struct json *status = json_get_member(obj, "status");
    const struct json *ready = find_condition(status, "Ready");
    const char *want = st->ready ? "True" : "False";
    const char *have = json_get_string(ready, "status");
    bool same_status = have && !strcmp(have, want);

    if (same_status
        && str_eq(json_get_string(ready, "reason"), st->reason)
        && str_eq(json_get_string(ready, "message"), st->message)
        && number_equals(status, "v4availableIPs", st->usage.v4_available)
        && number_equals(status, "v4usingIPs", st->usage.v4_used)
        && number_equals(status, "v6availableIPs", st->usage.v6_available)
        && number_equals(status, "v6usingIPs", st->usage.v6_used)) {
        return NULL;
    }

    char *now = k8s_time_format(time_wall_msec(), false);
    const char *since = json_get_string(ready, "lastTransitionTime");
    struct json *cond = json_object_create();
    json_object_put_string(cond, "type", "Ready");
    json_object_put_string(cond, "status", want);
    json_object_put_string(cond, "reason", st->reason);
    json_object_put_string(cond, "message", st->message ? st->message : "");
    json_object_put_string(cond, "lastUpdateTime", now);
    json_object_put_string(cond, "lastTransitionTime",
                           same_status && since ? since : now);
    free(now);

    /* A merge patch replaces a list whole: keep the other conditions. */
    struct json *conds = json_array_create_empty();
    const struct json *old = json_get_member(status, "conditions");
    if (old && old->type == JSON_ARRAY) {
        for (size_t i = 0; i < old->array.n; i++) {
            if (old->array.elems[i] != ready) {
                json_array_add(conds, json_clone(old->array.elems[i]));
            }
        }
    }
    json_array_add(conds, cond);

    struct json *s = json_object_create();
    json_object_put(s, "v4availableIPs", number(st->usage.v4_available));
    json_object_put(s, "v4usingIPs", number(st->usage.v4_used));
    json_object_put(s, "v6availableIPs", number(st->usage.v6_available));
    json_object_put(s, "v6usingIPs", number(st->usage.v6_used));
    json_object_put(s, "conditions", conds);

    struct json *patch = json_object_create();
    json_object_put(patch, "status", s);
    return patch;
}

/* Writes 'st' to Subnet 'name' if it differs; returns true if it did.
 * Not before the IPAM is rebuilt: until then the counts would say that
 * nothing is in use (pod.c requeues every Subnet once it knows). */
static bool
write_status(struct subnet_ctl *sub, const char *name,
             const struct subnet_status *st)
{
    if (!pod_is_restored(sub->c->pod)) {
        return false;
    }
    const struct json *obj = k8s_informer_get(sub->c->subnets, name);
    struct json *patch = obj ? status_patch(obj, st) : NULL;
    if (!patch) {
        return false;
    }
    char *path = k8s_resource_path(&kubeovn_subnets, NULL, name, "status");
    api_write(sub->c, K8S_PATCH_MERGE, path, patch, sub->queue, name);
    free(path);
    json_destroy(patch);
    return true;
}

/* ---- deletion ---- */

/* Kube-OVN's finalizer name, so that Subnets move between Kube-OVN and kovn
 * as they are: either controller lets a Subnet the other marked go once it
 * is empty.  Kube-OVN before 1.12 wrote the second name; kovn replaces it. */
#define FINALIZER "kubeovn.io/kube-ovn-controller"
#define FINALIZER_LEGACY "kube-ovn-controller"

/* The merge patch that makes 'obj''s finalizers hold kovn's exactly once
 * ('want') or not at all, the others kept in order; NULL if they do
 * already.  A merge patch replaces the list whole, so it carries the
 * resourceVersion it was computed from: a finalizer that someone else adds
 * meanwhile makes it fail (409) and the key is tried again. */
static struct json *
finalizers_patch(const struct json *obj, bool want)
{
    const struct json *list = json_get_path(obj, "metadata.finalizers");
    struct json *keep = json_array_create_empty();
    size_t n_ours = 0;
    bool current = false;
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < list->array.n; i++) {
        const struct json *f = list->array.elems[i];
        const char *s = f->type == JSON_STRING ? json_string(f) : "";
        if (!strcmp(s, FINALIZER) || !strcmp(s, FINALIZER_LEGACY)) {
            n_ours++;
            current |= !strcmp(s, FINALIZER);
        } else {
            json_array_add(keep, json_clone(f));
        }
    }
    if (want ? n_ours == 1 && current : !n_ours) {
        json_destroy(keep);
        return NULL;
    }
    if (want) {
        json_array_add(keep, json_string_create(FINALIZER));
    }
    struct json *patch = json_object_create();
    json_put_path(patch, "metadata.finalizers", keep);
    json_put_path(patch, "metadata.resourceVersion",
                  json_string_create(k8s_obj_resource_version(obj)));
    return patch;
}

/* Adds kovn's finalizer to Subnet 'name' ('want') or removes it.  Once per
 * version of the object: until the cache sees the patch's result, a
 * resync would only send it again and get a 409.  A write that failed
 * requeued the key with backoff, which sends it again. */
static void
write_finalizer(struct subnet_ctl *sub, const char *name, bool want)
{
    const struct json *obj = k8s_informer_get(sub->c->subnets, name);
    const char *rv = obj ? k8s_obj_resource_version(obj) : NULL;
    const char *sent = shash_find_data(&sub->finalizer_sent, name);
    if (!rv || (sent && !strcmp(sent, rv)
                && !k8s_workqueue_num_requeues(sub->queue, name))) {
        return;
    }
    struct json *patch = finalizers_patch(obj, want);
    if (patch) {
        char *path = k8s_resource_path(&kubeovn_subnets, NULL, name, NULL);
        api_write(sub->c, K8S_PATCH_MERGE, path, patch, sub->queue, name);
        free(path);
        json_destroy(patch);
        free(shash_replace(&sub->finalizer_sent, name, xstrdup(rv)));
    }
}

/* True if an address of Subnet 'name' is held: by a pod, or kept for a
 * StatefulSet's pod by its IP resource.  Both are leases in the IPAM, which
 * pod.c releases only once NB no longer has the pod's port, so no pod port
 * is left on the switch either.  Only meaningful once pod.c has rebuilt the
 * IPAM. */
static bool
in_use(const struct subnet_ctl *sub, const char *name)
{
    const struct ipam_subnet *is = ipam_subnet_find(sub->c->ipam, name);
    struct ipam_usage u = { .v4_used = 0 };
    if (is) {
        ipam_subnet_usage(is, &u);
    }
    return u.v4_used || u.v6_used;
}

/* Subnet 'name' is being deleted and nothing uses it: adds the removal of
 * its rows to 't'; its finalizer goes once that succeeded. */
static void
finalize(struct subnet_ctl *sub, struct ovn_txn *t,
         const struct nbrec_logical_router *router, const char *name)
{
    ipam_subnet_remove(sub->c->ipam, name);
    if (network_remove(t, sub->c->nbi, router, name)) {
        VLOG_INFO("Subnet %s deleted and unused: removing its NB rows",
                  name);
    }
    shash_add(&sub->pending, name, NULL);
    sset_add(&sub->finalizing, name);
}

/* Says, once per deletion, why Subnet 'obj' stays. */
static void
report_blocked(struct subnet_ctl *sub, const struct json *obj,
               const char *reason)
{
    const struct json *ready = find_condition(json_get_member(obj, "status"),
                                              "Ready");
    if (str_eq(json_get_string(ready, "reason"), reason)) {
        return;                     /* Said already (maybe by a restart). */
    }
    VLOG_INFO("Subnet %s is being deleted but addresses in it are in use: "
              "it stays until they are released", k8s_obj_name(obj));
    k8s_event_record(sub->c->events, &kubeovn_subnets, obj, "Warning",
                     reason, "addresses in this Subnet are still in use by "
                     "pods or IP resources: its deletion waits until they "
                     "are released");
}

/* ---- reconcile ---- */

static void
reject(struct subnet_ctl *sub, const struct json *obj, const char *name,
       char *error)
{
    struct subnet_status st = {
        .ready = false,
        .reason = "ValidateFailed",
        .message = error,
    };
    const struct ipam_subnet *is = ipam_subnet_find(sub->c->ipam, name);
    if (is) {
        /* A spec that went bad keeps its previous, valid network. */
        ipam_subnet_usage(is, &st.usage);
    }
    /* The Event and the log line only when the status changes, so that
     * level-driven resyncs of a bad Subnet do not repeat them. */
    if (write_status(sub, name, &st)) {
        VLOG_WARN("Subnet %s is invalid: %s", name, error);
        k8s_event_record(sub->c->events, &kubeovn_subnets, obj, "Warning",
                         "ValidateFailed", "%s", error);
    }
    free(error);
}

/* Adds to 't' what makes NB match Subnet 'name'.  Returns true if the key
 * waits for 't', false if it is settled already. */
static bool
reconcile(struct subnet_ctl *sub, struct ovn_txn *t,
          const struct nbrec_logical_router *router, const char *name)
{
    const struct json *obj = k8s_informer_get(sub->c->subnets, name);

    if (!strcmp(name, OVN_JOIN_SWITCH) && !obj) {
        return false;               /* cluster.c's, not a Subnet's. */
    }
    if (!obj) {
        /* Gone: its finalizer was removed (by finalize(), or by hand), or
         * it was deleted before kovn added one.  Nothing to wait for. */
        free(shash_find_and_delete(&sub->finalizer_sent, name));
        ipam_subnet_remove(sub->c->ipam, name);
        if (network_remove(t, sub->c->nbi, router, name)) {
            VLOG_INFO("Subnet %s deleted: removing its NB rows", name);
        }
        shash_add(&sub->pending, name, NULL);
        return true;
    }

    /* A Subnet in use is not deleted until its addresses are released: it
     * keeps working for the pods still in it meanwhile.  Before the IPAM is
     * rebuilt nobody knows, so it waits (pod.c requeues every Subnet
     * then). */
    bool deleting = subnet_is_deleting(sub, name);
    bool known = pod_is_restored(sub->c->pod);
    if (deleting && known && !in_use(sub, name)) {
        finalize(sub, t, router, name);
        return true;
    }
    if (!deleting) {
        write_finalizer(sub, name, true);
    }

    struct svec excludes = SVEC_EMPTY_INITIALIZER;
    struct network_spec spec = { .name = name, .excludes = &excludes };
    char *error = validate(sub, obj, &spec, &excludes);
    if (error) {
        reject(sub, obj, name, error);
        svec_destroy(&excludes);
        return false;
    }

    network_ensure(t, sub->c->nbi, router, &spec);
    svec_destroy(&excludes);

    struct subnet_status *st = xzalloc(sizeof *st);
    st->ready = true;
    if (deleting && known) {
        st->reason = "DeletionBlocked";
        st->message = xstrdup("being deleted: waits until no pod or IP "
                              "resource holds an address in it");
        report_blocked(sub, obj, st->reason);
    } else {
        st->reason = "ReconcileSuccess";
        st->message = xstrdup("");
    }
    ipam_subnet_usage(ipam_subnet_find(sub->c->ipam, name), &st->usage);
    shash_add(&sub->pending, name, st);
    return true;
}

void
subnet_run(struct subnet_ctl *sub, struct ovn_txn *t,
           const struct nbrec_logical_router *router)
{
    for (int i = 0; i < SUBNET_BATCH; i++) {
        const char *key = k8s_workqueue_get(sub->queue);
        if (!key) {
            break;
        }
        /* Which namespaces a Subnet binds may change with it. */
        namespace_enqueue_all(sub->c->ns);
        if (!reconcile(sub, t, router, key)) {
            k8s_workqueue_forget(sub->queue, key);
            k8s_workqueue_done(sub->queue, key);
        }
    }
}

void
subnet_txn_done(struct subnet_ctl *sub, enum ovsdb_idl_txn_status status)
{
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;
    if (!ok && !shash_is_empty(&sub->pending)) {
        VLOG_INFO("NB transaction for %"PRIuSIZE" subnet(s) ended with %s: "
                  "trying again", shash_count(&sub->pending),
                  ovsdb_idl_txn_status_to_string(status));
    }

    struct shash_node *node;
    SHASH_FOR_EACH (node, &sub->pending) {
        struct subnet_status *st = node->data;
        k8s_workqueue_done(sub->queue, node->name);
        if (ok) {
            if (st) {
                write_status(sub, node->name, st);
            }
            if (sset_contains(&sub->finalizing, node->name)) {
                write_finalizer(sub, node->name, false);
            }
            k8s_workqueue_forget(sub->queue, node->name);
        } else {
            /* With backoff: a server that refuses the same writes again
             * must not be hammered. */
            k8s_workqueue_add_rate_limited(sub->queue, node->name);
        }
        status_free(st);
    }
    shash_clear(&sub->pending);
    sset_clear(&sub->finalizing);
}

void
subnet_wait(struct subnet_ctl *sub)
{
    k8s_workqueue_wait(sub->queue);
}
