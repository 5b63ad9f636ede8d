// Package pack makes the release's packages from built binaries: .deb
// files through github.com/goreleaser/nfpm/v2 (deb.go; the agent's in
// agent.go, the manager's in manager.go), the Windows agent's .zip
// (zip.go) and SHA256SUMS (sums.go). It builds nothing: scripts/package
// compiles the binaries and keeps Go's build cache warm.
//
// Imported by tools/release's main only.
package pack
