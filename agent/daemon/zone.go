package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// localZone is the IANA name of the machine's zone for hello.timezone: TZ
// when set, else what /etc/localtime links to, else /etc/timezone. Where
// no name can be found (Windows keeps its own zone names), it is the
// current UTC offset as an Etc/GMT zone, which is right until the next DST
// change; "UTC" when the offset is not whole hours.
func localZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && validZone(tz) {
		return tz
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 && validZone(target[i+len("zoneinfo/"):]) {
			return target[i+len("zoneinfo/"):]
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if tz := strings.TrimSpace(string(b)); validZone(tz) {
			return tz
		}
	}
	_, offset := time.Now().Zone()
	if offset == 0 || offset%3600 != 0 {
		return "UTC"
	}
	// Etc/GMT zones have inverted signs: UTC+2 is Etc/GMT-2.
	return fmt.Sprintf("Etc/GMT%+d", -offset/3600)
}

func validZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}
