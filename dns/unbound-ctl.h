/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_UNBOUND_CTL_H
#define KOVN_UNBOUND_CTL_H 1

/* unbound's remote control, through its own client: each call runs
 * "unbound-control -c CONF COMMAND ARGS..." once, feeding 'input' on its
 * standard input (local_datas and local_datas_remove read one record or
 * name a line, so a whole batch is one process), and waits for it, at most
 * UNBOUND_CTL_TIMEOUT_MS, killing it after that.
 *
 * Why the client and not the protocol: unbound-control's wire protocol
 * ("UBCT1 " + command, then optional lines ended by "\x04\n") is internal
 * to unbound and not documented; the client also handles TLS when a
 * deployment's control-interface is a TCP port with certificates.  One
 * process per batch costs a few milliseconds, next to API latencies.
 *
 * Ownership: the caller owns 'unbound_ctl' and frees it with
 * unbound_ctl_destroy(); every string returned is malloc'd and the
 * caller's. */

#include <stdbool.h>
#include <sys/types.h>

struct ds;
struct svec;

#define UNBOUND_CTL_TIMEOUT_MS 10000

struct unbound_ctl;

/* 'program': the unbound-control binary; 'conf': unbound's configuration
 * (it names the control socket), or NULL for unbound-control's default. */
struct unbound_ctl *unbound_ctl_create(const char *program, const char *conf);
void unbound_ctl_destroy(struct unbound_ctl *);

/* Runs COMMAND with 'args' ('n_args' of them) and 'input' (NULL: none).
 * Puts what it printed (standard output and error) in 'output' if nonnull.
 * Returns NULL on success, or an error message that quotes the output. */
char *unbound_ctl_run(struct unbound_ctl *, const char *command,
                      const char *const *args, size_t n_args,
                      const char *input, struct ds *output);

/* "status": the pid of the unbound that answers. */
char *unbound_ctl_pid(struct unbound_ctl *, pid_t *pid);

/* "list_local_data": appends to 'lines' each record whose name is
 * 'domain' or under it, or which is a PTR to such a name (the records
 * kovn-dns writes), in the form of dns-records.h. */
char *unbound_ctl_dump(struct unbound_ctl *, const char *domain,
                       struct svec *lines);

/* Removes the names in 'names' and adds the records in 'lines' (either may
 * be empty: that command is not run). */
char *unbound_ctl_apply(struct unbound_ctl *, const struct svec *names,
                        const struct svec *lines);

#endif /* dns/unbound-ctl.h */
