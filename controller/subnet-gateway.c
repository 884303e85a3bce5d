/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet-gateway.h"

#include <string.h>

#include "controller.h"
#include "gw-liveness.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nb/nb-network.h"
#include "nb/nb-router.h"
#include "objects.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-owner.h"
#include "ovn/subnet-gw.h"
#include "registry.h"
#include "subnet-status.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(subnet_gateway);

/* The live gateway nodes that take the traffic, into 'active'; returns
 * the earliest time one of them stops being live unless its Lease is
 * renewed (LLONG_MAX if none is active). */
static long long int
choose_active(const struct controller *c, const struct subnet_gw *gw,
              struct svec *active)
{
    long long int now = time_msec();
    long long int recheck = LLONG_MAX;
    for (size_t i = 0; i < gw->n_nodes; i++) {
        long long int until;
        if (gw_node_live(c, gw->nodes[i].name, now, &until)) {
            svec_add(active, gw->nodes[i].name);
            recheck = MIN(recheck, until);
            if (!gw->ecmp) {
                break;
            }
        }
    }
    return recheck;
}

/* The join addresses of family 'family' of the nodes 'active'. */
static void
join_addresses(const struct controller *c, const struct svec *active,
               int family, struct svec *out)
{
    for (size_t i = 0; i < active->n; i++) {
        const struct json *node = k8s_informer_get(
            controller_cache(c, IN_NODES), active->names[i]);
        struct ovn_ann_network net;
        char *error = node ? ovn_ann_network_parse(node, &net)
                           : xstrdup("gone");
        if (error) {
            free(error);            /* gw_node_live() saw it allocated. */
            continue;
        }
        for (size_t j = 0; j < net.n_addrs; j++) {
            if (net.addrs[j].ip.family == family) {
                char buf[CIDR_IP_STRLEN];
                svec_add(out, cidr_ip_format(family, net.addrs[j].ip.n, buf));
            }
        }
    }
}

/* The policies that send the Subnet's traffic to 'active'. */
static void
ensure_policies(struct controller *c, struct ovn_txn *t, const char *name,
                const struct network_spec *spec, const struct svec *active)
{
    struct nb_policy_spec want[2];
    char *matches[2];
    struct svec hops[2];
    size_t n = 0;
    for (size_t i = 0; i < spec->n_cidrs; i++) {
        const struct ip_cidr *cidr = &spec->cidrs[i];
        svec_init(&hops[n]);
        join_addresses(c, active, cidr->family, &hops[n]);
        if (!hops[n].n) {
            svec_destroy(&hops[n]);
            continue;
        }
        struct ds m = DS_EMPTY_INITIALIZER;
        ds_put_format(&m, "%s.src == ",
                      cidr->family == AF_INET ? "ip4" : "ip6");
        cidr_put(cidr, &m);
        matches[n] = ds_steal_cstr(&m);
        want[n] = (struct nb_policy_spec) {
            NB_POLICY_REROUTE_CENTRALIZED, matches[n], "reroute",
            (const char *const *) hops[n].names, hops[n].n };
        n++;
    }
    nb_policies_ensure(t, c->router, OVN_OWNER_GATEWAY, name, want, n);
    for (size_t i = 0; i < n; i++) {
        free(matches[i]);
        svec_destroy(&hops[i]);
    }
}

static void
refuse(struct controller *c, const struct json *obj, char *error,
       struct subnet_status *st)
{
    const char *had = subnet_condition_message(obj, SUBNET_GATEWAY_CONDITION);
    if (!obj_str_eq(had, error)) {
        VLOG_WARN("Subnet %s: gateway settings refused, the router keeps "
                  "what it has: %s", k8s_obj_name(obj), error);
        controller_event(c, &kubeovn_subnets, obj, "Warning",
                         "InvalidGateway", "gateway settings refused, the "
                         "router keeps what it has: %s", error);
    }
    st->gateway = (struct subnet_condition) {
        SUBNET_GATEWAY_CONDITION, false, "InvalidGateway", error };
}

/* Says once, when the active gateways change, which they are now. */
static void
log_change(const struct json *obj, const char *active)
{
    const char *was = json_get_string(obj, "status.activateGateway");
    if (!obj_str_eq(was ? was : "", active)) {
        VLOG_INFO("Subnet %s: active gateway %s (was %s)", k8s_obj_name(obj),
                  *active ? active : "none", was && *was ? was : "none");
    }
}

long long int
subnet_gateway_ensure(struct controller *c, struct ovn_txn *t,
                      const struct json *obj, const struct network_spec *spec,
                      struct subnet_status *st)
{
    const char *name = k8s_obj_name(obj);
    struct subnet_gw gw;
    char *error = subnet_gw_parse(obj, &gw);
    if (error) {
        refuse(c, obj, error, st);
        return 0;
    }

    struct svec active = SVEC_EMPTY_INITIALIZER;
    long long int recheck = LLONG_MAX;
    if (gw.type == SUBNET_GW_CENTRALIZED) {
        recheck = choose_active(c, &gw, &active);
    }
    ensure_policies(c, t, name, spec, &active);
    st->active_gateway = svec_join(&active, ",", "");
    log_change(obj, st->active_gateway);
    if (gw.type == SUBNET_GW_CENTRALIZED && !active.n) {
        char *nodes = xstrdup(json_get_string(obj, "spec.gatewayNode"));
        st->gateway = (struct subnet_condition) {
            SUBNET_GATEWAY_CONDITION, false, "NoGatewayAlive",
            xasprintf("no gateway node of \"%s\" is live (Ready, with "
                      "kovn-daemon renewing its Lease): pods leave through "
                      "their own nodes", nodes) };
        free(nodes);
    } else {
        st->gateway = (struct subnet_condition) {
            SUBNET_GATEWAY_CONDITION, true, NULL, NULL };
    }
    svec_destroy(&active);
    subnet_gw_destroy(&gw);

    long long int now = time_msec();
    return recheck == LLONG_MAX ? 0 : MAX(recheck - now, 1) + 1;
}

void
subnet_gateway_remove(struct controller *c, struct ovn_txn *t,
                      const char *name)
{
    nb_policies_ensure(t, c->router, OVN_OWNER_GATEWAY, name, NULL, 0);
}
