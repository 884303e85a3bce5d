/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* lib/k8s informers against a real kube-apiserver: list, watch, selectors,
 * indexes, resuming a cut watch, re-listing after 410 Gone, and an apiserver
 * restart while objects change. */

#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "k8s/k8s-client.h"
#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "hmapx.h"
#include "random.h"
#include "timeval.h"
#include "util.h"
#include "util/json-util.h"

static const char *ns;

/* What the handlers were told: key -> resourceVersion.  At every quiet
 * moment it must equal both the informer's cache and the server. */
struct shadow {
    struct shash objects;
    int n_add, n_update, n_delete;
    bool bad;                   /* A handler saw something impossible. */
};

static void
shadow_set(struct shadow *s, const struct json *obj)
{
    char *key = k8s_obj_key(obj);
    free(shash_replace(&s->objects, key,
                       xstrdup(k8s_obj_resource_version(obj))));
    free(key);
}

static void
on_add(const struct json *obj, void *s_)
{
    struct shadow *s = s_;
    char *key = k8s_obj_key(obj);
    if (shash_find(&s->objects, key)) {
        fprintf(stderr, "add of %s, which the handlers already have\n", key);
        s->bad = true;
    }
    free(key);
    shadow_set(s, obj);
    s->n_add++;
}

static void
on_update(const struct json *old, const struct json *new, void *s_)
{
    struct shadow *s = s_;
    char *key = k8s_obj_key(new);
    char *old_key = k8s_obj_key(old);
    if (!shash_find(&s->objects, key) || strcmp(key, old_key)) {
        fprintf(stderr, "update of unknown %s\n", key);
        s->bad = true;
    }
    free(key);
    free(old_key);
    shadow_set(s, new);
    s->n_update++;
}

static void
on_delete(const struct json *obj, void *s_)
{
    struct shadow *s = s_;
    char *key = k8s_obj_key(obj);
    char *rv = shash_find_and_delete(&s->objects, key);
    if (!rv) {
        fprintf(stderr, "delete of unknown %s\n", key);
        s->bad = true;
    }
    free(rv);
    free(key);
    s->n_delete++;
}

static const struct k8s_informer_handlers handlers = {
    on_add, on_update, on_delete,
};

struct fixture {
    struct k8s_client *client;
    struct k8s_informer *inf;
    struct shadow shadow;
    struct shash server;        /* Last list from the server: key -> rv. */
};

static void
fixture_run(void *f_)
{
    struct fixture *f = f_;
    k8s_client_run(f->client);
    k8s_informer_run(f->inf);
}

static void
fixture_wait(void *f_)
{
    struct fixture *f = f_;
    k8s_client_wait(f->client);
    k8s_informer_wait(f->inf);
}

static bool
synced(void *f_)
{
    struct fixture *f = f_;
    return k8s_informer_has_synced(f->inf);
}

static void
fixture_init(struct fixture *f, const struct k8s_resource *res,
             const struct k8s_informer_options *options)
{
    memset(f, 0, sizeof *f);
    f->client = itest_k8s_client(NULL);
    shash_init(&f->shadow.objects);
    shash_init(&f->server);
    f->inf = k8s_informer_create(f->client, res, options, &handlers,
                                 &f->shadow);
    k8s_informer_add_index(f->inf, "node", k8s_index_by_node);
    if (!itest_loop(fixture_run, fixture_wait, synced, f, 30000)) {
        itest_fatal("informer did not sync within 30 s");
    }
}

static void
fixture_destroy(struct fixture *f)
{
    k8s_informer_destroy(f->inf);
    k8s_client_destroy(f->client);
    shash_destroy_free_data(&f->shadow.objects);
    shash_destroy_free_data(&f->server);
}

