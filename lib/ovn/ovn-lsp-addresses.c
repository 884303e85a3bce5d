/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ovn/ovn-lsp-addresses.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

BUILD_ASSERT_DECL(sizeof ((struct ovn_lsp_addresses *) NULL)->mac_s
                  == ETH_ADDR_STRLEN + 1);

/* The white space that separates tokens: what isspace() takes in the "C"
 * locale, as OVN's scanf-style parser skips. */
#define LSP_SPACE " \t\n\v\f\r"

/* OVN's keywords for an entry that does not hold the port's addresses, and
 * where they are instead, for the message. */
static const struct {
    const char *word;
    const char *why;
} keywords[] = {
    { "router", "the port takes the addresses of its peer router port" },
    { "unknown", "the port accepts any MAC address" },
    { "dynamic", "ovn-northd chooses the port's addresses" },
};

static char * OVS_PRINTF_FORMAT(2, 3)
lsp_error(const char *s, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    char *detail = xvasprintf(format, args);
    va_end(args);

    char *msg = xasprintf("addresses \"%s\": %s", s, detail);
    free(detail);
    return msg;
}

/* The reason 'token' is an OVN keyword, or NULL if it is none. */
static const char *
keyword_reason(const char *token)
{
    for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
        if (!strcmp(token, keywords[i].word)) {
            return keywords[i].why;
        }
    }
    return NULL;
}

/* Parses address 'token' of entry 's' into the slot of its family in
 * 'by_family', which 'have' marks. */
static char *
parse_ip(const char *s, const char *token, struct ip_addr by_family[2],
         bool have[2])
{
    struct ip_addr ip;

    if (strchr(token, '/')) {
        /* Before cidr_parse_ip(), whose message would only say "not a valid
         * address". */
        return lsp_error(s, "\"%s\" has a prefix length; kovn writes bare "
                         "addresses", token);
    }

    char *error = cidr_parse_ip(token, &ip);
    if (error) {
        char *msg = lsp_error(s, "%s", error);
        free(error);
        return msg;
    }

    size_t f = ip.family == AF_INET ? 0 : 1;
    if (have[f]) {
        return lsp_error(s, "two %s addresses", cidr_family_name(ip.family));
    }
    have[f] = true;
    by_family[f] = ip;
    return NULL;
}

char *
ovn_lsp_addresses_parse(const char *s, bool require_ip,
                        struct ovn_lsp_addresses *a)
{
    struct ip_addr by_family[2];
    bool have[2] = { false, false };
    char *copy = xstrdup(s);
    char *save = NULL;
    char *error = NULL;
    size_t n_tokens = 0;

    memset(a, 0, sizeof *a);
    for (char *token = strtok_r(copy, LSP_SPACE, &save); token && !error;
         token = strtok_r(NULL, LSP_SPACE, &save), n_tokens++) {
        const char *why = keyword_reason(token);

        if (why) {
            error = lsp_error(s, "OVN keyword \"%s\" instead of an address "
                              "(%s)", token, why);
        } else if (n_tokens == 0) {
            if (!eth_addr_from_string(token, &a->mac)) {
                error = lsp_error(s, "\"%s\" is not a valid MAC address",
                                  token);
            }
        } else if (n_tokens > 2) {
            error = lsp_error(s, "more than two IP addresses");
        } else {
            error = parse_ip(s, token, by_family, have);
        }
    }
    free(copy);

    if (error) {
        return error;
    } else if (!n_tokens) {
        return lsp_error(s, "no MAC address");
    } else if (require_ip && n_tokens == 1) {
        return lsp_error(s, "no IP address");
    }

    snprintf(a->mac_s, sizeof a->mac_s, ETH_ADDR_FMT, ETH_ADDR_ARGS(a->mac));
    for (size_t f = 0; f < 2; f++) {
        if (have[f]) {
            a->ips[a->n_ips++] = by_family[f];
        }
    }
    return NULL;
}

void
ovn_lsp_addresses_put_ips(const struct ovn_lsp_addresses *a, struct ds *out)
{
    for (size_t i = 0; i < a->n_ips; i++) {
        if (i) {
            ds_put_char(out, ',');
        }
        cidr_ip_put(a->ips[i].family, a->ips[i].n, out);
    }
}

char *
ovn_lsp_addresses_format(const char *mac, const char *ips)
{
    struct ds entry = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&entry, mac);
    if (ips && *ips) {
        ds_put_char(&entry, ' ');
        for (const char *p = ips; *p; p++) {
            ds_put_char(&entry, *p == ',' ? ' ' : *p);
        }
    }
    return ds_steal_cstr(&entry);
}
