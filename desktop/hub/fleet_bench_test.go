package hub

// BenchmarkFleetIngest: N simulated agents on loopback, each streaming one
// job with progress at 1 Hz and 50 log lines/s, against a manager with a
// real bbolt file. The agents run in a child process (this test binary,
// re-executed as TestFleetAgentProcess) so the manager's RSS and CPU are
// its own. The baseline, in the same run, writes the same lines with a
// bare bbolt loop that commits one transaction every 50 ms.
//
//	go test -run '^$' -bench BenchmarkFleetIngest -benchtime 1x ./desktop/hub/
//	go test -run '^$' -bench BenchmarkFleetIngest -benchtime 1x ./desktop/hub/ -fleet.duration 5s -fleet.sizes 100

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
	"restic-manager/storage"
)

var (
	fleetDuration = flag.Duration("fleet.duration", 60*time.Second, "BenchmarkFleetIngest: how long every agent streams")
	fleetSizes    = flag.String("fleet.sizes", "100,500,1000", "BenchmarkFleetIngest: fleet sizes, comma separated")
	fleetBaseline = flag.Bool("fleet.baseline", true, "BenchmarkFleetIngest: also run the bare-bbolt baseline")
	fleetHeap     = flag.String("fleet.heapprofile", "", "BenchmarkFleetIngest: write a heap profile half way through streaming")
)

const (
	fleetLinesPerSec = 50
	fleetTick        = 100 * time.Millisecond // 5 lines per tick, progress every 10th
	fleetEnvConfig   = "RM_FLEET_CONFIG"
)

// fleetConfig is what the parent tells the child.
type fleetConfig struct {
	URL      string        `json:"url"`
	Tokens   []string      `json:"tokens"`
	Duration time.Duration `json:"duration"`
}

// fleetResult is what the child reports.
type fleetResult struct {
	Agents       int      `json:"agents"`
	Connected    int      `json:"connected"`
	LinesSent    []uint64 `json:"lines_sent"` // per agent, job "fleet-<i>"
	FinalAcked   int      `json:"final_acked"`
	AckP50Ms     float64  `json:"ack_p50_ms"`
	AckP99Ms     float64  `json:"ack_p99_ms"`
	AckMaxMs     float64  `json:"ack_max_ms"`
	FramesSent   uint64   `json:"frames_sent"`
	SendErrors   uint64   `json:"send_errors"`
	ChildCPUSecs float64  `json:"child_cpu_secs"`
}

// latHist is a histogram of latencies in 0.1 ms buckets up to 60 s.
type latHist struct {
	mu      sync.Mutex
	buckets []uint32
	n       uint64
	max     time.Duration
}

func newLatHist() *latHist { return &latHist{buckets: make([]uint32, 600_000)} }

func (h *latHist) add(d time.Duration) {
	i := int(d / (100 * time.Microsecond))
	if i < 0 {
		i = 0
	}
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	h.buckets[i]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

func (h *latHist) merge(o *latHist) {
	for i, v := range o.buckets {
		h.buckets[i] += v
	}
	h.n += o.n
	if o.max > h.max {
		h.max = o.max
	}
}

func (h *latHist) quantileMs(q float64) float64 {
	if h.n == 0 {
		return math.NaN()
	}
	target := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for i, v := range h.buckets {
		seen += uint64(v)
		if seen >= target {
			return float64(i+1) / 10
		}
	}
	return float64(len(h.buckets)) / 10
}

func raiseNoFile(tb testing.TB) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Logf("getrlimit: %v", err)
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Logf("setrlimit: %v", err)
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSMB reads VmHWM; resetPeakRSS starts a new high-water mark.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return math.NaN()
}

// rssParts reads the current anonymous and file-backed resident memory.
func rssParts() (anonMB, fileMB float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN(), math.NaN()
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "RssAnon:":
			anonMB = kb / 1024
		case "RssFile:":
			fileMB = kb / 1024
		}
	}
	return anonMB, fileMB
}

