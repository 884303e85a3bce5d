/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "pod.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-event.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "nb-network.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "sset.h"
#include "subnet.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(pod);

#define ANN_PREFIX         "ovn.kubernetes.io/"
#define ANN_ALLOCATED      ANN_PREFIX "allocated"
#define ANN_IP_ADDRESS     ANN_PREFIX "ip_address"
#define ANN_MAC_ADDRESS    ANN_PREFIX "mac_address"
#define ANN_CIDR           ANN_PREFIX "cidr"
#define ANN_GATEWAY        ANN_PREFIX "gateway"
#define ANN_LOGICAL_SWITCH ANN_PREFIX "logical_switch"
#define ANN_LOGICAL_ROUTER ANN_PREFIX "logical_router"
#define ANN_ROUTED         ANN_PREFIX "routed"

/* Pods per NB transaction. */
#define POD_BATCH 256

/* Backoff for pods whose input is bad: it may become valid. */
#define POD_BACKOFF_MAX_MS 60000

static const struct k8s_resource k8s_statefulsets = {
    .group = "apps",
    .version = "v1",
    .api_version = "apps/v1",
    .plural = "statefulsets",
    .kind = "StatefulSet",
    .namespaced = true,
};

/* API writes to start once the NB transaction of a pod succeeded. */
struct pod_write {
    int method;
    char *path;
    struct json *body;              /* May be NULL. */
    bool deferred;                  /* Nothing waits on it: it goes behind
                                     * the others (k8s_request_defer()). */
};

struct pod_pending {
    size_t n;
    struct pod_write writes[2];
    bool release;                   /* Release the pod's lease on success:
                                     * the address is free only once NB no
                                     * longer has its port. */
};

struct pod_ctl {
    struct controller *c;
    struct k8s_workqueue *queue;    /* "namespace/name" keys. */
    struct k8s_informer *pods;
    struct k8s_informer *ips;
    struct k8s_informer *statefulsets;

    struct shash pending;           /* Key -> struct pod_pending. */
    struct sset waiting;            /* Keys waiting for a free address. */
    struct sset ips_sent;           /* IP resources created, not yet seen
                                     * by the informer. */
    bool restored;                  /* IPAM rebuilt: allocations allowed. */
    long long int next_gc;

    /* Keys of the start-up check not yet queued, from 'resync_next' on
     * (see start_resync()). */
    struct svec resync;
    size_t resync_next;
};

/* ---- informers ---- */

static void
pod_transform(struct json *obj)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata",
                                       "spec", "status" };
    static const char *const meta[] = {
        "name", "namespace", "uid", "resourceVersion", "annotations",
        "ownerReferences", "creationTimestamp", "deletionTimestamp",
    };
    static const char *const spec[] = { "nodeName", "hostNetwork" };
    static const char *const status[] = { "phase" };

    json_object_keep(obj, top, ARRAY_SIZE(top));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(obj, "metadata")),
                     meta, ARRAY_SIZE(meta));
    json_object_keep(CONST_CAST(struct json *, json_get_member(obj, "spec")),
                     spec, ARRAY_SIZE(spec));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(obj, "status")),
                     status, ARRAY_SIZE(status));
}

/* Until the IPAM is rebuilt nothing is reconciled, and then every pod is
 * queued (pod_run()), in a better order than the list's; pods deleted
 * meanwhile are found by the garbage collection that follows. */
static void
enqueue_obj(const struct json *obj, void *pod_)
{
    struct pod_ctl *pod = pod_;
    char *key = pod->restored ? k8s_obj_key(obj) : NULL;
    if (key) {
        k8s_workqueue_add(pod->queue, key);
        free(key);
    }
}

static void
on_pod_update(const struct json *old OVS_UNUSED, const struct json *new,
              void *pod_)
{
    enqueue_obj(new, pod_);
}

static const struct k8s_informer_handlers pod_handlers = {
    .on_add = enqueue_obj,
    .on_update = on_pod_update,
    .on_delete = enqueue_obj,
};

static void
on_sts_delete(const struct json *obj OVS_UNUSED, void *pod_)
{
    struct pod_ctl *pod = pod_;
    pod->next_gc = 0;               /* Its pods' addresses may go now. */
}

/* How many pods StatefulSet 'sts' re-creates: spec.replicas (1 if unset, as
 * the API defaults it), none while it is being deleted. */
static int64_t
sts_replicas(const struct json *sts)
{
    int64_t n = 1;
    if (json_get_string(sts, "metadata.deletionTimestamp")) {
        return 0;
    }
    json_get_int(sts, "spec.replicas", &n);
    return n;
}

