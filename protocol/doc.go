// Package protocol is the wire contract between restic-manager and
// restic-agent: the envelope, every message type and its payload, job kinds
// and statuses, the protocol version, the limits both ends enforce, and the
// validation applied to every payload that arrives from the network.
//
// The JSON field names here are a contract that programs outside this
// repository test against; golden tests in this package pin them. Do not
// rename a field.
//
// Standard library only. Anything may import this package; it imports
// nothing of the project.
package protocol
