// Package icons holds Restic Manager's artwork, embedded in the binary: the
// app icon and the status icons the UI shows next to hosts and jobs (online,
// offline, pending, failed, running), as fyne.Resources.
//
// The SVGs are hand-written and are the source; app.png is rendered from
// app.svg by render.go (go generate ./icons). They use fills only, never
// strokes: Fyne's SVG renderer does not scale stroke widths with the icon.
//
// Imported only by desktop/ (the Fyne side); it imports nothing of the
// project.
package icons

//go:generate go run render.go app.svg app.png 512
