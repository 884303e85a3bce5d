/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* The reconciler harness: kovn-controller's kinds, linked from its static
 * library, run against synthetic caches (objects the test puts there, as
 * informers would) and a real OVN NB (ovn-env.sh), with no apiserver: the
 * API writes and Events they make go to the controller's 'api_log', which
 * the cases read.  A case drives the controller's own loop until it is
 * idle (the kovn/sync condition), then checks NB and the log.
 *
 * Usage: test-reconciler [-v] [--list] [CASE...]   (all cases when none
 * is named; KOVN_TEST_DIR: where ovn-env.sh is) */

#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller.h"
#include "ovn/ovn-names.h"
#include "reconciler.h"
#include "itest.h"
#include "k8s/k8s-informer.h"
#include "openvswitch/json.h"
#include "openvswitch/poll-loop.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

static const char *env_script;
static char *dir;
static struct controller *c;
static size_t log_from;         /* LOG_FIND() looks from this line on. */

static void
cleanup(void)
{
    if (dir) {
        controller_destroy(c);
        itest_sh("%s stop-all %s; rm -rf %s", env_script, dir, dir);
        free(dir);
        dir = NULL;
    }
}

static void
run_cb(void *aux OVS_UNUSED)
{
    controller_run(c);
}

static void
wait_cb(void *aux OVS_UNUSED)
{
    controller_wait(c);
}

static bool
idle_cb(void *aux OVS_UNUSED)
{
    return controller_is_idle(c);
}

/* Runs the controller until it is idle. */
static bool
settle(void)
{
    return itest_loop(run_cb, wait_cb, idle_cb, NULL, 20000);
}

/* The first line of the API log that contains every one of 'parts' (up
 * to a NULL), or NULL. */
static const char *
log_find_v(const char *const *parts)
{
    for (size_t i = log_from; i < c->api_log.n; i++) {
        const char *line = c->api_log.names[i];
        bool all = true;
        for (const char *const *p = parts; *p && all; p++) {
            all = strstr(line, *p) != NULL;
        }
        if (all) {
            return line;
        }
    }
    return NULL;
}
#define LOG_FIND(...) log_find_v((const char *const[]) { __VA_ARGS__, NULL })

static bool
log_has_cb(void *parts)
{
    return log_find_v(parts) != NULL;
}

/* Runs the controller until the log has a line with all of 'parts' (for
 * writes that come after a delay, as a Subnet's status). */
#define WAIT_LOG(...)                                                   \
    itest_loop(run_cb, wait_cb, log_has_cb,                             \
               (void *) (const char *const[]) { __VA_ARGS__, NULL },    \
               10000)

static void
put(enum controller_input input, const char *text)
{
    struct json *obj = json_from_string(text);
    if (obj->type == JSON_STRING) {
        itest_fatal("bad JSON in the test: %s", json_string(obj));
    }
    k8s_informer_put(controller_cache(c, input), obj);
}

static bool
nb_is(const char *want, const char *args)
{
    return itest_nb_is(dir, want, args);
}

#define DEFAULT_SUBNET \
    "{\"metadata\":{\"name\":\"ovn-default\",\"resourceVersion\":\"1\"}," \
    "\"spec\":{\"default\":true,\"cidrBlock\":\"10.16.0.0/16\"," \
    "\"gateway\":\"10.16.0.1\",\"excludeIps\":[\"10.16.0.1\"]," \
    "\"protocol\":\"IPv4\",\"provider\":\"ovn\",\"vpc\":\"ovn-cluster\"," \
    "\"gatewayType\":\"distributed\"}}"

/* ---- cases ---- */

/* Start-up on empty NB (the program's set-up): the phases ran in order
 * and left the cluster router, the join switch and the default Subnet's
 * switch. */
