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
#include <unistd.h>

#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-resource.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

const char *env_script;
const char *controller_bin;
const char *kubeconfig;
char *dir;
pid_t controller_pid;
struct k8s_client *client;
const char *controller_extra;

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
ctl_fixture_init(const char *prefix, bool northd)
{
    const char *test_dir = getenv("KOVN_TEST_DIR");
    controller_bin = getenv("KOVN_CONTROLLER");
    kubeconfig = getenv("KOVN_TEST_KUBECONFIG");
    if (!test_dir || !controller_bin || !kubeconfig) {
        itest_fatal("KOVN_TEST_DIR, KOVN_CONTROLLER and KOVN_TEST_KUBECONFIG "
                    "must be set: run through with-k8s.sh and meson test");
    }
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

static int exit_status = -1;

static bool
ctl_socket_ready(const char *path)
{
    return !access(path, F_OK)
           || (exit_status = itest_controller_reap(&controller_pid, 0)) >= 0;
}

void
ctl_start_controller(void)
{
    /* A killed controller leaves its socket behind. */
    char *ctl = xasprintf("%s/controller.ctl", dir);
    unlink(ctl);
    controller_pid = itest_controller_start(controller_bin, dir, kubeconfig,
                                            controller_extra);
    exit_status = -1;
    if (!ITEST_WAIT_FOR(ctl_socket_ready(ctl), 30000) || !controller_pid) {
        itest_sh("tail -n 30 %s/controller.log >&2", dir);
        itest_fatal("kovn-controller did not create %s (wait status %d)",
                    ctl, exit_status);
    }
    free(ctl);
}

/* ---- the program's main ---- */

static const struct itest_program *ctl_program;

static void
ctl_before_case(void)
{
    if (controller_pid > 0) {
        int status = itest_controller_reap(&controller_pid, 0);
        if (!controller_pid) {
            itest_sh("tail -n 40 %s/controller.log >&2", dir);
            itest_check(false, __FILE__, __LINE__, "kovn-controller died "
                        "during the previous case (wait status %d): "
                        "starting it again", status);
        }
    }
    if (!controller_pid) {
        ctl_start_controller();
    }
    ctl_sync();
}

static void
ctl_teardown(void)
{
    if (getenv("KOVN_TEST_VERBOSE")) {
        itest_sh("cat %s/controller.log >&2", dir);
    }
    if (controller_pid > 0) {
        kill(controller_pid, SIGKILL);
        itest_controller_reap(&controller_pid, 5000);
    }
    if (ctl_program->teardown) {
        ctl_program->teardown();
    }
    k8s_client_destroy(client);
    client = NULL;
}

int
ctl_main(int argc, char *argv[], const struct itest_program *program)
{
    ovs_assert(!program->before_case);
    ctl_program = program;
    struct itest_program p = *program;
    p.before_case = ctl_before_case;
    p.teardown = ctl_teardown;
    return itest_main(argc, argv, &p);
}

/* ---- the sync barrier ---- */

static void
sync_args(const char *args)
{
    if (controller_pid <= 0) {
        itest_fatal("kovn/sync %s: kovn-controller is not running", args);
    }
    char *out;
    int rc = itest_sh_out(&out, "ovs-appctl --timeout=60 -t "
                          "%s/controller.ctl kovn/sync %s 2>&1", dir, args);
    if (rc || strcmp(out, "idle")) {
        itest_sh("tail -n 30 %s/controller.log >&2", dir);
        itest_fatal("kovn/sync %s: exit status %d: %s", args, rc, out);
    }
    free(out);
}

void
ctl_sync(void)
{
    sync_args("");
}

static void
sync_key(const char *cache, const char *key, const char *want)
{
    char *args = xasprintf("'%s' '%s' %s", cache, key, want ? want : "");
    sync_args(args);
    free(args);
}

void
ctl_sync_gone(const char *cache, const char *key)
{
    sync_key(cache, key, "gone");
}

void
ctl_sync_has(const char *cache, const char *key)
{
    sync_key(cache, key, NULL);
}

void
ctl_sync_rv(const char *cache, const char *key, const char *rv)
{
    sync_key(cache, key, rv);
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

/* ---- API ---- */

void
ctl_create(const struct k8s_resource *res, const char *ns, const char *text)
{
    struct json *obj = json_from_string(text);
    struct k8s_request *req = k8s_create(client, res, ns, obj, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating %s: %s", text, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(obj);
}

struct json *
ctl_pod_json(const char *name, const char *anns_json,
             const char *extra_meta)
{
    char *text = xasprintf(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"ctltest\"},"
        "\"annotations\":%s%s},"
        "\"spec\":{\"nodeName\":\"n1\",\"automountServiceAccountToken\":"
        "false,\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
        name, anns_json, extra_meta);
    struct json *pod = json_from_string(text);
    free(text);
    return pod;
}

void
ctl_create_pod(const char *ns, const char *name, const char *anns_json,
               const char *extra_meta)
{
    struct json *pod = ctl_pod_json(name, anns_json, extra_meta);
    struct k8s_request *req = k8s_create(client, &k8s_pods, ns, pod,
                                         NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("creating pod %s/%s: %s", ns, name, r->error);
    }
    k8s_request_destroy(req);
    json_destroy(pod);
}

char *
ctl_pod_delete_url(const char *ns, const char *name)
{
    char *path = k8s_resource_path(&k8s_pods, ns, name, NULL);
    char *url = xasprintf("%s?gracePeriodSeconds=0", path);
    free(path);
    return url;
}

void
ctl_delete_pod(const char *ns, const char *name)
{
    char *url = ctl_pod_delete_url(ns, name);
    struct k8s_request *req = k8s_client_request(client, K8S_DELETE, url,
                                                 NULL, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r) && r->status != 404) {
        itest_fatal("deleting pod %s/%s: %s", ns, name, r->error);
    }
    k8s_request_destroy(req);
    free(url);
}

char *
ctl_pod_ann(const char *ns, const char *name, const char *key)
{
    struct json *obj = itest_get(client, &k8s_pods, ns, name);
    const char *v = obj ? k8s_obj_annotation(obj, key) : NULL;
    char *copy = v ? xstrdup(v) : NULL;
    json_destroy(obj);
    return copy;
}

bool
ctl_pod_allocated(const char *ns, const char *name)
{
    char *v = ctl_pod_ann(ns, name, "ovn.kubernetes.io/allocated");
    bool ok = v && !strcmp(v, "true");
    free(v);
    return ok;
}

bool
ctl_pod_absent(const char *ns, const char *name)
{
    struct json *obj = itest_get(client, &k8s_pods, ns, name);
    json_destroy(obj);
    return !obj;
}

bool
ctl_subnet_absent(const char *name)
{
    struct json *obj = itest_get(client, &kubeovn_subnets, NULL, name);
    json_destroy(obj);
    return !obj;
}

void
ctl_subnet_purge(const char *name)
{
    struct json *patch = json_from_string("{\"metadata\":"
                                          "{\"finalizers\":null}}");
    struct k8s_request *req = k8s_merge_patch(client, &kubeovn_subnets,
                                              NULL, name, NULL, patch,
                                              NULL, NULL);
    itest_wait(client, req);
    k8s_request_destroy(req);
    json_destroy(patch);

    req = k8s_delete(client, &kubeovn_subnets, NULL, name, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r) && r->status != 404) {
        itest_fatal("deleting Subnet %s: %s", name, r->error);
    }
    k8s_request_destroy(req);

    /* A running controller may have put its finalizer back in between; it
     * removes it again once it sees the deletion. */
    if (!ITEST_WAIT_FOR(ctl_subnet_absent(name), 30000)) {
        itest_fatal("Subnet %s was not deleted within 30 s", name);
    }
}

void
ctl_delete_events(const char *ns, const char *kind)
{
    char *path = k8s_resource_path(&k8s_events, ns, NULL, NULL);
    char *query = kind ? xasprintf("fieldSelector=involvedObject.kind%%3D%s",
                                   kind)
                       : xstrdup("");
    char *url = xasprintf("%s?%s", path, query);
    struct k8s_request *req = k8s_client_request(client, K8S_DELETE, url,
                                                 NULL, NULL, NULL);
    const struct k8s_response *r = itest_wait(client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("deleting Events in %s: %s", ns, r->error);
    }
    k8s_request_destroy(req);
    if (itest_count_objects(client, &k8s_events, ns, query)) {
        itest_fatal("Events in %s left after their deletion", ns);
    }
    free(url);
    free(query);
    free(path);
}

char *
ctl_lrp_mac(const char *lrp)
{
    char *mac = ctl_nbctl("get logical_router_port %s mac", lrp);
    if (mac) {
        char *m = xstrdup(mac[0] == '"' ? mac + 1 : mac);
        m[strcspn(m, "\"")] = '\0';
        free(mac);
        mac = m;
    }
    return mac;
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
