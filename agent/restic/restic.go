package restic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"restic-manager/protocol"
)

// DefaultGrace is how long a cancelled restic gets between SIGINT (which
// makes it remove its lock and exit 130) and being killed.
const DefaultGrace = 30 * time.Second

// Options configure New.
type Options struct {
	// Path is the restic binary (--restic). Empty means "restic" on PATH.
	Path string
	// CacheDir, when set, is given to every restic command as
	// --cache-dir (a flag since restic 0.8; argv, because it is no secret
	// and an inherited RESTIC_CACHE_DIR must not win).
	CacheDir string
	// Trace, when set, sees the argv of every restic this wrapper starts.
	// Tests use it to prove no secret is ever in argv.
	Trace func(argv []string)
}

// Restic is one restic binary whose version has been read. It is safe for
// concurrent use.
type Restic struct {
	path     string
	version  Version
	caps     Capabilities
	cacheDir string
	trace    func([]string)
}

// New finds restic, reads its version once and derives its capabilities.
// A missing binary is ErrNotInstalled; a version older than MinVersion is
// refused.
func New(ctx context.Context, opts Options) (*Restic, error) {
	name := opts.Path
	if name == "" {
		name = "restic"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", name, ErrNotInstalled)
	}
	r := &Restic{path: path, cacheDir: opts.CacheDir, trace: opts.Trace}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = BaseEnviron()
	cmd.Stdout = &out
	cmd.Stderr = &out
	r.traceArgv(cmd.Args)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s version: %w: %s", path, err, shortenText(strings.TrimSpace(out.String()), 300))
	}
	v, err := ParseVersion(out.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !v.AtLeast(MinVersion.Major, MinVersion.Minor, MinVersion.Patch) {
		return nil, fmt.Errorf("%s is restic %s; restic-agent needs %s or newer", path, v, MinVersion)
	}
	r.version = v
	r.caps = CapabilitiesOf(v)
	return r, nil
}

// Path is the binary in use.
func (r *Restic) Path() string { return r.path }

// Version is what `restic version` said at New.
func (r *Restic) Version() Version { return r.version }

// Caps are the features this restic has.
func (r *Restic) Caps() Capabilities { return r.caps }

func (r *Restic) traceArgv(argv []string) {
	if r.trace != nil {
		r.trace(append([]string(nil), argv...))
	}
}

// Cmd is one restic invocation.
type Cmd struct {
	// Args are the subcommand and its flags (see the *Args builders). They
	// never hold a secret.
	Args []string
	Repo Repo
	// From, when set, is the second repository of copy and init
	// --copy-chunker-params (RESTIC_FROM_REPOSITORY, RESTIC_FROM_PASSWORD).
	From *Repo
	// Stdout and Stderr receive each output line, scrubbed of the
	// repositories' secrets, without its line ending. Each is called from
	// its own goroutine, so the two may run concurrently; neither is
	// called after Run returns. The slice is only valid during the call.
	Stdout func(line []byte)
	Stderr func(line []byte)
	// StdoutStream, when set, takes restic's stdout as it comes instead of
	// Stdout, unscrubbed and not split into lines: for JSON that restic
	// prints as one document on one line of any length (find). Only data
	// read from the repository (paths, ids) may come this way, never a
	// message that could quote a secret. Run returns after the last write.
	StdoutStream io.Writer
	// Grace is the time between SIGINT and kill once ctx is done (default
	// DefaultGrace).
	Grace time.Duration
	// MaxLine bounds one buffered output line (default DefaultMaxLine); the
	// rest of a longer line is dropped.
	MaxLine int
	// FailFast stops restic at its first retry of a repository it cannot
	// reach, and reports ErrUnreachable: restic 0.17+ retries for up to
	// 15 minutes, which a repository test must not wait out. (A retry
	// that cannot succeed — a repository path through a file, a refused
	// access — stops every run, FailFast or not: deadEndRetry.)
	FailFast bool
}

// Result is what a finished restic run left behind.
type Result struct {
	// ExitCode is restic's exit code, or -1 when it never started or was
	// killed by a signal.
	ExitCode int
	// Killed reports that restic outlived the grace period and was killed;
	// its lock is then stale and needs `restic unlock`.
	Killed bool
	// Started reports that restic was started at all.
	Started bool
}

