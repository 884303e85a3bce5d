/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* The pods' garbage collection (pod.h). */

#include <config.h>
#include "pod.h"

#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "ip-resource.h"
#include "ipam/ipam.h"
#include "k8s/k8s-informer.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "sset.h"
#include "util.h"

static void
add_if_gone(const struct k8s_informer *pods, struct sset *keys,
            const char *key)
{
    if (!k8s_informer_get(pods, key)) {
        sset_add(keys, key);
    }
}

void
pod_gc_keys(const struct controller *c, struct sset *keys)
{
    const struct k8s_informer *pods = controller_cache(c, IN_PODS);

    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, c->nb->idl) {
        const char *key = ovn_owner_get(&lsp->external_ids, OVN_OWNER_POD);
        if (key) {
            add_if_gone(pods, keys, key);
        }
    }

    struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, controller_cache(c, IN_IPS)) {
        char *key = ip_resource_pod_key(o->obj);
        if (key) {
            add_if_gone(pods, keys, key);
            free(key);
        }
    }

    struct sset owners = SSET_INITIALIZER(&owners);
    ipam_get_owners(c->ipam, NULL, &owners);
    const char *owner;
    SSET_FOR_EACH (owner, &owners) {
        const char *key = ovn_owner_ipam_parse(owner, OVN_OWNER_POD);
        if (key) {
            add_if_gone(pods, keys, key);
        }
    }
    sset_destroy(&owners);
}
