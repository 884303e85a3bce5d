/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller: turns Kubernetes objects into OVN logical networks.
 *
 * One process, one thread, the OVS main loop: every part has a run()
 * that does what it can without blocking and a wait() that tells
 * poll_block() what to wake for.  Informers keep caches of Subnets and
 * Namespaces warm from the moment the process starts; only the replica
 * holding the Lease (leader election) writes to OVN NB or the API, so a
 * standby takes over with warm caches and a full work queue. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "command-line.h"
#include "controller.h"
#include "ipam/ipam.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-config.h"
#include "k8s/k8s-event.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-leader.h"
#include "k8s/k8s-resource.h"
#include "k8s/k8s-workqueue.h"
#include "namespace.h"
#include "nb-network.h"
#include "node.h"
#include "pod.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "socket-util.h"
#include "subnet.h"
#include "unixctl.h"
#include "util.h"
#include "util/main-util.h"

VLOG_DEFINE_THIS_MODULE(main);

#define LEASE_NAME "kovn-controller"

/* ---- options ---- */

static void OVS_NO_RETURN
usage(void)
{
    printf("%s: Kubernetes network controller for OVN\n"
           "usage: %s [OPTIONS]\n"
           "\nKubernetes:\n"
           "  --kubeconfig=FILE          kubeconfig (default: $KUBECONFIG, "
           "in-cluster,\n"
           "                             ~/.kube/config)\n"
           "  --leader-election-namespace=NS  namespace of the Lease "
           "(kube-system)\n"
           "  --identity=NAME            leader election identity "
           "(hostname)\n"
           "  --lease-duration=SECONDS   Lease duration (15)\n"
           "\nOVN:\n"
           "  --ovn-nb-remotes=REMOTES   NB database, e.g. "
           "tcp:10.0.0.1:6641, or a\n"
           "                             raft cluster's members, comma "
           "separated\n"
           "  --cluster-router=NAME      cluster router (ovn-cluster)\n"
           "  --join-cidr=CIDR           node join network "
           "(100.64.0.0/16)\n"
           "\nDefault subnet:\n"
           "  --default-subnet=NAME      its name (ovn-default)\n"
           "  --default-subnet-cidr=CIDR      cidrBlock (10.16.0.0/16)\n"
           "  --default-subnet-gateway=IP     gateway (10.16.0.1)\n"
           "  --default-subnet-exclude-ips=LIST  excludeIps, comma "
           "separated\n"
           "                             (default: the gateway)\n"
           "\nOther:\n"
           "  --gc-interval=SECONDS      garbage collection period (300)\n"
           "  --unixctl=SOCKET           control socket (ovs-appctl -t)\n"
           "  -h, --help                 this help\n"
           "  -V, --version              version\n",
           program_name, program_name);
    vlog_usage();
    exit(EXIT_SUCCESS);
}

/* A duration option's value, 1 to 3600 seconds, in milliseconds. */
static long long int
parse_seconds(const char *option, const char *value)
{
    int s;
    main_int_option(option, value, 1, 3600, &s);
    return s * 1000LL;
}

static char *
default_identity(void)
{
    char host[256];
    if (gethostname(host, sizeof host - 1)) {
        return xstrdup("kovn-controller");
    }
    host[sizeof host - 1] = '\0';
    return xstrdup(host);
}

