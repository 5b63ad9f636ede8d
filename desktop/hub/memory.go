package hub

import "time"

// DefaultReleaseInterval is how often the store's mapped pages are
// released (Options.ReleaseInterval).
const DefaultReleaseInterval = 5 * time.Second

// releaseLoop takes the store's pages out of the process's memory map
// every ReleaseInterval (storage.Store.ReleaseMappedPages): without it the
// manager's resident memory grows with every page ingest writes and reads
// back, and with the whole file once the page check or a sweep has read
// it. What stays mapped is what the last few seconds touched.
func (h *Hub) releaseLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.ReleaseInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		if err := h.store.ReleaseMappedPages(); err != nil {
			h.log.Warn("release the store's mapped pages", "err", err)
		}
	}
}

// releaseUntil releases the mapped pages every period until done closes,
// and once more then: for a job that reads much of the file at once.
func (h *Hub) releaseUntil(done <-chan struct{}, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-done:
			_ = h.store.ReleaseMappedPages()
			return
		case <-t.C:
			_ = h.store.ReleaseMappedPages()
		}
	}
}