func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func BenchmarkFleetIngest(b *testing.B) {
	raiseNoFile(b)
	var sizes []int
	for _, s := range strings.Split(*fleetSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-fleet.sizes: %q is not a positive number", s)
		}
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runFleet(b, n, *fleetDuration)
			}
		})
	}
}

// enrolledStore opens a store in dir with n hosts enrolled beforehand (the
// benchmarks are about ingest), as connectSim's agent i says hello, and
// returns it with each host's agent token.
func enrolledStore(b *testing.B, dir string, n int) (*storage.Store, []string) {
	st, err := storage.OpenDir(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	return st, enrollFleet(b, st, n)
}

// enrollFleet enrolls n hosts as connectSim's agents say hello, and
// returns each one's agent token.
func enrollFleet(b *testing.B, st *storage.Store, n int) []string {
	now := time.Now()
	if _, err := st.CreateEnrollToken("fleet-enroll-token", n, now.Add(time.Hour), now); err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("fleet-agent-token-%06d", i)
		if _, err := st.Enroll(storage.EnrollRequest{EnrollToken: "fleet-enroll-token", AgentID: fmt.Sprintf("fleet-agent-%d", i),
			AgentToken: tokens[i], Info: storage.HostInfo{Hostname: fmt.Sprintf("pc%04d", i), OS: "linux", Arch: "amd64"}, Now: now}); err != nil {
			b.Fatal(err)
		}
	}
	return tokens
}

// serveHub runs a hub with o on a plain-TCP listener on loopback; it
// returns the agents' URL and a func that stops it.
func serveHub(b *testing.B, o Options) (*Hub, string, func()) {
	h, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	l := loopback(b, "tcp")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = h.Serve(ctx, l) }()
	return h, "ws://" + l.L.Addr().String() + protocol.AgentPath, func() { cancel(); h.Close(); <-served }
}

func runFleet(b *testing.B, n int, dur time.Duration) {
	b.StopTimer()
	dir := b.TempDir()
	st, tokens := enrolledStore(b, dir, n)
	defer st.Close()
	f := streamFleet(b, st, tokens, dur, fleetHooks{})
	f.check(b)

	b.ReportMetric(float64(f.lost), "lines_lost")
	b.ReportMetric(f.commitLat.quantileMs(0.99), "p99_commit_ms")
	b.ReportMetric(f.res.AckP99Ms, "p99_ack_ms")
	b.ReportMetric(f.peak, "peak_rss_MB")
	b.ReportMetric(f.peakAnon, "peak_anon_MB")
	b.ReportMetric(f.cpu/f.wall.Seconds(), "cpu_cores")
	b.ReportMetric(float64(f.events)/f.wall.Seconds(), "events/s")
	b.Logf("FLEET n=%d dur=%s: %s", n, dur, f)
	b.ReportMetric(f.perConn.rssKiB, "conn_rss_KiB")
	b.Logf("FLEET n=%d: one idle connection costs %.1f KiB of RSS (Go heap %.1f KiB, goroutine stacks %.1f KiB, %.1f goroutines)",
		n, f.perConn.rssKiB, f.perConn.heapKiB, f.perConn.stackKiB, f.perConn.goroutines)

	if *fleetBaseline {
		runBaseline(b, n, dur)
	}
}

// fleetHooks adapt streamFleet to a benchmark.
type fleetHooks struct {
	// hub tweaks the hub's options.
	hub func(*Options)
	// atGo runs as the agents start streaming, atEnd when they are done
	// (before the hub stops).
	atGo, atEnd func(*Hub)
}

// fleetStats is what one streamFleet measured.
type fleetStats struct {
	n                      int
	res                    fleetResult
	sent, stored           uint64
	lost                   int64
	commitLat, commitDur   *latHist
	commits, events        uint64
	wall                   time.Duration
	cpu                    float64
	peak, peakAnon         float64
	peakFile, connectedRSS float64
	perConn                struct{ rssKiB, heapKiB, stackKiB, goroutines float64 }
}

