package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/notify"
)

// notificationsView is Settings → Notifications: the channels with a
// "Send test" each, and a form that adds one. Everything that touches the
// keyring or the network runs off the UI goroutine.
type notificationsView struct {
	u    *UI
	obj  fyne.CanvasObject
	list *fyne.Container

	kind                                   *widget.Select
	url, topic, host, port, user, from, to *widget.Entry
	password                               *widget.Entry
	hostPick                               *widget.Select
	hostIDs                                map[string]string // host name → id, for ping
	errs                                   map[string]*widget.Label
	rows                                   map[string]fyne.CanvasObject // input field name → its form row
	add                                    *widget.Button
	status                                 *widget.Label
	// results holds each channel's last "Send test" outcome by id.
	results map[string]*widget.Label
}

// notificationKinds are the channel types the form adds, as it names them.
var notificationKinds = []string{"Webhook", "ntfy", "E-mail", "Ping URL"}

func kindType(k string) string {
	switch k {
	case "Webhook":
		return notify.TypeWebhook
	case "ntfy":
		return notify.TypeNtfy
	case "E-mail":
		return notify.TypeEmail
	case "Ping URL":
		return notify.TypePing
	}
	return ""
}

func newNotificationsView(u *UI) *notificationsView {
	v := &notificationsView{u: u, list: container.NewVBox(), errs: map[string]*widget.Label{}, rows: map[string]fyne.CanvasObject{},
		results: map[string]*widget.Label{}, hostIDs: map[string]string{}}
	entry := func(ph string) *widget.Entry { e := widget.NewEntry(); e.SetPlaceHolder(ph); return e }
	v.url = entry("https://example.com/hook")
	v.topic = entry("backups")
	v.host = entry("smtp.example.com")
	v.port = entry("587")
	v.port.SetText("587")
	v.user = entry("login (optional)")
	v.password = widget.NewPasswordEntry()
	v.password.SetPlaceHolder("kept in the keyring")
	v.from = entry("backups@example.com")
	v.to = entry("admin@example.com, ops@example.com")
	v.hostPick = widget.NewSelect(nil, nil)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord

	form := container.NewVBox()
	field := func(name, label string, o fyne.CanvasObject) {
		e := widget.NewLabel("")
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		e.Hide()
		v.errs[name] = e
		row := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(label), nil, o), e)
		v.rows[name] = row
		form.Add(row)
	}
	field("webhook URL", "URL", v.url)
	field("ntfy topic", "Topic", v.topic)
	field("host", "Host", v.hostPick)
	field("SMTP server", "SMTP server", v.host)
	field("port", "Port", v.port)
	field("user", "User", v.user)
	field("password", "Password", v.password)
	field("from", "From", v.from)
	field("to", "To", v.to)
	v.kind = widget.NewSelect(notificationKinds, func(string) { v.showFields() })
	v.add = widget.NewButtonWithIcon("Add channel", theme.ContentAddIcon(), v.save)
	v.add.Importance = widget.HighImportance
	v.kind.SetSelected("Webhook")

	intro := widget.NewLabel("Failures, stale or offline hosts and old repository locks are sent once when they start and once when they end. Undelivered messages are retried for 24 hours.")
	intro.Wrapping = fyne.TextWrapWord
	v.obj = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle("Channels", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.list,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Add a channel", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, widget.NewLabel("Type"), nil, v.kind), form,
		container.NewHBox(v.add), v.status, widget.NewSeparator(), intro))
	v.load()
	return v
}

func (v *notificationsView) object() fyne.CanvasObject { return v.obj }

// showFields shows the inputs of the chosen type, and the ntfy server's
// and ping URL's own placeholders.
func (v *notificationsView) showFields() {
	t := kindType(v.kind.Selected)
	want := map[string][]string{
		notify.TypeWebhook: {"webhook URL"},
		notify.TypeNtfy:    {"webhook URL", "ntfy topic"},
		notify.TypeEmail:   {"SMTP server", "port", "user", "password", "from", "to"},
		notify.TypePing:    {"webhook URL", "host"},
	}[t]
	for name, row := range v.rows {
		row.Hide()
		for _, w := range want {
			if w == name {
				row.Show()
			}
		}
	}
	switch t {
	case notify.TypeNtfy:
		v.url.SetPlaceHolder("https://ntfy.sh")
	case notify.TypePing:
		v.url.SetPlaceHolder("https://hc-ping.com/<uuid>")
	default:
		v.url.SetPlaceHolder("https://example.com/hook")
	}
	v.clearErrors()
}

func (v *notificationsView) clearErrors() {
	for _, e := range v.errs {
		e.Hide()
	}
}

// channel is the form as a channel.
func (v *notificationsView) channel() hub.NotifyChannel {
	c := hub.NotifyChannel{Type: kindType(v.kind.Selected), URL: v.url.Text}
	switch c.Type {
	case notify.TypeNtfy:
		c.Topic = v.topic.Text
	case notify.TypePing:
		c.HostID = v.hostIDs[v.hostPick.Selected]
	case notify.TypeEmail:
		c.URL = ""
		c.SMTPHost, c.User, c.From = v.host.Text, v.user.Text, v.from.Text
		c.SMTPPort, _ = strconv.Atoi(strings.TrimSpace(v.port.Text))
		c.To = strings.Split(v.to.Text, ",")
	}
	return c
}

