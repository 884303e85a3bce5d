/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller at scale: N pods over 100 Node objects.
 *
 *   bench-controller KUBECONFIG KOVN_CONTROLLER OVN_ENV_SH [N]
 *                                                     (default N: 10000)
 *
 * Starts its own NB ovsdb-server (OVN_ENV_SH start-nb in a temporary
 * folder) and the kovn-controller binary against it and the apiserver of
 * KUBECONFIG (run it through tests/integration/with-k8s.sh: it fills the
 * cluster with 100 Nodes and N pods and leaves them to the throw-away
 * apiserver).  Then prints, without asserting any time:
 *   - the time from the first pod create until every pod carries
 *     ovn.kubernetes.io/allocated=true (a pod informer in this process) and
 *     until NB holds N pod ports (an NB IDL replica in this process, counting
 *     Logical_Switch_Ports with external_ids:vendor=kovn that are not node
 *     ports), and the rates;
 *   - the controller's peak RSS (VmHWM), RSS at rest and CPU time;
 *   - restart-to-ready: SIGKILL the controller with the N pods existing,
 *     start it again (same identity, so it takes its Lease back at once),
 *     create one new pod; "ready" is when that pod has its annotations.
 *     Also when the controller logs "IPAM rebuilt".  KOVN_BENCH_RESTARTS
 *     times (default 3), and the median.
 *   - correctness: all N addresses unique, NB port count equal to N.
 * The controller's Lease duration is KOVN_BENCH_LEASE_DURATION seconds
 * (default 15, the controller's own default).  Every process and the
 * temporary folder are removed on exit, also on failure or SIGINT/SIGTERM;
 * KOVN_BENCH_LOG=FILE keeps a copy of the controller's log, and
 * KOVN_BENCH_VLOG=SPEC passes it -vSPEC (e.g. "k8s_informer:console:dbg",
 * for when each list starts and ends). */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-config.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define MAX_IN_FLIGHT 256
#define N_NODES 100
#define NS "bench-ctl"
#define ANN "ovn.kubernetes.io/"

static const char *controller_bin, *kubeconfig, *env_sh;
static char *dir;
static pid_t controller_pid;

/* ---- processes and clean-up ---- */

static void
cleanup(void)
{
    if (controller_pid > 0) {
        kill(controller_pid, SIGKILL);
        waitpid(controller_pid, NULL, 0);
        controller_pid = 0;
    }
    const char *keep = getenv("KOVN_BENCH_LOG");
    if (dir && keep) {
        char *cmd = xasprintf("cp '%s/controller.log' '%s'", dir, keep);
        if (system(cmd)) {
            fprintf(stderr, "could not copy the log to %s\n", keep);
        }
        free(cmd);
    }
    if (dir) {
        char *cmd = xasprintf("'%s' stop-all '%s' >/dev/null 2>&1; "
                              "rm -rf '%s'", env_sh, dir, dir);
        if (system(cmd)) {
            fprintf(stderr, "could not clean up %s\n", dir);
        }
        free(cmd);
        free(dir);
        dir = NULL;
    }
}

static void
on_signal(int sig OVS_UNUSED)
{
    exit(EXIT_FAILURE);             /* Runs cleanup() through atexit(). */
}

static void OVS_PRINTF_FORMAT(1, 2) OVS_NO_RETURN
fatal(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "bench-controller: ");
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    if (dir) {
        char *cmd = xasprintf("tail -n 20 '%s/controller.log' >&2", dir);
        if (system(cmd)) {
            /* Nothing more to show. */
        }
        free(cmd);
    }
    exit(EXIT_FAILURE);
}

static void
start_controller(void)
{
    char *log = xasprintf("%s/controller.log", dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fatal("fork: %s", strerror(errno));
    } else if (!pid) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        char *nb = xasprintf("--ovn-nb-remotes=unix:%s/nb.sock", dir);
        char *kc = xasprintf("--kubeconfig=%s", kubeconfig);
        char *ctl = xasprintf("--unixctl=%s/controller.ctl", dir);
        const char *lease = getenv("KOVN_BENCH_LEASE_DURATION");
        char *ld = xasprintf("--lease-duration=%s", lease ? lease : "15");
        /* Milliseconds in the log, to tell where a restart's time goes;
         * KOVN_BENCH_VLOG adds a -v option, e.g. "k8s_informer:dbg". */
        const char *extra = getenv("KOVN_BENCH_VLOG");
        char *xv = xasprintf("-v%s", extra ? extra : "console:info");
        execl(controller_bin, controller_bin, nb, kc, ctl,
              "--identity=bench-controller", ld, "-vconsole:info",
              "-vPATTERN:console:%D{%H:%M:%S.###}|%05N|%c|%p|%m", xv,
              (char *) NULL);
        fprintf(stderr, "exec %s: %s\n", controller_bin, strerror(errno));
        _exit(127);
    }
    free(log);
    controller_pid = pid;
}

