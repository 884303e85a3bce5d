/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SVC_MODEL_H
#define KOVN_SVC_MODEL_H 1

/* A Service and its EndpointSlices as the data path sees them: the
 * addresses it answers on and, for each of its ports, the ready backends.
 * One pure function of the API objects, shared by kovn-controller (OVN
 * load balancers), kovn-daemon (NodePort and externalIPs in nftables) and
 * anything else that must agree with them.
 *
 * The rules (Kubernetes' own):
 *   - headless (clusterIP "None") and ExternalName Services have no VIP;
 *     as for kube-proxy, a Service labelled
 *     service.kubernetes.io/service-proxy-name (another proxy's) or
 *     service.kubernetes.io/headless is not load-balanced, though its
 *     model is filled (DNS still names its ClusterIP);
 *   - the VIPs are spec.clusterIPs (or clusterIP), spec.externalIPs and
 *     status.loadBalancer.ingress[].ip, each with its family;
 *   - an EndpointSlice belongs to the Service named by its label
 *     kubernetes.io/service-name; its ports are matched to the Service's by
 *     name and protocol, so a named targetPort resolves per slice;
 *   - only ready endpoints serve (conditions.ready true or unset), or every
 *     endpoint with spec.publishNotReadyAddresses;
 *   - a backend serves only VIPs of its own family.
 *
 * Ownership: svc_model_build() fills a model the caller frees with
 * svc_model_destroy(); every string in it is the model's. */

#include <stdbool.h>
#include <stddef.h>

struct ds;
struct json;
struct svec;

/* The label that ties an EndpointSlice to its Service. */
#define SVC_SLICE_SERVICE_LABEL "kubernetes.io/service-name"
#define SVC_PROXY_NAME_LABEL "service.kubernetes.io/service-proxy-name"
#define SVC_HEADLESS_LABEL "service.kubernetes.io/headless"

enum svc_proto { SVC_TCP, SVC_UDP, SVC_SCTP, N_SVC_PROTOS };

const char *svc_proto_name(enum svc_proto);     /* "tcp", "udp", "sctp". */

struct svc_backend {
    int family;                 /* AF_INET or AF_INET6. */
    char *ip;                   /* Canonical text. */
    int port;
    char *node;                 /* nodeName (or hostname topology), or
                                 * NULL. */
};

struct svc_port {
    char *name;                 /* "" when the Service has one port. */
    enum svc_proto proto;
    int port;
    int node_port;              /* 0: none. */
    struct svc_backend *backends;   /* Sorted by family, IP, port; no
                                     * duplicates. */
    size_t n_backends;
};

struct svc_vip {
    int family;
    char *ip;                   /* Canonical text. */
};

struct svc_model {
    char *ns, *name;
    bool has_vips;              /* Load-balanced: false for headless and
                                 * ExternalName Services (nothing else is
                                 * filled then) and for those labelled
                                 * for another proxy (the rest is). */
    bool local_traffic;         /* externalTrafficPolicy: Local. */
    int affinity_timeout;       /* ClientIP affinity, seconds; 0: none. */
    struct svc_vip *cluster_ips;    /* spec.clusterIPs. */
    size_t n_cluster_ips;
    struct svc_vip *external_ips;   /* spec.externalIPs and load balancer
                                     * ingress IPs. */
    size_t n_external_ips;
    struct svc_port *ports;
    size_t n_ports;
};

/* Fills 'm' from Service 'svc' and its 'n_slices' EndpointSlices.  On bad
 * input (an unparsable IP, a port out of range) returns an error message,
 * which the caller frees, and leaves 'm' empty but valid for
 * svc_model_destroy(); bad endpoints in slices (written by the
 * EndpointSlice controller or by users) are skipped. */
char *svc_model_build(const struct json *svc,
                      const struct json *const *slices, size_t n_slices,
                      struct svc_model *m);
void svc_model_destroy(struct svc_model *);

/* Whether endpoint 'ep' of a slice serves: ready (or readiness unknown),
 * or any with 'publish_not_ready' (spec.publishNotReadyAddresses). */
bool svc_endpoint_serves(const struct json *ep, bool publish_not_ready);

/* Index function for EndpointSlice informers: the "namespace/name" key of
 * the Service a slice belongs to. */
void svc_index_slice_service(const struct json *slice, struct svec *values);

/* Appends "IP:PORT", or "[IP]:PORT" for IPv6, to 's'. */
void svc_put_endpoint(struct ds *s, int family, const char *ip, int port);

#endif /* svc/svc-model.h */
