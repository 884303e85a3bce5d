/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of kubeconfig and in-cluster loading.  Each test writes its
 * files into a fresh temporary folder; inline data is base64-encoded here
 * with OpenSSL, independently of the decoder under test. */

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "k8s/k8s-config.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

struct fixture {
    char dir[64];               /* Temporary folder, absolute. */
};

static const char CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\nQ0EgY2VydGlmaWNhdGU=\n"
    "-----END CERTIFICATE-----\n";
static const char CERT_PEM[] =
    "-----BEGIN CERTIFICATE-----\nY2xpZW50IGNlcnQ=\n"
    "-----END CERTIFICATE-----\n";
static const char KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\nY2xpZW50IGtleQ==\n"
    "-----END PRIVATE KEY-----\n";

static int
setup(void **state)
{
    struct fixture *f = xzalloc(sizeof *f);
    strcpy(f->dir, "/tmp/kovn-test-kubeconfig-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    *state = f;
    return 0;
}

static int
remove_one(const char *path, const struct stat *st OVS_UNUSED,
           int flag OVS_UNUSED, struct FTW *ftw OVS_UNUSED)
{
    return remove(path);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    int error = nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return error;
}

/* Writes 'content' to 'dir'/'name' (creating the subfolders in 'name') and
 * returns the file's path, which the caller frees. */
static char *
write_file(const char *dir, const char *name, const char *content)
{
    char *path = xasprintf("%s/%s", dir, name);
    for (char *slash = path + strlen(dir) + 1; (slash = strchr(slash, '/'));
         slash++) {
        *slash = '\0';
        assert_true(!mkdir(path, 0700) || errno == EEXIST);
        *slash = '/';
    }

    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fwrite(content, 1, strlen(content), file),
                     strlen(content));
    assert_int_equal(fclose(file), 0);
    return path;
}

static char *
b64(const char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) data,
                    len);
    return out;
}

static char *
b64s(const char *s)
{
    return b64(s, strlen(s));
}

/* A kubeconfig whose current context "dev" uses cluster "c1" and user "u1",
 * next to a decoy context, cluster and user that must not be picked.
 * 'cluster' and 'user' are the extra lines of each (indented 4). */
static char *
kubeconfig(const char *cluster, const char *user, const char *ctx_extra)
{
    return xasprintf(
        "apiVersion: v1\n"
        "kind: Config\n"
        "current-context: dev\n"
        "contexts:\n"
        "- name: other\n"
        "  context: {cluster: decoy, user: decoy, namespace: wrong}\n"
        "- name: dev\n"
        "  context:\n"
        "    cluster: c1\n"
        "    user: u1\n"
        "%s"
        "clusters:\n"
        "- name: decoy\n"
        "  cluster: {server: 'https://decoy:1'}\n"
        "- name: c1\n"
        "  cluster:\n"
        "%s"
        "users:\n"
        "- name: decoy\n"
        "  user: {token: decoy-token}\n"
        "- name: u1\n"
        "  user:\n"
        "%s",
        ctx_extra ? ctx_extra : "", cluster, user ? user : "    {}\n");
}

/* Loads 'yaml' from a file 'kc' in the fixture folder. */
static char *
load(struct fixture *f, const char *yaml, struct k8s_config **cp)
{
    char *path = write_file(f->dir, "kc", yaml);
    char *error = k8s_config_from_file(path, cp);
    free(path);
    return error;
}

/* Expects loading 'yaml' to fail with an error that starts with the file's
 * name and contains each of the NULL-terminated fragments. */
static void
expect_error(struct fixture *f, const char *yaml, ...)
{
    struct k8s_config *c = (struct k8s_config *) 1;
    char *error = load(f, yaml, &c);
    assert_non_null(error);
    assert_null(c);

    char *prefix = xasprintf("%s/kc: ", f->dir);
    if (strncmp(error, prefix, strlen(prefix))) {
        fail_msg("error \"%s\" does not start with \"%s\"", error, prefix);
    }
    free(prefix);

    va_list args;
    va_start(args, yaml);
    for (const char *s; (s = va_arg(args, const char *)); ) {
        if (!strstr(error, s)) {
            fail_msg("error \"%s\" lacks \"%s\"", error, s);
        }
    }
    va_end(args);
    free(error);
}

