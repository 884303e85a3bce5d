/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-dns: the cluster DNS records of the Kubernetes DNS specification,
 * kept in a running unbound through its remote control.
 *
 * One process, one thread, the OVS main loop: informers on Services,
 * EndpointSlices and Pods; dns-sync turns their changes into batches of
 * unbound-control local_datas / local_datas_remove.  unbound answers the
 * queries; kovn-dns never does. */

#include <config.h>

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "dns-records.h"
#include "dns-sync.h"
#include "k8s/k8s-client.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "unbound-ctl.h"
#include "unixctl.h"
#include "util.h"
#include "util/main-util.h"

VLOG_DEFINE_THIS_MODULE(main);

struct options {
    char *kubeconfig;
    char *domain;
    int ttl;
    char *upstream;
    char *unbound_control;
    char *unbound_conf;
    int check_s;
    char *unixctl_path;
};

static void OVS_NO_RETURN
usage(void)
{
    printf("%s: the cluster DNS records, kept in unbound\n"
           "usage: %s [OPTIONS]\n"
           "\nKubernetes:\n"
           "  --kubeconfig=FILE       kubeconfig (default: $KUBECONFIG, "
           "in-cluster,\n"
           "                          ~/.kube/config)\n"
           "  --domain=DOMAIN         cluster domain (cluster.local)\n"
           "  --ttl=SECONDS           TTL of every record (5)\n"
           "\nunbound:\n"
           "  --unbound-control=PROG  its control client (unbound-control)\n"
           "  --unbound-conf=FILE     its configuration, which names the\n"
           "                          control interface (unbound-control's "
           "default)\n"
           "  --upstream=ADDR[@PORT][,...]\n"
           "                          forward names outside the domain "
           "there;\n"
           "                          \"none\": refuse them (default: "
           "unbound's own\n"
           "                          configuration decides)\n"
           "  --check-interval=S      ask unbound its pid every S seconds, "
           "to\n"
           "                          resync after a restart (5)\n"
           "\nOther:\n"
           "  --unixctl=SOCKET        control socket (ovs-appctl -t)\n"
           "  -h, --help              this help\n"
           "  -V, --version           version\n",
           program_name, program_name);
    vlog_usage();
    exit(EXIT_SUCCESS);
}

static void
parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_KUBECONFIG = UCHAR_MAX + 1, OPT_DOMAIN, OPT_TTL, OPT_UPSTREAM,
        OPT_UB_CONTROL, OPT_UB_CONF, OPT_CHECK, OPT_UNIXCTL,
        VLOG_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"upstream", required_argument, NULL, OPT_UPSTREAM},
        {"unbound-control", required_argument, NULL, OPT_UB_CONTROL},
        {"unbound-conf", required_argument, NULL, OPT_UB_CONF},
        {"check-interval", required_argument, NULL, OPT_CHECK},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    o->domain = xstrdup("cluster.local");
    o->ttl = 5;
    o->unbound_control = xstrdup("unbound-control");
    o->check_s = 5;
    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_KUBECONFIG: main_set_option(&o->kubeconfig, optarg); break;
        case OPT_DOMAIN: main_set_option(&o->domain, optarg); break;
        case OPT_TTL: main_int_option("ttl", optarg, 0, 86400, &o->ttl);
            break;
        case OPT_UPSTREAM: main_set_option(&o->upstream, optarg); break;
        case OPT_UB_CONTROL:
            main_set_option(&o->unbound_control, optarg);
            break;
        case OPT_UB_CONF: main_set_option(&o->unbound_conf, optarg); break;
        case OPT_CHECK:
            main_int_option("check-interval", optarg, 1, 3600, &o->check_s);
            break;
        case OPT_UNIXCTL: main_set_option(&o->unixctl_path, optarg); break;
        case 'h': usage();
        case 'V':
            printf("kovn-dns %s\n", KOVN_VERSION);
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

    /* "cluster.local." and "Cluster.Local" mean "cluster.local". */
    size_t len = strlen(o->domain);
    if (len && o->domain[len - 1] == '.') {
        o->domain[len - 1] = '\0';
    }
    for (char *p = o->domain; *p; p++) {
        *p = tolower((unsigned char) *p);
    }
    if (!dns_name_ok(o->domain) || strchr(o->domain, '_')) {
        main_bad_option("--domain=%s is not a domain name", o->domain);
    }
    if (o->upstream) {
        for (char *p = o->upstream; *p; p++) {
            if (*p == ',') {
                *p = ' ';
            } else if (!strchr("0123456789abcdefABCDEF.:@ ", *p)
                       && strcmp(o->upstream, "none")) {
                main_bad_option("--upstream=%s: want ADDR[@PORT],... or "
                                "none", o->upstream);
            }
        }
    }
}

static void
options_destroy(struct options *o)
{
    free(o->kubeconfig);
    free(o->domain);
    free(o->upstream);
    free(o->unbound_control);
    free(o->unbound_conf);
    free(o->unixctl_path);
}

static void
unixctl_status(struct unixctl_conn *conn, int argc OVS_UNUSED,
               const char *argv[] OVS_UNUSED, void *s_)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    dns_sync_status(s_, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

int
main(int argc, char *argv[])
{
    struct options o;
    struct unixctl_server *unixctl;
    bool exiting = false;

    memset(&o, 0, sizeof o);
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_INFO);
    parse_options(argc, argv, &o);
    main_catch_signals();

    int error = unixctl_server_create(o.unixctl_path, &unixctl);
    if (error) {
        ovs_fatal(error, "could not create the control socket");
    }
    main_register_exit(&exiting);

    char *msg;
    struct k8s_client *client = k8s_client_connect(o.kubeconfig, &msg);
    if (!client) {
        ovs_fatal(0, "%s", msg);
    }
    struct unbound_ctl *unbound = unbound_ctl_create(o.unbound_control,
                                                     o.unbound_conf);
    struct dns_sync_options sync_opts = {
        .domain = o.domain, .ttl = o.ttl, .upstream = o.upstream,
        .check_ms = o.check_s * 1000,
    };
    struct dns_sync *sync = dns_sync_create(client, unbound, &sync_opts);
    unixctl_command_register("kovn/status", "", 0, 0, unixctl_status, sync);
    VLOG_INFO("kovn-dns %s: domain %s, TTL %d s, unbound through %s%s%s",
              KOVN_VERSION, o.domain, o.ttl, o.unbound_control,
              o.unbound_conf ? " -c " : "",
              o.unbound_conf ? o.unbound_conf : "");

    while (!exiting && !main_stop_requested()) {
        unixctl_server_run(unixctl);
        k8s_client_run(client);
        dns_sync_run(sync);

        unixctl_server_wait(unixctl);
        k8s_client_wait(client);
        dns_sync_wait(sync);
        main_stop_wait();
        poll_block();
    }
    VLOG_INFO("exiting; unbound keeps the records");
    dns_sync_destroy(sync);
    unbound_ctl_destroy(unbound);
    k8s_client_destroy(client);
    unixctl_server_destroy(unixctl);
    options_destroy(&o);
    return EXIT_SUCCESS;
}