/* Lists 'res' in the test namespace from the server into f->server. */
static void
list_server(struct fixture *f, const struct k8s_resource *res,
            const char *query)
{
    shash_clear_free_data(&f->server);
    struct k8s_request *req = k8s_list(f->client, res, ns, query, NULL, NULL);
    const struct k8s_response *r = itest_wait(f->client, req);
    if (!k8s_response_ok(r)) {
        itest_fatal("list: %s", r->error);
    }
    const struct json *items = json_get_member(r->body, "items");
    for (size_t i = 0; items && i < items->array.n; i++) {
        const struct json *obj = items->array.elems[i];
        char *key = k8s_obj_key(obj);
        shash_add_nocopy(&f->server, key,
                         xstrdup(k8s_obj_resource_version(obj)));
    }
    k8s_request_destroy(req);
}

/* True if the cache, the handlers' view and f->server all agree. */
static bool
views_agree(const struct fixture *f, bool report)
{
    size_t n_cache = k8s_informer_count(f->inf);
    bool ok = (n_cache == shash_count(&f->server)
               && shash_count(&f->shadow.objects) == n_cache);
    struct shash_node *node;

    SHASH_FOR_EACH (node, &f->server) {
        const struct json *cached = k8s_informer_get(f->inf, node->name);
        const char *seen = shash_find_data(&f->shadow.objects, node->name);
        if (!cached || !seen
            || strcmp(k8s_obj_resource_version(cached), node->data)
            || strcmp(seen, node->data)) {
            if (report) {
                fprintf(stderr, "%s: server rv %s, cache rv %s, handlers %s\n",
                        node->name, (char *) node->data,
                        cached ? k8s_obj_resource_version(cached) : "-",
                        seen ? seen : "-");
            }
            ok = false;
        }
    }
    if (!ok && report) {
        fprintf(stderr, "server %zu objects, cache %zu, handlers %zu\n",
                shash_count(&f->server), n_cache,
                shash_count(&f->shadow.objects));
    }
    return ok;
}

/* Runs the informer until it agrees with the server (re-listing the server
 * now and then, as the server may still be applying changes). */
static bool
converge(struct fixture *f, const struct k8s_resource *res,
         const char *query, long long int timeout_ms)
{
    long long int deadline = time_msec() + timeout_ms;
    long long int next_list = 0;

    for (;;) {
        fixture_run(f);
        if (time_msec() >= next_list) {
            list_server(f, res, query);
            next_list = time_msec() + 500;
        }
        if (views_agree(f, false)) {
            return true;
        }
        if (time_msec() >= deadline) {
            return views_agree(f, true);
        }
        fixture_wait(f);
        poll_timer_wait_until(MIN(deadline, next_list));
        poll_block();
    }
}

static void
create_pods(struct k8s_client *c, const char *prefix, int n, const char *node)
{
    for (int i = 0; i < n; i++) {
        char *name = xasprintf("%s-%d", prefix, i);
        struct json *pod = itest_pod_json(name, node);
        struct k8s_request *req = k8s_create(c, &k8s_pods, ns, pod, NULL,
                                             NULL);
        const struct k8s_response *r = itest_wait(c, req);
        if (!k8s_response_ok(r)) {
            itest_fatal("create %s: %s", name, r->error);
        }
        k8s_request_destroy(req);
        json_destroy(pod);
        free(name);
    }
}

static void
label_pod(struct k8s_client *c, const char *name, const char *value)
{
    char *text = xasprintf("{\"metadata\":{\"labels\":{\"step\":\"%s\"}}}",
                           value);
    struct json *patch = json_from_string(text);
    struct k8s_request *req = k8s_merge_patch(c, &k8s_pods, ns, name, NULL,
                                              patch, NULL, NULL);
    itest_wait(c, req);
    k8s_request_destroy(req);
    json_destroy(patch);
    free(text);
}

static void
delete_pod(struct k8s_client *c, const char *name)
{
    char *path = k8s_resource_path(&k8s_pods, ns, name, NULL);
    char *url = xasprintf("%s?gracePeriodSeconds=0", path);
    struct k8s_request *req = k8s_client_request(c, K8S_DELETE, url, NULL,
                                                 NULL, NULL);
    itest_wait(c, req);
    k8s_request_destroy(req);
    free(url);
    free(path);
}

