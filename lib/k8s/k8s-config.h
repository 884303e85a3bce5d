/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_K8S_CONFIG_H
#define KOVN_K8S_CONFIG_H 1

/* How to reach a Kubernetes API server: loaded from a kubeconfig file or from
 * the in-cluster service account.
 *
 * Ownership: every string member is owned by the k8s_config and freed by
 * k8s_config_destroy().  A "*_data" member holds the decoded (PEM) bytes of
 * the kubeconfig's base64 "*-data" field, NUL-terminated, with its length. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"

struct k8s_config {
    char *server;               /* "https://host:port", never NULL. */

    char *ca_file;              /* certificate-authority, or NULL. */
    char *ca_data;              /* certificate-authority-data, or NULL. */
    size_t ca_data_len;

    char *cert_file;            /* client-certificate, or NULL. */
    char *cert_data;            /* client-certificate-data, or NULL. */
    size_t cert_data_len;

    char *key_file;             /* client-key, or NULL. */
    char *key_data;             /* client-key-data, or NULL. */
    size_t key_data_len;

    char *token;                /* bearer token, or NULL. */
    char *token_file;           /* file re-read for each new token, or NULL. */

    bool insecure;              /* insecure-skip-tls-verify. */
    char *namespace;            /* context's namespace, or "default". */
};

/* Each loader returns NULL on success and stores a new k8s_config in
 * '*configp' (the caller frees it with k8s_config_destroy()), or returns a
 * malloc'd error message that names the file and the field at fault (the
 * caller frees it) and stores NULL. */

/* Parses the kubeconfig file at 'path': its current-context, that context's
 * cluster and user.  Relative file paths inside are taken relative to the
 * kubeconfig's folder, as kubectl does. */
char *k8s_config_from_file(const char *path, struct k8s_config **configp)
    OVS_WARN_UNUSED_RESULT;

/* Same, from the kubeconfig's text ('base_dir' resolves relative paths). */
char *k8s_config_from_string(const char *yaml, const char *base_dir,
                             struct k8s_config **configp)
    OVS_WARN_UNUSED_RESULT;

/* The in-cluster configuration: KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT, and the service account's token and CA under
 * 'sa_dir' (NULL means /var/run/secrets/kubernetes.io/serviceaccount). */
char *k8s_config_in_cluster(const char *sa_dir, struct k8s_config **configp)
    OVS_WARN_UNUSED_RESULT;

/* What a daemon's --kubeconfig flag means: 'path' if nonnull, else
 * $KUBECONFIG, else in-cluster when KUBERNETES_SERVICE_HOST is set, else
 * ~/.kube/config. */
char *k8s_config_load(const char *path, struct k8s_config **configp)
    OVS_WARN_UNUSED_RESULT;

/* Returns the bearer token to send now (re-reading 'token_file' if set), or
 * NULL if there is none.  The caller frees the result. */
char *k8s_config_get_token(const struct k8s_config *);

void k8s_config_destroy(struct k8s_config *);

#endif /* k8s-config.h */
