/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* The pods' part of the IPAM's rebuild at start-up (pod.h). */

#include <config.h>
#include "pod.h"

#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "ip-resource.h"
#include "ipam/ipam.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-lsp-addresses.h"
#include "ovn/ovn-owner.h"
#include "pod-obj.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(pod_rebuild);

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
    r->owner = ovn_owner_ipam(OVN_OWNER_POD, key);
    r->subnet = xstrdup(subnet);
    r->ips = xstrdup(ips);
    r->mac = mac && *mac ? xstrdup(mac) : NULL;
    r->stamp = xstrdup(stamp ? stamp : "");
}

void
pod_ipam_rebuild(struct controller *c)
{
    struct k8s_informer *pods = controller_cache(c, IN_PODS);
    struct restore_rec *recs = NULL;
    size_t n = 0, allocated = 0;

    /* (1) Annotated pods, oldest first. */
    size_t n_pods_start = n;
    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, pods) {
        if (pod_allocated(o->obj) && !pod_finished(o->obj)) {
            add_rec(&recs, &n, &allocated, o->key,
                    k8s_obj_annotation(o->obj, OVN_ANN_LOGICAL_SWITCH),
                    k8s_obj_annotation(o->obj, OVN_ANN_IP_ADDRESS),
                    k8s_obj_annotation(o->obj, OVN_ANN_MAC_ADDRESS),
                    json_get_string(o->obj, "metadata.creationTimestamp"));
        }
    }
    if (n > n_pods_start) {
        qsort(recs + n_pods_start, n - n_pods_start, sizeof *recs,
              compare_recs);
    }

    /* (2) IP resources of pods. */
    K8S_INFORMER_FOR_EACH (o, controller_cache(c, IN_IPS)) {
        char *key = ip_resource_pod_key(o->obj);
        if (key) {
            add_rec(&recs, &n, &allocated, key,
                    json_get_string(o->obj, "spec.subnet"),
                    json_get_string(o->obj, "spec.ipAddress"),
                    json_get_string(o->obj, "spec.macAddress"), "");
            free(key);
        }
    }

    /* (3) kovn's pod ports: addresses "MAC IP [IP6]". */
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, c->nb->idl) {
        const char *key = ovn_owner_get(&lsp->external_ids, OVN_OWNER_POD);
        const char *subnet = ovn_owner_get(&lsp->external_ids,
                                           OVN_OWNER_SUBNET);
        if (!key || !subnet || !lsp->n_addresses) {
            continue;
        }
        struct ovn_lsp_addresses a;
        char *error = ovn_lsp_addresses_parse(lsp->addresses[0], true,
                                              &a);
        if (!error) {
            struct ds ips = DS_EMPTY_INITIALIZER;
            ovn_lsp_addresses_put_ips(&a, &ips);
            add_rec(&recs, &n, &allocated, key, subnet, ds_cstr(&ips),
                    a.mac_s, "");
            ds_destroy(&ips);
        }
        free(error);
    }

    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        struct restore_rec *r = &recs[i];
        struct ipam_record rec = {
            .subnet = r->subnet, .owner = r->owner,
            .ips = r->ips, .mac = r->mac,
        };
        char *error = ipam_restore_one(c->ipam, &rec);
        if (error) {
            VLOG_WARN("IPAM rebuild: %s", error);
            const struct json *obj = k8s_informer_get(pods, r->key);
            if (obj) {
                controller_event(c, &k8s_pods, obj, "Warning", "IPConflict",
                                 "%s", error);
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

