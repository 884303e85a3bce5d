/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "cni-ops.h"

#include <stdlib.h>
#include <string.h>

#include "cni-server.h"
#include "daemon.h"
#include "hmapx.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "ovs-ports.h"
#include "pod-wire.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

VLOG_DEFINE_THIS_MODULE(cni_ops);

/* How often stale ports are looked for after the first time. */
#define GC_INTERVAL_MS (5 * 60 * 1000)

/* How long an ADD waits for a pod that the synced cache lacks when the
 * apiserver could not be asked whether it exists (see lookup_pod()): the
 * kubelet calls ADD only for a pod it has seen, and the daemon's watch
 * sees a new pod within milliseconds of the kubelet's, so 2 s is room for
 * a slow watch, not for a pod that may yet come. */
#define POD_ABSENT_GRACE_MS 2000

/* An ADD that waits this long for its port to be attached and installed
 * says so (once) while it waits, naming who it waits for: a stall must not
 * wait until its answer to show up in the log. */
#define SLOW_PORT_MS 5000

enum op_state {
    OP_WAIT_POD,        /* ADD, CHECK: until the pod is annotated. */
    OP_WRITE,           /* Its OVS write goes into the next transaction. */
    OP_IN_TXN,          /* Its write is in the transaction in flight. */
    OP_WAIT_INSTALLED,  /* ADD: until ovn-installed. */
    OP_DONE,
};

/* The moments an ADD passes, logged with its answer so that a slow one
 * says where its time went. */
enum op_phase {
    PH_RECEIVED,        /* The request arrived. */
    PH_ANNOTATED,       /* The pod's annotations were read. */
    PH_WIRED,           /* The veth pair is configured. */
    PH_PORT,            /* The OVS port is committed. */
    PH_OFPORT,          /* ovs-vswitchd attached it (an OpenFlow port). */
    PH_INSTALLED,       /* ovn-controller reported ovn-installed. */
    PH_ANSWERED,
    N_PHASES
};

/* What the apiserver says of a pod that the cache lacks. */
enum pod_lookup {
    LOOKUP_NONE,        /* Not asked (yet). */
    LOOKUP_ASKING,
    LOOKUP_HERE,        /* It exists on this node: the watch lags. */
    LOOKUP_UNKNOWN,     /* The apiserver did not say: POD_ABSENT_GRACE_MS. */
};

/* One CNI call. */
struct op {
    struct ovs_list node;           /* In its pod_queue's 'ops'. */
    struct cni_call *call;          /* Owned; NULL once answered. */
    enum op_state state;
    long long int deadline;
    long long int at[N_PHASES];     /* time_msec(), 0 if not reached. */
    char host_ifname[POD_WIRE_IFNAME_LEN];

    /* ADD, CHECK: whether the pod exists. */
    bool seen;                      /* The cache has had it. */
    enum pod_lookup lookup;
    struct k8s_request *lookup_rq;  /* Owned, while LOOKUP_ASKING. */

    /* ADD: what the annotations say. */
    struct ovn_ann_network net;
    unsigned int ingress_mbps, egress_mbps;
    bool fresh;                     /* pod_wire_add() made a new veth. */
    bool readd;                     /* The txn in flight removes an old
                                     * port of that name first. */
    bool warned_slow;               /* SLOW_PORT_MS went by. */

    /* Set when the op removes the pod's port and veth: a DEL, or an ADD
     * undoing itself, which then answers with 'failure'. */
    bool removing;
    struct cni_error *failure;
};

/* The calls of one container of one pod, oldest first; only the first is
 * worked on.  A container's DEL must follow its ADD, but nothing orders
 * the calls of a pod's different containers (sandboxes): the DEL of an old
 * sandbox must not wait while the new one's ADD waits for its pod. */
struct pod_queue {
    struct hmap_node node;          /* In cni_ops's 'queues', by 'key'. */
    char *key;                      /* "NAMESPACE/NAME CONTAINER_ID". */
    char *pod_key;                  /* "NAMESPACE/NAME". */
    struct ovs_list ops;
};

struct cni_ops {
    struct daemon *d;
    struct hmap queues;
    size_t n_pending;
    long long int next_gc;          /* LLONG_MAX while one is in flight. */
    struct svec gc_ports;           /* Deleted by the txn in flight. */
    struct hmapx txn_deleted;       /* Ports deleted by the txn being
                                     * written (see del_port_once()). */
};

static void gc_txn_done(struct cni_ops *, bool success);

struct cni_ops *
cni_ops_create(struct daemon *d)
{
    struct cni_ops *ops = xzalloc(sizeof *ops);
    ops->d = d;
    hmap_init(&ops->queues);
    ops->next_gc = 0;               /* As soon as the caches are ready. */
    svec_init(&ops->gc_ports);
    hmapx_init(&ops->txn_deleted);
    return ops;
}

