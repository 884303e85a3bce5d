/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* lib/net against the real kernel: a test network namespace, a veth pair
 * into it configured as a CNI ADD configures a pod (eth0, MAC, MTU 1400,
 * IPv4 and IPv6 addresses, default routes, TX checksum off), checked with
 * "ip -j" and with lib/net's own listings, then TCP over the veth.
 *
 * Traffic stays on the test's veth: the pod end has 10.16.0.5/16 and
 * fd00:10:16::5/64, the host end only 10.16.0.6/30 and fd00:10:16::6/126,
 * so the default namespace gains nothing but those two small prefixes on
 * the test's own interface, for the test's lifetime.
 *
 * The tests run in a child process; the parent waits for it and then
 * deletes the namespace and the links, so that a crash, a failed check or
 * meson's timeout (SIGTERM) leaves nothing behind.
 *
 * Usage: test-net [-v] */

#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "net/addr.h"
#include "net/ethtool.h"
#include "net/link.h"
#include "net/netns.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "socket-util.h"
#include "util.h"

#define POD_MAC "0a:58:0a:10:00:05"

static char *ns_name;           /* kovn-nettest-PID */
static char *ns_path;           /* /var/run/netns/kovn-nettest-PID */
static char *host_if;           /* Host end of the veth: kntvPID. */
static char *peer_if;           /* Pod end before it is renamed: kntpPID. */
static bool verbose;

/* ---- helpers ---- */

/* Checks that 'error' is a message that contains 'a' and 'b' (either may be
 * NULL), and frees it. */
static void
check_error_(char *error, const char *a, const char *b, const char *file,
             int line)
{
    itest_check(error && (!a || strstr(error, a)) && (!b || strstr(error, b)),
                file, line, "expected an error with \"%s\" and \"%s\", got "
                "\"%s\"", a ? a : "", b ? b : "", error ? error : "(none)");
    if (error && verbose) {
        printf("   error as expected: %s\n", error);
    }
    free(error);
}
#define CHECK_ERROR(ERROR, A, B) check_error_(ERROR, A, B, __FILE__, __LINE__)

/* Checks that 'error' is NULL, printing and freeing it otherwise. */
static bool
check_ok_(char *error, const char *what, const char *file, int line)
{
    bool ok = itest_check(!error, file, line, "%s: %s", what,
                          error ? error : "");
    free(error);
    return ok;
}
#define CHECK_OK(ERROR) check_ok_(ERROR, #ERROR, __FILE__, __LINE__)

static struct net_ifaddr
ifaddr(const char *s)
{
    struct net_ifaddr a;
    char *error = net_ifaddr_parse(s, &a);
    if (error) {
        itest_fatal("%s", error);
    }
    return a;
}

static struct ip_addr
ip(const char *s)
{
    struct ip_addr a;
    char *error = cidr_parse_ip(s, &a);
    if (error) {
        itest_fatal("%s", error);
    }
    return a;
}

/* Runs 'func' in the test namespace; the error it returns is checked. */
static void
in_ns_(const struct netns *ns, netns_func *func, void *aux, const char *name,
       const char *file, int line)
{
    check_ok_(netns_run(ns, func, aux), name, file, line);
}
#define IN_NS(NS, FUNC, AUX) in_ns_(NS, FUNC, AUX, #FUNC, __FILE__, __LINE__)

/* ---- namespace errors ---- */

static char *
returns_error(void *aux OVS_UNUSED)
{
    return xstrdup("eth0: something failed");
}

