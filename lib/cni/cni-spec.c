/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "cni/cni-spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipam/cidr.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"
#include "util/json-util.h"

/* Newest first: VERSION lists them in this order. */
static const char *const supported_versions[] = {
    "1.0.0", "0.4.0", "0.3.1", "0.3.0",
};

/* ---- Errors ---- */

/* Creates an error with code 'code' whose message is 'prefix' followed by
 * 'format' expanded with 'args'. */
static struct cni_error *
cni_error_createv(int code, const char *details, const char *prefix,
                  const char *format, va_list args)
{
    struct cni_error *e = xmalloc(sizeof *e);
    char *msg = xvasprintf(format, args);

    e->code = code;
    e->msg = xasprintf("%s%s", prefix, msg);
    e->details = nullable_xstrdup(details);
    free(msg);
    return e;
}

struct cni_error *
cni_error_create(int code, const char *details, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    struct cni_error *e = cni_error_createv(code, details, "", format, args);
    va_end(args);
    return e;
}

void
cni_error_destroy(struct cni_error *e)
{
    if (e) {
        free(e->msg);
        free(e->details);
        free(e);
    }
}

struct json *
cni_error_to_json(const struct cni_error *e, const char *version)
{
    struct json *j = json_object_create();

    json_object_put_string(j, "cniVersion",
                           cni_version_supported(version)
                           ? version : CNI_VERSION_CURRENT);
    json_object_put(j, "code", json_integer_create(e->code));
    json_object_put_string(j, "msg", e->msg ? e->msg : "");
    if (e->details && e->details[0]) {
        json_object_put_string(j, "details", e->details);
    }
    return j;
}

struct cni_error *
cni_error_from_json(const struct json *j)
{
    int64_t code;
    const char *msg = json_get_string(j, "msg");

    if (!j || j->type != JSON_OBJECT || !json_get_int(j, "code", &code)
        || !msg || code <= 0 || code > INT32_MAX) {
        return NULL;
    }
    return cni_error_create(code, json_get_string(j, "details"), "%s", msg);
}

/* ---- Versions ---- */

bool
cni_version_supported(const char *version)
{
    if (version) {
        for (size_t i = 0; i < ARRAY_SIZE(supported_versions); i++) {
            if (!strcmp(version, supported_versions[i])) {
                return true;
            }
        }
    }
    return false;
}

bool
cni_version_has_ip_version(const char *version)
{
    return version && !strncmp(version, "0.", 2);
}

bool
cni_version_has_check(const char *version)
{
    return version && strcmp(version, "0.3.0") && strcmp(version, "0.3.1");
}

static char *
supported_versions_string(void)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < ARRAY_SIZE(supported_versions); i++) {
        ds_put_format(&s, "%s%s", i ? ", " : "", supported_versions[i]);
    }
    return ds_steal_cstr(&s);
}

struct json *
cni_version_info_to_json(const char *version)
{
    struct json *j = json_object_create();
    struct json *list = json_array_create_empty();

    json_object_put_string(j, "cniVersion",
                           cni_version_supported(version)
                           ? version : CNI_VERSION_CURRENT);
    /* Oldest first, as the reference plugins print them. */
    for (size_t i = ARRAY_SIZE(supported_versions); i-- > 0; ) {
        json_array_add(list, json_string_create(supported_versions[i]));
    }
    json_object_put(j, "supportedVersions", list);
    return j;
}

/* ---- JSON text ---- */

struct json *
cni_json_parse(const char *text, size_t length, char **errorp)
{
    /* JSPF_TRAILER: text after the value is an error, not ignored. */
    struct json_parser *p = json_parser_create(JSPF_TRAILER);
    struct json *j;

    json_parser_feed(p, text, length);
    j = json_parser_finish(p);
    *errorp = NULL;
    if (j->type == JSON_STRING) {
        *errorp = xstrdup(json_string(j));
        json_destroy(j);
        return NULL;
    }
    return j;
}