static const char *
op_pod(const struct op *op, const char **namespace)
{
    *namespace = op->call->rq.args.pod_namespace;
    return op->call->rq.args.pod_name;
}

static char *
op_pod_key(const struct op *op)
{
    const char *ns, *name = op_pod(op, &ns);
    return xasprintf("%s/%s", ns, name);
}

static void
op_reached(struct op *op, enum op_phase phase)
{
    op->at[phase] = time_msec();
}

/* " (annotations 2, veth 9, ovs-port 3, ofport 12, ovn-installed 19,
 * answer 0 ms)":
 * each phase an ADD reached, with the milliseconds since the one before. */
static void
put_phases(const struct op *op, struct ds *s)
{
    static const char *const names[N_PHASES] = {
        [PH_ANNOTATED] = "annotations", [PH_WIRED] = "veth",
        [PH_PORT] = "ovs-port", [PH_OFPORT] = "ofport",
        [PH_INSTALLED] = "ovn-installed",
        [PH_ANSWERED] = "answer",
    };
    long long int last = op->at[PH_RECEIVED];
    ds_put_cstr(s, " (");
    for (int p = PH_RECEIVED + 1; p < N_PHASES; p++) {
        if (op->at[p]) {
            ds_put_format(s, "%s %lld, ", names[p], op->at[p] - last);
            last = op->at[p];
        }
    }
    ds_chomp(s, ' ');
    ds_chomp(s, ',');
    ds_put_cstr(s, " ms)");
}

static void
op_answer(struct cni_ops *ops, struct op *op, const struct cni_error *e,
          const struct cni_result *result)
{
    const struct cni_args *a = &op->call->rq.args;
    struct ds phases = DS_EMPTY_INITIALIZER;
    op_reached(op, PH_ANSWERED);
    if (a->command == CNI_CMD_ADD) {
        put_phases(op, &phases);
    }
    long long int ms = op->at[PH_ANSWERED] - op->at[PH_RECEIVED];
    if (e) {
        VLOG_WARN("%s %s/%s (%.12s) failed after %lld ms%s: %s",
                  cni_command_name(a->command), a->pod_namespace,
                  a->pod_name, a->container_id, ms, ds_cstr(&phases),
                  e->msg);
        cni_call_reply_error(op->call, e);
    } else {
        VLOG_INFO("%s %s/%s (%.12s) done in %lld ms%s",
                  cni_command_name(a->command), a->pod_namespace, a->pod_name,
                  a->container_id, ms, ds_cstr(&phases));
        cni_call_reply_result(op->call, result);
    }
    ds_destroy(&phases);
    op->call = NULL;
    op->state = OP_DONE;
    ops->n_pending--;
    poll_immediate_wake();          /* To retire it and start the next. */
}

static void
op_fail(struct cni_ops *ops, struct op *op, int code, const char *format, ...)
    OVS_PRINTF_FORMAT(4, 5);

static void
op_fail(struct cni_ops *ops, struct op *op, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);
    struct cni_error *e = cni_error_create(code, NULL, "%s", msg);
    op_answer(ops, op, e, NULL);
    cni_error_destroy(e);
    free(msg);
}

/* An ADD that got as far as the veth or the port takes both away again
 * before it answers 'code' and the message. */
static void
op_undo(struct op *op, int code, const char *format, ...)
    OVS_PRINTF_FORMAT(3, 4);

static void
op_undo(struct op *op, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);
    op->removing = true;
    op->failure = cni_error_create(code, NULL, "%s", msg);
    op->state = OP_WRITE;
    free(msg);
}

/* Appends 'op' to its container's queue, which it makes if need be. */
static void
queue_push(struct cni_ops *ops, struct op *op)
{
    const struct cni_args *a = &op->call->rq.args;
    char *key = xasprintf("%s/%s %s", a->pod_namespace, a->pod_name,
                          a->container_id ? a->container_id : "");
    uint32_t hash = hash_string(key, 0);
    struct pod_queue *q;
    HMAP_FOR_EACH_WITH_HASH (q, node, hash, &ops->queues) {
        if (!strcmp(q->key, key)) {
            break;
        }
    }
    if (!q) {
        q = xmalloc(sizeof *q);
        q->key = key;
        q->pod_key = op_pod_key(op);
        ovs_list_init(&q->ops);
        hmap_insert(&ops->queues, &q->node, hash);
    } else {
        free(key);
    }
    ovs_list_push_back(&q->ops, &op->node);
}

static void
queue_destroy(struct pod_queue *q)
{
    free(q->key);
    free(q->pod_key);
    free(q);
}