static void
test_inline_data(void **state)
{
    struct fixture *f = *state;
    char *ca = b64s(CA_PEM), *cert = b64s(CERT_PEM), *key = b64s(KEY_PEM);
    char *cl = xasprintf("    server: https://10.0.0.1:6443/\n"
                         "    certificate-authority-data: %s\n", ca);
    char *us = xasprintf("    client-certificate-data: %s\n"
                         "    client-key-data: \"%s\"\n", cert, key);
    char *yaml = kubeconfig(cl, us, "    namespace: kube-system\n");

    struct k8s_config *c;
    char *error = load(f, yaml, &c);
    assert_null(error);
    assert_string_equal(c->server, "https://10.0.0.1:6443");
    assert_int_equal(c->ca_data_len, strlen(CA_PEM));
    assert_memory_equal(c->ca_data, CA_PEM, sizeof CA_PEM);   /* With NUL. */
    assert_int_equal(c->cert_data_len, strlen(CERT_PEM));
    assert_memory_equal(c->cert_data, CERT_PEM, sizeof CERT_PEM);
    assert_int_equal(c->key_data_len, strlen(KEY_PEM));
    assert_memory_equal(c->key_data, KEY_PEM, sizeof KEY_PEM);
    assert_null(c->ca_file);
    assert_null(c->cert_file);
    assert_null(c->key_file);
    assert_null(c->token);
    assert_null(c->token_file);
    assert_null(k8s_config_get_token(c));
    assert_false(c->insecure);
    assert_string_equal(c->namespace, "kube-system");
    k8s_config_destroy(c);

    free(yaml);
    free(us);
    free(cl);
    free(ca);
    free(cert);
    free(key);
}

/* Every length modulo 3, binary bytes, and base64 folded over lines. */
static void
test_base64_lengths(void **state)
{
    struct fixture *f = *state;
    for (size_t extra = 0; extra < 7; extra++) {
        struct ds pem = DS_EMPTY_INITIALIZER;
        ds_put_cstr(&pem, CA_PEM);
        for (size_t i = 0; i < extra; i++) {
            ds_put_char(&pem, (char) (0x80 + 37 * i));
        }
        char *enc = b64(pem.string, pem.length);

        /* Folded in a block scalar, 10 characters a line. */
        struct ds folded = DS_EMPTY_INITIALIZER;
        for (const char *p = enc; *p; p += MIN(10, strlen(p))) {
            ds_put_format(&folded, "      %.10s\n", p);
        }
        char *cl = xasprintf("    server: https://h\n"
                             "    certificate-authority-data: |\n%s",
                             ds_cstr(&folded));
        char *yaml = kubeconfig(cl, NULL, NULL);

        struct k8s_config *c;
        char *error = load(f, yaml, &c);
        if (error) {
            fail_msg("extra %zu: %s", extra, error);
        }
        assert_int_equal(c->ca_data_len, pem.length);
        assert_memory_equal(c->ca_data, pem.string, pem.length);
        assert_int_equal(c->ca_data[pem.length], '\0');
        k8s_config_destroy(c);

        free(yaml);
        free(cl);
        ds_destroy(&folded);
        free(enc);
        ds_destroy(&pem);
    }
}

