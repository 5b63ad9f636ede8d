package ui

import (
	"image/color"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// jobLogPage is how many lines one JobLog read asks for.
const jobLogPage = 5000

// jobLog streams one job's log into a virtualised, read-only, monospace
// list: it reads Hub.JobLog from the last line it has on every
// ChangeJobLog for the job, and keeps following the end unless the user
// has scrolled up. Lines of stream "stderr" are marked and coloured;
// "event" lines (restic JSON) are shown compactly. Tapping a line shows it
// whole, to read or copy.
//
// Unlike the other views it is a widget rather than a struct holding an
// obj: its renderer's Layout keeps the end in view when the list is
// resized, which only a widget's renderer can see.
type jobLog struct {
	widget.BaseWidget

	u     *UI
	jobID string

	lines   []jobLogLine
	lastSeq uint64
	// follow: the view is at the end and stays there as lines arrive.
	follow bool
	// endOffset is the scroll offset the end had when the view last went
	// there: an offset at least that far down is "at the end" (lines
	// added since only move the end further down).
	endOffset float32
	slack     float32 // half a row: this close to the end is at the end

	list    *widget.List
	count   *widget.Label
	toEnd   *widget.Button
	copyAll *widget.Button
	empty   *widget.Label
	content fyne.CanvasObject

	listSize fyne.Size // the list's size at the last layout
}

type jobLogLine struct {
	text   string // as shown: time, mark, payload (compact for events)
	stream string
	full   string // the stored payload
}

func newJobLog(u *UI, sc *scope, jobID string) *jobLog {
	l := &jobLog{u: u, jobID: jobID, follow: true}
	l.list = widget.NewList(func() int { return len(l.lines) }, jobLogRow, l.updateRow)
	l.list.HideSeparators = true
	l.slack = jobLogRow().MinSize().Height / 2
	l.list.OnSelected = func(id widget.ListItemID) {
		l.list.Unselect(id)
		if id >= 0 && id < len(l.lines) {
			l.showLine(l.lines[id])
		}
	}
	l.count = widget.NewLabel("")
	l.count.Importance = widget.LowImportance
	l.toEnd = widget.NewButtonWithIcon("Go to end", theme.MoveDownIcon(), func() {
		l.follow = true
		l.scrollToEnd()
	})
	l.copyAll = widget.NewButtonWithIcon("Copy log", theme.ContentCopyIcon(), l.copyToClipboard)
	l.empty = widget.NewLabel("No log lines yet. They appear here as the agent sends them.")
	l.empty.Alignment = fyne.TextAlignCenter
	l.empty.Importance = widget.LowImportance
	bar := container.NewBorder(nil, nil, widget.NewLabelWithStyle("Log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(l.toEnd, l.copyAll), l.count)
	rows := container.NewThemeOverride(l.list, jobLogTheme{app: u.app})
	l.content = container.NewBorder(bar, nil, nil, nil, container.NewStack(rows, container.NewCenter(l.empty)))
	l.ExtendBaseWidget(l)
	l.fetch()
	sc.on(func(batch []change) {
		for _, c := range batch {
			if c.Kind == hub.ChangeAll || (c.Kind == hub.ChangeJobLog && c.JobID == jobID) {
				l.fetch()
				return
			}
		}
	})
	return l
}

func jobLogRow() fyne.CanvasObject {
	t := widget.NewLabelWithStyle("00:00:00  x", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	t.Truncation = fyne.TextTruncateEllipsis
	return t
}

func (l *jobLog) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	t := o.(*widget.Label)
	if id < 0 || id >= len(l.lines) {
		t.SetText("")
		return
	}
	ln := l.lines[id]
	imp := widget.MediumImportance
	switch ln.stream {
	case hub.LogStderr:
		imp = widget.DangerImportance
	case hub.LogEvent:
		imp = widget.LowImportance
	}
	if t.Importance != imp || t.Text != ln.text {
		t.Importance = imp
		t.SetText(ln.text)
	}
}

// CreateRenderer implements fyne.Widget. Its layout keeps the view at the
// end when it was there before a resize.
func (l *jobLog) CreateRenderer() fyne.WidgetRenderer {
	return &jobLogRenderer{l: l, r: widget.NewSimpleRenderer(l.content)}
}

type jobLogRenderer struct {
	l *jobLog
	r fyne.WidgetRenderer
}

func (r *jobLogRenderer) Layout(s fyne.Size) {
	l := r.l
	wasEnd := l.atEnd()
	r.r.Layout(s)
	if sz := l.list.Size(); sz != l.listSize {
		l.listSize = sz
		if wasEnd {
			l.scrollToEnd()
		}
	}
}
func (r *jobLogRenderer) MinSize() fyne.Size           { return r.r.MinSize() }
func (r *jobLogRenderer) Refresh()                     { r.r.Refresh() }
func (r *jobLogRenderer) Objects() []fyne.CanvasObject { return r.r.Objects() }
func (r *jobLogRenderer) Destroy()                     { r.r.Destroy() }

// fetch reads the lines after the last one shown. UI goroutine (a local
// store read).
func (l *jobLog) fetch() {
	var got []hub.LogLine
	for {
		page, err := l.u.hub.JobLog(l.jobID, l.lastSeq+1, jobLogPage)
		if err != nil {
			l.u.log.Warn("read job log", "job", l.jobID, "err", err)
			l.count.SetText("The log cannot be read: " + err.Error())
			break
		}
		got = append(got, page...)
		if len(page) > 0 {
			l.lastSeq = page[len(page)-1].Seq
		}
		if len(page) < jobLogPage {
			break
		}
	}
	if len(got) == 0 {
		l.updateBar()
		return
	}
	// Follow unless the user has scrolled away from the end (scrolling
	// back down to it resumes following).
	l.follow = l.atEnd()
	for _, ln := range got {
		l.lines = append(l.lines, jobLogFormat(ln))
	}
	l.list.Refresh()
	if l.follow {
		l.scrollToEnd()
	}
	l.updateBar()
}

// atEnd reports whether the view shows the end of the log (or did, before
// the lines that have just arrived).
func (l *jobLog) atEnd() bool {
	return l.list.GetScrollOffset() >= l.endOffset-l.slack
}

func (l *jobLog) scrollToEnd() {
	// ScrollToOffset clamps to the end and, unlike ScrollToBottom, is safe
	// before the list has been rendered.
	l.list.ScrollToOffset(math.MaxFloat32)
	l.endOffset = l.list.GetScrollOffset()
}

func (l *jobLog) updateBar() {
	if len(l.lines) == 0 {
		l.empty.Show()
	} else {
		l.empty.Hide()
	}
	if len(l.lines) == 0 {
		l.count.SetText("")
	} else {
		l.count.SetText(plural(len(l.lines), "line"))
	}
}

// jobLogFormat is how one stored line reads in the view.
func jobLogFormat(ln hub.LogLine) jobLogLine {
	payload := ln.Payload
	mark := "  "
	switch ln.Stream {
	case hub.LogStderr:
		mark = "! "
	case hub.LogEvent:
		mark = "» "
		payload = hub.CompactEvent(payload)
	}
	// One row per line: a stray break inside a payload must not make a
	// row taller than the others.
	payload = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ").Replace(payload)
	return jobLogLine{text: ln.TS.Local().Format("15:04:05") + " " + mark + payload, stream: ln.Stream, full: ln.Payload}
}

func (l *jobLog) showLine(ln jobLogLine) {
	text := widget.NewLabelWithStyle(ln.full, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	text.Wrapping = fyne.TextWrapBreak
	text.Selectable = true
	title := "Log line"
	switch ln.stream {
	case hub.LogStderr:
		title = "Log line (stderr)"
	case hub.LogEvent:
		title = "Log line (restic JSON)"
	}
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { l.u.app.Clipboard().SetContent(ln.full) })
	d := dialog.NewCustom(title, "Close", container.NewBorder(nil, container.NewHBox(copyBtn), nil, nil, container.NewVScroll(text)), l.u.win)
	d.Resize(fyne.NewSize(720, 360))
	d.Show()
}

func (l *jobLog) copyToClipboard() {
	var b strings.Builder
	for _, ln := range l.lines {
		b.WriteString(ln.full)
		b.WriteByte('\n')
	}
	l.u.app.Clipboard().SetContent(b.String())
}

// jobLogTheme tightens the log's rows (a log reads best dense) and takes
// everything else from the app's current theme.
type jobLogTheme struct{ app fyne.App }

func (t jobLogTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.app.Settings().Theme().Color(n, v)
}
func (t jobLogTheme) Font(s fyne.TextStyle) fyne.Resource { return t.app.Settings().Theme().Font(s) }
func (t jobLogTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return t.app.Settings().Theme().Icon(n)
}
func (t jobLogTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 2
	case theme.SizeNamePadding:
		return 1
	}
	return t.app.Settings().Theme().Size(n)
}
