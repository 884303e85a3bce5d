/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* lib/ovn against real OVN NB ovsdb-servers (standalone and a 3-member raft
 * cluster) that ovn-env.sh starts in a temporary directory.
 *
 * The tests run in a child process; the parent only waits for it and then
 * stops every daemon and removes the directory, so that a crash, a failed
 * assertion or meson's timeout (SIGTERM) leaves nothing behind.
 *
 * Usage: test-ovn-nb [-v] [TEST...]   (KOVN_TEST_DIR: where ovn-env.sh is) */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovn-nb-idl.h"
#include "ovn-sb-idl.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-names.h"
#include "ovn/ovn-owner.h"
#include "smap.h"
#include "timeval.h"
#include "util.h"

#define TIMEOUT_MS 10000        /* For anything that should be quick. */

/* ---- harness ---- */

static const char *env_script;  /* $KOVN_TEST_DIR/ovn-env.sh */
static char *root;              /* Temporary directory of this run. */
static char *dir;               /* The current test's directory in 'root'. */
static bool failed;             /* The current test failed. */

/* What a test holds, freed after it whether it passes or not. */
static struct ovn_idl *nb, *idl2;
static struct ovn_txn *txn;

static void OVS_PRINTF_FORMAT(4, 5)
fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list args;

    fprintf(stderr, "    %s:%d: %s", file, line, what);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    failed = true;
}

/* CHECK(cond[, fmt, ...]): on failure, says why and ends the test. */
#define CHECK(COND, ...)                                                \
    do {                                                                \
        if (!(COND)) {                                                  \
            fail(__FILE__, __LINE__, #COND, " " __VA_ARGS__);           \
            return;                                                     \
        }                                                               \
    } while (0)

#define CHECK_STREQ(A, B)                                               \
    do {                                                                \
        const char *a_ = (A), *b_ = (B);                                \
        if (!a_ || !b_ || strcmp(a_, b_)) {                             \
            fail(__FILE__, __LINE__, #A, " is \"%s\", expected \"%s\"", \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
            return;                                                     \
        }                                                               \
    } while (0)

#define CHECK_STATUS(STATUS, EXPECTED)                                  \
    do {                                                                \
        enum ovsdb_idl_txn_status s_ = (STATUS);                        \
        if (s_ != (EXPECTED)) {                                         \
            fail(__FILE__, __LINE__, #STATUS, " is %s, expected %s (%s)", \
                 ovsdb_idl_txn_status_to_string(s_),                    \
                 ovsdb_idl_txn_status_to_string(EXPECTED),              \
                 txn && ovn_txn_error(txn) ? ovn_txn_error(txn) : "");  \
            return;                                                     \
        }                                                               \
    } while (0)

/* Runs "sh -c CMD" with its output in '*out' (caller frees) or, if 'out'
 * is NULL, printed when it fails; returns its exit status, or -1. */
static int OVS_PRINTF_FORMAT(2, 3)
run(char **out, const char *fmt, ...)
{
    struct ds cmd = DS_EMPTY_INITIALIZER;
    va_list args;

    va_start(args, fmt);
    ds_put_format_valist(&cmd, fmt, args);
    va_end(args);
    ds_put_cstr(&cmd, " 2>&1");

    FILE *stream = popen(ds_cstr(&cmd), "r");
    if (!stream) {
        ds_destroy(&cmd);
        return -1;
    }
    struct ds output = DS_EMPTY_INITIALIZER;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stream)) > 0) {
        ds_put_buffer(&output, buf, n);
    }
    int status = pclose(stream);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code && (getenv("KOVN_TEST_VERBOSE") || !out)) {
        fprintf(stderr, "    $ %s -> %d\n%s", ds_cstr(&cmd), code,
                ds_cstr(&output));
    }
    ds_chomp(&output, '\n');
    if (out) {
        *out = ds_steal_cstr(&output);
    }
    ds_destroy(&output);
    ds_destroy(&cmd);
    return code;
}

/* Runs "ovn-env.sh CMD DIR [ARG]" for the current test. */
static int
env(char **out, const char *cmd, const char *arg)
{
    return run(out, "%s %s %s %s", env_script, cmd, dir, arg ? arg : "");
}