static void
test_relative_files(void **state)
{
    struct fixture *f = *state;
    free(write_file(f->dir, "conf/pki/ca.crt", CA_PEM));
    free(write_file(f->dir, "conf/pki/client.crt", CERT_PEM));
    free(write_file(f->dir, "conf/pki/client.key", KEY_PEM));
    char *abs_key = xasprintf("%s/conf/pki/client.key", f->dir);
    char *us = xasprintf("    client-certificate: pki/client.crt\n"
                         "    client-key: %s\n", abs_key);
    char *yaml = kubeconfig("    server: https://h:1\n"
                            "    certificate-authority: pki/ca.crt\n",
                            us, NULL);
    char *path = write_file(f->dir, "conf/config", yaml);

    /* Resolved against the kubeconfig's folder, not the working one. */
    char *cwd = get_cwd();
    assert_int_equal(chdir("/"), 0);
    struct k8s_config *c;
    char *error = k8s_config_from_file(path, &c);
    assert_int_equal(chdir(cwd), 0);
    assert_null(error);

    char *expect = xasprintf("%s/conf/pki/ca.crt", f->dir);
    assert_string_equal(c->ca_file, expect);
    free(expect);
    expect = xasprintf("%s/conf/pki/client.crt", f->dir);
    assert_string_equal(c->cert_file, expect);
    free(expect);
    assert_string_equal(c->key_file, abs_key);
    assert_null(c->ca_data);
    assert_null(c->cert_data);
    assert_null(c->key_data);
    assert_string_equal(c->namespace, "default");
    k8s_config_destroy(c);

    /* A relative kubeconfig path gives absolute file names too. */
    assert_int_equal(chdir(f->dir), 0);
    error = k8s_config_from_file("conf/config", &c);
    assert_int_equal(chdir(cwd), 0);
    assert_null(error);
    assert_true(c->ca_file[0] == '/');
    assert_non_null(strstr(c->ca_file, "/conf/pki/ca.crt"));
    k8s_config_destroy(c);

    /* From a string, 'base_dir' plays the folder's part. */
    char *base = xasprintf("%s/conf", f->dir);
    error = k8s_config_from_string(yaml, base, &c);
    assert_null(error);
    assert_string_equal(c->key_file, abs_key);
    k8s_config_destroy(c);
    free(base);

    free(cwd);
    free(path);
    free(yaml);
    free(us);
    free(abs_key);
}

static void
test_token(void **state)
{
    struct fixture *f = *state;
    char *yaml = kubeconfig("    server: h:6443\n"
                            "    insecure-skip-tls-verify: true\n",
                            "    token: s3cr3t.t0ken\n", NULL);
    struct k8s_config *c;
    assert_null(load(f, yaml, &c));
    assert_string_equal(c->server, "https://h:6443");
    assert_true(c->insecure);
    assert_string_equal(c->token, "s3cr3t.t0ken");
    assert_null(c->token_file);
    char *token = k8s_config_get_token(c);
    assert_string_equal(token, "s3cr3t.t0ken");
    free(token);
    k8s_config_destroy(c);
    free(yaml);
}

static void
test_token_file(void **state)
{
    struct fixture *f = *state;
    char *path = write_file(f->dir, "tok/token", "first-token\n");
    char *yaml = kubeconfig("    server: https://h\n"
                            "    insecure-skip-tls-verify: false\n",
                            "    tokenFile: tok/token\n", NULL);
    struct k8s_config *c;
    assert_null(load(f, yaml, &c));
    assert_false(c->insecure);
    assert_string_equal(c->token_file, path);

    char *token = k8s_config_get_token(c);
    assert_string_equal(token, "first-token");
    free(token);

    /* Rotated: the next request sends the new token. */
    free(write_file(f->dir, "tok/token", "  second-token \n"));
    token = k8s_config_get_token(c);
    assert_string_equal(token, "second-token");
    free(token);

    /* Gone: no token rather than a stale or empty one. */
    assert_int_equal(unlink(path), 0);
    assert_null(k8s_config_get_token(c));
    k8s_config_destroy(c);

    /* A tokenFile that cannot be read is an error at load time. */
    expect_error(f, yaml, "user \"u1\"", "tokenFile", path,
                 "No such file", NULL);
    free(yaml);
    free(path);
}

