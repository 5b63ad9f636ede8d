package icons

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

var (
	//go:embed app.png
	appPNG []byte
	//go:embed app.svg
	appSVG []byte
	//go:embed online.svg
	onlineSVG []byte
	//go:embed offline.svg
	offlineSVG []byte
	//go:embed pending.svg
	pendingSVG []byte
	//go:embed failed.svg
	failedSVG []byte
	//go:embed running.svg
	runningSVG []byte
)

// App is the application icon as a 512 px PNG, for fyne.App.SetIcon, the
// window and the tray.
var App fyne.Resource = &fyne.StaticResource{StaticName: "app.png", StaticContent: appPNG}

// AppSVG is the same icon as SVG, for places that scale it.
var AppSVG fyne.Resource = &fyne.StaticResource{StaticName: "app.svg", StaticContent: appSVG}

// Status icons, 24×24 SVGs in fixed colours (not theme-tinted, so the
// colour keeps its meaning in light and dark themes).
var (
	// Online: a green dot — the host's agent is connected.
	Online fyne.Resource = &fyne.StaticResource{StaticName: "online.svg", StaticContent: onlineSVG}
	// Offline: a hollow grey ring — no heartbeat for 90 s.
	Offline fyne.Resource = &fyne.StaticResource{StaticName: "offline.svg", StaticContent: offlineSVG}
	// Pending: an amber clock — a host awaiting approval, or a queued job.
	Pending fyne.Resource = &fyne.StaticResource{StaticName: "pending.svg", StaticContent: pendingSVG}
	// Failed: a red cross — a failed job, or a host whose last backup failed.
	Failed fyne.Resource = &fyne.StaticResource{StaticName: "failed.svg", StaticContent: failedSVG}
	// Running: a blue play mark — a job in progress.
	Running fyne.Resource = &fyne.StaticResource{StaticName: "running.svg", StaticContent: runningSVG}
)

// Status is every status icon, by the name used in its file.
var Status = map[string]fyne.Resource{
	"online":  Online,
	"offline": Offline,
	"pending": Pending,
	"failed":  Failed,
	"running": Running,
}