void
cni_ops_handle(struct cni_call *call, void *ops_)
{
    struct cni_ops *ops = ops_;
    struct op *op = xzalloc(sizeof *op);
    const struct cni_args *a = &call->rq.args;

    op->call = call;
    op->at[PH_RECEIVED] = call->received;
    op->deadline = call->received + ops->d->opts.cni_timeout_s * 1000LL;
    pod_wire_host_ifname(a->container_id, op->host_ifname);
    op->state = a->command == CNI_CMD_DEL ? OP_WRITE : OP_WAIT_POD;
    op->removing = a->command == CNI_CMD_DEL;
    ops->n_pending++;

    if (!a->pod_namespace || !a->pod_name) {
        /* Every CNI call from a kubelet names its pod; without a name the
         * annotations cannot be found, and a DEL could not be ordered
         * after its ADD. */
        op_fail(ops, op, CNI_ERR_INVALID_ENV, "CNI_ARGS lacks "
                "K8S_POD_NAMESPACE and K8S_POD_NAME: kovn wires Kubernetes "
                "pods only");
        free(op);
        return;
    }
    if (a->command != CNI_CMD_DEL && !a->netns) {
        op_fail(ops, op, CNI_ERR_INVALID_ENV, "CNI_NETNS is not set");
        free(op);
        return;
    }

    queue_push(ops, op);
    poll_immediate_wake();
}

void
cni_ops_pod_changed(struct cni_ops *ops OVS_UNUSED)
{
    /* Every waiting op looks again on the next run; there are few. */
    poll_immediate_wake();
}

/* ---- Answers ---- */

static void
add_result(const struct op *op, struct cni_result *r)
{
    const struct cni_args *a = &op->call->rq.args;
    struct ds s = DS_EMPTY_INITIALIZER;

    cni_result_init(r);
    cni_result_add_interface(r, op->host_ifname, NULL, NULL);
    ds_put_format(&s, ETH_ADDR_FMT, ETH_ADDR_ARGS(op->net.mac));
    size_t pod_if = cni_result_add_interface(r, a->ifname, ds_cstr(&s),
                                             a->netns);
    for (size_t i = 0; i < op->net.n_addrs; i++) {
        const struct ovn_ann_addr *addr = &op->net.addrs[i];
        struct ds ip = DS_EMPTY_INITIALIZER, gw = DS_EMPTY_INITIALIZER;
        cidr_ip_put(addr->ip.family, addr->ip.n, &ip);
        ds_put_format(&ip, "/%u", addr->cidr.plen);
        cidr_ip_put(addr->gateway.family, addr->gateway.n, &gw);
        cni_result_add_ip(r, ds_cstr(&ip), ds_cstr(&gw), pod_if);
        cni_result_add_route(r, addr->ip.family == AF_INET ? "0.0.0.0/0"
                                                           : "::/0",
                             ds_cstr(&gw));
        ds_destroy(&ip);
        ds_destroy(&gw);
    }
    ds_destroy(&s);
}

static void
op_succeed(struct cni_ops *ops, struct op *op)
{
    if (op->call->rq.args.command == CNI_CMD_ADD) {
        struct cni_result r;
        add_result(op, &r);
        op_answer(ops, op, NULL, &r);
        cni_result_destroy(&r);
    } else {
        op_answer(ops, op, NULL, NULL);
    }
}

/* The OVS port is gone (or never was): the veth goes too, then the op
 * answers. */
static void
op_finish_removal(struct cni_ops *ops, struct op *op)
{
    char *error = pod_wire_remove(op->host_ifname);
    if (error) {
        VLOG_WARN("%s", error);
    }
    if (op->failure) {
        op_answer(ops, op, op->failure, NULL);
    } else if (error) {
        op_fail(ops, op, CNI_ERR_INTERNAL, "%s", error);
    } else {
        op_succeed(ops, op);
    }
    free(error);
}

/* ---- Waiting for the pod ---- */

/* Asks the apiserver itself whether the pod of 'op' exists: a list with a
 * field selector, which without a resourceVersion is a consistent read (and
 * which the daemon's RBAC allows; "get" it does not). */
static void
lookup_start(struct cni_ops *ops, struct op *op)
{
    const struct cni_args *a = &op->call->rq.args;
    char *selector = xasprintf("metadata.name=%s", a->pod_name);
    char *escaped = k8s_query_escape(selector);
    char *query = xasprintf("fieldSelector=%s", escaped);
    op->lookup_rq = k8s_list(ops->d->client, &k8s_pods, a->pod_namespace,
                             query, NULL, NULL);
    k8s_request_expedite(op->lookup_rq);
    op->lookup = LOOKUP_ASKING;
    free(query);
    free(escaped);
    free(selector);
}