static void
test_startup(void)
{
    CHECK(c->phase == PHASE_RUNNING, "phase %s",
          startup_phase_name(c->phase));
    CHECK(nb_is("kovn", "get logical_router ovn-cluster external_ids:vendor"),
          "cluster router");
    CHECK(nb_is("ovn-default", "get logical_switch ovn-default "
                "external_ids:subnet"), "default switch");
    CHECK(nb_is("join", "get logical_switch join external_ids:subnet"),
          "join switch");
    /* The default Subnet carries every default: no spec patch. */
    CHECK(!LOG_FIND("PATCH /apis/kubeovn.io/v1/subnets/ovn-default ",
                    "\"spec\""), "no defaults patch for a complete spec");
    CHECK(LOG_FIND("PATCH /apis/kubeovn.io/v1/subnets/ovn-default ",
                   "kubeovn.io/kube-ovn-controller"), "finalizer added");
}

/* The Pod kind alone: a pod gets a port, annotations and an IP resource,
 * its Subnet's status counts it, and all of it goes with the pod. */
static void
test_pod(void)
{
    put(IN_NODES, "{\"metadata\":{\"name\":\"n1\"}}");
    put(IN_PODS, "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns\","
        "\"resourceVersion\":\"5\"},\"spec\":{\"nodeName\":\"n1\"}}");
    CHECK(settle(), "idle");
    char *addresses = itest_nbctl(dir, "get logical_switch_port p1.ns "
                                  "addresses");
    CHECK(addresses && strstr(addresses, " 10.16.0.2\""),
          "p1.ns: %s", addresses ? addresses : "(none)");
    free(addresses);
    CHECK(nb_is("\"ns/p1\"", "get logical_switch_port p1.ns "
                "external_ids:pod"), "owner key");
    CHECK(LOG_FIND("PATCH /api/v1/namespaces/ns/pods/p1 ",
                   "\"ovn.kubernetes.io/allocated\":\"true\"",
                   "\"ovn.kubernetes.io/ip_address\":\"10.16.0.2\""),
          "annotations written");
    CHECK(LOG_FIND("POST /apis/kubeovn.io/v1/ips ", "\"p1.ns\"",
                   "\"v4IpAddress\":\"10.16.0.2\""), "IP resource created");
    CHECK(WAIT_LOG("PATCH /apis/kubeovn.io/v1/subnets/ovn-default/status ",
                   "\"v4usingIPs\":1"), "the Subnet's status counts it");

    k8s_informer_remove(controller_cache(c, IN_PODS), "ns/p1");
    CHECK(settle(), "idle");
    CHECK(nb_is("", "--bare --columns=_uuid find logical_switch_port "
                "name=p1.ns"), "port gone");
    CHECK(LOG_FIND("DELETE /apis/kubeovn.io/v1/ips/p1.ns"),
          "IP resource deleted");
    CHECK(WAIT_LOG("PATCH /apis/kubeovn.io/v1/subnets/ovn-default/status ",
                   "\"v4usingIPs\":0"), "the Subnet's status: released");
}

/* Bad input: a Subnet with a bad CIDR gets a status and an Event, no NB
 * rows; the controller goes on serving everyone else. */
static void
test_bad_subnet(void)
{
    put(IN_SUBNETS, "{\"metadata\":{\"name\":\"bad\",\"resourceVersion\":"
        "\"3\"},\"spec\":{\"cidrBlock\":\"10.300.0.0/16\"}}");
    CHECK(settle(), "idle");
    CHECK(LOG_FIND("EVENT Warning ValidateFailed", "10.300.0.0/16"),
          "Event");
    CHECK(LOG_FIND("PATCH /apis/kubeovn.io/v1/subnets/bad/status ",
                   "\"status\":\"False\""), "Ready=False");
    CHECK(nb_is("", "--bare --columns=_uuid find logical_switch name=bad"),
          "no switch");
    k8s_informer_remove(controller_cache(c, IN_SUBNETS), "bad");
    CHECK(settle(), "idle after its removal");
}