static void
test_netns_errors(void)
{
    itest_case("netns errors");
    struct netns *ns;

    char *missing = xasprintf("/var/run/netns/kovn-nettest-none-%d",
                              (int) getpid());
    CHECK_ERROR(netns_open(missing, &ns), missing, "No such file");
    CHECK(!ns, "no namespace on failure");
    CHECK_ERROR(netns_run_path(missing, returns_error, NULL), missing,
                "opening network namespace");
    free(missing);

    CHECK_ERROR(netns_open("/proc/self/status", &ns), "/proc/self/status",
                "not a namespace");
    CHECK_ERROR(netns_open("/proc/self/ns/uts", &ns), "/proc/self/ns/uts",
                "not a network namespace");
    CHECK_ERROR(netns_open("", &ns), "empty", NULL);

    /* The function's own error comes back, naming the namespace. */
    CHECK_ERROR(netns_run_path("/proc/self/ns/net", returns_error, NULL),
                "in network namespace /proc/self/ns/net: eth0: something",
                NULL);
}

/* ---- interface name and missing link errors ---- */

static void
test_link_errors(void)
{
    itest_case("link errors");

    CHECK_ERROR(net_veth_create("kovn-name-too-long0", "kntx0", NULL, 1400),
                "\"kovn-name-too-long0\" is too long", "at most 15");
    CHECK_ERROR(net_veth_create("kntx0", "bad/name", NULL, 0), "bad/name",
                "'/'");
    CHECK_ERROR(net_veth_create("", "kntx0", NULL, 0), "empty", NULL);

    char *missing = xasprintf("kntm%d", (int) getpid());
    struct net_ifaddr a = ifaddr("10.16.0.9/16");
    CHECK_ERROR(net_addr_add(missing, &a), missing, "no such interface");
    CHECK_ERROR(net_link_set_mtu(missing, 1400), missing,
                "no such interface");
    struct ip_addr gw = ip("10.16.0.1");
    CHECK_ERROR(net_route_add_default(missing, &gw), missing,
                "no such interface");
    struct net_link info;
    CHECK_ERROR(net_link_get(missing, &info), missing, "no such interface");
    bool on;
    CHECK_ERROR(net_get_tx_checksum(missing, &on), missing,
                "no such interface");
    CHECK_OK(net_link_delete(missing));
    free(missing);

    CHECK_ERROR(net_ifaddr_parse("10.16.0.5", &a), "10.16.0.5", NULL);
    CHECK_ERROR(net_ifaddr_parse("10.16.0.5/33", &a), "33", NULL);
}

/* ---- the pod's side, run inside the namespace ---- */

static char *
configure_pod(void *aux OVS_UNUSED)
{
    struct eth_addr mac;
    if (!eth_addr_from_string(POD_MAC, &mac)) {
        return xstrdup("bad test MAC");
    }
    struct net_ifaddr v4 = ifaddr("10.16.0.5/16");
    struct net_ifaddr v6 = ifaddr("fd00:10:16::5/64");
    struct ip_addr gw4 = ip("10.16.0.1"), gw6 = ip("fd00:10:16::1");

    /* The order of a CNI ADD: the link must be down to be renamed, and up
     * before a gateway on it is reachable. */
    char *error = net_link_rename(peer_if, "eth0");
    if (!error) {
        error = net_link_set_mac("eth0", mac);
    }
    if (!error) {
        error = net_link_set_mtu("eth0", 1400);
    }
    if (!error) {
        error = net_link_set_up("eth0", true);
    }
    if (!error) {
        error = net_link_set_up("lo", true);
    }
    if (!error) {
        error = net_addr_add("eth0", &v4);
    }
    if (!error) {
        error = net_addr_add("eth0", &v6);
    }
    if (!error) {
        error = net_addr_add("eth0", &v4);     /* Again: no error. */
    }
    if (!error) {
        error = net_route_add_default("eth0", &gw4);
    }
    if (!error) {
        error = net_route_add_default("eth0", &gw6);
    }
    if (!error) {
        error = net_route_add_default("eth0", &gw4);  /* Again: replaces. */
    }
    return error;
}

