/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_ITEST_H
#define KOVN_ITEST_H 1

/* A small harness for integration tests: checks that count and report
 * instead of aborting, a closing "N passed, M failed" line that CI reads,
 * and helpers to reach the test's real kube-apiserver. */

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"

struct k8s_client;

/* Records one check; prints a line for a failure (and, with -v, for a pass).
 * Returns 'ok'. */
bool itest_check(bool ok, const char *file, int line, const char *format,
                 ...) OVS_PRINTF_FORMAT(4, 5);
#define CHECK(COND, ...) itest_check((COND), __FILE__, __LINE__, __VA_ARGS__)

/* Starts a named test case (for the log). */
void itest_case(const char *name);

/* A test program made of cases that can run alone:
 *
 *     PROGRAM [-v] [--list] [CASE...]
 *
 * runs the named cases, in the order given, or every case in table order
 * if none is named; --list prints the case names, one a line, and runs
 * nothing; -v sets KOVN_TEST_VERBOSE.  Every case sets up what it needs
 * itself: it may rely on the program's one-time set-up, never on what
 * another case left. */
struct itest_case_def {
    const char *name;           /* One word: for the command line, the log. */
    void (*run)(void);
};

struct itest_program {
    const struct itest_case_def *cases;
    size_t n_cases;
    void (*setup)(void);        /* Once, before the first case, or NULL. */
    void (*before_case)(void);  /* Before each case, or NULL. */
    void (*teardown)(void);     /* Once, after the last case, or NULL. */
};

/* Runs 'program' as described above: the whole main of a test program.
 * Returns the process's exit status (itest_finish(), or 2 for a bad
 * command line). */
int itest_main(int argc, char *argv[], const struct itest_program *);

/* The whole main() of a test program: runs the cases of array 'CASES'
 * through 'RUNNER' (itest_main, or a fixture's wrapper of it) with
 * 'SETUP' and 'TEARDOWN' (functions, or NULL). */
#define ITEST_MAIN(RUNNER, CASES, SETUP, TEARDOWN)                      \
    int                                                                 \
    main(int argc, char *argv[])                                        \
    {                                                                   \
        static const struct itest_program program_ = {                  \
            .cases = CASES, .n_cases = ARRAY_SIZE(CASES),               \
            .setup = SETUP, .teardown = TEARDOWN,                       \
        };                                                              \
        return RUNNER(argc, argv, &program_);                           \
    }

/* Prints the closing summary line and returns the process's exit status. */
int itest_finish(void);

/* Aborts the test program with a message: for set-up that cannot go on. */
void itest_fatal(const char *format, ...) OVS_PRINTF_FORMAT(1, 2)
    OVS_NO_RETURN;

/* A client for the kubeconfig named by environment variable 'var'
 * (KOVN_TEST_KUBECONFIG unless NULL); fatal if it is unset or broken. */
struct k8s_client *itest_k8s_client(const char *var);

/* Runs 'run' then 'wait' with poll_block() until 'done' returns true or
 * 'timeout_ms' passes.  Returns 'done''s last answer. */
bool itest_loop(void (*run)(void *aux), void (*wait)(void *aux),
                bool (*done)(void *aux), void *aux, long long int timeout_ms);

