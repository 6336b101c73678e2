package tools

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"golang.org/x/image/font/basicfont"
)

// steps is a series of n minutes from t0 whose value is f(i).
func steps(n int, f func(i int) float64) []sample {
	out := make([]sample, n)
	for i := range out {
		out[i] = sample{t: 1_764_000_000 + int64(i)*60, v: f(i)}
	}
	return out
}

// decodeChart renders the series and decodes the PNG as a client would.
func decodeChart(t *testing.T, series ...chartSeries) image.Image {
	t.Helper()
	from, to := span(series)
	b, err := renderChart("test", from, to, series)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(chartW, chartH) {
		t.Fatalf("chart is %v, want 800x400", got)
	}
	return img
}

// span is the time range of the first series.
func span(series []chartSeries) (from, to int64) {
	s := series[0].samples
	return s[0].t, s[len(s)-1].t
}

// near tells a pixel of a line of colour want, allowing for the edge
// smoothing that blends it with the white background: the pixel must be
// mostly the line's colour.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	got := []float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
	line := []float64{float64(want.R), float64(want.G), float64(want.B)}
	// the share a of the line's colour that best explains the pixel
	var num, den float64
	for i := range got {
		num += (255 - got[i]) * (255 - line[i])
		den += (255 - line[i]) * (255 - line[i])
	}
	a := num / den
	var off float64
	for i := range got {
		off += math.Abs(got[i] - (a*line[i] + (1-a)*255))
	}
	return a > 0.6 && off < 30
}

// height is where a line of colour c runs in columns x0..x1 of area: the
// mean height of its pixels, 0 at the bottom of the area and 1 at the top;
// -1 when no pixel has that colour.
func height(img image.Image, area image.Rectangle, x0, x1 int, c color.RGBA) float64 {
	var sum float64
	n := 0
	for x := x0; x < x1; x++ {
		for y := area.Min.Y; y < area.Max.Y; y++ {
			if near(img.At(x, y), c) {
				sum += float64(area.Max.Y-y) / float64(area.Dy())
				n++
			}
		}
	}
	if n == 0 {
		return -1
	}
	return sum / float64(n)
}

func onlyArea(t *testing.T, series ...chartSeries) image.Rectangle {
	t.Helper()
	from, to := span(series)
	_, areas, err := drawChart("test", from, to, series)
	if err != nil || len(areas) != 1 {
		t.Fatalf("areas %v, err %v", areas, err)
	}
	return areas[0]
}

// The chart encodes the series: a step from 10% to 90% CPU draws the line
// low on the left and high on the right of the plot area, and the reverse
// series draws the reverse.
func TestChartDrawsTheSeries(t *testing.T) {
	up := chartSeries{name: "cpu", samples: steps(60, func(i int) float64 { return map[bool]float64{true: 10, false: 90}[i < 30] })}
	down := chartSeries{name: "cpu", samples: steps(60, func(i int) float64 { return map[bool]float64{true: 90, false: 10}[i < 30] })}
	area := onlyArea(t, up)
	if area.Dx() < 600 || area.Dy() < 250 {
		t.Fatalf("one panel's plot area %v is too small", area)
	}
	mid := (area.Min.X + area.Max.X) / 2
	// The y axis runs from 0 to 108% (100% and headroom): 10% sits at
	// 0.093 of the height, 90% at 0.833.
	low, high := 10/108.0, 90/108.0
	for _, c := range []struct {
		s           chartSeries
		left, right float64
	}{{up, low, high}, {down, high, low}} {
		img := decodeChart(t, c.s)
		l := height(img, area, area.Min.X+10, mid-10, chartColors[0])
		r := height(img, area, mid+10, area.Max.X-10, chartColors[0])
		if math.Abs(l-c.left) > 0.03 || math.Abs(r-c.right) > 0.03 {
			t.Errorf("line at heights %.3f (left) and %.3f (right), want %.3f and %.3f", l, r, c.left, c.right)
		}
	}
	a, b := decodeChart(t, up), decodeChart(t, down)
	if height(a, area, mid+10, area.Max.X-10, chartColors[0]) == height(b, area, mid+10, area.Max.X-10, chartColors[0]) {
		t.Error("two different series drew the same right half")
	}
}