static void
parse_options(int argc, char *argv[], struct controller_options *o)
{
    enum {
        OPT_KUBECONFIG = UCHAR_MAX + 1,
        OPT_NB_REMOTES,
        OPT_DEFAULT_SUBNET,
        OPT_DEFAULT_CIDR,
        OPT_DEFAULT_GATEWAY,
        OPT_DEFAULT_EXCLUDES,
        OPT_JOIN_CIDR,
        OPT_CLUSTER_ROUTER,
        OPT_LEADER_NAMESPACE,
        OPT_IDENTITY,
        OPT_LEASE_DURATION,
        OPT_GC_INTERVAL,
        OPT_UNIXCTL,
        VLOG_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"ovn-nb-remotes", required_argument, NULL, OPT_NB_REMOTES},
        {"default-subnet", required_argument, NULL, OPT_DEFAULT_SUBNET},
        {"default-subnet-cidr", required_argument, NULL, OPT_DEFAULT_CIDR},
        {"default-subnet-gateway", required_argument, NULL,
         OPT_DEFAULT_GATEWAY},
        {"default-subnet-exclude-ips", required_argument, NULL,
         OPT_DEFAULT_EXCLUDES},
        {"join-cidr", required_argument, NULL, OPT_JOIN_CIDR},
        {"cluster-router", required_argument, NULL, OPT_CLUSTER_ROUTER},
        {"leader-election-namespace", required_argument, NULL,
         OPT_LEADER_NAMESPACE},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"lease-duration", required_argument, NULL, OPT_LEASE_DURATION},
        {"gc-interval", required_argument, NULL, OPT_GC_INTERVAL},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    o->default_subnet = xstrdup("ovn-default");
    o->default_cidr = xstrdup("10.16.0.0/16");
    o->default_gateway = xstrdup("10.16.0.1");
    o->default_excludes = xstrdup("");
    o->join_cidr = xstrdup("100.64.0.0/16");
    o->cluster_router = xstrdup("ovn-cluster");
    o->leader_namespace = xstrdup("kube-system");
    o->lease_duration_ms = 15000;
    o->gc_interval_ms = 300 * 1000;

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_KUBECONFIG: main_set_option(&o->kubeconfig, optarg); break;
        case OPT_NB_REMOTES: main_set_option(&o->nb_remotes, optarg); break;
        case OPT_DEFAULT_SUBNET:
            main_set_option(&o->default_subnet, optarg);
            break;
        case OPT_DEFAULT_CIDR:
            main_set_option(&o->default_cidr, optarg);
            break;
        case OPT_DEFAULT_GATEWAY:
            main_set_option(&o->default_gateway, optarg);
            break;
        case OPT_DEFAULT_EXCLUDES:
            main_set_option(&o->default_excludes, optarg);
            break;
        case OPT_JOIN_CIDR: main_set_option(&o->join_cidr, optarg); break;
        case OPT_CLUSTER_ROUTER:
            main_set_option(&o->cluster_router, optarg);
            break;
        case OPT_LEADER_NAMESPACE:
            main_set_option(&o->leader_namespace, optarg);
            break;
        case OPT_IDENTITY: main_set_option(&o->identity, optarg); break;
        case OPT_LEASE_DURATION:
            o->lease_duration_ms = parse_seconds("lease-duration", optarg);
            break;
        case OPT_GC_INTERVAL:
            o->gc_interval_ms = parse_seconds("gc-interval", optarg);
            break;
        case OPT_UNIXCTL: main_set_option(&o->unixctl_path, optarg); break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            printf("kovn %s\n", KOVN_VERSION);
            exit(EXIT_SUCCESS);
        VLOG_OPTION_HANDLERS
        case '?':
            exit(EXIT_FAILURE);     /* getopt said what was wrong. */
        default:
            abort();
        }
    }
    free(short_options);

    if (optind < argc) {
        main_bad_option("unexpected argument \"%s\"", argv[optind]);
    }
    if (!o->nb_remotes) {
        main_bad_option("--ovn-nb-remotes is required");
    }
    if (!o->identity) {
        o->identity = default_identity();
    }
}

/* Checks the options that name networks, so that a typo stops the process
 * at once instead of surfacing as a broken Subnet later. */
