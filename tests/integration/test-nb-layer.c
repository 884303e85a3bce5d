/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* kovn-controller's NB layer (controller/nb/) against a real NB
 * (ovn-env.sh): switch ports, static routes, router policies, address
 * sets, port groups and ACLs are made, changed (members by element) and
 * removed per owner, and rows that are not kovn's, or another owner's, are
 * never touched.
 *
 * Usage: test-nb-layer [-v] [--list] [CASE...]   (KOVN_TEST_DIR: where
 * ovn-env.sh is) */

#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "nb/nb-acl.h"
#include "nb/nb-index.h"
#include "nb/nb-router.h"
#include "nb/nb-switch.h"
#include "ovn-nb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

static const char *env_script;
static char *dir;
static struct ovn_idl *nb;
static struct nb_index *nbi;

static void
cleanup(void)
{
    if (dir) {
        nb_index_destroy(nbi);
        ovn_idl_destroy(nb);
        itest_sh("%s stop-all %s; rm -rf %s", env_script, dir, dir);
        free(dir);
        dir = NULL;
    }
}

/* Commits 't' and waits until the replica has what it wrote. */
static bool
commit(struct ovn_txn *t)
{
    enum ovsdb_idl_txn_status status = ovn_txn_commit_block(t, 10000);
    unsigned int seqno = ovn_idl_seqno(nb);
    ovn_txn_destroy(t);
    if (status == TXN_SUCCESS) {
        ovn_idl_wait_change(nb, seqno, 2000);
    }
    return status == TXN_SUCCESS || status == TXN_UNCHANGED;
}

static char *
nbctl(const char *args)
{
    char *out = itest_nbctl(dir, "%s", args);
    return out ? out : xstrdup("(failed)");
}

static bool
nb_has(const char *args, const char *part)
{
    char *out = nbctl(args);
    bool has = strstr(out, part) != NULL;
    free(out);
    return has;
}

/* ---- switch ports ---- */

static void
ensure_port(const char *sw, const char *addresses)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_POD, "ns/p", OVN_OWNER_SUBNET, sw, NULL);
    struct nb_lsp_spec spec = {
        .name = "p.ns",
        .addresses = addresses,
        .port_security = true,
        .external_ids = &ids,
    };
    struct ovn_txn *t = ovn_txn_begin(nb);
    nb_lsp_ensure(t, nbi, nb_find_switch(nbi, sw), nb_find_lsp(nbi, "p.ns"),
                  &spec);
    CHECK(commit(t), "commit");
    smap_destroy(&ids);
}

static void
test_ports(void)
{
    free(nbctl("ls-add sw1 -- ls-add sw2 -- lsp-add sw1 foreign.ns -- "
               "lsp-set-addresses foreign.ns '0a:00:00:00:00:09 10.0.0.9'"));
    ovn_idl_wait_change(nb, ovn_idl_seqno(nb), 2000);

    ensure_port("sw1", "0a:00:00:00:00:01 10.0.0.1");
    CHECK(nb_has("lsp-list sw1", "(p.ns)"), "p.ns on sw1");
    CHECK(nb_has("get logical_switch_port p.ns port_security",
                 "0a:00:00:00:00:01 10.0.0.1"), "port_security");

    ensure_port("sw2", "0a:00:00:00:00:01 10.0.0.2");
    CHECK(!nb_has("lsp-list sw1", "(p.ns)") && nb_has("lsp-list sw2",
                                                      "(p.ns)"),
          "moved to sw2");
    CHECK(nb_has("get logical_switch_port p.ns addresses", "10.0.0.2"),
          "new address");

    struct ovn_txn *t = ovn_txn_begin(nb);
    nb_lsp_delete(nbi, nb_find_lsp(nbi, "p.ns"));
    CHECK(commit(t), "commit");
    CHECK(!nb_has("--bare --columns=name list logical_switch_port", "p.ns\n")
          && nb_has("lsp-list sw1", "(foreign.ns)"),
          "p.ns gone, the foreign port kept");
}

/* ---- routes and policies ---- */

static void
routes(const char *owner, const char *prefix, const char *nexthop)
{
    struct ovn_txn *t = ovn_txn_begin(nb);
    nb_routes_ensure(t, nb_find_router(nbi, "r"), OVN_OWNER_NODE, owner,
                     prefix, nexthop);
    CHECK(commit(t), "commit");
}

