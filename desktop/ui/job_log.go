package ui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
// "event" lines (restic JSON) are shown compactly. A row is one line of
// the view, cut with "…" when long; the selected line is shown whole,
// wrapped, under the list, to read or copy. "Copy log" copies every line
// of the job from the store, with its time and stream.
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
	content *fyne.Container

	// The selected line, whole (hidden while none is selected).
	selected  int // index into lines; -1 for none
	lineHead  *widget.Label
	lineText  *widget.Label
	lineBox   fyne.CanvasObject
	copyLine  *widget.Button
	closeLine *widget.Button

	listSize fyne.Size // the list's size at the last layout
}

type jobLogLine struct {
	text   string // as shown: time, mark, payload (compact for events)
	stream string
	full   string // the stored payload
	seq    uint64
	ts     time.Time
}

func newJobLog(u *UI, sc *scope, jobID string) *jobLog {
	l := &jobLog{u: u, jobID: jobID, follow: true, selected: -1}
	l.list = widget.NewList(func() int { return len(l.lines) }, jobLogRow, l.updateRow)
	l.list.HideSeparators = true
	rowHeight := jobLogRow().MinSize().Height
	l.slack = rowHeight / 2
	l.list.OnSelected = l.showLine
	l.list.OnUnselected = func(id widget.ListItemID) {
		if id == l.selected {
			l.hideLine()
		}
	}
	l.count = widget.NewLabel("")
	l.count.Importance = widget.LowImportance
	l.count.Truncation = fyne.TextTruncateEllipsis
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

	l.lineHead = widget.NewLabel("")
	l.lineHead.Importance = widget.LowImportance
	l.lineText = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.lineText.Wrapping = fyne.TextWrapBreak
	l.lineText.Selectable = true
	l.copyLine = widget.NewButtonWithIcon("Copy line", theme.ContentCopyIcon(), func() {
		if l.selected >= 0 {
			l.u.app.Clipboard().SetContent(l.lines[l.selected].full)
		}
	})
	l.closeLine = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { l.list.UnselectAll() })
	whole := container.NewVScroll(l.lineText)
	whole.SetMinSize(fyne.NewSize(0, 5*rowHeight)) // a few lines; a longer one scrolls
	l.lineBox = container.NewBorder(
		container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, nil, container.NewHBox(l.copyLine, l.closeLine), l.lineHead)),
		nil, nil, nil, whole)
	l.lineBox.Hide()
	l.content = container.NewBorder(bar, l.lineBox, nil, nil, container.NewStack(rows, container.NewCenter(l.empty)))
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
	switch {
	case len(l.lines) == 0:
		l.count.SetText("")
	case l.selected < 0:
		l.count.SetText(plural(len(l.lines), "line") + " · select one to read it whole")
	default:
		l.count.SetText(plural(len(l.lines), "line"))
	}
}

// jobLogFormat is how one stored line reads in the view.
func jobLogFormat(ln hub.LogLine) jobLogLine {
	payload, mark := ln.Payload, jobLogMark(ln.Stream)
	if ln.Stream == hub.LogEvent {
		payload = hub.CompactEvent(payload)
	}
	// One row per line: a stray break inside a payload must not make a
	// row taller than the others.
	payload = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ").Replace(payload)
	return jobLogLine{text: ln.TS.Local().Format("15:04:05") + " " + mark + payload, stream: ln.Stream, full: ln.Payload,
		seq: ln.Seq, ts: ln.TS}
}

// jobLogMark is a stream's mark before a line: stderr "! ", restic's
// JSON events "» ", stdout none.
func jobLogMark(stream string) string {
	switch stream {
	case hub.LogStderr:
		return "! "
	case hub.LogEvent:
		return "» "
	}
	return "  "
}

// showLine shows line id whole under the list: wrapped, selectable,
// with Copy line. It stays until another line is selected or it is
// closed; lines arriving meanwhile do not move it.
func (l *jobLog) showLine(id widget.ListItemID) {
	if id < 0 || id >= len(l.lines) {
		return
	}
	ln := l.lines[id]
	l.selected = id
	head := fmt.Sprintf("Line %d · %s", ln.seq, ln.ts.Local().Format("15:04:05"))
	switch ln.stream {
	case hub.LogStderr:
		head += " · stderr"
	case hub.LogEvent:
		head += " · restic JSON"
	}
	l.lineHead.SetText(head)
	l.lineText.SetText(ln.full)
	if !l.lineBox.Visible() {
		l.lineBox.Show()
		l.content.Refresh() // lay the list out again above it
	}
	l.updateBar()
}

func (l *jobLog) hideLine() {
	l.selected = -1
	if l.lineBox.Visible() {
		l.lineBox.Hide()
		l.content.Refresh()
	}
	l.updateBar()
}

// copyToClipboard copies every line of the job as the store holds it,
// read afresh (lines that arrived since the view's last read included),
// one a line: date and time, the stream's mark, the payload whole.
func (l *jobLog) copyToClipboard() {
	var b strings.Builder
	n := 0
	for from := uint64(1); ; {
		page, err := l.u.hub.JobLog(l.jobID, from, jobLogPage)
		if err != nil {
			l.u.showError("Copy log", err)
			return
		}
		for _, ln := range page {
			b.WriteString(ln.TS.Local().Format("2006-01-02 15:04:05") + " " + jobLogMark(ln.Stream) + ln.Payload + "\n")
		}
		n += len(page)
		if len(page) < jobLogPage {
			break
		}
		from = page[len(page)-1].Seq + 1
	}
	l.u.app.Clipboard().SetContent(b.String())
	l.count.SetText(plural(n, "line") + " copied")
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