static void
check_networks(struct controller *c)
{
    struct controller_options *o = &c->opts;
    struct ip_cidr cidrs[2];
    struct ip_addr gw;
    size_t n;
    char *error;

    if ((error = cidr_parse(o->join_cidr, &c->join_cidr, NULL))) {
        main_bad_option("--join-cidr=%s: %s", o->join_cidr, error);
    }
    if ((error = cidr_parse_block(o->default_cidr, cidrs, &n))) {
        main_bad_option("--default-subnet-cidr=%s: %s", o->default_cidr,
                        error);
    }
    if ((error = cidr_parse_ip(o->default_gateway, &gw))) {
        main_bad_option("--default-subnet-gateway=%s: %s",
                        o->default_gateway, error);
    }
    if (!cidr_contains(&cidrs[0], gw.family, gw.n)
        && !(n > 1 && cidr_contains(&cidrs[1], gw.family, gw.n))) {
        main_bad_option("--default-subnet-gateway=%s is not inside "
                        "--default-subnet-cidr=%s", o->default_gateway,
                        o->default_cidr);
    }
    char *copy = xstrdup(o->default_excludes), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        struct ip_range r;
        if ((error = cidr_parse_range(tok, &r))) {
            main_bad_option("--default-subnet-exclude-ips: %s", error);
        }
    }
    free(copy);
}

static void
options_destroy(struct controller_options *o)
{
    free(o->kubeconfig);
    free(o->nb_remotes);
    free(o->default_subnet);
    free(o->default_cidr);
    free(o->default_gateway);
    free(o->default_excludes);
    free(o->join_cidr);
    free(o->cluster_router);
    free(o->leader_namespace);
    free(o->identity);
    free(o->unixctl_path);
}

/* ---- API writes ---- */

struct api_call {
    struct hmap_node node;          /* In controller's 'api_calls'. */
    struct controller *c;
    struct k8s_request *req;
    struct k8s_workqueue *queue;
    char *key;
};

static void
api_call_free(struct api_call *call)
{
    hmap_remove(&call->c->api_calls, &call->node);
    free(call->key);
    free(call);
}

static void
api_done(struct k8s_request *req OVS_UNUSED, const struct k8s_response *r,
         void *call_)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);
    struct api_call *call = call_;

    if (k8s_response_ok(r)) {
        k8s_workqueue_forget(call->queue, call->key);
    } else if (r->status == 409) {
        /* Conflict: the write was computed from an older version of the
         * object (a Subnet's finalizers, racing our own status write), or
         * created what exists already.  Expected with optimistic
         * concurrency: the reconciler looks again at the newer object. */
        VLOG_DBG("writing %s: %s", call->key, r->error);
        k8s_workqueue_add_rate_limited(call->queue, call->key);
    } else if (r->status != 404) {  /* Gone: its deletion is queued. */
        VLOG_WARN_RL(&rl, "writing %s: %s", call->key, r->error);
        k8s_workqueue_add_rate_limited(call->queue, call->key);
    }
    api_call_free(call);
}

struct k8s_request *
api_write(struct controller *c, int method, const char *path,
          const struct json *body, struct k8s_workqueue *queue,
          const char *key)
{
    struct api_call *call = xzalloc(sizeof *call);
    call->c = c;
    call->queue = queue;
    call->key = xstrdup(key);
    hmap_insert(&c->api_calls, &call->node, hash_pointer(call, 0));
    call->req = k8s_client_request(c->client, method, path, body,
                                   api_done, call);
    return call->req;
}

void
api_cancel_all(struct controller *c)
{
    struct api_call *call;
    HMAP_FOR_EACH_SAFE (call, node, &c->api_calls) {
        k8s_request_cancel(call->req);
        api_call_free(call);
    }
}

/* ---- main loop ---- */

