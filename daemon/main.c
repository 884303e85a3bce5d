/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-daemon: wires pods into OVN on one node.
 *
 * One process, one thread, the OVS main loop.  It watches this node's Pods
 * and Node and the Subnets through the Kubernetes API, and the node's own
 * Open_vSwitch database through the IDL; it serves the kovn CNI plugin on a
 * unix socket.  Writes to the local OVSDB from every module share one
 * transaction at a time.  Kernel changes (veth, addresses, routes) are made
 * over netlink from the main loop; each takes milliseconds. */

#include <config.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-install.h"
#include "cni-ops.h"
#include "cni-server.h"
#include "command-line.h"
#include "daemon.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "net/addr.h"
#include "net/link.h"
#include "node-services.h"
#include "node-setup.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovn/ovn-annotations.h"
#include "ovn/ovn-idl.h"
#include "gw-lease.h"
#include "ovs-ports.h"
#include "unixctl.h"
#include "util.h"
#include "util/json-util.h"
#include "util/main-util.h"
#include "vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(main);

/* Geneve's overhead on an IPv4 underlay, as Kube-OVN reserves it. */
#define GENEVE_OVERHEAD 100

static void OVS_NO_RETURN
usage(void)
{
    printf("%s: kovn's per-node agent: node set-up and the CNI server\n"
           "usage: %s [OPTIONS]\n"
           "\nKubernetes:\n"
           "  --kubeconfig=FILE       kubeconfig (default: $KUBECONFIG, "
           "in-cluster,\n"
           "                          ~/.kube/config)\n"
           "  --node-name=NAME        this node (default: $KUBE_NODE_NAME)\n"
           "\nOpen vSwitch and OVN:\n"
           "  --ovs-db=REMOTE         local Open_vSwitch database\n"
           "                          (unix:/var/run/openvswitch/db.sock)\n"
           "  --ovn-sb-remote=REMOTE  OVN southbound database for "
           "ovn-controller\n"
           "                          (default: keep the node's "
           "ovn-remote)\n"
           "  --encap-ip=IP           Geneve endpoint of this node\n"
           "  --encap-iface=NAME      ...or the interface that holds it\n"
           "                          (default: the Node's InternalIP)\n"
           "  --datapath-type=TYPE    auto, netdev or system (auto: system "
           "if the\n"
           "                          openvswitch kernel module is loaded)\n"
           "  --bridge=NAME           integration bridge (br-int)\n"
           "  --mtu=N                 pod MTU (default: the encap "
           "interface's - %d,\n"
           "                          or 1400)\n"
           "\nServices:\n"
           "  --service-cidr=CIDR[,CIDR]  the cluster's Service CIDR(s), "
           "routed via\n"
           "                          ovn0 (10.96.0.0/12)\n"
           "\nCNI:\n"
           "  --socket=PATH           CNI server socket (%s)\n"
           "  --cni-timeout=SECONDS   longest an ADD waits for annotations "
           "and\n"
           "                          ovn-installed (100)\n"
           "  --cni-bin-dir=DIR       install the plugin here (/opt/cni/bin; "
           "\"\": don't)\n"
           "  --cni-conf-dir=DIR      write 01-kovn.conflist here "
           "(/etc/cni/net.d; \"\": don't)\n"
           "  --cni-plugin=FILE       the plugin binary to install (kovn "
           "beside\n"
           "                          kovn-daemon, or ../lib/cni/kovn)\n"
           "\nOther:\n"
           "  --unixctl=SOCKET        control socket (ovs-appctl -t)\n"
           "  -h, --help              this help\n"
           "  -V, --version           version\n",
           program_name, program_name, GENEVE_OVERHEAD,
           CNI_DEFAULT_SERVER_SOCKET);
    vlog_usage();
    exit(EXIT_SUCCESS);
}

/* The plugin binary installed with kovn-daemon: beside it (build tree:
 * ../cni/kovn) or in PREFIX/lib/cni. */
static char *
default_plugin(void)
{
    char *exe = realpath("/proc/self/exe", NULL);
    char *dir = exe ? dir_name(exe) : xstrdup(".");
    const char *candidates[] = { "kovn", "../cni/kovn", "../lib/cni/kovn" };
    char *found = NULL;
    for (size_t i = 0; !found && i < ARRAY_SIZE(candidates); i++) {
        char *path = xasprintf("%s/%s", dir, candidates[i]);
        if (!access(path, X_OK)) {
            found = path;
        } else {
            free(path);
        }
    }
    free(exe);
    free(dir);
    return found ? found : xstrdup("/usr/local/lib/cni/kovn");
}

