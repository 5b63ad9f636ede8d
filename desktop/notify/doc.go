// Package notify tells people what the manager saw: it decides which
// changes of state deserve a message (conditions.go), says them in words
// (message.go), delivers them to webhooks, ntfy topics, e-mail over SMTP
// with STARTTLS, per-host ping URLs and the desktop (one file each), and
// keeps undelivered messages in the store's outbox, retrying them with
// backoff for a day (outbox.go).
//
// The hub owns the service: it gathers the facts, calls Evaluate and
// records the outcome with the queued messages in one transaction, and
// runs the outbox worker beside ingest, never in its way. Imported by
// desktop/hub; imports storage, protocol and desktop/secrets; never Fyne
// (the desktop channel goes through the Desktop interface the window
// implements).
package notify
