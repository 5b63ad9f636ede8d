package hub

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"restic-manager/desktop/notify"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// NotifyChannel is one place notifications go (desktop/notify says what
// each type reads).
type NotifyChannel = storage.NotifyChannel

// NotifyOptions configure notifications. The zero value is right for the
// window: the desktop channel and whatever Settings → Notifications holds.
type NotifyOptions struct {
	// Channels come from the command line (--notify-webhook, …): not
	// stored, listed read-only.
	Channels []NotifyChannel
	// SMTPPassword is the command line's e-mail password
	// (RM_NOTIFY_SMTP_PASSWORD); empty: the keyring's.
	SMTPPassword string
	Thresholds   notify.Thresholds
	// Recheck is how often conditions that turn on by time passing
	// (stale, offline, locked) are looked at without a change (default 1 min).
	Recheck time.Duration
	// Sender delivers (tests: their certificate for STARTTLS).
	Sender *notify.Sender
	// RetryBase is the outbox's first retry delay (default 30 s).
	RetryBase time.Duration
}

// NotifyChannelView is a channel as Settings → Notifications lists it.
type NotifyChannelView struct {
	NotifyChannel
	// FromCommandLine: given by a flag; shown, not editable.
	FromCommandLine bool
	// PasswordSet: an e-mail channel's password is in the keyring (or
	// the environment).
	PasswordSet bool
}

// DesktopChannelID is the desktop channel's id; it exists (enabled) until
// the admin switches it off.
const DesktopChannelID = "desktop"

// smtpPasswordSlot is where an e-mail channel's password is kept.
func smtpPasswordSlot(channelID string) secrets.Slot {
	return secrets.Slot("notify-smtp-password:" + channelID)
}

// notifier is the hub's notification state.
type notifier struct {
	out     *notify.Outbox
	sender  *notify.Sender
	kick    chan struct{}
	mu      sync.Mutex
	desktop notify.Desktop
	evalMu  sync.Mutex // one evaluation at a time
}

// startNotify starts the evaluator and the outbox worker; both end with
// the hub.
func (h *Hub) startNotify() {
	o := h.opts.Notify
	n := &notifier{kick: make(chan struct{}, 1), sender: o.Sender}
	if n.sender == nil {
		n.sender = &notify.Sender{}
	}
	s := *n.sender
	s.Desktop = n.currentDesktop
	n.sender = &s
	n.out = notify.NewOutbox(notify.Outbox{Store: h.store, Sender: n.sender, Channel: h.channelForDelivery,
		Log: h.log, Now: h.now, RetryBase: o.RetryBase})
	h.notify = n
	changes, unsubscribe := h.broker.subscribe()
	h.wg.Add(2)
	go func() {
		defer h.wg.Done()
		n.out.Run(h.ctx)
	}()
	go func() {
		defer h.wg.Done()
		defer unsubscribe()
		h.notifyLoop(changes)
	}()
}

func (n *notifier) currentDesktop() notify.Desktop {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.desktop
}

// SetDesktopNotifier is called by the window when it opens (nil when it
// closes): desktop notifications go to d from then on.
func (h *Hub) SetDesktopNotifier(d notify.Desktop) {
	h.notify.mu.Lock()
	h.notify.desktop = d
	h.notify.mu.Unlock()
}

// notifyLoop evaluates the conditions after each batch of changes that
// may move them, and every Recheck for those that time moves. It runs
// beside ingest and never holds it up: the broker coalesces changes for a
// slow subscriber instead of blocking the publisher.
func (h *Hub) notifyLoop(changes <-chan Change) {
	every := h.opts.Notify.Recheck
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	h.evaluateNotifications()
	for {
		select {
		case <-h.ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			switch c.Kind {
			case ChangeProgress, ChangeJobLog, ChangeSchedules, ChangeEnrollTokens, ChangeHostEvents, ChangeSnapshots:
				continue
			}
		case <-t.C:
		case <-h.notify.kick:
		}
		h.evaluateNotifications()
	}
}

// evaluateNotifications reads the fleet, compares it with the stored
// conditions and records the changes with their queued messages in one
// transaction; desktop notifications are shown after the commit.
func (h *Hub) evaluateNotifications() {
	n := h.notify
	n.evalMu.Lock()
	defer n.evalMu.Unlock()
	prev, err := h.store.NotifyConditions()
	if err != nil {
		h.log.Error("notifications: read their state", "err", err)
		return
	}
	facts, err := h.notifyFacts()
	if err != nil {
		h.log.Error("notifications: read the fleet", "err", err)
		return
	}
	res := notify.Evaluate(prev, facts, h.opts.Notify.Thresholds)
	if len(res.Set) == 0 && len(res.Drop) == 0 {
		return
	}
	chans, err := h.notifyChannels()
	if err != nil {
		h.log.Error("notifications: read the channels", "err", err)
		return
	}
	var queue []storage.OutboxEntry
	var desktop []notify.Message
	now := h.now()
	for _, m := range res.Messages {
		raw, err := notify.Encode(m)
		if err != nil {
			h.log.Error("notifications: encode a message", "err", err)
			continue
		}
		for _, c := range chans {
			if !notify.Accepts(c.NotifyChannel, m) {
				continue
			}
			if c.Type == notify.TypeDesktop {
				desktop = append(desktop, m)
				continue
			}
			queue = append(queue, storage.OutboxEntry{ChannelID: c.ID, Message: raw, CreatedAt: now, NextAt: now})
		}
	}
	if err := h.store.RecordNotifications(res.Set, res.Drop, queue); err != nil {
		h.log.Error("notifications: record state changes", "err", err)
		return
	}
	for _, m := range res.Messages {
		if m.Event != notify.BackupFinished {
			h.log.Info("notification", "event", m.Event, "host", m.HostID, "job", m.JobID, "queued", len(queue))
		}
	}
	if len(queue) > 0 {
		n.out.Wake()
	}
	if d := n.currentDesktop(); d != nil {
		for _, m := range desktop {
			d.Notify(m.Title(), m.Body())
		}
	}
}