static char *
nb_remote(void)
{
    return xasprintf("unix:%s/nb.sock", dir);
}

/* Connects 'remotes' with every table replicated and waits for the
 * replica; NULL on failure. */
static struct ovn_idl *
connect_nb(const char *remotes)
{
    struct ovn_idl *oi;
    char *error = ovn_idl_create(&nbrec_idl_class, remotes, true, &oi);
    if (error) {
        fprintf(stderr, "    %s\n", error);
        free(error);
        return NULL;
    }
    if (!ovn_idl_wait_synced(oi, TIMEOUT_MS)) {
        fprintf(stderr, "    %s: not synced after %d ms (state %s)\n",
                remotes, TIMEOUT_MS,
                ovn_idl_state_to_string(ovn_idl_state(oi)));
        ovn_idl_destroy(oi);
        return NULL;
    }
    return oi;
}

static const struct nbrec_logical_switch *
find_switch(const struct ovn_idl *oi, const char *name)
{
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, oi->idl) {
        if (!strcmp(ls->name, name)) {
            return ls;
        }
    }
    return NULL;
}

static const struct nbrec_logical_switch_port *
find_port(const struct ovn_idl *oi, const char *name)
{
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, oi->idl) {
        if (!strcmp(lsp->name, name)) {
            return lsp;
        }
    }
    return NULL;
}

/* Adds to 't' a kovn switch 'name' for subnet 'name'. */
static const struct nbrec_logical_switch *
insert_switch(struct ovn_txn *t, const char *name)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    const struct nbrec_logical_switch *ls;

    ovn_owner_init(&ids, OVN_OWNER_SUBNET, name, NULL);
    ls = nbrec_logical_switch_insert(t->txn);
    nbrec_logical_switch_set_name(ls, name);
    nbrec_logical_switch_set_external_ids(ls, &ids);
    smap_destroy(&ids);
    return ls;
}

/* Adds to 't' pod 'pod' in 'ns''s port on 'ls' with 'address'. */
static void
insert_pod_port(struct ovn_txn *t, const struct nbrec_logical_switch *ls,
                const char *pod, const char *ns, const char *address)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    char *name = ovn_name_pod_port(pod, ns);
    const struct nbrec_logical_switch_port *lsp;

    ovn_owner_init(&ids, OVN_OWNER_POD, pod, OVN_OWNER_NAMESPACE, ns, NULL);
    lsp = nbrec_logical_switch_port_insert(t->txn);
    nbrec_logical_switch_port_set_name(lsp, name);
    nbrec_logical_switch_port_set_addresses(lsp, &address, 1);
    nbrec_logical_switch_port_set_external_ids(lsp, &ids);
    nbrec_logical_switch_update_ports_addvalue(ls, lsp);
    smap_destroy(&ids);
    free(name);
}

/* Commits a new kovn switch 'name' through 'oi' and waits for the result. */
static enum ovsdb_idl_txn_status
add_switch(struct ovn_idl *oi, const char *name)
{
    ovn_txn_destroy(txn);
    txn = ovn_txn_begin(oi);
    insert_switch(txn, name);
    return ovn_txn_commit_block(txn, TIMEOUT_MS);
}

/* ---- tests ---- */

static void
test_names(void)
{
    char *s;

    CHECK_STREQ(OVN_CLUSTER_ROUTER, "ovn-cluster");
    CHECK_STREQ(OVN_DEFAULT_SWITCH, "ovn-default");
    CHECK_STREQ(OVN_JOIN_SWITCH, "join");

    s = ovn_name_router_port(OVN_CLUSTER_ROUTER, OVN_DEFAULT_SWITCH);
    bool ok = !strcmp(s, "ovn-cluster-ovn-default");
    free(s);
    CHECK(ok);
    s = ovn_name_switch_port(OVN_JOIN_SWITCH, OVN_CLUSTER_ROUTER);
    ok = !strcmp(s, "join-ovn-cluster");
    free(s);
    CHECK(ok);
    s = ovn_name_pod_port("web-0", "default");
    ok = !strcmp(s, "web-0.default");
    free(s);
    CHECK(ok);
    s = ovn_name_node_port("kube-node-1");
    ok = !strcmp(s, "node-kube-node-1");
    free(s);
    CHECK(ok);
}

