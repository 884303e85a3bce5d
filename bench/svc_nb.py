#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
"""OVN-only Service scale, driven by bench/bench-services-nb.sh.

Talks OVSDB JSON-RPC (RFC 7047) straight to the NB and SB servers of DIR
(tests/integration/ovn-env.sh: DIR/nb.sock, sb.sock, northd.ctl): no
ovn-nbctl per step, because each ovn-nbctl call would first download the
whole NB.  Prints its figures as "key value" lines; judges nothing.

    svc_nb.py DIR LAYOUT N BACKENDS K PORTS CHANGES

LAYOUT is one of
  group     kovn's: one Load_Balancer per Service, all in one
            Load_Balancer_Group "kovn-cluster-services" attached to every
            subnet switch and to the join switch;
  switches  one Load_Balancer per Service, each switch's load_balancer
            column listing all of them;
  shared    Kube-OVN's: three shared LBs (tcp, udp, sctp) per VPC, every
            Service's VIP in the tcp one, all three on every switch.
"""

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time


class Ovsdb:
    """A minimal blocking OVSDB JSON-RPC client."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = ""
        self.dec = json.JSONDecoder()
        self.next_id = 0
        self.notes = []

    def send(self, method, params):
        self.next_id += 1
        msg = {"method": method, "params": params, "id": self.next_id}
        self.sock.sendall(json.dumps(msg).encode())
        return self.next_id

    def _read(self):
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    obj, end = self.dec.raw_decode(s)
                    self.buf = s[end:]
                    return obj
                except ValueError:
                    pass
            data = self.sock.recv(1 << 20)   # socket.timeout propagates
            if not data:
                raise EOFError("ovsdb connection closed")
            self.buf += data.decode()

    def read(self):
        """The next reply or notification (echo requests are answered)."""
        while True:
            obj = self._read()
            if obj.get("method") == "echo" and obj.get("id") is not None:
                self.sock.sendall(json.dumps(
                    {"result": obj["params"], "error": None,
                     "id": obj["id"]}).encode())
                continue
            return obj

    def call(self, method, params):
        i = self.send(method, params)
        while True:
            obj = self.read()
            if obj.get("id") == i and "method" not in obj:
                if obj.get("error"):
                    raise RuntimeError("%s: %s" % (method, obj["error"]))
                return obj["result"]
            self.notes.append(obj)

    def transact(self, db, ops):
        res = self.call("transact", [db] + ops)
        for r in res:
            if r and "error" in r:
                raise RuntimeError("transaction failed: %s" % res)
        return res


NB = "OVN_Northbound"
SB = "OVN_Southbound"


def uset(names):
    return ["set", [["named-uuid", n] for n in names]]


def umap(d):
    return ["map", [[k, v] for k, v in sorted(d.items())]]


def ip(n):
    return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)


VIP_BASE = (10 << 24) | (96 << 16)      # 10.96.0.0/12
POD_BASE = (10 << 24) | (16 << 16)      # 10.16.0.0/16, a /24 per switch


def vip(i):
    return "%s:80" % ip(VIP_BASE + 10 + i)


def backends(i, b, k):
    # Backends spread over the subnets; addresses need not be ports' own.
    out = []
    for j in range(b):
        n = i * b + j
        sw = n % k
        host = 2 + (n // k) % 250
        out.append("%s:8080" % ip(POD_BASE + (sw << 8) + host))
    return ",".join(out)


def topology_ops(k, ports):
    """The cluster router, the join switch and K subnet switches."""
    ops = []
    vendor = {"vendor": "kovn"}
    lrps = []
    ops.append({"op": "insert", "table": "Logical_Router_Port",
                "uuid-name": "lrp_join",
                "row": {"name": "kovn-cluster-join",
                        "mac": "0a:58:64:40:00:01",
                        "networks": "100.64.0.1/16",
                        "external_ids": umap(vendor)}})
    lrps.append("lrp_join")
    ops.append({"op": "insert", "table": "Logical_Switch_Port",
                "uuid-name": "lsp_join",
                "row": {"name": "join-kovn-cluster", "type": "router",
                        "addresses": "router",
                        "options": umap({"router-port": "kovn-cluster-join"}),
                        "external_ids": umap(vendor)}})
    ops.append({"op": "insert", "table": "Logical_Switch",
                "uuid-name": "ls_join",
                "row": {"name": "join", "ports": uset(["lsp_join"]),
                        "other_config": umap({"subnet": "100.64.0.0/16"}),
                        "external_ids": umap(vendor)}})
    for s in range(k):
        net = POD_BASE + (s << 8)
        name = "subnet%d" % s
        lrp = "lrp%d" % s
        ops.append({"op": "insert", "table": "Logical_Router_Port",
                    "uuid-name": lrp,
                    "row": {"name": "kovn-cluster-" + name,
                            "mac": "0a:58:0a:10:%02x:01" % s,
                            "networks": "%s/24" % ip(net + 1),
                            "external_ids": umap(vendor)}})
        lrps.append(lrp)
        lsps = ["lsr%d" % s]
        ops.append({"op": "insert", "table": "Logical_Switch_Port",
                    "uuid-name": "lsr%d" % s,
                    "row": {"name": name + "-kovn-cluster", "type": "router",
                            "addresses": "router",
                            "options": umap({"router-port":
                                             "kovn-cluster-" + name}),
                            "external_ids": umap(vendor)}})
        for p in range(ports):
            a = net + 2 + p
            mac = "0a:58:0a:10:%02x:%02x" % (s, (2 + p) & 255)
            u = "lsp%d_%d" % (s, p)
            ops.append({"op": "insert", "table": "Logical_Switch_Port",
                        "uuid-name": u,
                        "row": {"name": "pod%d-%d.default" % (s, p),
                                "addresses": "%s %s" % (mac, ip(a)),
                                "port_security": "%s %s" % (mac, ip(a)),
                                "external_ids": umap(vendor)}})
            lsps.append(u)
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "uuid-name": "ls%d" % s,
                    "row": {"name": name, "ports": uset(lsps),
                            "other_config": umap({"subnet": "%s/24" %
                                                  ip(net)}),
                            "external_ids": umap(vendor)}})
    ops.append({"op": "insert", "table": "Logical_Router",
                "row": {"name": "kovn-cluster", "ports": uset(lrps),
                        "external_ids": umap(vendor)}})
    return ops


def lb_ops(layout, n, b, k):
    """The load balancers of LAYOUT and their attachment to every switch."""
    ops = []
    names = []
    if layout in ("group", "groups16", "switches"):
        for i in range(n):
            u = "lb%d" % i
            ops.append({"op": "insert", "table": "Load_Balancer",
                        "uuid-name": u,
                        "row": {"name": "kovn-svc:bench/svc%d:tcp" % i,
                                "protocol": "tcp",
                                "vips": umap({vip(i): backends(i, b, k)}),
                                "options": umap({"reject": "true"}),
                                "external_ids": umap(
                                    {"vendor": "kovn",
                                     "service": "bench/svc%d" % i})}})
            names.append(u)
    elif layout == "shared":
        vips = {vip(i): backends(i, b, k) for i in range(n)}
        for proto in ("tcp", "udp", "sctp"):
            u = "lb_" + proto
            ops.append({"op": "insert", "table": "Load_Balancer",
                        "uuid-name": u,
                        "row": {"name": "cluster-%s-loadbalancer" % proto,
                                "protocol": proto,
                                "vips": umap(vips if proto == "tcp" else {}),
                                "options": umap({"reject": "true"})}})
            names.append(u)
    else:
        raise SystemExit("unknown layout " + layout)
    switches = ["join"] + ["subnet%d" % s for s in range(k)]
    if layout == "group":
        ops.append({"op": "insert", "table": "Load_Balancer_Group",
                    "uuid-name": "lbg",
                    "row": {"name": "kovn-cluster-services",
                            "load_balancer": uset(names)}})
        col, refs = "load_balancer_group", uset(["lbg"])
    elif layout == "groups16":
        for g in range(16):
            ops.append({"op": "insert", "table": "Load_Balancer_Group",
                        "uuid-name": "lbg%d" % g,
                        "row": {"name": "kovn-cluster-services-%02d" % g,
                                "load_balancer": uset(names[g::16])}})
        col = "load_balancer_group"
        refs = uset(["lbg%d" % g for g in range(16)])
    else:
        col, refs = "load_balancer", uset(names)
    for sw in switches:
        ops.append({"op": "mutate", "table": "Logical_Switch",
                    "where": [["name", "==", sw]],
                    "mutations": [[col, "insert", refs]]})
    return ops


class Barrier:
    """ovn-nbctl --wait=sb without ovn-nbctl: a transaction that also bumps
    NB_Global's nb_cfg, then a monitor on NB_Global until ovn-northd has
    copied that value to sb_cfg (it has processed the transaction)."""

    def __init__(self, nb):
        self.nb = nb
        rows = nb.transact(NB, [{"op": "select", "table": "NB_Global",
                                 "where": [], "columns": ["_uuid"]}])[0]
        if not rows["rows"]:
            nb.transact(NB, [{"op": "insert", "table": "NB_Global",
                              "row": {}}])
        self.sb_cfg = None
        res = nb.call("monitor", [NB, "nbg", {"NB_Global": {
            "columns": ["nb_cfg", "sb_cfg"]}}])
        self._update(res)

    def _update(self, upd):
        for row in upd.get("NB_Global", {}).values():
            new = row.get("new")
            if new and "sb_cfg" in new:
                self.sb_cfg = new["sb_cfg"]

    def transact(self, ops):
        """Runs OPS plus the nb_cfg bump; returns (commit time, nb_cfg)."""
        res = self.nb.transact(NB, ops + [
            {"op": "mutate", "table": "NB_Global", "where": [],
             "mutations": [["nb_cfg", "+=", 1]]},
            {"op": "select", "table": "NB_Global", "where": [],
             "columns": ["nb_cfg"]}])
        return time.monotonic(), res[-1]["rows"][0]["nb_cfg"]

    def wait(self, cfg, timeout=1800):
        deadline = time.monotonic() + timeout
        while self.sb_cfg is None or self.sb_cfg < cfg:
            if time.monotonic() > deadline:
                raise SystemExit("ovn-northd did not process nb_cfg %d" % cfg)
            while self.nb.notes:
                note = self.nb.notes.pop(0)
                if note.get("method") == "update":
                    self._update(note["params"][1])
            if self.sb_cfg is not None and self.sb_cfg >= cfg:
                break
            note = self.nb.read()
            if note.get("method") == "update":
                self._update(note["params"][1])
        return time.monotonic()


def appctl(d, target, *args):
    env = dict(os.environ, OVS_RUNDIR=d, OVN_RUNDIR=d)
    return subprocess.run(["ovs-appctl", "-t", os.path.join(d, target)] +
                          list(args), check=True, capture_output=True,
                          text=True, env=env).stdout


def stopwatch(d, name):
    """(samples, maximum ms, long-term average ms) of a northd stopwatch."""
    out = appctl(d, "northd.ctl", "stopwatch/show", name)
    samples = mx = avg = 0.0
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Total samples:"):
            samples = int(line.split()[2])
        elif line.startswith("Maximum:"):
            mx = float(line.split()[1])
        elif line.startswith("Long term average:"):
            avg = float(line.split()[3])
    return samples, mx, avg


def count(db, name, table):
    rows = db.transact(name, [{"op": "select", "table": table, "where": [],
                               "columns": ["_uuid"]}])[0]["rows"]
    return len(rows)


def compacted_size(d, db):
    appctl(d, db + ".ctl", "ovsdb-server/compact")
    return os.path.getsize(os.path.join(d, db + ".db"))


def rss_kib(d):
    with open(os.path.join(d, "northd.pid")) as f:
        pid = f.read().strip()
    out = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def main():
    if len(sys.argv) != 8:
        raise SystemExit(__doc__)
    d = sys.argv[1]
    layout = sys.argv[2]
    n, b, k, ports, changes = (int(x) for x in sys.argv[3:8])
    nb = Ovsdb(os.path.join(d, "nb.sock"))
    sb = Ovsdb(os.path.join(d, "sb.sock"))
    bar = Barrier(nb)

    _, cfg = bar.transact(topology_ops(k, ports))
    bar.wait(cfg)
    print("topology: router, join switch, %d subnet switches, %d ports each"
          % (k, ports))
    print("empty lflows %d" % count(sb, SB, "Logical_Flow"))

    ops = lb_ops(layout, n, b, k)
    t0 = time.monotonic()
    t1, cfg = bar.transact(ops)
    t2 = bar.wait(cfg)
    print("commit_ms %.0f" % ((t1 - t0) * 1000))
    print("processed_ms %.0f" % ((t2 - t0) * 1000))
    print("nb_lbs %d" % count(nb, NB, "Load_Balancer"))
    print("lflows %d" % count(sb, SB, "Logical_Flow"))
    print("sb_lbs %d" % count(sb, SB, "Load_Balancer"))
    print("sb_dpgroups %d" % count(sb, SB, "Logical_DP_Group"))

    # Forced full recomputes: the northd loop that ran each, 3 times.
    loops, builds = [], []
    for _ in range(3):
        appctl(d, "northd.ctl", "stopwatch/reset")
        appctl(d, "northd.ctl", "inc-engine/recompute")
        deadline = time.monotonic() + 600
        while stopwatch(d, "build_lflows")[0] < 1:
            if time.monotonic() > deadline:
                raise SystemExit("no recompute seen")
            time.sleep(0.05)
        time.sleep(0.2)   # let the loop's own stopwatch land
        loops.append(stopwatch(d, "ovn-northd-loop")[1])
        builds.append(stopwatch(d, "build_lflows")[1])
    names = re.findall(r"^Statistics for '([^']+)'",
                       appctl(d, "northd.ctl", "stopwatch/show"), re.M)
    print("recompute_stopwatches_max_ms %s" % " ".join(
        "%s=%.0f" % (w, stopwatch(d, w)[1]) for w in names))
    print("recompute_loop_ms %s" % " ".join("%.0f" % x for x in loops))
    print("recompute_build_lflows_ms %s" % " ".join("%.0f" % x
                                                    for x in builds))

    # One backend of one Service changes, CHANGES times: NB commit to
    # ovn-northd done (sb_cfg), one at a time.
    lat = []
    for c in range(changes):
        i = (c * 7919) % n
        key = vip(i)
        old = backends(i, b, k).split(",")
        old[0] = "10.17.%d.%d:8080" % (c // 250, 1 + c % 250)
        val = ",".join(old)
        if layout == "shared":
            where = [["name", "==", "cluster-tcp-loadbalancer"]]
        else:
            where = [["name", "==", "kovn-svc:bench/svc%d:tcp" % i]]
        op = {"op": "mutate", "table": "Load_Balancer", "where": where,
              "mutations": [["vips", "delete", ["set", [key]]],
                            ["vips", "insert", umap({key: val})]]}
        t0 = time.monotonic()
        _, cfg = bar.transact([op])
        t2 = bar.wait(cfg)
        lat.append((t2 - t0) * 1000)
    if lat:
        print("change_ms %s" % " ".join("%.0f" % x for x in lat))
        print("change_median_ms %.0f" % statistics.median(lat))

    mem = rss_kib(d)
    print("northd_rss_kib %d" % mem.get("VmRSS", 0))
    print("northd_hwm_kib %d" % mem.get("VmHWM", 0))
    print("nb_bytes %d" % compacted_size(d, "nb"))
    print("sb_bytes %d" % compacted_size(d, "sb"))


if __name__ == "__main__":
    main()
