package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"tailscale.com/ipn/store/mem"

	"restic-manager/protocol/mesh"
)

type result struct {
	Node          bool   `json:"node"`
	RSSBeforeKB   int    `json:"rss_before_kb"`
	RSSIdleKB     int    `json:"rss_idle_kb"`
	HeapInuseKB   uint64 `json:"heap_inuse_kb"`
	SysKB         uint64 `json:"sys_kb"`
	NumGoroutines int    `json:"goroutines"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rssprobe:", err)
		os.Exit(1)
	}
}

func run() error {
	control := flag.String("control", "", "control server URL (required with -node)")
	withNode := flag.Bool("node", true, "start an embedded tailnet node")
	idle := flag.Duration("idle", 5*time.Second, "how long the process idles before the second reading")
	dir := flag.String("dir", "", "state directory for the node")
	flag.Parse()

	res := result{Node: *withNode}
	var err error
	if res.RSSBeforeKB, err = vmRSS(); err != nil {
		return err
	}
	if *withNode {
		if *control == "" || *dir == "" {
			return fmt.Errorf("-node needs -control and -dir")
		}
		n, err := mesh.Start(mesh.Config{
			Dir: *dir, Hostname: "rssprobe", ControlURL: *control,
			Ephemeral: true, Store: new(mem.Store),
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return err
		}
		defer n.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := n.Up(ctx); err != nil {
			return err
		}
		if err := n.WaitHomeDERP(ctx); err != nil {
			return err
		}
	}
	time.Sleep(*idle) // the thing measured is an idle process
	if res.RSSIdleKB, err = vmRSS(); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuseKB, res.SysKB = ms.HeapInuse/1024, ms.Sys/1024
	res.NumGoroutines = runtime.NumGoroutine()
	return json.NewEncoder(os.Stdout).Encode(res)
}

func vmRSS() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