static void
test_list_and_watch(void)
{
    itest_case("list, then watch adds, updates and deletes");
    struct k8s_client *c = itest_k8s_client(NULL);
    create_pods(c, "pre", 25, "node-a");

    struct fixture f;
    struct k8s_informer_options options = { .namespace = ns,
                                            .page_size = 7 };
    fixture_init(&f, &k8s_pods, &options);
    CHECK(k8s_informer_count(f.inf) == 25 && f.shadow.n_add == 25,
          "paged list of 25 in pages of 7: cache %zu, adds %d",
          k8s_informer_count(f.inf), f.shadow.n_add);
    const struct json *pod = k8s_informer_get(f.inf, "x");
    CHECK(!pod, "no object for an unknown key");
    char *key = xasprintf("%s/pre-3", ns);
    pod = k8s_informer_get(f.inf, key);
    CHECK(pod && !json_get_member(json_get_member(pod, "metadata"),
                                  "managedFields"),
          "cached pod found by key, managedFields dropped");
    free(key);

    create_pods(c, "new", 5, "node-b");
    label_pod(c, "pre-1", "one");
    label_pod(c, "pre-2", "one");
    label_pod(c, "new-0", "one");
    delete_pod(c, "pre-4");
    delete_pod(c, "new-4");
    CHECK(converge(&f, &k8s_pods, NULL, 20000), "cache follows the watch");
    CHECK(f.shadow.n_add == 30 && f.shadow.n_update >= 3
          && f.shadow.n_delete == 2 && !f.shadow.bad,
          "handlers: %d adds, %d updates, %d deletes", f.shadow.n_add,
          f.shadow.n_update, f.shadow.n_delete);
    CHECK(k8s_informer_get_stats(f.inf)->n_lists == 1, "listed only once");

    const struct hmapx *on_b = k8s_informer_index_lookup(f.inf, "node",
                                                         "node-b");
    CHECK(on_b && hmapx_count(on_b) == 4, "node index: %zu pods on node-b",
          on_b ? hmapx_count(on_b) : 0);
    CHECK(!k8s_informer_index_lookup(f.inf, "node", "node-z"),
          "node index: none on node-z");

    /* A cut watch resumes from its resourceVersion: no re-list. */
    k8s_informer_reset_watch(f.inf);
    create_pods(c, "cut", 3, "node-a");
    delete_pod(c, "pre-5");
    CHECK(converge(&f, &k8s_pods, NULL, 20000), "resumed after the cut");
    CHECK(k8s_informer_get_stats(f.inf)->n_lists == 1
          && k8s_informer_get_stats(f.inf)->n_watches >= 2,
          "resumed the watch without re-listing (%llu lists, %llu watches)",
          k8s_informer_get_stats(f.inf)->n_lists,
          k8s_informer_get_stats(f.inf)->n_watches);
    fixture_destroy(&f);
    k8s_client_destroy(c);
}

static void
test_selectors(void)
{
    itest_case("field and label selectors");
    struct k8s_client *c = itest_k8s_client(NULL);
    struct fixture f;
    struct k8s_informer_options options = {
        .namespace = ns, .field_selector = "spec.nodeName=node-b",
    };
    fixture_init(&f, &k8s_pods, &options);
    list_server(&f, &k8s_pods, "fieldSelector=spec.nodeName%3Dnode-b");
    CHECK(shash_count(&f.server) > 0 && views_agree(&f, true),
          "field selector: only the %zu pods on node-b",
          shash_count(&f.server));
    create_pods(c, "sel", 2, "node-b");
    create_pods(c, "other", 2, "node-c");
    CHECK(converge(&f, &k8s_pods, "fieldSelector=spec.nodeName%3Dnode-b",
                   20000), "watch honours the field selector");
    fixture_destroy(&f);

    options = (struct k8s_informer_options) { .namespace = ns,
                                              .label_selector = "step=one" };
    fixture_init(&f, &k8s_pods, &options);
    CHECK(k8s_informer_count(f.inf) == 3, "label selector: %zu labelled pods",
          k8s_informer_count(f.inf));
    fixture_destroy(&f);
    k8s_client_destroy(c);
}

