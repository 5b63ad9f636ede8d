package hub

// What the window's dashboard needs beyond the host list (desktop/ui's
// mainwindow.go).

// ActiveJobs lists a host's queued and running jobs, oldest first. It
// reads the store's index of unfinished jobs, never the job history, so
// the dashboard can show every running job however long the history is.
func (h *Hub) ActiveJobs(hostID string) ([]Job, error) { return h.store.ActiveJobs(hostID) }
