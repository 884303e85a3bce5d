/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "k8s/k8s-client.h"
#include "k8s/k8s-config.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

static int n_passed, n_failed;
static const char *current_case = "";

bool
itest_check(bool ok, const char *file, int line, const char *format, ...)
{
    if (ok) {
        n_passed++;
        return true;
    }

    va_list args;
    va_start(args, format);
    fprintf(stderr, "FAIL %s (%s:%d): ", current_case, file, line);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    n_failed++;
    return false;
}

void
itest_case(const char *name)
{
    current_case = name;
    printf("== %s\n", name);
    fflush(stdout);
}

static const struct itest_case_def *
find_case(const struct itest_program *p, const char *name)
{
    for (size_t i = 0; i < p->n_cases; i++) {
        if (!strcmp(p->cases[i].name, name)) {
            return &p->cases[i];
        }
    }
    return NULL;
}

static void
usage(const char *program, const struct itest_program *p, FILE *stream)
{
    fprintf(stream, "usage: %s [-v] [--list] [CASE...]\n"
            "Runs the named cases in the order given, or all of them in "
            "this order:\n", program);
    for (size_t i = 0; i < p->n_cases; i++) {
        fprintf(stream, "  %s\n", p->cases[i].name);
    }
}

int
itest_main(int argc, char *argv[], const struct itest_program *p)
{
    const struct itest_case_def **run = xmalloc((argc + p->n_cases)
                                                * sizeof *run);
    size_t n_run = 0;
    bool list = false;

    set_program_name(argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
            setenv("KOVN_TEST_VERBOSE", "1", 1);
        } else if (!strcmp(arg, "--list")) {
            list = true;
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(argv[0], p, stdout);
            free(run);
            return EXIT_SUCCESS;
        } else if (arg[0] != '-' && find_case(p, arg)) {
            run[n_run++] = find_case(p, arg);
        } else {
            fprintf(stderr, "%s: unknown %s \"%s\"\n", argv[0],
                    arg[0] == '-' ? "option" : "case", arg);
            usage(argv[0], p, stderr);
            free(run);
            return 2;
        }
    }
    if (list) {
        for (size_t i = 0; i < p->n_cases; i++) {
            printf("%s\n", p->cases[i].name);
        }
        free(run);
        return EXIT_SUCCESS;
    }
    if (!n_run) {
        for (size_t i = 0; i < p->n_cases; i++) {
            run[n_run++] = &p->cases[i];
        }
    }

    if (p->setup) {
        p->setup();
    }
    for (size_t i = 0; i < n_run; i++) {
        if (p->before_case) {
            current_case = run[i]->name;
            p->before_case();
        }
        itest_case(run[i]->name);
        run[i]->run();
    }
    current_case = "";
    if (p->teardown) {
        p->teardown();
    }
    free(run);
    return itest_finish();
}

int
itest_finish(void)
{
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed || !n_passed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void
itest_fatal(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "FATAL %s: ", current_case);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    printf("%d passed, %d failed\n", n_passed, n_failed + 1);
    exit(EXIT_FAILURE);
}

struct k8s_client *
itest_k8s_client(const char *var)
{
    var = var ? var : "KOVN_TEST_KUBECONFIG";
    const char *path = getenv(var);
    if (!path) {
        itest_fatal("%s is not set: run this test through "
                    "tests/integration/with-k8s.sh", var);
    }

    struct k8s_config *config;
    char *error = k8s_config_from_file(path, &config);
    if (error) {
        itest_fatal("%s", error);
    }
    struct k8s_client *client = k8s_client_create(config, &error);
    k8s_config_destroy(config);
    if (!client) {
        itest_fatal("%s", error);
    }
    return client;
}