/* ---- Results ---- */

void
cni_result_init(struct cni_result *r)
{
    memset(r, 0, sizeof *r);
    svec_init(&r->dns.nameservers);
    svec_init(&r->dns.search);
    svec_init(&r->dns.options);
}

void
cni_result_destroy(struct cni_result *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n_interfaces; i++) {
        free(r->interfaces[i].name);
        free(r->interfaces[i].mac);
        free(r->interfaces[i].sandbox);
    }
    free(r->interfaces);
    for (size_t i = 0; i < r->n_ips; i++) {
        free(r->ips[i].address);
        free(r->ips[i].gateway);
    }
    free(r->ips);
    for (size_t i = 0; i < r->n_routes; i++) {
        free(r->routes[i].dst);
        free(r->routes[i].gw);
    }
    free(r->routes);
    svec_destroy(&r->dns.nameservers);
    free(r->dns.domain);
    svec_destroy(&r->dns.search);
    svec_destroy(&r->dns.options);
    cni_result_init(r);
}

size_t
cni_result_add_interface(struct cni_result *r, const char *name,
                         const char *mac, const char *sandbox)
{
    r->interfaces = xrealloc(r->interfaces,
                             (r->n_interfaces + 1) * sizeof *r->interfaces);
    struct cni_interface *i = &r->interfaces[r->n_interfaces];
    i->name = xstrdup(name);
    i->mac = nullable_xstrdup(mac);
    i->sandbox = nullable_xstrdup(sandbox);
    return r->n_interfaces++;
}

size_t
cni_result_add_ip(struct cni_result *r, const char *address,
                  const char *gateway, int interface)
{
    r->ips = xrealloc(r->ips, (r->n_ips + 1) * sizeof *r->ips);
    struct cni_ip *ip = &r->ips[r->n_ips];
    ip->address = xstrdup(address);
    ip->gateway = nullable_xstrdup(gateway);
    ip->interface = interface;
    return r->n_ips++;
}

size_t
cni_result_add_route(struct cni_result *r, const char *dst, const char *gw)
{
    r->routes = xrealloc(r->routes, (r->n_routes + 1) * sizeof *r->routes);
    r->routes[r->n_routes].dst = xstrdup(dst);
    r->routes[r->n_routes].gw = nullable_xstrdup(gw);
    return r->n_routes++;
}

void
cni_result_merge(struct cni_result *dst, const struct cni_result *src)
{
    size_t base = dst->n_interfaces;

    for (size_t i = 0; i < src->n_interfaces; i++) {
        const struct cni_interface *s = &src->interfaces[i];
        cni_result_add_interface(dst, s->name, s->mac, s->sandbox);
    }
    for (size_t i = 0; i < src->n_ips; i++) {
        const struct cni_ip *s = &src->ips[i];
        cni_result_add_ip(dst, s->address, s->gateway,
                          s->interface >= 0 ? (int) base + s->interface : -1);
    }
    for (size_t i = 0; i < src->n_routes; i++) {
        cni_result_add_route(dst, src->routes[i].dst, src->routes[i].gw);
    }
    if (src->dns.nameservers.n || src->dns.domain) {
        svec_clear(&dst->dns.nameservers);
        svec_append(&dst->dns.nameservers, &src->dns.nameservers);
        free(dst->dns.domain);
        dst->dns.domain = nullable_xstrdup(src->dns.domain);
        svec_clear(&dst->dns.search);
        svec_append(&dst->dns.search, &src->dns.search);
        svec_clear(&dst->dns.options);
        svec_append(&dst->dns.options, &src->dns.options);
    }
}

static struct json *
svec_to_json(const struct svec *v)
{
    struct json *a = json_array_create_empty();
    for (size_t i = 0; i < v->n; i++) {
        json_array_add(a, json_string_create(v->names[i]));
    }
    return a;
}

