/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_CTL_FIXTURE_H
#define KOVN_CTL_FIXTURE_H 1

/* What every kovn-controller integration test shares: a temporary folder
 * with its own OVN NB (ovn-env.sh), the real kovn-controller binary run
 * against the test's kube-apiserver (with-k8s.sh), and cleanup of both at
 * exit, on failure, and on SIGTERM/SIGINT.
 *
 * One test program has one fixture, so its parts are plain globals, set by
 * ctl_fixture_init() and owned by the fixture. */

#include <stdbool.h>
#include <sys/types.h>
#include "openvswitch/compiler.h"

struct k8s_client;

extern const char *env_script;          /* ovn-env.sh */
extern const char *controller_bin;      /* $KOVN_CONTROLLER */
extern const char *kubeconfig;          /* $KOVN_TEST_KUBECONFIG */
extern char *dir;                       /* This run's temporary folder. */
extern pid_t controller_pid;            /* 0 when not running. */
extern struct k8s_client *client;       /* For the test's own API calls. */

/* Sets the globals from the environment (fatal if unset), makes the
 * temporary folder "/tmp/<prefix>.XXXXXX", starts an NB in it (and
 * ovn-northd if 'northd'), and arranges the cleanup. */
void ctl_fixture_init(const char *program, const char *prefix, bool northd);

/* Starts kovn-controller (its unixctl socket is DIR/controller.ctl). */
void ctl_start_controller(void);

/* Runs ovn-nbctl with 'format' against this run's NB; returns its output
 * (the caller frees it). */
char *ctl_nbctl(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

/* Asks the controller to exit through its control socket and checks that it
 * exits with status 0 (under ASan: without leaks). */
void ctl_check_clean_exit(void);

#endif /* ctl-fixture.h */