// Run starts restic, feeds its output lines to c.Stdout and c.Stderr while
// it runs, and waits for it exactly once. When ctx is done restic gets
// SIGINT, and is killed after c.Grace. The error is nil on success, else an
// *Error (errors.Is against the Err* values) or a start failure wrapping
// ErrNotInstalled.
func (r *Restic) Run(ctx context.Context, c Cmd) (Result, error) {
	op := "restic"
	if len(c.Args) > 0 {
		op = c.Args[0]
	}
	res := Result{ExitCode: -1}
	if err := ctx.Err(); err != nil {
		return res, &Error{Op: op, ExitCode: -1, Cause: ErrInterrupted, Detail: context.Cause(ctx).Error()}
	}
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	cmd := exec.CommandContext(runCtx, r.path, r.argv(c.Args)...)
	cmd.Env = r.environ(c.Repo, c.From)
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = grace

	scrub := newScrubber(&c.Repo, c.From)
	var facts stderrFacts
	var factsMu sync.Mutex
	stdout := NewLineWriter(c.MaxLine, func(line []byte) {
		if c.Stdout != nil {
			c.Stdout(scrub.line(line))
		}
	})
	stderr := NewLineWriter(c.MaxLine, func(line []byte) {
		line = scrub.line(line)
		factsMu.Lock()
		facts.observe(string(line))
		if facts.gaveUp == "" && (deadEndRetry(string(line)) || c.FailFast && failFastReason(string(line))) {
			facts.gaveUp = string(line)
			stopRun()
		}
		factsMu.Unlock()
		if c.Stderr != nil {
			c.Stderr(line)
		}
	})
	cmd.Stdout = stdout
	if c.StdoutStream != nil {
		cmd.Stdout = c.StdoutStream
	}
	cmd.Stderr = stderr

	r.traceArgv(cmd.Args)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return res, &Error{Op: op, ExitCode: -1, Cause: ErrNotInstalled, Detail: err.Error()}
		}
		return res, fmt.Errorf("%s: start restic: %w", op, err)
	}
	res.Started = true
	waitErr := cmd.Wait()
	stdout.Flush()
	stderr.Flush()

	res.ExitCode = cmd.ProcessState.ExitCode()
	if res.ExitCode == -1 && ctx.Err() != nil {
		res.Killed = true
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("%s: wait for restic: %w", op, waitErr)
	}
	if facts.gaveUp != "" {
		return res, located(classify(op, res.ExitCode, &facts), c.Repo)
	}
	if ctx.Err() != nil && res.ExitCode != ExitOK {
		e := &Error{Op: op, ExitCode: res.ExitCode, Cause: ErrInterrupted, Detail: context.Cause(ctx).Error()}
		return res, e
	}
	if res.ExitCode == -1 {
		return res, &Error{Op: op, ExitCode: -1, Cause: ErrFailed, Detail: "restic was killed: " + cmd.ProcessState.String()}
	}
	if err := classify(op, res.ExitCode, &facts); err != nil {
		return res, located(err, c.Repo)
	}
	return res, nil
}

// located names the repository, without secrets, in an error that says
// there is none there.
func located(err error, repo Repo) error {
	var e *Error
	if errors.As(err, &e) && e.Cause == ErrNoRepository {
		e.Location = protocol.RedactURL(repo.URL)
	}
	return err
}

// argv puts --cache-dir right after the subcommand, before any "--" that
// ends the flags.
func (r *Restic) argv(args []string) []string {
	if r.cacheDir == "" || len(args) == 0 {
		return args
	}
	out := make([]string, 0, len(args)+2)
	out = append(out, args[0], "--cache-dir", r.cacheDir)
	return append(out, args[1:]...)
}

// interrupt asks restic to stop the way a terminal's Ctrl-C does, so it
// removes its lock. Windows has no SIGINT for another process: kill.
func interrupt(p *os.Process) error {
	if runtime.GOOS == "windows" {
		return p.Kill()
	}
	return p.Signal(os.Interrupt)
}

// DefaultMaxLine bounds one buffered output line. restic's longest lines are
// single-document JSON (snapshots, forget), which grow with the repository.
const DefaultMaxLine = 64 << 20

// LineWriter splits what is written to it into lines and hands each to fn
// without its "\n" (and a trailing "\r"). A line longer than max is cut;
// the rest up to the next newline is dropped. Call Flush after the writer's
// source has ended, to deliver a last line without a newline.
type LineWriter struct {
	fn      func([]byte)
	max     int
	buf     []byte
	discard bool
}

// NewLineWriter returns a LineWriter; max ≤ 0 means DefaultMaxLine.
func NewLineWriter(max int, fn func(line []byte)) *LineWriter {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &LineWriter{fn: fn, max: max}
}

func (w *LineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.add(p)
			break
		}
		w.add(p[:i])
		w.emit()
		p = p[i+1:]
	}
	return n, nil
}

func (w *LineWriter) add(p []byte) {
	if w.discard {
		return
	}
	room := w.max - len(w.buf)
	if len(p) > room {
		p = p[:room]
		w.discard = true
	}
	w.buf = append(w.buf, p...)
}

func (w *LineWriter) emit() {
	line := bytes.TrimSuffix(w.buf, []byte{'\r'})
	w.fn(line)
	w.buf = w.buf[:0]
	w.discard = false
	if cap(w.buf) > 64<<10 {
		w.buf = nil // do not keep a huge buffer after one long line
	}
}

// Flush delivers a pending line that had no newline.
func (w *LineWriter) Flush() {
	if len(w.buf) > 0 {
		w.emit()
	}
}
