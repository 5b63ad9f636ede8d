package ui

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// defaultAgentVersion names the agent release in the install commands' file
// names (README.md's restic-agent_<version>_<os>_<arch>).
const defaultAgentVersion = "0.1.0"

// agentRelease is the agent release to install: the manager's own version
// (a development build names the release it is heading for), else
// defaultAgentVersion.
func (u *UI) agentRelease() string {
	if v := strings.TrimSuffix(u.opts.Version, "-dev"); v != "" {
		return v
	}
	return defaultAgentVersion
}

// Bounds of a new enrollment token.
const (
	maxTokenUses = 1000
	minTokenTTL  = time.Minute
	maxTokenTTL  = 90 * 24 * time.Hour
)

// parseTokenUses reads the "hosts it may enroll" field.
func parseTokenUses(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("a whole number of hosts, e.g. 1")
	}
	if n < 1 || n > maxTokenUses {
		return 0, fmt.Errorf("between 1 and %d hosts", maxTokenUses)
	}
	return n, nil
}

// parseTokenTTL reads the "valid for" field: "24h", "90m", "7d", "1d12h",
// or a bare number of hours.
func parseTokenTTL(s string) (time.Duration, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	bad := errors.New("a duration such as 24h, 90m or 7d")
	if s == "" {
		return 0, bad
	}
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Hour
	} else {
		if i := strings.IndexByte(s, 'd'); i >= 0 {
			days, err := strconv.Atoi(s[:i])
			if err != nil {
				return 0, bad
			}
			d = time.Duration(days) * 24 * time.Hour
			s = s[i+1:]
		}
		if s != "" {
			rest, err := time.ParseDuration(s)
			if err != nil {
				return 0, bad
			}
			d += rest
		}
	}
	if d < minTokenTTL || d > maxTokenTTL {
		return 0, errors.New("between 1 minute and 90 days")
	}
	return d, nil
}

// thisMachine is this machine's name as other hosts may know it.
func thisMachine() string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return "this-machine"
	}
	return name
}

// addHostDialog is the "Add host" dialog: make a token, then show it once
// with the install commands.
type addHostDialog struct {
	u   *UI
	sc  *scope
	dlg *dialog.CustomDialog

	page *fyne.Container // the create page, then the commands page

	// Create page.
	uses, ttl *widget.Entry
	create    *widget.Button
	createErr *widget.Label
	tokens    *fyne.Container
	revoke    map[string]*widget.Button // by token id

	// Commands page.
	issued                           hub.IssuedEnrollToken
	token, pin                       *widget.Label
	manager                          *widget.SelectEntry
	managerNote                      *widget.Label
	arch                             *widget.RadioGroup
	linux, linuxRun, windows         *widget.Label
	copyToken, copyLinux, copyWindow *widget.Button
	copyLinuxRun                     *widget.Button
	wait                             *enrollWait // add_host_wait.go
}

// newAddHostDialog opens the "Add host" dialog.
func newAddHostDialog(u *UI) *addHostDialog {
	a := &addHostDialog{u: u, sc: u.newScope(), revoke: map[string]*widget.Button{}}
	a.page = container.NewStack(a.createPage())
	a.dlg = dialog.NewCustom("Add host", "Close", a.page, u.win)
	a.dlg.SetOnClosed(a.sc.close)
	a.dlg.Resize(fyne.NewSize(780, 600))
	a.sc.on(func(batch []change) {
		tokens, enrolled := false, false
		for _, c := range batch {
			tokens = tokens || c.Kind == hub.ChangeEnrollTokens || c.Kind == hub.ChangeAll
			enrolled = enrolled || (a.wait != nil && a.wait.concerns(c))
		}
		if tokens {
			a.loadTokens()
		}
		if enrolled {
			a.wait.refresh()
		}
	})
	a.dlg.Show()
	return a
}

func (a *addHostDialog) createPage() fyne.CanvasObject {
	intro := widget.NewLabel("An enrollment token lets a machine join as an approved host. Make one, then run the command it shows on the machine: the agent enrolls on its first connection and keeps its own host token from then on.")
	intro.Wrapping = fyne.TextWrapWord

	a.uses = widget.NewEntry()
	a.uses.SetText("1")
	a.uses.Validator = func(s string) error { _, err := parseTokenUses(s); return err }
	a.ttl = widget.NewEntry()
	a.ttl.SetText("24h")
	a.ttl.Validator = func(s string) error { _, err := parseTokenTTL(s); return err }
	a.create = widget.NewButtonWithIcon("Create token", theme.ConfirmIcon(), a.createToken)
	a.create.Importance = widget.HighImportance
	a.uses.OnChanged = func(string) { a.validate() }
	a.ttl.OnChanged = func(string) { a.validate() }
	a.createErr = widget.NewLabel("")
	a.createErr.Importance = widget.DangerImportance
	a.createErr.Wrapping = fyne.TextWrapWord
	a.createErr.Hide()

	form := widget.NewForm(
		&widget.FormItem{Text: "Hosts it may enroll", Widget: a.uses, HintText: "one token can enroll a fleet"},
		&widget.FormItem{Text: "Valid for", Widget: a.ttl, HintText: "e.g. 24h, 90m, 7d"},
	)
	a.tokens = container.NewVBox()
	a.loadTokens()
	return container.NewBorder(container.NewVBox(intro, form, container.NewHBox(a.create), a.createErr), nil, nil, nil,
		widget.NewCard("Enrollment tokens", "Tokens are stored hashed; a token is shown only when it is made.", container.NewVScroll(a.tokens)))
}

