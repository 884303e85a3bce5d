/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "cni-install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/cni-spec.h"
#include "openvswitch/json.h"
#include "util.h"

/* Writes 'len' bytes of 'data' to 'path' with 'mode' through a temporary
 * file and rename(). */
static char *
write_atomically(const char *path, const char *data, size_t len, mode_t mode)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long) getpid());
    char *error = NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        error = xasprintf("cannot create %s: %s", tmp, ovs_strerror(errno));
        free(tmp);
        return error;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error = xasprintf("cannot write %s: %s", tmp,
                              ovs_strerror(errno));
            break;
        }
        done += n;
    }
    if (close(fd) && !error) {
        error = xasprintf("cannot write %s: %s", tmp, ovs_strerror(errno));
    }
    if (!error && (fchmodat(AT_FDCWD, tmp, mode, 0) || rename(tmp, path))) {
        error = xasprintf("cannot install %s: %s", path, ovs_strerror(errno));
    }
    if (error) {
        unlink(tmp);
    }
    free(tmp);
    return error;
}

static char *
read_file(const char *path, char **datap, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return xasprintf("cannot read %s: %s", path, ovs_strerror(errno));
    }
    size_t cap = 1 << 20, len = 0;
    char *data = xmalloc(cap);
    size_t n;
    while ((n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            data = xrealloc(data, cap);
        }
    }
    char *error = ferror(f) ? xasprintf("cannot read %s", path) : NULL;
    fclose(f);
    if (error) {
        free(data);
        return error;
    }
    *datap = data;
    *lenp = len;
    return NULL;
}

static char *
conflist_text(const char *socket_path)
{
    struct json *plugin = json_object_create();
    json_object_put_string(plugin, "type", "kovn");
    json_object_put_string(plugin, "server_socket", socket_path);

    struct json *conf = json_object_create();
    json_object_put_string(conf, "cniVersion", CNI_VERSION_CURRENT);
    json_object_put_string(conf, "name", "kovn");
    json_object_put(conf, "plugins", json_array_create_1(plugin));
    char *text = json_to_string(conf, JSSF_PRETTY | JSSF_SORT);
    json_destroy(conf);
    return text;
}

char *
cni_install(const char *plugin, const char *bin_dir, const char *conf_dir,
            const char *socket_path)
{
    char *data = NULL, *error;
    size_t len = 0;

    if (bin_dir && *bin_dir) {
        error = read_file(plugin, &data, &len);
        if (!error) {
            char *dst = xasprintf("%s/kovn", bin_dir);
            error = write_atomically(dst, data, len, 0755);
            free(dst);
            free(data);
        }
        if (error) {
            return error;
        }
    }
    if (conf_dir && *conf_dir) {
        char *text = conflist_text(socket_path);
        char *dst = xasprintf("%s/%s", conf_dir, CNI_CONFLIST_NAME);
        error = write_atomically(dst, text, strlen(text), 0644);
        free(dst);
        free(text);
        return error;
    }
    return NULL;
}
