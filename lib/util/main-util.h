/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_MAIN_UTIL_H
#define KOVN_MAIN_UTIL_H 1

/* What every kovn daemon's main.c needs: option parsing helpers and a
 * clean stop on SIGTERM/SIGINT that wakes the OVS main loop. */

#include <stdbool.h>
#include "openvswitch/compiler.h"

/* Replaces the malloc'd string in '*slot' by a copy of 'value'. */
void main_set_option(char **slot, const char *value);

/* Parses 'value' as a whole number in [min, max] into '*n'; on failure
 * exits through main_bad_option() naming '--name'. */
void main_int_option(const char *name, const char *value, int min, int max,
                     int *n);

/* Prints "PROGRAM: MESSAGE (use --help for help)" and exits 1. */
void main_bad_option(const char *format, ...)
    OVS_PRINTF_FORMAT(1, 2) OVS_NO_RETURN;

/* Catches SIGTERM and SIGINT (after OVS's fatal-signal handling, so that
 * ours win): main_stop_requested() turns true and main_stop_wait() wakes
 * poll_block(). */
void main_catch_signals(void);
bool main_stop_requested(void);
void main_stop_wait(void);

/* Registers "exit" on the unixctl server: "ovs-appctl -t SOCKET exit" sets
 * '*exiting', for a clean stop like SIGTERM's. */
void main_register_exit(bool *exiting);

#endif /* lib/util/main-util.h */