// notifyFacts gathers what the conditions are about: approved hosts, their
// health, latest check, lock and connection.
func (h *Hub) notifyFacts() (notify.Facts, error) {
	f := notify.Facts{Now: h.now()}
	sums, err := h.store.HostSummaries()
	if err != nil {
		return f, err
	}
	for _, s := range sums {
		if s.Host.Status != storage.HostApproved {
			continue
		}
		hf := notify.HostFacts{ID: s.Host.ID, Name: s.Host.DisplayName(), Online: h.liveConn(s.Host.ID) != nil,
			LastSeen: s.Host.LastSeen, FirstSeen: s.Host.FirstSeen, LastBackupAt: s.LastBackupAt, Groups: s.Groups}
		if st, err := h.store.RepoStats(s.Host.ID); err == nil && st.LockPresent != nil {
			hf.LockPresent = *st.LockPresent
		}
		page, err := h.store.JobsPage(s.Host.ID, "", 50)
		if err != nil {
			return f, err
		}
		for _, j := range page.Jobs {
			if j.Kind == protocol.KindCheck && j.FinishedAt != nil {
				hf.LastCheck = &notify.JobFact{ID: j.ID, Status: j.Status, Error: j.Error, FinishedAt: *j.FinishedAt}
				break
			}
		}
		f.Hosts = append(f.Hosts, hf)
	}
	return f, nil
}

// notifyChannels is every channel: the desktop's (on unless switched
// off), the stored ones, then the command line's.
func (h *Hub) notifyChannels() ([]NotifyChannelView, error) {
	stored, err := h.store.NotifyChannels()
	if err != nil {
		return nil, err
	}
	out := []NotifyChannelView{{NotifyChannel: NotifyChannel{ID: DesktopChannelID, Type: notify.TypeDesktop}}}
	for _, c := range stored {
		v := NotifyChannelView{NotifyChannel: c}
		if c.ID == DesktopChannelID {
			out[0] = v
			continue
		}
		out = append(out, v)
	}
	for _, c := range h.opts.Notify.Channels {
		out = append(out, NotifyChannelView{NotifyChannel: c, FromCommandLine: true})
	}
	return out, nil
}

// channelForDelivery resolves an outbox entry's channel and password.
func (h *Hub) channelForDelivery(id string) (notify.Channel, string, bool) {
	chans, err := h.notifyChannels()
	if err != nil {
		h.log.Error("notifications: read the channels", "err", err)
		return notify.Channel{}, "", false
	}
	for _, c := range chans {
		if c.ID == id {
			return c.NotifyChannel, h.smtpPassword(c), true
		}
	}
	return notify.Channel{}, "", false
}

// smtpPassword is an e-mail channel's password: the environment's for the
// command line's channel, else the keyring's; empty when none.
func (h *Hub) smtpPassword(c NotifyChannelView) string {
	if c.Type != notify.TypeEmail {
		return ""
	}
	if c.FromCommandLine && h.opts.Notify.SMTPPassword != "" {
		return h.opts.Notify.SMTPPassword
	}
	pw, err := h.secrets.Get(secrets.ManagerID, smtpPasswordSlot(c.ID))
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		h.log.Warn("notifications: read the mail password from the keyring", "channel", c.ID, "err", err)
	}
	return pw
}

// NotifyChannels lists every channel for Settings → Notifications. It
// reads the keyring (PasswordSet): call it off the UI goroutine.
func (h *Hub) NotifyChannels() ([]NotifyChannelView, error) {
	chans, err := h.notifyChannels()
	for i := range chans {
		chans[i].PasswordSet = h.smtpPassword(chans[i]) != ""
	}
	return chans, err
}

