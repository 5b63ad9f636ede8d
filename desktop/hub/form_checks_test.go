package hub

import (
	"errors"
	"strings"
	"testing"

	"restic-manager/internal/cronspec"
)

// Each form check refuses with a *FieldError that names the input, gives
// the reason alone (what the line under the input shows), and still
// matches ErrInvalid.
func TestFormChecksRefuseWithFieldErrors(t *testing.T) {
	for _, c := range []struct {
		name         string
		err          error
		field, words string
	}{
		{"password in the URL", ValidateRepositoryURL("rest:https://u:s3cret@backup.example/"), "repository URL", "contains a password"},
		{"URL too long", ValidateRepositoryURL("/" + strings.Repeat("x", MaxPathLen)), "repository URL", "longer than"},
		{"read-data subset", ValidateReadDataSubset("101%"), "read-data subset", "101%"},
		{"cron field", ValidateCron("61 * * * *"), `cron "61 * * * *"`, `minute field "61"`},
		{"empty cron", ValidateCron(""), `cron ""`, "is empty"},
		{"relative restore folder", ValidateRestoreTarget("linux", "restore"), "restore folder", "must be an absolute path"},
	} {
		var fe *FieldError
		if !errors.As(c.err, &fe) || !errors.Is(c.err, ErrInvalid) {
			t.Errorf("%s: %v (%T); want a *FieldError matching ErrInvalid", c.name, c.err, c.err)
			continue
		}
		if fe.Field != c.field || !strings.Contains(fe.Reason, c.words) || strings.Contains(fe.Reason, ErrInvalid.Error()+":") {
			t.Errorf("%s: field %q, reason %q; want field %q and a reason saying %q", c.name, fe.Field, fe.Reason, c.field, c.words)
		}
		if strings.HasPrefix(fe.Field, "cron") && !errors.Is(c.err, cronspec.ErrInvalid) {
			t.Errorf("%s: %v does not wrap cronspec.ErrInvalid, the agents' own refusal", c.name, c.err)
		}
		if want := fe.Field + ": " + ErrInvalid.Error() + ": " + fe.Reason; c.err.Error() != want {
			t.Errorf("%s: message %q; want %q", c.name, c.err.Error(), want)
		}
	}
}

// SetRepository refuses a URL with a password with the very refusal the
// settings form shows as the admin types, and keeps the stored URL.
func TestSetRepositoryRefusesWhatTheFormRefuses(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	_, hostID, _ := enrollAgent(t, th, "repo-form", th.enrollToken(t, 1))
	good := "rest:https://backup.example/pc1"
	if err := th.SetRepository(hostID, RepositoryUpdate{URL: &good}); err != nil {
		t.Fatal(err)
	}
	bad := "  rest:https://alice:" + strings.Repeat("s3cret", 100) + "@backup.example/pc1  "
	err := th.SetRepository(hostID, RepositoryUpdate{URL: &bad})
	var got, form *FieldError
	if !errors.As(err, &got) || !errors.As(ValidateRepositoryURL(bad), &form) || *got != *form {
		t.Fatalf("SetRepository = %v; want the form's own refusal %v", err, ValidateRepositoryURL(bad))
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the refusal quotes the password: %v", err)
	}
	if rs, _ := th.Repository(hostID); rs.URL != good {
		t.Errorf("stored URL %q after the refusal; want %q untouched", rs.URL, good)
	}
}
