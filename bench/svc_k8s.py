#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
"""Services and EndpointSlices in a real kube-apiserver, for the Service
benchmarks (bench/bench-kube-proxy.sh, bench/bench-services-controller.sh).

    svc_k8s.py create KUBECONFIG_TOKEN N BACKENDS
        Namespace "bench", N selector-less ClusterIP Services svc0..svcN-1
        (port 80 "http" -> 8080) and one EndpointSlice each (svcI-1,
        label kubernetes.io/service-name, BACKENDS ready endpoints), over
        many parallel keep-alive connections.
    svc_k8s.py kube-proxy KUBECONFIG_TOKEN N BACKENDS CHANGES METRICS_URL \
               START_EPOCH
        Run inside kube-proxy's network namespace: waits for kube-proxy's
        first full sync with N Services, then changes one endpoint of one
        EndpointSlice CHANGES times and times each until kube-proxy has
        programmed it.

    svc_k8s.py controller-fill KUBECONFIG_TOKEN NB_SOCK N BACKENDS
        create, timing until NB holds every kovn-svc load balancer with
        its BACKENDS backends (an OVSDB monitor on Load_Balancer).
    svc_k8s.py controller-changes KUBECONFIG_TOKEN NB_SOCK N BACKENDS C
        C endpoint changes, each timed until its load balancer changed.
    svc_k8s.py nb-watch NB_SOCK OUT
        counts NB updates (every table) until SIGTERM, into OUT.

Prints its figures; asserts nothing about time.
"""

import datetime
import socket
import http.client
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

NS = "bench"
ES_API = "/apis/discovery.k8s.io/v1beta1"


