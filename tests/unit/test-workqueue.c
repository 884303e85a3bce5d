/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* Unit tests of the work queue, with an injected clock except where the
 * poll loop itself is under test. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k8s/k8s-workqueue.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

struct fake_clock {
    long long int now;
};

static long long int
fake_now(void *aux)
{
    return ((struct fake_clock *) aux)->now;
}

static struct k8s_workqueue *
fake_queue(struct fake_clock *clock, long long int base, long long int max)
{
    struct k8s_workqueue *q = k8s_workqueue_create("test", base, max);
    k8s_workqueue_set_clock(q, fake_now, clock);
    return q;
}

/* Gets the next key, checks it is 'expected' (or that none is ready when
 * 'expected' is NULL), and marks it done. */
static void
expect_get_done(struct k8s_workqueue *q, const char *expected)
{
    const char *key = k8s_workqueue_get(q);
    if (!expected) {
        assert_null(key);
        return;
    }
    assert_non_null(key);
    assert_string_equal(key, expected);
    assert_true(k8s_workqueue_is_processing(q, expected));
    k8s_workqueue_done(q, key);
    assert_false(k8s_workqueue_is_processing(q, expected));
}

static void
test_dedup_and_fifo(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 1000 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    assert_null(k8s_workqueue_get(q));
    k8s_workqueue_add(q, "ns/a");
    k8s_workqueue_add(q, "ns/b");
    k8s_workqueue_add(q, "ns/a");
    k8s_workqueue_add(q, "ns/c");
    k8s_workqueue_add(q, "ns/b");
    assert_int_equal(k8s_workqueue_len(q), 3);
    assert_int_equal(k8s_workqueue_delayed(q), 0);

    expect_get_done(q, "ns/a");
    expect_get_done(q, "ns/b");
    expect_get_done(q, "ns/c");
    expect_get_done(q, NULL);
    assert_int_equal(k8s_workqueue_len(q), 0);
    k8s_workqueue_destroy(q);
}

static void
test_processing_exclusive(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    k8s_workqueue_add(q, "a");
    k8s_workqueue_add(q, "b");
    const char *a = k8s_workqueue_get(q);
    assert_string_equal(a, "a");
    assert_true(k8s_workqueue_is_processing(q, "a"));
    assert_false(k8s_workqueue_is_processing(q, "b"));

    /* Added twice while processing: not handed out again, queued once. */
    k8s_workqueue_add(q, "a");
    k8s_workqueue_add(q, "a");
    assert_int_equal(k8s_workqueue_len(q), 1);
    const char *b = k8s_workqueue_get(q);
    assert_string_equal(b, "b");
    assert_null(k8s_workqueue_get(q));

    /* The returned string stays valid while processing. */
    assert_string_equal(a, "a");
    k8s_workqueue_done(q, a);
    assert_int_equal(k8s_workqueue_len(q), 1);
    assert_false(k8s_workqueue_is_processing(q, "a"));

    /* b was not re-added: done() drops it. */
    k8s_workqueue_done(q, b);
    assert_int_equal(k8s_workqueue_len(q), 1);
    expect_get_done(q, "a");
    expect_get_done(q, NULL);

    /* done() for an unknown key is harmless. */
    k8s_workqueue_done(q, "never-seen");
    assert_int_equal(k8s_workqueue_len(q), 0);
    k8s_workqueue_destroy(q);
}

/* The backoff the header promises, computed independently. */
static long long int
expected_backoff(long long int base, long long int max, int n)
{
    double d = (double) base;
    for (int i = 1; i < n; i++) {
        d *= 2;
    }
    return d > (double) max ? max : (long long int) d;
}

static void
test_backoff_growth_and_cap(void **state OVS_UNUSED)
{
    const long long int base = 10, max = 1000;
    struct fake_clock clock = { 5000 };
    struct k8s_workqueue *q = fake_queue(&clock, base, max);

    for (int n = 1; n <= 12; n++) {
        long long int delay = expected_backoff(base, max, n);
        k8s_workqueue_add_rate_limited(q, "k");
        assert_int_equal(k8s_workqueue_num_requeues(q, "k"), n);
        assert_int_equal(k8s_workqueue_delayed(q), 1);
        assert_int_equal(k8s_workqueue_len(q), 0);

        clock.now += delay - 1;
        assert_null(k8s_workqueue_get(q));
        clock.now += 1;
        expect_get_done(q, "k");
        assert_int_equal(k8s_workqueue_delayed(q), 0);
    }
    /* Reached the cap at n = 8 (10 * 2^7 = 1280 > 1000). */
    assert_int_equal(expected_backoff(base, max, 12), max);

    /* forget() resets the count: the next failure waits 'base' again. */
    k8s_workqueue_forget(q, "k");
    assert_int_equal(k8s_workqueue_num_requeues(q, "k"), 0);
    k8s_workqueue_add_rate_limited(q, "k");
    assert_int_equal(k8s_workqueue_num_requeues(q, "k"), 1);
    clock.now += base - 1;
    assert_null(k8s_workqueue_get(q));
    clock.now += 1;
    expect_get_done(q, "k");

    /* Failures are per key. */
    assert_int_equal(k8s_workqueue_num_requeues(q, "other"), 0);
    k8s_workqueue_destroy(q);
}

