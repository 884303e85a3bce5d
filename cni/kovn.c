/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn: the CNI plugin binary a container runtime runs (from /opt/cni/bin).
 *
 * It reads its network configuration on stdin and its arguments from the
 * CNI_* environment, answers VERSION by itself and forwards ADD, DEL and
 * CHECK to kovn-daemon on this node (lib/cni/cni-rpc.h describes the
 * protocol).  On success ADD prints the result in the configuration's
 * cniVersion; DEL and CHECK print nothing.  On failure it prints the spec's
 * error object on stdout and exits with status 1.
 *
 * DEL while kovn-daemon cannot be reached fails with code 11 ("try again
 * later") rather than succeeding: the pod's OVS port, veth and IP
 * reservation are owned by the daemon, so a DEL that claims success without
 * it could leave them behind for good (the runtime would forget the
 * container).  Failing makes the runtime retry DEL, which the daemon treats
 * idempotently once it is back.
 *
 * In a chain kovn is normally first; if it is given a prevResult it appends
 * its interfaces, addresses and routes to it and prints the whole. */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni-rpc.h"
#include "cni/cni-spec.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

/* Reads all of stdin into 's'. */
static int
read_stdin(struct ds *s)
{
    char buf[4096];

    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) {
            ds_put_buffer(s, buf, n);
        } else if (!n) {
            return 0;
        } else if (errno != EINTR) {
            return errno;
        }
    }
}

static void
print_json(struct json *j)
{
    char *s = json_to_string(j, JSSF_PRETTY | JSSF_SORT);
    fputs(s, stdout);
    putchar('\n');
    fflush(stdout);
    free(s);
    json_destroy(j);
}

/* Prints 'e' and frees it; returns the exit status. */
static int
fail(struct cni_error *e, const char *version)
{
    print_json(cni_error_to_json(e, version));
    cni_error_destroy(e);
    return 1;
}

/* ADD's answer: the daemon's result, merged into the prevResult if any. */
static struct cni_error *
print_add_result(const struct cni_netconf *nc, const struct json *reply)
{
    struct cni_result daemon, out;
    struct cni_error *e = cni_result_from_json(reply, &daemon);

    if (e) {
        struct cni_error *e2 = cni_error_create(
            CNI_ERR_DECODE, NULL, "kovn-daemon sent a result kovn cannot "
            "use: %s", e->msg);
        cni_error_destroy(e);
        return e2;
    }
    cni_result_init(&out);
    if (nc->prev) {
        cni_result_merge(&out, nc->prev);
    }
    cni_result_merge(&out, &daemon);
    print_json(cni_result_to_json(&out, nc->cni_version));
    cni_result_destroy(&out);
    cni_result_destroy(&daemon);
    return NULL;
}

static int
run(const char *text, size_t length)
{
    struct cni_args args;
    struct cni_netconf nc;
    struct cni_error *e;
    char *buf;
    int status = 0;

    e = cni_args_from_env(&args);
    if (e) {
        const char *version = cni_guess_version(text, length, &buf);
        status = fail(e, version);
        free(buf);
        return status;
    }

    if (args.command == CNI_CMD_VERSION) {
        /* stdin is {"cniVersion": ...}, or may be empty. */
        print_json(cni_version_info_to_json(cni_guess_version(text, length,
                                                              &buf)));
        free(buf);
        cni_args_destroy(&args);
        return 0;
    }

    e = cni_netconf_parse(text, length, &nc);
    if (e) {
        const char *version = cni_guess_version(text, length, &buf);
        status = fail(e, version);
        free(buf);
        cni_args_destroy(&args);
        return status;
    }

    if (args.command == CNI_CMD_CHECK && !cni_version_has_check(
            nc.cni_version)) {
        e = cni_error_create(CNI_ERR_INCOMPATIBLE_VERSION, NULL,
                             "CHECK needs cniVersion 0.4.0 or later; the "
                             "network configuration has %s",
                             nc.cni_version);
    } else {
        struct json *params = cni_rpc_request_to_json(&args, &nc);
        struct json *reply = NULL;

        e = cni_rpc_call(nc.server_socket, cni_rpc_method(args.command),
                         params, nc.request_timeout * 1000LL, &reply);
        if (!e && args.command == CNI_CMD_ADD) {
            e = print_add_result(&nc, reply);
        }
        json_destroy(reply);
        json_destroy(params);
    }
    if (e) {
        status = fail(e, nc.cni_version);
    }
    cni_netconf_destroy(&nc);
    cni_args_destroy(&args);
    return status;
}

int
main(int argc, char *argv[])
{
    struct ds input = DS_EMPTY_INITIALIZER;
    int error, status;

    set_program_name(argv[0]);
    /* stdout belongs to the runtime: OVS's library must not log there or to
     * stderr; failures are reported in the error JSON. */
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_OFF);
    signal(SIGPIPE, SIG_IGN);

    if (argc > 1 && (!strcmp(argv[1], "--version")
                     || !strcmp(argv[1], "-V"))) {
        printf("kovn CNI plugin %s (CNI 1.0.0, 0.4.0, 0.3.1, 0.3.0)\n",
               KOVN_VERSION);
        return 0;
    }

    error = read_stdin(&input);
    if (error) {
        struct cni_error *e = cni_error_create(
            CNI_ERR_IO, NULL, "cannot read the network configuration from "
            "stdin: %s", ovs_strerror(error));
        ds_destroy(&input);
        return fail(e, NULL);
    }
    status = run(input.string ? input.string : "", input.length);
    ds_destroy(&input);
    return status;
}