static void
set_defaults(struct daemon_options *o)
{
    const char *node = getenv("KUBE_NODE_NAME");
    o->node_name = node && *node ? xstrdup(node) : NULL;
    o->ovs_remote = xstrdup("unix:/var/run/openvswitch/db.sock");
    o->datapath_type = xstrdup("auto");
    o->bridge = xstrdup("br-int");
    o->socket_path = xstrdup(CNI_DEFAULT_SERVER_SOCKET);
    o->cni_bin_dir = xstrdup("/opt/cni/bin");
    o->cni_conf_dir = xstrdup("/etc/cni/net.d");
    o->cni_timeout_s = 100;
    o->service_cidr = xstrdup("10.96.0.0/12");
}

static void
parse_options(int argc, char *argv[], struct daemon_options *o)
{
    enum {
        OPT_KUBECONFIG = UCHAR_MAX + 1, OPT_NODE_NAME, OPT_OVS_DB,
        OPT_SB_REMOTE, OPT_ENCAP_IP, OPT_ENCAP_IFACE, OPT_DATAPATH,
        OPT_BRIDGE, OPT_MTU, OPT_SOCKET, OPT_CNI_TIMEOUT, OPT_CNI_BIN,
        OPT_CNI_CONF, OPT_CNI_PLUGIN, OPT_UNIXCTL, OPT_SERVICE_CIDR,
        VLOG_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"node-name", required_argument, NULL, OPT_NODE_NAME},
        {"ovs-db", required_argument, NULL, OPT_OVS_DB},
        {"ovn-sb-remote", required_argument, NULL, OPT_SB_REMOTE},
        {"encap-ip", required_argument, NULL, OPT_ENCAP_IP},
        {"encap-iface", required_argument, NULL, OPT_ENCAP_IFACE},
        {"datapath-type", required_argument, NULL, OPT_DATAPATH},
        {"bridge", required_argument, NULL, OPT_BRIDGE},
        {"mtu", required_argument, NULL, OPT_MTU},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"cni-timeout", required_argument, NULL, OPT_CNI_TIMEOUT},
        {"cni-bin-dir", required_argument, NULL, OPT_CNI_BIN},
        {"cni-conf-dir", required_argument, NULL, OPT_CNI_CONF},
        {"cni-plugin", required_argument, NULL, OPT_CNI_PLUGIN},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"service-cidr", required_argument, NULL, OPT_SERVICE_CIDR},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    set_defaults(o);
    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_KUBECONFIG: main_set_option(&o->kubeconfig, optarg); break;
        case OPT_NODE_NAME: main_set_option(&o->node_name, optarg); break;
        case OPT_OVS_DB: main_set_option(&o->ovs_remote, optarg); break;
        case OPT_SB_REMOTE: main_set_option(&o->ovn_sb_remote, optarg); break;
        case OPT_ENCAP_IP: main_set_option(&o->encap_ip, optarg); break;
        case OPT_ENCAP_IFACE: main_set_option(&o->encap_iface, optarg); break;
        case OPT_DATAPATH: main_set_option(&o->datapath_type, optarg); break;
        case OPT_BRIDGE: main_set_option(&o->bridge, optarg); break;
        case OPT_MTU: main_int_option("mtu", optarg, 576, 9000, &o->mtu);
            break;
        case OPT_SOCKET: main_set_option(&o->socket_path, optarg); break;
        case OPT_CNI_TIMEOUT:
            main_int_option("cni-timeout", optarg, 1, 3600,
                            &o->cni_timeout_s);
            break;
        case OPT_CNI_BIN: main_set_option(&o->cni_bin_dir, optarg); break;
        case OPT_CNI_CONF: main_set_option(&o->cni_conf_dir, optarg); break;
        case OPT_CNI_PLUGIN: main_set_option(&o->cni_plugin, optarg); break;
        case OPT_UNIXCTL: main_set_option(&o->unixctl_path, optarg); break;
        case OPT_SERVICE_CIDR:
            main_set_option(&o->service_cidr, optarg);
            break;
        case 'h': usage();
        case 'V':
            printf("kovn-daemon %s\n", KOVN_VERSION);
            exit(EXIT_SUCCESS);
        VLOG_OPTION_HANDLERS
        case '?': exit(EXIT_FAILURE);
        default: OVS_NOT_REACHED();
        }
    }
    free(short_options);
    if (optind < argc) {
        main_bad_option("unexpected argument \"%s\"", argv[optind]);
    }
    if (!o->node_name) {
        main_bad_option("--node-name (or $KUBE_NODE_NAME) is required");
    }
    if (strcmp(o->datapath_type, "auto") && strcmp(o->datapath_type, "netdev")
        && strcmp(o->datapath_type, "system")) {
        main_bad_option("--datapath-type=%s: want auto, netdev or system",
                        o->datapath_type);
    }
    if (!o->cni_plugin) {
        o->cni_plugin = default_plugin();
    }
}

