/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "service.h"

#include <string.h>

#include "controller.h"
#include "hmapx.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nb/nb-lb.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "reconciler.h"
#include "smap.h"
#include "svc/svc-model.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(service);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

#define LB_NAME_PREFIX "kovn-svc:"

static char *
lb_name(const char *key, enum svc_proto proto)
{
    return xasprintf(LB_NAME_PREFIX "%s:%s", key, svc_proto_name(proto));
}

/* The EndpointSlices of Service 'key', in 'slices' (an array the caller
 * frees); returns their number. */
static size_t
find_slices(const struct kind *k, const char *key,
            const struct json ***slices)
{
    const struct hmapx *set = k8s_informer_index_lookup(
        controller_cache(k->c, IN_ENDPOINTSLICES), SERVICE_INDEX_SLICES, key);
    size_t n = 0;
    *slices = xmalloc((set ? hmapx_count(set) : 0) * sizeof **slices + 1);
    if (set) {
        struct hmapx_node *node;
        HMAPX_FOR_EACH (node, set) {
            const struct k8s_object *o = node->data;
            (*slices)[n++] = o->obj;
        }
    }
    return n;
}

/* "b1:p,b2:p" of the backends of 'port' in 'family'. */
static char *
backends_of(const struct svc_port *port, int family)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < port->n_backends; i++) {
        const struct svc_backend *b = &port->backends[i];
        if (b->family == family) {
            if (s.length) {
                ds_put_char(&s, ',');
            }
            svc_put_endpoint(&s, b->family, b->ip, b->port);
        }
    }
    return ds_steal_cstr(&s);
}

static void
add_vips(const struct svc_vip *vips, size_t n, const struct svc_port *port,
         struct smap *out)
{
    for (size_t i = 0; i < n; i++) {
        struct ds key = DS_EMPTY_INITIALIZER;
        svc_put_endpoint(&key, vips[i].family, vips[i].ip, port->port);
        smap_replace_nocopy(out, ds_cstr(&key),
                            backends_of(port, vips[i].family));
        ds_destroy(&key);
    }
}

/* The 'vips' column of the load balancer of 'proto'. */
static void
lb_vips(const struct svc_model *m, enum svc_proto proto, struct smap *out)
{
    smap_init(out);
    for (size_t i = 0; m->has_vips && i < m->n_ports; i++) {
        const struct svc_port *port = &m->ports[i];
        if (port->proto == proto) {
            add_vips(m->cluster_ips, m->n_cluster_ips, port, out);
            add_vips(m->external_ips, m->n_external_ips, port, out);
        }
    }
}

static void
lb_options(struct smap *out)
{
    smap_init(out);
    /* A VIP without backends answers with a TCP reset or an ICMP
     * unreachable, so clients fail at once instead of timing out. */
    smap_add(out, "reject", "true");
}

/* sessionAffinity ClientIP: the backend is a hash of the client's address.
 *
 * Not options:affinity_timeout, which would honour the Service's own
 * timeoutSeconds: in OVN 23.03 (Debian bookworm's) the first SYN of each
 * affinity session is committed to conntrack by ct_lb_mark, then dropped
 * by the stage that learns the affinity; its retransmissions come back
 * already DNATed, miss the learnt flow (which matches the VIP), and are
 * dropped in turn, so no new session ever connects (seen on the sandbox
 * in the datapath flows).  Hashing keeps a client on one backend, beyond
 * the timeout too, until the backends change. */
static const char *const affinity_fields[] = { "ip_src" };

/* Makes the load balancers of Service 'key' those of 'm' (NULL: none). */
static void
ensure_lbs(struct kind *k, struct ovn_txn *t, const char *key,
           const struct svc_model *m)
{
    struct controller *c = k->c;
    const struct nbrec_load_balancer_group *group
        = c->lb_groups[ovn_services_lb_group_of(key)];
    for (int p = 0; p < N_SVC_PROTOS; p++) {
        char *name = lb_name(key, p);
        struct smap vips;
        if (m) {
            lb_vips(m, p, &vips);
        } else {
            smap_init(&vips);
        }
        if (smap_is_empty(&vips)) {
            if (nb_lb_remove(c->nbi, group, name)) {
                VLOG_INFO("Service %s: removed load balancer %s", key, name);
            }
        } else {
            struct smap options, ids = SMAP_INITIALIZER(&ids);
            lb_options(&options);
            ovn_owner_init(&ids, OVN_OWNER_SERVICE, key, NULL);
            struct nb_lb_spec spec = {
                .name = name,
                .protocol = svc_proto_name(p),
                .vips = &vips,
                .options = &options,
                .selection_fields = (m->affinity_timeout ? affinity_fields
                                     : NULL),
                .n_selection_fields = (m->affinity_timeout
                                       ? ARRAY_SIZE(affinity_fields) : 0),
                .external_ids = &ids,
            };
            if (!nb_lb_ensure(t, c->nbi, group, &spec)) {
                VLOG_WARN_RL(&rl, "Service %s: load balancer %s exists in "
                             "NB without vendor=kovn: left alone", key,
                             name);
            }
            smap_destroy(&options);
            smap_destroy(&ids);
        }
        smap_destroy(&vips);
        free(name);
    }
}

static enum reconcile_result
service_reconcile(struct kind *k, const char *key, struct ovn_txn *t,
                  struct kind_work *w OVS_UNUSED)
{
    const struct json *svc = k8s_informer_get(
        controller_cache(k->c, IN_SERVICES), key);
    if (!svc) {
        ensure_lbs(k, t, key, NULL);
        return RECONCILE_PENDING;
    }

    const struct json **slices;
    size_t n_slices = find_slices(k, key, &slices);
    struct svc_model m;
    char *error = svc_model_build(svc, slices, n_slices, &m);
    free(slices);
    if (error) {
        /* The API validates Services, so this is rare (an address family
         * kovn cannot parse?): what NB has is kept, nothing half-made. */
        VLOG_WARN_RL(&rl, "Service %s: %s", key, error);
        controller_event(k->c, &k8s_services, svc, "Warning",
                         "InvalidService", "kovn cannot load-balance this "
                         "Service: %s", error);
        free(error);
        svc_model_destroy(&m);
        return RECONCILE_SETTLED;
    }
    ensure_lbs(k, t, key, &m);
    svc_model_destroy(&m);
    return RECONCILE_PENDING;
}

/* The Services that kovn's load balancers name. */
static void
enqueue_lb_owners(struct kind *k, bool only_gone)
{
    const struct nbrec_load_balancer *lb;
    struct k8s_informer *services = controller_cache(k->c, IN_SERVICES);
    NBREC_LOAD_BALANCER_FOR_EACH (lb, k->c->nb->idl) {
        const char *key = ovn_owner_get(&lb->external_ids,
                                        OVN_OWNER_SERVICE);
        if (key && (!only_gone || !k8s_informer_get(services, key))) {
            kind_enqueue(k, key, 0);
        }
    }
}

static void
service_enqueue_all(struct kind *k)
{
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(k->c, IN_SERVICES)) {
        kind_enqueue(k, o->key, 0);
    }
    enqueue_lb_owners(k, false);    /* Deleted while no controller ran. */
}

static void
service_gc(struct kind *k)
{
    enqueue_lb_owners(k, true);
}

const struct kind_class service_class = {
    .name = "service",
    .phase = PHASE_RUNNING,
    .batch = 512,
    .enqueue_all = service_enqueue_all,
    .reconcile = service_reconcile,
    .gc = service_gc,
};