static void
connect_all(struct controller *c)
{
    char *error;
    c->client = k8s_client_connect(c->opts.kubeconfig, &error);
    if (!c->client) {
        ovs_fatal(0, "%s", error);
    }

    /* Only the tables the reconcilers read, to save memory at scale. */
    error = ovn_idl_create(&nbrec_idl_class, c->opts.nb_remotes, false,
                           &c->nb);
    if (error) {
        ovs_fatal(0, "--ovn-nb-remotes=%s: %s", c->opts.nb_remotes, error);
    }
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_switch);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_switch_port);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router_port);
    ovn_idl_monitor_table(c->nb, &nbrec_table_logical_router_static_route);
    /* Reconcilers rewrite what they want on every pass: writes of values a
     * row has already are dropped, so that they neither cost the IDL a
     * re-parse of the row (a switch's 'ports' hold every pod's port) nor
     * hide the row from the name indexes for the transaction. */
    ovsdb_idl_set_write_changed_only_all(c->nb->idl, true);
    c->nbi = nb_index_create(c->nb->idl);

    c->ipam = ipam_create();
    c->events = k8s_event_recorder_create(c->client, "kovn-controller",
                                          c->opts.identity);
    c->cluster = cluster_create(c);
    c->subnet = subnet_create(c);
    c->ns = namespace_create(c);
    c->node = node_create(c);
    c->pod = pod_create(c);
    struct k8s_informer_options none = { .namespace = NULL };
    c->subnets = k8s_informer_create(c->client, &kubeovn_subnets, &none,
                                     &subnet_informer_handlers, c->subnet);
    c->namespaces = k8s_informer_create(c->client, &k8s_namespaces, &none,
                                        &namespace_informer_handlers, c->ns);
    c->nodes = k8s_informer_create(c->client, &k8s_nodes,
                                   &node_informer_options,
                                   &node_informer_handlers, c->node);

    struct k8s_leader_options lo = {
        .namespace = c->opts.leader_namespace,
        .name = LEASE_NAME,
        .identity = c->opts.identity,
        .lease_duration_ms = c->opts.lease_duration_ms,
        .renew_deadline_ms = c->opts.lease_duration_ms * 2 / 3,
        .retry_ms = c->opts.lease_duration_ms / 7,
    };
    c->leader = k8s_leader_create(c->client, &lo);
}

/* Writes happen only when this replica leads and its views are complete:
 * with a half-listed cache, a Subnet not yet seen would look deleted. */
static bool
ready_to_write(const struct controller *c)
{
    return c->leading
           && ovn_idl_state(c->nb) == OVN_IDL_SYNCED
           && k8s_informer_has_synced(c->subnets)
           && k8s_informer_has_synced(c->namespaces);
}

/* One NB transaction at a time, shared by the cluster set-up and every
 * Subnet reconciled in this pass.  Returns true if the reconcilers ran (the
 * cluster router is there), so that their queues are worth waiting on. */
static bool
reconcile_nb(struct controller *c, struct ovn_txn **txnp)
{
    if (*txnp) {
        enum ovsdb_idl_txn_status status = ovn_txn_status(*txnp);
        if (status == TXN_INCOMPLETE) {
            return false;
        }
        if (status == TXN_ERROR) {
            VLOG_WARN("NB transaction failed: %s", ovn_txn_error(*txnp));
        }
        cluster_txn_done(c->cluster, status);
        subnet_txn_done(c->subnet, status);
        node_txn_done(c->node, status);
        pod_txn_done(c->pod, status);
        ovn_txn_destroy(*txnp);
        *txnp = NULL;
    }

    struct ovn_txn *t = ovn_txn_begin(c->nb);
    const struct nbrec_logical_router *router = cluster_run(c->cluster, t);
    if (router) {
        subnet_run(c->subnet, t, router);
        node_run(c->node, t, router);
        pod_run(c->pod, t);
    }
    ovn_txn_commit(t);

    enum ovsdb_idl_txn_status status = ovn_txn_status(t);
    if (status == TXN_INCOMPLETE) {
        *txnp = t;                  /* Settled on a later pass. */
    } else {
        /* Nothing to write (TXN_UNCHANGED), or failed at once. */
        cluster_txn_done(c->cluster, status);
        subnet_txn_done(c->subnet, status);
        node_txn_done(c->node, status);
        pod_txn_done(c->pod, status);
        ovn_txn_destroy(t);
    }
    return router != NULL;
}