/* Runs a shell command, returning its exit status (-1 if it did not run). */
int itest_sh(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

#endif /* itest.h */

#ifndef KOVN_ITEST_K8S_H
#define KOVN_ITEST_K8S_H 1
#include "openvswitch/json.h"
struct k8s_request;
struct k8s_resource;

/* A minimal Pod bound to 'node' (the caller frees it). */
struct json *itest_pod_json(const char *name, const char *node);

/* Sends 'req' through 'client' and waits for it (fatal after 30 s).  The
 * caller destroys the request. */
const struct k8s_response *itest_wait(struct k8s_client *,
                                      struct k8s_request *);

/* Runs 'client' until no request is in flight; fatal after 'timeout_ms'. */
void itest_drain(struct k8s_client *, long long int timeout_ms);

/* Creates namespace 'name' (fine if it exists); fatal on failure. */
void itest_namespace_create(struct k8s_client *, const char *name);

/* Number of objects of 'res' in namespace 'ns' (NULL: all, or
 * cluster-scoped) that list query 'query' ("" for none) returns.  Fatal if
 * the list fails. */
size_t itest_count_objects(struct k8s_client *,
                           const struct k8s_resource *, const char *ns,
                           const char *query);

/* Deletes every object of 'res' in namespace 'ns' (or all of a cluster-scoped
 * resource) with the given label selector ("" for all), and waits until the
 * server lists none.  Fatal on failure. */
void itest_delete_all(struct k8s_client *, const struct k8s_resource *,
                      const char *ns, const char *label_selector);
#endif

#ifndef KOVN_ITEST_CONTROLLER_H
#define KOVN_ITEST_CONTROLLER_H 1
/* Helpers for the 'controller' suite: the real kovn-controller as a child
 * process against an NB ovsdb-server the test starts in its directory. */
#include <stdbool.h>
#include <sys/types.h>
#include "timeval.h"

/* Runs "sh -c CMD", its stdout, less trailing newlines, in '*out' (caller
 * frees).  Returns the exit status (-1 if it did not run or exit). */
int itest_sh_out(char **out, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

/* "ovn-nbctl ARGS" against 'dir'/nb.sock; its output (caller frees), or
 * NULL if it failed. */
char *itest_nbctl(const char *dir, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

/* True if the output of "ovn-nbctl ARGS" is 'want'. */
bool itest_nb_is(const char *dir, const char *want, const char *args);

/* The output of ovn-trace, against DIR/sb.sock once ovn-northd has caught
 * up with DIR/nb.sock, of an ICMP echo entering switch 'ls' through port
 * 'inport' from 'src_mac' 'src_ip' to 'dst_mac' 'dst_ip' (caller frees). */
char *itest_trace_icmp(const char *dir, const char *ls, const char *inport,
                       const char *src_mac, const char *src_ip,
                       const char *dst_mac, const char *dst_ip);

/* The same for any microflow 'flow' (ovn-trace's syntax) entering 'ls',
 * with ovn-trace options 'opts' (e.g. "--lb-dst=10.16.0.5:80", or ""). */
/* True if the packet that ovn-trace output 'out' (NULL: none) follows
 * leaves through port 'port' last. */
bool itest_trace_ends_at(const char *out, const char *port);

char *itest_trace(const char *dir, const char *ls, const char *opts,
                  const char *flow);

/* Starts 'bin' with --ovn-nb-remotes=unix:DIR/nb.sock, --kubeconfig,
 * --unixctl=DIR/controller.ctl, a 5 s lease, 'extra' (one more option, or
 * NULL) and console logs appended to DIR/controller.log; the child dies
 * with the test.  Returns its pid. */
pid_t itest_controller_start(const char *bin, const char *dir,
                             const char *kubeconfig, const char *extra);

/* Waits up to 'timeout_ms' for child '*pidp' to exit; on exit sets '*pidp'
 * to 0 and returns its wait status, else returns -1. */
int itest_controller_reap(pid_t *pidp, long long int timeout_ms);

/* GETs one object; NULL if it is absent (or the request failed). */
struct json *itest_get(struct k8s_client *, const struct k8s_resource *,
                       const char *ns, const char *name);

/* Polls 'COND' every 100 ms until it holds or 'TIMEOUT_MS' passes; the
 * value is COND's last. */
#define ITEST_WAIT_FOR(COND, TIMEOUT_MS)                                \
    ({                                                                  \
        long long int deadline_ = time_msec() + (TIMEOUT_MS);           \
        bool ok_;                                                       \
        while (!(ok_ = (COND)) && time_msec() < deadline_) {            \
            usleep(100000);                                             \
        }                                                               \
        ok_;                                                            \
    })
/* Number of Events in namespace 'ns' about the object named 'name' whose
 * reason is 'reason' and, where nonnull, whose involvedObject.kind is 'kind',
 * type is 'type' and message contains 'part'.  Fatal if the list fails. */
size_t itest_count_events(struct k8s_client *, const char *ns,
                          const char *kind, const char *name,
                          const char *type, const char *reason,
                          const char *part);

#endif