static void
test_owner(void)
{
    struct smap ids = SMAP_INITIALIZER(&ids);
    bool ok;

    CHECK(!ovn_owner_is_kovn(NULL));
    CHECK(!ovn_owner_is_kovn(&ids));

    smap_add(&ids, "neutron:network_name", "net1");
    smap_add(&ids, "pod", "web-0");
    ok = (!ovn_owner_is_kovn(&ids) && !ovn_owner_get(&ids, OVN_OWNER_POD)
          && !ovn_owner_matches(&ids, OVN_OWNER_POD, "web-0"));
    smap_replace(&ids, "vendor", "kube-ovn");
    ok = ok && !ovn_owner_is_kovn(&ids);
    smap_replace(&ids, "vendor", "kovnx");
    ok = ok && !ovn_owner_is_kovn(&ids);

    /* Stamping keeps the other keys. */
    ovn_owner_stamp(&ids);
    ok = ok && ovn_owner_is_kovn(&ids)
         && smap_get(&ids, "neutron:network_name")
         && ovn_owner_matches(&ids, OVN_OWNER_POD, "web-0")
         && !ovn_owner_matches(&ids, OVN_OWNER_POD, "web-1");
    smap_destroy(&ids);
    CHECK(ok, "stamp/get/matches on a foreign smap");

    /* Init replaces everything. */
    smap_init(&ids);
    smap_add(&ids, "stale", "x");
    ovn_owner_init(&ids, OVN_OWNER_POD, "web-0",
                   OVN_OWNER_NAMESPACE, "default", NULL);
    ok = (smap_count(&ids) == 3 && ovn_owner_is_kovn(&ids)
          && !smap_get(&ids, "stale")
          && ovn_owner_matches(&ids, OVN_OWNER_NAMESPACE, "default"));
    smap_destroy(&ids);
    CHECK(ok, "ovn_owner_init() gives vendor + the pairs only");
}

static void
test_bad_remote(void)
{
    static const char *bad[] = { "", "nb.sock", "bogus:/x", "punix:/x",
                                 "unix:/a.sock,ptcp:6641" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct ovn_idl *oi = (struct ovn_idl *) 1;
        char *error = ovn_idl_create(&nbrec_idl_class, bad[i], true, &oi);
        bool ok = error && !oi;
        free(error);
        ovn_idl_destroy(oi);
        CHECK(ok, "remote \"%s\" accepted", bad[i]);
    }
    char *error = ovn_idl_create(&nbrec_idl_class,
                                 "unix:/nonexistent/a.sock,tcp:127.0.0.1:1",
                                 true, &nb);
    CHECK(!error, "%s", error);
    CHECK(nb && ovn_idl_state(nb) == OVN_IDL_CONNECTING);
}

/* Create, read back, delete a kovn switch and port, with ovn-nbctl as a
 * second witness. */
