/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* How long an informer takes to list and cache N pods from a real
 * kube-apiserver, and how much memory each cached pod costs.
 *
 *   bench-informer KUBECONFIG [N [KUBECTL]]   (default N: 10000)
 *
 * Creates N pods in a fresh namespace (pipelined, at most 256 in flight),
 * then times a pod informer from creation to synced, and measures the heap
 * (mallinfo2) and RSS it holds; with KUBECTL, also times `kubectl get pods`
 * on the same pods as a baseline.  Run through tests/integration/with-k8s.sh,
 * or against any cluster you may fill with test pods. */

#include <config.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-config.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define MAX_IN_FLIGHT 256

struct creator {
    int n_ok, n_failed;
};

static void
created(struct k8s_request *req OVS_UNUSED, const struct k8s_response *r,
        void *c_)
{
    struct creator *c = c_;
    if (k8s_response_ok(r)) {
        c->n_ok++;
    } else if (c->n_failed++ < 5) {
        fprintf(stderr, "create failed: %s\n", r->error);
    }
}

static struct json *
bench_pod(int i)
{
    /* A pod shaped like a real one: labels, annotations, a container with
     * resources, ports and env, tolerations. */
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
        "\"name\":\"bench-%d\",\"labels\":{\"app\":\"bench\","
        "\"pod-template-hash\":\"5d8f7c9b4\",\"tier\":\"backend\"},"
        "\"annotations\":{\"ovn.kubernetes.io/allocated\":\"true\","
        "\"ovn.kubernetes.io/ip_address\":\"10.16.%d.%d\","
        "\"ovn.kubernetes.io/mac_address\":\"00:00:00:12:%02x:%02x\","
        "\"ovn.kubernetes.io/cidr\":\"10.16.0.0/16\","
        "\"ovn.kubernetes.io/gateway\":\"10.16.0.1\","
        "\"ovn.kubernetes.io/logical_switch\":\"ovn-default\"}},"
        "\"spec\":{\"nodeName\":\"node-%d\","
        "\"automountServiceAccountToken\":false,"
        "\"containers\":[{\"name\":\"app\",\"image\":\"busybox:1.36\","
        "\"command\":[\"sleep\",\"3600\"],"
        "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
        "\"env\":[{\"name\":\"MODE\",\"value\":\"bench\"}],"
        "\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}"
        "}],\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
        "\"operator\":\"Exists\",\"effect\":\"NoExecute\","
        "\"tolerationSeconds\":300}]}}",
        i, i / 250, i % 250 + 2, (i >> 8) & 0xff, i & 0xff, i % 100);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

static void
run_until(struct k8s_client *client, struct k8s_informer *inf,
          bool (*done)(void *), void *aux)
{
    for (;;) {
        k8s_client_run(client);
        if (inf) {
            k8s_informer_run(inf);
        }
        if (done(aux)) {
            return;
        }
        k8s_client_wait(client);
        if (inf) {
            k8s_informer_wait(inf);
        }
        poll_block();
    }
}

struct fill {
    struct k8s_client *client;
    const char *ns;
    int next, n;
    struct creator creator;
};

static bool
fill_done(void *f_)
{
    struct fill *f = f_;
    while (f->next < f->n && k8s_client_n_active(f->client) < MAX_IN_FLIGHT) {
        struct json *pod = bench_pod(f->next++);
        k8s_create(f->client, &k8s_pods, f->ns, pod, created, &f->creator);
        json_destroy(pod);
    }
    return f->next >= f->n && !k8s_client_n_active(f->client);
}

static bool
informer_synced(void *inf)
{
    return k8s_informer_has_synced(inf);
}

/* What a network controller reads of a pod; the rest is dropped. */
static void
keep_network_fields(struct json *pod)
{
    static const char *const top[] = { "metadata", "spec", "status" };
    static const char *const metadata[] = {
        "name", "namespace", "uid", "resourceVersion", "labels",
        "annotations", "ownerReferences", "deletionTimestamp",
    };
    static const char *const spec[] = { "nodeName", "hostNetwork" };
    static const char *const status[] = { "phase", "podIPs" };

    json_object_keep(pod, top, ARRAY_SIZE(top));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(pod, "metadata")),
                     metadata, ARRAY_SIZE(metadata));
    json_object_keep(CONST_CAST(struct json *, json_get_member(pod, "spec")),
                     spec, ARRAY_SIZE(spec));
    json_object_keep(CONST_CAST(struct json *,
                                json_get_member(pod, "status")),
                     status, ARRAY_SIZE(status));
}

/* Lists the namespace's pods into a new informer, prints the time and memory
 * it took, and returns the number of pods cached. */