// Two series in one panel get their own colours at their own heights, on
// an axis in KiB/s; the top-left legend is left out of the reading.
func TestChartTwoLines(t *testing.T) {
	in := chartSeries{name: "netin", samples: steps(60, func(int) float64 { return 2048 })}
	out := chartSeries{name: "netout", samples: steps(60, func(int) float64 { return 1024 })}
	area := onlyArea(t, in, out)
	img := decodeChart(t, in, out)
	mid := (area.Min.X + area.Max.X) / 2
	// 2 and 1 KiB/s on an axis up to 2.7 (headroom for the legend)
	for i, want := range []float64{2 / 2.7, 1 / 2.7} {
		if h := height(img, area, mid, area.Max.X-10, chartColors[i]); math.Abs(h-want) > 0.03 {
			t.Errorf("line %d at height %.3f, want %.3f", i, h, want)
		}
	}
	if div, label := axisUnit(unitRate, 2048); div != 1024 || label != "KiB/s" {
		t.Errorf("axis unit %v %q", div, label)
	}
}

// A gap (rows Proxmox left without a value) stays empty: no line is drawn
// across it, and nothing is drawn at zero for it.
func TestChartGap(t *testing.T) {
	var s []sample
	for _, x := range steps(90, func(int) float64 { return 60 }) {
		if i := (x.t - 1_764_000_000) / 60; i < 30 || i >= 60 {
			s = append(s, x)
		}
	}
	cs := chartSeries{name: "cpu", samples: s}
	area := onlyArea(t, cs)
	img := decodeChart(t, cs)
	third := area.Dx() / 3
	if h := height(img, area, area.Min.X+third+10, area.Max.X-third-10, chartColors[0]); h != -1 {
		t.Errorf("the gap has line pixels at height %.3f", h)
	}
	if h := height(img, area, area.Min.X+5, area.Min.X+third-10, chartColors[0]); math.Abs(h-60/108.0) > 0.03 {
		t.Errorf("before the gap: height %.3f", h)
	}
}

// A guest's default series make four panels: CPU, memory, network, disk I/O.
func TestChartPanels(t *testing.T) {
	var series []chartSeries
	for _, n := range guestMetrics.defaults {
		series = append(series, chartSeries{name: n, samples: steps(30, func(i int) float64 { return float64(i) })})
	}
	if got := panelsOf(series); len(got) != 4 || got[0] != "CPU" || got[1] != "Memory" || got[2] != "Network" || got[3] != "Disk I/O" {
		t.Errorf("panels %v", got)
	}
	from, to := span(series)
	_, areas, err := drawChart("test", from, to, series)
	if err != nil || len(areas) != 4 {
		t.Fatalf("areas %v, err %v", areas, err)
	}
	// a 2x2 grid: each plot area well inside its quarter
	for i, a := range areas {
		col, row := i%2, i/2
		q := image.Rect(col*chartW/2, chartTitleH+row*(chartH-chartTitleH)/2, (col+1)*chartW/2, chartTitleH+(row+1)*(chartH-chartTitleH)/2)
		if !a.In(q) || a.Dx() < 250 || a.Dy() < 100 {
			t.Errorf("panel %d: area %v, not inside %v or too small", i, a, q)
		}
	}
}

// Time labels suit the span: hours with the date at midnight, days, months.
func TestChartTimeTicks(t *testing.T) {
	const day = 86400
	t0 := int64(1_764_028_800) // 2025-11-25 00:00 UTC
	for _, c := range []struct {
		from, to int64
		want     []string
	}{
		{t0 - 3600, t0 + 3600, []string{"23:15", "23:30", "23:45", "Nov 25", "00:15", "00:30", "00:45", "01:00"}},
		{t0 - day/2, t0 + day/2, []string{"15:00", "18:00", "21:00", "Nov 25", "03:00", "06:00", "09:00", "12:00"}},
		{t0, t0 + 7*day, []string{"Nov 26", "Nov 27", "Nov 28", "Nov 29", "Nov 30", "Dec 01", "Dec 02"}},
		{t0, t0 + 360*day, []string{"Dec 2025", "Feb 2026", "Apr 2026", "Jun 2026", "Aug 2026", "Oct 2026"}},
	} {
		var got []string
		for _, tk := range timeTicks(c.from, c.to, 8).Ticks(float64(c.from), float64(c.to)) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%d s: ticks %v, want %v", c.to-c.from, got, c.want)
		}
	}
}

// Value axes get a few round labels, in the precision the step needs, and
// minor ticks between them.
func TestChartValueTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{0, 108, "0,25,50,75,100"},
		{0, 2.7, "0,1,2"},
		{0, 1, "0.0,0.2,0.4,0.6,0.8,1.0"},
		{0, 1.35, "0.0,0.5,1.0"}, {0, 1.2, "0.00,0.25,0.50,0.75,1.00"},
		{0, 864000, "0,200000,400000,600000,800000"},
	} {
		var labels []string
		minor := 0
		for _, tk := range valueTicks(c.min, c.max) {
			if tk.Label == "" {
				minor++
				continue
			}
			labels = append(labels, tk.Label)
		}
		if got := strings.Join(labels, ","); got != c.want || minor == 0 {
			t.Errorf("[%v, %v]: labels %s and %d minor ticks, want %s and some", c.min, c.max, got, minor, c.want)
		}
	}
}

