/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "svc/svc-model.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

const char *
svc_proto_name(enum svc_proto proto)
{
    switch (proto) {
    case SVC_TCP: return "tcp";
    case SVC_UDP: return "udp";
    case SVC_SCTP: return "sctp";
    case N_SVC_PROTOS: break;
    }
    return "?";
}

/* "TCP" (the default when unset), "UDP", "SCTP". */
static bool
parse_proto(const char *s, enum svc_proto *proto)
{
    if (!s || !strcmp(s, "TCP")) {
        *proto = SVC_TCP;
    } else if (!strcmp(s, "UDP")) {
        *proto = SVC_UDP;
    } else if (!strcmp(s, "SCTP")) {
        *proto = SVC_SCTP;
    } else {
        return false;
    }
    return true;
}

/* Parses 's' into its family and canonical text.  Returns false if it is
 * not an IP address. */
static bool
parse_ip(const char *s, int *family, char **text)
{
    struct ip_addr a;
    char *error = s ? cidr_parse_ip(s, &a) : xstrdup("no address");
    if (error) {
        free(error);
        return false;
    }
    char buf[CIDR_IP_STRLEN];
    *family = a.family;
    *text = xstrdup(cidr_ip_format(a.family, a.n, buf));
    return true;
}

/* ---- VIPs ---- */

static char *
add_vip(struct svc_vip **vips, size_t *n, const char *s, const char *what)
{
    struct svc_vip v;
    if (!parse_ip(s, &v.family, &v.ip)) {
        return xasprintf("%s \"%s\" is not an IP address", what,
                         s ? s : "");
    }
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp((*vips)[i].ip, v.ip)) {
            free(v.ip);
            return NULL;
        }
    }
    *vips = xrealloc(*vips, (*n + 1) * sizeof **vips);
    (*vips)[(*n)++] = v;
    return NULL;
}

static char *
add_vips_of(struct svc_vip **vips, size_t *n, const struct json *a,
            const char *member, const char *what)
{
    for (size_t i = 0; i < json_array_n(a); i++) {
        const struct json *e = a->array.elems[i];
        const char *s = member ? json_get_string(e, member)
                        : e->type == JSON_STRING ? json_string(e) : NULL;
        if (member && !s) {
            continue;               /* An ingress by hostname only. */
        }
        char *error = add_vip(vips, n, s, what);
        if (error) {
            return error;
        }
    }
    return NULL;
}

static char *
build_vips(const struct json *svc, struct svc_model *m)
{
    const struct json *ips = json_get_array(svc, "spec.clusterIPs");
    const char *ip = json_get_string(svc, "spec.clusterIP");
    char *error;

    if (json_array_n(ips)) {
        error = add_vips_of(&m->cluster_ips, &m->n_cluster_ips, ips, NULL,
                            "spec.clusterIPs");
    } else {
        error = add_vip(&m->cluster_ips, &m->n_cluster_ips, ip,
                        "spec.clusterIP");
    }
    if (!error) {
        error = add_vips_of(&m->external_ips, &m->n_external_ips,
                            json_get_array(svc, "spec.externalIPs"), NULL,
                            "spec.externalIPs");
    }
    if (!error) {
        error = add_vips_of(&m->external_ips, &m->n_external_ips,
                            json_get_array(svc, "status.loadBalancer.ingress"),
                            "ip", "status.loadBalancer.ingress");
    }
    return error;
}

/* ---- ports and backends ---- */

static char *
build_ports(const struct json *svc, struct svc_model *m)
{
    const struct json *ports = json_get_array(svc, "spec.ports");
    m->ports = xcalloc(json_array_n(ports) ? json_array_n(ports) : 1,
                       sizeof *m->ports);
    for (size_t i = 0; i < json_array_n(ports); i++) {
        const struct json *p = ports->array.elems[i];
        struct svc_port *sp = &m->ports[m->n_ports];
        int64_t port = 0, node_port = 0;
        const char *name = json_get_string(p, "name");

        if (!json_get_int(p, "port", &port) || port < 1 || port > 65535) {
            return xasprintf("spec.ports[%"PRIuSIZE"].port is not a port "
                             "number", i);
        }
        if (!parse_proto(json_get_string(p, "protocol"), &sp->proto)) {
            return xasprintf("spec.ports[%"PRIuSIZE"].protocol \"%s\" is "
                             "not TCP, UDP or SCTP", i,
                             json_get_string(p, "protocol"));
        }
        json_get_int(p, "nodePort", &node_port);
        if (node_port < 0 || node_port > 65535) {
            return xasprintf("spec.ports[%"PRIuSIZE"].nodePort is not a "
                             "port number", i);
        }
        sp->name = xstrdup(name ? name : "");
        sp->port = port;
        sp->node_port = node_port;
        m->n_ports++;
    }
    return NULL;
}

