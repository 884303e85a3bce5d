/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

/* New TCP connections per second to IP:PORT: each connection sends one
 * HTTP/1.0 request, reads the answer to its end and closes, as a client of
 * a Service does.  PARALLEL processes for SECONDS; prints the total rate
 * and the failures.
 *
 *   conn-rate IP PORT SECONDS [PARALLEL] */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One request on a new connection; 0 on success. */
static int
one(const struct sockaddr_in *sin)
{
    static const char req[] = "GET /hostname HTTP/1.0\r\n\r\n";
    char buf[4096];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = -1;
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = { .tv_sec = 2 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!connect(fd, (const struct sockaddr *) sin, sizeof *sin)
        && write(fd, req, sizeof req - 1) == (ssize_t) sizeof req - 1) {
        ssize_t n, total = 0;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            total += n;
        }
        rc = n == 0 && total > 0 ? 0 : -1;
    }
    close(fd);
    return rc;
}

/* Runs for 'seconds'; writes "OK FAILED" to 'out'. */
static void
worker(const struct sockaddr_in *sin, double seconds, int out)
{
    long ok = 0, failed = 0;
    double end = now() + seconds;
    while (now() < end) {
        if (one(sin)) {
            failed++;
        } else {
            ok++;
        }
    }
    dprintf(out, "%ld %ld\n", ok, failed);
}

int
main(int argc, char *argv[])
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s IP PORT SECONDS [PARALLEL]\n", argv[0]);
        return 2;
    }
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
        fprintf(stderr, "%s: not an IPv4 address\n", argv[1]);
        return 2;
    }
    double seconds = atof(argv[3]);
    int parallel = argc > 4 ? atoi(argv[4]) : 1;
    int fds[2];
    if (pipe(fds)) {
        perror("pipe");
        return 1;
    }
    for (int i = 0; i < parallel; i++) {
        if (!fork()) {
            close(fds[0]);
            worker(&sin, seconds, fds[1]);
            _exit(0);
        }
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    long ok = 0, failed = 0, a, b;
    while (fscanf(in, "%ld %ld", &a, &b) == 2) {
        ok += a;
        failed += b;
    }
    while (wait(NULL) > 0) {
        continue;
    }
    printf("%.0f conn/s (%ld ok, %ld failed in %.0f s, %d parallel)\n",
           ok / seconds, ok, failed, seconds, parallel);
    return 0;
}