static bool
has_addr(const struct net_ifaddr *addrs, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        struct ds s = DS_EMPTY_INITIALIZER;
        net_ifaddr_put(&addrs[i], &s);
        bool match = !strcmp(ds_cstr(&s), want);
        ds_destroy(&s);
        if (match) {
            return true;
        }
    }
    return false;
}

static bool
has_route(const struct net_route *routes, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        struct ds s = DS_EMPTY_INITIALIZER;
        net_route_put(&routes[i], &s);
        bool match = !strcmp(ds_cstr(&s), want);
        ds_destroy(&s);
        if (match) {
            return true;
        }
    }
    return false;
}

/* What a CNI CHECK reads back, with lib/net's own functions. */
static char *
check_pod(void *aux OVS_UNUSED)
{
    struct net_link info;
    char *error = net_link_get("eth0", &info);
    if (error) {
        return error;
    }
    struct eth_addr mac;
    ovs_assert(eth_addr_from_string(POD_MAC, &mac));
    CHECK(info.ifindex > 0, "ifindex %d", info.ifindex);
    CHECK(info.mtu == 1400, "MTU %d", info.mtu);
    CHECK(info.up, "eth0 is up");
    CHECK(eth_addr_equals(info.mac, mac), "MAC "ETH_ADDR_FMT,
          ETH_ADDR_ARGS(info.mac));

    struct net_ifaddr *addrs;
    size_t n;
    error = net_addr_list("eth0", AF_UNSPEC, &addrs, &n);
    if (error) {
        return error;
    }
    CHECK(has_addr(addrs, n, "10.16.0.5/16"), "eth0 has 10.16.0.5/16");
    CHECK(has_addr(addrs, n, "fd00:10:16::5/64"),
          "eth0 has fd00:10:16::5/64");
    free(addrs);

    error = net_addr_list("eth0", AF_INET, &addrs, &n);
    if (error) {
        return error;
    }
    CHECK(n == 1 && addrs[0].scope == 0, "one global IPv4 address (%zu)",
          n);
    free(addrs);

    struct net_route *routes;
    error = net_route_list("eth0", AF_UNSPEC, &routes, &n);
    if (error) {
        return error;
    }
    CHECK(has_route(routes, n, "default via 10.16.0.1"),
          "IPv4 default route");
    CHECK(has_route(routes, n, "default via fd00:10:16::1"),
          "IPv6 default route");
    CHECK(has_route(routes, n, "10.16.0.0/16"), "IPv4 prefix route");
    CHECK(has_route(routes, n, "fd00:10:16::/64"), "IPv6 prefix route");
    free(routes);

    /* A route via a gateway, as kovn-daemon's on ovn0, and its removal
     * (which once found nothing, asking for the wrong scope). */
    struct ip_cidr sub;
    struct ip_addr gw4 = ip("10.16.0.1");
    ovs_assert(!cidr_parse("10.17.0.0/24", &sub, NULL));
    error = net_route_add("eth0", &sub, &gw4);
    if (!error) {
        error = net_route_list("eth0", AF_INET, &routes, &n);
    }
    if (error) {
        return error;
    }
    CHECK(has_route(routes, n, "10.17.0.0/24 via 10.16.0.1"),
          "a route via the gateway");
    free(routes);
    error = net_route_del("eth0", &sub);
    if (!error) {
        error = net_route_list("eth0", AF_UNSPEC, &routes, &n);
    }
    if (error) {
        return error;
    }
    CHECK(!has_route(routes, n, "10.17.0.0/24 via 10.16.0.1"),
          "...removed");
    if (verbose) {
        for (size_t i = 0; i < n; i++) {
            struct ds s = DS_EMPTY_INITIALIZER;
            net_route_put(&routes[i], &s);
            printf("   route: %s\n", ds_cstr(&s));
            ds_destroy(&s);
        }
    }
    free(routes);
    return NULL;
}

