/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "unbound-ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(unbound_ctl);

extern char **environ;

struct unbound_ctl {
    char *program;
    char *conf;
};

struct unbound_ctl *
unbound_ctl_create(const char *program, const char *conf)
{
    struct unbound_ctl *u = xzalloc(sizeof *u);
    u->program = xstrdup(program);
    u->conf = nullable_xstrdup(conf);
    return u;
}

void
unbound_ctl_destroy(struct unbound_ctl *u)
{
    if (u) {
        free(u->program);
        free(u->conf);
        free(u);
    }
}

/* An anonymous file holding 'text', read from its start. */
static int
text_fd(const char *text)
{
    int fd = memfd_create("unbound-ctl", MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t len = text ? strlen(text) : 0;
    for (size_t done = 0; done < len; ) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno != EINTR) {
            close(fd);
            return -1;
        }
        done += n > 0 ? n : 0;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void
read_all(int fd, struct ds *out)
{
    char buf[4096];
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            ds_put_buffer(out, buf, n);
        } else if (!n || errno != EINTR) {
            break;
        }
    }
}

/* Waits for 'pid' at most UNBOUND_CTL_TIMEOUT_MS, then kills it.  Returns
 * its wait status, or -1 if it had to be killed. */
static int
wait_child(pid_t pid)
{
    long long deadline = time_msec() + UNBOUND_CTL_TIMEOUT_MS;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        } else if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (time_msec() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = { 0, 1000000 };    /* 1 ms. */
        nanosleep(&ts, NULL);
    }
}

char *
unbound_ctl_run(struct unbound_ctl *u, const char *command,
                const char *const *args, size_t n_args, const char *input,
                struct ds *output)
{
    struct svec argv = SVEC_EMPTY_INITIALIZER;
    svec_add(&argv, u->program);
    if (u->conf) {
        svec_add(&argv, "-c");
        svec_add(&argv, u->conf);
    }
    svec_add(&argv, command);
    for (size_t i = 0; i < n_args; i++) {
        svec_add(&argv, args[i]);
    }
    svec_terminate(&argv);

    char *error = NULL;
    int in = text_fd(input);
    int out = text_fd(NULL);
    if (in < 0 || out < 0) {
        error = xasprintf("memfd: %s", ovs_strerror(errno));
        goto exit;
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out, STDERR_FILENO);
    pid_t pid;
    int err = posix_spawnp(&pid, u->program, &actions, NULL, argv.names,
                           environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err) {
        error = xasprintf("%s: %s", u->program, ovs_strerror(err));
        goto exit;
    }

    int status = wait_child(pid);
    struct ds text = DS_EMPTY_INITIALIZER;
    read_all(out, &text);
    if (status == -1) {
        error = xasprintf("%s %s: no answer in %d ms", u->program, command,
                          UNBOUND_CTL_TIMEOUT_MS);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        ds_chomp(&text, '\n');
        error = xasprintf("%s %s failed (%s): %s", u->program, command,
                          WIFEXITED(status) ? "exit status" : "signal",
                          ds_cstr(&text));
    }
    if (output) {
        ds_put_buffer(output, text.string, text.length);
    }
    ds_destroy(&text);

exit:
    if (in >= 0) {
        close(in);
    }
    if (out >= 0) {
        close(out);
    }
    svec_destroy(&argv);
    return error;
}

char *
unbound_ctl_pid(struct unbound_ctl *u, pid_t *pid)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    char *error = unbound_ctl_run(u, "status", NULL, 0, NULL, &out);
    const char *p = error ? NULL : strstr(ds_cstr(&out), "(pid ");
    long n = 0;
    if (!error && (!p || sscanf(p, "(pid %ld)", &n) != 1 || n <= 0)) {
        error = xasprintf("status: no pid in \"%s\"", ds_cstr(&out));
    }
    *pid = n;
    ds_destroy(&out);
    return error;
}

/* True if absolute name 'name' (with its final dot, 'len' characters) is
 * 'domain' or under it. */
static bool
in_domain(const char *name, size_t len, const char *domain)
{
    size_t dlen = strlen(domain);
    if (len < dlen + 1 || name[len - 1] != '.'
        || strncmp(name + len - 1 - dlen, domain, dlen)) {
        return false;
    }
    return len == dlen + 1 || name[len - dlen - 2] == '.';
}

char *
unbound_ctl_dump(struct unbound_ctl *u, const char *domain,
                 struct svec *lines)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    char *error = unbound_ctl_run(u, "list_local_data", NULL, 0, NULL, &out);
    if (!error) {
        char *save = NULL;
        for (char *line = strtok_r(ds_cstr(&out), "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            /* NAME TTL IN TYPE RDATA, tab-separated. */
            struct svec f = SVEC_EMPTY_INITIALIZER;
            char *copy = xstrdup(line), *fsave = NULL;
            for (char *w = strtok_r(copy, "\t", &fsave); w;
                 w = strtok_r(NULL, "\t", &fsave)) {
                svec_add(&f, w);
            }
            if (f.n == 5 && (in_domain(f.names[0], strlen(f.names[0]),
                                       domain)
                             || (!strcmp(f.names[3], "PTR")
                                 && in_domain(f.names[4], strlen(f.names[4]),
                                              domain)))) {
                svec_add(lines, line);
            }
            svec_destroy(&f);
            free(copy);
        }
    }
    ds_destroy(&out);
    return error;
}

/* Runs 'command' with 'items', one a line, on its standard input. */
static char *
run_batch(struct unbound_ctl *u, const char *command,
          const struct svec *items)
{
    if (!items->n) {
        return NULL;
    }
    struct ds in = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < items->n; i++) {
        ds_put_format(&in, "%s\n", items->names[i]);
    }
    struct ds out = DS_EMPTY_INITIALIZER;
    char *error = unbound_ctl_run(u, command, NULL, 0, ds_cstr(&in), &out);
    if (error && strstr(ds_cstr(&out), "added ")) {
        /* unbound took the batch but refused some records: they would be
         * refused again, so say which and go on. */
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
        VLOG_WARN_RL(&rl, "unbound refused records: %s", error);
        free(error);
        error = NULL;
    }
    ds_destroy(&out);
    ds_destroy(&in);
    return error;
}

char *
unbound_ctl_apply(struct unbound_ctl *u, const struct svec *names,
                  const struct svec *lines)
{
    char *error = run_batch(u, "local_datas_remove", names);
    return error ? error : run_batch(u, "local_datas", lines);
}
