package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"restic-manager/internal/atomicfile"
	"restic-manager/protocol"
)

// agentIDFile keeps the agent's id beside its token, outside the journal.
// The manager binds a host's token to the agent_id it enrolled with, so
// the id must outlive a damaged journal that is moved aside and replaced:
// a new journal makes a new id, and the host's own token would then be
// refused as someone else's.
const agentIDFile = "agent-id"

// agentID returns the id kept in the state directory, adopting the
// journal's when there is none yet (an agent from before the file, or a
// first start). A file that cannot be written costs nothing today (the
// journal's id is used) and is tried again at the next start.
func agentID(state, journalID string, log *slog.Logger) (string, error) {
	p := filepath.Join(state, agentIDFile)
	b, err := os.ReadFile(p)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if id == "" || len(id) > protocol.MaxIDLen {
			return "", fmt.Errorf("%s holds no valid agent id: remove it to let the agent adopt its journal's (the host may then need enrolling again)", p)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read agent id: %w", err)
	}
	if err := atomicfile.Write(p, []byte(journalID+"\n"), 0o600); err != nil {
		log.Warn("cannot keep the agent id beside the journal yet; using the journal's", "path", p, "err", err)
	}
	return journalID, nil
}
