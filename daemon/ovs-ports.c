/* Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
 * Version 2.0; see LICENSE. */

#include <config.h>

#include "ovs-ports.h"

#include <string.h>

#include "hmapx.h"
#include "ovn/ovn-idl.h"
#include "ovn/ovn-owner.h"
#include "ovsdb-idl.h"
#include "util.h"

/* One index per IDL; the daemon has one local database. */
static struct ovsdb_idl_index *iface_by_name;

/* Only the columns the daemon reads or changes in existing rows: vswitchd
 * rewrites every Interface's statistics and status every few seconds, and
 * on a node with hundreds of pods replicating those would cost the daemon
 * more than everything else it does. */
void
ovs_ports_register(struct ovn_idl *ovs)
{
    static const struct ovsdb_idl_column *columns[] = {
        &ovsrec_open_vswitch_col_external_ids,
        &ovsrec_open_vswitch_col_bridges,
        &ovsrec_bridge_col_name,
        &ovsrec_bridge_col_ports,
        &ovsrec_bridge_col_datapath_type,
        &ovsrec_port_col_name,
        &ovsrec_port_col_interfaces,
        &ovsrec_port_col_qos,
        &ovsrec_interface_col_name,
        &ovsrec_interface_col_external_ids,
        &ovsrec_interface_col_mac,
        &ovsrec_interface_col_mtu_request,
        &ovsrec_interface_col_ofport,   /* Written once, when attached. */
        &ovsrec_qos_col_external_ids,
    };
    for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
        ovsdb_idl_add_column(ovs->idl, columns[i]);
    }
    iface_by_name = ovsdb_idl_index_create1(ovs->idl,
                                            &ovsrec_interface_col_name);
}

const struct ovsrec_open_vswitch *
ovs_root(const struct ovn_idl *ovs)
{
    return ovsrec_open_vswitch_first(ovs->idl);
}

const struct ovsrec_bridge *
ovs_find_bridge(const struct ovn_idl *ovs, const char *name)
{
    const struct ovsrec_bridge *br;
    OVSREC_BRIDGE_FOR_EACH (br, ovs->idl) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

const struct ovsrec_interface *
ovs_find_interface(const struct ovn_idl *ovs OVS_UNUSED, const char *name)
{
    struct ovsrec_interface *key
        = ovsrec_interface_index_init_row(iface_by_name);
    ovsrec_interface_index_set_name(key, name);
    const struct ovsrec_interface *iface
        = ovsrec_interface_index_find(iface_by_name, key);
    ovsrec_interface_index_destroy_row(key);
    return iface;
}

const struct ovsrec_port *
ovs_bridge_find_port(const struct ovsrec_bridge *br, const char *name)
{
    for (size_t i = 0; br && i < br->n_ports; i++) {
        if (!strcmp(br->ports[i]->name, name)) {
            return br->ports[i];
        }
    }
    return NULL;
}

bool
ovs_iface_attached(const struct ovsrec_interface *iface)
{
    return iface && iface->n_ofport && iface->ofport[0] > 0;
}

bool
ovs_iface_installed(const struct ovsrec_interface *iface)
{
    return iface && smap_get_bool(&iface->external_ids, OVS_OVN_INSTALLED,
                                  false);
}

static const struct ovsrec_qos *
add_qos(struct ovsdb_idl_txn *txn, const struct ovs_pod_port *pp)
{
    struct smap config = SMAP_INITIALIZER(&config);
    unsigned long long bps = pp->ingress_mbps * 1000000ULL;
    if (!strcmp(pp->qos_type, "egress-policer")) {
        /* Committed rate and burst in bytes (per second). */
        smap_add_format(&config, "cir", "%llu", bps / 8);
        smap_add_format(&config, "cbs", "%llu", bps / 8 / 10);
    } else {
        smap_add_format(&config, "max-rate", "%llu", bps);
    }
    struct smap ids = SMAP_INITIALIZER(&ids);
    ovn_owner_init(&ids, "port", pp->name, NULL);

    struct ovsrec_qos *qos = ovsrec_qos_insert(txn);
    ovsrec_qos_set_type(qos, pp->qos_type);
    ovsrec_qos_set_other_config(qos, &config);
    ovsrec_qos_set_external_ids(qos, &ids);
    smap_destroy(&config);
    smap_destroy(&ids);
    return qos;
}

void
ovs_add_pod_port(struct ovsdb_idl_txn *txn, const struct ovsrec_bridge *br,
                 const struct ovs_pod_port *pp)
{
    struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, pp->name);
    ovsrec_interface_set_external_ids(iface, pp->external_ids);
    if (pp->egress_mbps) {
        /* kbit/s, and a burst of a tenth of a second's worth. */
        int64_t kbps = pp->egress_mbps * 1000LL;
        ovsrec_interface_set_ingress_policing_rate(iface, kbps);
        ovsrec_interface_set_ingress_policing_burst(iface, kbps / 10);
    }

    struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, pp->name);
    ovsrec_port_set_interfaces(port, &iface, 1);
    if (pp->ingress_mbps) {
        ovsrec_port_set_qos(port, add_qos(txn, pp));
    }
    ovsrec_bridge_update_ports_addvalue(br, port);
}

void
ovs_del_port(struct ovsdb_idl_txn *txn OVS_UNUSED,
             const struct ovsrec_bridge *br, const struct ovsrec_port *port)
{
    /* Not the port's QoS: the IDL leaves a Port's deletion to the server's
     * garbage collection, which comes after the referential integrity
     * check, so deleting its QoS in the same transaction fails.
     * ovs_gc_qos() takes it in the next one. */
    ovsrec_bridge_update_ports_delvalue(br, port);
    ovsrec_port_delete(port);
}

bool
ovs_gc_qos(const struct ovn_idl *ovs)
{
    struct hmapx used = HMAPX_INITIALIZER(&used);
    const struct ovsrec_port *port;
    OVSREC_PORT_FOR_EACH (port, ovs->idl) {
        if (port->qos) {
            hmapx_add(&used, CONST_CAST(struct ovsrec_qos *, port->qos));
        }
    }
    bool deleted = false;
    const struct ovsrec_qos *qos;
    OVSREC_QOS_FOR_EACH (qos, ovs->idl) {
        if (ovn_owner_is_kovn(&qos->external_ids)
            && !hmapx_contains(&used, qos)) {
            ovsrec_qos_delete(qos);
            deleted = true;
        }
    }
    hmapx_destroy(&used);
    return deleted;
}

const struct smap *
ovs_port_iface_ids(const struct ovsrec_port *port)
{
    return port->n_interfaces ? &port->interfaces[0]->external_ids : NULL;
}
