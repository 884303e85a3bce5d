/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests: CNI network configuration, environment, results, errors and
 * the plugin-daemon request encoding. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni/cni-rpc.h"
#include "cni/cni-spec.h"
#include "util/json-util.h"

static struct cni_error *
parse(const char *text, struct cni_netconf *nc)
{
    return cni_netconf_parse(text, strlen(text), nc);
}

/* Parses 'text', expecting failure with 'code'; returns nothing. */
static void
expect_netconf_error(const char *text, int code, const char *in_msg)
{
    struct cni_netconf nc;
    struct cni_error *e = parse(text, &nc);

    assert_non_null(e);
    if (e->code != code) {
        print_error("\"%s\": code %d (%s), expected %d\n", text, e->code,
                    e->msg, code);
    }
    assert_int_equal(e->code, code);
    if (in_msg && !strstr(e->msg, in_msg)) {
        print_error("message \"%s\" lacks \"%s\"\n", e->msg, in_msg);
        fail();
    }
    assert_null(nc.raw);
    cni_error_destroy(e);
    cni_netconf_destroy(&nc);
}

static void
test_netconf_versions(void **state)
{
    (void) state;
    static const char *versions[] = { "1.0.0", "0.4.0", "0.3.1", "0.3.0" };

    for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
        char *text = xasprintf("{\"cniVersion\":\"%s\",\"name\":\"kovn\","
                               "\"type\":\"kovn\"}", versions[i]);
        struct cni_netconf nc;
        struct cni_error *e = parse(text, &nc);
        assert_null(e);
        assert_string_equal(nc.cni_version, versions[i]);
        assert_string_equal(nc.name, "kovn");
        assert_string_equal(nc.type, "kovn");
        assert_string_equal(nc.server_socket, CNI_DEFAULT_SERVER_SOCKET);
        assert_int_equal(nc.mtu, 0);
        assert_int_equal(nc.request_timeout, CNI_DEFAULT_REQUEST_TIMEOUT);
        assert_null(nc.prev);
        assert_null(nc.runtime_config);
        cni_netconf_destroy(&nc);
        free(text);
    }
    assert_false(cni_version_has_check("0.3.1"));
    assert_true(cni_version_has_check("0.4.0"));
    assert_true(cni_version_has_check("1.0.0"));
    assert_true(cni_version_has_ip_version("0.4.0"));
    assert_false(cni_version_has_ip_version("1.0.0"));
}

static void
test_netconf_full(void **state)
{
    (void) state;
    /* A conflist entry as the runtime passes it, second in a chain. */
    const char *text =
        "{\"cniVersion\":\"0.4.0\",\"name\":\"k8s-pod-network\","
        "\"type\":\"kovn\",\"server_socket\":\"unix:/tmp/x.sock\","
        "\"mtu\":1400,\"request_timeout\":30,"
        "\"runtimeConfig\":{\"portMappings\":[]},"
        "\"prevResult\":{\"cniVersion\":\"0.4.0\","
        "\"interfaces\":[{\"name\":\"lo\",\"sandbox\":\"/var/run/netns/a\"}],"
        "\"ips\":[{\"version\":\"4\",\"interface\":0,"
        "\"address\":\"127.0.0.1/8\"}],\"dns\":{}}}\n";
    struct cni_netconf nc;

    assert_null(parse(text, &nc));
    assert_string_equal(nc.server_socket, "/tmp/x.sock");
    assert_int_equal(nc.mtu, 1400);
    assert_int_equal(nc.request_timeout, 30);
    assert_non_null(nc.runtime_config);
    assert_non_null(nc.prev_result);
    assert_non_null(nc.prev);
    assert_int_equal(nc.prev->n_interfaces, 1);
    assert_string_equal(nc.prev->interfaces[0].name, "lo");
    assert_int_equal(nc.prev->n_ips, 1);
    assert_int_equal(nc.prev->ips[0].interface, 0);
    assert_string_equal(json_get_string(nc.raw, "name"), "k8s-pod-network");
    cni_netconf_destroy(&nc);
}

