package tailnet

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/secrets"
)

// BenchmarkAgentStartToHelloAck measures what a restic-agent process pays
// to reach its manager: from starting the real binary to the manager
// sending its hello.ack (as the wire tap saw it), three ways in the same
// run, interleaved:
//
//   - tailnet, first start: --tailnet with a new state directory — the
//     embedded node registers with control, connects to its home DERP,
//     waits to see the manager among its peers, dials over WireGuard, and
//     the agent enrolls;
//   - tailnet, restart: the same agent again on its state directory (a
//     known node, no token);
//   - plain TCP, the baseline: the same binary dialling the hub's loopback
//     listener (enrolling).
//
// Each iteration starts 20 agents of each kind. Run with -benchtime=1x
// (make bench does: one iteration takes longer than a second).
func BenchmarkAgentStartToHelloAck(b *testing.B) {
	ctl := newControl(b)
	m := startManager(b, ctl, b.TempDir(), secrets.NewMemory())
	tok := m.enrollToken(b, 10000)
	testfleet.AgentBinary(b) // built before the clock runs
	const runs = 20
	var fresh, restart, plain []time.Duration
	helloAck := func(name string, n int, from time.Time) time.Duration {
		var at time.Time
		waitFor(b, name+"'s hello.ack", func() bool {
			var ok bool
			at, ok = m.Tap.helloAcked(name, n)
			return ok
		})
		return at.Sub(from)
	}
	b.ResetTimer()
	for iter := range b.N {
		for i := range runs {
			name := fmt.Sprintf("tn-%d-%d", iter, i)
			start := time.Now()
			a := startAgent(b, ctl, name, b.TempDir(), "--enroll", tok)
			fresh = append(fresh, helloAck(name, 0, start))
			a.Stop(b)

			start = time.Now()
			a.Start(b)
			restart = append(restart, helloAck(name, 1, start))
			a.Stop(b)

			name = fmt.Sprintf("tcp-%d-%d", iter, i)
			start = time.Now()
			p := testfleet.StartProcess(b, testfleet.ProcessOptions{Name: name, Manager: m.PlainURL, Args: []string{"--enroll", tok}})
			plain = append(plain, helloAck(name, 0, start))
			p.Stop(b)
		}
	}
	b.StopTimer()
	for _, s := range []struct {
		name string
		d    []time.Duration
	}{{"tailnet-first", fresh}, {"tailnet-restart", restart}, {"plain", plain}} {
		slices.Sort(s.d)
		b.ReportMetric(ms(pct(s.d, 50)), s.name+"-p50-ms")
		b.ReportMetric(ms(pct(s.d, 95)), s.name+"-p95-ms")
		b.ReportMetric(ms(s.d[len(s.d)-1]), s.name+"-max-ms")
		stalls := 0
		for _, d := range s.d {
			if d > 4*time.Second { // WireGuard's 5 s handshake retry
				stalls++
			}
		}
		b.ReportMetric(float64(stalls), s.name+"-stalls>4s")
	}
	b.ReportMetric(ms(pct(fresh, 50))/ms(pct(plain, 50)), "first÷plain-p50")
	b.ReportMetric(ms(pct(restart, 50))/ms(pct(plain, 50)), "restart÷plain-p50")
}

// BenchmarkAgentIdleRSS runs two restic-agent processes side by side, one
// joined with --tailnet, one on the plain-TCP listener, both connected and
// approved, lets them idle for 5 s and reads VmRSS and VmHWM of each from
// /proc. Target: ≤ 80 MB with the node. Run with -benchtime=1x.
func BenchmarkAgentIdleRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/<pid>/status")
	}
	ctl := newControl(b)
	m := startManager(b, ctl, b.TempDir(), secrets.NewMemory())
	tok := m.enrollToken(b, 10000)
	for iter := range b.N {
		tnName, tcpName := fmt.Sprintf("rss-tn-%d", iter), fmt.Sprintf("rss-tcp-%d", iter)
		tn := startAgent(b, ctl, tnName, b.TempDir(), "--enroll", tok)
		tcp := testfleet.StartProcess(b, testfleet.ProcessOptions{Name: tcpName, Manager: m.PlainURL, Args: []string{"--enroll", tok}})
		for _, name := range []string{tnName, tcpName} {
			waitFor(b, name+"'s hello.ack", func() bool { _, ok := m.Tap.helloAcked(name, 0); return ok })
		}
		// What is measured is an idle agent: connected, approved, nothing
		// to do (no repository yet, heartbeats every 30 s).
		time.Sleep(5 * time.Second)
		tnRSS, tnHWM := procMemory(b, tn.Pid())
		tcpRSS, tcpHWM := procMemory(b, tcp.Pid())
		tn.Stop(b)
		tcp.Stop(b)
		b.ReportMetric(tnRSS, "rss-tailnet-MB")
		b.ReportMetric(tnHWM, "hwm-tailnet-MB")
		b.ReportMetric(tcpRSS, "rss-plain-MB")
		b.ReportMetric(tcpHWM, "hwm-plain-MB")
		b.ReportMetric(tnRSS/tcpRSS, "rss-tailnet÷plain")
	}
}

// procMemory reads VmRSS and VmHWM (MB) of a running process.
func procMemory(t testing.TB, pid int) (rss, hwm float64) {
	t.Helper()
	if pid == 0 {
		t.Fatal("the agent is not running")
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		if err != nil {
			t.Fatalf("/proc/%d/status %s: %q", pid, k, v)
		}
		if k == "VmRSS" {
			rss = float64(kb) / 1024
		} else {
			hwm = float64(kb) / 1024
		}
	}
	if rss == 0 || hwm == 0 {
		t.Fatalf("/proc/%d/status has no VmRSS/VmHWM", pid)
	}
	return rss, hwm
}

func pct(sorted []time.Duration, p int) time.Duration { return sorted[(len(sorted)-1)*p/100] }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
