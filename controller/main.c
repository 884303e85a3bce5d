/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller: turns Kubernetes objects into OVN logical networks.
 *
 * This file reads the options and runs the OVS main loop: every part has a
 * run() that does what it can without blocking and a wait() that tells
 * poll_block() what to wake for.  What the controller is made of (kinds,
 * informers, their dependencies) is in registry.h, how it runs them in
 * controller.h: adding a kind does not touch this file. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command-line.h"
#include "controller.h"
#include "ipam/cidr.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "unixctl.h"
#include "util.h"
#include "util/main-util.h"

VLOG_DEFINE_THIS_MODULE(main);

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
           "  --service-cidr=CIDR[,CIDR] Service ClusterIP range(s), as "
           "kube-apiserver's\n"
           "                             --service-cluster-ip-range "
           "(10.96.0.0/12)\n"
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
        OPT_SERVICE_CIDR,
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
        {"service-cidr", required_argument, NULL, OPT_SERVICE_CIDR},
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

    controller_options_init(o);

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
        case OPT_SERVICE_CIDR:
            main_set_option(&o->service_cidr, optarg);
            break;
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
check_networks(const struct controller_options *o)
{
    struct ip_cidr join, cidrs[2];
    struct ip_addr gw;
    size_t n;
    char *error;

    if ((error = cidr_parse(o->join_cidr, &join, NULL))) {
        main_bad_option("--join-cidr=%s: %s", o->join_cidr, error);
    }
    if ((error = cidr_parse_block(o->service_cidr, cidrs, &n))) {
        main_bad_option("--service-cidr=%s: %s", o->service_cidr, error);
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

int
main(int argc, char *argv[])
{
    struct controller_options opts;
    struct unixctl_server *unixctl;
    bool exiting = false;
    int status = EXIT_SUCCESS;

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_INFO);
    parse_options(argc, argv, &opts);
    check_networks(&opts);
    main_catch_signals();

    int error = unixctl_server_create(opts.unixctl_path, &unixctl);
    if (error) {
        ovs_fatal(error, "could not create the control socket");
    }
    main_register_exit(&exiting);

    struct controller *c = controller_create(&opts, true, unixctl);
    VLOG_INFO("kovn-controller %s starting as %s; NB %s", KOVN_VERSION,
              c->opts.identity, c->opts.nb_remotes);

    while (!exiting && !main_stop_requested()) {
        unixctl_server_run(unixctl);
        if (!controller_run(c)) {
            status = EXIT_FAILURE;
            break;
        }
        unixctl_server_wait(unixctl);
        controller_wait(c);
        main_stop_wait();
        poll_block();
    }
    VLOG_INFO("exiting");

    controller_destroy(c);
    unixctl_server_destroy(unixctl);
    return status;
}
