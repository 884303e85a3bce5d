/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "nft.h"

#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct nft {
    struct nft_ctx *ctx;
};

struct nft *
nft_create(void)
{
    struct nft *nft = xzalloc(sizeof *nft);
    nft->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!nft->ctx) {
        out_of_memory();
    }
    nft_ctx_buffer_output(nft->ctx);
    nft_ctx_buffer_error(nft->ctx);
    return nft;
}

void
nft_destroy(struct nft *nft)
{
    if (nft) {
        nft_ctx_free(nft->ctx);
        free(nft);
    }
}

/* Runs 'cmds' with output 'flags'; returns nft's error text or NULL. */
static char *
run(struct nft *nft, const char *cmds, unsigned int flags)
{
    nft_ctx_output_set_flags(nft->ctx, flags);
    int rc = nft_run_cmd_from_buffer(nft->ctx, cmds);
    const char *err = nft_ctx_get_error_buffer(nft->ctx);
    if (rc) {
        return xasprintf("nft: %s", err && *err ? err : "failed");
    }
    return NULL;
}

char *
nft_run(struct nft *nft, const char *cmds)
{
    return run(nft, cmds, 0);
}

char *
nft_run_text(struct nft *nft, const char *cmd, bool handles, char **out)
{
    *out = NULL;
    char *error = run(nft, cmd, handles ? NFT_CTX_OUTPUT_HANDLE : 0);
    if (!error) {
        const char *buf = nft_ctx_get_output_buffer(nft->ctx);
        *out = xstrdup(buf ? buf : "");
    }
    return error;
}

bool
nft_table_exists(struct nft *nft, const char *family, const char *name,
                 char **errorp)
{
    char *cmd = xasprintf("list tables %s", family);
    char *want = xasprintf("table %s %s", family, name);
    char *out;
    bool found = false;
    *errorp = nft_run_text(nft, cmd, false, &out);
    for (char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL;
         line; line = strtok_r(NULL, "\n", &save)) {
        found = found || !strcmp(line, want);
    }
    free(out);
    free(want);
    free(cmd);
    return found;
}