/* A StatefulSet that shrinks does not re-create its pods from the new size
 * up, so their kept addresses go, as in Kube-OVN: their keys are queued, and
 * the reconciler releases those whose pods are gone (or goes when they
 * are). */
static void
on_sts_update(const struct json *old, const struct json *new, void *pod_)
{
    struct pod_ctl *pod = pod_;
    const char *ns = k8s_obj_namespace(new);
    const char *name = k8s_obj_name(new);
    int64_t was = sts_replicas(old);
    for (int64_t i = sts_replicas(new); ns && name && i < was; i++) {
        char *key = xasprintf("%s/%s-%"PRId64, ns, name, i);
        k8s_workqueue_add(pod->queue, key);
        free(key);
    }
}

static const struct k8s_informer_handlers sts_handlers = {
    .on_update = on_sts_update,
    .on_delete = on_sts_delete,
};

static void
on_ip_seen(const struct json *obj, void *pod_)
{
    struct pod_ctl *pod = pod_;
    sset_find_and_delete(&pod->ips_sent, k8s_obj_name(obj));
}

/* An IP resource whose pod is gone (its creation raced with the pod's
 * deletion) is cleaned up at once, not at the next garbage collection. */
static void
on_ip_add(const struct json *obj, void *pod_)
{
    struct pod_ctl *pod = pod_;
    on_ip_seen(obj, pod);
    const char *ns = json_get_string(obj, "spec.namespace");
    const char *name = json_get_string(obj, "spec.podName");
    if (ns && *ns && name && *name) {
        char *key = xasprintf("%s/%s", ns, name);
        if (!k8s_informer_get(pod->pods, key)) {
            k8s_workqueue_add(pod->queue, key);
        }
        free(key);
    }
}

static const struct k8s_informer_handlers ip_handlers = {
    .on_add = on_ip_add,
    .on_delete = on_ip_seen,
};

struct pod_ctl *
pod_create(struct controller *c)
{
    struct pod_ctl *pod = xzalloc(sizeof *pod);
    pod->c = c;
    pod->queue = k8s_workqueue_create("pod", 0, POD_BACKOFF_MAX_MS);
    shash_init(&pod->pending);
    sset_init(&pod->waiting);
    sset_init(&pod->ips_sent);
    svec_init(&pod->resync);

    struct k8s_informer_options po = { .transform = pod_transform };
    pod->pods = k8s_informer_create(c->client, &k8s_pods, &po,
                                    &pod_handlers, pod);
    struct k8s_informer_options none = { .namespace = NULL };
    pod->ips = k8s_informer_create(c->client, &kubeovn_ips, &none,
                                   &ip_handlers, pod);
    pod->statefulsets = k8s_informer_create(c->client, &k8s_statefulsets,
                                            &none, &sts_handlers, pod);
    return pod;
}

static void
pending_free(struct pod_pending *p)
{
    if (p) {
        for (size_t i = 0; i < p->n; i++) {
            free(p->writes[i].path);
            json_destroy(p->writes[i].body);
        }
        free(p);
    }
}

void
pod_destroy(struct pod_ctl *pod)
{
    if (pod) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, &pod->pending) {
            pending_free(node->data);
        }
        shash_destroy(&pod->pending);
        sset_destroy(&pod->waiting);
        sset_destroy(&pod->ips_sent);
        svec_destroy(&pod->resync);
        k8s_informer_destroy(pod->pods);
        k8s_informer_destroy(pod->ips);
        k8s_informer_destroy(pod->statefulsets);
        k8s_workqueue_destroy(pod->queue);
        free(pod);
    }
}

void
pod_informers_run(struct pod_ctl *pod)
{
    k8s_informer_run(pod->pods);
    k8s_informer_run(pod->ips);
    k8s_informer_run(pod->statefulsets);
}

void
pod_informers_wait(struct pod_ctl *pod)
{
    k8s_informer_wait(pod->pods);
    k8s_informer_wait(pod->ips);
    k8s_informer_wait(pod->statefulsets);
}

/* ---- helpers ---- */

static char *
owner_of(const char *key)
{
    return xasprintf("pod %s", key);
}

/* Splits "ns/name" into its parts (malloc'd); false if malformed. */
static bool
split_key(const char *key, char **ns, char **name)
{
    const char *slash = strchr(key, '/');
    if (!slash || slash == key || !slash[1]) {
        return false;
    }
    *ns = xmemdup0(key, slash - key);
    *name = xstrdup(slash + 1);
    return true;
}

static bool
str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static bool
pod_allocated(const struct json *obj)
{
    const char *alloc = k8s_obj_annotation(obj, ANN_ALLOCATED);
    return alloc && !strcmp(alloc, "true");
}

