package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// Request is what the service manager asks of a running service.
type Request int

const (
	// Interrogate asks for the current status again.
	Interrogate Request = iota
	// Stop is a stop from the admin (or uninstall).
	Stop
	// Shutdown is the machine going down.
	Shutdown
)

// State is a service's state as the service manager sees it.
type State int

const (
	StartPending State = iota
	Running
	StopPending
	Stopped
)

func (s State) String() string {
	return [...]string{"start-pending", "running", "stop-pending", "stopped"}[s]
}

// Status is what a service reports. ExitCode is non-zero when the agent
// stopped by itself, so the service manager's recovery restarts it.
type Status struct {
	State    State
	WaitHint time.Duration // how long a pending state may last
	ExitCode uint32
}

// stopSlack is how much longer than the agent's cancel grace a stop may
// take: the journal closes and the link says goodbye after restic exits.
const stopSlack = 15 * time.Second

// Serve runs agent as a service: it reports start-pending then running,
// and on Stop or Shutdown reports stop-pending (its wait hint covering
// grace, the time a cancelled restic gets to remove its lock), cancels
// agent's context and reports stopped once agent has returned. An agent
// that returns by itself, with or without an error, is a failure: the
// exit code is 1 so the service manager restarts it. Serve returns when
// stopped has been reported, with the agent's error.
//
// The service manager's side is an interface (a channel of requests, a
// report function) so this logic runs on Linux in tests; serve_windows.go
// adapts golang.org/x/sys/windows/svc to it.
func Serve(requests <-chan Request, report func(Status), grace time.Duration, agent func(context.Context) error) error {
	report(Status{State: StartPending, WaitHint: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- agent(ctx) }()
	current := Status{State: Running}
	report(current)
	for {
		select {
		case r := <-requests:
			switch r {
			case Interrogate:
				report(current)
			case Stop, Shutdown:
				if current.State == StopPending {
					report(current)
					continue
				}
				current = Status{State: StopPending, WaitHint: grace + stopSlack}
				report(current)
				cancel()
			}
		case err := <-done:
			final := Status{State: Stopped}
			if current.State != StopPending {
				final.ExitCode = 1
				if err == nil {
					err = errAgentReturned
				}
			} else if errors.Is(err, context.Canceled) {
				err = nil
			}
			report(final)
			return err
		}
	}
}

var errAgentReturned = errors.New("the agent stopped without being asked to")

// LogName is the agent's log in its state directory when it runs as a
// Windows service, which has no console and no journal to log to.
const LogName = "restic-agent.log"

// maxLog is the size past which OpenLog starts a new log, keeping one old.
const maxLog = 10 << 20

// OpenLog opens dir's LogName for appending, first moving one larger than
// maxLog to LogName.1 (replacing the older one).
func OpenLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LogName)
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLog {
		if err := os.Rename(path, path+".1"); err != nil {
			return nil, err
		}
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}
