/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_DAEMON_CNI_INSTALL_H
#define KOVN_DAEMON_CNI_INSTALL_H 1

/* Puts the kovn CNI plugin where the container runtime finds it: the
 * binary 'plugin' copied to BIN_DIR/kovn, and CONF_DIR/01-kovn.conflist
 * naming 'socket_path' as the daemon's socket (an empty or NULL directory
 * skips that part).
 * Both are replaced atomically (write, then rename), so a runtime never
 * reads half a file.  Returns NULL or a malloc'd error message. */

#include "openvswitch/compiler.h"

#define CNI_CONFLIST_NAME "01-kovn.conflist"

char *cni_install(const char *plugin, const char *bin_dir,
                  const char *conf_dir, const char *socket_path)
    OVS_WARN_UNUSED_RESULT;

#endif /* daemon/cni-install.h */