static void
check_controller_alive(void)
{
    int status;
    if (controller_pid > 0
        && waitpid(controller_pid, &status, WNOHANG) == controller_pid) {
        controller_pid = 0;
        fatal("kovn-controller exited (status %d)", status);
    }
}

/* Field 'name' ("VmHWM:", "VmRSS:") of /proc/PID/status in KiB, or -1. */
static long
proc_status_kib(pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long) pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, name, strlen(name))) {
            kib = atol(line + strlen(name));
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

/* User + system CPU seconds of 'pid'. */
static double
proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long) pid);
    FILE *f = fopen(path, "r");
    char buf[1024];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    /* After ')': state(3) ... utime is field 14, stime 15. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                     "%llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (double) (ut + st) / sysconf(_SC_CLK_TCK);
}

/* True if the controller's log, from byte 'from' on, contains 'what'. */
static bool
log_has(const char *what, long from)
{
    char *path = xasprintf("%s/controller.log", dir);
    FILE *f = fopen(path, "r");
    free(path);
    bool found = false;
    if (f && !fseek(f, from, SEEK_SET)) {
        char line[1024];
        while (!found && fgets(line, sizeof line, f)) {
            found = strstr(line, what) != NULL;
        }
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static long
log_size(void)
{
    char *path = xasprintf("%s/controller.log", dir);
    FILE *f = fopen(path, "r");
    free(path);
    long size = 0;
    if (f && !fseek(f, 0, SEEK_END)) {
        size = ftell(f);
    }
    if (f) {
        fclose(f);
    }
    return size;
}

/* ---- the watchers: a pod informer and an NB replica ---- */

struct state {
    struct k8s_client *client;
    struct k8s_informer *pods;
    struct ovn_idl *nb;

    /* Pods of NS with allocated=true, by key. */
    struct sset allocated;

    /* NB pod ports, recounted whenever the replica changes. */
    unsigned int nb_seqno;
    size_t nb_ports;

    /* Creates. */
    int next, n;
    int n_ok, n_failed;
};

static bool
pod_is_allocated(const struct json *pod)
{
    const char *v = k8s_obj_annotation(pod, ANN "allocated");
    return v && !strcmp(v, "true");
}

static char *
pod_key(const struct json *pod)
{
    return xasprintf("%s/%s", json_get_string(pod, "metadata.namespace"),
                     json_get_string(pod, "metadata.name"));
}

static void
on_pod(const struct json *pod, void *st_)
{
    struct state *st = st_;
    if (pod_is_allocated(pod)) {
        char *key = pod_key(pod);
        sset_add(&st->allocated, key);
        free(key);
    }
}

static void
on_pod_update(const struct json *old OVS_UNUSED, const struct json *new,
              void *st)
{
    on_pod(new, st);
}

static void
on_pod_delete(const struct json *pod, void *st_)
{
    struct state *st = st_;
    char *key = pod_key(pod);
    sset_find_and_delete(&st->allocated, key);
    free(key);
}

static const struct k8s_informer_handlers pod_handlers = {
    on_pod, on_pod_update, on_pod_delete,
};

static void
count_nb_ports(struct state *st)
{
    unsigned int seqno = ovn_idl_seqno(st->nb);
    if (seqno == st->nb_seqno) {
        return;
    }
    st->nb_seqno = seqno;
    size_t n = 0;
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, st->nb->idl) {
        const char *vendor = smap_get(&lsp->external_ids, "vendor");
        /* Pod ports are "<pod>.<namespace>"; node ports "node-<name>". */
        if (vendor && !strcmp(vendor, "kovn")
            && strstr(lsp->name, "." NS)) {
            n++;
        }
    }
    st->nb_ports = n;
}

static void
created(struct k8s_request *req OVS_UNUSED, const struct k8s_response *r,
        void *st_)
{
    struct state *st = st_;
    if (k8s_response_ok(r)) {
        st->n_ok++;
    } else if (st->n_failed++ < 5) {
        fprintf(stderr, "create failed: %s\n", r->error);
    }
}

static struct json *
bench_pod(const char *name, int i)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
        "\"name\":\"%s\",\"labels\":{\"app\":\"bench\"}},"
        "\"spec\":{\"nodeName\":\"bench-node-%d\","
        "\"automountServiceAccountToken\":false,"
        "\"containers\":[{\"name\":\"app\",\"image\":\"busybox:1.36\"}]}}",
        name, i % N_NODES);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