static void
test_netconf_errors(void **state)
{
    (void) state;
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",", CNI_ERR_DECODE,
                         "cannot decode");
    expect_netconf_error("", CNI_ERR_DECODE, NULL);
    expect_netconf_error("{} x", CNI_ERR_DECODE, NULL);
    expect_netconf_error("[1]", CNI_ERR_INVALID_NETCONF, "JSON object");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"type\":\"kovn\"}",
                         CNI_ERR_INVALID_NETCONF, "\"name\"");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}",
                         CNI_ERR_INVALID_NETCONF, "\"type\"");
    expect_netconf_error("{\"name\":\"n\",\"type\":\"kovn\"}",
                         CNI_ERR_INVALID_NETCONF, "cniVersion");
    expect_netconf_error("{\"cniVersion\":\"0.2.0\",\"name\":\"n\","
                         "\"type\":\"kovn\"}",
                         CNI_ERR_INCOMPATIBLE_VERSION, "0.2.0");
    expect_netconf_error("{\"cniVersion\":\"1.1.0\",\"name\":\"n\","
                         "\"type\":\"kovn\"}",
                         CNI_ERR_INCOMPATIBLE_VERSION, "kovn supports");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"bad name\","
                         "\"type\":\"kovn\"}",
                         CNI_ERR_INVALID_NETCONF, "network name");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"type\":\"kovn\",\"mtu\":\"1400\"}",
                         CNI_ERR_INVALID_NETCONF, "\"mtu\"");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"type\":\"kovn\",\"mtu\":70000}",
                         CNI_ERR_INVALID_NETCONF, "\"mtu\"");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"type\":\"kovn\",\"server_socket\":\"\"}",
                         CNI_ERR_INVALID_NETCONF, "server_socket");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"type\":\"kovn\",\"runtimeConfig\":3}",
                         CNI_ERR_INVALID_NETCONF, "runtimeConfig");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"type\":\"kovn\",\"prevResult\":{\"ips\":"
                         "[{\"address\":\"10.0.0.300/24\"}]}}",
                         CNI_ERR_INVALID_NETCONF, "prevResult");
    expect_netconf_error("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                         "\"plugins\":[]}",
                         CNI_ERR_INVALID_NETCONF, "list");
}

static void
set_env(const char *cmd, const char *id, const char *netns,
        const char *ifname, const char *args)
{
    const char *names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
                            "CNI_IFNAME", "CNI_ARGS" };
    const char *values[] = { cmd, id, netns, ifname, args };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (values[i]) {
            setenv(names[i], values[i], 1);
        } else {
            unsetenv(names[i]);
        }
    }
    setenv("CNI_PATH", "/opt/cni/bin:/usr/lib/cni", 1);
}

static void
expect_env_error(const char *in_msg)
{
    struct cni_args a;
    struct cni_error *e = cni_args_from_env(&a);

    assert_non_null(e);
    assert_int_equal(e->code, CNI_ERR_INVALID_ENV);
    if (!strstr(e->msg, in_msg)) {
        print_error("message \"%s\" lacks \"%s\"\n", e->msg, in_msg);
        fail();
    }
    cni_error_destroy(e);
    cni_args_destroy(&a);
}