static void
lookup_cancel(struct op *op)
{
    k8s_request_destroy(op->lookup_rq);
    op->lookup_rq = NULL;
}

/* The lookup's answer: NULL if the ADD may wait for the cache to catch up,
 * else why it cannot (the caller frees it). */
static char *
lookup_finish(struct cni_ops *ops, struct op *op)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct cni_args *a = &op->call->rq.args;
    const struct k8s_response *r = k8s_request_response(op->lookup_rq);
    const struct json *items = json_get_array(r->body, "items");
    char *why = NULL;

    if (!k8s_response_ok(r) || !items) {
        VLOG_WARN_RL(&rl, "looking up pod %s/%s in the API: %s",
                     a->pod_namespace, a->pod_name,
                     r->error ? r->error : "no items");
        op->lookup = LOOKUP_UNKNOWN;
    } else if (!json_array_n(items)) {
        why = xasprintf("pod %s/%s does not exist", a->pod_namespace,
                        a->pod_name);
    } else {
        const char *node = json_get_string(items->array.elems[0],
                                           "spec.nodeName");
        if (!node || strcmp(node, ops->d->opts.node_name)) {
            why = xasprintf("pod %s/%s is not bound to this node (%s) but "
                            "to %s", a->pod_namespace, a->pod_name,
                            ops->d->opts.node_name, node ? node : "none");
        }
        op->lookup = LOOKUP_HERE;
    }
    lookup_cancel(op);
    return why;
}

/* Called while the synced cache lacks the pod of 'op': why the pod is
 * not there to wire (the caller frees it), or NULL to wait on.  A pod the
 * cache had is gone at once (the watch said so); one it never had is
 * looked up; if the apiserver cannot say, it gets POD_ABSENT_GRACE_MS. */
static char *
pod_absent(struct cni_ops *ops, struct op *op)
{
    const struct cni_args *a = &op->call->rq.args;
    if (op->seen) {
        return xasprintf("pod %s/%s was deleted", a->pod_namespace,
                         a->pod_name);
    }
    if (op->lookup == LOOKUP_NONE) {
        lookup_start(ops, op);
    }
    if (op->lookup == LOOKUP_ASKING && k8s_request_is_done(op->lookup_rq)) {
        char *why = lookup_finish(ops, op);
        if (why) {
            return why;
        }
    }
    if (op->lookup == LOOKUP_UNKNOWN
        && time_msec() >= op->at[PH_RECEIVED] + POD_ABSENT_GRACE_MS) {
        return xasprintf("pod %s/%s is not among this node's pods %d ms "
                         "after the request", a->pod_namespace, a->pod_name,
                         POD_ABSENT_GRACE_MS);
    }
    return NULL;
}

/* Reads the pod's annotations into 'op'; false (and answers) if they are
 * unusable or the pod is not there, false without answering if they may
 * yet come. */
static bool
read_pod(struct cni_ops *ops, struct op *op)
{
    if (!k8s_informer_has_synced(ops->d->pods)) {
        return false;
    }
    char *key = op_pod_key(op);
    const struct json *pod = k8s_informer_get(ops->d->pods, key);
    free(key);
    if (!pod) {
        char *why = pod_absent(ops, op);
        if (why) {
            op_fail(ops, op, CNI_ERR_INVALID_ENV, "%s (K8S_POD_NAME): "
                    "nothing to wire", why);
            free(why);
        }
        return false;
    }
    op->seen = true;
    if (op->lookup_rq) {
        lookup_cancel(op);
    }
    if (!ovn_ann_is_allocated(pod)) {
        return false;
    }
    char *error = ovn_ann_network_parse(pod, &op->net);
    if (!error) {
        error = ovn_ann_rate_parse(pod, OVN_ANN_INGRESS_RATE,
                                   &op->ingress_mbps);
    }
    if (!error) {
        error = ovn_ann_rate_parse(pod, OVN_ANN_EGRESS_RATE,
                                   &op->egress_mbps);
    }
    if (error) {
        op_fail(ops, op, CNI_ERR_INVALID_NETCONF, "pod %s/%s: %s",
                op->call->rq.args.pod_namespace, op->call->rq.args.pod_name,
                error);
        free(error);
        return false;
    }
    op_reached(op, PH_ANNOTATED);
    return true;
}

static void
pod_wire_of(const struct cni_ops *ops, const struct op *op,
            struct pod_wire *w)
{
    const struct cni_args *a = &op->call->rq.args;
    w->netns = a->netns;
    w->ifname = a->ifname;
    w->host_ifname = op->host_ifname;
    w->net = &op->net;
    /* The network configuration's "mtu" overrides the daemon's. */
    w->mtu = (op->call->rq.netconf.mtu ? op->call->rq.netconf.mtu
              : ops->d->pod_mtu);
    w->tx_checksum_off = !strcmp(ops->d->datapath_type, "netdev");
}

