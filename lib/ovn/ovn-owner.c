/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "ovn/ovn-owner.h"

#include <stdarg.h>
#include <string.h>

#include "util.h"

void
ovn_owner_init(struct smap *ids, ...)
{
    va_list args;

    smap_clear(ids);
    ovn_owner_stamp(ids);
    va_start(args, ids);
    for (const char *key; (key = va_arg(args, const char *)) != NULL; ) {
        const char *value = va_arg(args, const char *);
        smap_replace(ids, key, value);
    }
    va_end(args);
}

void
ovn_owner_stamp(struct smap *ids)
{
    smap_replace(ids, OVN_OWNER_VENDOR_KEY, OVN_OWNER_VENDOR);
}

bool
ovn_owner_is_kovn(const struct smap *ids)
{
    const char *vendor = ids ? smap_get(ids, OVN_OWNER_VENDOR_KEY) : NULL;
    return vendor && !strcmp(vendor, OVN_OWNER_VENDOR);
}

const char *
ovn_owner_get(const struct smap *ids, const char *key)
{
    return ovn_owner_is_kovn(ids) ? smap_get(ids, key) : NULL;
}

bool
ovn_owner_matches(const struct smap *ids, const char *key, const char *value)
{
    const char *owner = ovn_owner_get(ids, key);
    return owner && !strcmp(owner, value);
}

char *
ovn_owner_ipam(const char *key, const char *value)
{
    return xasprintf("%s/%s", key, value);
}

const char *
ovn_owner_ipam_parse(const char *owner, const char *key)
{
    size_t n = strlen(key);
    return !strncmp(owner, key, n) && owner[n] == '/' ? owner + n + 1 : NULL;
}