static bool
pod_finished(const struct json *obj)
{
    const char *phase = json_get_string(obj, "status.phase");
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

/* True if the pod needs an address from kovn. */
static bool
pod_wants_address(const struct json *obj)
{
    bool host = false;
    const char *node = json_get_string(obj, "spec.nodeName");
    json_get_bool(obj, "spec.hostNetwork", &host);
    return node && *node && !host && !pod_finished(obj);
}

static const char *
sts_owner(const struct json *obj)
{
    const struct json *refs = json_get_path(obj, "metadata.ownerReferences");
    for (size_t i = 0; refs && refs->type == JSON_ARRAY
                       && i < refs->array.n; i++) {
        const char *kind = json_get_string(refs->array.elems[i], "kind");
        if (kind && !strcmp(kind, "StatefulSet")) {
            return json_get_string(refs->array.elems[i], "name");
        }
    }
    return NULL;
}

/* True if pod 'name' of namespace 'ns' (absent from the cache) belongs to a
 * StatefulSet that will re-create it, so that its address is kept for that:
 * the StatefulSet exists, is not being deleted, and the pod's ordinal is
 * below its replicas.  The IP resource says whether it was a StatefulSet's
 * pod; its StatefulSet's name is the pod's less "-<ordinal>", as in
 * Kube-OVN. */
static bool
sts_keeps(struct pod_ctl *pod, const char *ns, const char *name,
          const struct json *ip)
{
    const char *type = json_get_string(ip, "spec.podType");
    const char *dash = strrchr(name, '-');
    if (!type || strcmp(type, "StatefulSet") || !dash || dash == name) {
        return false;
    }
    char *end;
    long long int ordinal = strtoll(dash + 1, &end, 10);
    if (end == dash + 1 || *end || ordinal < 0) {
        return false;
    }
    char *key = xasprintf("%s/%.*s", ns, (int) (dash - name), name);
    const struct json *sts = k8s_informer_get(pod->statefulsets, key);
    free(key);
    return sts && ordinal < sts_replicas(sts);
}

/* Adds to 't' the removal of kovn's port 'lsp' (the transaction's). */
static void
delete_port(struct pod_ctl *pod, const struct nbrec_logical_switch_port *lsp)
{
    const struct nbrec_logical_switch *ls = nb_find_port_switch(pod->c->nbi,
                                                                lsp);
    if (ls) {
        nbrec_logical_switch_update_ports_delvalue(ls, lsp);
    }
    nbrec_logical_switch_port_delete(lsp);
}

/* Queues every pod key held by the IPAM or by a kovn port. */
static void
requeue_waiting(struct pod_ctl *pod)
{
    const char *key;
    SSET_FOR_EACH (key, &pod->waiting) {
        k8s_workqueue_add(pod->queue, key);
    }
    sset_clear(&pod->waiting);
}

static void
usage_changed(struct pod_ctl *pod, const char *subnet)
{
    subnet_usage_changed(pod->c->subnet, subnet);
}

static void
release_lease(struct pod_ctl *pod, const char *key)
{
    char *owner = owner_of(key);
    const struct ipam_lease *lease = ipam_lookup_owner(pod->c->ipam, owner);
    if (lease) {
        char *subnet = xstrdup(ipam_subnet_name(lease->subnet));
        VLOG_INFO("pod %s: releasing %s", key, lease->ip_string);
        ipam_release(pod->c->ipam, owner);
        usage_changed(pod, subnet);
        free(subnet);
        requeue_waiting(pod);
    }
    free(owner);
}

/* ---- start-up: rebuild the IPAM ---- */

struct restore_rec {
    struct ipam_record r;
    char *owner, *ips, *mac, *subnet;
    char *key;                      /* The pod's key, for an Event. */
    char *stamp;                    /* Sort key: creation time. */
};

static int
compare_recs(const void *a_, const void *b_)
{
    const struct restore_rec *a = a_, *b = b_;
    return strcmp(a->stamp, b->stamp);
}

static void
add_rec(struct restore_rec **recs, size_t *n, size_t *allocated,
        const char *key, const char *subnet, const char *ips,
        const char *mac, const char *stamp)
{
    if (!subnet || !*subnet || !ips || !*ips) {
        return;
    }
    if (*n >= *allocated) {
        *recs = x2nrealloc(*recs, allocated, sizeof **recs);
    }
    struct restore_rec *r = &(*recs)[(*n)++];
    r->key = xstrdup(key);
    r->owner = owner_of(key);
    r->subnet = xstrdup(subnet);
    r->ips = xstrdup(ips);
    r->mac = mac && *mac ? xstrdup(mac) : NULL;
    r->stamp = xstrdup(stamp ? stamp : "");
}

static void
restore(struct pod_ctl *pod)
{
    struct restore_rec *recs = NULL;
    size_t n = 0, allocated = 0;

    /* (1) Annotated pods, oldest first. */
    size_t n_pods_start = n;
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, pod->pods) {
        if (pod_allocated(o->obj) && !pod_finished(o->obj)) {
            add_rec(&recs, &n, &allocated, o->key,
                    k8s_obj_annotation(o->obj, ANN_LOGICAL_SWITCH),
                    k8s_obj_annotation(o->obj, ANN_IP_ADDRESS),
                    k8s_obj_annotation(o->obj, ANN_MAC_ADDRESS),
                    json_get_string(o->obj, "metadata.creationTimestamp"));
        }
    }
    if (n > n_pods_start) {
        qsort(recs + n_pods_start, n - n_pods_start, sizeof *recs,
              compare_recs);
    }

    /* (2) IP resources of pods. */
    K8S_INFORMER_FOR_EACH (o, pod->ips) {
        const char *ns = json_get_string(o->obj, "spec.namespace");
        const char *name = json_get_string(o->obj, "spec.podName");
        if (ns && *ns && name && *name) {
            char *key = xasprintf("%s/%s", ns, name);
            add_rec(&recs, &n, &allocated, key,
                    json_get_string(o->obj, "spec.subnet"),
                    json_get_string(o->obj, "spec.ipAddress"),
                    json_get_string(o->obj, "spec.macAddress"), "");
            free(key);
        }
    }

    /* (3) kovn's pod ports: addresses "MAC IP [IP6]". */
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, pod->c->nb->idl) {
        const char *key = ovn_owner_get(&lsp->external_ids, OVN_OWNER_POD);
        const char *subnet = ovn_owner_get(&lsp->external_ids,
                                           OVN_OWNER_SUBNET);
        if (!key || !subnet || !lsp->n_addresses) {
            continue;
        }
        char *copy = xstrdup(lsp->addresses[0]), *save = NULL;
        char *mac = strtok_r(copy, " ", &save);
        struct ds ips = DS_EMPTY_INITIALIZER;
        for (char *ip = strtok_r(NULL, " ", &save); ip;
             ip = strtok_r(NULL, " ", &save)) {
            ds_put_format(&ips, "%s%s", ips.length ? "," : "", ip);
        }
        add_rec(&recs, &n, &allocated, key, subnet, ds_cstr(&ips), mac, "");
        ds_destroy(&ips);
        free(copy);
    }

    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        struct restore_rec *r = &recs[i];
        struct ipam_record rec = {
            .subnet = r->subnet, .owner = r->owner,
            .ips = r->ips, .mac = r->mac,
        };
        char *error = ipam_restore_one(pod->c->ipam, &rec);
        if (error) {
            VLOG_WARN("IPAM rebuild: %s", error);
            const struct json *obj = k8s_informer_get(pod->pods, r->key);
            if (obj) {
                k8s_event_record(pod->c->events, &k8s_pods, obj, "Warning",
                                 "IPConflict", "%s", error);
            }
            free(error);
        } else {
            n_ok++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct restore_rec *r = &recs[i];
        free(r->key);
        free(r->owner);
        free(r->subnet);
        free(r->ips);
        free(r->mac);
        free(r->stamp);
    }
    free(recs);
    VLOG_INFO("IPAM rebuilt: %"PRIuSIZE" of %"PRIuSIZE" records from pods, "
              "IP resources and NB ports", n_ok, n);
}