static int
address_family(const char *cidr)
{
    struct ip_cidr c;
    char *error = cidr_parse(cidr, &c, NULL);
    if (error) {
        free(error);
        return strchr(cidr, ':') ? AF_INET6 : AF_INET;
    }
    return c.family;
}

struct json *
cni_result_to_json(const struct cni_result *r, const char *version)
{
    struct json *j = json_object_create();
    bool ip_version = cni_version_has_ip_version(version);

    json_object_put_string(j, "cniVersion", version);
    if (r->n_interfaces) {
        struct json *a = json_array_create_empty();
        for (size_t i = 0; i < r->n_interfaces; i++) {
            const struct cni_interface *in = &r->interfaces[i];
            struct json *o = json_object_create();
            json_object_put_string(o, "name", in->name);
            if (in->mac) {
                json_object_put_string(o, "mac", in->mac);
            }
            if (in->sandbox) {
                json_object_put_string(o, "sandbox", in->sandbox);
            }
            json_array_add(a, o);
        }
        json_object_put(j, "interfaces", a);
    }
    if (r->n_ips) {
        struct json *a = json_array_create_empty();
        for (size_t i = 0; i < r->n_ips; i++) {
            const struct cni_ip *ip = &r->ips[i];
            struct json *o = json_object_create();
            if (ip_version) {
                json_object_put_string(o, "version",
                                       address_family(ip->address) == AF_INET6
                                       ? "6" : "4");
            }
            if (ip->interface >= 0) {
                json_object_put(o, "interface",
                                json_integer_create(ip->interface));
            }
            json_object_put_string(o, "address", ip->address);
            if (ip->gateway) {
                json_object_put_string(o, "gateway", ip->gateway);
            }
            json_array_add(a, o);
        }
        json_object_put(j, "ips", a);
    }
    if (r->n_routes) {
        struct json *a = json_array_create_empty();
        for (size_t i = 0; i < r->n_routes; i++) {
            struct json *o = json_object_create();
            json_object_put_string(o, "dst", r->routes[i].dst);
            if (r->routes[i].gw) {
                json_object_put_string(o, "gw", r->routes[i].gw);
            }
            json_array_add(a, o);
        }
        json_object_put(j, "routes", a);
    }

    /* Go's reference types always print "dns", empty or not. */
    struct json *dns = json_object_create();
    if (r->dns.nameservers.n) {
        json_object_put(dns, "nameservers", svec_to_json(&r->dns.nameservers));
    }
    if (r->dns.domain) {
        json_object_put_string(dns, "domain", r->dns.domain);
    }
    if (r->dns.search.n) {
        json_object_put(dns, "search", svec_to_json(&r->dns.search));
    }
    if (r->dns.options.n) {
        json_object_put(dns, "options", svec_to_json(&r->dns.options));
    }
    json_object_put(j, "dns", dns);
    return j;
}

static struct cni_error *
decode_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static struct cni_error *
decode_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    struct cni_error *e = cni_error_createv(CNI_ERR_DECODE, NULL,
                                            "invalid CNI result: ",
                                            format, args);
    va_end(args);
    return e;
}

/* Optional string member: true if absent (with *sp = NULL) or a string. */
static bool
opt_string(const struct json *o, const char *name, const char **sp)
{
    const struct json *m = json_get_member(o, name);
    *sp = m && m->type == JSON_STRING ? json_string(m) : NULL;
    return !m || m->type == JSON_STRING || m->type == JSON_NULL;
}

static struct cni_error *
parse_ip_member(const struct json *o, const char *name, const char *what,
                size_t idx, const char **sp)
{
    if (!opt_string(o, name, sp)) {
        return decode_error("%s %"PRIuSIZE": \"%s\" is not a string", what,
                            idx, name);
    }
    if (*sp) {
        struct ip_addr a;
        char *error = cidr_parse_ip(*sp, &a);
        if (error) {
            struct cni_error *e = decode_error("%s %"PRIuSIZE": \"%s\": %s",
                                               what, idx, name, error);
            free(error);
            return e;
        }
    }
    return NULL;
}