static void
test_env(void **state)
{
    (void) state;
    struct cni_args a;

    set_env("ADD", "c0ffee", "/var/run/netns/cni-1", "eth0",
            "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
            "K8S_POD_INFRA_CONTAINER_ID=c0ffee;IgnoreUnknown=1;Foo=bar");
    assert_null(cni_args_from_env(&a));
    assert_int_equal(a.command, CNI_CMD_ADD);
    assert_string_equal(a.container_id, "c0ffee");
    assert_string_equal(a.netns, "/var/run/netns/cni-1");
    assert_string_equal(a.ifname, "eth0");
    assert_string_equal(a.path, "/opt/cni/bin:/usr/lib/cni");
    assert_string_equal(a.pod_namespace, "default");
    assert_string_equal(a.pod_name, "web-0");
    assert_string_equal(a.pod_infra_container_id, "c0ffee");
    assert_null(a.pod_uid);
    assert_string_equal(smap_get(&a.extra, "Foo"), "bar");
    cni_args_destroy(&a);

    /* DEL may omit CNI_NETNS; no CNI_ARGS at all is fine. */
    set_env("DEL", "c0ffee", NULL, "eth0", NULL);
    assert_null(cni_args_from_env(&a));
    assert_int_equal(a.command, CNI_CMD_DEL);
    assert_null(a.netns);
    assert_null(a.pod_name);
    cni_args_destroy(&a);

    set_env("VERSION", NULL, NULL, NULL, NULL);
    assert_null(cni_args_from_env(&a));
    assert_int_equal(a.command, CNI_CMD_VERSION);
    cni_args_destroy(&a);

    set_env(NULL, "c", "/n", "eth0", NULL);
    expect_env_error("CNI_COMMAND is not set");
    set_env("ATTACH", "c", "/n", "eth0", NULL);
    expect_env_error("unknown CNI_COMMAND");
    set_env("ADD", NULL, "/n", "eth0", NULL);
    expect_env_error("CNI_CONTAINERID");
    set_env("ADD", "-bad", "/n", "eth0", NULL);
    expect_env_error("CNI_CONTAINERID");
    set_env("ADD", "c", NULL, "eth0", NULL);
    expect_env_error("CNI_NETNS");
    set_env("CHECK", "c", "/n", NULL, NULL);
    expect_env_error("CNI_IFNAME");
    set_env("ADD", "c", "/n", "a-very-long-ifname0", NULL);
    expect_env_error("CNI_IFNAME");
    set_env("ADD", "c", "/n", "eth0", "K8S_POD_NAME");
    expect_env_error("KEY=VALUE");
    set_env("ADD", "c", "/n", "eth0", "=x");
    expect_env_error("KEY=VALUE");
    set_env("ADD", "c", "/n", "eth0", "K8S_POD_NAME=a;Foo=bar");
    expect_env_error("unknown key \"Foo\"");
    set_env("ADD", "c", "/n", "eth0", "IgnoreUnknown=maybe");
    expect_env_error("IgnoreUnknown");
}

static void
build_result(struct cni_result *r)
{
    cni_result_init(r);
    size_t host = cni_result_add_interface(r, "a1b2c3d4e5f6_h",
                                           "0a:00:00:00:00:01", NULL);
    size_t pod = cni_result_add_interface(r, "eth0", "0a:00:00:00:00:02",
                                          "/var/run/netns/cni-1");
    assert_int_equal(host, 0);
    assert_int_equal(pod, 1);
    cni_result_add_ip(r, "10.16.0.5/16", "10.16.0.1", pod);
    cni_result_add_ip(r, "fd00:10:16::5/64", "fd00:10:16::1", pod);
    cni_result_add_route(r, "0.0.0.0/0", "10.16.0.1");
    cni_result_add_route(r, "::/0", NULL);
    svec_add(&r->dns.nameservers, "10.96.0.10");
    svec_add(&r->dns.search, "default.svc.cluster.local");
}