static void
test_custom_resource(void)
{
    itest_case("custom resource (Subnet) informer");
    struct k8s_client *c = itest_k8s_client(NULL);
    struct fixture f;
    fixture_init(&f, &kubeovn_subnets, NULL);
    size_t before = k8s_informer_count(f.inf);

    for (int i = 0; i < 3; i++) {
        char *text = xasprintf(
            "{\"apiVersion\":\"kubeovn.io/v1\",\"kind\":\"Subnet\","
            "\"metadata\":{\"name\":\"inf-subnet-%d\"},"
            "\"spec\":{\"cidrBlock\":\"10.%d.0.0/16\"}}", i, 70 + i);
        struct json *subnet = json_from_string(text);
        struct k8s_request *req = k8s_create(c, &kubeovn_subnets, NULL,
                                             subnet, NULL, NULL);
        const struct k8s_response *r = itest_wait(c, req);
        CHECK(k8s_response_ok(r), "create subnet: %s",
              r->error ? r->error : "");
        k8s_request_destroy(req);
        json_destroy(subnet);
        free(text);
    }
    struct k8s_request *req = k8s_delete(c, &kubeovn_subnets, NULL,
                                         "inf-subnet-1", NULL, NULL);
    itest_wait(c, req);
    k8s_request_destroy(req);

    list_server(&f, &kubeovn_subnets, NULL);
    CHECK(converge(&f, &kubeovn_subnets, NULL, 20000)
          && k8s_informer_count(f.inf) == before + 2,
          "subnet cache: %zu (want %zu)", k8s_informer_count(f.inf),
          before + 2);
    CHECK(k8s_informer_get(f.inf, "inf-subnet-2")
          && !k8s_informer_get(f.inf, "inf-subnet-1"),
          "cluster-scoped keys are bare names");
    fixture_destroy(&f);
    k8s_client_destroy(c);
}

static void
apiserver(const char *verb)
{
    const char *dir = getenv("KOVN_TEST_K8S_DIR");
    const char *test_dir = getenv("KOVN_TEST_DIR");
    if (!dir || !test_dir) {
        itest_fatal("KOVN_TEST_K8S_DIR and KOVN_TEST_DIR must be set");
    }
    if (itest_sh("%s/k8s-env.sh %s-apiserver %s >/dev/null", test_dir, verb,
                 dir)) {
        itest_fatal("k8s-env.sh %s-apiserver failed", verb);
    }
}

static void
test_relist_after_gone(void)
{
    itest_case("410 Gone after an apiserver restart: re-list delivers the "
               "difference");
    struct k8s_client *c = itest_k8s_client(NULL);
    struct fixture f;
    struct k8s_informer_options options = { .namespace = ns };
    fixture_init(&f, &k8s_pods, &options);
    CHECK(converge(&f, &k8s_pods, NULL, 20000), "synced");
    int adds = f.shadow.n_add, deletes = f.shadow.n_delete;

    /* Cut the watch and change things while the informer is not running
     * (events already in the socket's buffer would otherwise still reach
     * it), then restart the apiserver: its new watch cache starts after our
     * resourceVersion, so resuming the watch gets 410 Gone. */
    k8s_informer_reset_watch(f.inf);
    create_pods(c, "gone", 4, "node-a");
    delete_pod(c, "pre-6");
    delete_pod(c, "pre-7");
    label_pod(c, "pre-8", "gone");
    apiserver("stop");
    apiserver("start");

    CHECK(converge(&f, &k8s_pods, NULL, 60000), "cache equals the server");
    const struct k8s_informer_stats *st = k8s_informer_get_stats(f.inf);
    CHECK(st->n_lists >= 2, "re-listed (%llu lists, %llu gone)",
          st->n_lists, st->n_gone);
    CHECK(f.shadow.n_add - adds == 4 && f.shadow.n_delete - deletes == 2
          && !f.shadow.bad,
          "difference delivered: %d adds, %d deletes",
          f.shadow.n_add - adds, f.shadow.n_delete - deletes);
    fixture_destroy(&f);
    k8s_client_destroy(c);
}