static struct cni_error *
parse_cidr_member(const struct json *o, const char *name, const char *what,
                  size_t idx, const char **sp, int *familyp)
{
    const struct json *m = json_get_member(o, name);
    struct ip_cidr c;
    char *error;

    if (!m || m->type != JSON_STRING) {
        return decode_error("%s %"PRIuSIZE": \"%s\" (a CIDR string) is "
                            "missing", what, idx, name);
    }
    *sp = json_string(m);
    error = cidr_parse(*sp, &c, NULL);
    if (error) {
        struct cni_error *e = decode_error("%s %"PRIuSIZE": \"%s\": %s",
                                           what, idx, name, error);
        free(error);
        return e;
    }
    *familyp = c.family;
    return NULL;
}

static struct cni_error *
parse_string_list(const struct json *o, const char *name, struct svec *v)
{
    const struct json *m = json_get_member(o, name);
    if (!m || m->type == JSON_NULL) {
        return NULL;
    }
    if (m->type != JSON_ARRAY) {
        return decode_error("dns.%s is not an array of strings", name);
    }
    for (size_t i = 0; i < json_array(m)->n; i++) {
        const struct json *s = json_array(m)->elems[i];
        if (s->type != JSON_STRING) {
            return decode_error("dns.%s is not an array of strings", name);
        }
        svec_add(v, json_string(s));
    }
    return NULL;
}

static const struct json *
opt_array(const struct json *o, const char *name, bool *okp)
{
    const struct json *m = json_get_member(o, name);
    *okp = !m || m->type == JSON_ARRAY || m->type == JSON_NULL;
    return m && m->type == JSON_ARRAY ? m : NULL;
}