func (f *fleetStats) check(b *testing.B) {
	if f.res.Connected != f.n {
		b.Errorf("%d of %d agents connected", f.res.Connected, f.n)
	}
}

func (f *fleetStats) String() string {
	return fmt.Sprintf("connected %d/%d; lines sent %d stored %d lost %d; events %d in %d commits (%.0f/commit); "+
		"receipt→commit p50 %.1f ms p99 %.1f ms max %.1f ms; commit took p50 %.1f ms p99 %.1f ms; send→ack p50 %.1f ms p99 %.1f ms max %.1f ms; "+
		"manager CPU %.2f cores, peak RSS %.0f MB (anon %.0f MB, file %.0f MB; %.0f MB after connecting); agents' CPU %.1f s; final acks %d/%d; send errors %d",
		f.res.Connected, f.n, f.sent, f.stored, f.lost, f.events, f.commits, float64(f.events)/math.Max(1, float64(f.commits)),
		f.commitLat.quantileMs(0.5), f.commitLat.quantileMs(0.99), float64(f.commitLat.max)/1e6, f.commitDur.quantileMs(0.5), f.commitDur.quantileMs(0.99),
		f.res.AckP50Ms, f.res.AckP99Ms, f.res.AckMaxMs, f.cpu/f.wall.Seconds(), f.peak, f.peakAnon, f.peakFile, f.connectedRSS, f.res.ChildCPUSecs, f.res.FinalAcked, f.n, f.res.SendErrors)
}