// PutNotifyChannel adds (empty ID) or replaces a channel and returns it
// as stored. password, when not nil, replaces an e-mail channel's
// password in the keyring (empty removes it); it never reaches the store
// or an error. Refusals are *FieldError and write nothing.
func (h *Hub) PutNotifyChannel(c NotifyChannel, password *string) (NotifyChannel, error) {
	c = trimChannel(c)
	if err := h.CheckNotifyChannel(c); err != nil {
		return NotifyChannel{}, err
	}
	if strings.HasPrefix(c.ID, "cli-") {
		return NotifyChannel{}, invalidField("channel", "it was given on the command line; change the flag instead")
	}
	if c.ID == "" {
		c.ID = protocol.NewID()
	}
	if c.Type == notify.TypeDesktop {
		c.ID = DesktopChannelID
	}
	if c.Type == notify.TypeEmail && password != nil {
		if err := h.secrets.Set(secrets.ManagerID, smtpPasswordSlot(c.ID), *password); err != nil {
			return NotifyChannel{}, fmt.Errorf("keep the mail password in the keyring: %w", err)
		}
	}
	if err := h.store.PutNotifyChannel(c); err != nil {
		return NotifyChannel{}, err
	}
	h.log.Info("notification channel saved", "channel", c.ID, "type", c.Type)
	return c, nil
}

// DeleteNotifyChannel removes a stored channel, its queued messages and
// its password.
func (h *Hub) DeleteNotifyChannel(id string) error {
	if strings.HasPrefix(id, "cli-") {
		return invalidField("channel", "it was given on the command line; remove the flag instead")
	}
	if err := h.store.DeleteNotifyChannel(id); err != nil {
		return err
	}
	if err := h.secrets.Delete(secrets.ManagerID, smtpPasswordSlot(id)); err != nil {
		h.log.Warn("notifications: remove the mail password from the keyring", "channel", id, "err", err)
	}
	return nil
}

// TestNotifyChannel sends a test message to a channel now, past the
// outbox, and returns what happened. It waits on the network: never call
// it on the UI goroutine.
func (h *Hub) TestNotifyChannel(ctx context.Context, id string) error {
	chans, err := h.notifyChannels()
	if err != nil {
		return err
	}
	for _, c := range chans {
		if c.ID != id {
			continue
		}
		m := notify.Message{Event: notify.Test, At: h.now(), Detail: "A test from Restic Manager: this channel works."}
		if c.Type == notify.TypePing {
			if host, err := h.store.Host(c.HostID); err == nil {
				m.Host, m.HostID = host.DisplayName(), host.ID
			}
		}
		err := h.notify.sender.Deliver(ctx, c.NotifyChannel, m, h.smtpPassword(c))
		h.log.Info("notification test", "channel", id, "type", c.Type, "ok", err == nil, "err", err)
		return err
	}
	return fmt.Errorf("notification channel %s: %w", id, ErrNotFound)
}

var ntfyTopic = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func trimChannel(c NotifyChannel) NotifyChannel {
	c.URL, c.Topic, c.SMTPHost = strings.TrimSpace(c.URL), strings.TrimSpace(c.Topic), strings.TrimSpace(c.SMTPHost)
	c.User, c.From, c.Name = strings.TrimSpace(c.User), strings.TrimSpace(c.From), strings.TrimSpace(c.Name)
	var to []string
	for _, t := range c.To {
		if t = strings.TrimSpace(t); t != "" {
			to = append(to, t)
		}
	}
	c.To = to
	return c
}

// CheckNotifyChannel is the rule Settings → Notifications checks as the
// admin types; its refusals are *FieldError naming the input. It never
// quotes a URL (a webhook's may carry a token).
func (h *Hub) CheckNotifyChannel(c NotifyChannel) error {
	httpURL := func(field, s string) error {
		u, err := url.Parse(s)
		switch {
		case s == "":
			return invalidField(field, "required")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
			return invalidField(field, "must start with http:// or https://")
		case u.Host == "":
			return invalidField(field, "has no server name")
		}
		return nil
	}
	switch c.Type {
	case notify.TypeDesktop:
		return nil
	case notify.TypeWebhook:
		return httpURL("webhook URL", c.URL)
	case notify.TypeNtfy:
		if err := httpURL("ntfy server", c.URL); err != nil {
			return err
		}
		if !ntfyTopic.MatchString(c.Topic) {
			return invalidField("ntfy topic", "1 to 64 letters, digits, - or _")
		}
		return nil
	case notify.TypePing:
		if err := httpURL("ping URL", c.URL); err != nil {
			return err
		}
		if _, err := h.store.Host(c.HostID); err != nil {
			return invalidField("host", "choose the host whose backups this URL hears about")
		}
		return nil
	case notify.TypeEmail:
		if c.SMTPHost == "" || strings.ContainsAny(c.SMTPHost, " /:@") {
			return invalidField("SMTP server", "a host name such as smtp.example.com")
		}
		if c.SMTPPort < 1 || c.SMTPPort > 65535 {
			return invalidField("port", "a number from 1 to 65535 (587 for STARTTLS)")
		}
		if !notify.IsAddress(c.From) {
			return invalidField("from", "an e-mail address such as backups@example.com")
		}
		if len(c.To) == 0 || slices.ContainsFunc(c.To, func(a string) bool { return !notify.IsAddress(a) }) {
			return invalidField("to", "one or more e-mail addresses, separated by commas")
		}
		return nil
	}
	return invalidField("type", "one of desktop, webhook, ntfy, email, ping")
}