func (a *addHostDialog) validate() {
	enableIf(a.create, a.uses.Validate() == nil && a.ttl.Validate() == nil)
}

func (a *addHostDialog) createToken() {
	uses, err1 := parseTokenUses(a.uses.Text)
	ttl, err2 := parseTokenTTL(a.ttl.Text)
	if err := errors.Join(err1, err2); err != nil {
		a.createErr.SetText(err.Error())
		a.createErr.Show()
		return
	}
	t, err := a.u.hub.CreateEnrollToken(uses, ttl)
	if err != nil {
		a.createErr.SetText("Could not make the token: " + err.Error())
		a.createErr.Show()
		return
	}
	a.issued = t
	a.page.Objects = []fyne.CanvasObject{a.commandsPage()}
	a.page.Refresh()
}

// loadTokens lists the existing tokens.
func (a *addHostDialog) loadTokens() {
	toks, err := a.u.hub.EnrollTokens()
	a.tokens.Objects = nil
	a.revoke = map[string]*widget.Button{}
	if err != nil {
		l := widget.NewLabel("Could not read the tokens: " + err.Error())
		l.Importance = widget.DangerImportance
		a.tokens.Add(l)
		return
	}
	if len(toks) == 0 {
		l := widget.NewLabel("No enrollment tokens.")
		l.Importance = widget.LowImportance
		a.tokens.Add(l)
	}
	now := a.u.opts.Now()
	for _, t := range toks {
		a.tokens.Add(a.tokenRow(t, now))
	}
	a.tokens.Refresh()
}

// tokenLine describes a stored token: "3f2a9c1b0e7d · 2 of 3 uses
// left · expires in 23 h".
func tokenLine(t hub.EnrollToken, now time.Time) string {
	id := t.ID
	if len(id) > 12 {
		id = id[:12]
	}
	uses := fmt.Sprintf("%s left of %d", plural(t.UsesLeft(), "use"), t.Uses)
	var exp string
	if !now.Before(t.ExpiresAt) {
		exp = "expired " + ago(now, &t.ExpiresAt)
	} else {
		exp = "expires in " + humanDuration(t.ExpiresAt.Sub(now))
	}
	return id + " · " + uses + " · " + exp
}

func (a *addHostDialog) tokenRow(t hub.EnrollToken, now time.Time) fyne.CanvasObject {
	l := widget.NewLabel(tokenLine(t, now))
	if t.UsesLeft() == 0 || !now.Before(t.ExpiresAt) {
		l.Importance = widget.LowImportance
	}
	id := t.ID
	b := widget.NewButtonWithIcon("Revoke", theme.DeleteIcon(), func() {
		if err := a.u.hub.RevokeEnrollToken(id); err != nil {
			a.u.showError("Revoke token", err)
		}
	})
	a.revoke[id] = b
	return container.NewBorder(nil, nil, nil, b, l)
}

