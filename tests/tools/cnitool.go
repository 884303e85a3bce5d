// Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
// Version 2.0; see LICENSE.

// cnitool drives CNI plugins through libcni, the library container runtimes
// use, so that kovn's tests and benchmarks call plugins exactly as a
// runtime does (one plugin process per call, conflist, cache, prevResult).
//
//	cnitool add|check|del CONFLIST NETNS CONTAINERID PODNS PODNAME
//	    one call; ADD prints the result.
//	cnitool bench CONFLIST COUNT CONCURRENCY NETNS_FMT PODNS PODNAME_FMT
//	    COUNT ADDs, CONCURRENCY at a time; call i uses netns
//	    fmt(NETNS_FMT, i), pod fmt(PODNAME_FMT, i) and that pod name as its
//	    container ID; prints the latencies' median, p90, p99 and max in ms.
//
// Environment: CNI_PATH (plugin directories, ':' separated), CNI_CACHE_DIR
// (default /tmp/cnitool-cache), CNI_IFNAME (default eth0).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cnitool: "+format+"\n", args...)
	os.Exit(1)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func runtimeConf(netns, id, podNS, podName string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: id, NetNS: netns, IfName: env("CNI_IFNAME", "eth0"),
		CacheDir: env("CNI_CACHE_DIR", "/tmp/cnitool-cache"),
		Args: [][2]string{{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", podNS}, {"K8S_POD_NAME", podName},
			{"K8S_POD_INFRA_CONTAINER_ID", id}},
	}
}

func one(cn *libcni.CNIConfig, list *libcni.NetworkConfigList, args []string) {
	if len(args) != 6 {
		die("usage: cnitool add|check|del CONFLIST NETNS CONTAINERID PODNS PODNAME")
	}
	rt := runtimeConf(args[2], args[3], args[4], args[5])
	ctx := context.Background()
	switch args[0] {
	case "add":
		r, err := cn.AddNetworkList(ctx, list, rt)
		if err != nil {
			die("add: %v", err)
		}
		r.Print()
	case "check":
		if err := cn.CheckNetworkList(ctx, list, rt); err != nil {
			die("check: %v", err)
		}
	case "del":
		if err := cn.DelNetworkList(ctx, list, rt); err != nil {
			die("del: %v", err)
		}
	default:
		die("unknown command %q", args[0])
	}
}

func percentile(sorted []float64, p float64) float64 {
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func bench(cn *libcni.CNIConfig, list *libcni.NetworkConfigList, args []string) {
	if len(args) != 7 {
		die("usage: cnitool bench CONFLIST COUNT CONCURRENCY NETNS_FMT PODNS PODNAME_FMT")
	}
	count, err1 := strconv.Atoi(args[2])
	conc, err2 := strconv.Atoi(args[3])
	if err1 != nil || err2 != nil || count < 1 || conc < 1 {
		die("COUNT and CONCURRENCY must be positive numbers")
	}
	lat := make([]float64, count)
	next := make(chan int)
	var wg sync.WaitGroup
	var failed sync.Once
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pod := fmt.Sprintf(args[6], i)
				rt := runtimeConf(fmt.Sprintf(args[4], i), pod,
					args[5], pod)
				t := time.Now()
				_, err := cn.AddNetworkList(context.Background(), list, rt)
				lat[i] = float64(time.Since(t).Microseconds()) / 1000
				if err != nil {
					failed.Do(func() { die("add %d: %v", i, err) })
				}
			}
		}()
	}
	for i := 0; i < count; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	total := time.Since(start)
	sort.Float64s(lat)
	fmt.Printf("adds=%d concurrency=%d total_ms=%.0f median_ms=%.1f "+
		"p90_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", count, conc,
		float64(total.Milliseconds()), percentile(lat, 0.5),
		percentile(lat, 0.9), percentile(lat, 0.99), lat[len(lat)-1])
}

func main() {
	if len(os.Args) < 3 {
		die("usage: cnitool add|check|del|bench CONFLIST ...")
	}
	list, err := libcni.ConfListFromFile(os.Args[2])
	if err != nil {
		die("%s: %v", os.Args[2], err)
	}
	cn := libcni.NewCNIConfig(strings.Split(env("CNI_PATH", "/opt/cni/bin"), ":"), nil)
	if os.Args[1] == "bench" {
		bench(cn, list, os.Args[1:])
	} else {
		one(cn, list, os.Args[1:])
	}
}
