/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-config.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(k8s_config);

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* What one kubeconfig parse needs to build error messages and file names. */
struct kc_parse {
    const char *name;           /* File name (or "kubeconfig"), for errors. */
    const char *base_dir;       /* Resolves relative paths; NULL: cwd. */
    struct k8s_config *config;  /* Being filled in. */
};

static char * OVS_PRINTF_FORMAT(2, 3)
kc_error(const struct kc_parse *p, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    ds_put_format(&s, "%s: ", p->name);
    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    return ds_steal_cstr(&s);
}

/* Reads all of 'path' into a new NUL-terminated buffer in '*datap' (its
 * length in '*lenp').  Returns 0 or an errno value. */
static int
read_whole_file(const char *path, char **datap, size_t *lenp)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    FILE *f = fopen(path, "r");
    int error = 0;

    *datap = NULL;
    if (!f) {
        return errno;
    }
    for (;;) {
        char buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        ds_put_buffer(&s, buf, n);
        if (n < sizeof buf) {
            error = ferror(f) ? EIO : 0;
            break;
        }
    }
    fclose(f);
    if (error) {
        ds_destroy(&s);
        return error;
    }
    *lenp = s.length;
    *datap = ds_steal_cstr(&s);
    return 0;
}

/* Reads a token file: its content without surrounding white space, as
 * client-go does.  Returns 0 or an errno value (ENODATA if it is empty). */
static int
read_token_file(const char *path, char **tokenp)
{
    char *data;
    size_t len;
    int error = read_whole_file(path, &data, &len);
    if (error) {
        *tokenp = NULL;
        return error;
    }

    const char *start = data;
    while (len && isspace((unsigned char) *start)) {
        start++;
        len--;
    }
    while (len && isspace((unsigned char) start[len - 1])) {
        len--;
    }
    *tokenp = len ? xmemdup0(start, len) : NULL;
    free(data);
    return len ? 0 : ENODATA;
}

/* Strict base64 (RFC 4648 with padding, as Go's StdEncoding): white space is
 * skipped, anything else outside the alphabet, or misplaced padding, makes
 * the whole input invalid.  Returns true and a NUL-terminated buffer on
 * success. */
static bool
base64_decode(const char *in, size_t in_len, char **outp, size_t *out_lenp)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char *out = xmalloc(in_len / 4 * 3 + 4);
    size_t n = 0;               /* Bytes written to 'out'. */
    unsigned int quad = 0;      /* Bits gathered for the current group. */
    int n_sym = 0;              /* Symbols in the current group. */
    int n_pad = 0;              /* '=' seen in the current group. */
    bool done = false;          /* A padded group ended the data. */

    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = in[i];
        const char *p;

        if (isspace(c)) {
            continue;
        } else if (done) {
            goto bad;
        } else if (c == '=') {
            if (n_sym < 2) {
                goto bad;
            }
            n_pad++;
        } else if (c && !n_pad && (p = strchr(alphabet, c))) {
            quad = (quad << 6) | (unsigned int) (p - alphabet);
        } else {
            goto bad;
        }
        if (++n_sym == 4) {
            quad <<= 6 * n_pad;
            out[n++] = quad >> 16;
            if (n_pad < 2) {
                out[n++] = quad >> 8;
            }
            if (n_pad < 1) {
                out[n++] = quad;
            }
            done = n_pad > 0;
            quad = n_sym = n_pad = 0;
        }
    }
    if (n_sym) {
        goto bad;
    }
    out[n] = '\0';
    *outp = (char *) out;
    *out_lenp = n;
    return true;

bad:
    free(out);
    *outp = NULL;
    return false;
}

/* Stores the text of the scalar 'key' of mapping 'map' (which may be NULL) in
 * '*valuep': NULL if it is absent, empty or YAML null.  Returns an error
 * (that starts with 'what') if the value is not a scalar. */
