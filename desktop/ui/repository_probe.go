package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// The repository test (Settings → Test, and the setup flow): the hub
// starts a probe job on the host (restic cat config without a lock,
// beside any running job) and reads it back as the four answers a person
// asks — can the agent reach it, is it initialised, is the password
// right, is it locked. While the host has not answered, the view says
// what it waits for and shows it is busy; it never blocks the window.

// probeAnswer is one of the four answers, as a line.
type probeAnswer struct {
	icon  *widget.Icon
	label *widget.Label
}

func (a probeAnswer) set(question string, ans hub.Answer, good hub.Answer, detail string) {
	text := question + ": "
	switch ans {
	case hub.Yes:
		text += "yes"
	case hub.No:
		text += "no"
	default:
		text += "not known"
	}
	if detail != "" {
		text += " (" + detail + ")"
	}
	a.label.SetText(text)
	switch {
	case ans == hub.Unknown:
		a.icon.SetResource(theme.NewDisabledResource(theme.QuestionIcon()))
		a.label.Importance = widget.LowImportance
	case ans == good:
		a.icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		a.label.Importance = widget.MediumImportance
	default:
		a.icon.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
		a.label.Importance = widget.DangerImportance
	}
	a.label.Refresh()
}

// repoProbeView starts and follows one repository test.
type repoProbeView struct {
	u      *UI
	sc     *scope
	hostID string
	// offerFix: show the cause's Initialise now / Unlock… (Settings); the
	// setup flow has its own next step instead.
	offerFix bool
	// onDone runs once when a test ends, with its answer.
	onDone func(hub.RepoTest)

	follow  *scope
	jobID   string
	result  hub.RepoTest
	summary *widget.Label
	busy    *widget.ProgressBarInfinite
	answers [4]probeAnswer // reachable, initialised, password right, locked
	fixBox  *fyne.Container
	fix     *widget.Button // the fix shown (tests)

	obj fyne.CanvasObject
}

func newRepoProbeView(u *UI, sc *scope, hostID string, offerFix bool) *repoProbeView {
	p := &repoProbeView{u: u, sc: sc, hostID: hostID, offerFix: offerFix,
		summary: widget.NewLabel(""), busy: widget.NewProgressBarInfinite(), fixBox: container.NewHBox()}
	p.summary.Wrapping = fyne.TextWrapWord
	p.summary.Selectable = true
	p.busy.Stop()
	p.busy.Hide()
	rows := container.New(tightVBox{})
	for i := range p.answers {
		p.answers[i] = probeAnswer{icon: widget.NewIcon(nil), label: widget.NewLabel("")}
		rows.Add(container.NewBorder(nil, nil, p.answers[i].icon, nil, p.answers[i].label))
	}
	p.obj = container.NewVBox(p.busy, p.summary, rows, p.fixBox)
	p.obj.Hide()
	return p
}

func (p *repoProbeView) object() fyne.CanvasObject { return p.obj }

// running reports whether a test is under way.
func (p *repoProbeView) running() bool { return p.jobID != "" && !p.result.Done }

// start runs a new test of the saved settings.
func (p *repoProbeView) start() {
	id, err := p.u.hub.TestRepository(p.hostID)
	p.obj.Show()
	if err != nil {
		p.stop()
		p.summary.Importance = widget.DangerImportance
		p.summary.SetText("Cannot test: " + err.Error())
		p.showAnswers(hub.RepoTest{})
		return
	}
	p.watch(id)
}

// watch follows test job id.
func (p *repoProbeView) watch(id string) {
	p.stop()
	p.jobID, p.result = id, hub.RepoTest{}
	p.follow = p.sc.child()
	p.follow.on(func(batch []change) {
		for _, c := range batch {
			if c.Kind == hub.ChangeAll || (c.Kind == hub.ChangeJob && c.JobID == id) ||
				(c.Kind == hub.ChangeHost && c.HostID == p.hostID) {
				p.refresh()
				return
			}
		}
	})
	p.refresh()
}

func (p *repoProbeView) stop() {
	if p.follow != nil {
		p.follow.close()
		p.follow = nil
	}
	p.busy.Stop()
	p.busy.Hide()
}

func (p *repoProbeView) refresh() {
	t, err := p.u.hub.RepositoryTest(p.jobID)
	if err != nil {
		p.stop()
		p.summary.Importance = widget.DangerImportance
		p.summary.SetText("Cannot read the test: " + err.Error())
		return
	}
	p.result = t
	p.summary.SetText(capitalize(t.Summary))
	switch {
	case !t.Done:
		p.summary.Importance = widget.MediumImportance
		if t.Status == hub.JobQueued {
			p.summary.Importance = widget.WarningImportance
		}
		p.busy.Show()
		p.busy.Start()
	case t.Status == hub.JobSucceeded && t.Locked != hub.Yes:
		p.summary.Importance = widget.SuccessImportance
	case t.Status == hub.JobCancelled:
		p.summary.Importance = widget.LowImportance
	default:
		p.summary.Importance = widget.DangerImportance
	}
	p.summary.Refresh()
	p.showAnswers(t)
	p.fix, p.fixBox.Objects = nil, nil
	if p.offerFix && t.Done && (t.Cause.Fix == hub.FixInit || t.Cause.Fix == hub.FixUnlock) {
		p.fix = fixButton(p.u, p.hostID, p.hostName(), t.Cause)
		p.fixBox.Objects = []fyne.CanvasObject{p.fix}
	}
	p.fixBox.Refresh()
	if t.Done {
		p.stop()
		if p.onDone != nil {
			p.onDone(t)
		}
	}
}

func (p *repoProbeView) showAnswers(t hub.RepoTest) {
	locks := ""
	if t.Locks >= 0 && t.Done && t.Status == hub.JobSucceeded {
		locks = plural(t.Locks, "lock")
	}
	p.answers[0].set("Reachable", t.Reachable, hub.Yes, "")
	p.answers[1].set("Initialised", t.Initialised, hub.Yes, "")
	p.answers[2].set("Password right", t.PasswordRight, hub.Yes, "")
	p.answers[3].set("Locked", t.Locked, hub.No, locks)
}

func (p *repoProbeView) hostName() string {
	if d, err := p.u.hub.Host(p.hostID); err == nil {
		return d.Host.DisplayName()
	}
	return p.hostID
}

// probeText is the view's words (tests, the tour's wait).
func (p *repoProbeView) probeText() string {
	s := p.summary.Text
	for _, a := range p.answers {
		s += fmt.Sprintf("\n%s", a.label.Text)
	}
	return s
}
