package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

// Settings → Notifications: a bad webhook URL is refused under its field
// with nothing stored; a good one is added and its Send test reaches a
// real server and says so.
func TestNotificationsSettingsAddAWebhookAndSendATest(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	h, st := storeHub(t, hub.Options{}, nil)
	u, app := newTestUI(t, h, Options{})
	v := newNotificationsView(u)
	w := app.NewWindow("notifications")
	w.SetContent(v.object())
	app.WaitFor(t, "the desktop channel listed", func() bool { return uitest.Shows(v.list, "Desktop notifications on this computer") })

	test.Type(v.url, "ftp://example.com/hook")
	test.Tap(v.add)
	if e := v.errs["webhook URL"]; !e.Visible() || !strings.Contains(e.Text, "http://") {
		t.Fatalf("under the URL: visible %v, %q; want the refusal", e.Visible(), e.Text)
	}
	if stored, _ := st.NotifyChannels(); len(stored) != 0 {
		t.Fatalf("a refused channel was stored: %+v", stored)
	}

	uitest.Retype(v.url, srv.URL+"/hook?token=abc")
	test.Tap(v.add)
	app.WaitFor(t, "the webhook listed", func() bool { return uitest.Shows(v.list, "Webhook "+srv.URL+"/hook?…") })
	if v.errs["webhook URL"].Visible() {
		t.Error("the refusal stayed under the URL after a good one was saved")
	}
	if strings.Contains(strings.Join(uitest.Texts(v.list), " "), "abc") {
		t.Error("the list shows the URL's token")
	}
	buttons := sendTestButtons(v)
	if len(buttons) != 1 {
		t.Fatalf("Send test buttons = %d; want the webhook's", len(buttons))
	}
	test.Tap(buttons[0])
	app.WaitFor(t, "the test's result", func() bool { return uitest.Shows(v.list, "Test sent.") })
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"event":"test"`) {
		t.Errorf("webhook got %q; want one test event", bodies)
	}
}

// sendTestButtons are the list's Send test buttons, in order.
func sendTestButtons(v *notificationsView) []*widget.Button {
	var out []*widget.Button
	for _, o := range uitest.Objects(v.list) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Send test" {
			out = append(out, b)
		}
	}
	return out
}
