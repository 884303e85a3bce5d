/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Integration test: the real `kovn` CNI plugin binary (KOVN_CNI_PLUGIN), run
 * the way a container runtime runs it (configuration on stdin, CNI_* in the
 * environment), against no daemon and against a small JSON-RPC server on a
 * unix socket in a temporary directory that stands in for kovn-daemon. */

#include <config.h>
#include "itest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni/cni-rpc.h"
#include "cni/cni-spec.h"
#include "jsonrpc.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

static const char *plugin;
static char tmpdir[] = "/tmp/kovn-cni-test-XXXXXX";

/* ---- The stand-in daemon ---- */

enum server_mode {
    SERVE,          /* Answer: ADD with a result, DEL and CHECK with {}. */
    HANG,           /* Read the request, never answer. */
    CLOSE,          /* Read the request, close without answering. */
};

static struct jsonrpc_msg *
answer(const struct jsonrpc_msg *req)
{
    struct cni_rpc_request r;
    struct cni_error *e = cni_rpc_request_from_json(req->method, req->params,
                                                    &r);
    struct jsonrpc_msg *reply;

    if (e) {
        reply = cni_rpc_error_reply(req, e);
        cni_error_destroy(e);
        return reply;
    }
    if (!r.args.pod_name || !strcmp(r.args.pod_name, "unknown")) {
        e = cni_error_create(CNI_ERR_UNKNOWN_CONTAINER, "from the test server",
                             "pod %s/%s is not known to kovn",
                             r.args.pod_namespace ? r.args.pod_namespace : "",
                             r.args.pod_name ? r.args.pod_name : "");
        reply = cni_rpc_error_reply(req, e);
        cni_error_destroy(e);
    } else if (r.args.command == CNI_CMD_ADD) {
        /* Echo the arguments back so that the test sees they arrived. */
        struct cni_result res;
        cni_result_init(&res);
        size_t i = cni_result_add_interface(&res, r.args.ifname,
                                            "0a:58:0a:10:00:05",
                                            r.args.netns);
        cni_result_add_ip(&res, "10.16.0.5/16", "10.16.0.1", i);
        cni_result_add_ip(&res, "fd00:10:16::5/64", "fd00:10:16::1", i);
        cni_result_add_route(&res, "0.0.0.0/0", "10.16.0.1");
        svec_add(&res.dns.nameservers, "10.96.0.10");
        reply = cni_rpc_result_reply(req, &res);
        cni_result_destroy(&res);
    } else {
        reply = cni_rpc_result_reply(req, NULL);
    }
    cni_rpc_request_destroy(&r);
    return reply;
}

static void
serve(struct jsonrpc *rpc, enum server_mode mode)
{
    struct jsonrpc_msg *req, *msg;

    if (jsonrpc_recv_block(rpc, &req)) {
        jsonrpc_close(rpc);
        return;
    }
    if (mode == HANG) {
        for (;;) {
            pause();
        }
    }
    if (mode == SERVE) {
        jsonrpc_send_block(rpc, answer(req));
        /* Wait for the plugin to hang up. */
        while (!jsonrpc_recv_block(rpc, &msg)) {
            jsonrpc_msg_destroy(msg);
        }
    }
    jsonrpc_msg_destroy(req);
    jsonrpc_close(rpc);
}

/* Starts a server process on 'path'; returns once it listens. */
static pid_t
server_start(const char *path, enum server_mode mode)
{
    int ready[2];
    char c;

    xpipe(ready);
    pid_t pid = fork();
    if (pid < 0) {
        itest_fatal("fork: %s", ovs_strerror(errno));
    } else if (!pid) {
        struct pstream *ps;
        char *name = xasprintf("punix:%s", path);

        close(ready[0]);
        if (pstream_open(name, &ps, DSCP_DEFAULT)) {
            _exit(2);
        }
        free(name);
        ignore(write(ready[1], "x", 1));
        close(ready[1]);
        for (;;) {
            struct stream *s;
            if (pstream_accept_block(ps, &s)) {
                _exit(3);
            }
            serve(jsonrpc_open(s), mode);
        }
    }
    close(ready[1]);
    if (read(ready[0], &c, 1) != 1) {
        itest_fatal("test server on %s did not start", path);
    }
    close(ready[0]);
    return pid;
}