static void
test_yaml_details(void **state)
{
    struct fixture *f = *state;
    struct k8s_config *c;

    /* JSON is YAML; null and empty values are absent values. */
    const char *json =
        "{\"current-context\": \"x\", \"contexts\": [{\"name\": \"x\", "
        "\"context\": {\"cluster\": \"k\", \"user\": null}}], "
        "\"clusters\": [{\"name\": \"k\", \"cluster\": "
        "{\"server\": \"https://j:1\", \"certificate-authority\": null}}], "
        "\"users\": []}";
    assert_null(load(f, json, &c));
    assert_string_equal(c->server, "https://j:1");
    assert_null(c->ca_file);
    assert_null(c->token);
    k8s_config_destroy(c);

    char *yaml = kubeconfig("    server: https://h\n",
                            "    token: ~\n    tokenFile:\n", NULL);
    assert_null(load(f, yaml, &c));
    assert_null(c->token);
    assert_null(c->token_file);
    k8s_config_destroy(c);
    free(yaml);

    /* Anchors and aliases. */
    const char *aliased =
        "current-context: a\n"
        "contexts: [{name: a, context: {cluster: &k k1, user: *k}}]\n"
        "clusters: [{name: k1, cluster: {server: &s 'https://s:1'}}]\n"
        "users: [{name: k1, user: {token: *s}}]\n";
    assert_null(load(f, aliased, &c));
    assert_string_equal(c->server, "https://s:1");
    assert_string_equal(c->token, "https://s:1");
    k8s_config_destroy(c);

    /* A list entry without a name. */
    expect_error(f, "current-context: a\ncontexts: [{context: {}}, 3]\n",
                 "contexts has an entry that is not a mapping with a name",
                 NULL);
    expect_error(f, "current-context: a\ncontexts: [3]\n",
                 "contexts has an entry", NULL);
}

static void
test_bad_yaml(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "apiVersion: v1\nkind: Config\ncurrent-context: a: b\n",
                 "line 3: YAML parse error", NULL);
    expect_error(f, "clusters: [\n  {name: x\n", "YAML parse error", NULL);
    expect_error(f, "just a string\n", "not a kubeconfig", NULL);
    expect_error(f, "- a\n- b\n", "not a kubeconfig", NULL);
    expect_error(f, "", "not a kubeconfig", NULL);
    expect_error(f, "# only a comment\n", "not a kubeconfig", NULL);
    expect_error(f, "current-context: dev\ncontexts: {dev: 1}\n",
                 "contexts is not a list", NULL);
    expect_error(f, "current-context: [dev]\n",
                 "current-context is not a string", NULL);
}

static void
test_missing_parts(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "apiVersion: v1\nclusters: []\n", "no current-context",
                 NULL);
    expect_error(f, "current-context: nope\ncontexts:\n- name: dev\n",
                 "context \"nope\" not found", NULL);
    expect_error(f, "current-context: dev\ncontexts:\n- name: dev\n"
                 "  context: {user: u1}\n",
                 "context \"dev\": no cluster", NULL);

    char *yaml = kubeconfig("    server: https://h\n", NULL, NULL);
    char *p = strstr(yaml, "- name: c1");
    memcpy(p, "- name: c2", 10);
    expect_error(f, yaml, "cluster \"c1\" not found", NULL);
    free(yaml);

    yaml = kubeconfig("    server: https://h\n", "    token: t\n", NULL);
    p = strstr(yaml, "- name: u1");
    memcpy(p, "- name: u2", 10);
    expect_error(f, yaml, "user \"u1\" not found", NULL);
    free(yaml);

    yaml = kubeconfig("    insecure-skip-tls-verify: true\n", NULL, NULL);
    expect_error(f, yaml, "cluster \"c1\": no server", NULL);
    free(yaml);
}

static void
test_bad_base64(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "abc",              /* Not a multiple of 4. */
        "ab=c",             /* Padding inside. */
        "a===",             /* Too much padding. */
        "ab!d",             /* Outside the alphabet. */
        "YWJj-ZGVm",        /* URL alphabet. */
        "YQ==YWJj",         /* Data after padding. */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *cl = xasprintf("    server: https://h\n"
                             "    certificate-authority-data: %s\n", bad[i]);
        char *yaml = kubeconfig(cl, NULL, NULL);
        expect_error(f, yaml, "cluster \"c1\": certificate-authority-data "
                     "is not valid base64", NULL);
        free(yaml);
        free(cl);
    }

    char *us = xasprintf("    client-certificate-data: %s\n"
                         "    client-key-data: '%s'\n",
                         "LS0tLS1CRUdJTiBYLS0tLS0K", "not base64!");
    char *yaml = kubeconfig("    server: https://h\n", us, NULL);
    expect_error(f, yaml, "user \"u1\": client-key-data is not valid base64",
                 NULL);
    free(yaml);
    free(us);

    /* Valid base64 of something that is not PEM. */
    char *notpem = b64s("hello");
    char *cl = xasprintf("    server: https://h\n"
                         "    certificate-authority-data: %s\n", notpem);
    yaml = kubeconfig(cl, NULL, NULL);
    expect_error(f, yaml, "certificate-authority-data does not hold a PEM",
                 NULL);
    free(yaml);
    free(cl);
    free(notpem);
}