/* A Subnet with only a cidrBlock gets Kube-OVN's defaults written into its
 * spec, and its switch. */
static void
test_defaults(void)
{
    put(IN_SUBNETS, "{\"metadata\":{\"name\":\"bare\",\"resourceVersion\":"
        "\"4\"},\"spec\":{\"cidrBlock\":\"10.77.0.0/24\"}}");
    CHECK(settle(), "idle");
    CHECK(LOG_FIND("PATCH /apis/kubeovn.io/v1/subnets/bare ",
                   "\"gateway\":\"10.77.0.1\"", "\"protocol\":\"IPv4\"",
                   "\"provider\":\"ovn\"", "\"vpc\":\"ovn-cluster\"",
                   "\"gatewayType\":\"distributed\"",
                   "\"resourceVersion\":\"4\""),
          "defaults patch");
    CHECK(nb_is("\"10.77.0.0/24\"", "get logical_switch bare "
                "other_config:subnet"), "switch bare");
}

/* The Node kind: a port on the join switch and a route to the node. */
static void
test_node(void)
{
    put(IN_NODES, "{\"metadata\":{\"name\":\"n2\"},\"status\":{\"addresses\""
        ":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.12\"}]}}");
    CHECK(settle(), "idle");
    CHECK(nb_is("join", "get logical_switch_port node-n2 "
                "external_ids:subnet"), "node port on join, owned");
    char *routes = itest_nbctl(dir, "lr-route-list ovn-cluster");
    CHECK(routes && strstr(routes, "192.0.2.12"), "route: %s",
          routes ? routes : "(none)");
    free(routes);
    CHECK(LOG_FIND("PATCH /api/v1/nodes/n2 ",
                   "\"ovn.kubernetes.io/port_name\":\"node-n2\""),
          "node annotations");
}

/* The Namespace kind: a Namespace listed by a valid Subnet is bound to it,
 * any other to the default Subnet; a Subnet that stops listing it lets it
 * go back. */
static void
test_namespace(void)
{
    put(IN_SUBNETS, "{\"metadata\":{\"name\":\"sn\",\"resourceVersion\":"
        "\"6\"},\"spec\":{\"cidrBlock\":\"10.78.0.0/24\",\"namespaces\":"
        "[\"ns2\",\"ns3\"]}}");
    put(IN_NAMESPACES, "{\"metadata\":{\"name\":\"ns2\"}}");
    put(IN_NAMESPACES, "{\"metadata\":{\"name\":\"ns4\"}}");
    CHECK(settle(), "idle");
    CHECK(LOG_FIND("PATCH /api/v1/namespaces/ns2 ",
                   "\"ovn.kubernetes.io/logical_switch\":\"sn\"",
                   "\"ovn.kubernetes.io/cidr\":\"10.78.0.0/24\""),
          "ns2 bound to sn");
    CHECK(LOG_FIND("PATCH /api/v1/namespaces/ns4 ",
                   "\"ovn.kubernetes.io/logical_switch\":\"ovn-default\""),
          "ns4 bound to the default Subnet");

    log_from = c->api_log.n;
    put(IN_SUBNETS, "{\"metadata\":{\"name\":\"sn\",\"resourceVersion\":"
        "\"7\"},\"spec\":{\"cidrBlock\":\"10.78.0.0/24\",\"namespaces\":"
        "[\"ns3\"]}}");
    CHECK(settle(), "idle");
    CHECK(LOG_FIND("PATCH /api/v1/namespaces/ns2 ",
                   "\"ovn.kubernetes.io/logical_switch\":\"ovn-default\""),
          "ns2 back to the default Subnet");
    CHECK(!LOG_FIND("PATCH /api/v1/namespaces/ns4 "),
          "ns4, not named by the change, is not looked at");
    log_from = 0;
}

/* ---- Services: NB rows, and ovn-trace as the oracle ---- */