static void
become_leader(struct controller *c)
{
    VLOG_INFO("%s leads: reconciling", c->opts.identity);
    c->leading = true;
    /* The same code path as every change, with a full queue. */
    subnet_enqueue_all(c->subnet);
    namespace_enqueue_all(c->ns);
    node_enqueue_all(c->node);
}

int
main(int argc, char *argv[])
{
    struct controller c = { .leading = false };
    struct unixctl_server *unixctl;
    struct ovn_txn *txn = NULL;
    bool exiting = false;
    int status = EXIT_SUCCESS;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_INFO);
    parse_options(argc, argv, &c.opts);
    check_networks(&c);
    main_catch_signals();

    int error = unixctl_server_create(c.opts.unixctl_path, &unixctl);
    if (error) {
        ovs_fatal(error, "could not create the control socket");
    }
    main_register_exit(&exiting);

    hmap_init(&c.api_calls);
    connect_all(&c);
    VLOG_INFO("kovn-controller %s starting as %s; NB %s", KOVN_VERSION,
              c.opts.identity, c.opts.nb_remotes);

    while (!exiting && !main_stop_requested()) {
        unixctl_server_run(unixctl);
        k8s_client_run(c.client);
        ovn_idl_run(c.nb);
        k8s_informer_run(c.subnets);
        k8s_informer_run(c.namespaces);
        k8s_informer_run(c.nodes);
        pod_informers_run(c.pod);
        k8s_leader_run(c.leader);

        if (k8s_leader_lost(c.leader)) {
            /* Another replica may be writing already: stop at once, as
             * client-go's controllers do, and let the restart re-sync. */
            VLOG_ERR("lost the lease: exiting");
            status = EXIT_FAILURE;
            break;
        }
        if (!c.leading && k8s_leader_is_leader(c.leader)) {
            become_leader(&c);
        }
        bool reconciled = false;
        if (ready_to_write(&c)) {
            reconciled = reconcile_nb(&c, &txn);
            namespace_run(c.ns);
        }

        unixctl_server_wait(unixctl);
        k8s_client_wait(c.client);
        ovn_idl_wait(c.nb);
        k8s_informer_wait(c.subnets);
        k8s_informer_wait(c.namespaces);
        k8s_informer_wait(c.nodes);
        pod_informers_wait(c.pod);
        k8s_leader_wait(c.leader);
        if (ready_to_write(&c)) {
            cluster_wait(c.cluster);
            if (txn) {
                ovn_txn_wait(txn);
            } else if (reconciled) {
                /* Else they wait for the router, that is, for NB. */
                subnet_wait(c.subnet);
                node_wait(c.node);
                pod_wait(c.pod);
            }
            namespace_wait(c.ns);
        }
        main_stop_wait();
        poll_block();
    }
    VLOG_INFO("exiting");

    /* A transaction in flight may still land; the next leader re-syncs. */
    ovn_txn_destroy(txn);
    api_cancel_all(&c);
    if (c.leader && status == EXIT_SUCCESS) {
        k8s_leader_release(c.leader, 5000);
    }
    k8s_leader_destroy(c.leader);
    k8s_informer_destroy(c.subnets);
    k8s_informer_destroy(c.namespaces);
    k8s_informer_destroy(c.nodes);
    namespace_destroy(c.ns);
    pod_destroy(c.pod);
    node_destroy(c.node);
    subnet_destroy(c.subnet);
    cluster_destroy(c.cluster);
    k8s_event_recorder_destroy(c.events);
    ipam_destroy(c.ipam);
    nb_index_destroy(c.nbi);
    ovn_idl_destroy(c.nb);
    k8s_client_destroy(c.client);
    hmap_destroy(&c.api_calls);
    unixctl_server_destroy(unixctl);
    options_destroy(&c.opts);
    return status;
}
