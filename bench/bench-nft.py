#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
#
# kovn-daemon's nftables table at scale: N NodePort Services (externalTraffic
# Policy Cluster, and Local for one in ten; one endpoint on this node each,
# two for one in a hundred) loaded into the daemon's own module
# (tests/integration/nft-driver) inside a throwaway network namespace, then
# CHANGES single-endpoint changes of Local Services, each timed from the
# module being told to the kernel having it (the driver's "sync"): of ones
# with one endpoint here (map elements only), and of ones with two (the
# port's own chain).  The time per change should not grow with N for the
# first; for the second it grows with the number of such chains
# (libnftables reads every chain first), not with N as such.
#
#   bench/bench-nft.py BUILD_DIR [N...]     (as root; default 100 1000 10000)
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1])
sizes = [int(n) for n in sys.argv[2:]] or [100, 1000, 10000]
driver = os.path.join(build, "tests/integration/nft-driver")
CHANGES = 50


class Driver:
    def __init__(self, netns):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", netns, driver, "node1", "10.96.0.0/12"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        out = []
        while True:
            ans = self.p.stdout.readline()
            if not ans:
                raise RuntimeError("driver exited on: " + line)
            out.append(ans.rstrip("\n"))
            if ans.startswith("ok"):
                return out
            if ans.startswith("error"):
                raise RuntimeError(line + ": " + ans)

    def stop(self):
        try:
            self.cmd("quit")
        except (RuntimeError, BrokenPipeError):
            pass
        self.p.wait(10)


def service(i, local):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"namespace": "bench", "name": f"s{i}",
                         "resourceVersion": "1"},
            "spec": {"type": "NodePort",
                     "clusterIP": f"10.96.{i // 250}.{i % 250 + 1}",
                     "externalTrafficPolicy": "Local" if local else "Cluster",
                     "ports": [{"name": "http", "protocol": "TCP",
                                "port": 80, "targetPort": 8080,
                                "nodePort": 30000 + i % 30000}]}}


def slice_(i, rv, last_octets):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"namespace": "bench", "name": f"s{i}-x",
                         "resourceVersion": str(rv),
                         "labels": {"kubernetes.io/service-name": f"s{i}"}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
            "endpoints": [{"addresses": [f"10.16.{i // 250}.{o}"],
                           "conditions": {"ready": True},
                           "nodeName": "node1"} for o in last_octets]}


def endpoints(i):
    """Every hundredth Service has two endpoints here, the others one."""
    return [10, 20] if i % 100 == 0 else [10]


def put(drv, tmp, name, obj):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(obj, f)
    drv.cmd("put " + path)


def run(n):
    netns = f"kovn-bnft-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    tmp = tempfile.mkdtemp(prefix="kovn-bench-nft.")
    drv = Driver(netns)
    try:
        put(drv, tmp, "subnet", {
            "apiVersion": "kubeovn.io/v1", "kind": "Subnet",
            "metadata": {"name": "ovn-default", "resourceVersion": "1"},
            "spec": {"cidrBlock": "10.16.0.0/16", "vpc": "ovn-cluster"}})
        for i in range(n):
            # Every tenth Service externalTrafficPolicy Local.
            put(drv, tmp, f"svc{i}", service(i, i % 10 == 0))
            put(drv, tmp, f"eps{i}", slice_(i, 1, endpoints(i)))
        t0 = time.monotonic()
        stats = drv.cmd("sync")[-1]
        load = time.monotonic() - t0
        line = (f"{n:>6} services: first load {load:6.2f} s "
                f"({stats.split()[1]} {stats.split()[2]})")
        # One endpoint of a Local Service changed: with one endpoint here,
        # elements only; with two, the Service port's own chain.
        for label, step in (("one target", 10), ("two targets", 100)):
            times = []
            for k in range(CHANGES):
                i = (k * 97) % n // step * step
                if step == 10 and i % 100 == 0:
                    i += 10
                eps = endpoints(i)
                eps = eps[:-1] + [eps[-1] + 1 + k]     # always new
                put(drv, tmp, f"eps{i}", slice_(i, k + 2, eps))
                t0 = time.monotonic()
                drv.cmd("sync")
                times.append((time.monotonic() - t0) * 1000)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            line += (f"; change ({label}): p50 "
                     f"{statistics.median(times):6.2f} ms, p99 {p99:6.2f} ms")
        last = drv.cmd("sync")[-1]
        print(line + f"  [{last[3:]}]", flush=True)
    finally:
        drv.stop()
        subprocess.run(["ip", "netns", "del", netns])
        subprocess.run(["rm", "-rf", tmp])


print(f"kovn-daemon nftables module ({driver}), {CHANGES} changes each")
for n in sizes:
    run(n)
