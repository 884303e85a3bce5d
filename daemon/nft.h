/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_NFT_H
#define KOVN_DAEMON_NFT_H 1

/* A thin wrapper over libnftables (nftables' own library): runs a batch of
 * commands in nft's syntax as ONE kernel transaction (all or nothing), in
 * the caller's network namespace, and reports nft's error text.
 *
 * Ownership: nft_create() returns a handle the caller frees with
 * nft_destroy(); returned strings are the caller's. */

#include <stdbool.h>

#include "openvswitch/compiler.h"

struct nft *nft_create(void);
void nft_destroy(struct nft *);

/* Runs 'cmds' (one command a line, as "nft -f" reads them).  Returns NULL,
 * or a malloc'd message with nft's error output. */
char *nft_run(struct nft *, const char *cmds) OVS_WARN_UNUSED_RESULT;

/* Runs 'cmd' (e.g. "list table inet kovn") and returns NULL with nft's
 * text output in '*out' (malloc'd), with handles ("nft -a") if
 * 'handles', or a malloc'd message.
 *
 * Not nft's JSON output: libnftables makes it with jansson, whose symbols
 * (json_array(), json_object()...) the Open vSwitch library linked into
 * kovn's programs also defines, so jansson would call the wrong ones. */
char *nft_run_text(struct nft *, const char *cmd, bool handles, char **out)
    OVS_WARN_UNUSED_RESULT;

/* True if table 'family' 'name' exists; false if not or on error ('*error'
 * then set, malloc'd). */
bool nft_table_exists(struct nft *, const char *family, const char *name,
                      char **error);

#endif /* daemon/nft.h */
