package restic

import (
	"bytes"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"restic-manager/internal/envflag"
	"restic-manager/protocol"
)

// Repo is everything restic needs to open a repository. URL carries no
// credentials (see SplitURLCredentials); the secrets travel in the other
// fields and reach the child only through its environment.
type Repo struct {
	URL      string
	Password string
	// RESTUsername and RESTPassword are rest-server basic-auth credentials.
	RESTUsername string
	RESTPassword string
}

// LogValue keeps secrets out of structured logs.
func (r Repo) LogValue() slog.Value { return slog.StringValue(protocol.RedactURL(r.URL)) }

// BaseEnviron returns the agent's environment without what a child must
// not inherit (DESIGN.md "Trust rules: Environment"): every RESTIC_*
// variable (one could select another repository, password or cache than
// the agent sets), every RM_* variable (the agent's own flags: its token,
// its enrollment token, the manager's address) and TS_AUTHKEY (the tailnet
// auth key). restic and hooks both start from it: hooks never see the
// repository's secrets nor the agent's, and restic gets only the RESTIC_*
// variables the agent sets itself.
func BaseEnviron() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !isDenied(name) {
			out = append(out, kv)
		}
	}
	return out
}

// isDenied is BaseEnviron's rule. Names are compared without case:
// Windows' environment is case-insensitive.
func isDenied(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "RESTIC_") || strings.HasPrefix(n, envflag.Prefix) || n == "TS_AUTHKEY"
}

// environ builds the child's environment for repo, and for from, the
// source repository of copy and init --copy-chunker-params, when set.
func (r *Restic) environ(repo Repo, from *Repo) []string {
	env := BaseEnviron()
	if from != nil {
		// restic applies RESTIC_REST_USERNAME/PASSWORD to every rest: URL
		// without user info, so with two repositories they would reach
		// both servers: each URL carries its own credentials instead
		// (user info in the URL wins over the variables in every version).
		return append(env,
			"RESTIC_REPOSITORY="+injectURLCredentials(repo.URL, repo.RESTUsername, repo.RESTPassword),
			"RESTIC_PASSWORD="+repo.Password,
			"RESTIC_FROM_REPOSITORY="+injectURLCredentials(from.URL, from.RESTUsername, from.RESTPassword),
			"RESTIC_FROM_PASSWORD="+from.Password)
	}
	repoURL := repo.URL
	if repo.RESTUsername != "" || repo.RESTPassword != "" {
		if r.caps.RESTEnvCredentials {
			env = append(env, "RESTIC_REST_USERNAME="+repo.RESTUsername, "RESTIC_REST_PASSWORD="+repo.RESTPassword)
		} else {
			repoURL = injectURLCredentials(repoURL, repo.RESTUsername, repo.RESTPassword)
		}
	}
	env = append(env, "RESTIC_REPOSITORY="+repoURL, "RESTIC_PASSWORD="+repo.Password)
	return env
}

// injectURLCredentials puts basic-auth credentials into a rest: URL, the
// only way restic before 0.16.1 takes them. Other URLs, and any URL when
// there are no credentials, come back unchanged.
func injectURLCredentials(repo, user, pass string) string {
	if user == "" && pass == "" {
		return repo
	}
	rest, ok := strings.CutPrefix(repo, "rest:")
	if !ok {
		return repo
	}
	u, err := url.Parse(rest)
	if err != nil || u.Host == "" {
		return repo
	}
	u.User = url.UserPassword(user, pass)
	return "rest:" + u.String()
}

// SplitURLCredentials removes basic-auth user info from a rest: repository
// URL and returns it separately, so the URL can be stored and shown while
// the credentials go to the secrets store. Other URLs come back unchanged.
func SplitURLCredentials(repo string) (clean, user, pass string) {
	rest, ok := strings.CutPrefix(repo, "rest:")
	if !ok || !strings.Contains(rest, "@") {
		return repo, "", ""
	}
	u, err := url.Parse(rest)
	if err != nil || u.User == nil {
		return repo, "", ""
	}
	user = u.User.Username()
	pass, _ = u.User.Password()
	u.User = nil
	return "rest:" + u.String(), user, pass
}

// minScrubLen is the shortest secret Scrub replaces wherever it appears.
// Replacing a one- or two-letter password everywhere would garble every
// line; restic never prints the password itself, and the URL form (the real
// risk) is replaced whatever its length.
const minScrubLen = 4

// Scrub replaces every secret of repo that appears in s with "***".
func (r Repo) Scrub(s string) string { return scrubForms(s, r.secretForms()) }

func scrubForms(s string, forms []string) string {
	if s == "" {
		return s
	}
	for _, old := range forms {
		if strings.Contains(s, old) {
			s = strings.ReplaceAll(s, old, "***")
		}
	}
	return s
}

// scrubber removes the secrets of one restic run's repositories from its
// output lines.
type scrubber struct {
	forms []string
	bytes [][]byte
}

func newScrubber(repos ...*Repo) scrubber {
	var s scrubber
	for _, r := range repos {
		if r != nil {
			s.forms = append(s.forms, r.secretForms()...)
		}
	}
	s.bytes = toBytes(s.forms)
	return s
}

// line scrubs a line that usually holds no secret: it allocates only when
// one is found.
func (s scrubber) line(b []byte) []byte {
	for _, f := range s.bytes {
		if bytes.Contains(b, f) {
			return []byte(scrubForms(string(b), s.forms))
		}
	}
	return b
}

func (r Repo) secretForms() []string {
	var forms []string
	add := func(s string) {
		if len(s) >= minScrubLen {
			forms = append(forms, s)
			if e := url.QueryEscape(s); e != s {
				forms = append(forms, e)
			}
			if e := url.PathEscape(s); e != s {
				forms = append(forms, e)
			}
		}
	}
	// The credentials as they appear inside a URL ("user:pass@"), whatever
	// the password's length; first, so the whole user info goes.
	if r.RESTPassword != "" {
		forms = append(forms, url.UserPassword(r.RESTUsername, r.RESTPassword).String())
	}
	add(r.Password)
	add(r.RESTPassword)
	if _, _, pass := SplitURLCredentials(r.URL); pass != "" {
		add(pass)
	}
	return forms
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}
