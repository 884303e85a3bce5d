/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "cluster.h"

#include <string.h>

#include "controller.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nb/nb-index.h"
#include "nb/nb-lb.h"
#include "nb/nb-network.h"
#include "nb/nb-router.h"
#include "ovn/ovn-names.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(cluster);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

struct cluster_ctl {
    struct controller *c;
    struct k8s_request *create_req;     /* Default Subnet being created. */
    long long int next_create_ms;       /* Backoff after a failed create. */

    /* What cluster_run() found at NB seqno 'seqno', if 'checked'. */
    bool checked;
    unsigned int seqno;
    const struct nbrec_logical_router *router;
    const struct nbrec_load_balancer_group *lb_groups[OVN_SERVICES_LB_GROUPS];
    bool lb_groups_ok;                  /* All of them committed. */
};

struct cluster_ctl *
cluster_create(struct controller *c)
{
    struct cluster_ctl *cl = xzalloc(sizeof *cl);
    cl->c = c;
    cl->next_create_ms = LLONG_MIN;
    return cl;
}

void
cluster_destroy(struct cluster_ctl *cl)
{
    if (cl) {
        k8s_request_cancel(cl->create_req);
        free(cl);
    }
}

/* The router, or NULL while it is being created or is someone else's. */
static const struct nbrec_logical_router *
ensure_router(struct cluster_ctl *cl, struct ovn_txn *t)
{
    const char *name = cl->c->opts.cluster_router;
    const struct nbrec_logical_router *lr = nb_find_router(cl->c->nbi, name);
    if (!lr) {
        nb_router_insert(t, name);
        VLOG_INFO("creating logical router %s", name);
        /* Its ports are added by mutation once it is committed. */
        return NULL;
    }
    if (!ovn_owner_is_kovn(&lr->external_ids)) {
        VLOG_ERR_RL(&rl, "logical router %s exists in OVN NB without "
                    "external_ids:vendor=kovn: kovn does not take it over; "
                    "no subnet can be set up until it is removed or "
                    "--cluster-router names another", name);
        return NULL;
    }
    return lr;
}

static void
ensure_join(struct cluster_ctl *cl, struct ovn_txn *t,
            const struct nbrec_logical_router *router)
{
    char *error = network_check_foreign(cl->c->nbi, router->name,
                                        OVN_JOIN_SWITCH);
    if (error) {
        VLOG_ERR_RL(&rl, "join network: %s", error);
        free(error);
        return;
    }

    /* The join switch's gateway is the first address of --join-cidr. */
    struct svec excludes = SVEC_EMPTY_INITIALIZER;
    struct network_spec spec = {
        .name = OVN_JOIN_SWITCH,
        .n_cidrs = 1,
        .cidrs = { cl->c->join_cidr },
        .gateways = { { cl->c->join_cidr.family,
                        cl->c->join_cidr.network + 1 } },
        .excludes = &excludes,
        .lb_groups = cl->lb_groups,
        .n_lb_groups = OVN_SERVICES_LB_GROUPS,
    };
    char buf[CIDR_IP_STRLEN];
    svec_add(&excludes, cidr_ip_format(spec.gateways[0].family,
                                       spec.gateways[0].n, buf));
    network_ensure(t, cl->c->nbi, router, &spec);
    svec_destroy(&excludes);
}

/* The router's own policies and route.  ClusterIPs are DNATed on the
 * switches: one that reaches the router has no Service behind it, and must
 * be routed (to nowhere), not sent to a node as pods' outbound traffic is
 * (node-gateway.h). */
static void
ensure_service_policies(struct cluster_ctl *cl, struct ovn_txn *t,
                        const struct nbrec_logical_router *router)
{
    struct ip_cidr cidrs[2];
    size_t n = 0;
    char *error = cidr_parse_block(cl->c->opts.service_cidr, cidrs, &n);
    if (error) {
        free(error);                /* main.c checked it. */
        return;
    }
    nb_policies_allow_cidrs(t, router, OVN_OWNER_VPC, router->name, cidrs,
                            n);

    /* Policies apply to routed packets only: a default route (via the
     * router's own join address, as Kube-OVN's) lets pods' outbound
     * traffic reach the policy that sends it to their node. */
    const struct ip_cidr *j = &cl->c->join_cidr;
    char gw[CIDR_IP_STRLEN];
    cidr_ip_format(j->family, j->network + 1, gw);
    nb_routes_ensure(t, router, OVN_OWNER_VPC, router->name,
                     j->family == AF_INET ? "0.0.0.0/0" : "::/0", gw);
}

/* The default Subnet, as Kube-OVN's controller creates it from its
 * flags. */
