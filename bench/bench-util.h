/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_BENCH_UTIL_H
#define KOVN_BENCH_UTIL_H 1

/* Memory figures the benchmarks print. */

#include <stddef.h>

/* Bytes of heap in use now (mallinfo2's uordblks). */
size_t bench_heap_bytes(void);

/* The process's resident set size in KiB (VmRSS), or -1 if unknown. */
long bench_rss_kib(void);

#endif /* bench-util.h */
