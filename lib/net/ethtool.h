/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_NET_ETHTOOL_H
#define KOVN_NET_ETHTOOL_H 1

/* The one ethtool setting kovn needs: TX checksum offload.
 *
 * With OVS's userspace (netdev) datapath, packets a pod sends through a
 * veth with TX checksum offload on leave with a partial checksum that
 * nothing ever completes, so TCP between pods fails while ICMP works.  The
 * pod end of the veth must have it off ("ethtool -K eth0 tx off").  Turning
 * it off also turns off what depends on it (TSO, GSO of TCP).
 *
 * Both functions act in the network namespace of the calling thread and
 * return NULL on success or a malloc'd error message that names the
 * interface, for the caller to free. */

#include <stdbool.h>
#include "openvswitch/compiler.h"

/* Turns TX checksum offload of 'dev' on or off (ETHTOOL_STXCSUM). */
char *net_set_tx_checksum(const char *dev, bool on) OVS_WARN_UNUSED_RESULT;

/* Stores in '*on' whether TX checksum offload of 'dev' is on. */
char *net_get_tx_checksum(const char *dev, bool *on) OVS_WARN_UNUSED_RESULT;

#endif /* lib/net/ethtool.h */