// Six panels fill a 2x3 grid, each data area inside its sixth; a lone
// sample shows as a dot; charts drawn at once share nothing that changes
// (run with -race).
func TestChartSixPanelsAndDot(t *testing.T) {
	var series []chartSeries
	for _, n := range []string{"cpu", "loadavg", "memused", "swapused", "rootused", "netin"} {
		series = append(series, chartSeries{name: n, samples: steps(30, func(i int) float64 { return float64(i + 1) })})
	}
	series[0].samples = series[0].samples[:1] // CPU: one sample
	from, to := span(series[1:])
	done := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := renderChart("test", from, to, series)
			done <- err
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	img, areas, err := drawChart("test", from, to, series)
	if err != nil || len(areas) != 6 {
		t.Fatalf("areas %v, err %v", areas, err)
	}
	for i, a := range areas {
		col, row := i%3, i/3
		q := image.Rect(col*chartW/3, chartTitleH+row*(chartH-chartTitleH)/2, (col+1)*chartW/3, chartTitleH+(row+1)*(chartH-chartTitleH)/2)
		if !a.In(q) || a.Dx() < 150 || a.Dy() < 100 {
			t.Errorf("panel %d: area %v, not inside %v or too small", i, a, q)
		}
	}
	// the dot sits at the left edge (the first sample's time), at 1% on
	// an axis to 1.08%
	if h := height(img, areas[0], areas[0].Min.X, areas[0].Min.X+4, chartColors[0]); math.Abs(h-1/1.08) > 0.03 {
		t.Errorf("the lone sample's dot at height %.3f, want %.3f", h, 1/1.08)
	}
}

// The PNG is 800x400 with the title in dark text across the middle of its
// top row, above the panels.
func TestChartPNG(t *testing.T) {
	if f := basicfont.Face7x13; f.Ascent+f.Descent != textH || f.Ascent != textAscent {
		t.Fatalf("the face's metrics changed: %+v", f.Metrics())
	}
	img := decodeChart(t, chartSeries{name: "cpu", samples: steps(60, func(i int) float64 { return float64(i) })})
	dark, sumX := 0, 0
	for y := range chartTitleH {
		for x := range chartW {
			if r, g, b, _ := img.At(x, y).RGBA(); r>>8 < 100 && g>>8 < 100 && b>>8 < 100 {
				dark++
				sumX += x
			}
		}
	}
	if dark < 100 {
		t.Fatalf("the title row has %d dark pixels", dark)
	}
	if mid := sumX / dark; mid < chartW/2-30 || mid > chartW/2+30 {
		t.Errorf("the title is centred on x=%d", mid)
	}
}

// A single row (to <= from) is drawn in a minute's width; values too large
// for an axis are an error, and values far off it are clipped, never a
// panic or a hang.
func TestChartEdges(t *testing.T) {
	one := []chartSeries{{name: "cpu", samples: []sample{{t: 1_764_000_000, v: 5}}}}
	if _, err := renderChart("test", 1_764_000_000, 1_764_000_000, one); err != nil {
		t.Errorf("one row: %v", err)
	}
	huge := []chartSeries{{name: "loadavg", samples: []sample{{t: 1_764_000_000, v: math.MaxFloat64}, {t: 1_764_000_060, v: 1}}}}
	if _, err := renderChart("test", 1_764_000_000, 1_764_000_060, huge); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("huge values: %v", err)
	}
	// below the axis, far off: clipped
	low := []chartSeries{{name: "cpu", samples: []sample{{t: 1_764_000_000, v: -math.MaxFloat64}, {t: 1_764_000_060, v: 1}, {t: 1_764_000_120, v: 50}}}}
	if _, err := renderChart("test", 1_764_000_000, 1_764_000_120, low); err != nil {
		t.Errorf("values far off: %v", err)
	}
	// labels of hundreds of digits
	wide := []chartSeries{{name: "loadavg", samples: []sample{{t: 1_764_000_000, v: 1}, {t: 1_764_000_060, v: 1e300}}}}
	if _, err := renderChart("test", 1_764_000_000, 1_764_000_060, wide); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Errorf("wide labels: %v", err)
	}
	if _, err := renderChart("test", 0, 60, nil); err == nil {
		t.Error("no series drew a chart")
	}
}