/* Queues every pod key that something of kovn's names but whose pod is
 * gone: the reconciler then removes what is left of it. */
static void
gc_add(struct pod_ctl *pod, struct sset *keys, const char *key)
{
    if (sset_add(keys, key)) {
        k8s_workqueue_add(pod->queue, key);
    }
}

static void
gc_enqueue(struct pod_ctl *pod)
{
    struct sset keys = SSET_INITIALIZER(&keys);
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, pod->c->nb->idl) {
        const char *key = ovn_owner_get(&lsp->external_ids, OVN_OWNER_POD);
        if (key && !k8s_informer_get(pod->pods, key)) {
            gc_add(pod, &keys, key);
        }
    }
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, pod->ips) {
        const char *ns = json_get_string(o->obj, "spec.namespace");
        const char *name = json_get_string(o->obj, "spec.podName");
        if (ns && *ns && name && *name) {
            char *key = xasprintf("%s/%s", ns, name);
            if (!k8s_informer_get(pod->pods, key)) {
                gc_add(pod, &keys, key);
            }
            free(key);
        }
    }
    struct sset owners = SSET_INITIALIZER(&owners);
    ipam_get_owners(pod->c->ipam, NULL, &owners);
    const char *owner;
    SSET_FOR_EACH (owner, &owners) {
        if (!strncmp(owner, "pod ", 4)
            && !k8s_informer_get(pod->pods, owner + 4)) {
            gc_add(pod, &keys, owner + 4);
        }
    }
    sset_destroy(&owners);
    if (!sset_is_empty(&keys)) {
        VLOG_INFO("garbage collection: %"PRIuSIZE" deleted pod(s) to clean "
                  "up", sset_count(&keys));
    }
    sset_destroy(&keys);
}

