package mesh_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"restic-manager/protocol/mesh"
	"restic-manager/protocol/mesh/meshtest"
)

// BenchmarkTailnetFirstRoundTrip measures what an agent pays on start: from
// starting its tailnet node to the first envelope round trip with the
// manager (node up, home DERP, manager visible, WebSocket dial, hello →
// hello.ack). The manager's node stays up across iterations, as in life;
// each iteration is a fresh agent node. Run with -benchtime=20x.
func BenchmarkTailnetFirstRoundTrip(b *testing.B) {
	ctl := meshtest.NewControl(b)
	mgr := meshtest.NewNode(b, ctl, mesh.DefaultManagerHostname)
	serveFakeManager(b, mgr)
	url := managerURL(b)

	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		ctx := meshtest.Context(b)
		start := time.Now()
		agent, err := mesh.Start(ctl.Config(b, fmt.Sprintf("agent-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		helloRoundTrip(b, ctx, mesh.Dialer{URL: url, Node: agent}, "agent")
		took = append(took, time.Since(start))
		b.StopTimer()
		agent.Close()
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(pct(took, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(took, 95).Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	stalls := 0
	for _, d := range took {
		if d > 4*time.Second {
			stalls++
		}
	}
	b.ReportMetric(float64(stalls), "stalls>4s")
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100]
}

// BenchmarkIdleRSS runs internal/rssprobe twice, without and with an
// embedded node (joined to an in-process control server, up and idle for
// 5 s), and reports both processes' resident memory. Target: ≤ 80 MB with
// the node. Run with -benchtime=1x.
func BenchmarkIdleRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/self/status")
	}
	bin := filepath.Join(b.TempDir(), "rssprobe")
	build := exec.Command("go", "build", "-o", bin, "restic-manager/protocol/mesh/internal/rssprobe")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build rssprobe: %v\n%s", err, out)
	}
	ctl := meshtest.NewControl(b)
	probe := func(node bool) (r struct {
		RSSBeforeKB int    `json:"rss_before_kb"`
		RSSIdleKB   int    `json:"rss_idle_kb"`
		HeapInuseKB uint64 `json:"heap_inuse_kb"`
	}) {
		cmd := exec.Command(bin, "-control", ctl.URL, "-dir", b.TempDir(), fmt.Sprintf("-node=%v", node))
		// Keep the probe's node on loopback, as meshtest does in-process.
		cmd.Env = append(os.Environ(), ctl.SubprocessEnv()...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("rssprobe -node=%v: %v", node, err)
		}
		if err := json.Unmarshal(out, &r); err != nil {
			b.Fatalf("rssprobe output %q: %v", out, err)
		}
		return r
	}
	for range b.N {
		without, with := probe(false), probe(true)
		b.ReportMetric(float64(without.RSSIdleKB)/1024, "rss-without-node-MB")
		b.ReportMetric(float64(with.RSSBeforeKB)/1024, "rss-before-node-MB")
		b.ReportMetric(float64(with.RSSIdleKB)/1024, "rss-idle-node-MB")
		b.ReportMetric(float64(with.HeapInuseKB)/1024, "heap-inuse-node-MB")
	}
}
