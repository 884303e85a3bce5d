/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "sts.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/k8s-informer.h"
#include "k8s/k8s-resource.h"
#include "objects.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

const struct k8s_resource k8s_statefulsets = {
    .group = "apps",
    .version = "v1",
    .api_version = "apps/v1",
    .plural = "statefulsets",
    .kind = "StatefulSet",
    .namespaced = true,
};

int64_t
sts_replicas(const struct json *sts)
{
    int64_t n = 1;
    if (!sts || obj_is_deleting(sts)) {
        return 0;
    }
    json_get_int(sts, "spec.replicas", &n);
    return n;
}

const char *
sts_owner(const struct json *obj)
{
    const struct json *refs = json_get_path(obj, "metadata.ownerReferences");
    for (size_t i = 0; refs && refs->type == JSON_ARRAY
                       && i < refs->array.n; i++) {
        const char *kind = json_get_string(refs->array.elems[i], "kind");
        if (kind && !strcmp(kind, "StatefulSet")) {
            return json_get_string(refs->array.elems[i], "name");
        }
    }
    return NULL;
}

bool
sts_keeps(const struct k8s_informer *statefulsets, const char *ns,
          const char *name, const struct json *ip)
{
    const char *type = json_get_string(ip, "spec.podType");
    const char *dash = strrchr(name, '-');
    if (!type || strcmp(type, "StatefulSet") || !dash || dash == name) {
        return false;
    }
    char *end;
    long long int ordinal = strtoll(dash + 1, &end, 10);
    if (end == dash + 1 || *end || ordinal < 0) {
        return false;
    }
    char *key = xasprintf("%s/%.*s", ns, (int) (dash - name), name);
    const struct json *sts = k8s_informer_get(statefulsets, key);
    free(key);
    return sts && ordinal < sts_replicas(sts);
}

void
sts_released_pods(const struct json *old, const struct json *new,
                  struct svec *keys)
{
    const char *ns = k8s_obj_namespace(old);
    const char *name = k8s_obj_name(old);
    int64_t was = sts_replicas(old);
    for (int64_t i = sts_replicas(new); ns && name && i < was; i++) {
        svec_add_nocopy(keys, xasprintf("%s/%s-%"PRId64, ns, name, i));
    }
}