/* Errors that only the pod's side can produce. */
static char *
pod_errors(void *aux OVS_UNUSED)
{
    /* A gateway that is not on any link. */
    struct ip_addr far = ip("10.99.0.1");
    CHECK_ERROR(net_route_add_default("eth0", &far), "eth0",
                "adding route default via 10.99.0.1");

    /* Renaming to a name that is taken, or too long. */
    CHECK_ERROR(net_link_rename("eth0", "lo"), "eth0",
                "renaming to lo failed (File exists");
    CHECK_ERROR(net_link_rename("eth0", "eth0-much-too-long"), "eth0",
                "is too long");

    /* A route whose gateway is of the other family. */
    struct ip_cidr dst;
    ovs_assert(!cidr_parse("10.17.0.0/16", &dst, NULL));
    struct ip_addr gw6 = ip("fd00:10:16::1");
    CHECK_ERROR(net_route_add("eth0", &dst, &gw6), "IPv4", "IPv6");

    /* A route to a prefix via a gateway, then via the device only. */
    struct ip_addr gw4 = ip("10.16.0.1");
    CHECK_OK(net_route_add("eth0", &dst, &gw4));
    struct ip_cidr dst2;
    ovs_assert(!cidr_parse("10.18.0.0/16", &dst2, NULL));
    CHECK_OK(net_route_add("eth0", &dst2, NULL));

    struct net_route *routes;
    size_t n;
    char *error = net_route_list("eth0", AF_INET, &routes, &n);
    if (error) {
        return error;
    }
    CHECK(has_route(routes, n, "10.17.0.0/16 via 10.16.0.1"),
          "route via gateway");
    CHECK(has_route(routes, n, "10.18.0.0/16"), "route via device");
    free(routes);

    CHECK_OK(net_route_del("eth0", &dst));
    CHECK_OK(net_route_del("eth0", &dst2));
    CHECK_OK(net_route_del("eth0", &dst2));     /* Already gone. */

    /* Removing an address, twice. */
    struct net_ifaddr extra = ifaddr("fd00:10:16::55/64");
    CHECK_OK(net_addr_add("eth0", &extra));
    CHECK_OK(net_addr_del("eth0", &extra));
    CHECK_OK(net_addr_del("eth0", &extra));
    struct net_ifaddr *addrs;
    error = net_addr_list("eth0", AF_INET6, &addrs, &n);
    if (error) {
        return error;
    }
    CHECK(!has_addr(addrs, n, "fd00:10:16::55/64"), "address removed");
    CHECK(has_addr(addrs, n, "fd00:10:16::5/64"), "other address kept");
    free(addrs);
    return NULL;
}

static char *
tx_checksum_off(void *on_)
{
    bool *on = on_;
    char *error = net_set_tx_checksum("eth0", false);
    return error ? error : net_get_tx_checksum("eth0", on);
}

/* Opens a listening TCP socket on 'aux''s address inside the namespace; the
 * socket stays there, and the test's main thread accepts on it. */
struct listener {
    int family;
    const char *addr;
    int fd;
    int port;
};

static char *
listen_in_pod(void *l_)
{
    struct listener *l = l_;
    struct sockaddr_storage ss;
    socklen_t len;

    memset(&ss, 0, sizeof ss);
    if (l->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, l->addr, &sin->sin_addr);
        len = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
        sin6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, l->addr, &sin6->sin6_addr);
        len = sizeof *sin6;
    }

    l->fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0
        || bind(l->fd, (struct sockaddr *) &ss, len)
        || listen(l->fd, 1)
        || getsockname(l->fd, (struct sockaddr *) &ss, &len)) {
        return xasprintf("listening on %s: %s", l->addr,
                         ovs_strerror(errno));
    }
    l->port = ntohs(l->family == AF_INET
                    ? ((struct sockaddr_in *) &ss)->sin_port
                    : ((struct sockaddr_in6 *) &ss)->sin6_port);
    return NULL;
}