static char *
get_string(const struct kc_parse *p, struct fy_node *map, const char *what,
           const char *key, char **valuep)
{
    struct fy_node *fyn = map ? fy_node_mapping_lookup_by_string(map, key,
                                                                 FY_NT)
                              : NULL;
    *valuep = NULL;
    if (!fyn) {
        return NULL;
    }
    if (!fy_node_is_scalar(fyn)) {
        return kc_error(p, "%s%s is not a string", what, key);
    }

    size_t len;
    const char *s = fy_node_get_scalar(fyn, &len);
    bool is_null = fy_node_get_style(fyn) == FYNS_PLAIN
                   && ((len == 1 && s[0] == '~')
                       || (len == 4 && !memcmp(s, "null", 4)));
    if (s && len && !is_null) {
        *valuep = xmemdup0(s, len);
    }
    return NULL;
}

static char *
get_bool(const struct kc_parse *p, struct fy_node *map, const char *what,
         const char *key, bool *valuep)
{
    char *s;
    char *error = get_string(p, map, what, key, &s);

    *valuep = false;
    if (error || !s) {
        return error;
    }
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *valuep = true;
    } else if (strcmp(s, "false") && strcmp(s, "False")
               && strcmp(s, "FALSE")) {
        error = kc_error(p, "%s%s is not a boolean: \"%s\"", what, key, s);
    }
    free(s);
    return error;
}

/* Finds the entry named 'name' in the top-level list 'list' ("contexts",
 * "clusters", "users") and returns its 'inner' mapping ("context", ...). */
static char *
find_named(const struct kc_parse *p, struct fy_node *root, const char *list,
           const char *kind, const char *name, struct fy_node **innerp)
{
    struct fy_node *seq = fy_node_mapping_lookup_by_string(root, list, FY_NT);
    *innerp = NULL;
    if (seq && !fy_node_is_sequence(seq)) {
        return kc_error(p, "%s is not a list", list);
    }

    struct fy_node *item;
    void *iter = NULL;
    while (seq && (item = fy_node_sequence_iterate(seq, &iter))) {
        char *item_name = NULL;
        char *error = (fy_node_is_mapping(item)
                       ? get_string(p, item, "", "name", &item_name)
                       : xstrdup("not a mapping"));
        if (error) {
            free(error);
            return kc_error(p, "%s has an entry that is not a mapping with "
                            "a name", list);
        }
        bool match = item_name && !strcmp(item_name, name);
        free(item_name);
        if (match) {
            *innerp = fy_node_mapping_lookup_by_string(item, kind, FY_NT);
            if (*innerp && !fy_node_is_mapping(*innerp)) {
                return kc_error(p, "%s \"%s\": %s is not a mapping",
                                kind, name, kind);
            }
            return NULL;
        }
    }
    return kc_error(p, "%s \"%s\" not found", kind, name);
}

/* Makes '*pathp' absolute and checks that it can be read, because a missing
 * certificate is easier to understand here than as a TLS failure later. */
static char *
resolve_file(const struct kc_parse *p, const char *what, const char *key,
             char **pathp)
{
    if (!*pathp) {
        return NULL;
    }

    char *abs = abs_file_name(p->base_dir, *pathp);
    if (!abs) {
        return kc_error(p, "%s%s: cannot resolve \"%s\"", what, key, *pathp);
    }
    free(*pathp);
    *pathp = abs;
    if (access(abs, R_OK)) {
        return kc_error(p, "%s%s: %s: %s", what, key, abs,
                        ovs_strerror(errno));
    }
    return NULL;
}

/* Decodes the base64 field 'key' of 'map' into '*datap'/'*lenp'. */
static char *
get_data(const struct kc_parse *p, struct fy_node *map, const char *what,
         const char *key, char **datap, size_t *lenp)
{
    char *b64;
    char *error = get_string(p, map, what, key, &b64);
    if (error || !b64) {
        return error;
    }

    bool ok = base64_decode(b64, strlen(b64), datap, lenp);
    free(b64);
    if (!ok) {
        return kc_error(p, "%s%s is not valid base64", what, key);
    }
    /* client-go accepts PEM only; say so now rather than fail in TLS. */
    if (!strstr(*datap, "-----BEGIN ")) {
        return kc_error(p, "%s%s does not hold a PEM block", what, key);
    }
    return NULL;
}

