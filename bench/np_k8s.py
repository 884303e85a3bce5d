#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
"""NetworkPolicies over many pods in a real kube-apiserver, for
bench/bench-netpol.sh.

    np_k8s.py pods KUBECONFIG_TOKEN NB_SOCK PODS POLICIES NAMESPACES
        100 Nodes, NAMESPACES namespaces np-I (labels team=tI, tier), PODS
        pods over them (labels app=aK, role=web|worker; container ports
        http 8080, metrics 9090, dns 53/UDP; spec.nodeName, no kubelet),
        created in parallel; timed until NB has a port with an address
        for each (an OVSDB monitor on Logical_Switch_Port).
    np_k8s.py policies KUBECONFIG_TOKEN NB_SOCK PODS POLICIES NAMESPACES
        POLICIES NetworkPolicies created in parallel; timed until NB holds
        every policy's port group with exactly its selected pods' ports and
        some ACLs, every peer set (np-peer) with exactly its pods'
        addresses, and every named-port set with its pods' addresses (an
        OVSDB monitor on Port_Group, ACL, Address_Set and
        Logical_Switch_Port, checked against a model of the selectors).
    np_k8s.py pod-add KUBECONFIG_TOKEN NB_SOCK PODS POLICIES NAMESPACES \
              COUNT NB_LOG NB_CTL CONTROLLER_CTL [PREFIX]
        COUNT times: one pod added to namespace np-0, which 50 policies
        touch; timed until NB has its port in every port group and its
        address in every address set it belongs to; the NB transactions
        and operations it caused (ovsdb-server's jsonrpc debug log between
        the create and kovn/sync idle) and the rows the monitor saw change.
        With PREFIX (e.g. "base"), pods PREFIX-I before any policy exists:
        timed until NB has the port with its address.

The policy mix: np-0 holds 20 policies that all select the added pods
(app=a0, role=web); 30 policies in other namespaces allow ingress from
np-0's pods (namespaceSelector team=t0 and 10 distinct podSelectors that
match the added pods); the rest, in np-1..., are eight shapes (default
deny, podSelector peers, namespaceSelector+podSelector peers, ipBlock with
except, egress to pods and to an ipBlock, named ports, matchExpressions).
KOVN_BENCH_NP_EGRESS_NAMED=K makes K of those egress policies with a named
port (which depend on every pod of the cluster); 0 by default.

Prints its figures; asserts nothing about time.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True      # no __pycache__ in the clone
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svc_k8s import Api, pct, next_update    # noqa: E402
from svc_nb import Ovsdb                      # noqa: E402

N_NODES = 100
NP_API = "/apis/networking.k8s.io/v1"
HOT_NS = "np-0"
HOT_IN = 20         # policies in np-0 selecting the added pods
HOT_PEER = 30       # policies elsewhere whose peers pick them
HOT_PEER_KEYS = 10  # distinct podSelectors among those


# --- the objects ----------------------------------------------------------

def ns_name(i):
    return "np-%d" % i


def tier(i):
    return "edge" if i == 0 else ("frontend", "backend", "data")[i % 3]


def ns_labels(i):
    return {"team": "t%d" % i, "tier": tier(i)}


def pod_labels(j):
    return {"app": "a%d" % (j % 10), "role": ("web", "worker")[j % 2]}


CONTAINER_PORTS = [
    {"name": "http", "containerPort": 8080, "protocol": "TCP"},
    {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
]


def pod(name, ns, labels, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"nodeName": "bench-node-%d" % node,
                     "automountServiceAccountToken": False,
                     "containers": [{"name": "app", "image": "busybox:1.36",
                                     "ports": CONTAINER_PORTS}]}}


def pods_of(n_pods, n_ns):
    """(ns, name, labels, node) of every pod."""
    out = []
    for g in range(n_pods):
        i, j = g % n_ns, g // n_ns
        out.append((ns_name(i), "p%d" % j, pod_labels(j), g % N_NODES))
    return out


def ml(**kw):
    return {"matchLabels": kw}


def port(p, proto="TCP"):
    return {"protocol": proto, "port": p}


def policy(ns, name, pod_sel, ingress=None, egress=None):
    types = []
    spec = {"podSelector": pod_sel}
    if ingress is not None:
        types.append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        types.append("Egress")
        spec["egress"] = egress
    spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def hot_in(k):
    """Policy k of np-0: each selects the added pods (app=a0, role=web)."""
    sels = [{}, ml(app="a0"), ml(role="web"),
            {"matchExpressions": [{"key": "app", "operator": "In",
                                   "values": ["a0", "a%d" % (k % 9 + 1)]}]},
            {"matchExpressions": [{"key": "role", "operator": "Exists"}]}]
    sel = sels[k % len(sels)]
    shape = k % 4
    if shape == 0:
        ing = [{"from": [{"podSelector": ml(app="a%d" % (k % 10))}],
                "ports": [port(8080)]}]
        return policy(HOT_NS, "hot-%d" % k, sel, ingress=ing)
    if shape == 1:
        ing = [{"from": [{"namespaceSelector": ml(tier="frontend"),
                          "podSelector": ml(role="web")}],
                "ports": [{"protocol": "TCP", "port": "http"}]}]
        return policy(HOT_NS, "hot-%d" % k, sel, ingress=ing)
    if shape == 2:
        ing = [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                      "except": ["10.16.%d.0/24" % k,
                                                 "10.17.0.0/16"]}}],
                "ports": [port(443), port(53, "UDP")]}]
        return policy(HOT_NS, "hot-%d" % k, sel, ingress=ing)
    ing = [{"from": [{"podSelector": ml(role="worker")}],
            "ports": [{"protocol": "TCP", "port": "metrics"}]}]
    eg = [{"to": [{"namespaceSelector": ml(team="t%d" % (k + 1))}],
           "ports": [port(5432)]}]
    return policy(HOT_NS, "hot-%d" % k, sel, ingress=ing, egress=eg)


def hot_peer(ns, k):
    """A policy of another namespace allowing ingress from np-0's pods."""
    v = k % HOT_PEER_KEYS
    sels = [ml(app="a0"), ml(role="web"), {}]
    if v < len(sels):
        psel = sels[v]
    else:
        psel = {"matchExpressions": [{"key": "app", "operator": "In",
                                      "values": ["a0", "a%d" % v]}]}
    ing = [{"from": [{"namespaceSelector": ml(team="t0"),
                      "podSelector": psel}],
            "ports": [port(8080), port(9090)]}]
    return policy(ns, "from-hot-%d" % k, ml(app="a%d" % (k % 10)),
                  ingress=ing)


