package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"restic-manager/storage"
)

// Defaults of the outbox's retries: 30 s, doubling, at most an hour apart,
// for a day (DESIGN.md), then the message is dropped with a log line.
const (
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultGiveUpAfter = 24 * time.Hour
)

// OutboxStore is the part of the store the worker uses.
type OutboxStore interface {
	Outbox() ([]storage.OutboxEntry, error)
	OutboxDone(seqs ...uint64) error
	OutboxRetry(e storage.OutboxEntry) error
}

// Outbox delivers queued messages in the background. Run it in its own
// goroutine; Wake it when something was queued.
type Outbox struct {
	Store  OutboxStore
	Sender *Sender
	// Channel resolves an entry's channel and its password; ok is false
	// when the channel is gone (its entries are dropped).
	Channel func(id string) (ch Channel, password string, ok bool)
	Log     *slog.Logger
	Now     func() time.Time

	RetryBase, RetryMax, GiveUpAfter time.Duration

	wake chan struct{}
}

// NewOutbox fills the defaults.
func NewOutbox(o Outbox) *Outbox {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Sender == nil {
		o.Sender = &Sender{}
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = DefaultGiveUpAfter
	}
	o.wake = make(chan struct{}, 1)
	return &o
}

// Wake makes the worker look at the outbox now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. The first pass after a start tries every
// entry at once, whatever its backoff said: the restart may be the fix.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-t.C:
		}
		next := o.pass(ctx, first)
		first = false
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		if !next.IsZero() {
			t.Reset(max(next.Sub(o.Now()), 10*time.Millisecond))
		}
	}
}

// pass delivers what is due and returns when the next entry will be
// (zero: none queued). One failure of a channel defers its other
// entries to the next pass, so a dead server costs one timeout a pass.
func (o *Outbox) pass(ctx context.Context, all bool) time.Time {
	entries, err := o.Store.Outbox()
	if err != nil {
		o.Log.Error("notifications: read the outbox", "err", err)
		return o.Now().Add(o.RetryBase)
	}
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	failed := map[string]time.Time{}
	for _, e := range entries {
		if ctx.Err() != nil {
			return time.Time{}
		}
		now := o.Now()
		if t, ok := failed[e.ChannelID]; ok {
			later(t)
			continue
		}
		if !all && e.NextAt.After(now) {
			later(e.NextAt)
			continue
		}
		ch, pw, ok := o.Channel(e.ChannelID)
		var m Message
		if ok {
			var err error
			m, err = Decode(e.Message)
			ok = err == nil
		}
		if !ok {
			o.done(e.Seq)
			continue
		}
		err := o.Sender.Deliver(ctx, ch, m, pw)
		if err == nil {
			o.Log.Info("notification delivered", "channel", e.ChannelID, "type", ch.Type, "event", m.Event, "host", m.HostID, "attempts", e.Attempts+1)
			o.done(e.Seq)
			continue
		}
		if ctx.Err() != nil {
			return time.Time{} // shutting down: the entry stays as it was
		}
		e.Attempts++
		e.LastError = err.Error()
		if now.Sub(e.CreatedAt) >= o.GiveUpAfter || errors.Is(err, ErrUnknownType) {
			o.Log.Warn("notification dropped: not delivered for a day", "channel", e.ChannelID, "type", ch.Type, "event", m.Event, "host", m.HostID, "attempts", e.Attempts, "err", err)
			o.done(e.Seq)
			continue
		}
		e.NextAt = now.Add(o.backoff(e.Attempts))
		o.Log.Warn("notification not delivered; will retry", "channel", e.ChannelID, "type", ch.Type, "event", m.Event, "host", m.HostID, "attempts", e.Attempts, "retry_at", e.NextAt, "err", err)
		if err := o.Store.OutboxRetry(e); err != nil {
			o.Log.Error("notifications: record a retry", "err", err)
		}
		failed[e.ChannelID] = e.NextAt
		later(e.NextAt)
	}
	return next
}

func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.RetryBase
	for i := 1; i < attempts && d < o.RetryMax; i++ {
		d *= 2
	}
	return min(d, o.RetryMax)
}

func (o *Outbox) done(seq uint64) {
	if err := o.Store.OutboxDone(seq); err != nil {
		o.Log.Error("notifications: remove a delivered entry", "err", err)
	}
}