/* ---- reconcile ---- */

enum result {
    SETTLED,                        /* Nothing more to do. */
    RETRY,                          /* Again later, with backoff. */
    PENDING,                        /* Waits for the NB transaction. */
};

static void
pending_add_write(struct pod_pending *p, int method, char *path,
                  struct json *body, bool deferred)
{
    ovs_assert(p->n < ARRAY_SIZE(p->writes));
    p->writes[p->n++] = (struct pod_write) { method, path, body, deferred };
}

static void OVS_PRINTF_FORMAT(4, 5)
reject(struct pod_ctl *pod, const struct json *obj, const char *reason,
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
    k8s_event_record(pod->c->events, &k8s_pods, obj, "Warning", reason,
                     "%s", msg);
    free(msg);
}

/* Removes everything of pod 'key' (absent or finished).  Adds the port's
 * removal to 't' and the IP resource's deletion to 'p'. */
static void
release_pod(struct pod_ctl *pod, struct ovn_txn *t, const char *key,
            const char *ns, const char *name, struct pod_pending *p)
{
    char *port = ovn_name_pod_port(name, ns);
    char *owner = owner_of(key);

    p->release = true;

    const struct nbrec_logical_switch_port *lsp = nb_find_lsp(pod->c->nbi,
                                                              port);
    if (lsp && ovn_owner_matches(&lsp->external_ids, OVN_OWNER_POD, key)) {
        delete_port(pod, lsp);
    }

    if (k8s_informer_get(pod->ips, port)
        || sset_find_and_delete(&pod->ips_sent, port)) {
        pending_add_write(p, K8S_DELETE,
                          k8s_resource_path(&kubeovn_ips, NULL, port, NULL),
                          NULL, true);
    }
    free(owner);
    free(port);
}

/* The subnet pod 'obj' belongs in. */
static const char *
subnet_of(struct pod_ctl *pod, const struct json *obj, const char *ns)
{
    const char *s = k8s_obj_annotation(obj, ANN_LOGICAL_SWITCH);
    if (s && *s) {
        return s;
    }
    const struct json *nso = k8s_informer_get(pod->c->namespaces, ns);
    s = nso ? k8s_obj_annotation(nso, ANN_LOGICAL_SWITCH) : NULL;
    return s && *s ? s : pod->c->opts.default_subnet;
}

static void
want_ann(struct json *anns, const struct json *obj, const char *key,
         const char *value)
{
    if (!str_eq(k8s_obj_annotation(obj, key), value)) {
        json_object_put_string(anns, key, value);
    }
}

/* The IP resource's spec for 'lease'. */
static struct json *
ip_spec(const struct json *obj, const char *ns, const char *name,
        const char *subnet, const struct ipam_lease *lease)
{
    struct json *spec = json_object_create();
    char v4[INET6_ADDRSTRLEN] = "", v6[INET6_ADDRSTRLEN] = "";
    for (size_t i = 0; i < lease->n_ips; i++) {
        const char *ips = lease->ip_string;
        const char *comma = strchr(ips, ',');
        /* ip_string lists IPv4 first, like ips[]. */
        const char *s = i == 0 ? ips : comma + 1;
        size_t len = i == 0 && comma ? (size_t) (comma - ips) : strlen(s);
        char *dst = lease->ips[i].family == AF_INET ? v4 : v6;
        if (len < INET6_ADDRSTRLEN) {
            memcpy(dst, s, len);
            dst[len] = '\0';
        }
    }
    const char *node = json_get_string(obj, "spec.nodeName");
    json_object_put_string(spec, "podName", name);
    json_object_put_string(spec, "namespace", ns);
    json_object_put_string(spec, "subnet", subnet);
    json_object_put_string(spec, "nodeName", node ? node : "");
    json_object_put_string(spec, "ipAddress", lease->ip_string);
    json_object_put_string(spec, "v4IpAddress", v4);
    json_object_put_string(spec, "v6IpAddress", v6);
    json_object_put_string(spec, "macAddress", lease->mac_string);
    json_object_put_string(spec, "podType", sts_owner(obj) ? "StatefulSet"
                                                           : "");
    return spec;
}