/* Child process: creates, relabels and deletes pods at random until killed,
 * ignoring errors (the apiserver goes away for a while). */
static void OVS_NO_RETURN
mutator(void)
{
    struct k8s_client *c = itest_k8s_client(NULL);
    int serial = 0;

    random_set_seed(getpid());
    for (;;) {
        int op = random_range(3);
        int victim = random_range(serial + 1);
        char *name = xasprintf("mut-%d", op == 0 ? serial++ : victim);
        struct k8s_request *req;
        if (op == 0) {
            struct json *pod = itest_pod_json(name, "node-m");
            req = k8s_create(c, &k8s_pods, ns, pod, NULL, NULL);
            json_destroy(pod);
        } else if (op == 1) {
            struct json *patch = json_from_string(
                "{\"metadata\":{\"labels\":{\"touched\":\"yes\"}}}");
            req = k8s_merge_patch(c, &k8s_pods, ns, name, NULL, patch, NULL,
                                  NULL);
            json_destroy(patch);
        } else {
            char *path = k8s_resource_path(&k8s_pods, ns, name, NULL);
            char *url = xasprintf("%s?gracePeriodSeconds=0", path);
            req = k8s_client_request(c, K8S_DELETE, url, NULL, NULL, NULL);
            free(url);
            free(path);
        }
        if (!k8s_client_block(c, req, 5000)
            || !k8s_response_ok(k8s_request_response(req))) {
            /* Maybe the apiserver is down: do not spin. */
            poll_timer_wait(50);
            poll_block();
        }
        k8s_request_destroy(req);
        free(name);
    }
}

static void
test_apiserver_restart_under_load(void)
{
    itest_case("apiserver stopped and started while objects change");
    struct fixture f;
    struct k8s_informer_options options = { .namespace = ns };
    fixture_init(&f, &k8s_pods, &options);

    pid_t pid = fork();
    if (pid == 0) {
        mutator();
    }

    /* Let changes flow, take the apiserver away for a few seconds while the
     * mutator keeps trying, bring it back, let changes flow again. */
    long long int phase_end = time_msec() + 4000;
    while (time_msec() < phase_end) {
        fixture_run(&f);
        fixture_wait(&f);
        poll_timer_wait_until(phase_end);
        poll_block();
    }
    apiserver("stop");
    xsleep(3);
    apiserver("start");
    phase_end = time_msec() + 4000;
    while (time_msec() < phase_end) {
        fixture_run(&f);
        fixture_wait(&f);
        poll_timer_wait_until(phase_end);
        poll_block();
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

    CHECK(converge(&f, &k8s_pods, NULL, 60000),
          "after the restart the cache equals the server's state");
    CHECK(!f.shadow.bad, "handlers saw a consistent sequence");
    const struct k8s_informer_stats *st = k8s_informer_get_stats(f.inf);
    printf("  %d adds, %d updates, %d deletes delivered; %llu lists, "
           "%llu watches, %llu gone, %llu errors\n", f.shadow.n_add,
           f.shadow.n_update, f.shadow.n_delete, st->n_lists, st->n_watches,
           st->n_gone, st->n_errors);
    CHECK(st->n_errors >= 1, "the informer noticed the outage");
    fixture_destroy(&f);
}

int
main(void)
{
    char *ns_name = xasprintf("itest-informer-%ld", (long) getpid());
    ns = ns_name;

    struct k8s_client *c = itest_k8s_client(NULL);
    itest_namespace_create(c, ns);

    test_list_and_watch();
    test_selectors();
    test_custom_resource();
    test_relist_after_gone();
    test_apiserver_restart_under_load();

    itest_delete_all(c, &k8s_pods, ns, "");
    k8s_client_destroy(c);
    free(ns_name);
    return itest_finish();
}