static void
set_timeouts(int fd)
{
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Connects from the default namespace to a listener in the pod, over the
 * veth, and exchanges a few bytes each way. */
static void
tcp_exchange(const struct netns *ns, int family, const char *pod_addr,
             const char *host_addr)
{
    struct listener l = { .family = family, .addr = pod_addr, .fd = -1 };
    if (!CHECK_OK(netns_run(ns, listen_in_pod, &l))) {
        goto out;
    }
    set_timeouts(l.fd);

    char *target = xasprintf(family == AF_INET ? "%s:%d" : "[%s]:%d",
                             pod_addr, l.port);
    struct sockaddr_storage ss;
    bool parsed = inet_parse_active(target, 0, &ss, false, NULL);
    free(target);
    if (!CHECK(parsed, "parsing the listener's address")) {
        goto out;
    }

    int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    set_timeouts(c);
    if (!CHECK(!connect(c, (struct sockaddr *) &ss, ss_length(&ss)),
               "connecting to %s port %d: %s", pod_addr, l.port,
               ovs_strerror(errno))) {
        close(c);
        goto out;
    }

    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    int a = accept(l.fd, (struct sockaddr *) &from, &from_len);
    if (CHECK(a >= 0, "accept: %s", ovs_strerror(errno))) {
        char buf[8] = "";
        struct ds peer = DS_EMPTY_INITIALIZER;
        ss_format_address_nobracks(&from, &peer);
        CHECK(!strcmp(ds_cstr(&peer), host_addr), "peer is %s, not %s",
              ds_cstr(&peer), host_addr);
        ds_destroy(&peer);

        set_timeouts(a);
        CHECK(write(c, "ping", 4) == 4, "write ping");
        CHECK(read(a, buf, 4) == 4 && !memcmp(buf, "ping", 4), "read ping");
        CHECK(write(a, "pong", 4) == 4, "write pong");
        memset(buf, 0, sizeof buf);
        CHECK(read(c, buf, 4) == 4 && !memcmp(buf, "pong", 4), "read pong");
        close(a);
    }
    close(c);
out:
    if (l.fd >= 0) {
        close(l.fd);
    }
}

static char *
pod_link_is_gone(void *aux OVS_UNUSED)
{
    struct net_link info;
    CHECK_ERROR(net_link_get("eth0", &info), "eth0", "no such interface");
    return NULL;
}

/* ---- the whole pod set-up ---- */

static void
test_pod(void)
{
    itest_case("veth into a namespace");
    if (itest_sh("ip netns add %s", ns_name)) {
        itest_fatal("ip netns add %s failed", ns_name);
    }
    struct netns *ns;
    char *error = netns_open(ns_path, &ns);
    if (error) {
        itest_fatal("%s", error);
    }

    CHECK_OK(net_veth_create(host_if, peer_if, NULL, 1400));
    CHECK_ERROR(net_veth_create(host_if, peer_if, NULL, 1400), host_if,
                "File exists");
    struct net_link info;
    if (CHECK_OK(net_link_get(host_if, &info))) {
        CHECK(info.mtu == 1400 && info.ifindex > 0 && !info.up,
              "host end: MTU %d ifindex %d up %d", info.mtu, info.ifindex,
              info.up);
    }
    CHECK_OK(net_link_move(peer_if, ns));
    CHECK_ERROR(net_link_get(peer_if, &info), peer_if, "no such interface");
    IN_NS(ns, configure_pod, NULL);

    itest_case("check with ip -j");
    CHECK(!itest_sh("ip -n %s -j link show dev eth0 | jq -e '.[0] | "
                    ".mtu == 1400 and .address == \"%s\" and "
                    "(.flags | index(\"UP\"))' >/dev/null", ns_name,
                    POD_MAC), "ip link: eth0 MTU, MAC, up");
    CHECK(!itest_sh("ip -n %s -j addr show dev eth0 | jq -e "
                    "'[.[0].addr_info[] | \"\\(.local)/\\(.prefixlen)\"] | "
                    "index(\"10.16.0.5/16\") and "
                    "index(\"fd00:10:16::5/64\")' >/dev/null", ns_name),
          "ip addr: eth0 addresses");
    CHECK(!itest_sh("ip -n %s -j -4 route show default | jq -e '.[0] | "
                    ".gateway == \"10.16.0.1\" and .dev == \"eth0\"' "
                    ">/dev/null", ns_name), "ip route: IPv4 default");
    CHECK(!itest_sh("ip -n %s -j -6 route show default | jq -e '.[0] | "
                    ".gateway == \"fd00:10:16::1\" and .dev == \"eth0\"' "
                    ">/dev/null", ns_name), "ip route: IPv6 default");

    itest_case("check with lib/net listings");
    IN_NS(ns, check_pod, NULL);

    itest_case("errors inside the namespace");
    IN_NS(ns, pod_errors, NULL);

    itest_case("TX checksum offload off");
    bool on = true;
    IN_NS(ns, tx_checksum_off, &on);
    CHECK(!on, "TX checksum offload still on");
    if (!itest_sh("command -v ethtool >/dev/null")) {
        CHECK(!itest_sh("ip netns exec %s ethtool -k eth0 | "
                        "grep -q '^tx-checksumming: off'", ns_name),
              "ethtool -k eth0 says tx-checksumming: off");
    }

    itest_case("TCP over the veth");
    struct net_ifaddr h4 = ifaddr("10.16.0.6/30");
    struct net_ifaddr h6 = ifaddr("fd00:10:16::6/126");
    CHECK_OK(net_addr_add(host_if, &h4));
    CHECK_OK(net_addr_add(host_if, &h6));
    CHECK_OK(net_link_set_up(host_if, true));
    tcp_exchange(ns, AF_INET, "10.16.0.5", "10.16.0.6");
    tcp_exchange(ns, AF_INET6, "fd00:10:16::5", "fd00:10:16::6");

    itest_case("delete");
    CHECK_OK(net_link_delete(host_if));
    CHECK_OK(net_link_delete(host_if));         /* Already gone: fine. */
    IN_NS(ns, pod_link_is_gone, NULL);          /* Its peer went too. */

    netns_close(ns);
    CHECK(!itest_sh("ip netns del %s", ns_name), "ip netns del");
}

/* ---- main ---- */

static int
run_tests(void)
{
    test_netns_errors();
    test_link_errors();
    test_pod();
    return itest_finish();
}

static pid_t child;

static void
forward_signal(int sig OVS_UNUSED)
{
    if (child > 0) {
        kill(child, SIGKILL);
    }
}

/* Removes whatever the tests may have left: the namespace (which takes the
 * pod end of the veth with it) and either end still in this namespace. */
static void
clean_up(void)
{
    itest_sh("ip netns del %s 2>/dev/null", ns_name);
    itest_sh("ip link del %s 2>/dev/null", host_if);
    itest_sh("ip link del %s 2>/dev/null", peer_if);
}

int
main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    verbose = argc > 1 && !strcmp(argv[1], "-v");

    int pid = getpid();
    ns_name = xasprintf("kovn-nettest-%d", pid);
    ns_path = xasprintf("/var/run/netns/%s", ns_name);
    host_if = xasprintf("kntv%d", pid);
    peer_if = xasprintf("kntp%d", pid);

    fflush(stdout);
    child = fork();
    if (child < 0) {
        ovs_fatal(errno, "fork");
    } else if (!child) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        exit(run_tests());
    }

    struct sigaction sa = { .sa_handler = forward_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    clean_up();
    free(ns_name);
    free(ns_path);
    free(host_if);
    free(peer_if);

    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    printf("tests killed by signal %d\n", WTERMSIG(status));
    printf("0 passed, 1 failed\n");
    return EXIT_FAILURE;
}
