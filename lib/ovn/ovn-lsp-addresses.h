/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_OVN_LSP_ADDRESSES_H
#define KOVN_OVN_LSP_ADDRESSES_H 1

/* An entry of a Logical_Switch_Port's 'addresses' column as kovn writes it
 * for a pod or a node, "MAC IP [IP]":
 *
 *     "0a:58:0a:10:00:05 10.16.0.5 fd00:10:16::5"
 *
 * that is a lib/ipam lease in OVN's syntax (ovn-nb(5)).  kovn-controller
 * writes it, and reads it back to rebuild its IPAM at start-up.
 *
 * The parser follows OVN's own (extract_lsp_addresses() in OVN's
 * lib/ovn-util.c) where kovn can use what it accepts, and refuses the rest
 * with a message that says why:
 *
 *   - The MAC is read exactly as OVN reads it, so that kovn sees the MAC
 *     the datapath uses: eth_addr_from_string(), six ':'-separated bytes
 *     each scanned as by scanf's "%hhx" (so "0:1:2:3:4:5" is
 *     00:01:02:03:04:05, but "0a-58-..." is refused).  'mac_s' holds it
 *     normalised.
 *
 *   - Tokens are separated by any run of white space, and white space may
 *     lead or trail, as OVN's scanf-style parser tolerates.
 *
 *   - OVN's keywords "router", "unknown" and "dynamic", alone or anywhere
 *     in the entry ("MAC dynamic", "dynamic IP"), are refused: such an
 *     entry does not hold the port's addresses (they come from the peer
 *     router port, are any MAC at all, or are chosen by ovn-northd into
 *     column dynamic_addresses).  kovn never writes them, so a caller that
 *     gets this error skips the port as not one of its own leases.
 *
 *   - At most one address per family, since a lease holds no more, and
 *     only bare addresses: OVN would also take "10.16.0.5/16", but kovn
 *     never writes a prefix length, and dropping one silently would hide
 *     that someone else edited the entry.
 *
 * No function keeps a pointer to its arguments.  Returned strings are
 * malloc'd and the caller frees them. */

#include <stdbool.h>
#include <stddef.h>
#include "ipam/cidr.h"
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"

struct ds;

/* One parsed entry.  Plain data: nothing to free. */
struct ovn_lsp_addresses {
    struct eth_addr mac;
    char mac_s[18];             /* "0a:58:0a:10:00:05", lower case. */
    size_t n_ips;               /* 0, 1 or 2: at most one per family. */
    struct ip_addr ips[2];      /* IPv4 first whatever the entry's order, as
                                 * lib/ipam and the ip_address annotation
                                 * write them. */
};

/* Parses entry 's' into '*a'.  Returns NULL on success, or a malloc'd
 * message quoting 's' (then '*a' is unspecified): no MAC, a malformed MAC
 * or address, an address with a prefix length, more than two addresses,
 * two of one family, an OVN keyword (see above), or with 'require_ip' no
 * address at all (OVN allows a MAC alone; a kovn lease never is one). */
char *ovn_lsp_addresses_parse(const char *s, bool require_ip,
                              struct ovn_lsp_addresses *a)
    OVS_WARN_UNUSED_RESULT;

/* Appends the addresses of 'a' to 'out', comma separated and IPv4 first
 * ("10.16.0.5,fd00:10:16::5"), as the ip_address annotation, an ipam_record
 * and ipam_lease's ip_string write them; nothing if 'a' has none. */
void ovn_lsp_addresses_put_ips(const struct ovn_lsp_addresses *a,
                               struct ds *out);

/* Returns the entry "MAC IP [IP]" for MAC 'mac' and the comma-separated
 * addresses 'ips' (an ipam_lease's mac_string and ip_string); just "MAC" if
 * 'ips' is NULL or "".  Neither is checked: they come from the IPAM. */
char *ovn_lsp_addresses_format(const char *mac, const char *ips);

#endif /* lib/ovn/ovn-lsp-addresses.h */
