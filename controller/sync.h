/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SYNC_H
#define KOVN_SYNC_H 1

/* The sync barrier, as ovn-nbctl --wait=sb sync is for OVN: the control
 * command
 *
 *     ovs-appctl -t kovn-controller kovn/sync [CACHE KEY [RV|gone]]
 *
 * answers once kovn-controller is idle: start-up done, no key ready or
 * waiting for an NB transaction in any kind, no NB transaction and no API
 * write in flight (delayed keys -- a Subnet's status a second after an
 * allocation, retries with backoff -- are not waited for).  With CACHE
 * (an informer's name: "pods", "subnets", "statefulsets"...) and KEY it
 * first waits until that cache holds KEY at resourceVersion RV or later
 * ("RV"), no longer holds it ("gone"), or holds it at all (neither), so
 * that a test knows the controller has seen its change before it checks
 * that nothing happened.  The answer is "idle".  A standby replica never
 * answers: tests ask the leader.
 *
 * Ownership: the controller owns the waiting requests (controller->syncs);
 * sync_cancel_all() answers them with an error on exit. */

struct controller;
struct unixctl_server;

void sync_register(struct controller *, struct unixctl_server *);
void sync_run(struct controller *);
void sync_cancel_all(struct controller *);

#endif /* sync.h */