func (a *addHostDialog) commandsPage() fyne.CanvasObject {
	u := a.u
	addr, options := hub.InstallManagerChoices(u.opts.AgentURLs, thisMachine())

	head := widget.NewLabel(fmt.Sprintf("Token for %s, valid until %s. It is shown only now: copy it or the commands before closing. "+
		"restic-agent install copies it into a file only root (on Windows: SYSTEM and Administrators) can read, which the agent reads with --enroll-file.",
		plural(a.issued.Uses, "host"), a.issued.ExpiresAt.In(u.opts.Now().Location()).Format("Mon 2 Jan 15:04")))
	head.Wrapping = fyne.TextWrapWord
	a.token = widget.NewLabel(a.issued.Token)
	a.token.TextStyle.Monospace = true
	a.token.Selectable = true
	a.token.Truncation = fyne.TextTruncateEllipsis
	a.copyToken = copyButton(u, func() string { return a.issued.Token })
	pin := u.opts.ManagerPin
	if pin == "" {
		pin = "none: the manager has no LAN listener (--listen)"
	}
	a.pin = widget.NewLabel(pin)
	a.pin.TextStyle.Monospace = true
	a.pin.Selectable = true
	a.pin.Truncation = fyne.TextTruncateEllipsis

	a.managerNote = widget.NewLabel("")
	a.managerNote.Wrapping = fyne.TextWrapWord
	a.managerNote.Importance = widget.WarningImportance
	a.manager = widget.NewSelectEntry(options)
	a.manager.Validator = func(s string) error { return hub.CheckInstallManager(s, u.opts.ManagerPin) }
	a.manager.SetText(addr)
	a.arch = widget.NewRadioGroup([]string{"amd64", "arm64"}, func(string) { a.regenerate() })
	a.arch.Horizontal = true
	a.arch.Required = true
	a.arch.SetSelected("amd64")
	a.manager.OnChanged = func(string) { a.regenerate() }

	// The commands in full: wrapped at the dialog's width (a long line
	// breaks rather than running out of a small box), selectable, and
	// copied whole.
	mono := func() *widget.Label {
		l := widget.NewLabel("")
		l.TextStyle.Monospace = true
		l.Selectable = true
		l.Wrapping = fyne.TextWrapBreak
		return l
	}
	a.linux, a.linuxRun, a.windows = mono(), mono(), mono()
	a.copyLinux = copyButton(u, func() string { return a.linux.Text })
	a.copyLinuxRun = copyButton(u, func() string { return a.linuxRun.Text })
	a.copyWindow = copyButton(u, func() string { return a.windows.Text })
	linuxNote := noteLabel("On the host, in the folder holding the downloaded .deb (it brings restic): installs the agent as a systemd service that starts at boot. Without apt: install restic, put restic-agent_<version>_linux_<arch> in /usr/local/bin as restic-agent, then run the same restic-agent install.")
	runNote := noteLabel("Without systemd, or to try it first: runs the downloaded agent in this terminal (Ctrl-C stops it; it keeps its host token in /var/lib/restic-agent).")
	windowsNote := noteLabel("Install restic (winget install restic.restic); then, in an elevated PowerShell in the folder holding the downloaded .zip:")
	page := func(note fyne.CanvasObject, cmds *widget.Label, copyBtn *widget.Button) fyne.CanvasObject {
		return container.NewBorder(note, container.NewHBox(copyBtn), nil, nil, container.NewVScroll(cmds))
	}
	tabs := container.NewAppTabs(
		container.NewTabItem("Linux (systemd)", page(linuxNote, a.linux, a.copyLinux)),
		container.NewTabItem("Linux (binary)", page(runNote, a.linuxRun, a.copyLinuxRun)),
		container.NewTabItem("Windows", page(windowsNote, a.windows, a.copyWindow)),
	)
	a.wait = newEnrollWait(a)
	a.regenerate()

	form := widget.NewForm(
		&widget.FormItem{Text: "Token", Widget: container.NewBorder(nil, nil, nil, a.copyToken, a.token)},
		&widget.FormItem{Text: "Manager address", Widget: a.manager},
		&widget.FormItem{Text: "Manager pin", Widget: a.pin, HintText: "agents dialling wss:// accept only the manager whose certificate has this pin"},
		&widget.FormItem{Text: "Architecture", Widget: a.arch},
	)
	a.wait.start()
	return container.NewBorder(container.NewVBox(head, form, a.managerNote), a.wait.object(), nil, nil, tabs)
}

// regenerate fills the commands from the fields (desktop/hub builds them).
func (a *addHostDialog) regenerate() {
	if a.linux == nil || a.arch == nil {
		return // still building the page
	}
	addr := strings.TrimSpace(a.manager.Text)
	if err := hub.CheckInstallManager(addr, a.u.opts.ManagerPin); err != nil {
		a.managerNote.SetText("Manager address: " + err.Error())
		a.managerNote.Show()
		a.copyLinux.Disable()
		a.copyLinuxRun.Disable()
		a.copyWindow.Disable()
		return
	}
	a.copyLinux.Enable()
	a.copyLinuxRun.Enable()
	a.copyWindow.Enable()
	note := hub.InstallNote(addr, a.u.opts.AgentURLs)
	a.managerNote.SetText(note)
	showIf(a.managerNote, note != "")
	arch := a.arch.Selected
	if arch == "" {
		arch = "amd64"
	}
	in := hub.InstallSpec{Manager: addr, Pin: a.u.opts.ManagerPin, Token: a.issued.Token, Arch: arch, Version: a.u.agentRelease()}
	a.linux.SetText(hub.LinuxInstallCommands(in))
	a.linuxRun.SetText(hub.LinuxRunCommands(in))
	a.windows.SetText(hub.WindowsInstallCommands(in))
}
