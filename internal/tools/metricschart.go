package tools

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart: one panel per kind of series (CPU, memory, network, disk
// I/O...), in a grid on an 800x400 PNG, times in UTC along the x axes and
// units on the y axes. At 72 dpi a point is a pixel.
const (
	chartW, chartH = 800, 400
	chartTitleH    = 22
	maxPanels      = 6
)

// chartSeries is a series as drawn: its samples in the reported unit.
type chartSeries struct {
	name    string
	samples []sample
}

// chartColors are the lines' colours, by their place in a panel.
var chartColors = []color.RGBA{
	{R: 31, G: 119, B: 180, A: 255}, // blue
	{R: 230, G: 85, B: 13, A: 255},  // orange
	{R: 44, G: 160, B: 44, A: 255},  // green
	{R: 214, G: 39, B: 40, A: 255},  // red
	{R: 148, G: 103, B: 189, A: 255},
	{R: 140, G: 86, B: 75, A: 255},
}

type panel struct {
	name   string
	unit   string
	series []chartSeries
}

// panels groups series by their panel, in the order they came.
func panels(series []chartSeries) []panel {
	var out []panel
	for _, s := range series {
		info := seriesCatalog[s.name]
		i := slices.IndexFunc(out, func(p panel) bool { return p.name == info.panel })
		if i < 0 {
			out = append(out, panel{name: info.panel, unit: info.unit})
			i = len(out) - 1
		}
		out[i].series = append(out[i].series, s)
	}
	if len(out) > maxPanels {
		out = out[:maxPanels]
	}
	return out
}

func panelsOf(series []chartSeries) []string {
	var names []string
	for _, p := range panels(series) {
		names = append(names, p.name)
	}
	return names
}

// renderChart draws the series over [from, to] (the rows' times: the whole
// timeframe shows, with what has no value left blank) as a PNG.
func renderChart(title string, from, to int64, series []chartSeries) ([]byte, error) {
	img, _, err := drawChart(title, from, to, series)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode the chart: %w", err)
	}
	return b.Bytes(), nil
}

// Text sizes, in points (pixels).
const (
	headSize, panelTitleSize, labelSize = 13, 11, 10
	panelTitlePad                       = 3
)

// Space around the grid of panels and between them.
const (
	padTop, padBottom, padLeft, padRight = 2, 2, 4, 10
	padX, padY                           = 14, 10
)