bool
svc_endpoint_serves(const struct json *ep, bool publish_not_ready)
{
    bool ready = true;
    json_get_bool(ep, "conditions.ready", &ready);
    return publish_not_ready || ready;
}

static const char *
endpoint_node(const struct json *ep)
{
    const char *node = json_get_string(ep, "nodeName");
    if (!node) {
        const struct json *topo = json_get_member(ep, "topology");
        const struct json *h = topo ? json_get_member(
            topo, "kubernetes.io/hostname") : NULL;
        node = h && h->type == JSON_STRING ? json_string(h) : NULL;
    }
    return node;
}

static void
add_backend(struct svc_port *sp, int family, const char *ip, int port,
            const char *node)
{
    sp->backends = xrealloc(sp->backends,
                            (sp->n_backends + 1) * sizeof *sp->backends);
    sp->backends[sp->n_backends++] = (struct svc_backend) {
        .family = family, .ip = xstrdup(ip), .port = port,
        .node = node ? xstrdup(node) : NULL,
    };
}

/* The port of 'slice' that serves Service port 'sp', or 0. */
static int
slice_port(const struct json *slice, const struct svc_port *sp)
{
    const struct json *ports = json_get_array(slice, "ports");
    for (size_t i = 0; i < json_array_n(ports); i++) {
        const struct json *p = ports->array.elems[i];
        const char *name = json_get_string(p, "name");
        enum svc_proto proto;
        int64_t port;
        if (!strcmp(name ? name : "", sp->name)
            && parse_proto(json_get_string(p, "protocol"), &proto)
            && proto == sp->proto
            && json_get_int(p, "port", &port) && port > 0 && port < 65536) {
            return port;
        }
    }
    return 0;
}

static void
add_slice(const struct json *slice, bool all, struct svc_model *m)
{
    const char *type = json_get_string(slice, "addressType");
    if (type && strcmp(type, "IPv4") && strcmp(type, "IPv6")) {
        return;                     /* FQDN slices are not for us. */
    }
    const struct json *eps = json_get_array(slice, "endpoints");
    for (size_t i = 0; i < m->n_ports; i++) {
        struct svc_port *sp = &m->ports[i];
        int port = slice_port(slice, sp);
        for (size_t j = 0; port && j < json_array_n(eps); j++) {
            const struct json *ep = eps->array.elems[j];
            if (!svc_endpoint_serves(ep, all)) {
                continue;
            }
            const struct json *addrs = json_get_array(ep, "addresses");
            for (size_t k = 0; k < json_array_n(addrs); k++) {
                const struct json *a = addrs->array.elems[k];
                int family;
                char *ip;
                if (a->type == JSON_STRING
                    && parse_ip(json_string(a), &family, &ip)) {
                    add_backend(sp, family, ip, port, endpoint_node(ep));
                    free(ip);
                }
            }
        }
    }
}

static int
compare_backends(const void *a_, const void *b_)
{
    const struct svc_backend *a = a_, *b = b_;
    int cmp = a->family - b->family;
    if (!cmp) {
        cmp = strcmp(a->ip, b->ip);
    }
    return cmp ? cmp : a->port - b->port;
}

static void
backend_destroy(struct svc_backend *b)
{
    free(b->ip);
    free(b->node);
}

/* Sorts and drops duplicates (an endpoint in two slices while the
 * EndpointSlice controller moves it). */
static void
normalize_backends(struct svc_port *sp)
{
    if (!sp->n_backends) {
        return;                     /* qsort() wants a nonnull array. */
    }
    qsort(sp->backends, sp->n_backends, sizeof *sp->backends,
          compare_backends);
    size_t n = 0;
    for (size_t i = 0; i < sp->n_backends; i++) {
        if (n && !compare_backends(&sp->backends[n - 1], &sp->backends[i])) {
            backend_destroy(&sp->backends[i]);
        } else {
            sp->backends[n++] = sp->backends[i];
        }
    }
    sp->n_backends = n;
}