static struct json *
default_subnet_json(const struct controller_options *o)
{
    struct json *s = json_object_create();
    json_object_put_string(s, "apiVersion", "kubeovn.io/v1");
    json_object_put_string(s, "kind", "Subnet");
    json_put_path(s, "metadata.name", json_string_create(o->default_subnet));

    struct json *spec = json_object_ensure(s, "spec");
    json_object_put(spec, "default", json_boolean_create(true));
    json_object_put_string(spec, "cidrBlock", o->default_cidr);
    json_object_put_string(spec, "gateway", o->default_gateway);
    json_object_put_string(spec, "protocol",
                           strchr(o->default_cidr, ',') ? "Dual"
                           : strchr(o->default_cidr, ':') ? "IPv6" : "IPv4");
    /* As Kube-OVN's: pods reach the world through their nodes' addresses.
     * provider, vpc and gatewayType are filled in like any Subnet's
     * defaults (subnet-defaults.h). */
    json_object_put(spec, "natOutgoing", json_boolean_create(true));

    /* Kube-OVN excludes just the gateway when no excludeIps are given. */
    struct json *ex = json_array_create_empty();
    const char *list = *o->default_excludes ? o->default_excludes
                                            : o->default_gateway;
    char *copy = xstrdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        json_array_add(ex, json_string_create(tok));
    }
    free(copy);
    json_object_put(spec, "excludeIps", ex);
    return s;
}

static void
create_done(struct k8s_request *req OVS_UNUSED,
            const struct k8s_response *r, void *cl_)
{
    struct cluster_ctl *cl = cl_;
    cl->create_req = NULL;
    if (k8s_response_ok(r)) {
        VLOG_INFO("created Subnet %s", cl->c->opts.default_subnet);
    } else if (r->status != 409) {      /* 409: exists; the cache lags. */
        VLOG_WARN_RL(&rl, "creating Subnet %s: %s",
                     cl->c->opts.default_subnet, r->error);
        cl->next_create_ms = time_msec() + 5000;
    }
}

/* Only the absence of the default Subnet is acted on: a user may change its
 * spec, which the subnet reconciler then applies like any other. */
static void
ensure_default_subnet(struct cluster_ctl *cl)
{
    struct controller *c = cl->c;
    if (!c->client || cl->create_req || time_msec() < cl->next_create_ms
        || k8s_informer_get(controller_cache(c, IN_SUBNETS),
                            c->opts.default_subnet)) {
        return;
    }
    struct json *obj = default_subnet_json(&c->opts);
    cl->create_req = k8s_create(c->client, &kubeovn_subnets, NULL, obj,
                                create_done, cl);
    json_destroy(obj);
}

/* The Services' groups; retires the single group of earlier versions once
 * they all exist (the switches then carry them, and the Services' load
 * balancers are in them: see OVN_SERVICES_LB_GROUPS). */
static void
ensure_lb_groups(struct cluster_ctl *cl, struct ovn_txn *t)
{
    bool ok = true;
    for (unsigned int i = 0; i < OVN_SERVICES_LB_GROUPS; i++) {
        char *name = ovn_name_services_lb_group(i);
        cl->lb_groups[i] = nb_lb_group_ensure(t, cl->c->nbi, name);
        ok = ok && cl->lb_groups[i];
        free(name);
    }
    cl->lb_groups_ok = ok;
    if (ok && nb_lb_group_retire(cl->c->nbi, OVN_SERVICES_LB_GROUP_V1,
                                 cl->lb_groups, OVN_SERVICES_LB_GROUPS)) {
        VLOG_INFO("retired load balancer group %s (now %d groups)",
                  OVN_SERVICES_LB_GROUP_V1, OVN_SERVICES_LB_GROUPS);
    }
}

const struct nbrec_logical_router *
cluster_run(struct cluster_ctl *cl, struct ovn_txn *t)
{
    ensure_default_subnet(cl);

    /* The main loop runs for every chunk of every API response: checking
     * these rows only when NB changed keeps that cheap. */
    unsigned int seqno = ovn_idl_seqno(cl->c->nb);
    if (!cl->checked || cl->seqno != seqno) {
        cl->router = ensure_router(cl, t);
        ensure_lb_groups(cl, t);
        if (cl->router) {
            ensure_join(cl, t, cl->router);
            ensure_service_policies(cl, t, cl->router);
        }
        cl->checked = true;
        cl->seqno = seqno;
    }
    /* Switches are created with the groups of Services on them: nothing
     * goes ahead without them. */
    return cl->lb_groups_ok ? cl->router : NULL;
}

const struct nbrec_load_balancer_group *const *
cluster_lb_groups(const struct cluster_ctl *cl)
{
    return cl->router && cl->lb_groups_ok ? cl->lb_groups : NULL;
}

void
cluster_txn_done(struct cluster_ctl *cl, enum ovsdb_idl_txn_status status)
{
    if (status != TXN_SUCCESS && status != TXN_UNCHANGED) {
        cl->checked = false;        /* Its writes may not have landed. */
    }
}

bool
cluster_is_idle(const struct cluster_ctl *cl)
{
    return !cl->create_req;
}

void
cluster_wait(struct cluster_ctl *cl)
{
    if (!cl->create_req && cl->next_create_ms != LLONG_MIN) {
        poll_timer_wait_until(cl->next_create_ms);
    }
}
