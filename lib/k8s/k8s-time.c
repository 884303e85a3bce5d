/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "k8s/k8s-time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

char *
k8s_time_format(long long int wall_ms, bool micro)
{
    time_t secs = wall_ms / 1000;
    struct tm tm;
    char buf[32];

    gmtime_r(&secs, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return (micro
            ? xasprintf("%s.%06lldZ", buf, (wall_ms % 1000) * 1000)
            : xasprintf("%sZ", buf));
}

bool
k8s_time_parse(const char *s, long long int *wall_msp)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);

    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest) {
        return false;
    }

    long long int ms = 0;
    if (*rest == '.') {
        /* Fraction of a second: keep the first three digits. */
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++) {
            if (digits < 3) {
                ms = ms * 10 + (*rest - '0');
            }
        }
        for (; digits < 3; digits++) {
            ms *= 10;
        }
    }
    if (strcmp(rest, "Z")) {
        return false;
    }
    *wall_msp = (long long int) timegm(&tm) * 1000 + ms;
    return true;
}
