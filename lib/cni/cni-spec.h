/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CNI_SPEC_H
#define KOVN_CNI_SPEC_H 1

/* Types of the Container Network Interface specification, as a plugin sees
 * them: the network configuration on stdin, the CNI_* environment, the
 * result and the error objects on stdout.
 *
 * Supported versions: 1.0.0 (the default), 0.4.0, 0.3.1 and 0.3.0.  The
 * differences that matter here:
 *   - 0.3.x and 0.4.0 results carry "version": "4"/"6" in each "ips" entry;
 *     1.0.0 dropped it.
 *   - CHECK exists from 0.4.0 on.
 *
 * Every function that can fail returns a 'struct cni_error *' (NULL on
 * success) that the caller frees with cni_error_destroy(); its message is
 * written for a person who has to act on it. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"
#include "openvswitch/json.h"
#include "smap.h"
#include "svec.h"

/* The newest version this code speaks, and the default. */
#define CNI_VERSION_CURRENT "1.0.0"

/* Where kovn-daemon's CNI server listens unless the netconf says otherwise. */
#define CNI_DEFAULT_SERVER_SOCKET "/run/kovn/cni.sock"

/* Default request timeout (seconds) unless the netconf's "request_timeout"
 * says otherwise. */
#define CNI_DEFAULT_REQUEST_TIMEOUT 120

/* Well-known error codes (CNI spec, "Error"). */
enum cni_error_code {
    CNI_ERR_INCOMPATIBLE_VERSION = 1,
    CNI_ERR_UNSUPPORTED_FIELD = 2,
    CNI_ERR_UNKNOWN_CONTAINER = 3,
    CNI_ERR_INVALID_ENV = 4,
    CNI_ERR_IO = 5,
    CNI_ERR_DECODE = 6,
    CNI_ERR_INVALID_NETCONF = 7,
    CNI_ERR_TRY_AGAIN = 11,
    /* 100 and above are for plugins; kovn uses this one for failures the
     * daemon reports without a more specific code. */
    CNI_ERR_INTERNAL = 999,
};

struct cni_error {
    int code;                   /* enum cni_error_code or a plugin code. */
    char *msg;                  /* One line, for a person. */
    char *details;              /* More context, or NULL. */
};

struct cni_error *cni_error_create(int code, const char *details,
                                   const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);
void cni_error_destroy(struct cni_error *);

/* The spec's error object {"cniVersion", "code", "msg", "details"}.
 * 'version' may be NULL or unsupported: CNI_VERSION_CURRENT is used then. */
struct json *cni_error_to_json(const struct cni_error *, const char *version);

/* Reads {"code", "msg", "details"} (as cni_error_to_json() writes it, or as
 * the daemon sends it); NULL if 'json' is not such an object. */
struct cni_error *cni_error_from_json(const struct json *);

/* Versions. */
bool cni_version_supported(const char *version);
bool cni_version_has_ip_version(const char *version);  /* 0.3.x, 0.4.0 */
bool cni_version_has_check(const char *version);       /* >= 0.4.0 */

/* The VERSION command's answer: {"cniVersion", "supportedVersions"}.
 * 'version' is echoed back if supported, else CNI_VERSION_CURRENT. */
struct json *cni_version_info_to_json(const char *version);

/* ---- Results ---- */

struct cni_interface {
    char *name;
    char *mac;                  /* Or NULL. */
    char *sandbox;              /* Netns path, NULL for a host interface. */
};

struct cni_ip {
    char *address;              /* CIDR, e.g. "10.16.0.5/16". */
    char *gateway;              /* Or NULL. */
    int interface;              /* Index into 'interfaces', or -1. */
};

struct cni_route {
    char *dst;                  /* CIDR. */
    char *gw;                   /* Or NULL. */
};

struct cni_dns {
    struct svec nameservers;
    char *domain;               /* Or NULL. */
    struct svec search;
    struct svec options;
};

struct cni_result {
    struct cni_interface *interfaces;
    size_t n_interfaces;
    struct cni_ip *ips;
    size_t n_ips;
    struct cni_route *routes;
    size_t n_routes;
    struct cni_dns dns;
};

void cni_result_init(struct cni_result *);
void cni_result_destroy(struct cni_result *);

/* Appends; strings are copied ('mac', 'sandbox', 'gateway', 'gw' may be
 * NULL).  Return the index of the new entry. */
size_t cni_result_add_interface(struct cni_result *, const char *name,
                                const char *mac, const char *sandbox);
size_t cni_result_add_ip(struct cni_result *, const char *address,
                         const char *gateway, int interface);
size_t cni_result_add_route(struct cni_result *, const char *dst,
                            const char *gw);