static void
options_destroy(struct daemon_options *o)
{
    char **strings[] = {
        &o->kubeconfig, &o->node_name, &o->ovs_remote, &o->ovn_sb_remote,
        &o->encap_ip, &o->encap_iface, &o->datapath_type, &o->bridge,
        &o->socket_path, &o->cni_bin_dir, &o->cni_conf_dir, &o->cni_plugin,
        &o->unixctl_path, &o->service_cidr,
    };
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        free(*strings[i]);
    }
}

/* ---- node facts ---- */

/* The userspace datapath when the kernel has no openvswitch module, as in
 * containers and on these test machines; the kernel's otherwise. */
static const char *
resolve_datapath(const char *option)
{
    if (strcmp(option, "auto")) {
        return !strcmp(option, "netdev") ? "netdev" : "system";
    }
    struct stat st;
    return stat("/sys/module/openvswitch", &st) ? "netdev" : "system";
}

/* --encap-ip, or the first IPv4 address of --encap-iface; and the pod MTU
 * from that interface's. */
static void
resolve_underlay(struct daemon *d)
{
    d->pod_mtu = d->opts.mtu ? d->opts.mtu : 1400;
    d->encap_ip = d->opts.encap_ip ? xstrdup(d->opts.encap_ip) : NULL;
    if (!d->opts.encap_iface) {
        return;
    }
    struct net_link link;
    struct net_ifaddr *addrs = NULL;
    size_t n = 0;
    char *error = net_link_get(d->opts.encap_iface, &link);
    if (!error) {
        error = net_addr_list(d->opts.encap_iface, AF_INET, &addrs, &n);
    }
    if (error) {
        ovs_fatal(0, "--encap-iface: %s", error);
    }
    if (!d->opts.mtu) {
        d->pod_mtu = link.mtu - GENEVE_OVERHEAD;
    }
    if (!d->encap_ip) {
        if (!n) {
            ovs_fatal(0, "--encap-iface=%s has no IPv4 address",
                      d->opts.encap_iface);
        }
        struct ds s = DS_EMPTY_INITIALIZER;
        cidr_ip_put(addrs[0].ip.family, addrs[0].ip.n, &s);
        d->encap_ip = ds_steal_cstr(&s);
    }
    free(addrs);
}

/* ---- informers ---- */

/* Drops the annotations of 'meta' that are not kovn's. */
static void
keep_ovn_annotations(struct json *meta)
{
    struct json *anns = CONST_CAST(struct json *,
                                   json_get_member(meta, "annotations"));
    if (!anns || anns->type != JSON_OBJECT) {
        return;
    }
    struct shash_node *node;
    SHASH_FOR_EACH_SAFE (node, anns->object) {
        if (strncmp(node->name, OVN_ANN_PREFIX, strlen(OVN_ANN_PREFIX))) {
            json_destroy(node->data);
            shash_delete(anns->object, node);
        }
    }
}

/* A pod costs the daemon only what it reads: its name and kovn's
 * annotations.  The rest of its metadata (labels, owner references, other
 * tools' annotations, such as kubectl's last-applied-configuration, a copy
 * of the whole pod) is often most of a pod, times every pod of the node. */