static void
test_routes(void)
{
    free(nbctl("--may-exist lr-add r -- --id=@x create "
               "logical_router_static_route ip_prefix=192.0.2.99/32 nexthop=100.64.0.99 "
               "external_ids:node=a -- add logical_router r static_routes "
               "@x"));
    ovn_idl_wait_change(nb, ovn_idl_seqno(nb), 2000);

    routes("a", "192.0.2.1/32", "100.64.0.2");
    routes("b", "192.0.2.2/32", "100.64.0.3");
    char *out = nbctl("lr-route-list r");
    CHECK(strstr(out, "192.0.2.1") && strstr(out, "192.0.2.2")
          && strstr(out, "192.0.2.99"), "two owners' routes and the "
          "foreign one:\n%s", out);
    free(out);

    routes("a", "192.0.2.11/32", "100.64.0.2");
    out = nbctl("lr-route-list r");
    CHECK(strstr(out, "192.0.2.11") && !strstr(out, "192.0.2.1/")
          && !strstr(out, "192.0.2.1 ") && strstr(out, "192.0.2.2"),
          "a's route replaced, b's kept:\n%s", out);
    free(out);

    routes("a", NULL, NULL);
    out = nbctl("lr-route-list r");
    CHECK(!strstr(out, "192.0.2.11") && strstr(out, "192.0.2.99"),
          "a's route removed; the foreign row with node=a kept:\n%s", out);
    free(out);
}

static void
policies(const char *owner, const struct nb_policy_spec *want, size_t n)
{
    struct ovn_txn *t = ovn_txn_begin(nb);
    nb_policies_ensure(t, nb_find_router(nbi, "r"), OVN_OWNER_NODE, owner,
                       want, n);
    CHECK(commit(t), "commit");
}

static void
test_policies(void)
{
    free(nbctl("--may-exist lr-add r -- lr-policy-add r 31000 "
               "'ip4.src == 10.9.9.9' drop"));
    ovn_idl_wait_change(nb, ovn_idl_seqno(nb), 2000);
    const char *hop_a[] = { "100.64.0.2" };
    const char *hops_ecmp[] = { "100.64.0.2", "100.64.0.3" };
    struct nb_policy_spec want[] = {
        { 29000, "ip4.src == 10.16.0.5", "reroute", hop_a, 1 },
        { 29000, "ip4.src == 10.16.0.6", "reroute", hop_a, 1 },
    };
    policies("a", want, 2);
    policies("b", &(struct nb_policy_spec) { 28000, "ip4.src == 10.17.0.0/16",
                                             "allow", NULL, 0 }, 1);
    char *out = nbctl("lr-policy-list r");
    CHECK(strstr(out, "10.16.0.5") && strstr(out, "10.16.0.6")
          && strstr(out, "10.17.0.0/16") && strstr(out, "10.9.9.9"),
          "a's two, b's one, the foreign one:\n%s", out);
    free(out);

    want[1].nexthops = hops_ecmp;
    want[1].n_nexthops = 2;
    policies("a", &want[1], 1);
    out = nbctl("lr-policy-list r");
    CHECK(!strstr(out, "10.16.0.5") && strstr(out, "10.16.0.6")
          && strstr(out, "100.64.0.3"),
          "a: one policy, now with two next hops:\n%s", out);
    free(out);

    policies("a", NULL, 0);
    out = nbctl("lr-policy-list r");
    CHECK(!strstr(out, "10.16.0.6") && strstr(out, "10.17.0.0/16")
          && strstr(out, "10.9.9.9"), "a's gone; b's and the foreign one "
          "kept:\n%s", out);
    free(out);
}

/* ---- address sets, port groups, ACLs ---- */

static void
address_set(const char *name, const char *const *addrs, size_t n,
            bool expect_row)
{
    struct sset want = SSET_INITIALIZER(&want);
    for (size_t i = 0; i < n; i++) {
        sset_add(&want, addrs[i]);
    }
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP, "ns/np", NULL);
    struct ovn_txn *t = ovn_txn_begin(nb);
    const struct nbrec_address_set *as = nb_address_set_ensure(t, nbi, name,
                                                               &ids, &want);
    CHECK((as != NULL) == expect_row, "%s: %s", name,
          expect_row ? "kovn's" : "not kovn's, refused");
    CHECK(commit(t), "commit");
    smap_destroy(&ids);
    sset_destroy(&want);
}

