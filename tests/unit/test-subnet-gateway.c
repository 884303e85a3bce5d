/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of the pure parts of a centralized gateway in kovn-controller:
 * a gateway's liveness from its Node and Lease (controller/gw-liveness.h),
 * and the Subnet status that reports it (controller/subnet-status.h). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gw-liveness.h"
#include "openvswitch/json.h"
#include "subnet-status.h"
#include "timeval.h"
#include "unit-json.h"
#include "util.h"
#include "util/json-util.h"

static struct json *
lease(const char *name, int duration_s)
{
    char *text = xasprintf("{'metadata':{'name':'%s','namespace':"
                           "'kube-system'},'spec':{'holderIdentity':'n1',"
                           "'leaseDurationSeconds':%d,'renewTime':"
                           "'2026-12-05T17:00:00.000000Z'},'status':{}}",
                           name, duration_s);
    struct json *j = unit_json(text);
    free(text);
    return j;
}

static void
test_lease(void **state OVS_UNUSED)
{
    struct json *l = lease("kovn-daemon-n1", 3);
    assert_string_equal(gw_lease_node(l), "n1");
    long long int before = time_msec();
    gw_lease_transform(l);
    assert_null(json_get_member(l, "status"));      /* Dropped. */
    long long int until = gw_lease_expiry(l);
    assert_true(until >= before + 3000 && until <= time_msec() + 3000);

    struct json *other = lease("kovn-controller", 15);
    assert_null(gw_lease_node(other));
    struct json *bare = lease("kovn-daemon-", 3);
    assert_null(gw_lease_node(bare));

    /* Renewed in time: no change of liveness; after running out: one. */
    struct json *renewed = json_deep_clone(l);
    json_object_put(renewed, "kovnObservedMs",
                    json_integer_create(until - 1));
    assert_false(gw_lease_liveness_changed(l, renewed));
    json_object_put(renewed, "kovnObservedMs", json_integer_create(until));
    assert_true(gw_lease_liveness_changed(l, renewed));
    assert_true(gw_lease_liveness_changed(NULL, l));
    assert_true(gw_lease_liveness_changed(l, NULL));
    json_destroy(renewed);
    json_destroy(l);
    json_destroy(other);
    json_destroy(bare);
}

static void
test_node_ready(void **state OVS_UNUSED)
{
    struct json *node = unit_json(
        "{'metadata':{'name':'n1'},'status':{'conditions':["
        "{'type':'MemoryPressure','status':'False',"
        "'lastHeartbeatTime':'x'},"
        "{'type':'Ready','status':'True','lastHeartbeatTime':'x',"
        "'reason':'KubeletReady'}]}}");
    assert_true(gw_node_ready(node));
    struct json *st = CONST_CAST(struct json *,
                                 json_get_member(node, "status"));
    gw_node_conditions_transform(st);
    char *s = json_to_string(st, JSSF_SORT);
    assert_string_equal(s, "{\"conditions\":[{\"status\":\"True\","
                        "\"type\":\"Ready\"}]}");
    free(s);
    assert_true(gw_node_ready(node));
    json_destroy(node);

    node = unit_json("{'status':{'conditions':[{'type':'Ready',"
                     "'status':'Unknown'}]}}");
    assert_false(gw_node_ready(node));
    json_destroy(node);
    node = unit_json("{'status':{}}");
    assert_false(gw_node_ready(node));
    json_destroy(node);
}

static struct json *
patch_of(const char *status, struct subnet_status *st)
{
    char *text = xasprintf("{'metadata':{'name':'s'},'status':%s}", status);
    struct json *obj = unit_json(text);
    struct json *patch = subnet_status_patch(obj, st);
    json_destroy(obj);
    free(text);
    return patch;
}

static void
test_status(void **state OVS_UNUSED)
{
    struct subnet_status st = {
        .ready = true, .reason = "ReconcileSuccess",
        .gateway = { SUBNET_GATEWAY_CONDITION, true, NULL, NULL },
        .active_gateway = xstrdup("n2"),
    };
    struct json *p = patch_of("{}", &st);
    assert_non_null(p);
    assert_string_equal(json_get_string(p, "status.activateGateway"), "n2");
    const struct json *conds = json_get_array(p, "status.conditions");
    assert_int_equal(json_array_n(conds), 2);
    assert_string_equal(json_get_string(conds->array.elems[1], "type"),
                        "GatewayReady");
    assert_string_equal(json_get_string(conds->array.elems[1], "reason"),
                        "GatewayReady");

    /* The status it wrote says so: nothing more to write. */
    struct json *status = json_deep_clone(json_get_member(p, "status"));
    json_object_put(status, "v4availableIPs", json_integer_create(0));
    json_object_put(status, "v4usingIPs", json_integer_create(0));
    char *text = json_to_string(status, 0);
    struct json *again = patch_of(text, &st);
    assert_null(again);

    /* Failing over: the active node and the condition change. */
    free(st.active_gateway);
    st.active_gateway = xstrdup("");
    st.gateway = (struct subnet_condition) {
        SUBNET_GATEWAY_CONDITION, false, "NoGatewayAlive", xstrdup("none") };
    again = patch_of(text, &st);
    assert_non_null(again);
    assert_string_equal(json_get_string(again, "status.activateGateway"),
                        "");
    conds = json_get_array(again, "status.conditions");
    assert_string_equal(json_get_string(conds->array.elems[1], "status"),
                        "False");
    assert_string_equal(json_get_string(conds->array.elems[1], "reason"),
                        "NoGatewayAlive");
    json_destroy(again);
    free(text);
    json_destroy(status);
    json_destroy(p);
    subnet_status_destroy(&st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_node_ready),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