static void
test_backoff_no_overflow(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);     /* Defaults. */

    for (int n = 1; n <= 200; n++) {
        k8s_workqueue_add_rate_limited(q, "k");
        k8s_workqueue_forget(q, "unrelated");
    }
    assert_int_equal(k8s_workqueue_num_requeues(q, "k"), 200);

    /* The default base is 5 ms: the first failure was due at 5 ms and the
     * key waits for the earliest request. */
    clock.now = 4;
    assert_null(k8s_workqueue_get(q));
    clock.now = 5;
    expect_get_done(q, "k");

    /* Now at the 300 s cap, not a wrapped-around negative delay. */
    k8s_workqueue_add_rate_limited(q, "k");
    clock.now += 300 * 1000 - 1;
    assert_null(k8s_workqueue_get(q));
    clock.now += 1;
    expect_get_done(q, "k");
    k8s_workqueue_destroy(q);
}

static void
test_add_after_order(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 100 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    k8s_workqueue_add_after(q, "c", 30);
    k8s_workqueue_add_after(q, "a", 10);
    k8s_workqueue_add_after(q, "b", 20);
    k8s_workqueue_add_after(q, "now", 0);        /* Not delayed at all. */
    assert_int_equal(k8s_workqueue_delayed(q), 3);
    assert_int_equal(k8s_workqueue_len(q), 1);
    expect_get_done(q, "now");

    clock.now = 109;
    assert_null(k8s_workqueue_get(q));
    clock.now = 115;
    expect_get_done(q, "a");
    expect_get_done(q, NULL);
    assert_int_equal(k8s_workqueue_delayed(q), 2);

    /* Both due: handed out earliest first. */
    clock.now = 200;
    expect_get_done(q, "b");
    expect_get_done(q, "c");
    expect_get_done(q, NULL);
    assert_int_equal(k8s_workqueue_delayed(q), 0);
    k8s_workqueue_destroy(q);
}

static void
test_add_after_earliest_wins(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    k8s_workqueue_add_after(q, "x", 50);
    k8s_workqueue_add_after(q, "x", 10);     /* Earlier: moves it up. */
    k8s_workqueue_add_after(q, "y", 10);
    k8s_workqueue_add_after(q, "y", 50);     /* Later: ignored. */
    assert_int_equal(k8s_workqueue_delayed(q), 2);

    clock.now = 10;
    const char *k1 = k8s_workqueue_get(q);
    const char *k2 = k8s_workqueue_get(q);
    assert_non_null(k1);
    assert_non_null(k2);
    assert_true((!strcmp(k1, "x") && !strcmp(k2, "y"))
                || (!strcmp(k1, "y") && !strcmp(k2, "x")));
    k8s_workqueue_done(q, k1);
    k8s_workqueue_done(q, k2);

    clock.now = 100;
    expect_get_done(q, NULL);
    assert_int_equal(k8s_workqueue_delayed(q), 0);
    k8s_workqueue_destroy(q);
}

static void
test_delayed_while_queued_or_processing(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    /* A queued key also waiting for a retry is processed now and again
     * when the retry falls due. */
    k8s_workqueue_add(q, "a");
    k8s_workqueue_add_after(q, "a", 10);
    assert_int_equal(k8s_workqueue_len(q), 1);
    assert_int_equal(k8s_workqueue_delayed(q), 1);
    expect_get_done(q, "a");
    expect_get_done(q, NULL);

    /* Falling due while processing: handed out only after done(). */
    clock.now = 5;
    k8s_workqueue_add(q, "b");
    const char *b = k8s_workqueue_get(q);
    assert_string_equal(b, "b");
    k8s_workqueue_add_after(q, "b", 1);
    clock.now = 20;
    expect_get_done(q, "a");
    assert_null(k8s_workqueue_get(q));
    k8s_workqueue_done(q, b);
    expect_get_done(q, "b");
    expect_get_done(q, NULL);
    k8s_workqueue_destroy(q);
}

/* Runs one poll_block() after the queue's and the test's waits; returns how
 * long it blocked. */
static long long int
timed_poll_block(const struct k8s_workqueue *q, long long int test_timer_ms)
{
    long long int start = time_msec();
    k8s_workqueue_wait(q);
    poll_timer_wait(test_timer_ms);
    poll_block();
    return time_msec() - start;
}