static void
server_stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- Running the plugin ---- */

struct run {
    int status;                 /* Exit status, -1 if killed. */
    struct ds out;              /* stdout. */
    struct ds err;              /* stderr. */
    struct json *json;          /* stdout parsed, or NULL. */
    long long int msec;         /* How long it took. */
};

static void
run_destroy(struct run *r)
{
    ds_destroy(&r->out);
    ds_destroy(&r->err);
    json_destroy(r->json);
}

static void
read_all(int fd, struct ds *s)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n > 0) {
            ds_put_buffer(s, buf, n);
        } else if (errno != EINTR) {
            break;
        }
    }
}

/* Runs the plugin with 'command' and 'config' on stdin.  'cni_args' may be
 * NULL (unset); 'netns' too. */
static void
run_plugin(struct run *r, const char *command, const char *config,
           const char *netns, const char *cni_args)
{
    int in[2], out[2];
    char *err_path = xasprintf("%s/stderr", tmpdir);

    memset(r, 0, sizeof *r);
    ds_init(&r->out);
    ds_init(&r->err);
    xpipe(in);
    xpipe(out);

    long long int start = time_msec();
    pid_t pid = fork();
    if (pid < 0) {
        itest_fatal("fork: %s", ovs_strerror(errno));
    } else if (!pid) {
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err);

        setenv("CNI_COMMAND", command, 1);
        setenv("CNI_CONTAINERID", "3f2a9b7c1d", 1);
        setenv("CNI_IFNAME", "eth0", 1);
        setenv("CNI_PATH", "/opt/cni/bin", 1);
        if (netns) {
            setenv("CNI_NETNS", netns, 1);
        } else {
            unsetenv("CNI_NETNS");
        }
        if (cni_args) {
            setenv("CNI_ARGS", cni_args, 1);
        } else {
            unsetenv("CNI_ARGS");
        }
        execl(plugin, "kovn", (char *) NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    ignore(write(in[1], config, strlen(config)));
    close(in[1]);
    read_all(out[0], &r->out);
    close(out[0]);

    int status;
    waitpid(pid, &status, 0);
    r->msec = time_msec() - start;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

    int fd = open(err_path, O_RDONLY);
    if (fd >= 0) {
        read_all(fd, &r->err);
        close(fd);
    }
    unlink(err_path);
    free(err_path);

    if (r->out.length) {
        char *error;
        r->json = cni_json_parse(r->out.string, r->out.length, &error);
        free(error);
    }
    if (r->err.length) {
        printf("plugin stderr:\n%s\n", ds_cstr(&r->err));
    }
}

static const char *pod_args =
    "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
    "K8S_POD_INFRA_CONTAINER_ID=3f2a9b7c1d";

static char *
config(const char *version, const char *socket, const char *extra)
{
    return xasprintf("{\"cniVersion\":\"%s\",\"name\":\"kovn\","
                     "\"type\":\"kovn\",\"server_socket\":\"%s\"%s%s}",
                     version, socket, extra ? "," : "", extra ? extra : "");
}

/* Checks that 'r' failed with the spec's error object and 'code'. */
static void
check_error(const struct run *r, const char *version, int code,
            const char *in_msg)
{
    int64_t got = -1;
    const char *msg = r->json ? json_get_string(r->json, "msg") : NULL;

    CHECK(r->status == 1, "exit status %d, expected 1", r->status);
    CHECK(r->json != NULL, "stdout is JSON: %s", ds_cstr_ro(&r->out));
    if (!r->json) {
        return;
    }
    CHECK(json_get_int(r->json, "code", &got) && got == code,
          "error code %"PRId64", expected %d: %s", got, code,
          ds_cstr_ro(&r->out));
    CHECK(msg && strstr(msg, in_msg), "message \"%s\" contains \"%s\"",
          msg ? msg : "(none)", in_msg);
    const char *v = json_get_string(r->json, "cniVersion");
    CHECK(v && !strcmp(v, version), "error cniVersion %s, expected %s",
          v ? v : "(none)", version);
    CHECK(!r->err.length, "nothing on stderr");
}

/* Checks a successful ADD's output for 'version'. */
static void
check_add_result(const struct run *r, const char *version, size_t n_ifaces)
{
    struct cni_result res;

    CHECK(r->status == 0, "ADD %s exits 0 (got %d): %s", version, r->status,
          ds_cstr_ro(&r->out));
    CHECK(!r->err.length, "nothing on stderr");
    if (!r->json) {
        CHECK(false, "ADD %s printed JSON", version);
        return;
    }
    const char *v = json_get_string(r->json, "cniVersion");
    CHECK(v && !strcmp(v, version), "result cniVersion %s", v ? v : "-");

    struct cni_error *e = cni_result_from_json(r->json, &res);
    CHECK(!e, "result decodes: %s", e ? e->msg : "ok");
    cni_error_destroy(e);
    if (e) {
        return;
    }
    CHECK(res.n_interfaces == n_ifaces, "%"PRIuSIZE" interfaces",
          res.n_interfaces);
    const struct cni_interface *pod = &res.interfaces[n_ifaces - 1];
    CHECK(!strcmp(pod->name, "eth0"), "interface name from CNI_IFNAME");
    CHECK(pod->sandbox && !strcmp(pod->sandbox, "/var/run/netns/test"),
          "sandbox from CNI_NETNS");
    CHECK(res.n_ips >= 2, "two addresses");
    const struct cni_ip *ip = &res.ips[res.n_ips - 2];
    CHECK(!strcmp(ip->address, "10.16.0.5/16")
          && ip->gateway && !strcmp(ip->gateway, "10.16.0.1")
          && ip->interface == (int) n_ifaces - 1,
          "IPv4 address, gateway and interface index");
    CHECK(res.n_routes >= 1, "default route");
    CHECK(json_get_member(r->json, "dns") != NULL, "\"dns\" present");

    const struct json *ips = json_get_member(r->json, "ips");
    bool has_version = cni_version_has_ip_version(version);
    for (size_t i = 0; ips && i < json_array(ips)->n; i++) {
        const char *iv = json_get_string(json_array(ips)->elems[i],
                                         "version");
        CHECK(has_version ? iv != NULL : iv == NULL,
              "ips[%"PRIuSIZE"] %s \"version\" for %s", i,
              has_version ? "has" : "has no", version);
    }
    cni_result_destroy(&res);
}

/* ---- Cases ---- */

static void
test_no_daemon(void)
{
    itest_case("no daemon: ADD and DEL fail with code 11");
    char *sock = xasprintf("%s/absent.sock", tmpdir);
    char *conf = config("1.0.0", sock, NULL);
    struct run r;

    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    char *want = xasprintf("cannot reach kovn-daemon at %s: No such file or "
                           "directory; is kovn-daemon running on this node?",
                           sock);
    check_error(&r, "1.0.0", CNI_ERR_TRY_AGAIN, want);
    CHECK(r.msec < 5000, "fails at once (%lld ms)", r.msec);
    run_destroy(&r);

    /* DEL: try again later, so that the runtime retries (see cni/kovn.c). */
    run_plugin(&r, "DEL", conf, NULL, pod_args);
    check_error(&r, "1.0.0", CNI_ERR_TRY_AGAIN, want);
    run_destroy(&r);

    /* Nothing else happened: the directory is still empty. */
    CHECK(itest_sh("test -z \"$(ls -A %s)\"", tmpdir) == 0,
          "the plugin created nothing");

    /* A socket file nobody listens on. */
    free(conf);
    free(want);
    itest_sh("python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); "
             "s.bind(\"%s\")'", sock);
    conf = config("0.4.0", sock, NULL);
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_error(&r, "0.4.0", CNI_ERR_TRY_AGAIN, "Connection refused");
    run_destroy(&r);
    unlink(sock);
    free(conf);
    free(sock);
}

static void
test_with_server(void)
{
    char *sock = xasprintf("%s/cni.sock", tmpdir);
    pid_t pid = server_start(sock, SERVE);
    struct run r;
    char *conf;

    itest_case("ADD 1.0.0");
    conf = config("1.0.0", sock, "\"mtu\":1400");
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_add_result(&r, "1.0.0", 1);
    run_destroy(&r);

    itest_case("CHECK and DEL 1.0.0");
    run_plugin(&r, "CHECK", conf, "/var/run/netns/test", pod_args);
    CHECK(r.status == 0 && !r.out.length, "CHECK: exit %d, output \"%s\"",
          r.status, ds_cstr(&r.out));
    run_destroy(&r);
    run_plugin(&r, "DEL", conf, "/var/run/netns/test", pod_args);
    CHECK(r.status == 0 && !r.out.length, "DEL: exit %d, output \"%s\"",
          r.status, ds_cstr(&r.out));
    run_destroy(&r);
    run_plugin(&r, "DEL", conf, NULL, pod_args);
    CHECK(r.status == 0 && !r.out.length, "DEL without CNI_NETNS: exit %d",
          r.status);
    run_destroy(&r);
    free(conf);

    itest_case("ADD 0.4.0, 0.3.1");
    conf = config("0.4.0", sock, NULL);
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_add_result(&r, "0.4.0", 1);
    run_destroy(&r);
    free(conf);
    conf = config("0.3.1", sock, NULL);
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_add_result(&r, "0.3.1", 1);
    run_destroy(&r);

    itest_case("CHECK 0.3.1 is refused with code 1");
    run_plugin(&r, "CHECK", conf, "/var/run/netns/test", pod_args);
    check_error(&r, "0.3.1", CNI_ERR_INCOMPATIBLE_VERSION, "0.4.0");
    run_destroy(&r);
    free(conf);

    itest_case("ADD with a prevResult (chained)");
    conf = config("1.0.0", sock,
                  "\"prevResult\":{\"cniVersion\":\"1.0.0\","
                  "\"interfaces\":[{\"name\":\"lo\","
                  "\"sandbox\":\"/var/run/netns/test\"}],"
                  "\"ips\":[{\"address\":\"127.0.0.1/8\",\"interface\":0}]}");
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_add_result(&r, "1.0.0", 2);
    CHECK(r.json && !strcmp(json_get_string(
              json_array(json_get_member(r.json, "interfaces"))->elems[0],
              "name"), "lo"), "prevResult's interface kept first");
    run_destroy(&r);
    free(conf);

    itest_case("the daemon's error is passed on");
    conf = config("1.0.0", sock, NULL);
    run_plugin(&r, "ADD", conf, "/var/run/netns/test",
               "K8S_POD_NAMESPACE=default;K8S_POD_NAME=unknown");
    check_error(&r, "1.0.0", CNI_ERR_UNKNOWN_CONTAINER,
                "pod default/unknown is not known to kovn");
    CHECK(r.json && json_get_string(r.json, "details")
          && !strcmp(json_get_string(r.json, "details"),
                     "from the test server"), "details passed on");
    run_destroy(&r);
    free(conf);

    server_stop(pid);
    unlink(sock);
    free(sock);
}

static void
test_slow_daemon(void)
{
    char *sock = xasprintf("%s/hang.sock", tmpdir);
    pid_t pid = server_start(sock, HANG);
    struct run r;

    itest_case("no answer within request_timeout: code 11");
    char *conf = config("1.0.0", sock, "\"request_timeout\":1");
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", pod_args);
    check_error(&r, "1.0.0", CNI_ERR_TRY_AGAIN, "did not answer cni.add "
                "within 1 s");
    CHECK(r.msec >= 900 && r.msec < 10000, "gave up after %lld ms", r.msec);
    run_destroy(&r);
    server_stop(pid);
    unlink(sock);

    itest_case("the daemon hangs up without answering: code 11");
    pid = server_start(sock, CLOSE);
    run_plugin(&r, "DEL", conf, NULL, pod_args);
    check_error(&r, "1.0.0", CNI_ERR_TRY_AGAIN, "closed the connection");
    run_destroy(&r);
    server_stop(pid);
    unlink(sock);
    free(conf);
    free(sock);
}

static void
test_version(void)
{
    struct run r;

    itest_case("VERSION");
    run_plugin(&r, "VERSION", "{\"cniVersion\":\"0.4.0\"}", NULL, NULL);
    CHECK(r.status == 0, "VERSION exits 0");
    CHECK(r.json && !strcmp(json_get_string(r.json, "cniVersion"), "0.4.0"),
          "echoes cniVersion: %s", ds_cstr(&r.out));
    const struct json *list = r.json ? json_get_member(r.json,
                                                       "supportedVersions")
                                     : NULL;
    bool has_100 = false, has_031 = false;
    for (size_t i = 0; list && list->type == JSON_ARRAY
                       && i < json_array(list)->n; i++) {
        const struct json *s = json_array(list)->elems[i];
        has_100 |= s->type == JSON_STRING && !strcmp(json_string(s), "1.0.0");
        has_031 |= s->type == JSON_STRING && !strcmp(json_string(s), "0.3.1");
    }
    CHECK(has_100 && has_031, "supportedVersions lists 1.0.0 and 0.3.1");
    run_destroy(&r);

    run_plugin(&r, "VERSION", "", NULL, NULL);
    CHECK(r.status == 0 && r.json
          && !strcmp(json_get_string(r.json, "cniVersion"), "1.0.0"),
          "VERSION with empty stdin: %s", ds_cstr(&r.out));
    run_destroy(&r);
}

static void
test_broken_config(void)
{
    char *sock = xasprintf("%s/absent.sock", tmpdir);
    struct run r;

    itest_case("broken configuration");
    run_plugin(&r, "ADD", "{\"cniVersion\": \"1.0.0\", \"name\": ",
               "/var/run/netns/test", pod_args);
    check_error(&r, "1.0.0", CNI_ERR_DECODE, "cannot decode");
    run_destroy(&r);

    run_plugin(&r, "ADD", "{\"cniVersion\":\"0.4.0\",\"type\":\"kovn\"}",
               "/var/run/netns/test", pod_args);
    check_error(&r, "0.4.0", CNI_ERR_INVALID_NETCONF, "\"name\"");
    run_destroy(&r);

    run_plugin(&r, "ADD", "{\"cniVersion\":\"0.2.0\",\"name\":\"n\","
               "\"type\":\"kovn\"}", "/var/run/netns/test", pod_args);
    check_error(&r, "1.0.0", CNI_ERR_INCOMPATIBLE_VERSION, "0.2.0");
    run_destroy(&r);

    char *conf = config("1.0.0", sock, NULL);
    run_plugin(&r, "ADD", conf, "/var/run/netns/test", "K8S_POD_NAME");
    check_error(&r, "1.0.0", CNI_ERR_INVALID_ENV, "CNI_ARGS");
    run_destroy(&r);

    run_plugin(&r, "ADD", conf, NULL, pod_args);
    check_error(&r, "1.0.0", CNI_ERR_INVALID_ENV, "CNI_NETNS");
    run_destroy(&r);

    run_plugin(&r, "BOGUS", conf, "/var/run/netns/test", pod_args);
    check_error(&r, "1.0.0", CNI_ERR_INVALID_ENV, "CNI_COMMAND");
    run_destroy(&r);
    free(conf);
    free(sock);
}

/* A real CNI caller: Go's libcni (Debian: golang-github-appc-cni-dev), the
 * library runtimes use, through a tiny cnitool built here offline.  Skipped
 * when Go or libcni is missing. */
static const char *cnitool_go =
    "package main\n"
    "import (\"context\"; \"fmt\"; \"os\"\n"
    "  \"github.com/containernetworking/cni/libcni\")\n"
    "func main() {\n"
    "  list, err := libcni.ConfListFromFile(os.Args[2])\n"
    "  if err != nil { fmt.Println(\"conf:\", err); os.Exit(2) }\n"
    "  cn := libcni.NewCNIConfig([]string{os.Args[3]}, nil)\n"
    "  rt := &libcni.RuntimeConf{ContainerID: \"3f2a9b7c1d\",\n"
    "    NetNS: \"/var/run/netns/test\", IfName: \"eth0\",\n"
    "    CacheDir: os.Args[4],\n"
    "    Args: [][2]string{{\"IgnoreUnknown\", \"1\"},\n"
    "      {\"K8S_POD_NAMESPACE\", \"default\"},\n"
    "      {\"K8S_POD_NAME\", \"web-0\"}}}\n"
    "  ctx := context.Background()\n"
    "  switch os.Args[1] {\n"
    "  case \"add\":\n"
    "    r, err := cn.AddNetworkList(ctx, list, rt)\n"
    "    if err != nil { fmt.Println(\"add:\", err); os.Exit(1) }\n"
    "    r.Print()\n"
    "  case \"check\":\n"
    "    if err := cn.CheckNetworkList(ctx, list, rt); err != nil {\n"
    "      fmt.Println(\"check:\", err); os.Exit(1) }\n"
    "  case \"del\":\n"
    "    if err := cn.DelNetworkList(ctx, list, rt); err != nil {\n"
    "      fmt.Println(\"del:\", err); os.Exit(1) }\n"
    "  }\n"
    "}\n";

static void
test_real_caller(void)
{
    itest_case("a real CNI caller (libcni)");
    if (itest_sh("command -v go >/dev/null && test -d /usr/share/gocode/src/"
                 "github.com/containernetworking/cni/libcni") != 0) {
        printf("SKIP: needs golang-go and golang-github-appc-cni-dev\n");
        return;
    }

    char *dir = xasprintf("%s/libcni", tmpdir);
    char *sock = xasprintf("%s/cni.sock", tmpdir);
    char *plugin_dir = xstrdup(plugin);
    *strrchr(plugin_dir, '/') = '\0';
    itest_sh("mkdir -p %s/cache", dir);

    char *go_path = xasprintf("%s/main.go", dir);
    FILE *f = fopen(go_path, "w");
    if (!f) {
        itest_fatal("%s: %s", go_path, ovs_strerror(errno));
    }
    fputs(cnitool_go, f);
    fclose(f);
    if (itest_sh("cd %s && HOME=%s GOCACHE=%s/gocache GO111MODULE=off "
                 "GOPATH=/usr/share/gocode GOPROXY=off go build -o cnitool "
                 "main.go", dir, dir, dir) != 0) {
        CHECK(false, "cnitool builds offline");
        goto out;
    }

    pid_t pid = server_start(sock, SERVE);
    static const char *versions[] = { "1.0.0", "0.4.0" };
    for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
        const char *v = versions[i];
        itest_sh("printf '{\"cniVersion\":\"%s\",\"name\":\"kovn\","
                 "\"plugins\":[{\"type\":\"kovn\",\"server_socket\":\"%s\"}]}'"
                 " > %s/net.conflist", v, sock, dir);
        CHECK(itest_sh("cd %s && ./cnitool add net.conflist %s cache > out "
                       "2>&1", dir, plugin_dir) == 0,
              "libcni ADD %s succeeds", v);
        char *out = xasprintf("%s/out", dir);
        struct json *j = json_from_file(out);
        const char *ver = j ? json_get_string(j, "cniVersion") : NULL;
        CHECK(ver && !strcmp(ver, v), "libcni prints a %s result", v);
        const struct json *ips = j ? json_get_member(j, "ips") : NULL;
        CHECK(ips && ips->type == JSON_ARRAY && json_array(ips)->n == 2,
              "libcni sees 2 addresses");
        json_destroy(j);
        free(out);
        itest_sh("cat %s/out; echo", dir);        /* For the log. */
        CHECK(itest_sh("cd %s && ./cnitool check net.conflist %s cache",
                       dir, plugin_dir) == 0, "libcni CHECK %s succeeds", v);
        CHECK(itest_sh("cd %s && ./cnitool del net.conflist %s cache",
                       dir, plugin_dir) == 0, "libcni DEL %s succeeds", v);
    }
    server_stop(pid);
    unlink(sock);

    /* No daemon: libcni reports our error and code. */
    CHECK(itest_sh("cd %s && ./cnitool add net.conflist %s cache > out 2>&1;"
                   " grep -q 'is kovn-daemon running on this node' out",
                   dir, plugin_dir) == 0,
          "libcni passes on the no-daemon message");

out:
    free(go_path);
    free(plugin_dir);
    free(sock);
    free(dir);
}

int
main(int argc OVS_UNUSED, char *argv[])
{
    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_OFF);
    signal(SIGPIPE, SIG_IGN);

    plugin = getenv("KOVN_CNI_PLUGIN");
    if (!plugin) {
        itest_fatal("KOVN_CNI_PLUGIN (the kovn binary) is not set");
    }
    if (!mkdtemp(tmpdir)) {
        itest_fatal("mkdtemp: %s", ovs_strerror(errno));
    }

    test_no_daemon();
    test_with_server();
    test_slow_daemon();
    test_version();
    test_broken_config();
    test_real_caller();

    itest_sh("rm -rf %s", tmpdir);
    return itest_finish();
}
