package tools

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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

// drawChart returns the image and, for tests, each panel's data area in
// pixels.
func drawChart(title string, from, to int64, series []chartSeries) (img image.Image, areas []image.Rectangle, err error) {
	defer func() {
		// gonum panics on what it cannot lay out; a chart is never worth a crash
		if r := recover(); r != nil {
			err = fmt.Errorf("draw the chart: %v", r)
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
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
		for c := range plots[r] {
			if i := r*cols + c; i < len(ps) {
				plots[r][c] = panelPlot(ps[i], from, to, cols)
			}
		}
	}
	canvas := vgimg.NewWith(vgimg.UseWH(chartW, chartH), vgimg.UseDPI(72))
	dc := draw.New(canvas)
	head := plot.New().Title.TextStyle
	head.Font.Size = 13
	dc.FillText(head, vg.Point{X: chartW / 2, Y: chartH - 4}, title+" (times UTC)")
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: 2, PadBottom: 2, PadLeft: 4, PadRight: 10, PadX: 14, PadY: 10}
	body := draw.Crop(dc, 0, 0, 0, -chartTitleH)
	cells := plot.Align(plots, tiles, body)
	for r := range plots {
		for c, p := range plots[r] {
			if p == nil {
				continue
			}
			p.Draw(cells[r][c])
			a := p.DataCanvas(cells[r][c]).Rectangle
			areas = append(areas, image.Rect(int(a.Min.X), chartH-int(a.Max.Y), int(a.Max.X), chartH-int(a.Min.Y)))
		}
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

func panelPlot(pn panel, from, to int64, cols int) *plot.Plot {
	p := plot.New()
	p.Title.Text = pn.name
	p.Title.TextStyle.Font.Size = 11
	p.Title.Padding = 3
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Tick.Label.Font.Size = 10
		ax.Label.TextStyle.Font.Size = 10
	}
	p.Legend.TextStyle.Font.Size = 10
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 4, -2
	p.Add(plotter.NewGrid())

	top := 0.0
	for _, s := range pn.series {
		for _, x := range s.samples {
			top = max(top, x.v)
		}
	}
	div, label := axisUnit(pn.unit, top)
	p.Y.Label.Text = label
	for i, s := range pn.series {
		style := draw.LineStyle{Color: chartColors[i%len(chartColors)], Width: vg.Points(2)}
		for j, run := range runs(s.samples) {
			xys := make(plotter.XYs, len(run))
			for k, x := range run {
				xys[k] = plotter.XY{X: float64(x.t), Y: x.v / div}
			}
			if len(run) == 1 { // a lone sample still shows, as a dot
				sc, _ := plotter.NewScatter(xys)
				sc.GlyphStyle.Color, sc.GlyphStyle.Radius = style.Color, vg.Points(1.6)
				p.Add(sc)
				continue
			}
			ln, _ := plotter.NewLine(xys)
			ln.LineStyle = style
			p.Add(ln)
			if j == 0 && len(pn.series) > 1 {
				p.Legend.Add(s.name, ln)
			}
		}
	}
	// Room above the highest value, and for the legend when there is one.
	head := 1.08
	if len(pn.series) > 1 {
		head = 1.35
	}
	p.Y.Min, p.Y.Max = 0, top/div*head
	if top == 0 {
		p.Y.Max = 1 // all zero: a plain axis, with the line along its bottom
	}
	if pn.unit == unitPercent && top <= 100 && top > 50 {
		p.Y.Max = 100 * head
	}
	p.X.Min, p.X.Max = float64(from), float64(to)
	p.X.Tick.Marker = timeTicks(from, to, 6/cols+2)
	return p
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

// timeTicks marks round times, about want of them over [from, to], in a
// format that suits the span: hours (midnight as the date), days, months.
func timeTicks(from, to int64, want int) plot.Ticker {
	return plot.TickerFunc(func(float64, float64) []plot.Tick {
		span := to - from
		var ticks []plot.Tick
		if span > 60*86400 {
			t := time.Unix(from, 0).UTC()
			every := max(1, int(math.Ceil(float64(span)/(30*86400)/float64(want))))
			for m := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC); m.Unix() <= to; m = m.AddDate(0, every, 0) {
				ticks = append(ticks, plot.Tick{Value: float64(m.Unix()), Label: m.Format("Jan 2006")})
			}
			return ticks
		}
		format := "15:04"
		if span > 3*86400 {
			format = "Jan 02"
		}
		var step int64
		for _, s := range []int64{60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400} {
			step = s
			if span/s <= int64(want) {
				break
			}
		}
		for t := (from/step + 1) * step; t <= to; t += step {
			at := time.Unix(t, 0).UTC()
			label := at.Format(format)
			if format == "15:04" && t%86400 == 0 {
				label = at.Format("Jan 02")
			}
			ticks = append(ticks, plot.Tick{Value: float64(t), Label: label})
		}
		return ticks
	})
}