static void
test_inconsistent(void **state)
{
    struct fixture *f = *state;
    free(write_file(f->dir, "ca.crt", CA_PEM));
    char *ca = b64s(CA_PEM), *cert = b64s(CERT_PEM);

    char *cl = xasprintf("    server: https://h\n"
                         "    certificate-authority: ca.crt\n"
                         "    certificate-authority-data: %s\n", ca);
    char *yaml = kubeconfig(cl, NULL, NULL);
    expect_error(f, yaml, "cluster \"c1\": both certificate-authority and "
                 "certificate-authority-data", NULL);
    free(yaml);
    free(cl);

    yaml = kubeconfig("    server: https://h\n"
                      "    certificate-authority: ca.crt\n"
                      "    insecure-skip-tls-verify: true\n", NULL, NULL);
    expect_error(f, yaml, "insecure-skip-tls-verify", NULL);
    free(yaml);

    yaml = kubeconfig("    server: https://h\n"
                      "    insecure-skip-tls-verify: maybe\n", NULL, NULL);
    expect_error(f, yaml, "insecure-skip-tls-verify is not a boolean", NULL);
    free(yaml);

    char *us = xasprintf("    client-certificate-data: %s\n", cert);
    yaml = kubeconfig("    server: https://h\n", us, NULL);
    expect_error(f, yaml, "user \"u1\": client-certificate without "
                 "client-key", NULL);
    free(yaml);
    free(us);

    yaml = kubeconfig("    server: https://h\n",
                      "    exec: {command: aws}\n", NULL);
    expect_error(f, yaml, "user \"u1\": exec", "not supported", NULL);
    free(yaml);

    free(ca);
    free(cert);
}

static void
test_missing_files(void **state)
{
    struct fixture *f = *state;
    struct k8s_config *c = (struct k8s_config *) 1;
    char *path = xasprintf("%s/does-not-exist", f->dir);
    char *error = k8s_config_from_file(path, &c);
    assert_null(c);
    char *expect = xasprintf("%s: %s", path, strerror(ENOENT));
    assert_string_equal(error, expect);
    free(expect);
    free(error);
    free(path);

    char *yaml = kubeconfig("    server: https://h\n"
                            "    certificate-authority: missing/ca.crt\n",
                            NULL, NULL);
    expect_error(f, yaml, "cluster \"c1\": certificate-authority",
                 "missing/ca.crt", "No such file", NULL);
    free(yaml);

    free(write_file(f->dir, "client.crt", CERT_PEM));
    yaml = kubeconfig("    server: https://h\n",
                      "    client-certificate: client.crt\n"
                      "    client-key: client.key\n", NULL);
    expect_error(f, yaml, "user \"u1\": client-key", "client.key", NULL);
    free(yaml);
}

/* Sets the service-account environment and files under 'dir'/sa. */
static char *
make_sa_dir(struct fixture *f, bool with_ca, bool with_ns)
{
    free(write_file(f->dir, "sa/token", "sa-token-1\n"));
    if (with_ca) {
        free(write_file(f->dir, "sa/ca.crt", CA_PEM));
    }
    if (with_ns) {
        free(write_file(f->dir, "sa/namespace", "kube-system"));
    }
    return xasprintf("%s/sa", f->dir);
}