static struct cni_error *
result_from_json__(const struct json *j, struct cni_result *r)
{
    const struct json *a;
    struct cni_error *e;
    bool ok;

    if (!j || j->type != JSON_OBJECT) {
        return decode_error("not a JSON object");
    }
    if (json_get_member(j, "ip4") || json_get_member(j, "ip6")) {
        return decode_error("a CNI 0.2.0 result (\"ip4\"/\"ip6\"), which kovn "
                            "does not support");
    }

    a = opt_array(j, "interfaces", &ok);
    if (!ok) {
        return decode_error("\"interfaces\" is not an array");
    }
    for (size_t i = 0; a && i < json_array(a)->n; i++) {
        const struct json *o = json_array(a)->elems[i];
        const char *name, *mac, *sandbox;
        if (o->type != JSON_OBJECT) {
            return decode_error("interface %"PRIuSIZE" is not an object", i);
        }
        name = json_get_string(o, "name");
        if (!name || !name[0]) {
            return decode_error("interface %"PRIuSIZE" has no \"name\"", i);
        }
        if (!opt_string(o, "mac", &mac) || !opt_string(o, "sandbox",
                                                        &sandbox)) {
            return decode_error("interface %"PRIuSIZE": \"mac\" or "
                                "\"sandbox\" is not a string", i);
        }
        if (mac && mac[0]) {
            struct eth_addr ea;
            char *error = cidr_parse_mac(mac, &ea);
            if (error) {
                e = decode_error("interface %"PRIuSIZE": %s", i, error);
                free(error);
                return e;
            }
        }
        cni_result_add_interface(r, name, mac && mac[0] ? mac : NULL,
                                 sandbox && sandbox[0] ? sandbox : NULL);
    }

    a = opt_array(j, "ips", &ok);
    if (!ok) {
        return decode_error("\"ips\" is not an array");
    }
    for (size_t i = 0; a && i < json_array(a)->n; i++) {
        const struct json *o = json_array(a)->elems[i];
        /* Initialised for GCC at -O3, which cannot see that the parsers
         * set them whenever they return no error. */
        const char *address = NULL, *gateway = NULL, *version = NULL;
        int family = 0;
        int64_t iface = -1;

        if (o->type != JSON_OBJECT) {
            return decode_error("ip %"PRIuSIZE" is not an object", i);
        }
        if ((e = parse_cidr_member(o, "address", "ip", i, &address, &family))
            || (e = parse_ip_member(o, "gateway", "ip", i, &gateway))) {
            return e;
        }
        if (!opt_string(o, "version", &version)
            || (version && strcmp(version, family == AF_INET ? "4" : "6"))) {
            return decode_error("ip %"PRIuSIZE": \"version\" does not match "
                                "address %s", i, address);
        }
        if (json_get_member(o, "interface")
            && json_get_member(o, "interface")->type != JSON_NULL
            && (!json_get_int(o, "interface", &iface) || iface < 0
                || iface >= r->n_interfaces)) {
            return decode_error("ip %"PRIuSIZE": \"interface\" is not an "
                                "index into \"interfaces\" (%"PRIuSIZE" "
                                "entries)", i, r->n_interfaces);
        }
        cni_result_add_ip(r, address, gateway, iface);
    }

    a = opt_array(j, "routes", &ok);
    if (!ok) {
        return decode_error("\"routes\" is not an array");
    }
    for (size_t i = 0; a && i < json_array(a)->n; i++) {
        const struct json *o = json_array(a)->elems[i];
        const char *dst = NULL, *gw = NULL;     /* As above, for GCC. */
        int family = 0;

        if (o->type != JSON_OBJECT) {
            return decode_error("route %"PRIuSIZE" is not an object", i);
        }
        if ((e = parse_cidr_member(o, "dst", "route", i, &dst, &family))
            || (e = parse_ip_member(o, "gw", "route", i, &gw))) {
            return e;
        }
        cni_result_add_route(r, dst, gw);
    }

    const struct json *dns = json_get_member(j, "dns");
    if (dns && dns->type != JSON_NULL) {
        const char *domain;
        if (dns->type != JSON_OBJECT) {
            return decode_error("\"dns\" is not an object");
        }
        if ((e = parse_string_list(dns, "nameservers", &r->dns.nameservers))
            || (e = parse_string_list(dns, "search", &r->dns.search))
            || (e = parse_string_list(dns, "options", &r->dns.options))) {
            return e;
        }
        if (!opt_string(dns, "domain", &domain)) {
            return decode_error("dns.domain is not a string");
        }
        r->dns.domain = domain && domain[0] ? xstrdup(domain) : NULL;
    }
    return NULL;
}

struct cni_error *
cni_result_from_json(const struct json *j, struct cni_result *r)
{
    cni_result_init(r);
    struct cni_error *e = result_from_json__(j, r);
    if (e) {
        cni_result_destroy(r);
    }
    return e;
}

/* ---- Network configuration ---- */

static struct cni_error *
netconf_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static struct cni_error *
netconf_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    struct cni_error *e = cni_error_createv(CNI_ERR_INVALID_NETCONF, NULL,
                                            "invalid network configuration: ",
                                            format, args);
    va_end(args);
    return e;
}

/* The spec's rule for network names: alphanumerics, '_', '.', '-', starting
 * with an alphanumeric.  Container IDs follow the same rule. */
static bool
valid_cni_name(const char *s)
{
    if (!s || !isalnum((unsigned char) s[0])) {
        return false;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char) *s) && !strchr("_.-", *s)) {
            return false;
        }
    }
    return true;
}

static struct cni_error *
netconf_int(const struct json *j, const char *name, int min, int max,
            int *valuep)
{
    const struct json *m = json_get_member(j, name);
    int64_t v;

    if (!m || m->type == JSON_NULL) {
        return NULL;
    }
    if (!json_get_int(j, name, &v) || v < min || v > max) {
        return netconf_error("\"%s\" must be an integer from %d to %d", name,
                             min, max);
    }
    *valuep = v;
    return NULL;
}