static void
keep_pod_metadata(struct json *pod)
{
    static const char *const keep[] = { "metadata" };
    static const char *const keep_meta[] = {
        "name", "namespace", "uid", "resourceVersion", "annotations",
    };
    json_object_keep(pod, keep, ARRAY_SIZE(keep));
    struct json *meta = CONST_CAST(struct json *,
                                   json_get_member(pod, "metadata"));
    json_object_keep(meta, keep_meta, ARRAY_SIZE(keep_meta));
    keep_ovn_annotations(meta);
}

static void
on_pod_add(const struct json *obj, void *d_)
{
    struct daemon *d = d_;
    cni_ops_pod_changed(d->ops);
    node_services_pod_changed(d->services_nft, NULL, obj);
}

/* A pod deleted ends its waiting ADD at once, rather than after
 * --cni-timeout. */
static void
on_pod_delete(const struct json *obj, void *d_)
{
    struct daemon *d = d_;
    cni_ops_pod_changed(d->ops);
    node_services_pod_changed(d->services_nft, obj, NULL);
}

static void
on_pod_update(const struct json *old, const struct json *new, void *d_)
{
    struct daemon *d = d_;
    cni_ops_pod_changed(d->ops);
    node_services_pod_changed(d->services_nft, old, new);
}

static void
on_node_change(const struct json *obj OVS_UNUSED, void *d_)
{
    struct daemon *d = d_;
    node_setup_changed(d->setup);
    node_services_networks_changed(d->services_nft);
}

/* Whether 'a' and 'b' differ at 'path'. */
static bool
differ_at(const struct json *a, const struct json *b, const char *path)
{
    const struct json *x = json_get_path(a, path);
    const struct json *y = json_get_path(b, path);
    return x != y && (!x || !y || !json_equal(x, y));
}

/* The Node's and the Subnets' updates: what the node set-up and the
 * nftables table read of them is a Subnet's spec, the Node's annotations
 * and addresses.  The rest (a Subnet's status, which kovn-controller
 * writes after each change; the kubelet's heartbeats) is skipped, so that
 * a change costs one pass, not two or more. */
static void
on_node_update(const struct json *old, const struct json *new, void *d_)
{
    if (!differ_at(old, new, "spec")
        && !differ_at(old, new, "metadata.annotations")
        && !differ_at(old, new, "status.addresses")
        && !differ_at(old, new, "metadata.deletionTimestamp")) {
        return;
    }
    struct daemon *d = d_;
    node_setup_changed(d->setup);
    node_services_networks_changed(d->services_nft);
}

static void
on_service_change(const struct json *obj, void *d_)
{
    struct daemon *d = d_;
    node_services_service_changed(d->services_nft, obj);
}

static void
on_service_update(const struct json *old OVS_UNUSED, const struct json *new,
                  void *d_)
{
    struct daemon *d = d_;
    node_services_service_changed(d->services_nft, new);
}

static void
on_slice_change(const struct json *obj, void *d_)
{
    struct daemon *d = d_;
    node_services_slice_changed(d->services_nft, obj);
}

static void
on_slice_update(const struct json *old, const struct json *new, void *d_)
{
    struct daemon *d = d_;
    node_services_slice_changed(d->services_nft, old);  /* It may move. */
    node_services_slice_changed(d->services_nft, new);
}