static char *
check_ovs_port(const struct cni_ops *ops, const struct op *op)
{
    const struct ovsrec_interface *iface
        = ovs_find_interface(ops->d->ovs, op->host_ifname);
    const char *ns, *name = op_pod(op, &ns);
    char *want = ovn_name_pod_port(name, ns);
    char *error = NULL;
    if (!iface) {
        error = xasprintf("OVS port %s is missing", op->host_ifname);
    } else if (strcmp(smap_get_def(&iface->external_ids, OVS_IFACE_ID, ""),
                      want)) {
        error = xasprintf("OVS port %s is not bound to %s", op->host_ifname,
                          want);
    }
    free(want);
    return error;
}

/* Host ends are named after the first 12 characters of the container ID,
 * as in Kube-OVN: refuse to take over another container's. */
static char *
check_name_clash(const struct cni_ops *ops, const struct op *op)
{
    const struct ovsrec_interface *iface
        = ovs_find_interface(ops->d->ovs, op->host_ifname);
    const char *owner = iface ? smap_get(&iface->external_ids,
                                         OVS_CONTAINER_ID) : NULL;
    if (owner && strcmp(owner, op->call->rq.args.container_id)) {
        return xasprintf("interface %s already serves container %s; "
                         "container IDs must differ in their first 12 "
                         "characters", op->host_ifname, owner);
    }
    return NULL;
}

static void
step_wait_pod(struct cni_ops *ops, struct op *op)
{
    if (!read_pod(ops, op)) {
        return;
    }
    char *clash = (op->call->rq.args.command == CNI_CMD_ADD
                   ? check_name_clash(ops, op) : NULL);
    if (clash) {
        op_fail(ops, op, CNI_ERR_INTERNAL, "%s", clash);
        free(clash);
        return;
    }
    struct pod_wire w;
    pod_wire_of(ops, op, &w);
    char *error = (op->call->rq.args.command == CNI_CMD_CHECK
                   ? pod_wire_check(&w) : pod_wire_add(&w, &op->fresh));
    if (!error && op->call->rq.args.command == CNI_CMD_CHECK) {
        error = check_ovs_port(ops, op);
    }
    if (error) {
        op_fail(ops, op, CNI_ERR_INTERNAL, "%s", error);
        free(error);
    } else if (op->call->rq.args.command == CNI_CMD_CHECK) {
        op_succeed(ops, op);
    } else {
        op_reached(op, PH_WIRED);
        op->state = OP_WRITE;
    }
}

/* ---- The state machine ---- */

static void
warn_slow_port(const struct op *op)
{
    const struct cni_args *a = &op->call->rq.args;
    VLOG_WARN("ADD %s/%s (%.12s): port %s committed %lld ms ago is not %s "
              "yet", a->pod_namespace, a->pod_name, a->container_id,
              op->host_ifname, time_msec() - op->at[PH_PORT],
              (op->at[PH_OFPORT]
               ? "ovn-installed: waiting for ovn-controller"
               : "attached: waiting for ovs-vswitchd (no ofport)"));
}

static void
step_wait_installed(struct cni_ops *ops, struct op *op)
{
    const struct ovsrec_interface *iface
        = ovs_find_interface(ops->d->ovs, op->host_ifname);
    if (!op->at[PH_OFPORT] && ovs_iface_attached(iface)) {
        op_reached(op, PH_OFPORT);
    }
    if (ovs_iface_installed(iface)) {
        op_reached(op, PH_INSTALLED);
        op_succeed(ops, op);
    } else if (!op->warned_slow
               && time_msec() >= op->at[PH_PORT] + SLOW_PORT_MS) {
        warn_slow_port(op);
        op->warned_slow = true;
    }
}