static void
test_create_read_delete(void)
{
    char *remote = nb_remote();
    char *out = NULL;

    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    CHECK(nb);
    CHECK(ovn_idl_state(nb) == OVN_IDL_SYNCED);
    CHECK(!nbrec_logical_switch_first(nb->idl), "NB not empty");

    txn = ovn_txn_begin(nb);
    const struct nbrec_logical_switch *ls = insert_switch(txn, "sw0");
    insert_pod_port(txn, ls, "web-0", "default",
                    "00:00:00:00:00:01 10.16.0.2");
    CHECK_STATUS(ovn_txn_status(txn), TXN_UNCOMMITTED);
    CHECK_STATUS(ovn_txn_commit_block(txn, TIMEOUT_MS), TXN_SUCCESS);
    CHECK(!ovn_txn_error(txn));

    /* The replica has what was written, without another run. */
    ls = find_switch(nb, "sw0");
    CHECK(ls, "switch sw0 not in the replica");
    CHECK(ovn_owner_matches(&ls->external_ids, OVN_OWNER_SUBNET, "sw0"));
    CHECK(ls->n_ports == 1, "sw0 has %"PRIuSIZE" ports", ls->n_ports);
    const struct nbrec_logical_switch_port *lsp = ls->ports[0];
    CHECK_STREQ(lsp->name, "web-0.default");
    CHECK(lsp->n_addresses == 1);
    CHECK_STREQ(lsp->addresses[0], "00:00:00:00:00:01 10.16.0.2");
    CHECK(ovn_owner_is_kovn(&lsp->external_ids));
    CHECK_STREQ(ovn_owner_get(&lsp->external_ids, OVN_OWNER_NAMESPACE),
                "default");

    /* ovn-nbctl sees the same. */
    int rc = run(&out, "ovn-nbctl --db=%s show", remote);
    bool seen = (!rc && strstr(out, "(sw0)")
                 && strstr(out, "port web-0.default")
                 && strstr(out,
                           "addresses: [\"00:00:00:00:00:01 10.16.0.2\"]"));
    if (!seen) {
        fprintf(stderr, "    ovn-nbctl show:\n%s\n", out);
    }
    free(out);
    CHECK(seen, "ovn-nbctl show lacks sw0 or its port");
    rc = run(&out, "ovn-nbctl --db=%s get Logical_Switch_Port web-0.default "
             "external_ids:vendor", remote);
    seen = !rc && !strcmp(out, "kovn");
    free(out);
    CHECK(seen, "ovn-nbctl: vendor of web-0.default is not kovn");

    /* Delete: the port goes with its switch (ports are not root rows). */
    ovn_txn_destroy(txn);
    txn = ovn_txn_begin(nb);
    ls = find_switch(nb, "sw0");
    CHECK(ls && ovn_owner_is_kovn(&ls->external_ids));
    nbrec_logical_switch_delete(ls);
    CHECK_STATUS(ovn_txn_commit_block(txn, TIMEOUT_MS), TXN_SUCCESS);
    CHECK(!find_switch(nb, "sw0") && !find_port(nb, "web-0.default"),
          "deleted rows still in the replica");

    rc = run(&out, "ovn-nbctl --db=%s show", remote);
    seen = rc || *out;
    free(out);
    CHECK(!seen, "ovn-nbctl show is not empty after the delete");
    free(remote);
}

/* The main-loop way: commit, then learn the status from later runs. */
static void
test_async_commit(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);

    txn = ovn_txn_begin(nb);
    insert_switch(txn, "async");
    ovn_txn_commit(txn);
    /* Nothing can have answered yet: the reply is read by ovn_idl_run(). */
    CHECK_STATUS(ovn_txn_status(txn), TXN_INCOMPLETE);
    CHECK(!find_switch(nb, "async"), "uncommitted row visible");

    long long int deadline = time_msec() + TIMEOUT_MS;
    int loops = 0;
    while (ovn_txn_status(txn) == TXN_INCOMPLETE
           && time_msec() < deadline) {
        ovn_idl_run(nb);
        ovn_idl_wait(nb);
        ovn_txn_wait(txn);
        poll_timer_wait_until(deadline);
        poll_block();
        loops++;
    }
    CHECK_STATUS(ovn_txn_status(txn), TXN_SUCCESS);
    CHECK(ovn_idl_seqno(nb) != txn->seqno, "seqno did not move");
    CHECK(find_switch(nb, "async"));

    /* A transaction that writes nothing is UNCHANGED, at once. */
    ovn_txn_destroy(txn);
    txn = ovn_txn_begin(nb);
    ovn_txn_commit(txn);
    CHECK_STATUS(ovn_txn_status(txn), TXN_UNCHANGED);
}

/* The server refuses: two ports with one name (Logical_Switch_Port's name
 * is an index). */
static void
test_server_error(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);

    txn = ovn_txn_begin(nb);
    const struct nbrec_logical_switch *ls = insert_switch(txn, "dup");
    insert_pod_port(txn, ls, "p", "ns", "dynamic");
    insert_pod_port(txn, ls, "p", "ns", "dynamic");
    CHECK_STATUS(ovn_txn_commit_block(txn, TIMEOUT_MS), TXN_ERROR);
    const char *error = ovn_txn_error(txn);
    CHECK(error && strstr(error, "constraint violation"),
          "error message: %s", error ? error : "(none)");
    CHECK(strstr(error, "p.ns"), "error does not name the port: %s", error);
    CHECK(!find_switch(nb, "dup"), "a refused transaction left rows");
}

/* A verify that fails gives TRY_AGAIN; composing again after the replica
 * moves past the transaction's seqno succeeds. */