static void
connect_all(struct daemon *d)
{
    char *error;
    d->client = k8s_client_connect(d->opts.kubeconfig, &error);
    if (!d->client) {
        ovs_fatal(0, "%s", error);
    }

    error = ovn_idl_create(&ovsrec_idl_class, d->opts.ovs_remote, false,
                           &d->ovs);
    if (error) {
        ovs_fatal(0, "--ovs-db=%s: %s", d->opts.ovs_remote, error);
    }
    ovs_ports_register(d->ovs);

    d->setup = node_setup_create(d);
    d->ops = cni_ops_create(d);
    /* node_services_create() follows the informers it reads. */

    char *on_node = xasprintf("spec.nodeName=%s", d->opts.node_name);
    char *named = xasprintf("metadata.name=%s", d->opts.node_name);
    struct k8s_informer_options pod_opts = {
        .field_selector = on_node, .transform = keep_pod_metadata,
    };
    struct k8s_informer_options node_opts = { .field_selector = named };
    struct k8s_informer_options all = { .namespace = NULL };
    static const struct k8s_informer_handlers pod_handlers = {
        .on_add = on_pod_add, .on_update = on_pod_update,
        .on_delete = on_pod_delete,
    };
    static const struct k8s_informer_handlers node_handlers = {
        .on_add = on_node_change, .on_update = on_node_update,
        .on_delete = on_node_change,
    };
    d->pods = k8s_informer_create(d->client, &k8s_pods, &pod_opts,
                                  &pod_handlers, d);
    d->node = k8s_informer_create(d->client, &k8s_nodes, &node_opts,
                                  &node_handlers, d);
    d->subnets = k8s_informer_create(d->client, &kubeovn_subnets, &all,
                                     &node_handlers, d);
    static const struct k8s_informer_handlers service_handlers = {
        .on_add = on_service_change, .on_update = on_service_update,
        .on_delete = on_service_change,
    };
    static const struct k8s_informer_handlers slice_handlers = {
        .on_add = on_slice_change, .on_update = on_slice_update,
        .on_delete = on_slice_change,
    };
    d->services = k8s_informer_create(d->client, &k8s_services, &all,
                                      &service_handlers, d);
    d->slices = k8s_informer_create(d->client, &k8s_endpoint_slices_v1,
                                    &all, &slice_handlers, d);
    struct node_services_config nft_cfg = {
        .node_name = d->opts.node_name,
        .services = d->services, .slices = d->slices,
        .subnets = d->subnets, .node = d->node, .pods = d->pods,
        .service_cidrs = d->service_cidrs,
        .n_service_cidrs = d->n_service_cidrs,
        .set_forwarding = true,
    };
    d->services_nft = node_services_create(&nft_cfg);
    d->gw_lease = gw_lease_create(d->client, d->opts.node_name, d->subnets);
    free(on_node);
    free(named);

    error = cni_server_create(d->opts.socket_path, cni_ops_handle, d->ops,
                              &d->server);
    if (error) {
        ovs_fatal(0, "%s", error);
    }
}

/* ---- the local OVSDB transaction ---- */

static void
txn_done(struct daemon *d, struct ovn_txn *t)
{
    enum ovsdb_idl_txn_status status = ovn_txn_status(t);
    if (status == TXN_ERROR) {
        VLOG_WARN("Open_vSwitch transaction failed: %s", ovn_txn_error(t));
    }
    cni_ops_txn_done(d->ops, status, ovn_txn_error(t));
    ovn_txn_destroy(t);
}

/* One transaction at a time, shared by node set-up and every CNI call. */
static void
run_ovs_txn(struct daemon *d, struct ovn_txn **txnp)
{
    if (*txnp) {
        if (ovn_txn_status(*txnp) == TXN_INCOMPLETE) {
            return;
        }
        txn_done(d, *txnp);
        *txnp = NULL;
    }
    if (ovn_idl_state(d->ovs) != OVN_IDL_SYNCED) {
        return;
    }
    struct ovn_txn *t = ovn_txn_begin(d->ovs);
    node_setup_write(d->setup, t);
    cni_ops_write(d->ops, t);
    ovn_txn_commit(t);
    if (ovn_txn_status(t) == TXN_INCOMPLETE) {
        *txnp = t;
    } else {
        txn_done(d, t);
    }
}

/* ---- control socket ---- */

static void
unixctl_status(struct unixctl_conn *conn, int argc OVS_UNUSED,
               const char *argv[] OVS_UNUSED, void *d_)
{
    struct daemon *d = d_;
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "node: %s\ndatapath: %s\nencap-ip: %s\npod-mtu: %d\n"
                  "ovsdb: %s\nnode-setup: %s\ncni-pending: %"PRIuSIZE"\n"
                  "cni-connections: %"PRIuSIZE"\npods-cached: %"PRIuSIZE"\n",
                  d->opts.node_name, d->datapath_type,
                  d->encap_ip ? d->encap_ip : "(Node InternalIP)",
                  d->pod_mtu, ovn_idl_state_to_string(ovn_idl_state(d->ovs)),
                  node_setup_done(d->setup) ? "done" : "pending",
                  cni_ops_n_pending(d->ops), cni_server_n_conns(d->server),
                  k8s_informer_count(d->pods));
    struct node_services_stats st;
    node_services_get_stats(d->services_nft, &st);
    ds_put_format(&s, "nft: %s, %"PRIuSIZE" services, %"PRIuSIZE" map "
                  "elements, %llu transactions (%llu commands, %llu "
                  "refused), %llu resyncs (%llu replaced the table)\n",
                  st.synced ? "synced" : "pending", st.n_services,
                  st.n_elems, st.n_txns, st.n_commands, st.n_errors,
                  st.n_resyncs, st.n_replaces);
    ds_put_format(&s, "gateway-lease: %s\n",
                  gw_lease_held(d->gw_lease) ? "held" : "no");
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
run_all(struct daemon *d)
{
    k8s_client_run(d->client);
    ovn_idl_run(d->ovs);
    k8s_informer_run(d->pods);
    k8s_informer_run(d->node);
    k8s_informer_run(d->subnets);
    k8s_informer_run(d->services);
    k8s_informer_run(d->slices);
    cni_server_run(d->server);
    node_setup_run(d->setup);
    node_services_run(d->services_nft);
    gw_lease_run(d->gw_lease, ovn_idl_state(d->ovs) == OVN_IDL_SYNCED);
    cni_ops_run(d->ops);
}

