// Package secrets keeps restic-agent's credentials: the repository slots
// `repo` (everyday) and `admin` (loaded only for jobs that require admin
// credentials, e.g. prune on an append-only rest-server), and the `agent`
// slot holding the agent's token for the manager. They live in the OS
// keyring when one answers (github.com/zalando/go-keyring), else in a 0600
// file in the agent's state directory. The choice is recorded in the state
// directory, so a keyring that stops answering later is an error, never a
// silent switch to an empty file.
//
// Secrets never reach bbolt, logs, argv or error text: Credentials logs only
// which fields are set.
//
// Imported by the agent's wiring, agent/runner and the link. It imports
// protocol and agent/restic (for repository-URL credential handling).
package secrets