// streamFleet serves a hub over st and has len(tokens) simulated agents,
// in a child process, stream one job each for dur.
func streamFleet(b *testing.B, st *storage.Store, tokens []string, dur time.Duration, hooks fleetHooks) *fleetStats {
	n := len(tokens)
	f := &fleetStats{n: n, commitLat: newLatHist(), commitDur: newLatHist()}
	var commits, events atomic.Uint64
	var measuring atomic.Bool
	o := Options{Store: st, Secrets: secrets.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		commitObserver: func(received []time.Time, started, committed time.Time) {
			if !measuring.Load() {
				return
			}
			commits.Add(1)
			events.Add(uint64(len(received)))
			f.commitLat.mu.Lock()
			for _, r := range received {
				f.commitLat.add(committed.Sub(r))
			}
			f.commitDur.add(committed.Sub(started))
			f.commitLat.mu.Unlock()
		}}
	if hooks.hub != nil {
		hooks.hub(&o)
	}
	h, url, stop := serveHub(b, o)
	defer stop()

	cfgPath := filepath.Join(b.TempDir(), "fleet.json")
	cfg, _ := json.Marshal(fleetConfig{URL: url, Tokens: tokens, Duration: dur})
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		b.Fatal(err)
	}
	resetPeakRSS()
	idle0 := idleMemory()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFleetAgentProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), fleetEnvConfig+"="+cfgPath)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	out.Buffer(make([]byte, 1<<20), 64<<20)
	waitLine := func(prefix string) string {
		for out.Scan() {
			if strings.HasPrefix(out.Text(), prefix) {
				return strings.TrimPrefix(out.Text(), prefix)
			}
		}
		b.Fatalf("fleet child ended before %q: %v", prefix, out.Err())
		return ""
	}
	waitLine("READY")
	f.connectedRSS = peakRSSMB()
	f.perConn = idleMemory().perConnection(idle0, n)
	sampleDone := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() { // RssAnon is the manager's own memory; RssFile is mostly the mmap'd store
		defer close(sampleDone)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			anon, file := rssParts()
			f.peakAnon, f.peakFile = math.Max(f.peakAnon, anon), math.Max(f.peakFile, file)
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	measuring.Store(true)
	cpu0, wall0 := cpuSeconds(), time.Now()
	b.StartTimer()
	fmt.Fprintln(stdin, "GO")
	if hooks.atGo != nil {
		hooks.atGo(h)
	}
	if *fleetHeap != "" {
		time.AfterFunc(dur/2, func() {
			out, err := os.Create(*fleetHeap)
			if err == nil {
				_ = pprof.WriteHeapProfile(out)
				out.Close()
			}
		})
	}
	resLine := waitLine("RESULT ")
	b.StopTimer()
	f.wall = time.Since(wall0)
	if hooks.atEnd != nil {
		hooks.atEnd(h)
	}
	f.cpu = cpuSeconds() - cpu0
	measuring.Store(false)
	close(stopSampling)
	<-sampleDone
	_ = cmd.Wait()
	// The high-water mark before counting the stored lines: that count
	// reads the whole store through the mmap, which streaming never does.
	f.peak = peakRSSMB()
	if err := json.Unmarshal([]byte(resLine), &f.res); err != nil {
		b.Fatalf("fleet child result: %v", err)
	}
	f.commits, f.events = commits.Load(), events.Load()
	for i := 0; i < n; i++ {
		c, err := st.JobLogCount(fmt.Sprintf("fleet-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		f.sent += f.res.LinesSent[i]
		f.stored += uint64(c)
	}
	f.lost = int64(f.sent) - int64(f.stored)
	return f
}

// memoryState is the manager's memory at one moment, after a GC.
type memoryState struct {
	anonMB           float64
	heapInuse, stack uint64
	goroutines       int
}

func idleMemory() memoryState {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	anon, _ := rssParts()
	return memoryState{anonMB: anon, heapInuse: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// perConnection is what n connections added since before, each.
func (m memoryState) perConnection(before memoryState, n int) (c struct{ rssKiB, heapKiB, stackKiB, goroutines float64 }) {
	c.rssKiB = (m.anonMB - before.anonMB) * 1024 / float64(n)
	c.heapKiB = (float64(m.heapInuse) - float64(before.heapInuse)) / 1024 / float64(n)
	c.stackKiB = (float64(m.stack) - float64(before.stack)) / 1024 / float64(n)
	c.goroutines = float64(m.goroutines-before.goroutines) / float64(n)
	return c
}

// runBaseline writes the same log lines (n jobs × 50/s) with a bare bbolt
// loop: one transaction every 50 ms with whatever arrived, same key and
// value layout as the store. No network, no JSON, no acks.
func runBaseline(b *testing.B, n int, dur time.Duration) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "baseline.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("job_logs")
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err })
	type line struct {
		key, val []byte
		at       time.Time
	}
	var mu sync.Mutex
	var queue []line
	stop := make(chan struct{})
	var gen sync.WaitGroup
	gen.Add(1)
	go func() { // the fleet: every tick, 5 lines for each job
		defer gen.Done()
		seqs := make([]uint64, n)
		t := time.NewTicker(fleetTick)
		defer t.Stop()
		payload := []byte(strings.Repeat("x", 80))
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				batch := make([]line, 0, n*5)
				for j := 0; j < n; j++ {
					job := fmt.Sprintf("fleet-%d", j)
					for k := 0; k < fleetLinesPerSec/10; k++ {
						seqs[j]++
						key := append([]byte{byte(len(job))}, job...)
						key = append(key, u64be(seqs[j])...)
						val := append(u64be(uint64(now.UnixNano())), 'o')
						batch = append(batch, line{key: key, val: append(val, payload...), at: time.Now()})
					}
				}
				mu.Lock()
				queue = append(queue, batch...)
				mu.Unlock()
			}
		}
	}()
	lat := newLatHist()
	var total uint64
	cpu0, wall0 := cpuSeconds(), time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	for time.Since(wall0) < dur {
		<-tick.C
		mu.Lock()
		q := queue
		queue = nil
		mu.Unlock()
		if len(q) == 0 {
			continue
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucket)
			for _, l := range q {
				if err := bk.Put(l.key, l.val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		done := time.Now()
		for _, l := range q {
			lat.add(done.Sub(l.at))
		}
		total += uint64(len(q))
	}
	tick.Stop()
	close(stop)
	gen.Wait()
	wall := time.Since(wall0)
	cpu := cpuSeconds() - cpu0
	b.ReportMetric(lat.quantileMs(0.99), "base_p99_commit_ms")
	b.ReportMetric(cpu/wall.Seconds(), "base_cpu_cores")
	b.Logf("BASELINE n=%d dur=%s: %d lines, %.0f/s; generate→commit p50 %.1f ms p99 %.1f ms; CPU %.2f cores",
		n, dur, total, float64(total)/wall.Seconds(), lat.quantileMs(0.5), lat.quantileMs(0.99), cpu/wall.Seconds())
}

func u64be(v uint64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// TestFleetAgentProcess is the child side of BenchmarkFleetIngest; run
// alone it skips.
func TestFleetAgentProcess(t *testing.T) {
	path := os.Getenv(fleetEnvConfig)
	if path == "" {
		t.Skip("helper process for BenchmarkFleetIngest")
	}
	raiseNoFile(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg fleetConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	agents := make([]*simAgent, len(cfg.Tokens))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var connected atomic.Int64
	for i, tok := range cfg.Tokens {
		wg.Add(1)
		go func(i int, tok string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := connectSim(cfg.URL, i, tok)
			if err != nil {
				fmt.Fprintf(os.Stderr, "fleet agent %d: %v\n", i, err)
				return
			}
			agents[i] = a
			connected.Add(1)
		}(i, tok)
	}
	wg.Wait()
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(cfg.Duration)
	for _, a := range agents {
		if a == nil {
			continue
		}
		wg.Add(1)
		go func(a *simAgent) { defer wg.Done(); a.stream(end) }(a)
	}
	wg.Wait()
	res := fleetResult{Agents: len(agents), Connected: int(connected.Load()), LinesSent: make([]uint64, len(agents))}
	all := newLatHist()
	for i, a := range agents {
		if a == nil {
			continue
		}
		res.LinesSent[i] = a.line
		if a.finalAcked {
			res.FinalAcked++
		}
		res.FramesSent += a.frames
		res.SendErrors += a.sendErrs
		all.merge(a.lat)
		a.c.Close(wsconn.StatusNormal, "done")
	}
	res.AckP50Ms, res.AckP99Ms, res.AckMaxMs = all.quantileMs(0.5), all.quantileMs(0.99), float64(all.max)/1e6
	res.ChildCPUSecs = cpuSeconds()
	out, _ := json.Marshal(res)
	fmt.Println("RESULT " + string(out))
}

// simAgent is a lean agent: frames built by hand, acks timed.
type simAgent struct {
	idx      int
	c        *wsconn.Conn
	job      string
	seq      uint64
	line     uint64
	buf      []byte
	frames   uint64
	sendErrs uint64

	mu         sync.Mutex
	pending    []sentAt
	acked      uint64
	lat        *latHist
	ackSignal  chan struct{}
	finalAcked bool
}

type sentAt struct {
	seq uint64
	at  time.Time
}

func connectSim(url string, i int, token string) (*simAgent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := wsconn.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	a := &simAgent{idx: i, c: c, job: fmt.Sprintf("fleet-%d", i), lat: newLatHist(), ackSignal: make(chan struct{}, 1)}
	hello := &protocol.Hello{ProtocolVersion: protocol.ProtocolVersion, AgentVersion: "bench", ResticVersion: "0.14.0",
		Hostname: fmt.Sprintf("pc%04d", i), OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: fmt.Sprintf("fleet-agent-%d", i), Token: token}
	if _, err := c.SendPayload(ctx, hello, ""); err != nil {
		return nil, err
	}
	for {
		env, err := c.Receive(ctx)
		if err != nil {
			return nil, err
		}
		if env.Type == protocol.TypeHelloAck {
			ack, err := protocol.Decode[protocol.HelloAck](env)
			if err != nil || !ack.Accepted {
				return nil, fmt.Errorf("hello refused: %+v %v", ack, err)
			}
			break
		}
	}
	go a.read()
	return a, nil
}

func (a *simAgent) read() {
	for {
		env, err := a.c.Receive(context.Background())
		if err != nil {
			if _, ok := err.(*wsconn.FrameError); ok {
				continue
			}
			return
		}
		if env.Type != protocol.TypeAck {
			continue
		}
		ack, err := protocol.Decode[protocol.Ack](env)
		if err != nil {
			continue
		}
		now := time.Now()
		a.mu.Lock()
		if ack.Seq > a.acked {
			a.acked = ack.Seq
		}
		k := 0
		for k < len(a.pending) && a.pending[k].seq <= ack.Seq {
			a.lat.add(now.Sub(a.pending[k].at))
			k++
		}
		a.pending = a.pending[k:]
		a.mu.Unlock()
		select {
		case a.ackSignal <- struct{}{}:
		default:
		}
	}
}

func (a *simAgent) sendJournaled(frame []byte) {
	a.mu.Lock()
	a.pending = append(a.pending, sentAt{seq: a.seq, at: time.Now()})
	a.mu.Unlock()
	a.send(frame)
}

func (a *simAgent) send(frame []byte) {
	a.frames++
	if err := a.c.SendRaw(context.Background(), frame); err != nil {
		a.sendErrs++
	}
}

func (a *simAgent) head(typ string, journaled bool, now time.Time) []byte {
	b := a.buf[:0]
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","id":"a`...)
	b = strconv.AppendInt(b, int64(a.idx), 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, a.frames, 10)
	if journaled {
		a.seq++
		b = append(b, `","seq":`...)
		b = strconv.AppendUint(b, a.seq, 10)
		b = append(b, `,"ts":"`...)
	} else {
		b = append(b, `","ts":"`...)
	}
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `","payload":`...)
}

func (a *simAgent) stream(end time.Time) {
	// Stagger the agents across one tick, as real ones would be.
	time.Sleep(time.Duration(a.idx%100) * fleetTick / 100)
	now := time.Now()
	b := a.head(protocol.TypeJobStarted, true, now)
	b = append(b, `{"job_id":"`+a.job+`","kind":"backup","started_at":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}}`...)
	a.buf = b
	a.sendJournaled(b)

	t := time.NewTicker(fleetTick)
	defer t.Stop()
	for tick := 0; ; tick++ {
		now := <-t.C
		if now.After(end) {
			break
		}
		for k := 0; k < fleetLinesPerSec/10; k++ {
			a.line++
			b := a.head(protocol.TypeLogStream, true, now)
			b = append(b, `{"job_id":"`+a.job+`","seq":`...)
			b = strconv.AppendUint(b, a.line, 10)
			b = append(b, `,"ts":"`...)
			b = now.UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, `","stream":"stdout","payload":"new       /home/user/documents/report-`...)
			b = strconv.AppendUint(b, a.line, 10)
			b = append(b, `.odt, saved in 0.012s (41.2 KiB added)"}}`...)
			a.buf = b
			a.sendJournaled(b)
		}
		if tick%10 == 0 {
			b := a.head(protocol.TypeJobProgress, false, now)
			b = append(b, `{"job_id":"`+a.job+`","percent_done":0.5,"files_done":`...)
			b = strconv.AppendUint(b, a.line, 10)
			b = append(b, `,"total_files":100000,"bytes_done":1000,"total_bytes":2000,"eta_seconds":60,"throughput_bps":1000000}}`...)
			a.buf = b
			a.send(b)
		}
	}
	now = time.Now()
	b = a.head(protocol.TypeJobFinished, true, now)
	b = append(b, `{"job_id":"`+a.job+`","status":"succeeded","exit_code":0,"finished_at":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}}`...)
	a.buf = b
	a.sendJournaled(b)
	final := a.seq
	deadline := time.After(2 * time.Minute)
	for {
		a.mu.Lock()
		done := a.acked >= final
		a.mu.Unlock()
		if done {
			a.finalAcked = true
			return
		}
		select {
		case <-a.ackSignal:
		case <-deadline:
			return
		}
	}
}