static bool
spec_matches(const struct json *have, const struct json *want)
{
    struct shash_node *node;
    SHASH_FOR_EACH (node, json_object(want)) {
        const char *h = json_get_string(have, node->name);
        if (!str_eq(h, json_string(node->data))) {
            return false;
        }
    }
    return true;
}

static enum result
ensure_pod(struct pod_ctl *pod, struct ovn_txn *t, const char *key,
           const char *ns, const char *name, const struct json *obj,
           struct pod_pending *p)
{
    struct controller *c = pod->c;
    const char *subnet = subnet_of(pod, obj, ns);
    const struct ipam_subnet *is = ipam_subnet_find(c->ipam, subnet);
    if (!is) {
        reject(pod, obj, "LogicalSwitchNotFound",
               "logical switch %s does not exist", subnet);
        return RETRY;
    }
    const struct nbrec_logical_switch *ls = nb_find_switch(c->nbi, subnet);
    if (!ls || !ovn_owner_matches(&ls->external_ids, OVN_OWNER_SUBNET,
                                  subnet)) {
        return RETRY;               /* Its switch is on the way. */
    }

    char *port = ovn_name_pod_port(name, ns);
    const struct nbrec_logical_switch_port *have = nb_find_lsp(c->nbi, port);
    if (have && !ovn_owner_is_kovn(&have->external_ids)) {
        reject(pod, obj, "PortConflict", "logical switch port %s exists in "
               "OVN NB and is not kovn's", port);
        free(port);
        return RETRY;
    }

    char *owner = owner_of(key);
    const struct ipam_lease *lease = ipam_lookup_owner(c->ipam, owner);
    if (lease && lease->subnet != is) {
        /* Moved to another subnet before it was annotated: its old port
         * goes with its old address, whatever becomes of the new one. */
        char *old = xstrdup(ipam_subnet_name(lease->subnet));
        ipam_release(c->ipam, owner);
        if (have) {
            delete_port(pod, have);
            have = NULL;
        }
        usage_changed(pod, old);
        free(old);
        requeue_waiting(pod);
    }
    const char *ips = k8s_obj_annotation(obj, ANN_IP_ADDRESS);
    const char *mac = k8s_obj_annotation(obj, ANN_MAC_ADDRESS);
    bool had = ipam_lookup_owner(c->ipam, owner) != NULL;
    /* A Subnet being deleted waits for its pods to go: no new ones. */
    char *error = (!had && subnet_is_deleting(c->subnet, subnet)
                   ? xasprintf("Subnet %s is being deleted", subnet)
                   : ipam_allocate(c->ipam, subnet, owner, ips, mac, &lease));
    free(owner);
    if (error) {
        bool full = strstr(error, "has no free") != NULL;
        reject(pod, obj, full ? "NoAvailableAddress" : "AcquireAddressFailed",
               "%s", error);
        if (full) {
            sset_add(&pod->waiting, key);
        }
        free(error);
        free(port);
        return RETRY;
    }
    if (!had) {
        VLOG_INFO("pod %s: %s %s in %s", key, lease->ip_string,
                  lease->mac_string, subnet);
        usage_changed(pod, subnet);
    }