def regular(i, k, n_ns, egress_named):
    """Shape k % 8 in namespace np-i (i > 0)."""
    ns = ns_name(i)
    name = "np-%d" % k
    s = k % 8
    other = 1 + (i % (n_ns - 1)) if n_ns > 1 else i   # never np-0
    if s == 0:
        return policy(ns, name, {}, ingress=[])         # default deny
    if s == 1:
        return policy(ns, name, ml(app="a1"), ingress=[
            {"from": [{"podSelector": ml(app="a2")}], "ports": [port(8080)]}])
    if s == 2:
        return policy(ns, name, ml(app="a2"), ingress=[
            {"from": [{"namespaceSelector": ml(tier=tier(i)),
                       "podSelector": ml(role="web")}],
             "ports": [{"protocol": "TCP", "port": "http"}]}])
    if s == 3:
        return policy(ns, name, ml(app="a3"), ingress=[
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                   "except": ["10.16.0.0/16",
                                              "10.17.0.0/16"]}}],
             "ports": [port(443), port(53, "UDP")]}])
    if s == 4:
        eg_port = ({"protocol": "TCP", "port": "http"} if egress_named
                   else port(5432))
        return policy(ns, name, ml(app="a4"), egress=[
            {"to": [{"podSelector": ml(app="a5")}], "ports": [eg_port]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                 "except": ["169.254.169.254/32"]}}],
             "ports": [port(443)]}])
    if s == 5:
        return policy(ns, name, ml(app="a5"), ingress=[
            {"from": [{"namespaceSelector": ml(team="t%d" % other)}],
             "ports": [port(9090)]}])
    if s == 6:
        return policy(ns, name, {"matchExpressions": [
            {"key": "role", "operator": "In", "values": ["web"]}]}, ingress=[
            {"from": [{"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "NotIn", "values": ["a9"]}]}}],
             "ports": [{"protocol": "TCP", "port": "metrics"}]}])
    return policy(ns, name, ml(app="a7"),
                  ingress=[{"from": [{"podSelector": {}}]}],
                  egress=[{"to": [{"namespaceSelector": {},
                                   "podSelector": ml(app="a7")}],
                           "ports": [port(53, "UDP")]}])


def policies_of(n_pol, n_ns):
    hot_in_n = min(HOT_IN, n_pol // 2)
    hot_peer_n = min(HOT_PEER, n_pol - hot_in_n) if n_ns > 1 else 0
    out = [hot_in(k) for k in range(hot_in_n)]
    for k in range(hot_peer_n):
        out.append(hot_peer(ns_name(1 + k % (n_ns - 1)), k))
    rest = n_pol - len(out)
    egress_named = int(os.environ.get("KOVN_BENCH_NP_EGRESS_NAMED", "0"))
    n_named = 0
    for r in range(rest):
        i = 1 + r % (n_ns - 1) if n_ns > 1 else 0
        k = r // max(1, n_ns - 1)
        named = k % 8 == 4 and n_named < egress_named
        n_named += named
        out.append(regular(i, k, n_ns, named))
    return out


# --- a model of the selectors --------------------------------------------

def sel_match(sel, labels):
    if sel is None:
        return True
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def canon(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


class Model:
    def __init__(self, n_pods, n_pol, n_ns):
        self.n_ns = n_ns
        self.ns_labels = {ns_name(i): ns_labels(i) for i in range(n_ns)}
        self.pods = {}                    # (ns, name) -> labels
        self.by_ns = {}                   # ns -> {name: labels}
        self.cache = {}
        for ns, name, labels, _ in pods_of(n_pods, n_ns):
            self.add_pod(ns, name, labels)
        # The pods "pod-add ... base" added before the policies.
        for c in range(int(os.environ.get("KOVN_BENCH_NP_BASE", "0"))):
            self.add_pod(HOT_NS, "base-%d" % c, {"app": "a0", "role": "web"})
        self.policies = policies_of(n_pol, n_ns)
        self.by_key = {"%s/%s" % (p["metadata"]["namespace"],
                                  p["metadata"]["name"]): p
                       for p in self.policies}

    def add_pod(self, ns, name, labels):
        self.pods[(ns, name)] = labels
        self.by_ns.setdefault(ns, {})[name] = labels
        self.cache = {}

    def selected(self, key):
        c = self.cache.get(("sel", key))
        if c is None:
            p = self.by_key[key]
            ns = p["metadata"]["namespace"]
            sel = p["spec"]["podSelector"]
            c = set(name for name, lb in self.by_ns.get(ns, {}).items()
                    if sel_match(sel, lb))
            self.cache[("sel", key)] = c
        return c

    @staticmethod
    def peers(p):
        for r in p["spec"].get("ingress") or []:
            for peer in r.get("from") or []:
                yield peer
        for r in p["spec"].get("egress") or []:
            for peer in r.get("to") or []:
                yield peer

    def peer_keys(self, p):
        ns = p["metadata"]["namespace"]
        keys = set()
        for peer in self.peers(p):
            if "ipBlock" in peer:
                continue
            pod_sel = peer.get("podSelector") or {}
            if "namespaceSelector" in peer:
                keys.add(canon(["nss", peer["namespaceSelector"], pod_sel]))
            else:
                keys.add(canon(["ns", ns, pod_sel]))
        return keys

    def all_peer_keys(self):
        keys = set()
        for p in self.policies:
            keys |= self.peer_keys(p)
        return keys

    def key_pods(self, key):
        """(ns, name) of the pods of peer set 'key' (its JSON text)."""
        c = self.cache.get(("key", key))
        if c is not None:
            return c
        how, what, pod_sel = json.loads(key)
        out = set()
        for ns, pods in self.by_ns.items():
            if how == "ns":
                if ns != what:
                    continue
            elif not sel_match(what, self.ns_labels.get(ns, {})):
                continue
            for name, lb in pods.items():
                if sel_match(pod_sel, lb):
                    out.add((ns, name))
        self.cache[("key", key)] = out
        return out

    @staticmethod
    def named_dirs(p):
        dirs = set()
        for d, side in (("ingress", "ingress"), ("egress", "egress")):
            for r in p["spec"].get(side) or []:
                for pt in r.get("ports") or []:
                    if isinstance(pt.get("port"), str):
                        dirs.add(d)
        return dirs


# --- NB through a monitor -------------------------------------------------

def atoms(v):
    """An OVSDB set (or single atom) -> its atoms (uuids as strings)."""
    if isinstance(v, list) and v and v[0] == "set":
        items = v[1]
    else:
        items = [v]
    out = []
    for a in items:
        if isinstance(a, list) and len(a) == 2 and a[0] == "uuid":
            out.append(a[1])
        else:
            out.append(a)
    return out


def smap(v):
    return dict(v[1]) if isinstance(v, list) and v and v[0] == "map" else {}


MON = {
    "Logical_Switch_Port": {"columns": ["name", "addresses"]},
    "Port_Group": {"columns": ["name", "ports", "acls", "external_ids"]},
    "Address_Set": {"columns": ["name", "addresses", "external_ids"]},
    "ACL": {"columns": ["priority"]},
}


class Nb:
    def __init__(self, sock):
        self.db = Ovsdb(sock)
        init = self.db.call("monitor", ["OVN_Northbound", "np", MON])
        self.db.sock.settimeout(0.5)
        self.rows = {t: {} for t in MON}
        self.lsp_by_name = {}
        self.apply(init)

    def apply(self, upd):
        """Applies a monitor update; returns {table: rows changed}."""
        counts = {}
        for t, rows in upd.items():
            counts[t] = len(rows)
            for uuid, r in rows.items():
                new = r.get("new")
                if new is None:
                    old = self.rows[t].pop(uuid, None)
                    if t == "Logical_Switch_Port" and old:
                        self.lsp_by_name.pop(old["name"], None)
                    continue
                self.rows[t][uuid] = new
                if t == "Logical_Switch_Port":
                    self.lsp_by_name[new["name"]] = uuid
        return counts

    def next(self, timeout=0.5):
        self.db.sock.settimeout(timeout)
        return next_update(self.db)

    def ip_of(self, ns, name):
        uuid = self.lsp_by_name.get("%s.%s" % (name, ns))
        if not uuid:
            return None
        for a in atoms(self.rows["Logical_Switch_Port"][uuid]
                       .get("addresses", ["set", []])):
            parts = a.split()
            if len(parts) >= 2:
                return parts[1]
        return None

    def owned(self, table, owner):
        """owner value -> [row] of 'table' rows with external_ids:owner."""
        out = {}
        for uuid, r in self.rows[table].items():
            v = smap(r.get("external_ids")).get(owner)
            if v is not None:
                out.setdefault(v, []).append((uuid, r))
        return out


def pgs_by_policy(nb):
    return {k: v[0] for k, v in nb.owned("Port_Group", "np").items()}


def check_complete(model, nb, want_acls=True):
    """(complete?, reason) for the whole policy state."""
    pgs = pgs_by_policy(nb)
    lsp_name = {u: r["name"] for u, r in
                nb.rows["Logical_Switch_Port"].items()}
    named = {}
    for key, rows in nb.owned("Address_Set", "np").items():
        named[key] = [r for _, r in rows]
    ips = {}

    def ip(ns, name):
        k = (ns, name)
        if k not in ips:
            ips[k] = nb.ip_of(ns, name)
        return ips[k]
    for key, p in model.by_key.items():
        if key not in pgs:
            return False, "no port group for %s" % key
        _, pg = pgs[key]
        ns = p["metadata"]["namespace"]
        want = set("%s.%s" % (n, ns) for n in model.selected(key))
        have = set(lsp_name.get(u, "?") for u in atoms(pg.get("ports")))
        if want != have:
            return False, "%s: port group has %d of %d ports" % (
                key, len(want & have), len(want))
        if want_acls and not atoms(pg.get("acls")):
            return False, "%s: no ACLs" % key
        dirs = model.named_dirs(p)
        if dirs:
            if "egress" in dirs:
                exp = set(ip(a, b) for a, b in model.pods)
            else:
                exp = set(ip(ns, n) for n in model.selected(key))
            sets = named.get(key, [])
            if not sets:
                return False, "%s: no named-port sets" % key
            for s in sets:
                if set(atoms(s.get("addresses"))) != exp:
                    return False, "%s: named-port set %s incomplete" % (
                        key, s["name"])
    peers = nb.owned("Address_Set", "np-peer")
    have_keys = set(canon(json.loads(k)) for k in peers)
    want_keys = model.all_peer_keys()
    if want_keys - have_keys:
        return False, "%d of %d peer sets missing" % (
            len(want_keys - have_keys), len(want_keys))
    for key, rows in peers.items():
        exp = set(ip(ns, n) for ns, n in model.key_pods(key))
        for _, r in rows:
            if set(atoms(r.get("addresses"))) != exp:
                return False, "peer set %s: %d of %d addresses" % (
                    r["name"], len(exp & set(atoms(r.get("addresses")))),
                    len(exp))
    return True, "%d port groups, %d peer sets" % (len(pgs), len(peers))


# --- creating ---------------------------------------------------------------

def create_all(api, items, threads=24):
    """POSTs (path, body) items in parallel; returns (ms, failures)."""
    failed = []
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(items):
                return
            path, body = items[i]
            st, p = api.request("POST", path, body)
            if st not in (201, 409):
                with lock:
                    failed.append((path, st, p[:300]))
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return (time.monotonic() - t0) * 1000, failed


def run_creating(api, items, what):
    """Starts create_all in a thread; returns (thread, result list)."""
    res = []

    def go():
        try:
            res.append(create_all(api, items))
        except BaseException as e:
            res.append((0, [("exception", 0, str(e))]))
    th = threading.Thread(target=go)
    th.start()
    return th, res


def report_created(res, n, what):
    ms, failed = res[0]
    print("created %d %s (%d failed) in %.0f ms = %.0f/s (24 parallel "
          "connections)" % (n, what, len(failed), ms, n * 1000 / max(ms, 1)))
    for f in failed[:5]:
        print("failed: %s" % (f,))
    if failed:
        raise SystemExit(1)


def check_controller():
    """Exits if kovn-controller (KOVN_BENCH_CTL_PID) is gone."""
    pid = os.environ.get("KOVN_BENCH_CTL_PID")
    if not pid:
        return
    try:
        with open("/proc/%s/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        state = "Z"
    if state == "Z":
        raise SystemExit("kovn-controller (pid %s) exited" % pid)


def fill_pods(api, nbsock, n_pods, n_pol, n_ns):
    items = []
    for i in range(N_NODES):
        items.append(("/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "bench-node-%d" % i},
            "status": {"addresses": [
                {"type": "InternalIP",
                 "address": "192.0.2.%d" % (i + 1)},
                {"type": "Hostname", "address": "bench-node-%d" % i}]}}))
    for i in range(n_ns):
        items.append(("/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns_name(i), "labels": ns_labels(i)}}))
    ms, failed = create_all(api, items)
    if failed:
        raise SystemExit("nodes/namespaces: %s" % failed[:3])
    print("created %d Nodes and %d Namespaces in %.0f ms"
          % (N_NODES, n_ns, ms))
    nb = Nb(nbsock)
    pods = [("/api/v1/namespaces/%s/pods" % ns, pod(name, ns, lb, node))
            for ns, name, lb, node in pods_of(n_pods, n_ns)]
    want = set("%s.%s" % (p[1]["metadata"]["name"],
                          p[1]["metadata"]["namespace"]) for p in pods)
    t0 = time.monotonic()
    th, res = run_creating(api, pods, "pods")
    deadline = t0 + 3600
    while True:
        if time.monotonic() > deadline:
            raise SystemExit("pods never all in NB")
        check_controller()
        if res and res[0][1]:
            report_created(res, len(pods), "pods")
        upd = nb.next()
        if upd:
            nb.apply(upd)
            continue
        have = sum(1 for n in want if n in nb.lsp_by_name and
                   nb.ip_of(*reversed(n.split(".", 1))))
        if have == len(want):
            break
    t_all = time.monotonic()
    th.join()
    report_created(res, len(pods), "pods")
    print("kovn: all %d pod ports in NB with an address %.0f ms after the "
          "first create (resolution 0.5 s: checked when NB is quiet)"
          % (len(want), (t_all - t0) * 1000))


def fill_policies(api, nbsock, n_pods, n_pol, n_ns):
    model = Model(n_pods, n_pol, n_ns)
    nb = Nb(nbsock)
    pols = [("%s/namespaces/%s/networkpolicies"
             % (NP_API, p["metadata"]["namespace"]), p)
            for p in model.policies]
    print("model: %d policies, %d distinct peer sets, %d policies with "
          "named ports" % (len(pols), len(model.all_peer_keys()),
                           sum(1 for p in model.policies
                               if model.named_dirs(p))))
    t0 = time.monotonic()
    th, res = run_creating(api, pols, "policies")
    first = None
    last = None             # the last update before the state was complete
    n_upd = 0
    rows = {}
    deadline = t0 + 3600
    checked_at = 0
    why = "not checked"
    while True:
        if time.monotonic() > deadline:
            raise SystemExit("policies never complete in NB: %s" % why)
        check_controller()
        if res and res[0][1]:
            report_created(res, len(pols), "policies")
        upd = nb.next(0.2)
        if upd:
            counts = nb.apply(upd)
            now = time.monotonic()
            n_upd += 1
            for t, c in counts.items():
                rows[t] = rows.get(t, 0) + c
            if first is None and "Port_Group" in counts:
                first = now
            last = now
            # Check at most every 2 s while NB is busy.
            if now - checked_at < 2:
                continue
        checked_at = time.monotonic()
        if not res:
            continue
        ok, why = check_complete(model, nb)
        if ok:
            break
    th.join()
    report_created(res, len(pols), "policies")
    print("kovn: first policy port group in NB %.0f ms after the first "
          "create" % ((first - t0) * 1000))
    print("kovn: NB holds every policy (port groups with their ports and "
          "ACLs, peer and named-port sets with their addresses) %.0f ms "
          "after the first create (the NB update that completed it)"
          % ((last - t0) * 1000))
    print("kovn: NB monitor updates during the policy fill: %d; rows: %s"
          % (n_upd, " ".join("%s=%d" % kv for kv in sorted(rows.items()))))
    print("kovn: state: %s; ACL rows %d" % (why, len(nb.rows["ACL"])))


def parse_transacts(path, offset):
    """The transact requests ovsdb-server logged (jsonrpc debug) after
    byte 'offset' of its log: (count, {(op, table): n}, mutations)."""
    n = 0
    ops = {}
    mutations = {}
    with open(path, errors="replace") as f:
        f.seek(offset)
        for line in f:
            m = re.search(r'received request, method="transact", '
                          r'params=(.*), id=\S+$', line)
            if not m:
                continue
            n += 1
            try:
                params = json.loads(m.group(1))
            except ValueError:
                ops[("?", "?")] = ops.get(("?", "?"), 0) + 1
                continue
            for op in params[1:]:
                k = (op.get("op"), op.get("table", "-"))
                ops[k] = ops.get(k, 0) + 1
                if op.get("op") == "mutate":
                    for col, how, val in op.get("mutations", []):
                        mk = "%s.%s %s" % (op["table"], col, how)
                        mutations[mk] = mutations.get(mk, 0) + len(
                            atoms(val) if not (isinstance(val, list) and
                                               val and val[0] == "map")
                            else val[1])
    return n, ops, mutations


def pod_add(api, nbsock, n_pods, n_pol, n_ns, count, nb_log, nb_ctl,
            ctl_ctl, prefix="hot"):
    model = Model(n_pods, n_pol, n_ns)
    if prefix != "hot":
        # Before any policy exists: nothing of the model is in NB.
        model.policies = []
        model.by_key = {}
    nb = Nb(nbsock)
    subprocess.run(["ovs-appctl", "-t", nb_ctl, "vlog/set",
                    "jsonrpc:file:dbg"], check=True, capture_output=True)
    lat, lat_lsp, txns, nops = [], [], [], []
    try:
        for c in range(count):
            name = "%s-%d" % (prefix, c)
            labels = {"app": "a0", "role": "web"}
            model.add_pod(HOT_NS, name, labels)
            pol_sel = [k for k in model.by_key
                       if k.startswith(HOT_NS + "/") and
                       name in model.selected(k)]
            keys = [k for k in model.all_peer_keys()
                    if (HOT_NS, name) in model.key_pods(k)]
            touching = set(pol_sel)
            for k, p in model.by_key.items():
                if model.peer_keys(p) & set(keys):
                    touching.add(k)
            named_pols = [k for k in model.by_key
                          if ("ingress" in model.named_dirs(model.by_key[k])
                              and k in pol_sel) or
                          "egress" in model.named_dirs(model.by_key[k])]
            if c == 0 and model.policies:
                print("the added pod: selected by %d policies (their port "
                      "groups), in %d peer sets named by %d policies, in "
                      "the named-port sets of %d policies: %d policies "
                      "touch it" % (len(pol_sel), len(keys),
                                    len(touching - set(pol_sel)),
                                    len(named_pols), len(touching)))
            while True:                 # drain
                upd = nb.next(0.05)
                if not upd:
                    break
                nb.apply(upd)
            offset = os.path.getsize(nb_log)
            rows = {}
            n_upd = 0
            t_lsp = None
            t0 = time.monotonic()
            st, p = api.request("POST", "/api/v1/namespaces/%s/pods"
                                % HOT_NS, pod(name, HOT_NS, labels, c))
            if st != 201:
                raise SystemExit("pod %s: HTTP %d %s" % (name, st, p[:300]))
            while True:
                if time.monotonic() - t0 > 120:
                    raise SystemExit("pod %s never complete in NB: %s"
                                     % (name, why))
                check_controller()
                upd = nb.next(0.5)
                if upd:
                    for t, k in nb.apply(upd).items():
                        rows[t] = rows.get(t, 0) + k
                    n_upd += 1
                    if c == 0 and model.policies:
                        for uuid in upd.get("Address_Set", {}):
                            r = nb.rows["Address_Set"].get(uuid, {})
                            ids = smap(r.get("external_ids"))
                            print("  %s: address set %s (%s)" % (
                                name, r.get("name"), " ".join(
                                    "%s=%s" % (k, ids[k]) for k in
                                    ("np", "np-peer") if k in ids)))
                if t_lsp is None and nb.ip_of(HOT_NS, name):
                    t_lsp = time.monotonic()
                ok, why = hot_complete(nb, model, name, pol_sel, keys,
                                       named_pols)
                if ok:
                    break
            lat.append((time.monotonic() - t0) * 1000)
            lat_lsp.append((t_lsp - t0) * 1000)
            subprocess.run(["ovs-appctl", "--timeout=120", "-t", ctl_ctl,
                            "kovn/sync"], check=True, capture_output=True)
            while True:
                upd = nb.next(0.3)
                if not upd:
                    break
                for t, k in nb.apply(upd).items():
                    rows[t] = rows.get(t, 0) + k
                n_upd += 1
            n, ops, muts = parse_transacts(nb_log, offset)
            txns.append(n)
            nops.append(sum(ops.values()))
            print("pod %s: its port with an address in NB after %.1f ms, "
                  "in every group/set after %.1f ms; to kovn/sync "
                  "idle: %d transactions, %d operations: %s; mutated "
                  "elements: %s; monitor: %d updates, rows %s"
                  % (name, lat_lsp[-1], lat[-1], n, sum(ops.values()),
                     " ".join("%s %s=%d" % (k[0], k[1], v)
                              for k, v in sorted(ops.items())),
                     " ".join("%s=%d" % kv for kv in sorted(muts.items())),
                     n_upd, " ".join("%s=%d" % kv
                                     for kv in sorted(rows.items()))))
    finally:
        subprocess.run(["ovs-appctl", "-t", nb_ctl, "vlog/set",
                        "jsonrpc:file:info"], capture_output=True)
    print("kovn: one pod added to %s%s -> NB has it in every group/set: "
          "n=%d p50 %.1f ms, min %.1f, max %.1f ms; NB transactions p50 %d "
          "max %d; operations p50 %d max %d"
          % (HOT_NS, "" if model.policies else " (no policy yet)",
             len(lat), pct(lat, 50), min(lat), max(lat),
             pct(txns, 50), max(txns), pct(nops, 50), max(nops)))
    print("kovn: one pod added -> its port with an address in NB: p50 %.1f "
          "ms, max %.1f ms; port -> every group/set: p50 %.1f ms, max %.1f "
          "ms" % (pct(lat_lsp, 50), max(lat_lsp),
                  pct([a - b for a, b in zip(lat, lat_lsp)], 50),
                  max(a - b for a, b in zip(lat, lat_lsp))))


def hot_complete(nb, model, name, pol_sel, keys, named_pols):
    lsp = nb.lsp_by_name.get("%s.%s" % (name, HOT_NS))
    ip = nb.ip_of(HOT_NS, name)
    if not lsp or not ip:
        return False, "no port with an address"
    pgs = pgs_by_policy(nb)
    for k in pol_sel:
        if k not in pgs or lsp not in atoms(pgs[k][1].get("ports")):
            return False, "not in the port group of %s" % k
    peers = nb.owned("Address_Set", "np-peer")
    byk = {canon(json.loads(k)): v for k, v in peers.items()}
    for k in keys:
        for _, r in byk.get(k, []):
            if ip not in atoms(r.get("addresses")):
                return False, "not in peer set %s" % r["name"]
        if k not in byk:
            return False, "no peer set %s" % k
    named = nb.owned("Address_Set", "np")
    for k in named_pols:
        for _, r in named.get(k, []):
            if ip not in atoms(r.get("addresses")):
                return False, "not in named-port set %s" % r["name"]
    return True, ""


def main():
    a = sys.argv
    if len(a) < 7:
        raise SystemExit(__doc__)
    api = Api(a[2])
    nbsock = a[3]
    n_pods, n_pol, n_ns = int(a[4]), int(a[5]), int(a[6])
    if a[1] == "pods" and len(a) == 7:
        fill_pods(api, nbsock, n_pods, n_pol, n_ns)
    elif a[1] == "policies" and len(a) == 7:
        fill_policies(api, nbsock, n_pods, n_pol, n_ns)
    elif a[1] == "pod-add" and len(a) in (11, 12):
        pod_add(api, nbsock, n_pods, n_pol, n_ns, int(a[7]), a[8], a[9],
                a[10], *a[11:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
