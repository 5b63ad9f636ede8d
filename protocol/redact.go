package protocol

import (
	"net/url"
	"strings"
)

// RedactURL returns a repository URL fit for logs and the UI: any password in
// its user info (rest:https://user:secret@host/) is replaced by "***".
// Strings that are not URLs come back unchanged.
func RedactURL(repo string) string {
	scheme, rest, ok := strings.Cut(repo, ":")
	if !ok || !strings.Contains(rest, "@") {
		return repo
	}
	u, err := url.Parse(rest)
	if err != nil || u.User == nil {
		// Not parseable: cut everything between "//" and "@" to be safe.
		if i, j := strings.Index(rest, "//"), strings.LastIndex(rest, "@"); i >= 0 && j > i {
			return scheme + ":" + rest[:i+2] + "***" + rest[j:]
		}
		return repo
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return scheme + ":" + strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
}