/* ---- the model ---- */

static bool
has_cluster_ip(const struct json *svc)
{
    const char *type = json_get_string(svc, "spec.type");
    const char *ip = json_get_string(svc, "spec.clusterIP");
    return !(type && !strcmp(type, "ExternalName"))
           && ip && ip[0] && strcmp(ip, "None");
}

/* As kube-proxy: a Service that names another proxy, or that its
 * controller marks headless, is not load-balanced (it still has its
 * ClusterIP, for DNS). */
static bool
is_proxied(const struct json *svc)
{
    return !k8s_obj_label(svc, SVC_PROXY_NAME_LABEL)
           && !k8s_obj_label(svc, SVC_HEADLESS_LABEL);
}

static void
read_policies(const struct json *svc, struct svc_model *m)
{
    const char *etp = json_get_string(svc, "spec.externalTrafficPolicy");
    const char *affinity = json_get_string(svc, "spec.sessionAffinity");
    m->local_traffic = etp && !strcmp(etp, "Local");
    if (affinity && !strcmp(affinity, "ClientIP")) {
        int64_t timeout = 10800;    /* The API's default: 3 hours. */
        json_get_int(svc, "spec.sessionAffinityConfig.clientIP."
                     "timeoutSeconds", &timeout);
        m->affinity_timeout = timeout > 0 && timeout <= 86400 ? timeout
                                                              : 10800;
    }
}

char *
svc_model_build(const struct json *svc, const struct json *const *slices,
                size_t n_slices, struct svc_model *m)
{
    memset(m, 0, sizeof *m);
    const char *ns = k8s_obj_namespace(svc), *name = k8s_obj_name(svc);
    m->ns = xstrdup(ns ? ns : "");
    m->name = xstrdup(name ? name : "");
    if (!has_cluster_ip(svc)) {
        return NULL;
    }
    char *error = build_vips(svc, m);
    if (!error) {
        error = build_ports(svc, m);
    }
    if (error) {
        char *ns_ = m->ns, *name_ = m->name;
        m->ns = m->name = NULL;
        svc_model_destroy(m);
        memset(m, 0, sizeof *m);
        m->ns = ns_;
        m->name = name_;
        return error;
    }
    m->has_vips = is_proxied(svc);
    read_policies(svc, m);

    bool all = false;
    json_get_bool(svc, "spec.publishNotReadyAddresses", &all);
    for (size_t i = 0; i < n_slices; i++) {
        add_slice(slices[i], all, m);
    }
    for (size_t i = 0; i < m->n_ports; i++) {
        normalize_backends(&m->ports[i]);
    }
    return NULL;
}

static void
vips_destroy(struct svc_vip *vips, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(vips[i].ip);
    }
    free(vips);
}

void
svc_model_destroy(struct svc_model *m)
{
    if (!m) {
        return;
    }
    free(m->ns);
    free(m->name);
    vips_destroy(m->cluster_ips, m->n_cluster_ips);
    vips_destroy(m->external_ips, m->n_external_ips);
    for (size_t i = 0; i < m->n_ports; i++) {
        struct svc_port *sp = &m->ports[i];
        for (size_t j = 0; j < sp->n_backends; j++) {
            backend_destroy(&sp->backends[j]);
        }
        free(sp->backends);
        free(sp->name);
    }
    free(m->ports);
    memset(m, 0, sizeof *m);
}

void
svc_index_slice_service(const struct json *slice, struct svec *values)
{
    const char *svc = k8s_obj_label(slice, SVC_SLICE_SERVICE_LABEL);
    const char *ns = k8s_obj_namespace(slice);
    if (svc && ns) {
        svec_add_nocopy(values, xasprintf("%s/%s", ns, svc));
    }
}

void
svc_put_endpoint(struct ds *s, int family, const char *ip, int port)
{
    if (family == AF_INET6) {
        ds_put_format(s, "[%s]:%d", ip, port);
    } else {
        ds_put_format(s, "%s:%d", ip, port);
    }
}
