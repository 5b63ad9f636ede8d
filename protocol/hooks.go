package protocol

import (
	"errors"
	"strconv"
)

// ErrHooksDisabled is the agent's refusal of a job or schedule set that
// carries a hook when it was started with --no-hooks (DESIGN.md "Trust
// rules": hooks run as the agent's user, usually root or SYSTEM, and a host
// may refuse to run the manager's commands at all).
var ErrHooksDisabled = errors.New("hooks are disabled on this host")

// HookField names the first hook the job carries (pre_hook, post_hook),
// "" for none.
func (p *CommandRun) HookField() string {
	switch {
	case p.PreHook != "":
		return "pre_hook"
	case p.PostHook != "":
		return "post_hook"
	}
	return ""
}

// HookField names the first hook the set carries
// ("schedules[0].source_groups[1].pre_hook"), "" for none.
func (p *ScheduleSet) HookField() string {
	for i, s := range p.Schedules {
		for j, g := range s.SourceGroups {
			f := "schedules[" + strconv.Itoa(i) + "].source_groups[" + strconv.Itoa(j) + "]."
			switch {
			case g.PreHook != "":
				return f + "pre_hook"
			case g.PostHook != "":
				return f + "post_hook"
			}
		}
	}
	return ""
}