    /* The port: addresses "MAC IP [IP6]", as Kube-OVN writes them. */
    char *a = xasprintf("%s %s", lease->mac_string, lease->ip_string);
    for (char *comma = strchr(a, ','); comma; comma = strchr(comma, ',')) {
        *comma = ' ';
    }
    const char *addresses = a;

    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_POD, key, OVN_OWNER_NAMESPACE, ns,
                   OVN_OWNER_SUBNET, subnet, NULL);
    const struct nbrec_logical_switch_port *lsp = have;
    if (!lsp) {
        lsp = nbrec_logical_switch_port_insert(t->txn);
        nbrec_logical_switch_port_set_name(lsp, port);
        nbrec_logical_switch_update_ports_addvalue(ls, lsp);
    } else if (!ovn_owner_matches(&lsp->external_ids, OVN_OWNER_SUBNET,
                                  subnet)) {
        /* kovn keeps a port on the switch its external_ids name, so only
         * then can it be on another one (found by a slower search). */
        const struct nbrec_logical_switch *from
            = nb_find_port_switch(c->nbi, lsp);
        if (from != ls) {
            if (from) {
                nbrec_logical_switch_update_ports_delvalue(from, lsp);
            }
            nbrec_logical_switch_update_ports_addvalue(ls, lsp);
        }
    }
    if (!have || lsp->n_addresses != 1 || strcmp(lsp->addresses[0], a)) {
        nbrec_logical_switch_port_set_addresses(lsp, &addresses, 1);
    }
    if (!have || lsp->n_port_security != 1
        || strcmp(lsp->port_security[0], a)) {
        nbrec_logical_switch_port_set_port_security(lsp, &addresses, 1);
    }
    if (!have || !smap_equal(&lsp->external_ids, &ids)) {
        nbrec_logical_switch_port_set_external_ids(lsp, &ids);
    }
    smap_destroy(&ids);
    free(a);

    /* The annotations, once NB has the port. */
    struct json *anns = json_object_create();
    want_ann(anns, obj, ANN_ALLOCATED, "true");
    want_ann(anns, obj, ANN_IP_ADDRESS, lease->ip_string);
    want_ann(anns, obj, ANN_MAC_ADDRESS, lease->mac_string);
    want_ann(anns, obj, ANN_CIDR, ipam_subnet_cidr_block(is));
    want_ann(anns, obj, ANN_GATEWAY, ipam_subnet_gateway(is));
    want_ann(anns, obj, ANN_LOGICAL_SWITCH, subnet);
    want_ann(anns, obj, ANN_LOGICAL_ROUTER, c->opts.cluster_router);
    want_ann(anns, obj, ANN_ROUTED, "true");
    if (shash_is_empty(json_object(anns))) {
        json_destroy(anns);
    } else {
        struct json *patch = json_object_create();
        json_put_path(patch, "metadata.annotations", anns);
        pending_add_write(p, K8S_PATCH_MERGE,
                          k8s_resource_path(&k8s_pods, ns, name, NULL),
                          patch, false);
    }

    /* The IP resource. */
    struct json *spec = ip_spec(obj, ns, name, subnet, lease);
    const struct json *ip = k8s_informer_get(pod->ips, port);
    if (!ip && sset_contains(&pod->ips_sent, port)
        && !k8s_workqueue_num_requeues(pod->queue, key)) {
        /* Created already; the informer has not seen it yet. */
        json_destroy(spec);
    } else if (!ip) {
        sset_add(&pod->ips_sent, port);
        struct json *res = json_object_create();
        json_object_put_string(res, "apiVersion", "kubeovn.io/v1");
        json_object_put_string(res, "kind", "IP");
        json_put_path(res, "metadata.name", json_string_create(port));
        struct json *labels = json_object_create();
        json_object_put_string(labels, ANN_PREFIX "subnet", subnet);
        json_put_path(res, "metadata.labels", labels);
        json_object_put(res, "spec", spec);
        pending_add_write(p, K8S_POST,
                          k8s_resource_path(&kubeovn_ips, NULL, NULL, NULL),
                          res, true);
    } else if (!spec_matches(json_get_member(ip, "spec"), spec)) {
        struct json *patch = json_object_create();
        json_object_put(patch, "spec", spec);
        pending_add_write(p, K8S_PATCH_MERGE,
                          k8s_resource_path(&kubeovn_ips, NULL, port, NULL),
                          patch, true);
    } else {
        json_destroy(spec);
    }
    free(port);
    return PENDING;
}

static enum result
reconcile(struct pod_ctl *pod, struct ovn_txn *t, const char *key)
{
    char *ns, *name;
    if (!split_key(key, &ns, &name)) {
        return SETTLED;
    }
    struct pod_pending *p = xzalloc(sizeof *p);
    const struct json *obj = k8s_informer_get(pod->pods, key);
    enum result r = PENDING;
    sset_find_and_delete(&pod->waiting, key);

    if (obj && pod_wants_address(obj)) {
        r = ensure_pod(pod, t, key, ns, name, obj, p);
    } else if (obj && !pod_finished(obj)) {
        r = SETTLED;                /* Unscheduled or hostNetwork. */
    } else {
        char *port = ovn_name_pod_port(name, ns);
        const struct json *ip = k8s_informer_get(pod->ips, port);
        free(port);
        if (!obj && sts_keeps(pod, ns, name, ip)) {
            r = SETTLED;            /* Kept for the pod's re-creation. */
        } else {
            release_pod(pod, t, key, ns, name, p);
        }
    }
    if (r == PENDING) {
        shash_add(&pod->pending, key, p);
    } else {
        pending_free(p);
    }
    free(ns);
    free(name);
    return r;
}