/* Port 'lsp''s MAC and IP, from its addresses in NB ("MAC IP"). */
static bool
port_addr(const char *lsp, char mac[32], char ip[64])
{
    char *a = itest_nbctl(dir, "get logical_switch_port %s addresses", lsp);
    bool ok = a && sscanf(a, "[\"%31s %63[^\"]\"]", mac, ip) == 2;
    free(a);
    return ok;
}

/* Puts pod 'name' on node n1 and returns its IP in 'ip'. */
static void
make_pod(const char *name, char ip[64])
{
    char *obj = xasprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":"
                          "\"ns\",\"resourceVersion\":\"5\"},\"spec\":"
                          "{\"nodeName\":\"n1\"}}", name);
    put(IN_PODS, obj);
    free(obj);
    CHECK(settle(), "idle");
    char mac[32], *port = xasprintf("%s.ns", name);
    if (!port_addr(port, mac, ip)) {
        itest_fatal("pod %s has no address in NB", name);
    }
    free(port);
}

/* ovn-trace of a 'proto' ("tcp", "udp") packet from port 'from' on switch
 * 'ls' to 'vip':'port'; 'lb_dst' picks the backend ("" lets ovn-trace
 * say). */
static char *
trace_to_vip(const char *ls, const char *from, const char *proto,
             const char *vip, int port, const char *lb_dst)
{
    char mac[32], ip[64];
    if (!port_addr(from, mac, ip)) {
        return xstrdup("(no such port)");
    }
    char *lrp = xasprintf("ovn-cluster-%s", ls);
    char *gw_mac = itest_nbctl(dir, "--bare --columns=mac list "
                               "logical_router_port %s", lrp);
    char *flow = xasprintf("inport == \"%s\" && eth.src == %s && "
                           "eth.dst == %s && ip4.src == %s && "
                           "ip4.dst == %s && ip.ttl == 64 && "
                           "%s.src == 33333 && %s.dst == %d",
                           from, mac, gw_mac ? gw_mac : "00:00:00:00:00:00",
                           ip, vip, proto, proto, port);
    /* A new connection: ovn-trace picks 'lb_dst' or the first backend. */
    char *opts = (lb_dst[0] ? xasprintf("--ct=new --lb-dst=%s", lb_dst)
                  : xstrdup("--ct=new"));
    char *out = itest_trace(dir, ls, opts, flow);
    free(opts);
    free(flow);
    free(gw_mac);
    free(lrp);
    return out;
}

#define SERVICE(NAME, CLUSTER_IP, EXTRA)                                \
    "{\"metadata\":{\"name\":\"" NAME "\",\"namespace\":\"ns\","       \
    "\"resourceVersion\":\"9\"},\"spec\":{\"clusterIP\":\""             \
    CLUSTER_IP "\",\"clusterIPs\":[\"" CLUSTER_IP "\"]," EXTRA "}}"

static void
put_slice(const char *name, const char *service, const char *ports,
          const char *endpoints)
{
    char *obj = xasprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":"
                          "\"ns\",\"labels\":{\"kubernetes.io/service-name\""
                          ":\"%s\"}},\"addressType\":\"IPv4\",\"ports\":%s,"
                          "\"endpoints\":%s}", name, service, ports,
                          endpoints);
    put(IN_ENDPOINTSLICES, obj);
    free(obj);
}

static bool
trace_reaches(const char *trace, const char *port)
{
    char *want = xasprintf("output to \"%s\"", port);
    bool ok = trace && strstr(trace, want);
    free(want);
    return ok;
}

/* The words of 's', sorted, one space apart (NULL: ""). */
static char *
sorted_words(const char *s)
{
    struct svec w = SVEC_EMPTY_INITIALIZER;
    svec_parse_words(&w, s ? s : "");
    svec_sort(&w);
    char *joined = svec_join(&w, " ", "");
    svec_destroy(&w);
    return joined;
}