bool
itest_loop(void (*run)(void *aux), void (*wait)(void *aux),
           bool (*done)(void *aux), void *aux, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;

    for (;;) {
        run(aux);
        if (done(aux)) {
            return true;
        }
        if (time_msec() >= deadline) {
            return false;
        }
        wait(aux);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

int
itest_sh(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *command = xvasprintf(format, args);
    va_end(args);

    int status = system(command);
    free(command);
    return status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Kubernetes helpers. */

#include "k8s/k8s-resource.h"
#include "util/json-util.h"

struct json *
itest_pod_json(const char *name, const char *node)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"itest\"}},"
        "\"spec\":{\"nodeName\":\"%s\",\"automountServiceAccountToken\":false,"
        "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
        name, node);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

const struct k8s_response *
itest_wait(struct k8s_client *client, struct k8s_request *req)
{
    if (!k8s_client_block(client, req, 30000)) {
        itest_fatal("request timed out");
    }
    return k8s_request_response(req);
}

void
itest_drain(struct k8s_client *client, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;
    for (;;) {
        k8s_client_run(client);
        if (!k8s_client_n_active(client)) {
            return;
        }
        if (time_msec() >= deadline) {
            itest_fatal("%zu requests still in flight after %lld ms",
                        k8s_client_n_active(client), timeout_ms);
        }
        k8s_client_wait(client);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

void
itest_namespace_create(struct k8s_client *client, const char *name)
{
    struct json *ns = json_object_create();
    json_object_put_string(ns, "apiVersion", "v1");
    json_object_put_string(ns, "kind", "Namespace");
    json_put_path(ns, "metadata.name", json_string_create(name));

    struct k8s_request *req = k8s_create(client, &k8s_namespaces, NULL, ns,
                                         NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r) && r->status != 409) {
        itest_fatal("creating namespace %s: %s", name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(ns);
}

size_t
itest_count_objects(struct k8s_client *client,
                    const struct k8s_resource *res, const char *ns,
                    const char *query)
{
    struct k8s_request *req = k8s_list(client, res, ns, query, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("listing %s: %s", res->plural, r->error);
    }
    const struct json *items = json_get_member(r->body, "items");
    size_t n = items && items->type == JSON_ARRAY ? items->array.n : 0;
    k8s_request_destroy(req);
    return n;
}

void
itest_delete_all(struct k8s_client *client, const struct k8s_resource *res,
                 const char *ns, const char *label_selector)
{
    char *path = k8s_resource_path(res, ns, NULL, NULL);
    char *escaped = k8s_query_escape(label_selector);
    char *query = xasprintf("labelSelector=%s", escaped);
    char *url = xasprintf("%s?%s&gracePeriodSeconds=0", path, query);

    struct k8s_request *req = k8s_client_request(client, K8S_DELETE, url,
                                                 NULL, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("deleting %s: %s", res->plural, r->error);
    }
    k8s_request_destroy(req);

    long long int deadline = time_msec() + 60000;
    while (itest_count_objects(client, res, ns, query)) {
        if (time_msec() > deadline) {
            itest_fatal("%s were not deleted within 60 s", res->plural);
        }
        poll_timer_wait(100);
        poll_block();
    }
    free(url);
    free(query);
    free(escaped);
    free(path);
}

/* Controller suite helpers. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "openvswitch/dynamic-string.h"

static int
sh_out_valist(char **out, const char *format, va_list args)
{
    struct ds cmd = DS_EMPTY_INITIALIZER;
    ds_put_format_valist(&cmd, format, args);

    FILE *stream = popen(ds_cstr(&cmd), "r");
    struct ds output = DS_EMPTY_INITIALIZER;
    if (stream) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stream)) > 0) {
            ds_put_buffer(&output, buf, n);
        }
    }
    int status = stream ? pclose(stream) : -1;
    ds_chomp(&output, '\n');
    *out = ds_steal_cstr(&output);
    ds_destroy(&cmd);
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
itest_sh_out(char **out, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int status = sh_out_valist(out, format, args);
    va_end(args);
    return status;
}

char *
itest_nbctl(const char *dir, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *cmd = xvasprintf(format, args);
    va_end(args);
    char *out;
    int status = itest_sh_out(&out, "ovn-nbctl --timeout=10 "
                              "--db=unix:%s/nb.sock %s 2>/dev/null",
                              dir, cmd);
    free(cmd);
    if (status) {
        free(out);
        return NULL;
    }
    return out;
}

bool
itest_nb_is(const char *dir, const char *want, const char *args)
{
    char *out = itest_nbctl(dir, "%s", args);
    bool ok = out && !strcmp(out, want);
    free(out);
    return ok;
}

char *
itest_trace_icmp(const char *dir, const char *ls, const char *inport,
                 const char *src_mac, const char *src_ip,
                 const char *dst_mac, const char *dst_ip)
{
    char *flow = xasprintf("inport == \"%s\" && eth.src == %s && "
                           "eth.dst == %s && ip4.src == %s && "
                           "ip4.dst == %s && ip.ttl == 64 && "
                           "icmp4.type == 8", inport, src_mac, dst_mac,
                           src_ip, dst_ip);
    char *out = itest_trace(dir, ls, "", flow);
    free(flow);
    return out;
}

char *
itest_trace(const char *dir, const char *ls, const char *opts,
            const char *flow)
{
    char *out;
    itest_sh_out(&out, "ovn-nbctl --db=unix:%s/nb.sock --timeout=10 "
                 "--wait=sb sync && ovn-trace --db=unix:%s/sb.sock %s %s "
                 "'%s' 2>&1", dir, dir, opts, ls, flow);
    return out;
}

pid_t
itest_controller_start(const char *bin, const char *dir,
                       const char *kubeconfig, const char *extra)
{
    char *log = xasprintf("%s/controller.log", dir);
    pid_t pid = fork();
    if (pid < 0) {
        itest_fatal("fork: %s", strerror(errno));
    } else if (!pid) {
        /* Never outlive the test, even when it is SIGKILLed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        char *nb = xasprintf("--ovn-nb-remotes=unix:%s/nb.sock", dir);
        char *kc = xasprintf("--kubeconfig=%s", kubeconfig);
        char *ctl = xasprintf("--unixctl=%s/controller.ctl", dir);
        execl(bin, bin, nb, kc, ctl, "--identity=itest-controller",
              "--lease-duration=5", "-vconsole:info", extra, (char *) NULL);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    free(log);
    return pid;
}

int
itest_controller_reap(pid_t *pidp, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;
    int status = -1;
    while (*pidp > 0) {
        pid_t r = waitpid(*pidp, &status, WNOHANG);
        if (r == *pidp) {
            *pidp = 0;
            return status;
        }
        if (time_msec() > deadline) {
            return -1;
        }
        usleep(50000);
    }
    return status;
}

struct json *
itest_get(struct k8s_client *client, const struct k8s_resource *res,
          const char *ns, const char *name)
{
    struct k8s_request *req = k8s_get(client, res, ns, name, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    struct json *obj = k8s_response_ok(r) ? k8s_request_steal_body(req)
                                          : NULL;
    k8s_request_destroy(req);
    return obj;
}

static bool
string_is(const struct json *obj, const char *path, const char *want)
{
    const char *have = json_get_string(obj, path);
    return !want || (have && !strcmp(have, want));
}

size_t
itest_count_events(struct k8s_client *c, const char *ns, const char *kind,
                   const char *name, const char *type, const char *reason,
                   const char *part)
{
    char *q = xasprintf("fieldSelector=involvedObject.name%%3D%s", name);
    struct k8s_request *req = k8s_list(c, &k8s_events, ns, q, NULL, NULL);
    const struct k8s_response *r = itest_wait(c, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("listing events about %s: %s", name, r->error);
    }

    size_t n = 0;
    const struct json *items = json_get_member(r->body, "items");
    for (size_t i = 0; items && items->type == JSON_ARRAY
                       && i < items->array.n; i++) {
        const struct json *e = items->array.elems[i];
        const char *msg = json_get_string(e, "message");
        if (string_is(e, "reason", reason)
            && string_is(e, "involvedObject.kind", kind)
            && string_is(e, "type", type)
            && (!part || (msg && strstr(msg, part)))) {
            n++;
        }
    }
    k8s_request_destroy(req);
    free(q);
    return n;
}

/* True if the packet that ovn-trace output 'out' follows leaves through
 * port 'port' last. */
bool
itest_trace_ends_at(const char *out, const char *port)
{
    static const char output[] = "output to \"";
    const char *last = NULL;
    for (const char *p = out ? strstr(out, output) : NULL; p;
         p = strstr(p + 1, output)) {
        last = p;
    }
    char *want = xasprintf("%s%s\"", output, port);
    bool ok = last && !strncmp(last, want, strlen(want));
    free(want);
    return ok;
}