static void
test_wait_ready_wakes_immediately(void **state OVS_UNUSED)
{
    struct k8s_workqueue *q = k8s_workqueue_create("test", 0, 0);

    k8s_workqueue_add(q, "a");
    assert_true(timed_poll_block(q, 10 * 1000) < 5 * 1000);

    /* Once the key is taken nothing is ready: no wake-up. */
    const char *a = k8s_workqueue_get(q);
    assert_true(timed_poll_block(q, 50) >= 50);

    /* done() of a key re-added meanwhile makes it ready again. */
    k8s_workqueue_add(q, "a");
    k8s_workqueue_done(q, a);
    assert_true(timed_poll_block(q, 10 * 1000) < 5 * 1000);
    expect_get_done(q, "a");
    k8s_workqueue_destroy(q);
}

static void
test_wait_real_clock_delay(void **state OVS_UNUSED)
{
    struct k8s_workqueue *q = k8s_workqueue_create("test", 0, 0);

    long long int start = time_msec();
    k8s_workqueue_add_after(q, "late", 60);
    assert_null(k8s_workqueue_get(q));
    /* The queue's timer, not the test's 10 s one, ends the block. */
    while (!k8s_workqueue_get(q)) {
        assert_true(timed_poll_block(q, 10 * 1000) < 5 * 1000);
    }
    long long int elapsed = time_msec() - start;
    assert_true(elapsed >= 60);
    assert_true(k8s_workqueue_is_processing(q, "late"));
    k8s_workqueue_done(q, "late");
    k8s_workqueue_destroy(q);
}

static void
test_wait_fake_clock(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);

    /* An empty queue asks for no wake-up. */
    assert_true(timed_poll_block(q, 30) >= 30);

    /* Due in 100 s of the queue's clock: no early wake-up. */
    k8s_workqueue_add_after(q, "k", 100 * 1000);
    assert_true(timed_poll_block(q, 30) >= 30);

    /* Once the queue's clock passes the due time, wake at once. */
    clock.now = 100 * 1000;
    assert_true(timed_poll_block(q, 10 * 1000) < 5 * 1000);
    expect_get_done(q, "k");
    k8s_workqueue_destroy(q);
}

/* Small deterministic generator, so a failure can be reproduced. */
static uint32_t
lcg(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

#define N_KEYS 100000

static void
test_many_keys(void **state OVS_UNUSED)
{
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);
    char key[32];

    long long int start = time_msec();
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N_KEYS; i++) {
            snprintf(key, sizeof key, "ns/pod-%d", i);
            k8s_workqueue_add(q, key);
        }
    }
    assert_int_equal(k8s_workqueue_len(q), N_KEYS);
    for (int i = 0; i < N_KEYS; i++) {
        snprintf(key, sizeof key, "ns/pod-%d", i);
        expect_get_done(q, key);
    }
    expect_get_done(q, NULL);

    /* Random delays come out sorted by due time. */
    uint32_t seed = 42;
    long long int *due = xmalloc(N_KEYS * sizeof *due);
    for (int i = 0; i < N_KEYS; i++) {
        due[i] = 1 + lcg(&seed) % 1000000;
        snprintf(key, sizeof key, "d-%d", i);
        k8s_workqueue_add_after(q, key, due[i]);
    }
    assert_int_equal(k8s_workqueue_delayed(q), N_KEYS);
    clock.now = 1000000;
    long long int last = 0;
    for (int i = 0; i < N_KEYS; i++) {
        const char *k = k8s_workqueue_get(q);
        assert_non_null(k);
        long long int d = due[atoi(k + 2)];
        assert_true(d >= last);
        last = d;
        k8s_workqueue_done(q, k);
    }
    assert_null(k8s_workqueue_get(q));
    assert_int_equal(k8s_workqueue_delayed(q), 0);
    free(due);
    print_message("100k keys: %lld ms\n", time_msec() - start);
    k8s_workqueue_destroy(q);
}

static void
test_destroy_with_keys(void **state OVS_UNUSED)
{
    /* Leaves every state behind; the sanitizers check nothing leaks. */
    struct fake_clock clock = { 0 };
    struct k8s_workqueue *q = fake_queue(&clock, 0, 0);
    k8s_workqueue_add(q, "ready");
    k8s_workqueue_add(q, "processing");
    k8s_workqueue_add_after(q, "delayed", 10);
    k8s_workqueue_add_rate_limited(q, "failed");
    assert_string_equal(k8s_workqueue_get(q), "ready");
    k8s_workqueue_destroy(q);
    k8s_workqueue_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_and_fifo),
        cmocka_unit_test(test_processing_exclusive),
        cmocka_unit_test(test_backoff_growth_and_cap),
        cmocka_unit_test(test_backoff_no_overflow),
        cmocka_unit_test(test_add_after_order),
        cmocka_unit_test(test_add_after_earliest_wins),
        cmocka_unit_test(test_delayed_while_queued_or_processing),
        cmocka_unit_test(test_wait_ready_wakes_immediately),
        cmocka_unit_test(test_wait_real_clock_delay),
        cmocka_unit_test(test_wait_fake_clock),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_destroy_with_keys),
    };
    return cmocka_run_group_tests_name("workqueue", tests, NULL, NULL);
}