static size_t
measure_informer(struct k8s_client *client, const char *ns, const char *what,
                 void (*transform)(struct json *))
{
    malloc_trim(0);
    size_t heap_before = bench_heap_bytes();
    long rss_before = bench_rss_kib();
    struct k8s_informer_options options = { .namespace = ns,
                                            .transform = transform };
    struct k8s_informer *inf = k8s_informer_create(client, &k8s_pods,
                                                   &options, NULL, NULL);
    k8s_informer_add_index(inf, "node", k8s_index_by_node);

    long long int start = time_msec();
    run_until(client, inf, informer_synced, inf);
    long long int list_ms = time_msec() - start;
    malloc_trim(0);
    size_t heap_after = bench_heap_bytes();
    long rss_after = bench_rss_kib();
    size_t cached = k8s_informer_count(inf);
    double heap = (double) heap_after - heap_before;

    printf("informer (%s): listed and cached %zu pods in %lld ms = %.0f "
           "pods/s\n", what, cached, list_ms,
           cached * 1000.0 / MAX(list_ms, 1));
    printf("informer (%s): heap %.1f MiB = %.0f bytes per cached pod; "
           "RSS %ld -> %ld KiB (%.0f bytes per pod)\n", what,
           heap / 1048576, heap / MAX(cached, 1), rss_before, rss_after,
           (rss_after - rss_before) * 1024.0 / MAX(cached, 1));
    k8s_informer_destroy(inf);
    return cached;
}

/* The baseline, in the same run: kubectl (Go, client-go) listing the same
 * pods in pages of 500 and decoding them, its time and peak RSS. */
static void
measure_kubectl(const char *kubectl, const char *kubeconfig, const char *ns)
{
    long long int start = time_msec();
    fflush(stdout);             /* Or the child would print it again. */
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) {
            _exit(127);
        }
        execl(kubectl, kubectl, "--kubeconfig", kubeconfig, "get", "pods",
              "-n", ns, "-o", "json", "--chunk-size=500", (char *) NULL);
        _exit(127);
    }

    int status;
    struct rusage usage;
    if (pid < 0 || wait4(pid, &status, 0, &usage) != pid
        || !WIFEXITED(status) || WEXITSTATUS(status)) {
        printf("baseline kubectl: failed to run %s\n", kubectl);
        return;
    }
    printf("baseline kubectl get pods -o json: %lld ms, peak RSS %ld KiB\n",
           time_msec() - start, usage.ru_maxrss);
}

int
main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s KUBECONFIG [N [KUBECTL]]\n", argv[0]);
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 10000;

    struct k8s_config *config;
    char *error = k8s_config_from_file(argv[1], &config);
    if (error) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    struct k8s_client *client = k8s_client_create(config, &error);
    k8s_config_destroy(config);
    if (!client) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }

    char *ns = xasprintf("bench-%ld", (long) getpid());
    struct json *ns_obj = json_object_create();
    json_put_path(ns_obj, "metadata.name", json_string_create(ns));
    struct k8s_request *req = k8s_create(client, &k8s_namespaces, NULL,
                                         ns_obj, NULL, NULL);
    k8s_client_block(client, req, 30000);
    k8s_request_destroy(req);
    json_destroy(ns_obj);

    struct fill fill = { .client = client, .ns = ns, .n = n };
    long long int start = time_msec();
    run_until(client, NULL, fill_done, &fill);
    long long int fill_ms = time_msec() - start;
    printf("created %d pods (%d failed) in %lld ms = %.0f creates/s "
           "(pipelined, %d in flight)\n", fill.creator.n_ok,
           fill.creator.n_failed, fill_ms,
           fill.creator.n_ok * 1000.0 / MAX(fill_ms, 1), MAX_IN_FLIGHT);

    size_t cached = measure_informer(client, ns, "whole pods", NULL);
    measure_informer(client, ns, "network fields only", keep_network_fields);
    if (argc > 3) {
        measure_kubectl(argv[3], argv[1], ns);
    }

    char *path = k8s_resource_path(&k8s_pods, ns, NULL, NULL);
    char *url = xasprintf("%s?gracePeriodSeconds=0", path);
    req = k8s_client_request(client, K8S_DELETE, url, NULL, NULL, NULL);
    k8s_client_block(client, req, 120000);
    k8s_request_destroy(req);
    req = k8s_delete(client, &k8s_namespaces, NULL, ns, NULL, NULL);
    k8s_client_block(client, req, 30000);
    k8s_request_destroy(req);
    free(url);
    free(path);
    free(ns);
    k8s_client_destroy(client);
    return cached == (size_t) fill.creator.n_ok ? 0 : 1;
}
