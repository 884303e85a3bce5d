/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#ifndef KOVN_SERVICE_H
#define KOVN_SERVICE_H 1

/* The Service kind: each Service becomes one OVN Load_Balancer per protocol
 * it uses, in the group of Services that every switch of the default VPC
 * and the join switch carry (so pods and, through ovn0, nodes reach it):
 *
 *     Load_Balancer  kovn-svc:<namespace>/<name>:<tcp|udp|sctp>
 *       vips         "<VIP>:<port>" -> "<backend>:<port>,..."  for each
 *                    ClusterIP, externalIP and load balancer ingress IP,
 *                    with the ready backends of the VIP's family
 *       options      reject=true: a VIP without backends refuses at once
 *       selection_fields  ip_src for sessionAffinity ClientIP (see
 *                    service.c: why not affinity_timeout)
 *       external_ids vendor=kovn service=<namespace>/<name>
 *
 * What a Service and its EndpointSlices mean is lib/svc/svc-model.h's, the
 * same for kovn-daemon's NodePort; headless and ExternalName Services get
 * no load balancer. */

struct json;
struct svec;

extern const struct kind_class service_class;

/* Index of the EndpointSlice cache: the Service of each slice. */
#define SERVICE_INDEX_SLICES "service"

#endif /* service.h */
