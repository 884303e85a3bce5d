/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "net/ethtool.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/link.h"
#include "util.h"

/* Runs ethtool command 'cmd' on 'dev' with '*value' in and out; 'what'
 * names it for the error message.
 *
 * The socket is made here rather than taken from OVS's af_inet_ioctl(),
 * whose socket is opened once and stays in the namespace of whichever
 * thread first used it: an ioctl names the device by name, resolved in
 * the socket's namespace, and the pod's eth0 would not be found. */
static char *
ethtool_value(const char *dev, uint32_t cmd, uint32_t *value,
              const char *what)
{
    char *error = net_ifname_check(dev);
    if (error) {
        return error;
    }

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return xasprintf("%s: %s: socket failed (%s)", dev, what,
                         ovs_strerror(errno));
    }

    struct ethtool_value ev = { .cmd = cmd, .data = *value };
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ovs_strlcpy(ifr.ifr_name, dev, sizeof ifr.ifr_name);
    ifr.ifr_data = (void *) &ev;
    if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
        error = errno == ENODEV
                ? xasprintf("%s: no such interface", dev)
                : xasprintf("%s: %s failed (%s)", dev, what,
                            ovs_strerror(errno));
    } else {
        *value = ev.data;
    }
    close(fd);
    return error;
}

char *
net_set_tx_checksum(const char *dev, bool on)
{
    uint32_t value = on;
    return ethtool_value(dev, ETHTOOL_STXCSUM, &value,
                         on ? "turning TX checksum offload on"
                            : "turning TX checksum offload off");
}

char *
net_get_tx_checksum(const char *dev, bool *on)
{
    uint32_t value = 0;
    char *error = ethtool_value(dev, ETHTOOL_GTXCSUM, &value,
                                "reading TX checksum offload");
    *on = !error && value;
    return error;
}
