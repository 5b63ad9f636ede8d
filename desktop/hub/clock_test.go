package hub

import (
	"testing"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// One rule for every age on screen.
func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		t    *time.Time
		want string
	}{
		{nil, "never"},
		{&time.Time{}, "never"},
		{at(20 * time.Second), "just now"},
		{at(-30 * time.Second), "just now"}, // an agent's clock a little ahead
		{at(90 * time.Second), "1 min ago"},
		{at(2*time.Hour + 5*time.Minute), "2 h 5 min ago"},
		{at(76 * time.Hour), "3 d 4 h ago"},
	} {
		if got := Ago(now, tc.t); got != tc.want {
			t.Errorf("Ago(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	st, err := storage.OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(Options{Store: st, Secrets: secrets.NewMemory(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !h.Now().Equal(now) {
		t.Errorf("the hub's clock says %v, its Options.Now %v", h.Now(), now)
	}
}
