package protocol_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"restic-manager/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current encoder")

const goldenDir = "testdata/golden"

// Each golden file holds one envelope exactly as it goes on the wire,
// indented for review. json.Indent only adds whitespace, so compacting the
// file gives back the wire bytes: the test pins them byte for byte.
func TestGoldenEnvelopes(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			if seen[s.name] {
				t.Fatalf("two samples are named %q", s.name)
			}
			seen[s.name] = true

			wire, err := json.Marshal(s.envelope(t))
			if err != nil {
				t.Fatalf("marshal envelope: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, wire, "", "  "); err != nil {
				t.Fatalf("indent: %v", err)
			}
			pretty.WriteByte('\n')

			path := filepath.Join(goldenDir, s.name+".json")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test ./protocol -run TestGolden -update to create it): %v", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s: the encoder's bytes changed; the wire is a contract.\n got: %s\nwant: %s", path, pretty.Bytes(), want)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil {
				t.Fatalf("%s is not JSON: %v", path, err)
			}
			if !bytes.Equal(compact.Bytes(), wire) {
				t.Errorf("%s compacts to\n%s\nbut the wire bytes are\n%s", path, compact.Bytes(), wire)
			}
		})
	}
}

// No golden file may outlive its sample: a stale file would look like a
// contract nobody checks.
func TestGoldenFilesHaveSamples(t *testing.T) {
	names := map[string]bool{}
	for _, s := range samples() {
		names[s.name+".json"] = true
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s has no sample in samples_test.go; delete it or add the sample", f)
		}
	}
}

// Every type this build registers has a full and a minimal sample, and
// every type of DESIGN.md's table is registered.
func TestSamplesCoverEveryType(t *testing.T) {
	byType := map[string][]string{}
	for _, s := range samples() {
		typ := s.payload.MessageType()
		if !strings.HasPrefix(s.name, typ) {
			t.Errorf("sample %q carries a %s payload; name it after its type", s.name, typ)
		}
		byType[typ] = append(byType[typ], s.name)
	}
	for _, typ := range protocol.RegisteredTypes() {
		names := byType[typ]
		has := map[string]bool{}
		for _, n := range names {
			has[n] = true
		}
		if !has[typ] || !has[typ+".minimal"] {
			t.Errorf("type %s: want samples %q and %q, have %v", typ, typ, typ+".minimal", names)
		}
		if _, ok := designFields[typ]; !ok {
			t.Errorf("type %s is registered but not in DESIGN.md's table (designFields)", typ)
		}
	}
	for typ := range designFields {
		if !protocol.IsKnownType(typ) {
			t.Errorf("DESIGN.md's table has %s but protocol does not register it", typ)
		}
	}
}

// The samples of each type, taken together, use exactly the JSON keys
// DESIGN.md's table names: a missing key means messages.go lacks a field, an
// extra one means a misspelt or invented field.
func TestGoldenKeysMatchDesignTable(t *testing.T) {
	used := map[string]map[string]bool{}
	envKeys := map[string]bool{}
	for _, s := range samples() {
		wire, err := json.Marshal(s.envelope(t))
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(wire, &env); err != nil {
			t.Fatal(err)
		}
		for k := range env {
			envKeys[k] = true
		}
		typ := s.payload.MessageType()
		if used[typ] == nil {
			used[typ] = map[string]bool{}
		}
		var payload any
		if err := json.Unmarshal(env["payload"], &payload); err != nil {
			t.Fatalf("%s: payload: %v", s.name, err)
		}
		collectKeys(payload, "", used[typ])
	}
	compareKeys(t, "envelope", envelopeFields, envKeys)
	for typ, want := range designFields {
		compareKeys(t, typ, want, used[typ])
	}
}

func compareKeys(t *testing.T, what string, want []string, got map[string]bool) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, k := range want {
		wantSet[k] = true
		if !got[k] {
			t.Errorf("%s: DESIGN.md names %q but no sample's JSON carries it", what, k)
		}
	}
	var extra []string
	for k := range got {
		if !wantSet[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		t.Errorf("%s: JSON key %q is not in DESIGN.md's table", what, k)
	}
}

// collectKeys records every object key path under v: "a.b" for nested
// objects, "a[].b" for objects inside lists.
func collectKeys(v any, prefix string, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			into[path] = true
			if prefix == "" && rawObjectFields[k] {
				continue
			}
			collectKeys(child, path, into)
		}
	case []any:
		for _, child := range v {
			collectKeys(child, prefix+"[]", into)
		}
	}
}
