package restic

import (
	"slices"
	"strings"
	"testing"
)

func TestRESTCredentialsGoByEnvironment(t *testing.T) {
	repo := Repo{URL: "rest:https://backup.example:8000/pc1/", Password: "repo-pass-123", RESTUsername: "pc1", RESTPassword: "s3cr3t/with@chars"}

	newer := &Restic{caps: Capabilities{RESTEnvCredentials: true}}
	env := newer.environ(repo)
	for _, want := range []string{"RESTIC_REPOSITORY=rest:https://backup.example:8000/pc1/", "RESTIC_PASSWORD=repo-pass-123", "RESTIC_REST_USERNAME=pc1", "RESTIC_REST_PASSWORD=s3cr3t/with@chars"} {
		if !slices.Contains(env, want) {
			t.Errorf("0.16.1+ environment lacks %s", want)
		}
	}

	old := &Restic{}
	env = old.environ(repo)
	if !slices.Contains(env, "RESTIC_REPOSITORY=rest:https://pc1:s3cr3t%2Fwith%40chars@backup.example:8000/pc1/") {
		t.Errorf("0.14 environment does not carry the credentials in the URL: %v", filter(env, "RESTIC_"))
	}
	if len(filter(env, "RESTIC_REST_")) != 0 {
		t.Error("0.14 got RESTIC_REST_* variables it does not read")
	}
}

func filter(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func TestSplitURLCredentials(t *testing.T) {
	clean, user, pass := SplitURLCredentials("rest:https://pc1:p%40ss@backup.example:8000/pc1/")
	if clean != "rest:https://backup.example:8000/pc1/" || user != "pc1" || pass != "p@ss" {
		t.Errorf("got %q %q %q", clean, user, pass)
	}
	for _, plain := range []string{"/srv/repo", "sftp:user@host:/srv/repo", "rest:https://backup.example/"} {
		if clean, u, p := SplitURLCredentials(plain); clean != plain || u != "" || p != "" {
			t.Errorf("%s changed to %q %q %q", plain, clean, u, p)
		}
	}
}

func TestScrubRemovesEverySecretForm(t *testing.T) {
	repo := Repo{URL: "rest:https://backup.example/", Password: "hunter2-long", RESTUsername: "pc1", RESTPassword: "ab"}
	for in, want := range map[string]string{
		"Fatal: unable to open rest:https://pc1:ab@backup.example/config": "Fatal: unable to open rest:https://***@backup.example/config",
		"password hunter2-long was rejected":                              "password *** was rejected",
		"escaped hunter2-long → hunter2-long":                             "escaped *** → ***",
		"nothing secret here, ab is too short to scrub alone":             "nothing secret here, ab is too short to scrub alone",
	} {
		if got := repo.Scrub(in); got != want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

// restic gets no inherited RESTIC_*, RM_* or TS_AUTHKEY: only what the
// agent sets itself, and the rest of the environment (PATH, HOME).
func TestResticEnvironmentDropsInheritedSecrets(t *testing.T) {
	// Not parallel: it sets the process environment.
	for k, v := range map[string]string{
		"RM_TOKEN": "agent-token-abc", "RM_ENROLL": "enroll-token-def", "rm_token_file": "/etc/x",
		"TS_AUTHKEY": "tskey-auth-ghi", "RESTIC_PASSWORD_COMMAND": "cat /other", "RESTIC_CACHE_DIR": "/tmp/elsewhere",
		"RESTIC_COMPRESSION": "max", "KEEP_ME": "yes",
	} {
		t.Setenv(k, v)
	}
	r := &Restic{cacheDir: "/var/cache/agent"}
	env := r.environ(Repo{URL: "/srv/repo", Password: "pw-1234"})
	var restic []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(strings.ToUpper(name), "RM_"), name == "TS_AUTHKEY":
			t.Errorf("restic inherits %s", kv)
		case strings.HasPrefix(name, "RESTIC_"):
			restic = append(restic, kv)
		}
	}
	slices.Sort(restic)
	// The cache goes as --cache-dir in argv, not RESTIC_CACHE_DIR.
	want := []string{"RESTIC_PASSWORD=pw-1234", "RESTIC_REPOSITORY=/srv/repo"}
	if !slices.Equal(restic, want) {
		t.Errorf("restic's RESTIC_* = %v; want only the agent's own %v", restic, want)
	}
	if !slices.Contains(env, "KEEP_ME=yes") {
		t.Error("an unrelated variable was dropped")
	}
}