static void
test_verify_try_again(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    idl2 = connect_nb(remote);
    free(remote);
    CHECK(nb && idl2);
    CHECK_STATUS(add_switch(nb, "shared"), TXN_SUCCESS);
    CHECK(ovn_idl_wait_change(idl2, ovn_idl_seqno(idl2), TIMEOUT_MS)
          && find_switch(idl2, "shared"), "second client did not see it");

    /* Client 1 reads and verifies; client 2 writes first. */
    ovn_txn_destroy(txn);
    txn = ovn_txn_begin(nb);
    const struct nbrec_logical_switch *ls = find_switch(nb, "shared");
    nbrec_logical_switch_verify_external_ids(ls);
    nbrec_logical_switch_update_external_ids_setkey(ls, "writer", "one");

    struct ovn_txn *t2 = ovn_txn_begin(idl2);
    nbrec_logical_switch_update_external_ids_setkey(
        find_switch(idl2, "shared"), "writer", "two");
    enum ovsdb_idl_txn_status s2 = ovn_txn_commit_block(t2, TIMEOUT_MS);
    ovn_txn_destroy(t2);
    CHECK_STATUS(s2, TXN_SUCCESS);

    CHECK_STATUS(ovn_txn_commit_block(txn, TIMEOUT_MS), TXN_TRY_AGAIN);
    CHECK(ovn_idl_wait_change(nb, txn->seqno, TIMEOUT_MS));
    ls = find_switch(nb, "shared");
    CHECK_STREQ(smap_get(&ls->external_ids, "writer"), "two");

    ovn_txn_destroy(txn);
    txn = ovn_txn_begin(nb);
    nbrec_logical_switch_verify_external_ids(ls);
    nbrec_logical_switch_update_external_ids_setkey(ls, "writer", "one");
    CHECK_STATUS(ovn_txn_commit_block(txn, TIMEOUT_MS), TXN_SUCCESS);
    CHECK_STREQ(smap_get(&find_switch(nb, "shared")->external_ids, "writer"),
                "one");
    CHECK(ovn_owner_is_kovn(&find_switch(nb, "shared")->external_ids),
          "setkey lost vendor=kovn");
}

/* Rows another system made (ovn-nbctl here) are not kovn's. */
static void
test_foreign_rows(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    int rc = run(NULL, "ovn-nbctl --db=%s ls-add neutron-net "
                 "-- set Logical_Switch neutron-net "
                 "external_ids:'\"neutron:network_name\"'=net1 "
                 "-- lsp-add neutron-net web-0.default "
                 "-- set Logical_Switch_Port web-0.default "
                 "external_ids:pod=web-0 external_ids:vendor=neutron "
                 "-- ls-add bare -- lsp-add bare bare-port", remote);
    CHECK(!rc, "ovn-nbctl failed");
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);
    CHECK_STATUS(add_switch(nb, "ours"), TXN_SUCCESS);

    int n_ours = 0, n_foreign = 0;
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, nb->idl) {
        if (ovn_owner_is_kovn(&ls->external_ids)) {
            n_ours++;
            CHECK_STREQ(ls->name, "ours");
        } else {
            n_foreign++;
        }
    }
    CHECK(n_ours == 1 && n_foreign == 2, "%d ours, %d foreign",
          n_ours, n_foreign);

    const struct nbrec_logical_switch_port *lsp;
    lsp = find_port(nb, "web-0.default");
    CHECK(lsp && !ovn_owner_is_kovn(&lsp->external_ids));
    CHECK(!ovn_owner_get(&lsp->external_ids, OVN_OWNER_POD),
          "a foreign port's pod key counted as a kovn owner");
    lsp = find_port(nb, "bare-port");
    CHECK(lsp && !ovn_owner_is_kovn(&lsp->external_ids));
}

