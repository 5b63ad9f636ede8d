// Package secrets keeps the manager's credentials — repository passwords,
// rest-server usernames and credentials, admin credentials — per host and
// slot in the OS keyring (service "restic-manager") through
// internal/keyringx (go-keyring with a deadline on every call), behind the
// small Store interface so tests can use a real Secret Service or the
// in-memory Memory store.
//
// Values never appear in errors or logs; errors name the host and slot
// only.
//
// Imported by desktop/hub and desktop/main.go. Imports internal/keyringx
// only.
package secrets
