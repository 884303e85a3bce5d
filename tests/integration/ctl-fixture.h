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

struct itest_program;
struct json;
struct k8s_client;
struct k8s_resource;

extern const char *env_script;          /* ovn-env.sh */
extern const char *controller_bin;      /* $KOVN_CONTROLLER */
extern const char *kubeconfig;          /* $KOVN_TEST_KUBECONFIG */
extern char *dir;                       /* This run's temporary folder. */
extern pid_t controller_pid;            /* 0 when not running. */
extern struct k8s_client *client;       /* For the test's own API calls. */
extern const char *controller_extra;    /* One more controller option. */

/* Sets the globals from the environment (fatal if unset), makes the
 * temporary folder "/tmp/<prefix>.XXXXXX", starts an NB in it (and
 * ovn-northd if 'northd'), and arranges the cleanup.  For a program's
 * 'setup'. */
void ctl_fixture_init(const char *prefix, bool northd);

/* itest_main() for a controller test program (see itest.h): the program's
 * 'setup' calls ctl_fixture_init(); before each case kovn-controller is
 * started if it is not running (a case such as "clean-exit" stops it; one
 * that died unexpectedly counts as a failure) and waited for with
 * ctl_sync(); after the last case the controller log is shown with -v, the
 * controller is stopped and then the program's own 'teardown' runs.
 * 'program''s 'before_case' must be NULL. */
int ctl_main(int argc, char *argv[], const struct itest_program *);

/* Starts kovn-controller (its unixctl socket is DIR/controller.ctl), with
 * 'controller_extra' if nonnull, and waits until the socket exists (fatal
 * after 30 s or if the controller exits). */
void ctl_start_controller(void);

/* The sync barrier (controller/sync.h): waits until the running controller
 * is idle -- start-up done, nothing ready to reconcile, no NB transaction or
 * API write in flight.  Delayed work (a Subnet's status a second after an
 * allocation, retries with backoff) is not waited for.  Fatal if the
 * controller does not answer "idle" within 60 s.
 *
 * The other forms first wait until the controller's informer cache 'cache'
 * ("pods", "subnets", "namespaces", "nodes", "ips", "statefulsets") no
 * longer holds 'key' ("ns/name", or "name" if cluster-scoped), holds it at
 * all, or holds it at resourceVersion 'rv' or later: so that a test knows
 * the controller has seen its change before it checks that nothing
 * happened.  ("gone" is true at once of a key the controller never saw: ask
 * for it only once the controller has seen the object.) */
void ctl_sync(void);
void ctl_sync_gone(const char *cache, const char *key);
void ctl_sync_has(const char *cache, const char *key);
void ctl_sync_rv(const char *cache, const char *key, const char *rv);

/* Runs ovn-nbctl with 'format' against this run's NB; returns its output
 * (the caller frees it). */
char *ctl_nbctl(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

/* API objects.  Failures that leave the test without its set-up are
 * fatal. */

/* Creates the object of 'res' in 'ns' (NULL if cluster-scoped) that JSON
 * 'text' describes. */
void ctl_create(const struct k8s_resource *, const char *ns,
                const char *text);

/* A pod bound to node "n1" (no kubelet runs: it stays Pending, which is all
 * the controller looks at), with annotations from 'anns_json' ("{}" for
 * none) and 'extra_meta' (e.g. ",\"ownerReferences\":[...]") or "".  The
 * caller frees it. */
struct json *ctl_pod_json(const char *name, const char *anns_json,
                          const char *extra_meta);
void ctl_create_pod(const char *ns, const char *name, const char *anns_json,
                    const char *extra_meta);

/* The URL that deletes pod 'ns'/'name' at once (caller frees), and a
 * blocking deletion through it (fine if the pod is gone). */
char *ctl_pod_delete_url(const char *ns, const char *name);
void ctl_delete_pod(const char *ns, const char *name);

/* Pod 'ns'/'name''s annotation 'key' (caller frees), or NULL. */
char *ctl_pod_ann(const char *ns, const char *name, const char *key);
bool ctl_pod_allocated(const char *ns, const char *name);
bool ctl_pod_absent(const char *ns, const char *name);

/* True if Subnet 'name' does not exist (or the request failed). */
bool ctl_subnet_absent(const char *name);

/* Deletes Subnet 'name' (if it exists) without waiting for a controller,
 * and waits until it is gone: for what an earlier run left, when no
 * controller runs to remove kovn's finalizer.  Fatal on failure. */
void ctl_subnet_purge(const char *name);

/* Deletes the Events in namespace 'ns' about objects of kind 'kind' (NULL:
 * all), so that counts of Events start from 0.  Fatal on failure. */
void ctl_delete_events(const char *ns, const char *kind);

/* The MAC of logical router port 'lrp' (caller frees), or NULL. */
char *ctl_lrp_mac(const char *lrp);

/* Asks the controller to exit through its control socket and checks that it
 * exits with status 0 (under ASan: without leaks). */
void ctl_check_clean_exit(void);

#endif /* ctl-fixture.h */