/* Replicate only what was asked for. */
static void
test_monitor_subset(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    int rc = run(NULL, "ovn-nbctl --db=%s ls-add a -- lsp-add a a1 "
                 "-- lr-add r -- lrp-add r r-a 00:00:00:00:00:01 10.0.0.1/24",
                 remote);
    CHECK(!rc, "ovn-nbctl failed");

    char *error = ovn_idl_create(&nbrec_idl_class, remote, false, &nb);
    free(remote);
    CHECK(!error, "%s", error);
    ovn_idl_monitor_table(nb, &nbrec_table_logical_switch);
    ovsdb_idl_add_column(nb->idl, &nbrec_logical_router_col_name);
    CHECK(ovn_idl_wait_synced(nb, TIMEOUT_MS));

    /* Logical_Switch's "ports" brings the ports' rows, but only their
     * UUIDs, so that the references resolve. */
    const struct nbrec_logical_switch *ls = find_switch(nb, "a");
    CHECK(ls, "switch a not replicated");
    CHECK(ls->n_ports == 1, "switch a has %"PRIuSIZE" ports", ls->n_ports);
    CHECK(!ls->ports[0]->name || !ls->ports[0]->name[0],
          "port name \"%s\" replicated", ls->ports[0]->name);

    const struct nbrec_logical_router *lr
        = nbrec_logical_router_first(nb->idl);
    CHECK(lr, "router not replicated");
    CHECK_STREQ(lr->name, "r");
    CHECK(lr->n_ports == 0, "Logical_Router ports replicated");
    CHECK(!nbrec_logical_router_port_first(nb->idl),
          "Logical_Router_Port rows replicated");

    /* Writes to replicated tables work. */
    CHECK_STATUS(add_switch(nb, "b"), TXN_SUCCESS);
    CHECK(find_switch(nb, "b"));
}

/* Waits, running 'oi', until its state is 'state'. */
static bool
wait_state(struct ovn_idl *oi, enum ovn_idl_state state, long long int ms)
{
    long long int deadline = time_msec() + ms;
    for (;;) {
        ovn_idl_run(oi);
        if (ovn_idl_state(oi) == state) {
            return true;
        } else if (time_msec() >= deadline) {
            return false;
        }
        ovn_idl_wait(oi);
        poll_timer_wait_until(MIN(deadline, time_msec() + 100));
        poll_block();
    }
}

/* The server restarts on the same db: the client reconnects by itself. */
static void
test_restart(void)
{
    char *remote = nb_remote();
    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);
    CHECK_STATUS(add_switch(nb, "before"), TXN_SUCCESS);

    CHECK(!env(NULL, "stop-nb", NULL));
    CHECK(wait_state(nb, OVN_IDL_RECONNECTING, TIMEOUT_MS),
          "state %s after the server stopped",
          ovn_idl_state_to_string(ovn_idl_state(nb)));
    CHECK(find_switch(nb, "before"), "replica lost while offline");
    CHECK_STATUS(add_switch(nb, "offline"), TXN_TRY_AGAIN);

    CHECK(!env(NULL, "start-nb", NULL));
    long long int start = time_msec();
    CHECK(ovn_idl_wait_synced(nb, TIMEOUT_MS), "no reconnect");
    fprintf(stderr, "    resynced %lld ms after the restart\n",
            time_msec() - start);
    CHECK(find_switch(nb, "before") && !find_switch(nb, "offline"));
    CHECK_STATUS(add_switch(nb, "after"), TXN_SUCCESS);
    CHECK(find_switch(nb, "after"));
}

/* A server that stops answering: the blocking commit times out, and with a
 * probe interval the client notices and reconnects. */
static void
test_probe_and_timeout(void)
{
    char *remote = nb_remote();
    char *pid = NULL;
    CHECK(!env(NULL, "start-nb", NULL));
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);
    CHECK(!env(&pid, "pid", "nb"));

    bool stopped = !run(NULL, "kill -STOP %s", pid);
    if (stopped) {
        txn = ovn_txn_begin(nb);
        insert_switch(txn, "frozen");
        long long int start = time_msec();
        enum ovsdb_idl_txn_status status = ovn_txn_commit_block(txn, 1000);
        long long int elapsed = time_msec() - start;

        /* Unix sockets get no probes by default: the connection looks
         * fine.  With probes it is dropped after about 2 intervals. */
        ovn_idl_set_probe_interval(nb, 1000);
        start = time_msec();
        bool dropped = wait_state(nb, OVN_IDL_RECONNECTING, TIMEOUT_MS);
        long long int detect = time_msec() - start;
        run(NULL, "kill -CONT %s", pid);
        free(pid);

        CHECK(status == TXN_INCOMPLETE, "status %s",
              ovsdb_idl_txn_status_to_string(status));
        CHECK(elapsed >= 1000 && elapsed < 3000,
              "1000 ms commit timeout took %lld ms", elapsed);
        CHECK(dropped, "probes did not drop the silent connection");
        CHECK(detect <= 4000, "took %lld ms to notice", detect);
        fprintf(stderr, "    silent server noticed after %lld ms\n", detect);
    } else {
        free(pid);
        CHECK(stopped, "could not SIGSTOP the NB");
    }

    /* The lost connection ended the in-flight transaction with TRY_AGAIN,
     * although the server, once resumed, may have applied it. */
    CHECK(ovn_idl_wait_synced(nb, TIMEOUT_MS), "no resync after SIGCONT");
    CHECK_STATUS(ovn_txn_status(txn), TXN_TRY_AGAIN);
    CHECK_STATUS(add_switch(nb, "thawed"), TXN_SUCCESS);
}

