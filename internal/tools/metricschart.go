package tools

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
)

// The chart: one panel per kind of series (CPU, memory, network, disk
// I/O...), in a grid on an 800x400 PNG, times in UTC along the x axes and
// units on the y axes.
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

// Space, in pixels, around the grid of panels and between them, and
// under a panel's title.
const (
	padTop, padBottom, padLeft, padRight = 2, 2, 4, 10
	padX, padY                           = 14, 10
	panelTitlePad                        = 3
)

// drawChart returns the image and, for tests, each panel's data area in
// pixels.
func drawChart(title string, from, to int64, series []chartSeries) (img image.Image, areas []image.Rectangle, err error) {
	defer func() {
		// a chart is never worth a crash
		if r := recover(); r != nil {
			img, areas, err = nil, nil, fmt.Errorf("draw the chart: %v", r)
		}
	}()
	ps := panels(series)
	if len(ps) == 0 {
		return nil, nil, fmt.Errorf("nothing to draw")
	}
	if to <= from {
		from = to - 60 // one row: a minute's width to draw it in
	}
	rows, cols := grid(len(ps))
	xs, ys := make([]axis, len(ps)), make([]axis, len(ps))
	for i, p := range ps {
		xs[i], ys[i] = panelAxes(p, from, to, cols)
		if math.IsInf(ys[i].max, 0) || math.IsNaN(ys[i].max) {
			return nil, nil, fmt.Errorf("draw the chart: the %s values are too large", p.name)
		}
	}
	c := newCanvas(chartW, chartH)
	head := fit(title+" (times UTC)", chartW-8)
	// bold: the face has no bold, so the title is drawn twice a pixel apart
	c.text(head, chartW/2, 4, 0.5, 0)
	c.text(head, chartW/2+1, 4, 0.5, 0)
	cells, err := layout(ps, xs, ys, rows, cols)
	if err != nil {
		return nil, nil, err
	}
	for i, p := range ps {
		drawPanel(c, p, xs[i], ys[i], cells[i])
		areas = append(areas, cells[i].data)
	}
	return c.img, areas, nil
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

// cell is a panel's place: the whole of it and its data area, in pixels.
type cell struct {
	outer, data image.Rectangle
}

// layout splits the chart into the grid's cells, with the data areas of a
// column lined up (the widest y axis labels of the column decide their
// left edge) and the same size in every cell. Around a data area: the
// panel title and half a label (the top y label) above, the x axis and
// its labels below, the y axis, its labels and the turned unit label at
// left, and half the widest x label (the last one) at right.
func layout(ps []panel, xs, ys []axis, rows, cols int) ([]cell, error) {
	const top, bottom = textH + panelTitlePad + textH/2 + 1, axisGap + 1 + tickLen + labelGap + textH
	left, right := make([]int, cols), make([]int, cols)
	for i := range ps {
		c := i % cols
		l := axisGap + 1 + tickLen + labelGap + widest(ys[i].ticks)
		if ys[i].label != "" {
			l += labelGap + textH
		}
		left[c] = max(left[c], l)
		right[c] = max(right[c], widest(xs[i].ticks)/2+1)
	}
	w, h := chartW-padLeft-padRight-padX*(cols-1), chartH-chartTitleH-padTop-padBottom-padY*(rows-1)
	for c := range cols {
		w -= left[c] + right[c]
	}
	w, h = w/cols, h/rows-top-bottom
	if w < 40 || h < 40 {
		return nil, fmt.Errorf("draw the chart: the axis labels leave no room for the data (%dx%d pixels)", w, h)
	}
	out := make([]cell, len(ps))
	for i := range ps {
		r, c := i/cols, i%cols
		x := padLeft + padX*c
		for j := range c {
			x += left[j] + w + right[j]
		}
		y := chartTitleH + padTop + (padY+top+h+bottom)*r
		out[i] = cell{
			outer: image.Rect(x, y, x+left[c]+w+right[c], y+top+h+bottom),
			data:  image.Rect(x+left[c], y+top, x+left[c]+w, y+top+h),
		}
	}
	return out, nil
}

// drawPanel draws one panel in its cell: title, grid, axes, the series'
// lines (a lone sample as a dot) and, for more than one series, a legend.
func drawPanel(c *canvas, pn panel, x, y axis, cl cell) {
	da := cl.data
	c.text(fit(pn.name, cl.outer.Dx()), (da.Min.X+da.Max.X)/2, cl.outer.Min.Y, 0.5, 0)
	drawGrid(c, x, y, da)
	drawXAxis(c, x, da)
	drawYAxis(c, y, da, cl.outer.Min.X)
	// lines and dots may stand out of the data area by half a line's
	// width or a dot's radius, not more
	clip := da.Inset(-int(math.Ceil(max(lineWidth/2, dotRadius))))
	var names []string
	for i, s := range pn.series {
		var lines [][]xy
		var dots []xy
		for _, run := range runs(s.samples) {
			pts := make([]xy, len(run))
			for k, v := range run {
				pts[k] = xy{x.at(float64(v.t), float64(da.Min.X), float64(da.Max.X)), y.at(v.v/y.div, float64(da.Max.Y), float64(da.Min.Y))}
			}
			if len(pts) == 1 {
				dots = append(dots, pts[0])
				continue
			}
			lines = append(lines, pts)
		}
		c.stroke(clip, chartColors[i%len(chartColors)], lineWidth, lines, dotRadius, dots)
		names = append(names, s.name)
	}
	if len(names) > 1 {
		drawLegend(c, names, da)
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
