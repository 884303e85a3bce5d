/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NP_POLICY_H
#define KOVN_NP_POLICY_H 1

/* A networking.k8s.io/v1 NetworkPolicy as kovn enforces it: pure functions
 * of the API object, shared by the controller's reconcilers, its
 * dependency table and the tests' reference model.
 *
 * Kubernetes' rules, as kovn reads them:
 *   - the policy selects the pods of its namespace that spec.podSelector
 *     matches; for each direction it affects, those pods get only what
 *     some rule of some policy selecting them allows (a union);
 *   - policyTypes, when absent, is Ingress, plus Egress if spec.egress is
 *     there;
 *   - a rule allows its peers (every source or destination if it has none)
 *     on its ports (every port if it has none);
 *   - a peer is an ipBlock (cidr minus its except list), or pods:
 *     podSelector alone means pods of the policy's namespace,
 *     namespaceSelector alone every pod of the namespaces it matches, both
 *     together the pods matching one in the namespaces matching the other;
 *   - a port is a protocol (TCP by default; UDP, SCTP) with a number, a
 *     range (port to endPort), no number (every port), or a name: a
 *     container port's name, resolved on each destination pod (the
 *     selected pod for ingress, the peer for egress).
 *
 * A peer of pods is a "peer set": the addresses of the pods it selects.
 * Its key is a canonical JSON text of what selects them, so two policies
 * with the same peer share one set.
 *
 * Ownership: np_policy_parse() fills a model that the caller frees with
 * np_policy_destroy(); its strings are its own, but 'pod_selector' points
 * into the API object, which must outlive the model. */

#include <stdbool.h>
#include <stddef.h>
#include "svec.h"

struct json;

enum np_dir { NP_INGRESS, NP_EGRESS, N_NP_DIRS };
enum np_proto { NP_TCP, NP_UDP, NP_SCTP, N_NP_PROTOS };

const char *np_dir_name(enum np_dir);       /* "ingress", "egress". */
const char *np_proto_name(enum np_proto);   /* "tcp", "udp", "sctp". */
/* "TCP", "UDP" or "SCTP" (NULL: TCP) -> its protocol; false if none. */
bool np_proto_parse(const char *, enum np_proto *);

struct np_port {
    enum np_proto proto;
    int port;                   /* 0: every port of 'proto' (or 'name'). */
    int end_port;               /* 0: just 'port'. */
    char *name;                 /* A named port, or NULL. */
};

struct np_peer {
    char *set_key;              /* Pods: the peer set's key.  Else NULL: */
    char *cidr;                 /* an ipBlock, "a.b.c.d/n" or v6, */
    int family;                 /* 4 or 6, */
    struct svec except;         /* minus these (same family). */
};

struct np_rule {
    struct np_peer *peers;      /* None: every peer. */
    size_t n_peers;
    struct np_port *ports;      /* None: every port. */
    size_t n_ports;
};

struct np_policy {
    char *ns;
    char *key;                  /* "namespace/name". */
    const struct json *pod_selector;
    bool affects[N_NP_DIRS];
    struct np_rule *rules[N_NP_DIRS];
    size_t n_rules[N_NP_DIRS];

    /* Kube-OVN's logging annotations. */
    bool log[2];                /* [0]: allowed, [1]: dropped. */
    int log_rate;               /* Log lines per second, at most. */
};

/* The annotations (Kube-OVN's names). */
#define NP_ANN_ENABLE_LOG    "ovn.kubernetes.io/enable_log"
#define NP_ANN_LOG_ACTIONS   "ovn.kubernetes.io/log_acl_actions"
#define NP_ANN_LOG_RATE      "ovn.kubernetes.io/acl_log_meter_rate"
#define NP_LOG_RATE_DEFAULT  100

/* Fills 'p' from NetworkPolicy 'obj'.  Returns NULL, or an error message
 * (the caller frees it) that says what is wrong; 'p' must be destroyed
 * either way. */
char *np_policy_parse(const struct json *obj, struct np_policy *p);
void np_policy_destroy(struct np_policy *);

/* True if 'p' selects a pod with 'labels' (in p's namespace). */
bool np_policy_selects(const struct np_policy *, const struct json *labels);

/* ---- peer sets ---- */

/* A peer set's key, parsed: which pods it holds. */
struct np_peer_sel {
    struct json *doc;           /* The key's JSON, owned. */
    const char *ns;             /* This namespace only, or NULL: */
    const struct json *ns_sel;  /* the namespaces this matches. */
    const struct json *pod_sel; /* Pods of those that this matches. */
};

/* Parses 'key' (made by this module); false if it is not a key. */
bool np_peer_sel_parse(const char *key, struct np_peer_sel *);
void np_peer_sel_destroy(struct np_peer_sel *);

/* True if the peer set holds a pod of namespace 'ns' (labelled
 * 'ns_labels') with 'pod_labels'. */
bool np_peer_sel_matches(const struct np_peer_sel *, const char *ns,
                         const struct json *ns_labels,
                         const struct json *pod_labels);

/* ---- straight from the API object, for the dependency table ---- */

/* Adds to 'keys' the key of every peer set of policy 'obj'.  Also the
 * NetworkPolicy cache's index NP_PEER_INDEX: the policies that name a peer
 * set, without a walk over policies. */
#define NP_PEER_INDEX "np-peers"
void np_policy_peer_keys(const struct json *obj, struct svec *keys);

/* Adds to 'keys' the key of every peer set of policy 'obj' that holds a
 * pod of 'ns' ('ns_labels') with 'pod_labels'. */
void np_policy_pod_peer_keys(const struct json *obj, const char *ns,
                             const struct json *ns_labels,
                             const struct json *pod_labels,
                             struct svec *keys);

/* Adds to 'keys' the key of every peer set of policy 'obj' that selects by
 * namespace labels and whose namespaceSelector matches 'ns_labels'. */
void np_policy_ns_peer_keys(const struct json *obj,
                            const struct json *ns_labels,
                            struct svec *keys);

/* The NetworkPolicy cache's index: a policy is found under its namespace,
 * under NP_INDEX_NS_SELECTORS if a peer selects namespaces by label, and
 * under NP_INDEX_EGRESS_NAMED if an egress port is named (it then depends
 * on pods anywhere). */
#define NP_INDEX "np"
#define NP_INDEX_NS_SELECTORS "*ns-selectors"
#define NP_INDEX_EGRESS_NAMED "*egress-named"
void np_policy_index(const struct json *obj, struct svec *values);

/* ---- a pod as policies see it ---- */

/* Calls 'cb' for each container port of 'pod' that has a name. */
void np_pod_named_ports(const struct json *pod,
                        void (*cb)(const char *name, enum np_proto,
                                   int port, void *aux),
                        void *aux);

/* The number of 'pod''s port 'name' of 'proto', or 0 if it has none. */
int np_pod_named_port(const struct json *pod, const char *name,
                      enum np_proto);

#endif /* np-policy.h */