/* Writes keep working through the new leader when the leader dies. */
static void
test_raft_failover(void)
{
    char *remotes = NULL, *leader = NULL, *new_leader = NULL, *out = NULL;

    CHECK(!env(NULL, "start-nb-cluster", "3"), "cluster did not start");
    CHECK(!env(&remotes, "nb-remotes", NULL) && strstr(remotes, "nb3.sock"));
    nb = connect_nb(remotes);
    CHECK(nb);
    CHECK_STATUS(add_switch(nb, "before"), TXN_SUCCESS);

    CHECK(!env(&leader, "nb-leader", NULL), "no leader");
    CHECK(!env(NULL, "kill-nb-member", leader));
    fprintf(stderr, "    killed leader nb%s\n", leader);

    /* What a client does: compose again after TRY_AGAIN, once the replica
     * moved on. */
    long long int start = time_msec(), deadline = start + 45000;
    enum ovsdb_idl_txn_status status = TXN_TRY_AGAIN;
    int attempts = 0;
    while (time_msec() < deadline) {
        attempts++;
        status = add_switch(nb, "after");
        if (status != TXN_TRY_AGAIN) {
            break;
        }
        ovn_idl_wait_change(nb, txn->seqno, deadline - time_msec());
    }
    CHECK_STATUS(status, TXN_SUCCESS);
    fprintf(stderr, "    write succeeded %lld ms after the kill, "
            "attempt %d\n", time_msec() - start, attempts);
    CHECK(ovn_idl_state(nb) == OVN_IDL_SYNCED);

    CHECK(!env(&new_leader, "nb-leader", NULL), "no new leader");
    CHECK(strcmp(new_leader, leader), "leader is still nb%s", leader);
    int rc = run(&out, "ovn-nbctl --db=%s --no-leader-only ls-list", remotes);
    bool both = !rc && strstr(out, "(before)") && strstr(out, "(after)");
    if (!both) {
        fprintf(stderr, "    ovn-nbctl ls-list:\n%s\n", out);
    }
    free(out);
    free(remotes);
    free(leader);
    free(new_leader);
    CHECK(both, "the survivors do not have both switches");
}

/* ovn-northd turns kovn's switch into an SB datapath, seen through an SB
 * client that replicates one table. */
static void
test_northd_sb(void)
{
    char *remote = nb_remote();
    char *sb_remote = xasprintf("unix:%s/sb.sock", dir);
    CHECK(!env(NULL, "start-nb", NULL));
    CHECK(!env(NULL, "start-northd", NULL));
    nb = connect_nb(remote);
    free(remote);
    CHECK(nb);
    char *error = ovn_idl_create(&sbrec_idl_class, sb_remote, false, &idl2);
    free(sb_remote);
    CHECK(!error, "%s", error);
    ovn_idl_monitor_table(idl2, &sbrec_table_datapath_binding);
    CHECK(ovn_idl_wait_synced(idl2, TIMEOUT_MS));

    CHECK_STATUS(add_switch(nb, "sw-sb"), TXN_SUCCESS);
    long long int deadline = time_msec() + TIMEOUT_MS;
    const struct sbrec_datapath_binding *dp = NULL;
    while (!dp && time_msec() < deadline) {
        ovn_idl_wait_change(idl2, ovn_idl_seqno(idl2), deadline - time_msec());
        const struct sbrec_datapath_binding *d;
        SBREC_DATAPATH_BINDING_FOR_EACH (d, idl2->idl) {
            const char *name = smap_get(&d->external_ids, "name");
            if (name && !strcmp(name, "sw-sb")) {
                dp = d;
            }
        }
    }
    CHECK(dp, "no SB datapath for sw-sb");
    CHECK(dp->tunnel_key > 0);
}