static bool
ready(const struct pod_ctl *pod)
{
    return k8s_informer_has_synced(pod->pods)
           && k8s_informer_has_synced(pod->ips)
           && k8s_informer_has_synced(pod->statefulsets)
           && subnet_is_idle(pod->c->subnet);
}

/* Queues every pod once the IPAM is rebuilt: those without an address at
 * once, as their CNI calls wait for it; the others, which only need a
 * check, a batch at a time when nothing else waits (resync_feed()), so
 * that the events that come meanwhile do not wait behind thousands. */
static void
start_resync(struct pod_ctl *pod)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, pod->pods) {
        if (!pod_allocated(o->obj)) {
            k8s_workqueue_add(pod->queue, o->key);
        } else {
            svec_add(&pod->resync, o->key);
        }
    }
}

static void
resync_feed(struct pod_ctl *pod)
{
    if (k8s_workqueue_len(pod->queue)) {
        return;
    }
    for (int i = 0; i < POD_BATCH && pod->resync_next < pod->resync.n; i++) {
        k8s_workqueue_add(pod->queue, pod->resync.names[pod->resync_next++]);
    }
    if (pod->resync_next >= pod->resync.n) {
        svec_clear(&pod->resync);
        pod->resync_next = 0;
    }
}

void
pod_run(struct pod_ctl *pod, struct ovn_txn *t)
{
    if (!pod->restored) {
        if (!ready(pod)) {
            return;
        }
        restore(pod);
        pod->restored = true;
        start_resync(pod);
        /* Their statuses were written before their addresses were known,
         * and a Subnet being deleted waits for the counts. */
        subnet_enqueue_all(pod->c->subnet);
        pod->next_gc = 0;
    }
    if (time_msec() >= pod->next_gc) {
        gc_enqueue(pod);
        pod->next_gc = time_msec() + pod->c->opts.gc_interval_ms;
    }
    resync_feed(pod);
    for (int i = 0; i < POD_BATCH; i++) {
        const char *key = k8s_workqueue_get(pod->queue);
        if (!key) {
            break;
        }
        switch (reconcile(pod, t, key)) {
        case SETTLED:
            k8s_workqueue_forget(pod->queue, key);
            k8s_workqueue_done(pod->queue, key);
            break;
        case RETRY:
            k8s_workqueue_add_rate_limited(pod->queue, key);
            k8s_workqueue_done(pod->queue, key);
            break;
        case PENDING:
            break;
        }
    }
}

bool
pod_is_restored(const struct pod_ctl *pod)
{
    return pod->restored;
}

void
pod_wait(struct pod_ctl *pod)
{
    k8s_workqueue_wait(pod->queue);
    if (pod->restored) {
        poll_timer_wait_until(pod->next_gc);
    }
    if (pod->resync.n) {
        poll_immediate_wake();
    }
}

/* Starts the writes of 'p' whose 'deferred' is as given. */
static void
start_writes(struct pod_ctl *pod, const char *key,
             const struct pod_pending *p, bool deferred)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct pod_write *w = &p->writes[i];
        if (w->deferred == deferred) {
            struct k8s_request *req = api_write(pod->c, w->method, w->path,
                                                w->body, pod->queue, key);
            if (deferred) {
                k8s_request_defer(req);
            }
        }
    }
}

void
pod_txn_done(struct pod_ctl *pod, enum ovsdb_idl_txn_status status)
{
    bool ok = status == TXN_SUCCESS || status == TXN_UNCHANGED;
    if (!ok && !shash_is_empty(&pod->pending)) {
        VLOG_INFO("NB transaction for %"PRIuSIZE" pod(s) ended with %s: "
                  "trying again", shash_count(&pod->pending),
                  ovsdb_idl_txn_status_to_string(status));
    }

    struct shash_node *node;
    SHASH_FOR_EACH (node, &pod->pending) {
        struct pod_pending *p = node->data;
        k8s_workqueue_done(pod->queue, node->name);
        if (!ok) {
            k8s_workqueue_add_rate_limited(pod->queue, node->name);
            continue;
        }
        if (p->release) {
            release_lease(pod, node->name);
        }
        if (!p->n) {
            k8s_workqueue_forget(pod->queue, node->name);
        }
        start_writes(pod, node->name, p, false);
    }
    /* Deferred writes after every other one of the batch, so that even the
     * first of them do not take running slots from annotations. */
    SHASH_FOR_EACH (node, &pod->pending) {
        if (ok) {
            start_writes(pod, node->name, node->data, true);
        }
        pending_free(node->data);
    }
    shash_clear(&pod->pending);
}