static void
test_result_versions(void **state)
{
    (void) state;
    struct cni_result r;
    build_result(&r);

    struct json *j = cni_result_to_json(&r, "1.0.0");
    char *s = json_to_string(j, JSSF_SORT);
    assert_string_equal(s,
        "{\"cniVersion\":\"1.0.0\","
        "\"dns\":{\"nameservers\":[\"10.96.0.10\"],"
        "\"search\":[\"default.svc.cluster.local\"]},"
        "\"interfaces\":[{\"mac\":\"0a:00:00:00:00:01\","
        "\"name\":\"a1b2c3d4e5f6_h\"},"
        "{\"mac\":\"0a:00:00:00:00:02\",\"name\":\"eth0\","
        "\"sandbox\":\"/var/run/netns/cni-1\"}],"
        "\"ips\":[{\"address\":\"10.16.0.5/16\",\"gateway\":\"10.16.0.1\","
        "\"interface\":1},"
        "{\"address\":\"fd00:10:16::5/64\",\"gateway\":\"fd00:10:16::1\","
        "\"interface\":1}],"
        "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.16.0.1\"},"
        "{\"dst\":\"::/0\"}]}");
    free(s);

    /* Round trip through the parser. */
    struct cni_result back;
    assert_null(cni_result_from_json(j, &back));
    assert_int_equal(back.n_interfaces, 2);
    assert_int_equal(back.n_ips, 2);
    assert_int_equal(back.ips[1].interface, 1);
    assert_null(back.routes[1].gw);
    assert_int_equal(back.dns.nameservers.n, 1);
    cni_result_destroy(&back);
    json_destroy(j);

    const char *old[] = { "0.4.0", "0.3.1", "0.3.0" };
    for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
        j = cni_result_to_json(&r, old[i]);
        assert_string_equal(json_get_string(j, "cniVersion"), old[i]);
        const struct json *ips = json_get_member(j, "ips");
        assert_string_equal(json_get_string(json_array(ips)->elems[0],
                                            "version"), "4");
        assert_string_equal(json_get_string(json_array(ips)->elems[1],
                                            "version"), "6");
        assert_null(cni_result_from_json(j, &back));
        cni_result_destroy(&back);
        json_destroy(j);
    }
    j = cni_result_to_json(&r, "1.0.0");
    const struct json *ips = json_get_member(j, "ips");
    assert_null(json_get_member(json_array(ips)->elems[0], "version"));
    json_destroy(j);
    cni_result_destroy(&r);

    /* An empty result still has "dns": {}, as the reference plugins. */
    cni_result_init(&r);
    j = cni_result_to_json(&r, "1.0.0");
    s = json_to_string(j, JSSF_SORT);
    assert_string_equal(s, "{\"cniVersion\":\"1.0.0\",\"dns\":{}}");
    free(s);
    json_destroy(j);
    cni_result_destroy(&r);
}

static void
expect_result_error(const char *text, const char *in_msg)
{
    struct json *j = json_from_string(text);
    struct cni_result r;
    struct cni_error *e = cni_result_from_json(j, &r);

    assert_non_null(e);
    assert_int_equal(e->code, CNI_ERR_DECODE);
    if (!strstr(e->msg, in_msg)) {
        print_error("message \"%s\" lacks \"%s\"\n", e->msg, in_msg);
        fail();
    }
    cni_error_destroy(e);
    json_destroy(j);
}

static void
test_result_errors(void **state)
{
    (void) state;
    expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1\"}]}", "address");
    expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1/24\","
                        "\"version\":\"6\"}]}", "version");
    expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1/24\","
                        "\"interface\":0}]}", "interface");
    expect_result_error("{\"ips\":[{\"address\":\"10.0.0.1/24\","
                        "\"gateway\":\"x\"}]}", "gateway");
    expect_result_error("{\"interfaces\":[{\"mac\":\"00:11\"}]}", "name");
    expect_result_error("{\"interfaces\":[{\"name\":\"e\",\"mac\":\"zz\"}]}",
                        "interface 0");
    expect_result_error("{\"routes\":[{\"gw\":\"10.0.0.1\"}]}", "dst");
    expect_result_error("{\"ip4\":{}}", "0.2.0");
    expect_result_error("{\"dns\":{\"nameservers\":\"x\"}}", "nameservers");
    expect_result_error("[]", "object");
}

static void
test_merge(void **state)
{
    (void) state;
    struct cni_result prev, mine;

    cni_result_init(&prev);
    cni_result_add_interface(&prev, "lo", NULL, "/n");
    cni_result_add_ip(&prev, "127.0.0.1/8", NULL, 0);
    build_result(&mine);
    cni_result_merge(&prev, &mine);
    assert_int_equal(prev.n_interfaces, 3);
    assert_int_equal(prev.n_ips, 3);
    assert_int_equal(prev.ips[0].interface, 0);
    assert_int_equal(prev.ips[1].interface, 2);
    assert_int_equal(prev.n_routes, 2);
    assert_string_equal(prev.dns.nameservers.names[0], "10.96.0.10");
    cni_result_destroy(&prev);
    cni_result_destroy(&mine);
}

