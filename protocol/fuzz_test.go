package protocol_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// FuzzDecodeEnvelope feeds arbitrary frames to the receiving side of the
// protocol. Whatever arrives, DecodeEnvelope and DecodePayload must not
// panic, and anything they accept must survive being sent again: marshal,
// decode, marshal gives the same bytes. (Bytes, not reflect.DeepEqual: a
// time decoded from "+02:00" gets a fresh *time.Location each time, which
// DeepEqual would call different although the instant and its text are
// the same.)
//
//	go test ./protocol -run '^$' -fuzz FuzzDecodeEnvelope -fuzztime 60s
func FuzzDecodeEnvelope(f *testing.F) {
	golden, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range golden {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var compact bytes.Buffer
		if json.Compact(&compact, b) == nil {
			f.Add(compact.Bytes())
		}
	}
	const ts = `"ts":"2026-11-22T10:00:00Z"`
	for _, hostile := range []string{
		``, `null`, `{}`, `[]`, `"hello"`, `0`, `{"type":null}`,
		`{"type":"hello","id":"x",` + ts + `}`,
		`{"type":"hello","id":"x",` + ts + `,"payload":null}`,
		`{"type":"hello","id":"x",` + ts + `,"payload":[]}`,
		`{"type":"hello","id":"x",` + ts + `,"payload":{"protocol_version":1e400}}`,
		`{"type":"hello","id":"x",` + ts + `,"payload":{"protocol_version":-1,"os":"linux"}}`,
		`{"type":"job.finished","id":"x","seq":1,` + ts + `,"payload":{"job_id":"j","status":"failed","finished_at":"2026-11-22T10:00:00Z","stats":"str"}}`,
		`{"type":"job.finished","id":"x","seq":1,` + ts + `,"payload":{"job_id":"j","status":"failed","finished_at":"2026-11-22T10:00:00+14:00","stats":{ "a" : [ 1 , 2 ] }}}`,
		`{"type":"job.progress","id":"x",` + ts + `,"payload":{"job_id":"j","percent_done":0.1000000000000000055511151231257827}}`,
		`{"type":"log.stream","id":"x","seq":18446744073709551615,` + ts + `,"payload":{"job_id":"j","seq":1,"ts":"0001-01-01T00:00:00-23:59","stream":"stdout","payload":"\u2028<script>\ud800"}}`,
		`{"type":"tree.list","id":"x",` + ts + `,"payload":{"snapshot_id":"4f1c3e6a","path":"/","limit":99999999999999999999}}`,
		`{"TYPE":"ack","ID":"x","Ts":"2026-11-22T10:00:00Z","payload":{"seq":1},"payload":{"seq":2}}`,
		`{"type":"command.run","id":"x",` + ts + `,"payload":{"job_id":"j","kind":"restore","restore":{"snapshot_id":"4f1c3e6a","paths":["/a"],"in_place":true,"target_dir":"/"}}}`,
		`{"type":"schedule.set","id":"x",` + ts + `,"payload":{"version":1,"schedules":[{"id":"a","cron_expr":"@daily","enabled":true,"source_groups":[]}]}}`,
		`{"type":"future.thing","id":"x",` + ts + `,"payload":{"anything":[1,{"deep":true}]}}`,
		"{\"type\":\"heartbeat\",\"id\":\"\xff\xfe\"," + ts + ",\"payload\":{\"sent_at\":\"2026-11-22T10:00:00Z\"}}",
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"type":"heartbeat","id":"x",` + ts + `,"payload":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `}`,
	} {
		f.Add([]byte(hostile))
	}

	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := protocol.DecodeEnvelope(frame)
		if err != nil {
			return
		}
		payload, payloadErr := env.DecodePayload()

		// The envelope, as accepted, goes out and comes back unchanged.
		wire1, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("an accepted envelope does not marshal: %v\nframe: %q", err, frame)
		}
		env2, err := protocol.DecodeEnvelope(wire1)
		if err != nil {
			t.Fatalf("a re-marshalled envelope is refused: %v\nwire: %s", err, wire1)
		}
		wire2, err := json.Marshal(env2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(wire1, wire2) {
			t.Fatalf("envelope not stable:\n1: %s\n2: %s", wire1, wire2)
		}

		if payloadErr != nil {
			return
		}
		// The typed payload, as accepted, goes out in a fresh envelope and
		// decodes to the same bytes again.
		raw1, err := json.Marshal(payload)
		if err != nil {
			t.Fatalf("an accepted %s payload does not marshal: %v", env.Type, err)
		}
		env.Payload = raw1
		wire3, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		env3, err := protocol.DecodeEnvelope(wire3)
		if err != nil {
			t.Fatalf("re-sent envelope refused: %v\nwire: %s", err, wire3)
		}
		payload3, err := env3.DecodePayload()
		if err != nil {
			t.Fatalf("a re-sent %s payload is refused: %v\npayload: %s", env.Type, err, raw1)
		}
		raw3, err := json.Marshal(payload3)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw1, raw3) {
			t.Fatalf("%s payload not stable:\n1: %s\n2: %s", env.Type, raw1, raw3)
		}
	})
}
