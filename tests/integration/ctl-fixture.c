/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ctl-fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "itest.h"
#include "util.h"

const char *env_script;
const char *controller_bin;
const char *kubeconfig;
char *dir;
pid_t controller_pid;
struct k8s_client *client;

static void
cleanup(void)
{
    if (controller_pid > 0) {
        kill(controller_pid, SIGKILL);
        waitpid(controller_pid, NULL, 0);
        controller_pid = 0;
    }
    if (dir) {
        itest_sh("%s stop-all %s >/dev/null 2>&1", env_script, dir);
        if (getenv("KOVN_TEST_KEEP")) {
            fprintf(stderr, "kept %s\n", dir);
        } else {
            itest_sh("rm -rf %s", dir);
        }
        free(dir);
        dir = NULL;
    }
}

static void
on_term(int sig OVS_UNUSED)
{
    exit(EXIT_FAILURE);             /* Runs cleanup() via atexit. */
}

void
ctl_fixture_init(const char *program, const char *prefix, bool northd)
{
    const char *test_dir = getenv("KOVN_TEST_DIR");
    controller_bin = getenv("KOVN_CONTROLLER");
    kubeconfig = getenv("KOVN_TEST_KUBECONFIG");
    if (!test_dir || !controller_bin || !kubeconfig) {
        itest_fatal("KOVN_TEST_DIR, KOVN_CONTROLLER and KOVN_TEST_KUBECONFIG "
                    "must be set: run through with-k8s.sh and meson test");
    }
    set_program_name(program);
    env_script = xasprintf("%s/ovn-env.sh", test_dir);
    client = itest_k8s_client(NULL);

    char *tmpl = xasprintf("/tmp/%s.XXXXXX", prefix);
    if (!mkdtemp(tmpl)) {
        itest_fatal("mkdtemp: %s", strerror(errno));
    }
    dir = tmpl;
    atexit(cleanup);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (itest_sh("%s start-nb %s", env_script, dir)
        || (northd && itest_sh("%s start-northd %s", env_script, dir))) {
        itest_fatal("could not start the NB%s", northd ? " and ovn-northd"
                                                       : "");
    }
}

void
ctl_start_controller(void)
{
    controller_pid = itest_controller_start(controller_bin, dir, kubeconfig);
}

char *
ctl_nbctl(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *cmd = xvasprintf(format, args);
    va_end(args);
    char *out = itest_nbctl(dir, "%s", cmd);
    free(cmd);
    return out;
}

void
ctl_check_clean_exit(void)
{
    char *out;
    int rc = itest_sh_out(&out, "ovs-appctl -t %s/controller.ctl exit", dir);
    CHECK(!rc, "ovs-appctl exit: %s", out);
    free(out);
    int status = itest_controller_reap(&controller_pid, 15000);
    CHECK(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status),
          "controller exited with status 0 (no leaks), wait status %d",
          status);
}
