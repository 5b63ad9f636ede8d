package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// sizeChart draws a host's repository size and its snapshots' sizes over
// time with canvas primitives: a line per series with a dot per point,
// grid lines at round byte counts and dates, and a legend. The maths is
// sizeChartModel's; this file only maps it to pixels.
type sizeChart struct {
	widget.BaseWidget
	series hub.SizeSeries
	loc    *time.Location
	// emptyText is shown when there is nothing to draw.
	emptyText string
}

func newSizeChart() *sizeChart {
	c := &sizeChart{loc: time.Local,
		emptyText: "No size data yet. Snapshot sizes come with each backup on agents running restic 0.17 or newer; the repository's size whenever the agent reports its statistics."}
	c.ExtendBaseWidget(c)
	return c
}

// setSeries replaces the data (UI goroutine).
func (c *sizeChart) setSeries(s hub.SizeSeries) {
	c.series = s
	c.Refresh()
}

func (c *sizeChart) MinSize() fyne.Size { return fyne.NewSize(360, 240) }

func (c *sizeChart) CreateRenderer() fyne.WidgetRenderer {
	empty := widget.NewLabel(c.emptyText)
	empty.Wrapping = fyne.TextWrapWord
	empty.Alignment = fyne.TextAlignCenter
	empty.Importance = widget.LowImportance
	return &sizeChartRenderer{c: c, empty: empty}
}

// sizeChartPalette colours the series; the first two are the repository
// lines. Chosen to read on light and dark themes alike.
var sizeChartPalette = []color.NRGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
	{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
	{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // teal
	{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
}

type sizeChartRenderer struct {
	c       *sizeChart
	empty   *widget.Label
	objects []fyne.CanvasObject
	data    sizeChartData
}

func (r *sizeChartRenderer) Destroy()                     {}
func (r *sizeChartRenderer) MinSize() fyne.Size           { return r.c.MinSize() }
func (r *sizeChartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *sizeChartRenderer) Refresh() {
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

// Layout rebuilds the drawing for size: the objects depend on it (tick
// count, positions), so they are made anew rather than moved.
func (r *sizeChartRenderer) Layout(size fyne.Size) {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	faint := th.Color(theme.ColorNameSeparator, v)
	textSize := th.Size(theme.SizeNameCaptionText)
	pad := th.Size(theme.SizeNamePadding)

	xTicks := max(2, min(6, int(size.Width/120)))
	yTicks := max(2, min(5, int(size.Height/60)))
	r.data = sizeChartModel(r.c.series, xTicks, yTicks, r.c.loc)
	if r.data.Empty() {
		r.empty.Resize(fyne.NewSize(size.Width, r.empty.MinSize().Height))
		r.empty.Move(fyne.NewPos(0, (size.Height-r.empty.MinSize().Height)/2))
		r.objects = []fyne.CanvasObject{r.empty}
		return
	}

	var objs []fyne.CanvasObject
	text := func(s string, col color.Color) *canvas.Text {
		t := canvas.NewText(s, col)
		t.TextSize = textSize
		return t
	}

	// Legend along the top, wrapping to more rows when needed.
	lx, ly := float32(0), float32(0)
	lineH := fyne.MeasureText("Ag", textSize, fyne.TextStyle{}).Height
	for i, s := range r.data.Series {
		col := sizeChartPalette[i%len(sizeChartPalette)]
		label := text(s.Name, fg)
		w := 14 + pad/2 + label.MinSize().Width + 2*pad
		if lx > 0 && lx+w > size.Width {
			lx, ly = 0, ly+lineH+pad/2
		}
		sw := canvas.NewRectangle(col)
		sw.Resize(fyne.NewSize(14, 4))
		sw.Move(fyne.NewPos(lx, ly+lineH/2-2))
		label.Move(fyne.NewPos(lx+14+pad/2, ly))
		objs = append(objs, sw, label)
		lx += w
	}
	top := ly + lineH + pad + lineH/2 // the top tick's label is centred on its line

	// Plot area: left of it the byte labels, under it the dates.
	left := float32(0)
	for _, t := range r.data.YTicks {
		left = max(left, fyne.MeasureText(t.Label, textSize, fyne.TextStyle{}).Width)
	}
	left += pad
	bottom := lineH + pad
	plotW, plotH := size.Width-left-pad, size.Height-top-bottom
	if plotW < 20 || plotH < 20 {
		r.objects = objs
		return
	}
	px := func(x float64) float32 { return left + float32(x)*plotW }
	py := func(y float64) float32 { return top + plotH - float32(y)*plotH }

	for _, t := range r.data.YTicks {
		y := py(t.Pos)
		grid := canvas.NewLine(faint)
		grid.StrokeWidth = 1
		grid.Position1, grid.Position2 = fyne.NewPos(left, y), fyne.NewPos(left+plotW, y)
		l := text(t.Label, fg)
		l.Alignment = fyne.TextAlignTrailing
		ms := l.MinSize()
		l.Resize(fyne.NewSize(left-pad, ms.Height))
		l.Move(fyne.NewPos(0, y-ms.Height/2))
		objs = append(objs, grid, l)
	}
	lastRight := float32(-1)
	for _, t := range r.data.XTicks {
		x := px(t.Pos)
		grid := canvas.NewLine(faint)
		grid.StrokeWidth = 1
		grid.Position1, grid.Position2 = fyne.NewPos(x, top), fyne.NewPos(x, top+plotH)
		objs = append(objs, grid)
		l := text(t.Label, fg)
		w := l.MinSize().Width
		lx := min(max(x-w/2, left), size.Width-w)
		if lx <= lastRight+pad {
			continue // would overlap the previous label
		}
		l.Move(fyne.NewPos(lx, top+plotH+pad/2))
		lastRight = lx + w
		objs = append(objs, l)
	}
	axis := canvas.NewLine(fg)
	axis.StrokeWidth = 1
	axis.Position1, axis.Position2 = fyne.NewPos(left, top+plotH), fyne.NewPos(left+plotW, top+plotH)
	objs = append(objs, axis)

	for i, s := range r.data.Series {
		col := sizeChartPalette[i%len(sizeChartPalette)]
		dots := len(s.Points) <= int(plotW/4) // too many dots blur into a line
		for j, p := range s.Points {
			pos := fyne.NewPos(px(p.X), py(p.Y))
			if j > 0 {
				prev := s.Points[j-1]
				seg := canvas.NewLine(col)
				seg.StrokeWidth = 2
				seg.Position1, seg.Position2 = fyne.NewPos(px(prev.X), py(prev.Y)), pos
				objs = append(objs, seg)
			}
			if dots || len(s.Points) == 1 {
				dot := canvas.NewCircle(col)
				dot.Resize(fyne.NewSize(6, 6))
				dot.Move(pos.SubtractXY(3, 3))
				objs = append(objs, dot)
			}
		}
	}
	r.objects = objs
}
