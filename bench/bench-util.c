/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include "bench-util.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
bench_heap_bytes(void)
{
    return mallinfo2().uordblks;
}

long
bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = atol(line + 6);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}