static void
op_time_out(struct cni_ops *ops, struct op *op)
{
    const struct cni_args *a = &op->call->rq.args;
    int s = ops->d->opts.cni_timeout_s;
    if (op->state == OP_WAIT_POD && !k8s_informer_has_synced(ops->d->pods)) {
        op_fail(ops, op, CNI_ERR_TRY_AGAIN, "kovn-daemon has not listed this "
                "node's pods after %d s; can it reach the Kubernetes API?", s);
    } else if (op->state == OP_WAIT_POD && !op->seen) {
        op_fail(ops, op, CNI_ERR_TRY_AGAIN, "pod %s/%s is not in "
                "kovn-daemon's pod cache after %d s, and %s", a->pod_namespace,
                a->pod_name, s, (op->lookup == LOOKUP_HERE
                                 ? "the API has it on this node: is the "
                                   "daemon's watch working?"
                                 : "the API did not say whether it exists"));
    } else if (op->state == OP_WAIT_POD) {
        op_fail(ops, op, CNI_ERR_TRY_AGAIN, "pod %s/%s has no address "
                "after %d s: kovn-controller has not annotated it (%s); "
                "is kovn-controller running?", a->pod_namespace, a->pod_name,
                s, OVN_ANN_ALLOCATED);
    } else if (op->state == OP_WAIT_INSTALLED && !op->at[PH_OFPORT]) {
        op_undo(op, CNI_ERR_TRY_AGAIN, "ovs-vswitchd did not attach port %s "
                "of pod %s/%s within %d s (it has no ofport); is "
                "ovs-vswitchd running?", op->host_ifname, a->pod_namespace,
                a->pod_name, s);
    } else if (op->state == OP_WAIT_INSTALLED) {
        op_undo(op, CNI_ERR_TRY_AGAIN, "ovn-controller did not install port "
                "%s of pod %s/%s within %d s; is ovn-controller running and "
                "connected to the OVN southbound database?", op->host_ifname,
                a->pod_namespace, a->pod_name, s);
    } else if (op->state == OP_WRITE) {
        /* Gave up on the local OVSDB: remove what does not need it. */
        free(pod_wire_remove(op->host_ifname));
        op_fail(ops, op, CNI_ERR_TRY_AGAIN, "the local Open vSwitch "
                "database or bridge %s is not ready after %d s",
                ops->d->opts.bridge, s);
    }
}

static void
op_step(struct cni_ops *ops, struct op *op)
{
    bool waiting = (op->state == OP_WAIT_POD
                    || op->state == OP_WAIT_INSTALLED
                    || (op->state == OP_WRITE && !op->removing));
    if (waiting && cni_call_abandoned(op->call)
        && op->state != OP_WAIT_POD) {
        /* The plugin gave up; the runtime will DEL.  Undo now rather than
         * make that DEL queue behind us. */
        op_undo(op, CNI_ERR_TRY_AGAIN, "abandoned by the plugin");
        return;
    }
    if (waiting && time_msec() >= op->deadline) {
        op_time_out(ops, op);
        return;
    }
    if (op->state == OP_WAIT_POD) {
        if (cni_call_abandoned(op->call)) {
            op_fail(ops, op, CNI_ERR_TRY_AGAIN, "abandoned by the plugin");
        } else {
            step_wait_pod(ops, op);
        }
    } else if (op->state == OP_WAIT_INSTALLED) {
        step_wait_installed(ops, op);
    }
}

static void
op_destroy(struct op *op)
{
    k8s_request_destroy(op->lookup_rq);
    cni_error_destroy(op->failure);
    free(op);
}

/* Runs the first op of 'q' and the ones after it that finish at once. */
static void
queue_run(struct cni_ops *ops, struct pod_queue *q)
{
    while (!ovs_list_is_empty(&q->ops)) {
        struct op *op = CONTAINER_OF(ovs_list_front(&q->ops), struct op,
                                     node);
        op_step(ops, op);
        if (op->state != OP_DONE) {
            return;
        }
        ovs_list_remove(&op->node);
        op_destroy(op);
    }
    hmap_remove(&ops->queues, &q->node);
    queue_destroy(q);
}

void
cni_ops_run(struct cni_ops *ops)
{
    struct pod_queue *q;
    HMAP_FOR_EACH_SAFE (q, node, &ops->queues) {
        queue_run(ops, q);
    }
}

/* ---- OVS writes ---- */

static void
external_ids_of(const struct op *op, struct smap *ids)
{
    const struct cni_args *a = &op->call->rq.args;
    char *port = ovn_name_pod_port(a->pod_name, a->pod_namespace);
    smap_init(ids);
    ovn_owner_init(ids, OVS_IFACE_ID, port,
                   OVS_POD_NAMESPACE, a->pod_namespace,
                   OVS_POD_NAME, a->pod_name,
                   OVS_POD_NETNS, a->netns,
                   OVS_CONTAINER_ID, a->container_id, NULL);
    free(port);
}

/* Deletes 'port' from 'br' unless the transaction being written does
 * already: calls of different containers of one pod run side by side, so
 * an ADD (which removes its pod's earlier sandboxes' ports), a DEL and the
 * collection of stale ports may all name one port, and the IDL must not
 * be asked to delete a row twice. */
static bool
del_port_once(struct cni_ops *ops, struct ovsdb_idl_txn *txn,
              const struct ovsrec_bridge *br, const struct ovsrec_port *port)
{
    if (!hmapx_add(&ops->txn_deleted, CONST_CAST(struct ovsrec_port *,
                                                 port))) {
        return false;
    }
    ovs_del_port(txn, br, port);
    return true;
}

