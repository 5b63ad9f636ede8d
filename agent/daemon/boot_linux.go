package daemon

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// bootTime reads the kernel's boot time (btime in /proc/stat); nil when
// unknown.
func bootTime() *time.Time {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
				t := time.Unix(s, 0).UTC()
				return &t
			}
		}
	}
	return nil
}
