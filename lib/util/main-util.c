/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "util/main-util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fatal-signal.h"
#include "openvswitch/poll-loop.h"
#include "socket-util.h"
#include "unixctl.h"
#include "util.h"

static volatile sig_atomic_t got_signal;
static int signal_fds[2] = { -1, -1 };

void
main_set_option(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

void
main_bad_option(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program_name);
    vfprintf(stderr, format, args);
    fprintf(stderr, " (use --help for help)\n");
    va_end(args);
    exit(EXIT_FAILURE);
}

void
main_int_option(const char *name, const char *value, int min, int max,
                int *n)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!*value || *end || errno || v < min || v > max) {
        main_bad_option("--%s=%s: want a whole number from %d to %d", name,
                        value, min, max);
    }
    *n = v;
}

static void
on_signal(int sig OVS_UNUSED)
{
    got_signal = 1;
    ignore(write(signal_fds[1], "", 1));
}

void
main_catch_signals(void)
{
    fatal_signal_init();
    xpipe_nonblocking(signal_fds);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

bool
main_stop_requested(void)
{
    return got_signal;
}

void
main_stop_wait(void)
{
    if (got_signal) {
        poll_immediate_wake();
    } else {
        poll_fd_wait(signal_fds[0], POLLIN);
    }
}

static void
unixctl_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
             const char *argv[] OVS_UNUSED, void *exiting_)
{
    bool *exiting = exiting_;
    *exiting = true;
    unixctl_command_reply(conn, NULL);
}

void
main_register_exit(bool *exiting)
{
    unixctl_command_register("exit", "", 0, 0, unixctl_exit, exiting);
}
