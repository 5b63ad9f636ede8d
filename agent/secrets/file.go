package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"restic-manager/internal/atomicfile"
	"sync"
)

// FileName is the file backend's file inside the state directory.
const FileName = "secrets.json"

type fileBackend struct {
	mu   sync.Mutex
	path string
}

// NewFileBackend keeps every key in one JSON file, mode 0600, rewritten
// atomically (temp file, fsync, rename, fsync of the directory) so a crash
// leaves the old or the new file, never half of one.
func NewFileBackend(path string) Backend { return &fileBackend{path: path} }

func (b *fileBackend) Name() string { return "file" }

func (b *fileBackend) load() (map[string]string, error) {
	raw, err := os.ReadFile(b.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(b.path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// Someone loosened it: tighten before reading on.
		if err := os.Chmod(b.path, 0o600); err != nil {
			return nil, fmt.Errorf("%s is readable by others and cannot be tightened: %w", b.path, err)
		}
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s is not a valid secrets file", b.path)
	}
	return m, nil
}

func (b *fileBackend) Get(key string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.load()
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (b *fileBackend) Set(key, value string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.load()
	if err != nil {
		return err
	}
	m[key] = value
	return b.save(m)
}

func (b *fileBackend) Delete(key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.load()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return ErrNotFound
	}
	delete(m, key)
	return b.save(m)
}

func (b *fileBackend) save(m map[string]string) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return atomicfile.Write(b.path, raw, 0o600)
}
