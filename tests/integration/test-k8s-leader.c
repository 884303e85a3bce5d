/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Leader election on a real Lease: candidates in separate processes. */

#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-leader.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

#define LEASE_MS 4000
#define RENEW_DEADLINE_MS 3000
#define RETRY_MS 500
#define MAX_CANDIDATES 3

/* Each candidate says here, in shared memory, whether it leads now. */
struct board {
    volatile int leading[MAX_CANDIDATES];
    volatile long long int since_ms[MAX_CANDIDATES];    /* Wall clock. */
};

static struct board *board;
static char *lease_name;
static volatile sig_atomic_t stop_requested;

static void
on_sigterm(int sig OVS_UNUSED)
{
    stop_requested = 1;
}

static void OVS_NO_RETURN
candidate(int id)
{
    signal(SIGTERM, on_sigterm);
    struct k8s_client *c = itest_k8s_client(NULL);
    char *identity = xasprintf("candidate-%d", id);
    struct k8s_leader_options options = {
        .namespace = "kube-system", .name = lease_name, .identity = identity,
        .lease_duration_ms = LEASE_MS, .renew_deadline_ms = RENEW_DEADLINE_MS,
        .retry_ms = RETRY_MS,
    };
    struct k8s_leader *l = k8s_leader_create(c, &options);

    while (!stop_requested) {
        k8s_client_run(c);
        k8s_leader_run(l);
        bool leading = k8s_leader_is_leader(l);
        if (leading != board->leading[id]) {
            board->since_ms[id] = time_wall_msec();
            board->leading[id] = leading;
        }
        k8s_client_wait(c);
        k8s_leader_wait(l);
        poll_timer_wait(100);       /* Notice SIGTERM. */
        poll_block();
    }
    k8s_leader_release(l, 5000);
    board->leading[id] = 0;
    k8s_leader_destroy(l);
    k8s_client_destroy(c);
    free(identity);
    exit(0);
}

static pid_t
start_candidate(int id)
{
    pid_t pid = fork();
    if (pid < 0) {
        itest_fatal("fork failed");
    } else if (pid == 0) {
        candidate(id);
    }
    return pid;
}

static int
n_leaders(int *who)
{
    int n = 0;
    for (int i = 0; i < MAX_CANDIDATES; i++) {
        if (board->leading[i]) {
            *who = i;
            n++;
        }
    }
    return n;
}

/* Waits up to 'timeout_ms' for exactly one leader other than 'not'. */
static int
wait_for_leader(int not, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;
    int who = -1;
    while (time_msec() < deadline) {
        if (n_leaders(&who) == 1 && who != not) {
            return who;
        }
        xnanosleep(20 * 1000 * 1000);
    }
    return -1;
}

static char *
lease_holder(void)
{
    struct k8s_client *c = itest_k8s_client(NULL);
    struct k8s_request *req = k8s_get(c, &k8s_leases, "kube-system",
                                      lease_name, NULL, NULL);
    const struct k8s_response *r = itest_wait(c, req);
    char *holder = nullable_xstrdup(json_get_string(r->body,
                                                    "spec.holderIdentity"));
    k8s_request_destroy(req);
    k8s_client_destroy(c);
    return holder;
}

int
main(void)
{
    lease_name = xasprintf("itest-leader-%ld", (long) getpid());
    board = mmap(NULL, sizeof *board, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (board == MAP_FAILED) {
        itest_fatal("mmap failed");
    }
    memset(board, 0, sizeof *board);

    itest_case("two candidates: exactly one leads");
    pid_t pids[MAX_CANDIDATES];
    pids[0] = start_candidate(0);
    pids[1] = start_candidate(1);
    int leader = wait_for_leader(-1, 15000);
    CHECK(leader >= 0, "a leader was elected");
    if (leader < 0) {
        kill(pids[0], SIGKILL);
        kill(pids[1], SIGKILL);
        return itest_finish();
    }

    /* Watch for a while: never two leaders, and the same one throughout. */
    int violations = 0, changes = 0, who = -1;
    for (int i = 0; i < 100; i++) {
        int n = n_leaders(&who);
        violations += n != 1;
        changes += n == 1 && who != leader;
        xnanosleep(30 * 1000 * 1000);
    }
    CHECK(!violations && !changes,
          "over 3 s: %d samples without exactly one leader, %d changes",
          violations, changes);
    char *holder = lease_holder();
    char *expected = xasprintf("candidate-%d", leader);
    CHECK(holder && !strcmp(holder, expected), "Lease holder %s (want %s)",
          holder ? holder : "(none)", expected);
    free(holder);
    free(expected);

    itest_case("leader killed: the other takes over within the lease time");
    long long int killed_ms = time_wall_msec();
    kill(pids[leader], SIGKILL);
    waitpid(pids[leader], NULL, 0);
    board->leading[leader] = 0;
    int successor = wait_for_leader(leader, 3 * LEASE_MS);
    CHECK(successor >= 0 && successor != leader, "candidate-%d took over",
          successor);
    if (successor >= 0) {
        long long int takeover_ms = board->since_ms[successor] - killed_ms;
        printf("  takeover %lld ms after kill -9 (lease %d ms, retry %d ms)\n",
               takeover_ms, LEASE_MS, RETRY_MS);
        /* The successor counts the lease from when it last saw the dead
         * leader renew: at most one retry period plus a request late. */
        CHECK(takeover_ms <= LEASE_MS + 2 * RETRY_MS + 1000,
              "takeover took %lld ms", takeover_ms);
    }

    itest_case("clean release: a waiting candidate takes over at once");
    int third = leader;                  /* Reuse the dead one's slot. */
    pids[third] = start_candidate(third);
    xnanosleep(2 * RETRY_MS * 1000LL * 1000);    /* It sees the holder. */
    CHECK(!board->leading[third], "the new candidate waits");
    long long int release_ms = time_wall_msec();
    if (successor >= 0) {
        kill(pids[successor], SIGTERM);
        waitpid(pids[successor], NULL, 0);
    }
    int next = wait_for_leader(successor, 3 * LEASE_MS);
    CHECK(next == third, "candidate-%d leads after the release", next);
    if (next == third) {
        long long int ms = board->since_ms[third] - release_ms;
        printf("  takeover %lld ms after a clean release\n", ms);
        CHECK(ms < LEASE_MS, "release made takeover faster than the lease "
              "(%lld ms)", ms);
    }
    kill(pids[third], SIGKILL);
    waitpid(pids[third], NULL, 0);

    free(lease_name);
    return itest_finish();
}