/* Whether switch 'ls' carries exactly the Services' groups, all
 * OVN_SERVICES_LB_GROUPS of them, and NB has no other group. */
static bool
carries_all_groups(const char *ls)
{
    char *all = itest_nbctl(dir, "--bare --columns=_uuid list "
                            "load_balancer_group");
    char *has = itest_nbctl(dir, "--bare --columns=load_balancer_group "
                            "list logical_switch %s", ls);
    char *a = sorted_words(all), *h = sorted_words(has);
    struct svec n = SVEC_EMPTY_INITIALIZER;
    svec_parse_words(&n, a);
    bool ok = all && has && !strcmp(a, h)
              && n.n == OVN_SERVICES_LB_GROUPS;
    svec_destroy(&n);
    free(all);
    free(has);
    free(a);
    free(h);
    return ok;
}

/* A Service with two ports (a named targetPort resolved from the slice),
 * two ready endpoints and one not ready: a load balancer per protocol in
 * the group, on every switch; every VIP DNATs to every backend, from a pod
 * and from a node (the join switch); a pod reaches itself (hairpin). */
static void
test_service(void)
{
    char ip1[64], ip2[64], ip3[64];
    put(IN_NODES, "{\"metadata\":{\"name\":\"n1\"},\"status\":{\"addresses\""
        ":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.11\"}]}}");
    make_pod("web1", ip1);
    make_pod("web2", ip2);
    make_pod("client", ip3);
    put(IN_SERVICES, SERVICE("web", "10.96.0.10",
        "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\"},"
        "{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]"));
    char *eps = xasprintf("[{\"addresses\":[\"%s\"]},{\"addresses\":[\"%s\"],"
                          "\"conditions\":{\"ready\":true}},{\"addresses\":"
                          "[\"10.16.0.250\"],\"conditions\":{\"ready\":"
                          "false}}]", ip1, ip2);
    put_slice("web-abc", "web", "[{\"name\":\"http\",\"port\":8080},"
              "{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]", eps);
    free(eps);
    CHECK(settle(), "idle");

    char *want = xasprintf("\"%s:8080,%s:8080\"", ip1, ip2);
    CHECK(nb_is(want, "get load_balancer kovn-svc:ns/web:tcp "
                "vips:\\\"10.96.0.10:80\\\""), "tcp VIP: %s", want);
    free(want);
    want = xasprintf("\"%s:5353,%s:5353\"", ip1, ip2);
    CHECK(nb_is(want, "get load_balancer kovn-svc:ns/web:udp "
                "vips:\\\"10.96.0.10:53\\\""), "udp VIP: %s", want);
    free(want);
    CHECK(nb_is("\"true\"", "get load_balancer kovn-svc:ns/web:tcp "
                "options:reject"), "reject");
    CHECK(nb_is("\"ns/web\"", "get load_balancer kovn-svc:ns/web:tcp "
                "external_ids:service"), "owner");
    char *gname = ovn_name_services_lb_group(
        ovn_services_lb_group_of("ns/web"));
    char *lbs = itest_nbctl(dir, "--bare --columns=load_balancer list "
                            "load_balancer_group %s", gname);
    free(gname);
    char *tcp = itest_nbctl(dir, "--bare --columns=_uuid find load_balancer "
                            "'name=\"kovn-svc:ns/web:tcp\"'");
    CHECK(lbs && tcp && tcp[0] && strstr(lbs, tcp), "in the group");
    free(lbs);
    free(tcp);
    for (int i = 0; i < 2; i++) {
        const char *ls = i ? "join" : "ovn-default";
        CHECK(carries_all_groups(ls), "%s carries the %d groups", ls,
              OVN_SERVICES_LB_GROUPS);
    }

    for (int i = 0; i < 2; i++) {
        const char *ip = i ? ip2 : ip1, *port = i ? "web2.ns" : "web1.ns";
        char *dst = xasprintf("%s:8080", ip);
        char *t = trace_to_vip("ovn-default", "client.ns", "tcp",
                               "10.96.0.10", 80, dst);
        CHECK(trace_reaches(t, port), "client -> VIP:80 -> %s:\n%s", dst,
              t ? t : "");
        free(t);
        t = trace_to_vip("join", "node-n1", "tcp", "10.96.0.10", 80, dst);
        CHECK(trace_reaches(t, port), "node -> VIP:80 -> %s:\n%s", dst,
              t ? t : "");
        free(t);
        free(dst);
        dst = xasprintf("%s:5353", ip);
        t = trace_to_vip("ovn-default", "client.ns", "udp", "10.96.0.10", 53,
                         dst);
        CHECK(trace_reaches(t, port), "client -> VIP:53/udp -> %s:\n%s",
              dst, t ? t : "");
        free(t);
        free(dst);
    }
    char *dst = xasprintf("%s:8080", ip1);
    char *t = trace_to_vip("ovn-default", "web1.ns", "tcp", "10.96.0.10", 80,
                           dst);
    CHECK(trace_reaches(t, "web1.ns"), "hairpin: web1 -> VIP -> web1:\n%s",
          t ? t : "");
    free(t);
    free(dst);
}

