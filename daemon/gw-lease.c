/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "gw-lease.h"

#include <stdlib.h>

#include "hmapx.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-leader.h"
#include "openvswitch/vlog.h"
#include "ovn/subnet-gw.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(gw_lease);

struct gw_lease {
    struct k8s_client *client;
    char *node;
    char *lease_name;
    struct k8s_informer *subnets;
    struct k8s_leader *leader;      /* While this node is a live gateway. */
};

struct gw_lease *
gw_lease_create(struct k8s_client *client, const char *node,
                struct k8s_informer *subnets)
{
    struct gw_lease *gl = xzalloc(sizeof *gl);
    gl->client = client;
    gl->node = xstrdup(node);
    gl->lease_name = xasprintf("%s%s", SUBNET_GW_LEASE_PREFIX, node);
    gl->subnets = subnets;
    k8s_informer_add_index(subnets, SUBNET_INDEX_GATEWAY_NODES,
                           subnet_gw_index_nodes);
    return gl;
}

void
gw_lease_destroy(struct gw_lease *gl)
{
    if (gl) {
        /* Not released: it runs out by itself, and a restarting daemon
         * takes it back at once (same identity). */
        k8s_leader_destroy(gl->leader);
        free(gl->lease_name);
        free(gl->node);
        free(gl);
    }
}

/* Whether a centralized Subnet names this node as a gateway. */
static bool
is_gateway(const struct gw_lease *gl)
{
    const struct hmapx *set = k8s_informer_index_lookup(
        gl->subnets, SUBNET_INDEX_GATEWAY_NODES, gl->node);
    if (!set) {
        return false;
    }
    struct hmapx_node *hn;
    HMAPX_FOR_EACH (hn, set) {
        const struct k8s_object *o = hn->data;
        struct subnet_gw gw;
        char *error = subnet_gw_parse(o->obj, &gw);
        bool centralized = !error && gw.type == SUBNET_GW_CENTRALIZED;
        free(error);
        subnet_gw_destroy(&gw);
        if (centralized) {
            return true;
        }
    }
    return false;
}

void
gw_lease_run(struct gw_lease *gl, bool ovs_ok)
{
    bool want = (ovs_ok && k8s_informer_has_synced(gl->subnets)
                 && is_gateway(gl));
    if (want && !gl->leader) {
        VLOG_INFO("this node is a gateway: renewing Lease %s/%s",
                  SUBNET_GW_LEASE_NAMESPACE, gl->lease_name);
        struct k8s_leader_options o = {
            .namespace = SUBNET_GW_LEASE_NAMESPACE,
            .name = gl->lease_name,
            .identity = gl->node,
            .lease_duration_ms = GW_LEASE_DURATION_S * 1000,
            .renew_deadline_ms = GW_LEASE_DURATION_S * 1000 - 1000,
            .retry_ms = GW_LEASE_RENEW_MS,
        };
        gl->leader = k8s_leader_create(gl->client, &o);
    } else if (!want && gl->leader) {
        VLOG_INFO("%s: no longer renewing Lease %s/%s",
                  ovs_ok ? "this node is no gateway"
                         : "not connected to the node's OVSDB",
                  SUBNET_GW_LEASE_NAMESPACE, gl->lease_name);
        k8s_leader_destroy(gl->leader);
        gl->leader = NULL;
    }
    if (gl->leader) {
        k8s_leader_run(gl->leader);
    }
}

void
gw_lease_wait(struct gw_lease *gl)
{
    if (gl->leader) {
        k8s_leader_wait(gl->leader);
    }
}

bool
gw_lease_held(const struct gw_lease *gl)
{
    return gl->leader && k8s_leader_is_leader(gl->leader);
}
