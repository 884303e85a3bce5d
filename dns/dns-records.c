/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "dns-records.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "svc/svc-model.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

/* ---- names ---- */

bool
dns_label_ok(const char *s, size_t len, bool allow_underscore)
{
    if (!len || len > 63 || s[0] == '-' || s[len - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (!(islower(c) || isdigit(c) || c == '-'
              || (allow_underscore && c == '_'))) {
            return false;
        }
    }
    return true;
}

bool
dns_name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len && s[len - 1] == '.') {
        len--;
    }
    if (!len || len > 253) {
        return false;
    }
    const char *end = s + len;
    for (const char *p = s; p < end; ) {
        const char *dot = memchr(p, '.', end - p);
        size_t n = dot ? dot - p : end - p;
        if (!dns_label_ok(p, n, true)) {
            return false;
        }
        p += n + 1;
    }
    return true;
}

char *
dns_reverse_name(const char *ip)
{
    struct ip_addr a;
    char *error = cidr_parse_ip(ip, &a);
    if (error) {
        free(error);
        return NULL;
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    if (a.family == AF_INET) {
        uint32_t v = a.n;
        ds_put_format(&s, "%u.%u.%u.%u.in-addr.arpa", v & 0xff,
                      (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
    } else {
        for (int i = 0; i < 32; i++) {
            ds_put_format(&s, "%x.", (unsigned int) (a.n >> (4 * i)) & 0xf);
        }
        ds_put_cstr(&s, "ip6.arpa");
    }
    return ds_steal_cstr(&s);
}

char *
dns_line_name(const char *line)
{
    return xmemdup0(line, strcspn(line, "\t"));
}

/* "10-16-0-5" for "10.16.0.5", "fd00--5" for "fd00::5". */
static char *
dashed(const char *ip)
{
    char *s = xstrdup(ip);
    for (char *p = s; *p; p++) {
        if (*p == '.' || *p == ':') {
            *p = '-';
        }
    }
    return s;
}

/* ---- records ---- */

static void
add_rr(struct svec *out, const struct dns_zone *z, const char *name,
       const char *type, const char *rdata)
{
    svec_add_nocopy(out, xasprintf("%s.\t%d\tIN\t%s\t%s", name, z->ttl, type,
                                   rdata));
}

static void
add_address(struct svec *out, const struct dns_zone *z, const char *name,
            int family, const char *ip)
{
    add_rr(out, z, name, family == AF_INET6 ? "AAAA" : "A", ip);
}

/* PTR of 'ip' to 'target' (absolute, without its final dot). */
static void
add_ptr(struct svec *out, const struct dns_zone *z, const char *ip,
        const char *target)
{
    char *rev = dns_reverse_name(ip);
    if (rev) {
        char *t = xasprintf("%s.", target);
        add_rr(out, z, rev, "PTR", t);
        free(t);
        free(rev);
    }
}

static void
add_srv(struct svec *out, const struct dns_zone *z, const char *port_name,
        const char *proto, const char *svc_name, int port, const char *target)
{
    char *name = xasprintf("_%s._%s.%s", port_name, proto, svc_name);
    char *rdata = xasprintf("0 100 %d %s.", port, target);
    add_rr(out, z, name, "SRV", rdata);
    free(rdata);
    free(name);
}

static int
family_of(const char *ip)
{
    struct ip_addr a;
    char *error = cidr_parse_ip(ip, &a);
    if (error) {
        free(error);
        return 0;
    }
    return a.family;
}

/* ClusterIP (and NodePort, LoadBalancer) Services: from svc_model. */
static char *
cluster_ip_records(const struct dns_zone *z, const char *svc_name,
                   const struct json *svc, const struct json *const *slices,
                   size_t n_slices, struct svec *out)
{
    struct svc_model m;
    char *error = svc_model_build(svc, slices, n_slices, &m);
    if (error) {
        svc_model_destroy(&m);
        return error;
    }
    for (size_t i = 0; i < m.n_ports; i++) {
        const struct svc_port *p = &m.ports[i];
        if (p->name[0] && !dns_label_ok(p->name, strlen(p->name), false)) {
            error = xasprintf("port name \"%s\" is not a DNS label",
                              p->name);
            svc_model_destroy(&m);
            return error;
        }
    }
    for (size_t i = 0; i < m.n_cluster_ips; i++) {
        const struct svc_vip *v = &m.cluster_ips[i];
        add_address(out, z, svc_name, v->family, v->ip);
        add_ptr(out, z, v->ip, svc_name);
    }
    for (size_t i = 0; i < m.n_ports; i++) {
        const struct svc_port *p = &m.ports[i];
        if (p->name[0]) {
            add_srv(out, z, p->name, svc_proto_name(p->proto), svc_name,
                    p->port, svc_name);
        }
    }
    svc_model_destroy(&m);
    return NULL;
}

/* The lower-case protocol of a port ("tcp" when unset), or NULL. */
static const char *
port_proto(const struct json *port)
{
    const char *p = json_get_string(port, "protocol");
    return !p || !strcmp(p, "TCP") ? "tcp"
           : !strcmp(p, "UDP") ? "udp"
           : !strcmp(p, "SCTP") ? "sctp" : NULL;
}

/* The SRV records of one endpoint of a headless Service: one per named
 * port of the Service that 'slice' serves. */
static void
headless_srvs(const struct dns_zone *z, const char *svc_name,
              const struct json *svc, const struct json *slice,
              const char *target, struct svec *out)
{
    const struct json *sports = json_get_array(svc, "spec.ports");
    const struct json *eports = json_get_array(slice, "ports");
    for (size_t i = 0; i < json_array_n(sports); i++) {
        const struct json *sp = sports->array.elems[i];
        const char *name = json_get_string(sp, "name");
        const char *proto = port_proto(sp);
        if (!name || !name[0] || !proto
            || !dns_label_ok(name, strlen(name), false)) {
            continue;
        }
        for (size_t j = 0; j < json_array_n(eports); j++) {
            const struct json *ep = eports->array.elems[j];
            const char *ename = json_get_string(ep, "name");
            const char *eproto = port_proto(ep);
            int64_t port;
            if (ename && !strcmp(ename, name) && eproto
                && !strcmp(eproto, proto) && json_get_int(ep, "port", &port)
                && port > 0 && port < 65536) {
                add_srv(out, z, name, proto, svc_name, port, target);
                break;
            }
        }
    }
}

/* One ready endpoint's address of a headless Service. */
static void
headless_address(const struct dns_zone *z, const char *svc_name,
                 const struct json *svc, const struct json *slice,
                 const char *hostname, const char *ip, struct svec *out)
{
    int family = family_of(ip);
    if (!family) {
        return;
    }
    char buf[CIDR_IP_STRLEN];
    struct ip_addr a;
    char *error = cidr_parse_ip(ip, &a);
    ovs_assert(!error);
    ip = cidr_ip_format(a.family, a.n, buf);

    char *host = hostname ? xstrdup(hostname) : dashed(ip);
    char *host_name = xasprintf("%s.%s", host, svc_name);
    add_address(out, z, svc_name, family, ip);
    add_address(out, z, host_name, family, ip);
    if (hostname) {
        add_ptr(out, z, ip, host_name);
    }
    headless_srvs(z, svc_name, svc, slice, host_name, out);
    free(host_name);
    free(host);
}

static void
headless_records(const struct dns_zone *z, const char *svc_name,
                 const struct json *svc, const struct json *const *slices,
                 size_t n_slices, struct svec *out)
{
    bool all = false;
    json_get_bool(svc, "spec.publishNotReadyAddresses", &all);
    for (size_t i = 0; i < n_slices; i++) {
        const struct json *slice = slices[i];
        const char *type = json_get_string(slice, "addressType");
        if (type && strcmp(type, "IPv4") && strcmp(type, "IPv6")) {
            continue;               /* FQDN slices have no addresses. */
        }
        const struct json *eps = json_get_array(slice, "endpoints");
        for (size_t j = 0; j < json_array_n(eps); j++) {
            const struct json *ep = eps->array.elems[j];
            const char *hostname = json_get_string(ep, "hostname");
            if (!svc_endpoint_serves(ep, all)) {
                continue;
            }
            if (hostname && !dns_label_ok(hostname, strlen(hostname),
                                          false)) {
                hostname = NULL;    /* Still its address records. */
            }
            const struct json *addrs = json_get_array(ep, "addresses");
            for (size_t k = 0; k < json_array_n(addrs); k++) {
                const struct json *a = addrs->array.elems[k];
                if (a->type == JSON_STRING) {
                    headless_address(z, svc_name, svc, slice, hostname,
                                     json_string(a), out);
                }
            }
        }
    }
}

static bool
is_headless(const struct json *svc)
{
    const char *ip = json_get_string(svc, "spec.clusterIP");
    return !ip || !ip[0] || !strcmp(ip, "None");
}

/* Frees the lines of 'out' from index 'start' on. */
static void
truncate_to(struct svec *out, size_t start)
{
    while (out->n > start) {
        svec_pop_back(out);
    }
}

/* Sorts and drops duplicate lines from 'out''s index 'start' on. */
static void
unique_from(struct svec *out, size_t start)
{
    struct svec tail = SVEC_EMPTY_INITIALIZER;
    for (size_t i = start; i < out->n; i++) {
        svec_add_nocopy(&tail, out->names[i]);
    }
    out->n = start;
    svec_sort_unique(&tail);
    for (size_t i = 0; i < tail.n; i++) {
        svec_add_nocopy(out, tail.names[i]);
    }
    free(tail.names);
}

char *
dns_service_records(const struct dns_zone *z, const struct json *svc,
                    const struct json *const *slices, size_t n_slices,
                    struct svec *out)
{
    const char *ns = k8s_obj_namespace(svc), *name = k8s_obj_name(svc);
    if (!ns || !name || !dns_label_ok(ns, strlen(ns), false)
        || !dns_label_ok(name, strlen(name), false)) {
        return xstrdup("namespace or name is not a DNS label");
    }

    size_t start = out->n;
    char *svc_name = xasprintf("%s.%s.svc.%s", name, ns, z->domain);
    const char *type = json_get_string(svc, "spec.type");
    char *error = NULL;
    if (type && !strcmp(type, "ExternalName")) {
        const char *target = json_get_string(svc, "spec.externalName");
        if (!target || !dns_name_ok(target)) {
            error = xasprintf("spec.externalName \"%s\" is not a domain "
                              "name", target ? target : "");
        } else {
            size_t len = strlen(target);
            char *t = xasprintf("%s%s", target,
                                target[len - 1] == '.' ? "" : ".");
            add_rr(out, z, svc_name, "CNAME", t);
            free(t);
        }
    } else if (is_headless(svc)) {
        headless_records(z, svc_name, svc, slices, n_slices, out);
    } else {
        error = cluster_ip_records(z, svc_name, svc, slices, n_slices, out);
    }
    free(svc_name);
    if (error) {
        truncate_to(out, start);
    } else {
        unique_from(out, start);
    }
    return error;
}

char *
dns_pod_records(const struct dns_zone *z, const struct json *pod,
                struct svec *out)
{
    const char *ns = k8s_obj_namespace(pod);
    if (!ns || !dns_label_ok(ns, strlen(ns), false)) {
        return xstrdup("namespace is not a DNS label");
    }

    struct svec ips = SVEC_EMPTY_INITIALIZER;
    const struct json *pod_ips = json_get_array(pod, "status.podIPs");
    for (size_t i = 0; i < json_array_n(pod_ips); i++) {
        const char *ip = json_get_string(pod_ips->array.elems[i], "ip");
        if (ip) {
            svec_add(&ips, ip);
        }
    }
    const char *ip = json_get_string(pod, "status.podIP");
    if (!ips.n && ip) {
        svec_add(&ips, ip);
    }

    size_t start = out->n;
    for (size_t i = 0; i < ips.n; i++) {
        struct ip_addr a;
        char *error = cidr_parse_ip(ips.names[i], &a);
        if (error) {
            truncate_to(out, start);
            svec_destroy(&ips);
            char *msg = xasprintf("pod IP: %s", error);
            free(error);
            return msg;
        }
        char buf[CIDR_IP_STRLEN];
        const char *text = cidr_ip_format(a.family, a.n, buf);
        char *d = dashed(text);
        char *name = xasprintf("%s.%s.pod.%s", d, ns, z->domain);
        add_address(out, z, name, a.family, text);
        free(name);
        free(d);
    }
    svec_destroy(&ips);
    unique_from(out, start);
    return NULL;
}