static void
test_in_cluster(void **state)
{
    struct fixture *f = *state;
    char *sa = make_sa_dir(f, true, true);
    struct k8s_config *c = (struct k8s_config *) 1;

    char *error = k8s_config_in_cluster(sa, &c);
    assert_non_null(strstr(error, "KUBERNETES_SERVICE_HOST"));
    assert_null(c);
    free(error);

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_null(k8s_config_in_cluster(sa, &c));
    assert_string_equal(c->server, "https://10.96.0.1:443");
    char *expect = xasprintf("%s/ca.crt", sa);
    assert_string_equal(c->ca_file, expect);
    free(expect);
    expect = xasprintf("%s/token", sa);
    assert_string_equal(c->token_file, expect);
    free(expect);
    assert_string_equal(c->token, "sa-token-1");
    assert_string_equal(c->namespace, "kube-system");
    assert_false(c->insecure);

    /* Bound tokens rotate: get_token() reads the file again. */
    free(write_file(f->dir, "sa/token", "sa-token-2"));
    char *token = k8s_config_get_token(c);
    assert_string_equal(token, "sa-token-2");
    free(token);
    k8s_config_destroy(c);

    /* IPv6 service address; no namespace file; no CA file. */
    char *ns = xasprintf("%s/namespace", sa), *ca = xasprintf("%s/ca.crt", sa);
    assert_int_equal(unlink(ns), 0);
    assert_int_equal(unlink(ca), 0);
    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    assert_null(k8s_config_in_cluster(sa, &c));
    assert_string_equal(c->server, "https://[fd00:10:96::1]:443");
    assert_null(c->ca_file);
    assert_string_equal(c->namespace, "default");
    k8s_config_destroy(c);

    /* No token: an error that names the token file. */
    char *tok = xasprintf("%s/token", sa);
    assert_int_equal(unlink(tok), 0);
    error = k8s_config_in_cluster(sa, &c);
    assert_non_null(error);
    assert_null(c);
    assert_non_null(strstr(error, tok));
    free(error);

    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    free(tok);
    free(ns);
    free(ca);
    free(sa);
}

static void
test_load_order(void **state)
{
    struct fixture *f = *state;
    struct k8s_config *c;

    char *yaml = kubeconfig("    server: https://explicit\n", NULL, NULL);
    char *explicit = write_file(f->dir, "explicit", yaml);
    free(yaml);
    yaml = kubeconfig("    server: https://from-env\n", NULL, NULL);
    char *from_env = write_file(f->dir, "from-env", yaml);
    free(yaml);
    yaml = kubeconfig("    server: https://from-home\n", NULL, NULL);
    free(write_file(f->dir, "home/.kube/config", yaml));
    free(yaml);
    char *home = xasprintf("%s/home", f->dir);
    char *old_home = nullable_xstrdup(getenv("HOME"));
    setenv("HOME", home, 1);

    /* An explicit path wins over everything. */
    char *list = xasprintf("%s/none:%s", f->dir, from_env);
    setenv("KUBECONFIG", list, 1);
    assert_null(k8s_config_load(explicit, &c));
    assert_string_equal(c->server, "https://explicit");
    k8s_config_destroy(c);

    /* Then the first existing file of $KUBECONFIG. */
    assert_null(k8s_config_load(NULL, &c));
    assert_string_equal(c->server, "https://from-env");
    k8s_config_destroy(c);

    /* Then in-cluster (here without a service account: its error). */
    unsetenv("KUBECONFIG");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    char *error = k8s_config_load(NULL, &c);
    if (!error) {
        /* Running inside a pod after all. */
        k8s_config_destroy(c);
    } else {
        assert_non_null(strstr(error, "in-cluster"));
        free(error);
    }
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");

    /* Then ~/.kube/config. */
    assert_null(k8s_config_load(NULL, &c));
    assert_string_equal(c->server, "https://from-home");
    k8s_config_destroy(c);

    if (old_home) {
        setenv("HOME", old_home, 1);
    } else {
        unsetenv("HOME");
    }
    free(old_home);
    free(home);
    free(list);
    free(from_env);
    free(explicit);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        T(test_inline_data),
        T(test_base64_lengths),
        T(test_relative_files),
        T(test_token),
        T(test_token_file),
        T(test_yaml_details),
        T(test_bad_yaml),
        T(test_missing_parts),
        T(test_bad_base64),
        T(test_inconsistent),
        T(test_missing_files),
        T(test_in_cluster),
        T(test_load_order),
#undef T
    };
    return cmocka_run_group_tests_name("kubeconfig", tests, NULL, NULL);
}