/* Fills the server and CA of 'p->config' from the cluster 'name'. */
static char *
parse_cluster(const struct kc_parse *p, struct fy_node *root,
              const char *name)
{
    struct k8s_config *c = p->config;
    struct fy_node *cluster;
    char *error = find_named(p, root, "clusters", "cluster", name, &cluster);
    if (error) {
        return error;
    }

    char *what = xasprintf("cluster \"%s\": ", name);
    if ((error = get_string(p, cluster, what, "server", &c->server))
        || (error = get_string(p, cluster, what, "certificate-authority",
                               &c->ca_file))
        || (error = get_data(p, cluster, what, "certificate-authority-data",
                             &c->ca_data, &c->ca_data_len))
        || (error = get_bool(p, cluster, what, "insecure-skip-tls-verify",
                             &c->insecure))) {
        goto out;
    }
    if (!c->server) {
        error = kc_error(p, "%sno server", what);
    } else if (c->ca_file && c->ca_data) {
        /* kubectl rejects this too. */
        error = kc_error(p, "%sboth certificate-authority and "
                         "certificate-authority-data are set", what);
    } else if (c->insecure && (c->ca_file || c->ca_data)) {
        error = kc_error(p, "%sinsecure-skip-tls-verify together with a "
                         "certificate authority is not allowed", what);
    } else {
        error = resolve_file(p, what, "certificate-authority", &c->ca_file);
    }

out:
    free(what);
    return error;
}

/* Fills the credentials of 'p->config' from the user 'name'. */
static char *
parse_user(const struct kc_parse *p, struct fy_node *root, const char *name)
{
    struct k8s_config *c = p->config;
    struct fy_node *user;
    char *error = find_named(p, root, "users", "user", name, &user);
    if (error) {
        return error;
    }

    char *what = xasprintf("user \"%s\": ", name);
    if ((error = get_string(p, user, what, "client-certificate",
                            &c->cert_file))
        || (error = get_data(p, user, what, "client-certificate-data",
                             &c->cert_data, &c->cert_data_len))
        || (error = get_string(p, user, what, "client-key", &c->key_file))
        || (error = get_data(p, user, what, "client-key-data",
                             &c->key_data, &c->key_data_len))
        || (error = get_string(p, user, what, "token", &c->token))
        || (error = get_string(p, user, what, "tokenFile", &c->token_file))) {
        goto out;
    }

    bool has_cert = c->cert_file || c->cert_data;
    bool has_key = c->key_file || c->key_data;
    if (user && (fy_node_mapping_lookup_by_string(user, "exec", FY_NT)
                 || fy_node_mapping_lookup_by_string(user, "auth-provider",
                                                     FY_NT))
        && !has_cert && !c->token && !c->token_file) {
        error = kc_error(p, "%sexec and auth-provider credentials are not "
                         "supported", what);
    } else if (c->cert_file && c->cert_data) {
        error = kc_error(p, "%sboth client-certificate and "
                         "client-certificate-data are set", what);
    } else if (c->key_file && c->key_data) {
        error = kc_error(p, "%sboth client-key and client-key-data are set",
                         what);
    } else if (has_cert != has_key) {
        error = kc_error(p, "%s%s without %s", what,
                         has_cert ? "client-certificate" : "client-key",
                         has_cert ? "client-key" : "client-certificate");
    } else if (!(error = resolve_file(p, what, "client-certificate",
                                      &c->cert_file))
               && !(error = resolve_file(p, what, "client-key",
                                         &c->key_file))) {
        error = resolve_file(p, what, "tokenFile", &c->token_file);
    }

out:
    free(what);
    return error;
}