/* No ready endpoint: the VIP stays, without backends, and refuses. */
static void
test_service_reject(void)
{
    put(IN_SERVICES, SERVICE("empty", "10.96.0.11",
                             "\"ports\":[{\"port\":80}]"));
    CHECK(settle(), "idle");
    CHECK(nb_is("\"\"", "get load_balancer kovn-svc:ns/empty:tcp "
                "vips:\\\"10.96.0.11:80\\\""), "VIP without backends");
    char ip[64];
    make_pod("client", ip);
    char *t = trace_to_vip("ovn-default", "client.ns", "tcp", "10.96.0.11",
                           80, "");
    CHECK(t && strstr(t, "tcp_reset"), "refused with a TCP reset:\n%s",
          t ? t : "");
    free(t);
}

/* ClientIP affinity: the backend is a hash of the client's address (see
 * controller/service.c for why not OVN's affinity_timeout). */
static void
test_service_affinity(void)
{
    char ip1[64];
    make_pod("web1", ip1);
    put(IN_SERVICES, SERVICE("sticky", "10.96.0.12",
        "\"ports\":[{\"port\":80}],\"sessionAffinity\":\"ClientIP\","
        "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":7}}"));
    char *eps = xasprintf("[{\"addresses\":[\"%s\"]}]", ip1);
    put_slice("sticky-1", "sticky", "[{\"port\":80}]", eps);
    free(eps);
    put(IN_SERVICES, SERVICE("plain", "10.96.0.13",
                             "\"ports\":[{\"port\":80}]"));
    CHECK(settle(), "idle");
    CHECK(nb_is("[ip_src]", "get load_balancer kovn-svc:ns/sticky:tcp "
                "selection_fields"), "hashed on the client's address");
    CHECK(nb_is("[]", "get load_balancer kovn-svc:ns/plain:tcp "
                "selection_fields"), "not another Service");
    char ip[64];
    make_pod("client", ip);
    char *t = trace_to_vip("ovn-default", "client.ns", "tcp", "10.96.0.12",
                           80, "");
    char *dnat = xasprintf("ct_lb_mark(backends=%s:80; hash_fields=\"ip_src\")",
                           ip1);
    CHECK(t && strstr(t, dnat), "DNAT by the client's address:\n%s",
          t ? t : "");
    CHECK(trace_reaches(t, "web1.ns"), "reaches the backend:\n%s",
          t ? t : "");
    free(dnat);
    free(t);
}

/* The _uuid and _version of every load balancer and group: a row rewritten
 * gets a new _version. */
