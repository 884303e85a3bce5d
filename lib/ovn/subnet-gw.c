/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>
#include "subnet-gw.h"

#include <stdlib.h>
#include <string.h>

#include "openvswitch/json.h"
#include "svec.h"
#include "util.h"
#include "util/json-util.h"

/* An address or a CIDR: an address is its own /32 or /128. */
static char *
parse_ip_or_cidr(const char *s, struct ip_cidr *c)
{
    if (strchr(s, '/')) {
        return cidr_parse(s, c, NULL);
    }
    struct ip_addr a;
    char *error = cidr_parse_ip(s, &a);
    if (!error) {
        *c = (struct ip_cidr) { a.family, cidr_family_bits(a.family), a.n };
    }
    return error;
}

/* "a,b/24,..." (spaces allowed around entries) into '*cidrs'. */
static char *
parse_ip_list(const char *field, const char *list, struct ip_cidr **cidrs,
              size_t *n)
{
    char *copy = xstrdup(list ? list : "");
    char *save = NULL, *error = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok && !error;
         tok = strtok_r(NULL, ", ", &save)) {
        struct ip_cidr c;
        char *e = parse_ip_or_cidr(tok, &c);
        if (e) {
            error = xasprintf("%s: %s", field, e);
            free(e);
        } else {
            *cidrs = xrealloc(*cidrs, (*n + 1) * sizeof **cidrs);
            (*cidrs)[(*n)++] = c;
        }
    }
    free(copy);
    return error;
}

static char *
parse_rule(const struct json *r, size_t i, struct subnet_nat_rule *rule)
{
    const char *action = json_get_string(r, "action");
    if (!action || (strcmp(action, "nat") && strcmp(action, "forward"))) {
        return xasprintf("spec.natOutgoingPolicyRules[%"PRIuSIZE"].action "
                         "\"%s\" is neither \"nat\" nor \"forward\"",
                         i, action ? action : "");
    }
    rule->forward = !strcmp(action, "forward");
    char *field = xasprintf("spec.natOutgoingPolicyRules[%"PRIuSIZE"]."
                            "match.srcIPs", i);
    char *error = parse_ip_list(field, json_get_string(r, "match.srcIPs"),
                                &rule->src, &rule->n_src);
    free(field);
    if (!error) {
        field = xasprintf("spec.natOutgoingPolicyRules[%"PRIuSIZE"]."
                          "match.dstIPs", i);
        error = parse_ip_list(field, json_get_string(r, "match.dstIPs"),
                              &rule->dst, &rule->n_dst);
        free(field);
    }
    return error;
}

static char *
parse_rules(const struct json *subnet, struct subnet_gw *gw)
{
    const struct json *rules = json_get_array(subnet,
                                              "spec.natOutgoingPolicyRules");
    size_t n = json_array_n(rules);
    gw->rules = n ? xcalloc(n, sizeof *gw->rules) : NULL;
    for (size_t i = 0; i < n; i++) {
        gw->n_rules++;
        char *error = parse_rule(rules->array.elems[i], i, &gw->rules[i]);
        if (error) {
            return error;
        }
    }
    return NULL;
}

/* One "name" or "name:IP" of spec.gatewayNode. */
static char *
parse_node(char *tok, struct subnet_gw *gw)
{
    struct subnet_gw_node node = { .name = tok };
    char *colon = strchr(tok, ':');
    if (colon) {
        *colon = '\0';
        char *error = cidr_parse_ip(colon + 1, &node.egress);
        if (error) {
            char *msg = xasprintf("spec.gatewayNode: \"%s\": %s", tok, error);
            free(error);
            return msg;
        }
    }
    if (!*tok) {
        return xstrdup("spec.gatewayNode: an entry has no node name");
    }
    if (subnet_gw_find_node(gw, tok)) {
        return xasprintf("spec.gatewayNode: node \"%s\" is named twice", tok);
    }
    node.name = xstrdup(tok);
    gw->nodes = xrealloc(gw->nodes, (gw->n_nodes + 1) * sizeof *gw->nodes);
    gw->nodes[gw->n_nodes++] = node;
    return NULL;
}

static char *
parse_nodes(const struct json *subnet, struct subnet_gw *gw)
{
    const char *list = json_get_string(subnet, "spec.gatewayNode");
    char *copy = xstrdup(list ? list : "");
    char *save = NULL, *error = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok && !error;
         tok = strtok_r(NULL, ", ", &save)) {
        error = parse_node(tok, gw);
    }
    free(copy);
    return error;
}

char *
subnet_gw_parse(const struct json *subnet, struct subnet_gw *gw)
{
    memset(gw, 0, sizeof *gw);
    const char *type = json_get_string(subnet, "spec.gatewayType");
    char *error = NULL;
    if (type && *type && !strcmp(type, "centralized")) {
        gw->type = SUBNET_GW_CENTRALIZED;
    } else if (type && *type && strcmp(type, "distributed")) {
        error = xasprintf("spec.gatewayType \"%s\" is neither "
                          "\"distributed\" nor \"centralized\"", type);
    }
    json_get_bool(subnet, "spec.natOutgoing", &gw->nat_outgoing);
    json_get_bool(subnet, "spec.enableEcmp", &gw->ecmp);
    if (!error) {
        error = parse_nodes(subnet, gw);
    }
    if (!error && gw->type == SUBNET_GW_CENTRALIZED && !gw->n_nodes) {
        error = xstrdup(json_get_path(subnet, "spec.gatewayNodeSelectors")
                        ? "spec.gatewayNodeSelectors is not supported: a "
                          "centralized gateway needs spec.gatewayNode"
                        : "a centralized gateway needs spec.gatewayNode");
    }
    if (!error) {
        error = parse_rules(subnet, gw);
    }
    if (error) {
        subnet_gw_destroy(gw);
        memset(gw, 0, sizeof *gw);
    }
    return error;
}

void
subnet_gw_destroy(struct subnet_gw *gw)
{
    for (size_t i = 0; i < gw->n_nodes; i++) {
        free(gw->nodes[i].name);
    }
    free(gw->nodes);
    for (size_t i = 0; i < gw->n_rules; i++) {
        free(gw->rules[i].src);
        free(gw->rules[i].dst);
    }
    free(gw->rules);
}

const struct subnet_gw_node *
subnet_gw_find_node(const struct subnet_gw *gw, const char *name)
{
    for (size_t i = 0; i < gw->n_nodes; i++) {
        if (!strcmp(gw->nodes[i].name, name)) {
            return &gw->nodes[i];
        }
    }
    return NULL;
}

void
subnet_gw_index_nodes(const struct json *subnet, struct svec *nodes)
{
    struct subnet_gw gw;
    char *error = subnet_gw_parse(subnet, &gw);
    free(error);                /* Then it names none. */
    for (size_t i = 0; i < gw.n_nodes; i++) {
        svec_add(nodes, gw.nodes[i].name);
    }
    subnet_gw_destroy(&gw);
}
