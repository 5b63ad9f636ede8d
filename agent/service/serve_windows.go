package service

import (
	"context"
	"time"

	"golang.org/x/sys/windows/svc"
)

// IsService reports whether the Service Control Manager started this
// process (then main runs the agent through RunService).
func IsService() (bool, error) { return svc.IsWindowsService() }

// RunService runs agent as the Windows service Name until the Service
// Control Manager stops it (Serve does the work; this adapts svc to it).
func RunService(grace time.Duration, agent func(context.Context) error) error {
	h := &handler{grace: grace, agent: agent}
	if err := svc.Run(Name, h); err != nil {
		return err
	}
	return h.err
}

type handler struct {
	grace time.Duration
	agent func(context.Context) error
	err   error
}

func (h *handler) Execute(_ []string, changes <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	requests := make(chan Request)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for c := range changes {
			r, ok := map[svc.Cmd]Request{svc.Interrogate: Interrogate, svc.Stop: Stop, svc.Shutdown: Shutdown}[c.Cmd]
			if !ok {
				continue
			}
			select {
			case requests <- r:
			case <-quit:
				return
			}
		}
	}()
	var exit uint32
	var checkpoint uint32
	h.err = Serve(requests, func(s Status) {
		if s.State == Stopped {
			// svc.Run reports stopped itself, with the exit code
			// Execute returns.
			exit = s.ExitCode
			return
		}
		checkpoint++
		st := svc.Status{
			State:      map[State]svc.State{StartPending: svc.StartPending, Running: svc.Running, StopPending: svc.StopPending}[s.State],
			WaitHint:   uint32(s.WaitHint / time.Millisecond),
			CheckPoint: checkpoint,
		}
		if s.State == Running {
			st.Accepts = svc.AcceptStop | svc.AcceptShutdown
			st.CheckPoint = 0
		}
		status <- st
	}, h.grace, h.agent)
	// A service-specific exit code marks a failure, so the recovery
	// actions Install set restart the agent.
	return exit != 0, exit
}