static void
test_address_sets(void)
{
    free(nbctl("create address_set name=foreign_as addresses=10.0.0.1"));
    ovn_idl_wait_change(nb, ovn_idl_seqno(nb), 2000);

    const char *a[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3" };
    address_set("kovn_as", a, 3, true);
    CHECK(nb_has("get address_set kovn_as addresses", "10.0.0.3"),
          "three addresses");
    const char *b[] = { "10.0.0.2", "10.0.0.4" };
    address_set("kovn_as", b, 2, true);
    char *out = nbctl("get address_set kovn_as addresses");
    CHECK(!strcmp(out, "[\"10.0.0.2\", \"10.0.0.4\"]"),
          "by element: %s", out);
    free(out);
    address_set("foreign_as", b, 2, false);
    CHECK(nb_has("get address_set foreign_as addresses", "10.0.0.1")
          && !nb_has("get address_set foreign_as addresses", "10.0.0.4"),
          "the foreign set untouched");

    struct ovn_txn *t = ovn_txn_begin(nb);
    CHECK(nb_address_set_remove(nbi, "kovn_as")
          && !nb_address_set_remove(nbi, "foreign_as"), "removals");
    CHECK(commit(t), "commit");
    CHECK(!nb_has("--bare --columns=name list address_set", "kovn_as")
          && nb_has("--bare --columns=name list address_set", "foreign_as"),
          "kovn's set gone, the foreign one kept");
}

static void
test_port_groups(void)
{
    free(nbctl("ls-add pgsw -- lsp-add pgsw pa -- lsp-add pgsw pb -- "
               "lsp-add pgsw pc"));
    ovn_idl_wait_change(nb, ovn_idl_seqno(nb), 2000);
    const struct nbrec_logical_switch_port *ports[] = {
        nb_find_lsp(nbi, "pa"), nb_find_lsp(nbi, "pb"),
        nb_find_lsp(nbi, "pc"),
    };
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, OVN_OWNER_NP, "ns/np", NULL);

    struct ovn_txn *t = ovn_txn_begin(nb);
    const struct nbrec_port_group *pg = nb_port_group_ensure(t, nbi, "pg_np",
                                                             &ids, ports, 2, NULL);
    struct nb_acl_spec acls[] = {
        { "to-lport", 2001, "outport == @pg_np && ip4", "drop",
          .name = "np-deny" },
        { "to-lport", 2002, "outport == @pg_np && ip4.src == $kovn_peers",
          "allow-related" },
    };
    nb_acls_ensure(t, pg, OVN_OWNER_NP, "ns/np", acls, 2);
    CHECK(commit(t), "commit");
    char *out = nbctl("acl-list pg_np");
    CHECK(strstr(out, "drop") && strstr(out, "allow-related"),
          "two ACLs:\n%s", out);
    free(out);
    pg = nb_find_port_group(nbi, "pg_np");
    CHECK(pg && pg->n_ports == 2 && pg->n_acls == 2, "two ports, two ACLs");

    /* One port more, one ACL changed in its action, one gone. */
    pg = nb_find_port_group(nbi, "pg_np");
    t = ovn_txn_begin(nb);
    nb_port_group_ensure(t, nbi, "pg_np", &ids, ports + 1, 2, NULL);
    acls[0].action = "reject";
    nb_acls_ensure(t, pg, OVN_OWNER_NP, "ns/np", acls, 1);
    CHECK(commit(t), "commit");
    out = nbctl("acl-list pg_np");
    CHECK(strstr(out, "reject") && !strstr(out, "allow-related"),
          "one ACL, rewritten:\n%s", out);
    free(out);
    pg = nb_find_port_group(nbi, "pg_np");
    bool has_a = false, has_c = false;
    for (size_t i = 0; pg && i < pg->n_ports; i++) {
        has_a |= pg->ports[i] == ports[0];
        has_c |= pg->ports[i] == ports[2];
    }
    CHECK(pg && pg->n_ports == 2 && !has_a && has_c, "ports pb, pc");

    t = ovn_txn_begin(nb);
    CHECK(nb_port_group_remove(nbi, "pg_np"), "removal");
    CHECK(commit(t), "commit");
    CHECK(!nb_has("--bare --columns=name list port_group", "pg_np")
          && !nb_has("list acl", "np-deny"), "the group and its ACLs gone");
    smap_destroy(&ids);
}

static const struct itest_case_def cases[] = {
    { "ports", test_ports },
    { "routes", test_routes },
    { "policies", test_policies },
    { "address-sets", test_address_sets },
    { "port-groups", test_port_groups },
};

static void
start(void)
{
    const char *tdir = getenv("KOVN_TEST_DIR");
    if (!tdir) {
        itest_fatal("KOVN_TEST_DIR is not set");
    }
    env_script = xasprintf("%s/ovn-env.sh", tdir);
    dir = xstrdup("/tmp/kovn-nbtest.XXXXXX");
    if (!mkdtemp(dir) || itest_sh("%s start-nb %s", env_script, dir)) {
        itest_fatal("could not start the NB");
    }
    atexit(cleanup);
    char *remote = xasprintf("unix:%s/nb.sock", dir);
    char *error = ovn_idl_create(&nbrec_idl_class, remote, true, &nb);
    free(remote);
    if (error) {
        itest_fatal("%s", error);
    }
    nbi = nb_index_create(nb->idl, NB_INDEX_ACL | NB_INDEX_LB);
    if (!ovn_idl_wait_synced(nb, 10000)) {
        itest_fatal("NB not synced");
    }
}

ITEST_MAIN(itest_main, cases, start, cleanup)