static void
wait_all(struct daemon *d, struct ovn_txn *txn)
{
    k8s_client_wait(d->client);
    ovn_idl_wait(d->ovs);
    k8s_informer_wait(d->pods);
    k8s_informer_wait(d->node);
    k8s_informer_wait(d->subnets);
    k8s_informer_wait(d->services);
    k8s_informer_wait(d->slices);
    cni_server_wait(d->server);
    node_setup_wait(d->setup);
    node_services_wait(d->services_nft);
    gw_lease_wait(d->gw_lease);
    cni_ops_wait(d->ops);
    if (txn) {
        ovn_txn_wait(txn);
    }
}

static void
destroy_all(struct daemon *d, struct ovn_txn *txn)
{
    ovn_txn_destroy(txn);
    cni_ops_destroy(d->ops);        /* Answers pending calls first. */
    cni_server_destroy(d->server);
    node_setup_destroy(d->setup);
    node_services_destroy(d->services_nft);     /* The table stays. */
    gw_lease_destroy(d->gw_lease);
    k8s_informer_destroy(d->services);
    k8s_informer_destroy(d->slices);
    k8s_informer_destroy(d->pods);
    k8s_informer_destroy(d->node);
    k8s_informer_destroy(d->subnets);
    ovn_idl_destroy(d->ovs);
    k8s_client_destroy(d->client);
    free(d->encap_ip);
    options_destroy(&d->opts);
}

int
main(int argc, char *argv[])
{
    struct daemon d;
    struct unixctl_server *unixctl;
    struct ovn_txn *txn = NULL;
    bool exiting = false;

    memset(&d, 0, sizeof d);
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_INFO);
    parse_options(argc, argv, &d.opts);
    main_catch_signals();
    d.datapath_type = resolve_datapath(d.opts.datapath_type);
    char *cidr_error = cidr_parse_block(d.opts.service_cidr, d.service_cidrs,
                                        &d.n_service_cidrs);
    if (cidr_error) {
        main_bad_option("--service-cidr=%s: %s", d.opts.service_cidr,
                        cidr_error);
    }
    resolve_underlay(&d);

    int error = unixctl_server_create(d.opts.unixctl_path, &unixctl);
    if (error) {
        ovs_fatal(error, "could not create the control socket");
    }
    main_register_exit(&exiting);
    unixctl_command_register("kovn/status", "", 0, 0, unixctl_status, &d);

    connect_all(&d);
    char *install_error = cni_install(d.opts.cni_plugin, d.opts.cni_bin_dir,
                                      d.opts.cni_conf_dir,
                                      d.opts.socket_path);
    if (install_error) {
        ovs_fatal(0, "installing the CNI plugin: %s", install_error);
    }
    VLOG_INFO("kovn-daemon %s on node %s: datapath %s, pod MTU %d, CNI "
              "socket %s", KOVN_VERSION, d.opts.node_name, d.datapath_type,
              d.pod_mtu, d.opts.socket_path);

    while (!exiting && !main_stop_requested()) {
        unixctl_server_run(unixctl);
        run_all(&d);
        run_ovs_txn(&d, &txn);

        unixctl_server_wait(unixctl);
        wait_all(&d, txn);
        main_stop_wait();
        poll_block();
    }
    VLOG_INFO("exiting; pods keep their network");
    destroy_all(&d, txn);
    unixctl_server_destroy(unixctl);
    return EXIT_SUCCESS;
}