/* ---- main ---- */

struct test {
    const char *name;
    void (*function)(void);
};

static const struct test tests[] = {
    { "names", test_names },
    { "owner", test_owner },
    { "bad-remote", test_bad_remote },
    { "create-read-delete", test_create_read_delete },
    { "async-commit", test_async_commit },
    { "server-error", test_server_error },
    { "verify-try-again", test_verify_try_again },
    { "foreign-rows", test_foreign_rows },
    { "monitor-subset", test_monitor_subset },
    { "restart", test_restart },
    { "probe-and-timeout", test_probe_and_timeout },
    { "northd-sb", test_northd_sb },
    { "raft-failover", test_raft_failover },
};

static bool
selected(const char *name, int argc, char *argv[])
{
    if (argc <= 1) {
        return true;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], name)) {
            return true;
        }
    }
    return false;
}

static int
run_tests(int argc, char *argv[])
{
    int n_passed = 0, n_failed = 0;

    for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
        const struct test *t = &tests[i];
        if (!selected(t->name, argc, argv)) {
            continue;
        }

        dir = xasprintf("%s/%s", root, t->name);
        if (mkdir(dir, 0700)) {
            ovs_fatal(errno, "%s", dir);
        }
        failed = false;
        long long int start = time_msec();
        t->function();

        ovn_txn_destroy(txn);
        ovn_idl_destroy(nb);
        ovn_idl_destroy(idl2);
        txn = NULL;
        nb = idl2 = NULL;
        if (run(NULL, "%s stop-all %s", env_script, dir)) {
            fprintf(stderr, "    ovn-env.sh stop-all failed\n");
            failed = true;
        }

        printf("%s %s (%lld ms)\n", failed ? "FAIL" : "ok  ", t->name,
               time_msec() - start);
        fflush(stdout);
        if (failed) {
            char *logs = NULL;
            run(&logs, "tail -n 5 %s/*.log", dir);
            fprintf(stderr, "%s\n", logs);
            free(logs);
        }
        *(failed ? &n_failed : &n_passed) += 1;
        free(dir);
        dir = NULL;
    }
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed || !n_passed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static pid_t child;

static void
forward_signal(int sig)
{
    if (child > 0) {
        kill(child, SIGKILL);
    }
    (void) sig;
}

/* Stops the daemons of every test directory in 'root', then removes it. */
static void
clean_up(void)
{
    DIR *d = opendir(root);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] != '.') {
                run(NULL, "%s stop-all %s/%s", env_script, root, de->d_name);
            }
        }
        closedir(d);
    }
    run(NULL, "rm -rf %s", root);
}

int
main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    if (argc > 1 && !strcmp(argv[1], "-v")) {
        argc--, argv++;
        setenv("KOVN_TEST_VERBOSE", "1", 1);
    } else {
        /* The IDL's reconnect messages at INFO would bury the results. */
        vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    }

    const char *test_dir = getenv("KOVN_TEST_DIR");
    if (!test_dir) {
        fprintf(stderr, "KOVN_TEST_DIR is not set\n");
        return EXIT_FAILURE;
    }
    env_script = xasprintf("%s/ovn-env.sh", test_dir);
    if (access(env_script, X_OK)) {
        fprintf(stderr, "%s: %s\n", env_script, strerror(errno));
        return EXIT_FAILURE;
    }
    char template[] = "/tmp/kovn-ovn-XXXXXX";
    if (!mkdtemp(template)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    root = xstrdup(template);

    child = fork();
    if (child < 0) {
        ovs_fatal(errno, "fork");
    } else if (!child) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        exit(run_tests(argc, argv));
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
    free(root);
    free((char *) env_script);

    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    printf("tests killed by signal %d\n", WTERMSIG(status));
    printf("0 passed, 1 failed\n");
    return EXIT_FAILURE;
}