/* Deletes the ports of 'br' that belong to 'op''s container (unless
 * 'keep_own'), or (ADD) to an earlier sandbox of its pod.  Returns how
 * many. */
static size_t
del_ports_of(struct cni_ops *ops, const struct ovsrec_bridge *br,
             const struct op *op, bool keep_own, struct ovsdb_idl_txn *txn)
{
    const struct cni_args *a = &op->call->rq.args;
    size_t n = 0;
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];
        const struct smap *ids = ovs_port_iface_ids(port);
        bool same_pod = (!op->removing && ids
                         && ovn_owner_matches(ids, OVS_POD_NAMESPACE,
                                              a->pod_namespace)
                         && ovn_owner_matches(ids, OVS_POD_NAME, a->pod_name));
        bool own = !strcmp(port->name, op->host_ifname);
        if ((own ? !keep_own : same_pod)
            && del_port_once(ops, txn, br, port)) {
            n++;
        }
    }
    return n;
}

static void
op_write(struct cni_ops *ops, struct op *op, const struct ovsrec_bridge *br,
         struct ovn_txn *t)
{
    if (op->removing) {
        if (!br || !del_ports_of(ops, br, op, false, t->txn)) {
            op_finish_removal(ops, op);     /* No port to wait for. */
        } else {
            op->state = OP_IN_TXN;
        }
        return;
    }
    if (!br) {
        return;                             /* Node set-up makes it. */
    }
    op->state = OP_IN_TXN;
    op->readd = false;
    bool exists = ovs_bridge_find_port(br, op->host_ifname) != NULL;
    if (exists && op->fresh) {
        /* A new device under an old port's name: vswitchd must see the
         * port go before it comes back, or it keeps the dead device. */
        del_ports_of(ops, br, op, false, t->txn);
        op->readd = true;
        return;
    }
    del_ports_of(ops, br, op, true, t->txn);
    if (exists) {
        return;                             /* The same port, repaired. */
    }
    struct smap ids;
    external_ids_of(op, &ids);
    struct ovs_pod_port pp = {
        .name = op->host_ifname,
        .external_ids = &ids,
        .egress_mbps = op->egress_mbps,
        .ingress_mbps = op->ingress_mbps,
        .qos_type = (!strcmp(ops->d->datapath_type, "netdev")
                     ? "egress-policer" : "linux-htb"),
    };
    ovs_add_pod_port(t->txn, br, &pp);
    smap_destroy(&ids);
}

/* True if a call for pod 'key' ("NAMESPACE/NAME") is queued. */
static bool
pod_busy(const struct cni_ops *ops, const char *key)
{
    const struct pod_queue *q;
    HMAP_FOR_EACH (q, node, &ops->queues) {
        if (!strcmp(q->pod_key, key)) {
            return true;
        }
    }
    return false;
}

/* Ports of kovn's pods that are no longer on this node. */
static void
gc_write(struct cni_ops *ops, const struct ovsrec_bridge *br,
         struct ovn_txn *t)
{
    if (time_msec() < ops->next_gc) {
        return;
    }
    if (!br || !k8s_informer_has_synced(ops->d->pods)) {
        ops->next_gc = time_msec() + 1000;  /* Not before both are there. */
        return;
    }
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct smap *ids = ovs_port_iface_ids(br->ports[i]);
        const char *ns = ovn_owner_get(ids, OVS_POD_NAMESPACE);
        const char *name = ovn_owner_get(ids, OVS_POD_NAME);
        if (!ns || !name) {
            continue;
        }
        char *key = xasprintf("%s/%s", ns, name);
        if (!pod_busy(ops, key) && !k8s_informer_get(ops->d->pods, key)
            && del_port_once(ops, t->txn, br, br->ports[i])) {
            VLOG_INFO("removing port %s of pod %s, which is gone",
                      br->ports[i]->name, key);
            svec_add(&ops->gc_ports, br->ports[i]->name);
        }
        free(key);
    }
    ops->next_gc = LLONG_MAX;
}

void
cni_ops_write(struct cni_ops *ops, struct ovn_txn *t)
{
    /* First, while the ports this transaction removes still show as
     * using theirs. */
    ovs_gc_qos(ops->d->ovs);
    hmapx_clear(&ops->txn_deleted);

    const struct ovsrec_bridge *br = ovs_find_bridge(ops->d->ovs,
                                                     ops->d->opts.bridge);
    struct pod_queue *q;
    HMAP_FOR_EACH_SAFE (q, node, &ops->queues) {
        struct op *op = CONTAINER_OF(ovs_list_front(&q->ops), struct op,
                                     node);
        if (op->state == OP_WRITE) {
            op_write(ops, op, br, t);
        }
    }
    gc_write(ops, br, t);
}