/* One pass of everything; then waits (at most 'timeout_ms'). */
static void
step(struct state *st, long long int timeout_ms)
{
    k8s_client_run(st->client);
    k8s_informer_run(st->pods);
    ovn_idl_run(st->nb);
    count_nb_ports(st);
    while (st->next < st->n
           && k8s_client_n_active(st->client) < MAX_IN_FLIGHT) {
        char name[64];
        snprintf(name, sizeof name, "bench-%d", st->next);
        struct json *pod = bench_pod(name, st->next++);
        k8s_create(st->client, &k8s_pods, NS, pod, created, st);
        json_destroy(pod);
    }
    check_controller_alive();
    k8s_client_wait(st->client);
    k8s_informer_wait(st->pods);
    ovn_idl_wait(st->nb);
    poll_timer_wait(timeout_ms);
    poll_block();
}

static void
create_blocking(struct k8s_client *client, const struct k8s_resource *res,
                const char *ns, const char *text)
{
    struct json *obj = json_from_string(text);
    struct k8s_request *req = k8s_create(client, res, ns, obj, NULL, NULL);
    if (!k8s_client_block(client, req, 30000)) {
        fatal("creating %s: timed out", text);
    }
    const struct k8s_response *r = k8s_request_response(req);
    if (!k8s_response_ok(r) && r->status != 409) {
        fatal("creating %s: %s", text, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(obj);
}

/* Unique ip_address annotations among the allocated pods of NS. */
static size_t
unique_addresses(struct state *st, size_t *n_with)
{
    struct sset ips = SSET_INITIALIZER(&ips);
    *n_with = 0;
    const struct k8s_object *o;
    K8S_INFORMER_FOR_EACH (o, st->pods) {
        const struct json *pod = o->obj;
        const char *ip = k8s_obj_annotation(pod, ANN "ip_address");
        if (ip && pod_is_allocated(pod)) {
            (*n_with)++;
            sset_add(&ips, ip);
        }
    }
    size_t n = sset_count(&ips);
    sset_destroy(&ips);
    return n;
}

/* Restart number 'i': SIGKILLs the controller with the 'n' pods existing,
 * starts it again and creates a new pod.  Prints and returns the time until
 * that pod is annotated. */
static long long int
restart(struct state *st, int i, int n, long long int limit_ms)
{
    kill(controller_pid, SIGKILL);
    waitpid(controller_pid, NULL, 0);
    controller_pid = 0;
    long log_from = log_size();
    long long int start = time_msec();
    start_controller();
    char name[64], key[128];
    snprintf(name, sizeof name, "bench-probe-%d", i);
    snprintf(key, sizeof key, NS "/%s", name);
    struct json *probe = bench_pod(name, i);
    struct k8s_request *req = k8s_create(st->client, &k8s_pods, NS, probe,
                                         NULL, NULL);
    json_destroy(probe);
    long long int rebuilt_ms = -1, ready_ms = -1;
    while (rebuilt_ms < 0 || ready_ms < 0) {
        step(st, 20);
        long long int now = time_msec();
        if (rebuilt_ms < 0 && log_has("IPAM rebuilt", log_from)) {
            rebuilt_ms = now - start;
        }
        if (ready_ms < 0 && sset_contains(&st->allocated, key)) {
            ready_ms = now - start;
        }
        if (now - start > limit_ms) {
            fatal("not ready within %lld s after restart", limit_ms / 1000);
        }
    }
    const struct k8s_response *r = k8s_request_response(req);
    if (!r || !k8s_response_ok(r)) {
        fatal("creating the probe pod failed");
    }
    k8s_request_destroy(req);
    printf("restart %d with %d existing pods (SIGKILL, start again): IPAM "
           "rebuild logged after %lld ms; ready (a new pod annotated) after "
           "%lld ms; peak RSS (VmHWM) %ld KiB, CPU %.1f s until ready\n",
           i + 1, n + i, rebuilt_ms, ready_ms,
           proc_status_kib(controller_pid, "VmHWM:"),
           proc_cpu_s(controller_pid));
    return ready_ms;
}

static int
compare_ll(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

int
main(int argc, char *argv[])
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s KUBECONFIG KOVN_CONTROLLER OVN_ENV_SH "
                "[N]\n", argv[0]);
        return 2;
    }
    kubeconfig = argv[1];
    controller_bin = argv[2];
    env_sh = argv[3];
    int n = argc > 4 ? atoi(argv[4]) : 10000;
    long long int limit_ms = 30 * 60 * 1000;    /* Per phase. */

    setvbuf(stdout, NULL, _IOLBF, 0);   /* Figures show as they come. */
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);

    char tmpl[] = "/tmp/kovn-bench-ctl.XXXXXX";
    if (!mkdtemp(tmpl)) {
        fatal("mkdtemp: %s", strerror(errno));
    }
    dir = xstrdup(tmpl);
    char *cmd = xasprintf("'%s' start-nb '%s'", env_sh, dir);
    if (system(cmd)) {
        fatal("%s failed", cmd);
    }
    free(cmd);

    struct k8s_config *config;
    char *error = k8s_config_from_file(kubeconfig, &config);
    if (error) {
        fatal("%s", error);
    }
    struct state st = { .allocated = SSET_INITIALIZER(&st.allocated) };
    st.client = k8s_client_create(config, &error);
    k8s_config_destroy(config);
    if (!st.client) {
        fatal("%s", error);
    }

    /* The API objects: a namespace, 100 Nodes. */
    create_blocking(st.client, &k8s_namespaces, NULL,
                    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                    "\"metadata\":{\"name\":\"" NS "\"}}");
    for (int i = 0; i < N_NODES; i++) {
        char *text = xasprintf(
            "{\"apiVersion\":\"v1\",\"kind\":\"Node\","
            "\"metadata\":{\"name\":\"bench-node-%d\"},"
            "\"status\":{\"addresses\":["
            "{\"type\":\"InternalIP\",\"address\":\"192.0.2.%d\"},"
            "{\"type\":\"Hostname\",\"address\":\"bench-node-%d\"}]}}",
            i, i + 1, i);
        create_blocking(st.client, &k8s_nodes, NULL, text);
        free(text);
    }

    /* The watchers. */
    struct k8s_informer_options io = { .namespace = NS };
    st.pods = k8s_informer_create(st.client, &k8s_pods, &io, &pod_handlers,
                                  &st);
    char *remote = xasprintf("unix:%s/nb.sock", dir);
    error = ovn_idl_create(&nbrec_idl_class, remote, false, &st.nb);
    if (error) {
        fatal("%s", error);
    }
    free(remote);
    ovsdb_idl_add_table(st.nb->idl, &nbrec_table_logical_switch_port);
    ovsdb_idl_add_column(st.nb->idl,
                         &nbrec_logical_switch_port_col_name);
    ovsdb_idl_add_column(st.nb->idl,
                         &nbrec_logical_switch_port_col_external_ids);

    /* The controller, ready when it has made the default subnet's switch
     * and the 100 node ports (the join network). */
    long long int t0 = time_msec();
    start_controller();
    printf("controller pid %ld, folder %s\n", (long) controller_pid, dir);
    fflush(stdout);
    while (!(k8s_informer_has_synced(st.pods)
             && ovn_idl_state(st.nb) == OVN_IDL_SYNCED
             && log_has("leads: reconciling", 0)
             && log_has("IPAM rebuilt", 0))) {
        if (time_msec() - t0 > 60000) {
            fatal("controller not up within 60 s");
        }
        step(&st, 100);
    }
    printf("controller up (leads, IPAM rebuilt, empty cluster) in %lld ms; "
           "RSS %ld KiB\n", time_msec() - t0,
           proc_status_kib(controller_pid, "VmRSS:"));

    /* Phase 1: N pods. */
    double cpu0 = proc_cpu_s(controller_pid);
    st.n = n;
    long long int start = time_msec();
    long long int created_ms = -1, annotated_ms = -1, nb_ms = -1;
    long long int last_print = start;
    while (created_ms < 0 || annotated_ms < 0 || nb_ms < 0) {
        step(&st, 200);
        long long int now = time_msec();
        if (created_ms < 0 && st.n_ok + st.n_failed >= n) {
            created_ms = now - start;
        }
        if (annotated_ms < 0 && sset_count(&st.allocated) >= (size_t) n) {
            annotated_ms = now - start;
        }
        if (nb_ms < 0 && st.nb_ports >= (size_t) n) {
            nb_ms = now - start;
        }
        if (now - last_print >= 10000) {
            last_print = now;
            fprintf(stderr, "  %5.1f s: created %d, annotated %zu, "
                    "NB ports %zu, controller RSS %ld KiB\n",
                    (now - start) / 1000.0, st.n_ok,
                    sset_count(&st.allocated), st.nb_ports,
                    proc_status_kib(controller_pid, "VmRSS:"));
        }
        if (now - start > limit_ms) {
            fatal("not done within %lld s: created %d, annotated %zu, NB "
                  "ports %zu", limit_ms / 1000, st.n_ok,
                  sset_count(&st.allocated), st.nb_ports);
        }
        if (st.n_failed) {
            fatal("%d pod creates failed", st.n_failed);
        }
    }
    double cpu1 = proc_cpu_s(controller_pid);
    long hwm = proc_status_kib(controller_pid, "VmHWM:");
    printf("created %d pods over %d nodes in %lld ms = %.0f creates/s "
           "(pipelined, %d in flight)\n", st.n_ok, N_NODES, created_ms,
           st.n_ok * 1000.0 / MAX(created_ms, 1), MAX_IN_FLIGHT);
    printf("all %d pods annotated allocated=true %lld ms after the first "
           "create = %.0f pods/s\n", n, annotated_ms,
           n * 1000.0 / MAX(annotated_ms, 1));
    printf("NB holds %zu pod ports %lld ms after the first create = %.0f "
           "pods/s\n", st.nb_ports, nb_ms, n * 1000.0 / MAX(nb_ms, 1));
    printf("controller CPU during the phase: %.1f s\n", cpu1 - cpu0);

    size_t n_with;
    size_t n_unique = unique_addresses(&st, &n_with);
    printf("addresses: %zu unique among %zu annotated pods (%s); NB pod "
           "ports %zu (%s)\n", n_unique, n_with,
           n_unique == (size_t) n && n_with == (size_t) n ? "OK" : "WRONG",
           st.nb_ports, st.nb_ports == (size_t) n ? "OK" : "WRONG");
    bool ok = n_unique == (size_t) n && st.nb_ports == (size_t) n;

    /* At rest: let queued API writes and the informers settle. */
    long long int rest_until = time_msec() + 10000;
    double cpu_rest0 = proc_cpu_s(controller_pid);
    while (time_msec() < rest_until) {
        step(&st, rest_until - time_msec());
    }
    printf("controller memory with %d pods: peak RSS (VmHWM) %ld KiB, RSS "
           "at rest %ld KiB\n", n, hwm,
           proc_status_kib(controller_pid, "VmRSS:"));
    printf("controller CPU in the 10 s after all pods were annotated: "
           "%.1f s\n", proc_cpu_s(controller_pid) - cpu_rest0);
    fflush(stdout);

    /* Phase 2: restart-to-ready, as many times as asked. */
    const char *restarts_env = getenv("KOVN_BENCH_RESTARTS");
    int n_restarts = MAX(restarts_env ? atoi(restarts_env) : 3, 1);
    long long int *ready = xcalloc(n_restarts, sizeof *ready);
    for (int i = 0; i < n_restarts; i++) {
        ready[i] = restart(&st, i, n, limit_ms);
    }
    qsort(ready, n_restarts, sizeof *ready, compare_ll);
    printf("restart: ready after %lld ms (median of %d)\n",
           ready[n_restarts / 2], n_restarts);
    free(ready);
    n_unique = unique_addresses(&st, &n_with);
    printf("addresses after the restarts: %zu unique among %zu annotated "
           "pods (%s)\n", n_unique, n_with,
           n_unique == n_with && n_with == (size_t) (n + n_restarts)
           ? "OK" : "WRONG");
    ok = ok && n_unique == n_with && n_with == (size_t) (n + n_restarts);

    k8s_informer_destroy(st.pods);
    ovn_idl_destroy(st.nb);
    sset_destroy(&st.allocated);
    k8s_client_destroy(st.client);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