static struct cni_error *
netconf_from_json__(struct json *j, struct cni_netconf *nc)
{
    struct cni_error *e;

    nc->raw = j;
    if (j->type != JSON_OBJECT) {
        return netconf_error("stdin must hold a JSON object");
    }
    if (json_get_member(j, "plugins")) {
        return netconf_error("stdin holds a network configuration list "
                             "(\"plugins\"); the runtime must pass kovn its "
                             "own entry of that list");
    }

    const struct json *v = json_get_member(j, "cniVersion");
    if (!v) {
        return netconf_error("\"cniVersion\" is missing");
    }
    if (v->type != JSON_STRING) {
        return netconf_error("\"cniVersion\" must be a string");
    }
    if (!cni_version_supported(json_string(v))) {
        char *list = supported_versions_string();
        e = cni_error_create(CNI_ERR_INCOMPATIBLE_VERSION, NULL,
                             "unsupported cniVersion \"%s\": kovn supports "
                             "%s", json_string(v), list);
        free(list);
        return e;
    }
    nc->cni_version = xstrdup(json_string(v));

    const char *name = json_get_string(j, "name");
    if (!name || !name[0]) {
        return netconf_error("\"name\" (the network's name) is missing");
    }
    if (!valid_cni_name(name)) {
        return netconf_error("network name \"%s\" may only contain letters, "
                             "digits, '_', '.' and '-', starting with a "
                             "letter or digit", name);
    }
    nc->name = xstrdup(name);

    const char *type = json_get_string(j, "type");
    if (!type || !type[0]) {
        return netconf_error("\"type\" (the plugin's name) is missing");
    }
    nc->type = xstrdup(type);

    const struct json *sock = json_get_member(j, "server_socket");
    if (sock && sock->type != JSON_NULL) {
        const char *s = sock->type == JSON_STRING ? json_string(sock) : "";
        if (!strncmp(s, "unix:", 5)) {
            s += 5;
        }
        if (!s[0]) {
            return netconf_error("\"server_socket\" must be the path of "
                                 "kovn-daemon's unix socket");
        }
        nc->server_socket = xstrdup(s);
    } else {
        nc->server_socket = xstrdup(CNI_DEFAULT_SERVER_SOCKET);
    }

    if ((e = netconf_int(j, "mtu", 68, 65535, &nc->mtu))
        || (e = netconf_int(j, "request_timeout", 1, 3600,
                            &nc->request_timeout))) {
        return e;
    }

    const struct json *rc = json_get_member(j, "runtimeConfig");
    if (rc && rc->type != JSON_NULL) {
        if (rc->type != JSON_OBJECT) {
            return netconf_error("\"runtimeConfig\" must be an object");
        }
        nc->runtime_config = json_clone(rc);
    }

    const struct json *prev = json_get_member(j, "prevResult");
    if (prev && prev->type != JSON_NULL) {
        struct cni_result *pr = xmalloc(sizeof *pr);
        e = cni_result_from_json(prev, pr);
        if (e) {
            free(pr);
            struct cni_error *e2 = netconf_error("\"prevResult\": %s",
                                                 e->msg);
            cni_error_destroy(e);
            return e2;
        }
        nc->prev = pr;
        nc->prev_result = json_clone(prev);
    }
    return NULL;
}

static struct cni_error *
netconf_finish(struct cni_error *e, struct cni_netconf *nc)
{
    if (e) {
        cni_netconf_destroy(nc);
        nc->request_timeout = CNI_DEFAULT_REQUEST_TIMEOUT;
    }
    return e;
}