static char *
lb_versions(void)
{
    char *out = NULL;
    itest_sh_out(&out, "ovsdb-client transact unix:%s/nb.sock "
                 "'[\"OVN_Northbound\",{\"op\":\"select\",\"table\":"
                 "\"Load_Balancer\",\"where\":[],\"columns\":[\"_uuid\","
                 "\"_version\"]},{\"op\":\"select\",\"table\":"
                 "\"Load_Balancer_Group\",\"where\":[],\"columns\":"
                 "[\"_version\"]}]'", dir);
    return out;
}

/* Later switches get the group; an edit of the ports drops the old VIPs; a
 * resync rewrites nothing; a deletion removes the load balancers. */
static void
test_service_lifecycle(void)
{
    put(IN_SUBNETS, "{\"metadata\":{\"name\":\"later\",\"resourceVersion\":"
        "\"4\"},\"spec\":{\"cidrBlock\":\"10.79.0.0/24\"}}");
    put(IN_SERVICES, SERVICE("edit", "10.96.0.14",
                             "\"ports\":[{\"port\":80}]"));
    CHECK(settle(), "idle");
    CHECK(carries_all_groups("later"), "a later switch carries them");

    put(IN_SERVICES, SERVICE("edit", "10.96.0.14",
                             "\"ports\":[{\"port\":81,\"protocol\":"
                             "\"UDP\"}]"));
    CHECK(settle(), "idle");
    CHECK(nb_is("", "--bare --columns=_uuid find load_balancer "
                "'name=\"kovn-svc:ns/edit:tcp\"'"), "tcp load balancer gone");
    CHECK(nb_is("{\"10.96.0.14:81\"=\"\"}", "get load_balancer "
                "kovn-svc:ns/edit:udp vips"), "udp VIP only");

    char *before = lb_versions();
    kind_enqueue_all(c->kinds[KIND_SERVICE]);
    CHECK(settle(), "idle after a resync");
    char *after = lb_versions();
    CHECK(before && after && !strcmp(before, after),
          "a resync rewrote no load balancer: %s / %s", before, after);
    free(before);
    free(after);

    k8s_informer_remove(controller_cache(c, IN_SERVICES), "ns/edit");
    CHECK(settle(), "idle");
    CHECK(nb_is("", "--bare --columns=_uuid find load_balancer "
                "external_ids:service=ns/edit"), "gone with the Service");
}

/* The node as its pods' gateway: their addresses in its address set, and
 * what they send out of the cluster goes to the node's ovn0 (ovn-trace);
 * what they send to other pods and to nodes does not. */
static void
test_gateway(void)
{
    put(IN_NODES, "{\"metadata\":{\"name\":\"gw-1\"},\"status\":"
        "{\"addresses\":[{\"type\":\"InternalIP\",\"address\":"
        "\"192.0.2.21\"}]}}");
    char ip[64];
    make_pod("client", ip);
    /* The pod as the API has it once kovn annotated it, on node gw-1. */
    char *obj = xasprintf("{\"metadata\":{\"name\":\"client\","
                          "\"namespace\":\"ns\",\"resourceVersion\":\"6\","
                          "\"annotations\":{\"ovn.kubernetes.io/ip_address\""
                          ":\"%s\"}},\"spec\":{\"nodeName\":\"gw-1\"}}", ip);
    put(IN_PODS, obj);
    free(obj);
    CHECK(settle(), "idle");
    char *want = xasprintf("[\"%s\"]", ip);
    CHECK(nb_is(want, "get address_set kovn.node.gw_1_ip4 addresses"),
          "the pod's address in its node's set");
    free(want);

    char mac[32], join_ip[64];
    CHECK(port_addr("node-gw-1", mac, join_ip), "node port");
    char *out = trace_to_vip("ovn-default", "client.ns", "tcp",
                             "198.51.100.7", 80, "");
    CHECK(out && strstr(out, join_ip) && trace_reaches(out, "node-gw-1"),
          "out of the cluster: to the node's ovn0 (%s):\n%s", join_ip,
          out ? out : "");
    free(out);
    out = trace_to_vip("ovn-default", "client.ns", "tcp", "192.0.2.21", 22,
                       "");
    CHECK(trace_reaches(out, "node-gw-1"), "to its node:\n%s",
          out ? out : "");
    free(out);

    k8s_informer_remove(controller_cache(c, IN_NODES), "gw-1");
    CHECK(settle(), "idle");
    CHECK(nb_is("", "--bare --columns=_uuid find address_set "
                "name=kovn.node.gw_1_ip4"), "set gone with the node");
    CHECK(nb_is("", "--bare --columns=_uuid find logical_router_policy "
                "external_ids:node=gw-1"), "policies gone with the node");
}

