/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "node-gateway.h"

#include <string.h>
#include <sys/socket.h>

#include "controller.h"
#include "hmapx.h"
#include "ipam/cidr.h"
#include "ipam/ipam.h"
#include "k8s/k8s-informer.h"
#include "nb/nb-acl.h"
#include "nb/nb-router.h"
#include "objects.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "sset.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

/* "kovn.node.<name>_ip4": '-' becomes '_' (which DNS names never hold), as
 * address set names in matches are identifiers. */
static char *
pods_set_name(const char *node, int family)
{
    char *name = xasprintf("kovn.node.%s_ip%c", node,
                           family == AF_INET ? '4' : '6');
    for (char *p = name; *p; p++) {
        if (*p == '-') {
            *p = '_';
        }
    }
    return name;
}

/* The addresses of the pods on 'node', by family. */
static void
pod_addresses(const struct controller *c, const char *node,
              struct sset *v4, struct sset *v6)
{
    const struct hmapx *pods = k8s_informer_index_lookup(
        controller_cache(c, IN_PODS), NODE_INDEX_PODS, node);
    if (!pods) {
        return;
    }
    struct hmapx_node *hn;
    HMAPX_FOR_EACH (hn, pods) {
        const struct k8s_object *o = hn->data;
        const char *ips = k8s_obj_annotation(o->obj, OVN_ANN_IP_ADDRESS);
        char *copy = xstrdup(ips ? ips : ""), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            struct ip_addr a;
            char *error = cidr_parse_ip(tok, &a);
            if (!error) {
                sset_add(a.family == AF_INET ? v4 : v6, tok);
            }
            free(error);
        }
        free(copy);
    }
}

static bool
ensure_sets(struct controller *c, struct ovn_txn *t, const char *name,
            const struct sset *v4, const struct sset *v6)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NODE, name, NULL);
    bool ok = true;
    for (int i = 0; i < 2; i++) {
        int family = i ? AF_INET6 : AF_INET;
        char *set = pods_set_name(name, family);
        if (!nb_address_set_ensure(t, c->nbi, set, &ids, i ? v6 : v4)) {
            ok = false;         /* Someone else's: no reroute to it. */
        }
        free(set);
    }
    smap_destroy(&ids);
    return ok;
}

static void
remove_sets(struct controller *c, const char *name)
{
    for (int i = 0; i < 2; i++) {
        char *set = pods_set_name(name, i ? AF_INET6 : AF_INET);
        nb_address_set_remove(c->nbi, set);
        free(set);
    }
}

bool
node_gateway_ensure(struct controller *c, struct ovn_txn *t,
                    const char *name, const struct json *obj,
                    const struct ipam_lease *lease)
{
    if (!obj || !lease) {
        bool changed = nb_policies_ensure(t, c->router, OVN_OWNER_NODE, name,
                                          NULL, 0);
        remove_sets(c, name);
        return changed;
    }

    struct sset v4 = SSET_INITIALIZER(&v4), v6 = SSET_INITIALIZER(&v6);
    pod_addresses(c, name, &v4, &v6);
    bool sets_ok = ensure_sets(c, t, name, &v4, &v6);
    sset_destroy(&v4);
    sset_destroy(&v6);

    struct nb_policy_spec want[4];
    char *matches[4];
    char *nexthops[2];
    size_t n = 0, n_nexthops = 0;
    for (size_t i = 0; i < lease->n_ips; i++) {
        int family = lease->ips[i].family;
        const char *ipv = family == AF_INET ? "ip4" : "ip6";
        char buf[CIDR_IP_STRLEN];
        nexthops[n_nexthops] = xstrdup(cidr_ip_format(family,
                                                      lease->ips[i].n, buf));
        const char *node_ip = k8s_node_internal_ip(obj, family);
        if (node_ip) {
            matches[n] = xasprintf("%s.dst == %s", ipv, node_ip);
            want[n] = (struct nb_policy_spec) {
                NB_POLICY_ALLOW_INTERNAL, matches[n], "allow", NULL, 0 };
            n++;
        }
        if (sets_ok) {
            char *set = pods_set_name(name, family);
            matches[n] = xasprintf("%s.src == $%s", ipv, set);
            free(set);
            want[n] = (struct nb_policy_spec) {
                NB_POLICY_REROUTE_GATEWAY, matches[n], "reroute",
                (const char *const *) &nexthops[n_nexthops], 1 };
            n++;
        }
        n_nexthops++;
    }
    bool changed = nb_policies_ensure(t, c->router, OVN_OWNER_NODE, name,
                                      want, n);
    for (size_t i = 0; i < n; i++) {
        free(matches[i]);
    }
    for (size_t i = 0; i < n_nexthops; i++) {
        free(nexthops[i]);
    }
    return changed;
}

static void
add_node_if_addressed(const struct json *pod, struct svec *nodes)
{
    const char *node = json_get_string(pod, "spec.nodeName");
    if (node && k8s_obj_annotation(pod, OVN_ANN_IP_ADDRESS)) {
        svec_add(nodes, node);
    }
}

void
node_gateway_pod_nodes(const struct json *old, const struct json *new,
                       struct svec *nodes)
{
    if (old && new
        && obj_same_at(old, new, "spec.nodeName")
        && obj_str_eq(k8s_obj_annotation(old, OVN_ANN_IP_ADDRESS),
                      k8s_obj_annotation(new, OVN_ANN_IP_ADDRESS))) {
        return;
    }
    if (old) {
        add_node_if_addressed(old, nodes);
    }
    if (new) {
        add_node_if_addressed(new, nodes);
    }
}
