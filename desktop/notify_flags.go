package main

import (
	"flag"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/notify"
)

// smtpPasswordEnv holds the password of --notify-smtp's login when the
// keyring does not (headless boxes without a Secret Service).
const smtpPasswordEnv = "RM_NOTIFY_SMTP_PASSWORD"

// channelFlag is a repeatable flag that makes one notification channel
// per value.
// A bad value is kept in *bad rather than returned: the flag package
// (and envflag) would quote the value in the error, and an smtp:// URL may
// carry a password.
type channelFlag struct {
	dst  *[]hub.NotifyChannel
	bad  *error
	make func(string) (notify.Channel, error)
}

func (f *channelFlag) String() string { return "" }

func (f *channelFlag) Set(v string) error {
	c, err := f.make(v)
	if err != nil {
		if *f.bad == nil {
			*f.bad = err
		}
		return nil
	}
	*f.dst = append(*f.dst, c)
	return nil
}

// addNotifyFlags adds --notify-webhook (repeatable), --notify-ntfy and
// --notify-smtp. The channels they make are used beside those of
// Settings → Notifications and are listed there read-only.
func addNotifyFlags(fs *flag.FlagSet, c *config) {
	fs.Var(&channelFlag{dst: &c.Notify, bad: &c.notifyErr, make: notify.WebhookFlag}, "notify-webhook",
		"POST each notification as JSON to this URL (repeatable)")
	fs.Var(&channelFlag{dst: &c.Notify, bad: &c.notifyErr, make: notify.NtfyFlag}, "notify-ntfy",
		"publish notifications to this ntfy topic URL (server and topic, as https://ntfy.sh/backups)")
	fs.Var(&channelFlag{dst: &c.Notify, bad: &c.notifyErr, make: notify.SMTPFlag}, "notify-smtp",
		"e-mail notifications over SMTP with STARTTLS: smtp://user@host:587/?from=…&to=… (password from the keyring entry manager/notify-smtp-password:"+
			notify.SMTPFlagID+" or "+smtpPasswordEnv+", never in the URL)")
}
