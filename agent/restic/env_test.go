package restic

import (
	"slices"
	"strings"
	"testing"
)

func TestRESTCredentialsGoByEnvironment(t *testing.T) {
	repo := Repo{URL: "rest:https://backup.example:8000/pc1/", Password: "repo-pass-123", RESTUsername: "pc1", RESTPassword: "s3cr3t/with@chars"}

	newer := &Restic{caps: Capabilities{RESTEnvCredentials: true}}
	env := newer.environ(repo, nil)
	for _, want := range []string{"RESTIC_REPOSITORY=rest:https://backup.example:8000/pc1/", "RESTIC_PASSWORD=repo-pass-123", "RESTIC_REST_USERNAME=pc1", "RESTIC_REST_PASSWORD=s3cr3t/with@chars"} {
		if !slices.Contains(env, want) {
			t.Errorf("0.16.1+ environment lacks %s", want)
		}
	}

	old := &Restic{}
	env = old.environ(repo, nil)
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
	env := r.environ(Repo{URL: "/srv/repo", Password: "pw-1234"}, nil)
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

// With a second repository (copy), restic reads RESTIC_REST_* for both
// URLs: the variables would hand one server's credentials to the other.
// Each URL carries its own, on every version; passwords stay in the
// environment.
func TestTwoRepositoriesEachCarryTheirOwnCredentials(t *testing.T) {
	dst := Repo{URL: "rest:https://offsite.example:8000/pc1/", Password: "copy-pass-456", RESTUsername: "pc1", RESTPassword: "offsite-secret"}
	src := Repo{URL: "rest:https://nas.example:8000/pc1/", Password: "repo-pass-123", RESTUsername: "pc1-nas", RESTPassword: "nas-secret"}
	for _, r := range []*Restic{{}, {caps: Capabilities{RESTEnvCredentials: true}}} {
		env := r.environ(dst, &src)
		for _, want := range []string{
			"RESTIC_REPOSITORY=rest:https://pc1:offsite-secret@offsite.example:8000/pc1/", "RESTIC_PASSWORD=copy-pass-456",
			"RESTIC_FROM_REPOSITORY=rest:https://pc1-nas:nas-secret@nas.example:8000/pc1/", "RESTIC_FROM_PASSWORD=repo-pass-123",
		} {
			if !slices.Contains(env, want) {
				t.Errorf("environment (env credentials %t) lacks %s: %v", r.caps.RESTEnvCredentials, want, filter(env, "RESTIC_"))
			}
		}
		if got := filter(env, "RESTIC_REST_"); len(got) != 0 {
			t.Errorf("two repositories got RESTIC_REST_* variables, which restic would apply to both: %v", got)
		}
	}
	// A local copy target beside a REST primary: the local URL stays as
	// it is, the REST one carries its credentials.
	env := (&Restic{caps: Capabilities{RESTEnvCredentials: true}}).environ(Repo{URL: "/mnt/offsite", Password: "p"}, &src)
	if !slices.Contains(env, "RESTIC_REPOSITORY=/mnt/offsite") {
		t.Errorf("local copy target changed: %v", filter(env, "RESTIC_"))
	}
}

// An inherited RESTIC_FROM_* would pick another source repository or
// password for copy than the manager configured.
func TestInheritedFromVariablesAreDropped(t *testing.T) {
	for _, name := range []string{"RESTIC_FROM_REPOSITORY", "RESTIC_FROM_PASSWORD_FILE", "RESTIC_FROM_PASSWORD_COMMAND", "restic_from_password"} {
		t.Setenv(name, "/tmp/evil")
	}
	if got := filter(BaseEnviron(), "RESTIC_FROM_"); len(got) != 0 {
		t.Errorf("BaseEnviron keeps %v", got)
	}
	for _, kv := range BaseEnviron() {
		if strings.HasPrefix(strings.ToUpper(kv), "RESTIC_FROM_") {
			t.Errorf("BaseEnviron keeps %s", kv)
		}
	}
}
