package hub

import (
	"errors"
	"strings"
	"testing"
)

func TestDescribeCron(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		// Clock times.
		{"30 2 * * *", "every day at 02:30"},
		{"0 0 * * *", "every day at 00:00"},
		{"@daily", "every day at 00:00"},
		{"@midnight", "every day at 00:00"},
		{"30 2,14 * * *", "every day at 02:30 and 14:30"},
		{"0,30 2 * * *", "every day at 02:00 and 02:30"},
		{"0 8 * * 1", "every Monday at 08:00"},
		{"0 8 * * MON", "every Monday at 08:00"},
		{"0 8 * * 1-5", "every weekday at 08:00"},
		{"0 8 * * 1,3,5", "every Monday, Wednesday and Friday at 08:00"},
		{"0 8 * * 1-3", "every Monday to Wednesday at 08:00"},
		{"0 10 * * 0,6", "every Saturday and Sunday at 10:00"},
		{"0 10 * * 6,0", "every Saturday and Sunday at 10:00"},
		{"0 0 * * 0", "every Sunday at 00:00"},
		{"@weekly", "every Sunday at 00:00"},
		{"0 3 1 * *", "on the 1st of every month at 03:00"},
		{"@monthly", "on the 1st of every month at 00:00"},
		{"0 3 1,15 * *", "on the 1st and 15th of every month at 03:00"},
		{"0 3 2,3,22 * *", "on the 2nd, 3rd and 22nd of every month at 03:00"},
		{"0 3 11,12,13 * *", "on the 11th to 13th of every month at 03:00"},
		{"0 0 1 1 *", "on the 1st of January at 00:00"},
		{"@yearly", "on the 1st of January at 00:00"},
		{"0 0 1 1,7 *", "on the 1st of January and July at 00:00"},
		{"0 0 1 3-10 *", "on the 1st of every month from March to October at 00:00"},
		{"0 6 * 12 *", "every day in December at 06:00"},
		{"0 6 * 3-10 1-5", "every weekday from March to October at 06:00"},
		// Both day fields set: cron fires on either.
		{"0 4 1 * 1", "on the 1st of every month and every Monday at 04:00"},
		// Frequencies.
		{"* * * * *", "every minute"},
		{"*/15 * * * *", "every 15 minutes"},
		{"0/15 * * * *", "every 15 minutes"},
		{"0 * * * *", "every hour on the hour"},
		{"@hourly", "every hour on the hour"},
		{"15 * * * *", "every hour at minute 15"},
		{"0 */6 * * *", "every 6 hours"},
		{"30 */2 * * *", "every 2 hours at minute 30"},
		{"0 9-17 * * 1-5", "every hour from 09:00 to 17:00 on weekdays"},
		{"*/5 9-17 * * *", "every 5 minutes between 09:00 and 17:59"},
		{"* 2 * * *", "every minute between 02:00 and 02:59"},
		{"*/10 * * * 6", "every 10 minutes on Saturday"},
		{"*/15 */2 * * *", "every 15 minutes during every 2nd hour"},
		{"0 */4 1 * *", "every 4 hours on the 1st of every month"},
		{"0 * * 1 *", "every hour on the hour in January"},
		// A step that does not divide the hour is not "every 7 minutes"
		// (it fires at :56 then :00): its minutes are listed.
		{"*/7 * * * *", "every hour at minutes 0, 7, 14, 21, 28, 35, 42, 49 and 56"},
		{"5,20 1-3,7 * * *", "at minutes 5 and 20 of hours 01 to 03 and 07"},
		// @every and zones.
		{"@every 90s", "every 1 min 30 s"},
		{"@every 6h", "every 6 h"},
		{"@every 36h", "every 1 d 12 h"},
		{"@every 1h30m", "every 1 h 30 min"},
		{"CRON_TZ=Europe/Berlin 30 2 * * *", "every day at 02:30 (Europe/Berlin time)"},
		{"TZ=America/New_York 0 */6 * * *", "every 6 hours (America/New_York time)"},
		{"  30 2 * * *  ", "every day at 02:30"},
		// Not cron: no description (ValidateCron says why).
		{"61 * * * *", ""},
		{"every day", ""},
		{"", ""},
		{"@sometimes", ""},
		{"@every 500ms", ""}, // the agents refuse sub-second intervals
		{"0 0 30 2 *", ""},   // never fires
		{"CRON_TZ=Mars/Olympus 0 0 * * *", ""},
	} {
		if got := DescribeCron(c.expr); got != c.want {
			t.Errorf("DescribeCron(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}

func TestValidateRepositoryURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"/srv/restic/alpha", true},
		{"sftp:backup@nas:/srv/restic", true},
		{"rest:https://backup.example:8000/alpha", true},
		{"rest:https://alice@backup.example:8000/alpha", true},
		{"s3:https://s3.example/bucket", true},
		{"rest:https://alice:s3cret@backup.example:8000/alpha", false},
		{"rest:http://:s3cret@backup.example/alpha", false},
		{strings.Repeat("x", MaxPathLen+1), false},
	} {
		err := ValidateRepositoryURL(c.url)
		if (err == nil) != c.ok {
			t.Errorf("ValidateRepositoryURL(%.40q) = %v, want ok=%v", c.url, err, c.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ValidateRepositoryURL(%.40q): %v does not wrap ErrInvalid", c.url, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("ValidateRepositoryURL's message repeats the password: %v", err)
			}
		}
	}
	// The form's rule is the hub's rule.
	if err := ValidateRepositoryURL("rest:https://alice:s3cret@backup.example/alpha"); err == nil || !strings.Contains(err.Error(), "credential") {
		t.Errorf("an embedded password should point to the credential fields, got %v", err)
	}
}

func TestValidateReadDataSubset(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"", true}, {"5%", true}, {"2.5%", true}, {"100%", true}, {"1/10", true}, {"10/10", true},
		{"0%", false}, {"101%", false}, {"11/10", false}, {"x", false}, {"5", false}, {"-1/10", false},
	} {
		err := ValidateReadDataSubset(c.s)
		if (err == nil) != c.ok {
			t.Errorf("ValidateReadDataSubset(%q) = %v, want ok=%v", c.s, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateReadDataSubset(%q): %v does not wrap ErrInvalid", c.s, err)
		}
	}
}