/* Appends everything in 'src' to 'dst', renumbering 'src''s interface
 * indexes; 'src''s DNS replaces 'dst''s if it has any nameserver or domain.
 * This is how a chained plugin adds its part to a prevResult. */
void cni_result_merge(struct cni_result *dst, const struct cni_result *src);

/* Parses a result of any supported version (the "version" member of "ips"
 * entries is checked against the address when present, otherwise ignored).
 * Checks that addresses, gateways and MACs are well formed and interface
 * indexes are in range; code 6 (decode) on failure. */
struct cni_error *cni_result_from_json(const struct json *,
                                       struct cni_result *)
    OVS_WARN_UNUSED_RESULT;

/* Serialises 'result' for 'version' (must be supported). */
struct json *cni_result_to_json(const struct cni_result *,
                                const char *version);

/* ---- Network configuration (stdin) ---- */

struct cni_netconf {
    char *cni_version;
    char *name;
    char *type;
    char *server_socket;        /* CNI_DEFAULT_SERVER_SOCKET if absent. */
    int mtu;                    /* 0 if absent. */
    int request_timeout;        /* Seconds; CNI_DEFAULT_REQUEST_TIMEOUT. */
    struct json *prev_result;   /* As received, or NULL. */
    struct cni_result *prev;    /* 'prev_result' parsed, or NULL. */
    struct json *runtime_config;/* "runtimeConfig" as received, or NULL. */
    struct json *raw;           /* The whole configuration. */
};

/* Parses a plugin configuration as a runtime passes it on stdin (a
 * standalone netconf, or one "plugins" entry of a conflist with "name" and
 * "cniVersion" filled in by the runtime).  Error codes: 6 for text that is
 * not JSON, 1 for an unsupported "cniVersion", 7 for anything else wrong.
 * On error '*nc' is left empty (safe to destroy). */
struct cni_error *cni_netconf_parse(const char *text, size_t length,
                                    struct cni_netconf *nc)
    OVS_WARN_UNUSED_RESULT;
/* The same from parsed JSON (which is copied), e.g. the "netconf" of a
 * kovn-daemon request. */
struct cni_error *cni_netconf_from_json(const struct json *,
                                        struct cni_netconf *nc)
    OVS_WARN_UNUSED_RESULT;
void cni_netconf_destroy(struct cni_netconf *);

/* For error output when the configuration did not parse: the "cniVersion"
 * of 'text' if it is JSON with a supported one (stored malloc'd in '*bufp',
 * which the caller frees), else CNI_VERSION_CURRENT (and '*bufp' NULL). */
const char *cni_guess_version(const char *text, size_t length, char **bufp);

/* Parses JSON text with OVS's incremental parser; on failure returns NULL
 * and stores a malloc'd message in '*errorp'. */
struct json *cni_json_parse(const char *text, size_t length, char **errorp);

/* ---- Environment ---- */

enum cni_command {
    CNI_CMD_ADD,
    CNI_CMD_DEL,
    CNI_CMD_CHECK,
    CNI_CMD_VERSION,
};

const char *cni_command_name(enum cni_command);   /* "ADD"... */

struct cni_args {
    enum cni_command command;
    char *container_id;         /* Or NULL (VERSION). */
    char *netns;                /* Or NULL (DEL may omit it). */
    char *ifname;
    char *path;                 /* CNI_PATH, or NULL. */
    char *args;                 /* CNI_ARGS as received, or NULL. */
    struct smap extra;          /* CNI_ARGS, parsed. */
    /* From CNI_ARGS; NULL when absent. */
    const char *pod_namespace;  /* K8S_POD_NAMESPACE */
    const char *pod_name;       /* K8S_POD_NAME */
    const char *pod_infra_container_id; /* K8S_POD_INFRA_CONTAINER_ID */
    const char *pod_uid;        /* K8S_POD_UID */
};

/* Reads CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and
 * CNI_PATH from the environment and checks them for the command (code 4 on
 * error).  CNI_ARGS keys other than K8S_POD_* and IgnoreUnknown are refused
 * unless IgnoreUnknown=1 (or "true"), as libcni does.  On error '*args' is
 * left empty (safe to destroy). */
struct cni_error *cni_args_from_env(struct cni_args *)
    OVS_WARN_UNUSED_RESULT;

/* Parses only CNI_ARGS text into 'args''s 'extra' and pod fields. */
struct cni_error *cni_args_parse_cni_args(struct cni_args *,
                                          const char *text)
    OVS_WARN_UNUSED_RESULT;
void cni_args_init(struct cni_args *);
void cni_args_destroy(struct cni_args *);

#endif /* lib/cni/cni-spec.h */