/* A cluster made by an earlier kovn has one group of Services,
 * "kovn-cluster-services", on its switches: once its load balancers are
 * in their own groups, it goes, and the switches keep the new ones. */
static void
test_service_v1_group(void)
{
    char *tcp = itest_nbctl(dir, "--bare --columns=_uuid find load_balancer "
                            "'name=\"kovn-svc:ns/web:tcp\"'");
    CHECK(tcp && tcp[0], "ns/web has its tcp load balancer");
    char *out = itest_nbctl(dir, "--id=@g create load_balancer_group "
                            "name=kovn-cluster-services load_balancer=%s "
                            "-- add logical_switch ovn-default "
                            "load_balancer_group @g -- add logical_switch "
                            "join load_balancer_group @g", tcp ? tcp : "");
    CHECK(out, "an old group made");
    free(out);
    CHECK(settle(), "idle");
    CHECK(nb_is("", "--bare --columns=_uuid find load_balancer_group "
                "name=kovn-cluster-services"), "the old group is gone");
    CHECK(carries_all_groups("ovn-default") && carries_all_groups("join"),
          "the switches carry the new groups, and only them");
    CHECK(nb_is(tcp ? tcp : "-", "--bare --columns=_uuid find load_balancer "
                "'name=\"kovn-svc:ns/web:tcp\"'"), "its load balancer stays");
    free(tcp);
}

static const struct itest_case_def cases[] = {
    { "startup", test_startup },
    { "pod", test_pod },
    { "bad-subnet", test_bad_subnet },
    { "defaults", test_defaults },
    { "node", test_node },
    { "namespace", test_namespace },
    { "service", test_service },
    { "service-reject", test_service_reject },
    { "service-affinity", test_service_affinity },
    { "service-lifecycle", test_service_lifecycle },
    { "service-v1-group", test_service_v1_group },
    { "gateway", test_gateway },
};

static void
start(void)
{
    env_script = getenv("KOVN_TEST_DIR")
                 ? xasprintf("%s/ovn-env.sh", getenv("KOVN_TEST_DIR"))
                 : NULL;
    if (!env_script) {
        itest_fatal("KOVN_TEST_DIR is not set");
    }
    dir = xstrdup("/tmp/kovn-rtest.XXXXXX");
    if (!mkdtemp(dir)) {
        itest_fatal("mkdtemp failed");
    }
    if (itest_sh("%s start-nb %s && %s start-northd %s", env_script, dir,
                 env_script, dir)) {
        itest_fatal("could not start the NB and ovn-northd");
    }

    struct controller_options o;
    controller_options_init(&o);
    o.nb_remotes = xasprintf("unix:%s/nb.sock", dir);
    o.identity = xstrdup("rtest");
    c = controller_create(&o, false, NULL);
    atexit(cleanup);

    put(IN_SUBNETS, DEFAULT_SUBNET);
    put(IN_NAMESPACES, "{\"metadata\":{\"name\":\"ns\"}}");
    for (int i = 0; i < N_INFORMERS; i++) {
        k8s_informer_set_synced(controller_cache(c, i));
    }
    if (!settle()) {
        itest_fatal("the controller did not settle after start-up");
    }
}

ITEST_MAIN(itest_main, cases, start, cleanup)