struct cni_error *
cni_netconf_parse(const char *text, size_t length, struct cni_netconf *nc)
{
    char *error;
    struct json *j;

    memset(nc, 0, sizeof *nc);
    nc->request_timeout = CNI_DEFAULT_REQUEST_TIMEOUT;
    j = cni_json_parse(text, length, &error);
    if (!j) {
        struct cni_error *e = cni_error_create(
            CNI_ERR_DECODE, NULL, "cannot decode the network configuration "
            "on stdin: %s", error);
        free(error);
        return e;
    }
    return netconf_finish(netconf_from_json__(j, nc), nc);
}

struct cni_error *
cni_netconf_from_json(const struct json *j, struct cni_netconf *nc)
{
    memset(nc, 0, sizeof *nc);
    nc->request_timeout = CNI_DEFAULT_REQUEST_TIMEOUT;
    return netconf_finish(netconf_from_json__(json_clone(j), nc), nc);
}

const char *
cni_guess_version(const char *text, size_t length, char **bufp)
{
    char *error;
    struct json *j = cni_json_parse(text, length, &error);
    const char *v = j ? json_get_string(j, "cniVersion") : NULL;

    free(error);
    *bufp = cni_version_supported(v) ? xstrdup(v) : NULL;
    json_destroy(j);
    return *bufp ? *bufp : CNI_VERSION_CURRENT;
}

void
cni_netconf_destroy(struct cni_netconf *nc)
{
    if (!nc) {
        return;
    }
    free(nc->cni_version);
    free(nc->name);
    free(nc->type);
    free(nc->server_socket);
    json_destroy(nc->prev_result);
    if (nc->prev) {
        cni_result_destroy(nc->prev);
        free(nc->prev);
    }
    json_destroy(nc->runtime_config);
    json_destroy(nc->raw);
    memset(nc, 0, sizeof *nc);
}

/* ---- Environment ---- */

const char *
cni_command_name(enum cni_command cmd)
{
    switch (cmd) {
    case CNI_CMD_ADD: return "ADD";
    case CNI_CMD_DEL: return "DEL";
    case CNI_CMD_CHECK: return "CHECK";
    case CNI_CMD_VERSION: return "VERSION";
    }
    return "?";
}

void
cni_args_init(struct cni_args *a)
{
    memset(a, 0, sizeof *a);
    smap_init(&a->extra);
}

void
cni_args_destroy(struct cni_args *a)
{
    if (a) {
        free(a->container_id);
        free(a->netns);
        free(a->ifname);
        free(a->path);
        free(a->args);
        smap_destroy(&a->extra);
        cni_args_init(a);
    }
}

static struct cni_error *
env_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static struct cni_error *
env_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    struct cni_error *e = cni_error_createv(CNI_ERR_INVALID_ENV, NULL, "",
                                            format, args);
    va_end(args);
    return e;
}

static const char *const known_args[] = {
    "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID",
    "K8S_POD_UID", "IgnoreUnknown",
};

