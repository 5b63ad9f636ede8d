package daemon

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
)

// maxTokenFile bounds what a token file may hold: a token is a line.
const maxTokenFile = 4 << 10

// tokenArg is one token the command line gives either as a value (--token,
// --enroll; visible to every local user in the process list) or as a file
// (--token-file, --enroll-file), never both.
type tokenArg struct {
	flag, fileFlag string
	value, file    string
}

// errTokenFileMissing is a token file that does not exist (errors.Is with
// fs.ErrNotExist too).
var errTokenFileMissing = errors.New("token file does not exist")

// read returns the token ("" when neither is given). A file is read whole
// and trimmed of surrounding space; an empty or oversized one is an error.
// A missing file wraps errTokenFileMissing, so the caller can decide
// whether it still needs the token. Errors never quote the file's content.
func (a tokenArg) read() (string, error) {
	switch {
	case a.value != "" && a.file != "":
		return "", fmt.Errorf("give %s or %s, not both", a.flag, a.fileFlag)
	case a.file == "":
		return strings.TrimSpace(a.value), nil
	}
	f, err := os.Open(a.file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s %s: %w", a.fileFlag, a.file, errTokenFileMissing)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", a.fileFlag, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", a.fileFlag, a.file, err)
	}
	if len(raw) > maxTokenFile {
		return "", fmt.Errorf("%s %s: longer than %d bytes; it should hold only the token", a.fileFlag, a.file, maxTokenFile)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", fmt.Errorf("%s %s is empty; it should hold the token", a.fileFlag, a.file)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("%s %s holds more than one line or word; it should hold only the token", a.fileFlag, a.file)
	}
	return tok, nil
}

// looseMode reports a token file that other users may read (Unix only;
// Windows ACLs are not mode bits).
func (a tokenArg) looseMode() bool {
	if a.file == "" || runtime.GOOS == "windows" {
		return false
	}
	fi, err := os.Stat(a.file)
	return err == nil && fi.Mode().Perm()&0o077 != 0
}