static void
test_error_json(void **state)
{
    (void) state;
    struct cni_error *e = cni_error_create(
        CNI_ERR_TRY_AGAIN, "d", "cannot reach kovn-daemon at %s",
        "/run/kovn/cni.sock");
    struct json *j = cni_error_to_json(e, "0.4.0");
    char *s = json_to_string(j, JSSF_SORT);
    assert_string_equal(s, "{\"cniVersion\":\"0.4.0\",\"code\":11,"
                        "\"details\":\"d\",\"msg\":\"cannot reach "
                        "kovn-daemon at /run/kovn/cni.sock\"}");
    free(s);

    struct cni_error *back = cni_error_from_json(j);
    assert_non_null(back);
    assert_int_equal(back->code, 11);
    assert_string_equal(back->msg, e->msg);
    assert_string_equal(back->details, "d");
    cni_error_destroy(back);
    json_destroy(j);
    cni_error_destroy(e);

    /* Unknown version: falls back to the current one; no empty details. */
    e = cni_error_create(CNI_ERR_DECODE, NULL, "x");
    j = cni_error_to_json(e, "9.9.9");
    s = json_to_string(j, JSSF_SORT);
    assert_string_equal(s, "{\"cniVersion\":\"1.0.0\",\"code\":6,"
                        "\"msg\":\"x\"}");
    free(s);
    json_destroy(j);
    cni_error_destroy(e);

    j = json_from_string("{\"code\":\"x\",\"msg\":\"m\"}");
    assert_null(cni_error_from_json(j));
    json_destroy(j);

    j = cni_version_info_to_json("0.3.1");
    s = json_to_string(j, JSSF_SORT);
    assert_string_equal(s, "{\"cniVersion\":\"0.3.1\",\"supportedVersions\":"
                        "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}");
    free(s);
    json_destroy(j);

    char *buf;
    assert_string_equal(cni_guess_version("{\"cniVersion\":\"0.4.0\"}", 22,
                                          &buf), "0.4.0");
    free(buf);
    assert_string_equal(cni_guess_version("{", 1, &buf), "1.0.0");
    assert_null(buf);
}

static void
test_rpc_request(void **state)
{
    (void) state;
    const char *text = "{\"cniVersion\":\"1.0.0\",\"name\":\"kovn\","
                       "\"type\":\"kovn\",\"mtu\":1400}";
    struct cni_netconf nc;
    struct cni_args a;

    set_env("ADD", "c0ffee", "/var/run/netns/x", "eth0",
            "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;IgnoreUnknown=1");
    assert_null(cni_args_from_env(&a));
    assert_null(parse(text, &nc));

    struct json *p = cni_rpc_request_to_json(&a, &nc);
    assert_string_equal(json_get_string(p, "command"), "ADD");
    assert_string_equal(json_get_string(p, "containerID"), "c0ffee");
    assert_string_equal(json_get_string(p, "podName"), "p");
    assert_string_equal(json_get_string(p, "args.IgnoreUnknown"), "1");
    int64_t mtu;
    assert_true(json_get_int(p, "netconf.mtu", &mtu));
    assert_int_equal(mtu, 1400);

    struct json *params = json_array_create_1(p);
    struct cni_rpc_request req;
    assert_null(cni_rpc_request_from_json("cni.add", params, &req));
    assert_int_equal(req.args.command, CNI_CMD_ADD);
    assert_string_equal(req.args.netns, "/var/run/netns/x");
    assert_string_equal(req.args.pod_namespace, "ns");
    assert_string_equal(req.args.pod_name, "p");
    assert_int_equal(req.netconf.mtu, 1400);
    cni_rpc_request_destroy(&req);

    struct cni_error *e = cni_rpc_request_from_json("cni.nope", params, &req);
    assert_non_null(e);
    cni_error_destroy(e);
    cni_rpc_request_destroy(&req);

    enum cni_command cmd;
    assert_true(cni_rpc_method_to_command("cni.del", &cmd));
    assert_int_equal(cmd, CNI_CMD_DEL);
    assert_null(cni_rpc_method(CNI_CMD_VERSION));

    json_destroy(params);
    cni_netconf_destroy(&nc);
    cni_args_destroy(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netconf_versions),
        cmocka_unit_test(test_netconf_full),
        cmocka_unit_test(test_netconf_errors),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_result_versions),
        cmocka_unit_test(test_result_errors),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_error_json),
        cmocka_unit_test(test_rpc_request),
    };
    return cmocka_run_group_tests_name("cni", tests, NULL, NULL);
}