// drawChart returns the image and, for tests, each panel's data area in
// pixels.
func drawChart(title string, from, to int64, series []chartSeries) (img image.Image, areas []image.Rectangle, err error) {
	defer func() {
		// the drawing library panics on what it cannot draw; a chart is never worth a crash
		if r := recover(); r != nil {
			err = fmt.Errorf("draw the chart: %v", r)
		}
	}()
	ps := panels(series)
	if len(ps) == 0 {
		return nil, nil, fmt.Errorf("nothing to draw")
	}
	fonts, err := chartFonts()
	if err != nil {
		return nil, nil, err
	}
	if to <= from {
		from = to - 60 // one row: a minute's width to draw it in
	}
	rows, cols := grid(len(ps))
	canvas := vgimg.NewWith(vgimg.UseWH(chartW, chartH), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(canvas)
	dc.FillText(textStyle(fonts, headSize, text.XCenter, text.YTop), vg.Point{X: chartW / 2, Y: chartH - 4}, title+" (times UTC)")

	xs, ys := make([]axis, len(ps)), make([]axis, len(ps))
	for i, p := range ps {
		xs[i], ys[i] = panelAxes(p, from, to, cols)
	}
	cells := layout(fonts, ps, xs, ys, rows, cols)
	for i, p := range ps {
		drawPanel(&dc, fonts, p, xs[i], ys[i], cells[i])
		a := cells[i].data
		areas = append(areas, image.Rect(int(a.Min.X), chartH-int(a.Max.Y), int(a.Max.X), chartH-int(a.Min.Y)))
	}
	return canvas.Image(), areas, nil
}

func grid(n int) (rows, cols int) {
	switch {
	case n == 1:
		return 1, 1
	case n == 2:
		return 2, 1
	case n <= 4:
		return 2, 2
	}
	return 2, 3
}

// panelAxes sets a panel's ranges: all of [from, to] along x, and from 0
// to above the highest value (with room for the legend when there is one)
// on y, in the unit that suits the values.
func panelAxes(pn panel, from, to int64, cols int) (x, y axis) {
	top := 0.0
	for _, s := range pn.series {
		for _, v := range s.samples {
			top = max(top, v.v)
		}
	}
	div, label := axisUnit(pn.unit, top)
	head := 1.08
	if len(pn.series) > 1 {
		head = 1.35
	}
	y = axis{min: 0, max: top / div * head, label: label, div: div}
	if top == 0 {
		y.max = 1 // all zero: a plain axis, with the line along its bottom
	}
	if pn.unit == unitPercent && top <= 100 && top > 50 {
		y.max = 100 * head
	}
	y.ticks = valueTicks(y.min, y.max)
	x = axis{min: float64(from), max: float64(to)}
	x.ticks = timeTicks(from, to, 6/cols+2).Ticks(x.min, x.max)
	return x, y
}

// cell is a panel's place: the whole of it and its data area.
type cell struct {
	outer, data vg.Rectangle
}

// layout splits the chart into the grid's cells, with the data areas of a
// column lined up (the widest y axis labels of the column decide their
// left edge) and the same size in every cell.
func layout(fonts *font.Cache, ps []panel, xs, ys []axis, rows, cols int) []cell {
	title := textStyle(fonts, panelTitleSize, text.XCenter, text.YTop)
	label := textStyle(fonts, labelSize, text.XCenter, text.YBottom)
	left, right := make([]vg.Length, cols), make([]vg.Length, cols)
	top, bottom := make([]vg.Length, rows), make([]vg.Length, rows)
	for i, p := range ps {
		r, c := i/cols, i%cols
		l := vg.Length(axisPadding + axisWidth/2 + tickLength)
		if w, _ := widest(label, ys[i].ticks); w > 0 {
			l += w + label.Width(" ")
		}
		if ys[i].label != "" {
			l += label.FontExtents().Descent + label.Height(ys[i].label)
		}
		xw, xh := widest(label, xs[i].ticks)
		_, yh := widest(label, ys[i].ticks)
		left[c] = max(left[c], l)
		right[c] = max(right[c], xw/2)
		top[r] = max(top[r], title.Rectangle(p.name).Size().Y+panelTitlePad+yh/2)
		bottom[r] = max(bottom[r], axisPadding+axisWidth/2+tickLength+xh)
	}
	w, h := vg.Length(chartW-padLeft-padRight-padX*(cols-1)), vg.Length(chartH-chartTitleH-padTop-padBottom-padY*(rows-1))
	for c := range cols {
		w -= left[c] + right[c]
	}
	for r := range rows {
		h -= top[r] + bottom[r]
	}
	w, h = w/vg.Length(cols), h/vg.Length(rows)
	out := make([]cell, len(ps))
	for i := range ps {
		r, c := i/cols, i%cols
		x := vg.Length(padLeft + padX*c)
		for j := range c {
			x += left[j] + w + right[j]
		}
		y := vg.Length(chartH - chartTitleH - padTop - padY*r) // the top, counted from the bottom
		for j := range r {
			y -= top[j] + h + bottom[j]
		}
		out[i] = cell{
			outer: vg.Rectangle{Min: vg.Point{X: x, Y: y - top[r] - h - bottom[r]}, Max: vg.Point{X: x + left[c] + w + right[c], Y: y}},
			data:  vg.Rectangle{Min: vg.Point{X: x + left[c], Y: y - top[r] - h}, Max: vg.Point{X: x + left[c] + w, Y: y - top[r]}},
		}
	}
	return out
}

// drawPanel draws one panel in its cell: title, grid, axes, the series'
// lines (a lone sample as a dot) and, for more than one series, a legend.
func drawPanel(dc *draw.Canvas, fonts *font.Cache, pn panel, x, y axis, cl cell) {
	title := textStyle(fonts, panelTitleSize, text.XCenter, text.YTop)
	dc.FillText(title, vg.Point{X: (cl.outer.Min.X + cl.outer.Max.X) / 2, Y: cl.outer.Max.Y + title.FontExtents().Descent}, pn.name)
	da := cl.data
	drawGrid(dc, x, y, da)
	drawXAxis(dc, textStyle(fonts, labelSize, text.XCenter, text.YTop), x, da)
	drawYAxis(dc, textStyle(fonts, labelSize, text.XRight, text.YCenter), textStyle(fonts, labelSize, text.XCenter, text.YBottom), y, da, cl.outer.Min.X)

	data := draw.Canvas{Canvas: dc.Canvas, Rectangle: da}
	var names []string
	for i, s := range pn.series {
		style := draw.LineStyle{Color: chartColors[i%len(chartColors)], Width: lineWidth}
		for _, run := range runs(s.samples) {
			pts := make([]vg.Point, len(run))
			for k, v := range run {
				pts[k] = vg.Point{X: x.at(float64(v.t), da.Min.X, da.Max.X), Y: y.at(v.v/y.div, da.Min.Y, da.Max.Y)}
			}
			if len(run) == 1 {
				data.DrawGlyph(draw.GlyphStyle{Color: style.Color, Radius: 1.6, Shape: draw.CircleGlyph{}}, pts[0])
				continue
			}
			data.StrokeLines(style, data.ClipLinesXY(pts)...)
		}
		names = append(names, s.name)
	}
	if len(names) > 1 {
		drawLegend(dc, textStyle(fonts, labelSize, text.XLeft, text.YBottom), names, da)
	}
}

// runs splits samples at gaps (more than twice the usual spacing), so a
// gap shows as a gap and not as a line across it.
func runs(s []sample) [][]sample {
	if len(s) < 2 {
		return [][]sample{s}
	}
	step := int64(math.MaxInt64)
	for i := 1; i < len(s); i++ {
		step = min(step, s[i].t-s[i-1].t)
	}
	var out [][]sample
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || s[i].t-s[i-1].t > 2*step {
			out = append(out, s[start:i])
			start = i
		}
	}
	return out
}

// axisUnit picks the binary prefix that keeps the highest value of a
// byte panel under 1024: the divisor and the axis label.
func axisUnit(unit string, top float64) (float64, string) {
	if unit != unitBytes && unit != unitRate {
		return 1, unit
	}
	prefixes := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	div, i := 1.0, 0
	for top/div >= 1024 && i < len(prefixes)-1 {
		div *= 1024
		i++
	}
	if unit == unitRate {
		return div, prefixes[i] + "/s"
	}
	return div, prefixes[i]
}