/* Follows current-context to its context, cluster and user. */
static char *
parse_kubeconfig(const struct kc_parse *p, struct fy_node *root)
{
    struct k8s_config *c = p->config;
    char *current = NULL, *cluster = NULL, *user = NULL;
    struct fy_node *context;
    char *error;

    if (!root || !fy_node_is_mapping(root)) {
        return kc_error(p, "not a kubeconfig (no top-level mapping)");
    }
    if ((error = get_string(p, root, "", "current-context", &current))) {
        return error;
    }
    if (!current) {
        return kc_error(p, "no current-context");
    }

    char *what = xasprintf("context \"%s\": ", current);
    if ((error = find_named(p, root, "contexts", "context", current,
                            &context))
        || (error = get_string(p, context, what, "cluster", &cluster))
        || (error = get_string(p, context, what, "user", &user))
        || (error = get_string(p, context, what, "namespace",
                               &c->namespace))) {
        goto out;
    }
    if (!cluster) {
        error = kc_error(p, "%sno cluster", what);
        goto out;
    }
    if ((error = parse_cluster(p, root, cluster))) {
        goto out;
    }
    /* A context without a user is anonymous, as with kubectl. */
    if (user && (error = parse_user(p, root, user))) {
        goto out;
    }

out:
    free(what);
    free(current);
    free(cluster);
    free(user);
    return error;
}

/* A diagnostic sink that prints nothing: errors are collected instead. */
static void
diag_discard(struct fy_diag *diag OVS_UNUSED, void *user OVS_UNUSED,
             const char *buf OVS_UNUSED, size_t len OVS_UNUSED)
{
}

/* Builds the YAML document from 'yaml' or returns a "line N: YAML parse
 * error" message with libfyaml's explanation. */
static char *
parse_yaml(const struct kc_parse *p, const char *yaml,
           struct fy_document **docp)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_discard;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) {
        return kc_error(p, "out of memory creating the YAML parser");
    }
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg cfg = {
        /* Resolved, so that anchors and aliases read as plain values. */
        .flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_RESOLVE_DOCUMENT,
        .diag = diag,
    };
    char *error = NULL;
    *docp = fy_document_build_from_string(&cfg, yaml, strlen(yaml));
    if (!*docp || fy_diag_got_error(diag)) {
        void *iter = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &iter);
        if (e) {
            /* libfyaml counts lines from 1. */
            error = kc_error(p, "line %d: YAML parse error: %s",
                             e->line, e->msg);
        } else if (!*docp) {
            /* No document and no complaint: nothing but comments. */
            error = kc_error(p, "not a kubeconfig (empty)");
        } else {
            error = kc_error(p, "YAML parse error");
        }
        fy_document_destroy(*docp);
        *docp = NULL;
    }
    fy_diag_destroy(diag);
    return error;
}

static void
normalize_server(struct k8s_config *c)
{
    /* kubectl takes "host:port" as https. */
    if (!strstr(c->server, "://")) {
        char *s = xasprintf("https://%s", c->server);
        free(c->server);
        c->server = s;
    }
    /* Callers append "/api/..." to it. */
    size_t len = strlen(c->server);
    while (len && c->server[len - 1] == '/') {
        c->server[--len] = '\0';
    }
}

static char *
config_from_string(const char *name, const char *yaml, const char *base_dir,
                   struct k8s_config **configp)
{
    struct kc_parse p = {
        .name = name,
        .base_dir = base_dir,
        .config = xzalloc(sizeof *p.config),
    };
    struct fy_document *doc;
    char *error = parse_yaml(&p, yaml, &doc);
    if (!error) {
        error = parse_kubeconfig(&p, fy_document_root(doc));
        fy_document_destroy(doc);
    }
    if (error) {
        k8s_config_destroy(p.config);
        *configp = NULL;
        return error;
    }

    if (!p.config->namespace) {
        p.config->namespace = xstrdup("default");
    }
    normalize_server(p.config);
    *configp = p.config;
    return NULL;
}

char *
k8s_config_from_string(const char *yaml, const char *base_dir,
                       struct k8s_config **configp)
{
    return config_from_string("kubeconfig", yaml, base_dir, configp);
}

