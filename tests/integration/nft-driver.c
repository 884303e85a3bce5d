/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* A driver for kovn-daemon's nftables module (daemon/node-services.h):
 * the daemon's own code, fed from synthetic informers instead of an
 * apiserver, applied to the network namespace it runs in.  Run it inside a
 * test's namespace ("ip netns exec NS nft-driver NODE [SERVICE_CIDR]").
 *
 * It reads commands on stdin, one a line, and answers each with lines
 * ending in one "ok ..." or "error ..." line:
 *   put FILE          a Service, EndpointSlice, Subnet, Node or Pod (of
 *                     this node) (JSON file)
 *   del KIND KEY      KIND: service, slice, subnet, node, pod
 *   sync              runs the module until it is idle; answers its
 *                     counters: "ok txns=N commands=N errors=N resyncs=N
 *                     replaces=N services=N elems=N"
 *   resync            the same after a read-back resync
 *   list              the table with handles ("nft -a list table")
 *   quit */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam/cidr.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "nft.h"
#include "node-services.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "util/json-util.h"

static struct node_services *ns;

static void
on_service(const struct json *obj, void *aux OVS_UNUSED)
{
    node_services_service_changed(ns, obj);
}

static void
on_service_update(const struct json *old OVS_UNUSED, const struct json *new,
                  void *aux OVS_UNUSED)
{
    node_services_service_changed(ns, new);
}

static void
on_slice(const struct json *obj, void *aux OVS_UNUSED)
{
    node_services_slice_changed(ns, obj);
}

static void
on_slice_update(const struct json *old, const struct json *new,
                void *aux OVS_UNUSED)
{
    node_services_slice_changed(ns, old);
    node_services_slice_changed(ns, new);
}

static void
on_network(const struct json *obj OVS_UNUSED, void *aux OVS_UNUSED)
{
    node_services_networks_changed(ns);
}

static void
on_network_update(const struct json *old OVS_UNUSED,
                  const struct json *new OVS_UNUSED, void *aux OVS_UNUSED)
{
    node_services_networks_changed(ns);
}

static void
on_pod(const struct json *obj, void *aux OVS_UNUSED)
{
    node_services_pod_changed(ns, NULL, obj);
}

static void
on_pod_update(const struct json *old, const struct json *new,
              void *aux OVS_UNUSED)
{
    node_services_pod_changed(ns, old, new);
}

static void
on_pod_delete(const struct json *obj, void *aux OVS_UNUSED)
{
    node_services_pod_changed(ns, obj, NULL);
}

static void
print_stats(void)
{
    struct node_services_stats s;
    node_services_get_stats(ns, &s);
    printf("ok txns=%llu commands=%llu errors=%llu resyncs=%llu "
           "replaces=%llu services=%"PRIuSIZE" elems=%"PRIuSIZE"\n",
           s.n_txns, s.n_commands, s.n_errors, s.n_resyncs, s.n_replaces,
           s.n_services, s.n_elems);
}

int
main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("node_services:console:info");
    if (argc < 2 || argc > 3) {
        ovs_fatal(0, "usage: %s NODE [SERVICE_CIDR[,CIDR]]", argv[0]);
    }
    struct ip_cidr cidrs[2];
    size_t n_cidrs = 0;
    char *error = cidr_parse_block(argc > 2 ? argv[2] : "10.96.0.0/12",
                                   cidrs, &n_cidrs);
    if (error) {
        ovs_fatal(0, "%s", error);
    }

    static const struct k8s_informer_handlers service_h = {
        on_service, on_service_update, on_service,
    };
    static const struct k8s_informer_handlers slice_h = {
        on_slice, on_slice_update, on_slice,
    };
    static const struct k8s_informer_handlers net_h = {
        on_network, on_network_update, on_network,
    };
    static const struct k8s_informer_handlers pod_h = {
        on_pod, on_pod_update, on_pod_delete,
    };
    struct k8s_informer_options all = { .namespace = NULL };
    struct k8s_informer *inf[] = {
        k8s_informer_create(NULL, &k8s_services, &all, &service_h, NULL),
        k8s_informer_create(NULL, &k8s_endpoint_slices_v1, &all, &slice_h,
                            NULL),
        k8s_informer_create(NULL, &kubeovn_subnets, &all, &net_h, NULL),
        k8s_informer_create(NULL, &k8s_nodes, &all, &net_h, NULL),
        k8s_informer_create(NULL, &k8s_pods, &all, &pod_h, NULL),
    };
    static const char *const kinds[] = {
        "Service", "EndpointSlice", "Subnet", "Node", "Pod",
    };
    static const char *const short_kinds[] = {
        "service", "slice", "subnet", "node", "pod",
    };
    struct node_services_config cfg = {
        .node_name = argv[1],
        .services = inf[0], .slices = inf[1], .subnets = inf[2],
        .node = inf[3], .pods = inf[4],
        .service_cidrs = cidrs, .n_service_cidrs = n_cidrs,
        .resync_s = 3600,
        .set_forwarding = true,
    };
    ns = node_services_create(&cfg);
    for (size_t i = 0; i < ARRAY_SIZE(inf); i++) {
        k8s_informer_set_synced(inf[i]);
    }
    struct nft *nft = nft_create();

    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL;
        char *cmd = strtok_r(line, " ", &save);
        char *a1 = cmd ? strtok_r(NULL, " ", &save) : NULL;
        char *a2 = a1 ? strtok_r(NULL, " ", &save) : NULL;
        if (!cmd) {
            continue;
        } else if (!strcmp(cmd, "quit")) {
            break;
        } else if (!strcmp(cmd, "put") && a1) {
            struct json *obj = json_from_file(a1);
            const char *kind = json_get_string(obj, "kind");
            size_t i;
            for (i = 0; i < ARRAY_SIZE(kinds); i++) {
                if (kind && !strcmp(kind, kinds[i])) {
                    break;
                }
            }
            if (obj->type != JSON_OBJECT || i == ARRAY_SIZE(kinds)) {
                printf("error %s: not a Service, EndpointSlice, Subnet or "
                       "Node\n", a1);
                json_destroy(obj);
            } else {
                k8s_informer_put(inf[i], obj);
                printf("ok\n");
            }
        } else if (!strcmp(cmd, "del") && a1 && a2) {
            size_t i;
            for (i = 0; i < ARRAY_SIZE(short_kinds); i++) {
                if (!strcmp(a1, short_kinds[i])) {
                    k8s_informer_remove(inf[i], a2);
                    break;
                }
            }
            printf(i < ARRAY_SIZE(short_kinds) ? "ok\n" : "error kind\n");
        } else if (!strcmp(cmd, "sync") || !strcmp(cmd, "resync")) {
            if (!strcmp(cmd, "resync")) {
                node_services_resync(ns);
            }
            /* The first run may resync, the next applies what that
             * unblocked; then it is idle. */
            for (int i = 0; i < 3; i++) {
                node_services_run(ns);
            }
            print_stats();
        } else if (!strcmp(cmd, "list")) {
            char *out;
            error = nft_run_text(nft, "list table " NSVC_TABLE, true, &out);
            if (error) {
                printf("error %s\n", error);
                free(error);
            } else {
                printf("%sok\n", out);
                free(out);
            }
        } else {
            printf("error unknown command \"%s\"\n", cmd);
        }
        fflush(stdout);
    }
    nft_destroy(nft);
    node_services_destroy(ns);
    for (size_t i = 0; i < ARRAY_SIZE(inf); i++) {
        k8s_informer_destroy(inf[i]);
    }
    return 0;
}