static void
op_txn_done(struct cni_ops *ops, struct op *op,
            enum ovsdb_idl_txn_status status, const char *error)
{
    /* The op must be stepped again even if nothing else happens: the IDL
     * run that brought this transaction's reply may also have brought
     * what the op now waits for (ovs-vswitchd's ofport and
     * ovn-controller's ovn-installed, on a busy machine), and no later
     * update would wake the loop for it.  Without this an ADD waited for
     * an unrelated event, seconds or tens of seconds later (the stall in
     * bench-cni, issue 15). */
    poll_immediate_wake();
    if (status == TXN_SUCCESS || status == TXN_UNCHANGED) {
        if (op->removing) {
            op_finish_removal(ops, op);
        } else if (op->readd) {
            op->readd = op->fresh = false;
            op->state = OP_WRITE;
        } else {
            op_reached(op, PH_PORT);
            op->state = OP_WAIT_INSTALLED;
        }
    } else if (status == TXN_ERROR) {
        char *msg = xasprintf("the local Open vSwitch database refused a "
                              "change of port %s: %s", op->host_ifname,
                              error ? error : "unknown error");
        if (op->removing) {
            /* The runtime repeats a failed DEL. */
            op_fail(ops, op, CNI_ERR_INTERNAL, "%s", msg);
        } else {
            op_undo(op, CNI_ERR_INTERNAL, "%s", msg);
        }
        free(msg);
    } else {
        op->state = OP_WRITE;               /* Try again. */
    }
}

static void
gc_txn_done(struct cni_ops *ops, bool success)
{
    for (size_t i = 0; success && i < ops->gc_ports.n; i++) {
        char *error = pod_wire_remove(ops->gc_ports.names[i]);
        if (error) {
            VLOG_WARN("%s", error);
            free(error);
        }
    }
    svec_clear(&ops->gc_ports);
    ops->next_gc = time_msec() + (success ? GC_INTERVAL_MS : 1000);
}

void
cni_ops_txn_done(struct cni_ops *ops, enum ovsdb_idl_txn_status status,
                 const char *error)
{
    struct pod_queue *q;
    HMAP_FOR_EACH (q, node, &ops->queues) {
        struct op *op = CONTAINER_OF(ovs_list_front(&q->ops), struct op,
                                     node);
        if (op->state == OP_IN_TXN) {
            op_txn_done(ops, op, status, error);
        }
    }
    if (ops->next_gc == LLONG_MAX) {
        gc_txn_done(ops, status == TXN_SUCCESS || status == TXN_UNCHANGED);
    }
}

void
cni_ops_wait(struct cni_ops *ops)
{
    struct pod_queue *q;
    HMAP_FOR_EACH (q, node, &ops->queues) {
        struct op *op = CONTAINER_OF(ovs_list_front(&q->ops), struct op,
                                     node);
        if (op->state == OP_WAIT_POD || op->state == OP_WAIT_INSTALLED
            || op->state == OP_WRITE) {
            poll_timer_wait_until(op->deadline);
        }
        if (op->state == OP_WAIT_POD && op->lookup == LOOKUP_UNKNOWN) {
            poll_timer_wait_until(op->at[PH_RECEIVED] + POD_ABSENT_GRACE_MS);
        }
        if (op->state == OP_WAIT_INSTALLED && !op->warned_slow) {
            poll_timer_wait_until(op->at[PH_PORT] + SLOW_PORT_MS);
        }
    }
    if (ops->next_gc != LLONG_MAX) {
        /* Collection runs in cni_ops_write(), which waits for the local
         * OVSDB: a timer already due must not spin the loop meanwhile. */
        poll_timer_wait_until(MAX(ops->next_gc, time_msec() + 1000));
    }
}

size_t
cni_ops_n_pending(const struct cni_ops *ops)
{
    return ops->n_pending;
}

void
cni_ops_destroy(struct cni_ops *ops)
{
    if (!ops) {
        return;
    }
    struct cni_error *e = cni_error_create(CNI_ERR_TRY_AGAIN, NULL,
                                           "kovn-daemon is stopping");
    struct pod_queue *q;
    HMAP_FOR_EACH_POP (q, node, &ops->queues) {
        struct op *op;
        LIST_FOR_EACH_POP (op, node, &q->ops) {
            if (op->call) {
                cni_call_reply_error(op->call, e);
            }
            op_destroy(op);
        }
        queue_destroy(q);
    }
    cni_error_destroy(e);
    svec_destroy(&ops->gc_ports);
    hmapx_destroy(&ops->txn_deleted);
    hmap_destroy(&ops->queues);
    free(ops);
}
