package runner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// DefaultHookShell runs a hook command when the config names no hook shell.
func DefaultHookShell() []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd", "/C"}
	}
	return []string{"sh", "-c"}
}

// runHook runs one hook with the configured shell ("bash -c", "pwsh
// -Command", …), the command as its last argument. Its output goes to the
// job log, each line prefixed with the hook's name. It gets the agent's
// environment without repository secrets, plus RM_JOB_ID and RM_JOB_KIND
// (and whatever extra says). A non-zero exit is an error.
func (ex *execution) runHook(ctx context.Context, which, command string, extra []string) error {
	if ex.r.noHooks {
		// A job queued before a restart with --no-hooks: Submit refuses
		// new ones, and this one must not run its hook either.
		return fmt.Errorf("%s not run: %w", which, protocol.ErrHooksDisabled)
	}
	shell := DefaultHookShell()
	if s := strings.Fields(ex.cfg.HookShell); len(s) > 0 {
		shell = s
	}
	argv := append(append([]string(nil), shell...), command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(restic.BaseEnviron(), "RM_JOB_ID="+ex.job.ID(), "RM_JOB_KIND="+ex.job.Run.Kind)
	cmd.Env = append(cmd.Env, extra...)
	hookInOwnGroup(cmd)
	cmd.WaitDelay = ex.r.grace
	prefix := "[" + which + "] "
	line := func(stream string) func([]byte) {
		return func(l []byte) {
			// Cleaned before the prefix goes on: a carriage return in the
			// hook's output must not overwrite the prefix.
			text := ex.repo.Scrub(string(l))
			if text != "" {
				if text = protocol.CleanLogLine(text); text == "" {
					return // nothing but terminal control
				}
			}
			ex.log.add(stream, prefix+text)
		}
	}
	stdout := restic.NewLineWriter(hookMaxLine, line(protocol.StreamStdout))
	stderr := restic.NewLineWriter(hookMaxLine, line(protocol.StreamStderr))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	stdout.Flush()
	stderr.Flush()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		killHookGroup(cmd)
		return fmt.Errorf("%s interrupted: %w", which, context.Cause(ctx))
	case errors.As(err, &exitErr):
		return fmt.Errorf("%s failed: exit status %d", which, exitErr.ExitCode())
	default:
		return fmt.Errorf("%s could not run with %q: %w", which, strings.Join(shell, " "), err)
	}
}

// hookMaxLine bounds one buffered hook output line; the job log keeps 16 KiB
// of it anyway.
const hookMaxLine = 1 << 20