// errField maps a refusal's field to the input it is shown under.
func errField(f string) string {
	switch f {
	case "ntfy server", "ping URL":
		return "webhook URL"
	}
	return f
}

// save checks the form (the hub's rule), then stores the channel and the
// password off the UI goroutine.
func (v *notificationsView) save() {
	v.clearErrors()
	c := v.channel()
	if err := v.u.hub.CheckNotifyChannel(c); err != nil {
		v.refuse(err)
		return
	}
	var pw *string
	if c.Type == notify.TypeEmail && v.password.Text != "" {
		p := v.password.Text
		pw = &p
	}
	v.add.Disable()
	v.status.SetText("Saving…")
	v.u.offUI(func() error { _, err := v.u.hub.PutNotifyChannel(c, pw); return err }, func(err error) {
		v.add.Enable()
		if err != nil {
			v.refuse(err)
			return
		}
		v.status.SetText("Channel added. Use Send test to try it.")
		v.url.SetText("")
		v.password.SetText("")
		v.load()
	})
}

func (v *notificationsView) refuse(err error) {
	var fe *hub.FieldError
	if errors.As(err, &fe) {
		if l, ok := v.errs[errField(fe.Field)]; ok {
			l.SetText(fe.Reason)
			l.Show()
			v.status.SetText("")
			return
		}
	}
	v.status.SetText("Not saved: " + keyringHint(err))
}

// load reads the channels (the keyring says whether a password is set)
// and the hosts, for ping, off the UI goroutine.
func (v *notificationsView) load() {
	var (
		chans []hub.NotifyChannelView
		hosts []hub.HostView
	)
	v.u.offUI(func() error {
		var err error
		if chans, err = v.u.hub.NotifyChannels(); err != nil {
			return err
		}
		hosts, err = v.u.hub.Hosts()
		return err
	}, func(err error) {
		if err != nil {
			v.status.SetText("Could not read the channels: " + keyringHint(err))
			return
		}
		var names []string
		for _, h := range hosts {
			n := h.Host.DisplayName()
			v.hostIDs[n] = h.Host.ID
			names = append(names, n)
		}
		v.hostPick.SetOptions(names)
		v.showChannels(chans)
	})
}

func (v *notificationsView) showChannels(chans []hub.NotifyChannelView) {
	v.list.RemoveAll()
	for _, c := range chans {
		res, ok := v.results[c.ID]
		if !ok {
			res = widget.NewLabel("")
			res.Wrapping = fyne.TextWrapWord
			v.results[c.ID] = res
		}
		buttons := container.NewHBox()
		// The window's own notifier (notify.go) still shows desktop
		// notifications; the hub's desktop channel is not wired to it
		// yet, so there is nothing for a test to go through.
		if c.Type != notify.TypeDesktop {
			test := widget.NewButton("Send test", nil)
			test.OnTapped = func() { v.sendTest(c.ID, test, res) }
			buttons.Add(test)
		}
		if !c.FromCommandLine && c.Type != notify.TypeDesktop {
			buttons.Add(widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.remove(c.ID) }))
		}
		v.list.Add(container.NewVBox(container.NewBorder(nil, nil, nil, buttons, widget.NewLabel(channelText(c))), res))
	}
}

// channelText: "Webhook https://example.com/hook (command line)".
func channelText(c hub.NotifyChannelView) string {
	var s string
	switch c.Type {
	case notify.TypeDesktop:
		s = "Desktop notifications on this computer"
	case notify.TypeWebhook:
		s = "Webhook " + redactQuery(c.URL)
	case notify.TypeNtfy:
		s = "ntfy " + notify.NtfyURL(redactQuery(c.URL), c.Topic)
	case notify.TypeEmail:
		s = "E-mail to " + strings.Join(c.To, ", ") + " via " + c.SMTPHost + ":" + strconv.Itoa(c.SMTPPort)
		if c.User != "" && !c.PasswordSet {
			s += " (no password in the keyring)"
		}
	case notify.TypePing:
		s = "Ping URL " + redactQuery(c.URL)
	default:
		s = c.Type
	}
	if c.Disabled {
		s += " (off)"
	}
	if c.FromCommandLine {
		s += " (command line)"
	}
	return s
}

// redactQuery hides a URL's query: tokens often travel there.
func redactQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}

func (v *notificationsView) sendTest(id string, b *widget.Button, res *widget.Label) {
	b.Disable()
	res.SetText("Sending a test…")
	res.Importance = widget.MediumImportance
	v.u.offUI(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), notify.DefaultTimeout+5*time.Second)
		defer cancel()
		return v.u.hub.TestNotifyChannel(ctx, id)
	}, func(err error) {
		b.Enable()
		if err != nil {
			res.Importance = widget.DangerImportance
			res.SetText("Test failed: " + keyringHint(err))
			return
		}
		res.Importance = widget.SuccessImportance
		res.SetText("Test sent.")
	})
}

func (v *notificationsView) remove(id string) {
	v.u.offUI(func() error { return v.u.hub.DeleteNotifyChannel(id) }, func(err error) {
		if err != nil {
			v.status.SetText("Not removed: " + keyringHint(err))
			return
		}
		v.status.SetText("Channel removed.")
		v.load()
	})
}