char *
k8s_config_from_file(const char *path, struct k8s_config **configp)
{
    char *yaml;
    size_t len;
    int error = read_whole_file(path, &yaml, &len);
    *configp = NULL;
    if (error) {
        return xasprintf("%s: %s", path, ovs_strerror(error));
    }
    if (memchr(yaml, '\0', len)) {
        free(yaml);
        return xasprintf("%s: not a kubeconfig (binary data)", path);
    }

    /* Relative paths inside are relative to the file's folder, which must
     * itself be absolute so that a later chdir() does not break them. */
    char *dir = dir_name(path);
    char *abs_dir = abs_file_name(NULL, dir);
    char *msg = config_from_string(path, yaml, abs_dir ? abs_dir : dir,
                                   configp);
    free(abs_dir);
    free(dir);
    free(yaml);
    return msg;
}

char *
k8s_config_in_cluster(const char *sa_dir, struct k8s_config **configp)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");

    *configp = NULL;
    if (!host || !*host || !port || !*port) {
        return xstrdup("in-cluster: KUBERNETES_SERVICE_HOST and "
                       "KUBERNETES_SERVICE_PORT must be set");
    }
    if (!sa_dir) {
        sa_dir = SA_DIR;
    }

    struct k8s_config *c = xzalloc(sizeof *c);
    c->server = xasprintf(strchr(host, ':') ? "https://[%s]:%s"
                                            : "https://%s:%s", host, port);
    c->token_file = xasprintf("%s/token", sa_dir);
    int error = read_token_file(c->token_file, &c->token);
    if (error) {
        char *msg = xasprintf("in-cluster: %s: %s", c->token_file,
                              error == ENODATA ? "empty token"
                                               : ovs_strerror(error));
        k8s_config_destroy(c);
        return msg;
    }

    /* Without ca.crt the server cannot be verified: say so and go on with
     * the system's roots, as client-go does. */
    c->ca_file = xasprintf("%s/ca.crt", sa_dir);
    if (access(c->ca_file, R_OK)) {
        VLOG_WARN("in-cluster: %s: %s", c->ca_file, ovs_strerror(errno));
        free(c->ca_file);
        c->ca_file = NULL;
    }

    char *ns_file = xasprintf("%s/namespace", sa_dir);
    if (read_token_file(ns_file, &c->namespace)) {
        c->namespace = xstrdup("default");
    }
    free(ns_file);

    *configp = c;
    return NULL;
}

char *
k8s_config_load(const char *path, struct k8s_config **configp)
{
    if (path) {
        return k8s_config_from_file(path, configp);
    }

    /* $KUBECONFIG may be a list; kubectl merges it, kovn takes the first
     * file that exists. */
    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        char *list = xstrdup(env), *save = NULL, *first = NULL;
        for (char *f = strtok_r(list, ":", &save); f;
             f = strtok_r(NULL, ":", &save)) {
            if (!first) {
                first = f;
            }
            if (!access(f, F_OK)) {
                first = f;
                break;
            }
        }
        char *error = first ? k8s_config_from_file(first, configp) : NULL;
        free(list);
        if (first) {
            return error;
        }
    }

    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (host && *host) {
        return k8s_config_in_cluster(NULL, configp);
    }

    const char *home = getenv("HOME");
    if (!home || !*home) {
        *configp = NULL;
        return xstrdup("no kubeconfig: none given, KUBECONFIG, "
                       "KUBERNETES_SERVICE_HOST and HOME are all unset");
    }
    char *file = xasprintf("%s/.kube/config", home);
    char *error = k8s_config_from_file(file, configp);
    free(file);
    return error;
}

char *
k8s_config_get_token(const struct k8s_config *c)
{
    if (c->token_file) {
        /* Service account tokens rotate: always use the file's latest. */
        char *token;
        int error = read_token_file(c->token_file, &token);
        if (!error) {
            return token;
        }
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
        VLOG_WARN_RL(&rl, "%s: %s%s", c->token_file,
                     error == ENODATA ? "empty token" : ovs_strerror(error),
                     c->token ? " (using the token read at load)" : "");
    }
    return nullable_xstrdup(c->token);
}

void
k8s_config_destroy(struct k8s_config *c)
{
    if (c) {
        free(c->server);
        free(c->ca_file);
        free(c->ca_data);
        free(c->cert_file);
        free(c->cert_data);
        free(c->key_file);
        free(c->key_data);
        free(c->token);
        free(c->token_file);
        free(c->namespace);
        free(c);
    }
}