class Api:
    """Bearer-token HTTPS to the apiserver of a kubeconfig (k8s-env.sh's
    kubeconfig-token: server, certificate-authority file, token)."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        server = re.search(r"server:\s*https://([^\s/]+)", text).group(1)
        ca = re.search(r"certificate-authority:\s*(\S+)", text).group(1)
        if not os.path.isabs(ca):
            ca = os.path.join(os.path.dirname(os.path.abspath(kubeconfig)),
                              ca)
        self.token = re.search(r"token:\s*(\S+)", text).group(1)
        self.host, self.port = server.rsplit(":", 1)
        self.ctx = ssl.create_default_context(cafile=ca)
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, int(self.port),
                                            context=self.ctx, timeout=120)
            self.local.c = c
        return c

    def request(self, method, path, body=None,
                ctype="application/json"):
        for attempt in range(5):
            c = self.conn()
            try:
                headers = {"Authorization": "Bearer " + self.token,
                           "Accept": "application/json"}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = ctype
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                payload = r.read()
                if r.status == 429 or r.status >= 500:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                return r.status, payload
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.c = None
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError("%s %s: giving up" % (method, path))


def ip(n):
    return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)


POD_BASE = (10 << 24) | (16 << 16)


def backend_ips(i, b):
    # The same spread as bench/svc_nb.py over 20 /24s of 10.16.0.0/16.
    out = []
    for j in range(b):
        n = i * b + j
        out.append(ip(POD_BASE + ((n % 20) << 8) + 2 + (n // 20) % 250))
    return out


def service(i):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "svc%d" % i, "namespace": NS},
            "spec": {"type": "ClusterIP",
                     "ports": [{"name": "http", "port": 80,
                                "targetPort": 8080, "protocol": "TCP"}]}}


def endpoints(ips):
    return [{"addresses": [a], "conditions": {"ready": True}} for a in ips]


def slice_(i, b):
    return {"apiVersion": "discovery.k8s.io/v1beta1", "kind": "EndpointSlice",
            "metadata": {"name": "svc%d-1" % i, "namespace": NS,
                         "labels": {"kubernetes.io/service-name":
                                    "svc%d" % i}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": endpoints(backend_ips(i, b))}


def create(api, n, b, threads=24):
    st, _ = api.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NS}})
    if st not in (201, 409):
        raise SystemExit("namespace: HTTP %d" % st)
    failed = []
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            st1, p1 = api.request("POST", "/api/v1/namespaces/%s/services"
                                  % NS, service(i))
            st2, p2 = api.request("POST", "%s/namespaces/%s/endpointslices"
                                  % (ES_API, NS), slice_(i, b))
            if st1 not in (201, 409) or st2 not in (201, 409):
                with lock:
                    failed.append((i, st1, st2, p1[:200], p2[:200]))

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ms = (time.monotonic() - t0) * 1000
    print("created %d Services + %d EndpointSlices (%d failed) in %.0f ms"
          " = %.0f objects/s (%d parallel connections)"
          % (n, n, len(failed), ms, 2 * n * 1000 / ms, threads))
    for f in failed[:5]:
        print("failed: %s" % (f,))
    if failed:
        raise SystemExit(1)


def changed_ips(i, b, c):
    """Endpoint change number c of Service i: its first backend becomes a
    fresh address in 10.17.0.0/16."""
    ips = backend_ips(i, b)
    new = "10.17.%d.%d" % (c // 250, 1 + c % 250)
    ips[0] = new
    return ips, new


def patch_endpoints(api, i, ips, trigger=None):
    body = {"endpoints": endpoints(ips)}
    if trigger:
        # What the EndpointSlice controller sets; kube-proxy measures its
        # network programming latency from it.
        body["metadata"] = {"annotations": {
            "endpoints.kubernetes.io/last-change-trigger-time": trigger}}
    st, p = api.request("PATCH", "%s/namespaces/%s/endpointslices/svc%d-1"
                        % (ES_API, NS, i), body,
                        ctype="application/merge-patch+json")
    if st != 200:
        raise SystemExit("patch svc%d-1: HTTP %d %s" % (i, st, p[:300]))


def rfc3339(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- kube-proxy ---------------------------------------------------------

def metrics(url):
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    m = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.rsplit(" ", 1)
        if len(parts) == 2:
            try:
                m[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return m


SYNC = "kubeproxy_sync_proxy_rules_duration_seconds"
LAST = "kubeproxy_sync_proxy_rules_last_timestamp_seconds"
NPL = "kubeproxy_network_programming_duration_seconds"


def iptables_save():
    t0 = time.monotonic()
    out = subprocess.run(["iptables-save", "-t", "nat"], check=True,
                         capture_output=True, text=True).stdout
    return out, (time.monotonic() - t0) * 1000


class Syncs:
    """Each kube-proxy sync seen in the metrics: its duration from the
    histogram's sum and count (one sync between two reads is exact)."""

    def __init__(self, url):
        self.url = url
        self.count = 0
        self.sum = 0.0
        self.durations = []
        self.merged = 0

    def poll(self):
        m = metrics(self.url)
        c = m.get(SYNC + "_count", 0)
        s = m.get(SYNC + "_sum", 0.0)
        if c > self.count:
            d = (s - self.sum) / (c - self.count)
            if c - self.count > 1:
                self.merged += 1
            self.durations.append(d * 1000)
        self.count, self.sum = c, s
        return m


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def check_alive():
    pid = os.environ.get("KOVN_KP_PID")
    if pid and not os.path.exists("/proc/%s/status" % pid):
        raise SystemExit("kube-proxy (pid %s) exited" % pid)
    if pid:
        with open("/proc/%s/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                raise SystemExit("kube-proxy (pid %s) exited" % pid)


def kube_proxy(api, n, b, changes, url, start):
    syncs = Syncs(url)
    deadline = time.time() + 1800
    # The first sync with every Service (the first one may hold only some:
    # kube-proxy's handlers get the listed objects after the caches say
    # synced).  One iptables-save per sync, not more: a dump slows an
    # iptables-restore running at the same time.
    checked = 0
    while True:
        if time.time() > deadline:
            raise SystemExit("kube-proxy never programmed %d Services" % n)
        check_alive()
        try:
            m = syncs.poll()
        except OSError:
            time.sleep(0.2)
            continue
        if syncs.count > checked:
            checked = syncs.count
            rules, save_ms = iptables_save()
            n_svc = len(re.findall(r"^:KUBE-SVC-", rules, re.M))
            if n_svc >= n and syncs.poll()[LAST] == m[LAST]:
                break
            print("kube-proxy: sync %d ended %.0f ms after its start with %d"
                  " KUBE-SVC chains" % (syncs.count, (m[LAST] - start) *
                                        1000, n_svc))
        time.sleep(0.1)
    first = m[LAST]
    print("kube-proxy: first sync with all %d Services (%d KUBE-SVC "
          "chains, %d nat rules) done %.0f ms after its start"
          % (n, n_svc, rules.count("\n-A "), (first - start) * 1000))
    print("kube-proxy: its syncs so far: %s ms" % " ".join(
        "%.0f" % d for d in syncs.durations))
    print("iptables-save -t nat at %d Services: %.0f ms" % (n, save_ms))
    npl0 = (m.get(NPL + "_count", 0), m.get(NPL + "_sum", 0.0))

    lat_seen, lat_npl, lat_ts = [], [], []
    n_ambiguous = 0
    budget = time.time() + float(os.environ.get("KOVN_BENCH_BUDGET", 900))
    for c in range(changes):
        if time.time() > budget:
            print("stopping after %d changes: KOVN_BENCH_BUDGET spent" % c)
            break
        i = (c * 7919) % n
        ips, new = changed_ips(i, b, c)
        needle = "--to-destination %s:8080" % new
        time.sleep(1.2)   # past --iptables-min-sync-period (1 s)
        t0 = time.time()
        patch_endpoints(api, i, ips, rfc3339(t0))
        seen = None
        checked = None
        ambiguous = False
        while True:
            if time.time() - t0 > 600:
                raise SystemExit("change %d never programmed" % c)
            check_alive()
            m = syncs.poll()
            if m.get(LAST, 0) >= t0 and m[LAST] != checked:
                # A sync ended after the change: do the rules have it?
                rules, _ = iptables_save()
                after = syncs.poll()
                if needle in rules:
                    seen = time.time()
                    # If another sync ended while iptables-save ran, it may
                    # be the one: take the later (an upper bound).
                    ambiguous = after[LAST] != m[LAST]
                    lat_ts.append((after[LAST] - t0) * 1000)
                    break
                checked = m[LAST]
            time.sleep(0.02)
        lat_seen.append((seen - t0) * 1000)
        n_ambiguous += ambiguous
        # kube-proxy's own measure, from the trigger time annotation.
        while True:
            m = syncs.poll()
            npl = (m.get(NPL + "_count", 0), m.get(NPL + "_sum", 0.0))
            if npl[0] > npl0[0] or time.time() - seen > 5:
                break
            time.sleep(0.05)
        if npl[0] == npl0[0] + 1:
            lat_npl.append((npl[1] - npl0[1]) * 1000)
        npl0 = npl

    def show(name, xs):
        if xs:
            print("%s: n=%d p50 %.0f ms, p99 %.0f ms, min %.0f, max %.0f"
                  % (name, len(xs), pct(xs, 50), pct(xs, 99), min(xs),
                     max(xs)))
        else:
            print("%s: no samples" % name)
    show("endpoint change -> end of the kube-proxy sync that programmed it"
         " (sync_proxy_rules_last_timestamp)", lat_ts)
    print("  (%d of them ambiguous: another sync ended during the check;"
          " the later one counted)" % n_ambiguous)
    show("endpoint change -> confirmed in iptables-save -t nat", lat_seen)
    show("kube-proxy network_programming_duration (trigger annotation)",
         lat_npl)
    print("endpoint change -> seen, each: %s" % " ".join(
        "%.0f" % x for x in lat_seen))
    d = syncs.durations
    print("kube-proxy syncs observed: %d (%d polls spanned more than one);"
          " duration p50 %.0f ms, max %.0f ms, all: %s"
          % (len(d), syncs.merged, pct(d, 50), max(d),
             " ".join("%.0f" % x for x in d)))


# --- kovn-controller --------------------------------------------------------

def lb_watch(sock_path):
    """An NB connection monitoring Load_Balancer name and vips."""
    sys.dont_write_bytecode = True      # no __pycache__ in the clone
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from svc_nb import Ovsdb
    nb = Ovsdb(sock_path)
    nb.sock.settimeout(0.5)
    init = nb.call("monitor", ["OVN_Northbound", "lbs", {
        "Load_Balancer": {"columns": ["name", "vips"]}}])
    return nb, init


def apply_lbs(rows, upd):
    """Applies a monitor update to rows (uuid -> (name, {vip: backends}));
    returns the rows it inserted or changed, and the names it deleted."""
    touched, gone = [], []
    for uuid, row in upd.get("Load_Balancer", {}).items():
        new = row.get("new")
        if new is None:
            old = rows.pop(uuid, None)
            if old:
                gone.append(old[0])
            continue
        vips = new.get("vips", ["map", []])
        rows[uuid] = (new.get("name", ""), dict(vips[1]))
        touched.append(rows[uuid])
    return touched, gone


def next_update(nb):
    """The next monitor update, or None after 0.5 s without one."""
    while nb.notes:
        note = nb.notes.pop(0)
        if note.get("method") == "update":
            return note["params"][1]
    try:
        note = nb.read()
    except (TimeoutError, socket.timeout):
        return None
    if note.get("method") == "update":
        return note["params"][1]
    return {}


def complete(entry, b):
    name, vips = entry
    return (name.startswith("kovn-svc:%s/" % NS) and len(vips) == 1 and
            all(len(v.split(",")) == b for v in vips.values()))


def controller_fill(api, nbsock, n, b):
    nb, init = lb_watch(nbsock)
    rows = {}
    apply_lbs(rows, init)
    done = set(r[0] for r in rows.values() if complete(r, b))
    t0 = time.monotonic()
    failed = []

    def creating():
        try:
            create(api, n, b)
        except BaseException as e:
            failed.append(e)
            raise
    creator = threading.Thread(target=creating)
    creator.start()
    first = None
    half = None
    deadline = t0 + 1800
    while len(done) < n:
        if time.monotonic() > deadline:
            raise SystemExit("NB has %d of %d complete load balancers after"
                             " 1800 s" % (len(done), n))
        if failed:
            raise SystemExit("creating the Services failed: %s" % failed[0])
        upd = next_update(nb)
        if not upd:
            continue
        touched, gone = apply_lbs(rows, upd)
        if touched and first is None:
            first = time.monotonic()
        for r in touched:
            if complete(r, b):
                done.add(r[0])
            else:
                done.discard(r[0])
        done.difference_update(gone)
        if half is None and len(done) >= n // 2:
            half = time.monotonic()
    t_all = time.monotonic()
    creator.join()
    print("kovn: first load balancer in NB %.0f ms after the first create"
          % ((first - t0) * 1000))
    print("kovn: half of them complete in NB after %.0f ms"
          % ((half - t0) * 1000))
    print("kovn: all %d load balancers in NB with %d backends each %.0f ms "
          "after the first create" % (n, b, (t_all - t0) * 1000))


def controller_changes(api, nbsock, n, b, changes):
    nb, init = lb_watch(nbsock)
    rows = {}
    apply_lbs(rows, init)
    lat = []
    for c in range(changes):
        i = (c * 7919) % n
        ips, new = changed_ips(i, b, c)
        want = "kovn-svc:%s/svc%d:tcp" % (NS, i)
        time.sleep(0.2)
        t0 = time.monotonic()
        patch_endpoints(api, i, ips)
        while True:
            if time.monotonic() - t0 > 120:
                raise SystemExit("change %d: %s never updated" % (c, want))
            upd = next_update(nb)
            if not upd:
                continue
            touched, _ = apply_lbs(rows, upd)
            hit = any(name == want and
                      any(new + ":" in v for v in vips.values())
                      for name, vips in touched)
            if hit:
                break
        lat.append((time.monotonic() - t0) * 1000)
    print("kovn: endpoint change -> its load balancer updated in NB "
          "(monitor): n=%d p50 %.0f ms, p99 %.0f ms, min %.0f, max %.0f"
          % (len(lat), pct(lat, 50), pct(lat, 99), min(lat), max(lat)))
    print("kovn: each: %s" % " ".join("%.0f" % x for x in lat))


def nb_watch(nbsock, out):
    """Counts NB transactions (monitor updates of every table) until
    SIGTERM; writes "ready" to OUT once monitoring, the counts at the end."""
    import signal
    sys.dont_write_bytecode = True      # no __pycache__ in the clone
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from svc_nb import Ovsdb
    nb = Ovsdb(nbsock)
    schema = nb.call("get_schema", ["OVN_Northbound"])
    nb.call("monitor", ["OVN_Northbound", "all",
                        {t: {} for t in schema["tables"]}])
    nb.sock.settimeout(0.5)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    with open(out + ".ready", "w") as f:
        f.write("ready\n")
    updates = 0
    tables = {}
    while not stop:
        upd = next_update(nb)
        if upd:
            updates += 1
            for t, r in upd.items():
                tables[t] = tables.get(t, 0) + len(r)
    with open(out, "w") as f:
        f.write("nb_updates %d rows %s\n" % (updates, " ".join(
            "%s=%d" % kv for kv in sorted(tables.items())) or "-"))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "nb-watch":
        nb_watch(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    api = Api(sys.argv[2])
    if sys.argv[1] == "create" and len(sys.argv) == 5:
        create(api, int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "kube-proxy" and len(sys.argv) == 8:
        kube_proxy(api, int(sys.argv[3]), int(sys.argv[4]),
                   int(sys.argv[5]), sys.argv[6], float(sys.argv[7]))
    elif sys.argv[1] == "controller-fill" and len(sys.argv) == 6:
        controller_fill(api, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "controller-changes" and len(sys.argv) == 7:
        controller_changes(api, sys.argv[3], int(sys.argv[4]),
                           int(sys.argv[5]), int(sys.argv[6]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