struct cni_error *
cni_args_parse_cni_args(struct cni_args *a, const char *text)
{
    char *copy = xstrdup(text ? text : "");
    char *save = NULL;
    struct cni_error *e = NULL;

    for (char *pair = strtok_r(copy, ";", &save); pair;
         pair = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(pair, '=');
        if (!eq || eq == pair) {
            e = env_error("CNI_ARGS: \"%s\" is not a KEY=VALUE pair (expected "
                          "\"K1=V1;K2=V2\")", pair);
            goto out;
        }
        *eq = '\0';
        smap_replace(&a->extra, pair, eq + 1);
    }

    const char *ignore = smap_get(&a->extra, "IgnoreUnknown");
    bool ignore_unknown = false;
    if (ignore) {
        if (!strcmp(ignore, "1") || !strcasecmp(ignore, "true")) {
            ignore_unknown = true;
        } else if (strcmp(ignore, "0") && strcasecmp(ignore, "false")) {
            e = env_error("CNI_ARGS: IgnoreUnknown=%s is not a boolean "
                          "(1, 0, true or false)", ignore);
            goto out;
        }
    }
    if (!ignore_unknown) {
        struct smap_node *node;
        SMAP_FOR_EACH (node, &a->extra) {
            bool known = false;
            for (size_t i = 0; i < ARRAY_SIZE(known_args); i++) {
                known |= !strcmp(node->key, known_args[i]);
            }
            if (!known) {
                e = env_error("CNI_ARGS: unknown key \"%s\" (add "
                              "IgnoreUnknown=1 to pass arguments kovn does "
                              "not use)", node->key);
                goto out;
            }
        }
    }
    a->pod_namespace = smap_get(&a->extra, "K8S_POD_NAMESPACE");
    a->pod_name = smap_get(&a->extra, "K8S_POD_NAME");
    a->pod_infra_container_id = smap_get(&a->extra,
                                         "K8S_POD_INFRA_CONTAINER_ID");
    a->pod_uid = smap_get(&a->extra, "K8S_POD_UID");

out:
    free(copy);
    return e;
}

static const char *
nonempty_env(const char *name)
{
    const char *s = getenv(name);
    return s && s[0] ? s : NULL;
}

static struct cni_error *
args_from_env__(struct cni_args *a)
{
    const char *cmd = nonempty_env("CNI_COMMAND");
    if (!cmd) {
        return env_error("CNI_COMMAND is not set: kovn is a CNI plugin, run "
                         "by a container runtime with CNI_COMMAND=ADD, DEL, "
                         "CHECK or VERSION");
    }
    if (!strcmp(cmd, "ADD")) {
        a->command = CNI_CMD_ADD;
    } else if (!strcmp(cmd, "DEL")) {
        a->command = CNI_CMD_DEL;
    } else if (!strcmp(cmd, "CHECK")) {
        a->command = CNI_CMD_CHECK;
    } else if (!strcmp(cmd, "VERSION")) {
        a->command = CNI_CMD_VERSION;
        return NULL;
    } else {
        return env_error("unknown CNI_COMMAND \"%s\" (kovn knows ADD, DEL, "
                         "CHECK and VERSION)", cmd);
    }

    const char *id = nonempty_env("CNI_CONTAINERID");
    if (!id) {
        return env_error("CNI_CONTAINERID is not set (required for %s)", cmd);
    }
    if (!valid_cni_name(id)) {
        return env_error("CNI_CONTAINERID \"%s\" is invalid: it may only "
                         "contain letters, digits, '_', '.' and '-', "
                         "starting with a letter or digit", id);
    }
    a->container_id = xstrdup(id);

    const char *netns = nonempty_env("CNI_NETNS");
    if (!netns && a->command != CNI_CMD_DEL) {
        return env_error("CNI_NETNS is not set (required for %s)", cmd);
    }
    a->netns = nullable_xstrdup(netns);

    const char *ifname = nonempty_env("CNI_IFNAME");
    if (!ifname) {
        return env_error("CNI_IFNAME is not set (required for %s)", cmd);
    }
    if (strlen(ifname) > 15 || !strcmp(ifname, ".") || !strcmp(ifname, "..")
        || strpbrk(ifname, "/: \t\n")) {
        return env_error("CNI_IFNAME \"%s\" is not a valid interface name "
                         "(at most 15 characters, no '/', ':' or spaces)",
                         ifname);
    }
    a->ifname = xstrdup(ifname);

    a->path = nullable_xstrdup(nonempty_env("CNI_PATH"));
    a->args = nullable_xstrdup(nonempty_env("CNI_ARGS"));
    return cni_args_parse_cni_args(a, a->args);
}

struct cni_error *
cni_args_from_env(struct cni_args *a)
{
    cni_args_init(a);
    struct cni_error *e = args_from_env__(a);
    if (e) {
        cni_args_destroy(a);
    }
    return e;
}
