package tools

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"sync"
	"time"

	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The charts' one face, Liberation Serif (gonum/plot's default), parsed
// on the first chart rather than at start-up: package plot parses all 12
// Liberation faces in its init, which every run paid for.
var chartFonts = sync.OnceValues(func() (*font.Cache, error) {
	face, err := opentype.Parse(liberationserifregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("parse the chart font: %w", err)
	}
	return font.NewCache(font.Collection{{Font: chartFont, Face: face}}), nil
})

var chartFont = font.Font{Typeface: "Liberation", Variant: "Serif"}

// Axis geometry, as gonum/plot's defaults.
const (
	axisWidth   = 0.5 // the axis and tick lines
	tickLength  = 8
	axisPadding = 5 // between the axis line and the data
	lineWidth   = 2
)

var (
	gridStyle = draw.LineStyle{Color: color.Gray{Y: 128}, Width: 0.25}
	axisStyle = draw.LineStyle{Color: color.Black, Width: axisWidth}
)

// textStyle is black text of size pt, aligned as given.
func textStyle(fonts *font.Cache, pt float64, x text.XAlignment, y text.YAlignment) text.Style {
	f := chartFont
	f.Size = vg.Length(pt)
	return text.Style{Color: color.Black, Font: f, XAlign: x, YAlign: y, Handler: text.Plain{Fonts: fonts}}
}

// tick is a mark on an axis; one without a label is a minor tick.
type tick struct {
	Value float64
	Label string
}

type ticker func(min, max float64) []tick

func (f ticker) Ticks(min, max float64) []tick { return f(min, max) }

// valueTicks marks [min, max] at about 3 to 6 round values (1, 2, 2.5 or
// 5 times a power of ten), labelled, with unlabelled minor ticks between.
func valueTicks(min, max float64) []tick {
	if !(max > min) {
		return nil
	}
	var step, q float64
	mag := int(math.Floor(math.Log10(max - min)))
	for _, p := range []int{mag - 1, mag} {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step, q = m*math.Pow10(p), m
			if (max-min)/step <= 5 {
				goto found
			}
		}
	}
	step, q = 10*math.Pow10(mag), 1
found:
	exp := int(math.Floor(math.Log10(step)))
	prec := max0(-exp)
	if q == 2.5 {
		prec = max0(1 - exp)
	}
	minor := step / 5
	if q == 2 {
		minor = step / 2
	}
	var ticks []tick
	first := math.Ceil(min/minor-1e-9) * minor
	for i := 0; ; i++ {
		v := first + float64(i)*minor
		if v > max+minor*1e-9 {
			break
		}
		t := tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = strconv.FormatFloat(math.Round(r)*step, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func max0(n int) int { return max(n, 0) }

// timeTicks marks round times, about want of them over [from, to], in a
// format that suits the span: hours (midnight as the date), days, months.
func timeTicks(from, to int64, want int) ticker {
	return func(float64, float64) []tick {
		span := to - from
		var ticks []tick
		if span > 60*86400 {
			t := time.Unix(from, 0).UTC()
			every := max(1, int(math.Ceil(float64(span)/(30*86400)/float64(want))))
			for m := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC); m.Unix() <= to; m = m.AddDate(0, every, 0) {
				ticks = append(ticks, tick{Value: float64(m.Unix()), Label: m.Format("Jan 2006")})
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
			ticks = append(ticks, tick{Value: float64(t), Label: label})
		}
		return ticks
	}
}

// axis is one panel's axis: its range, ticks and label.
type axis struct {
	min, max float64
	ticks    []tick
	label    string
	div      float64 // values are divided by it to the axis' unit
}

// at maps a value to a position between lo and hi.
func (a axis) at(v float64, lo, hi vg.Length) vg.Length {
	return lo + vg.Length((v-a.min)/(a.max-a.min))*(hi-lo)
}

// widest is the largest width and height of the labels of ticks.
func widest(sty text.Style, ticks []tick) (w, h vg.Length) {
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		r := sty.Rectangle(t.Label)
		w, h = max(w, r.Max.X-r.Min.X), max(h, r.Max.Y-r.Min.Y)
	}
	return w, h
}

// drawXAxis draws the axis line under the data area da, its ticks and
// their labels below.
func drawXAxis(c *draw.Canvas, sty text.Style, a axis, da vg.Rectangle) {
	y := da.Min.Y - axisPadding - axisWidth/2
	c.StrokeLine2(axisStyle, da.Min.X, y, da.Max.X, y)
	descent := sty.FontExtents().Descent
	for _, t := range a.ticks {
		x := a.at(t.Value, da.Min.X, da.Max.X)
		if x < da.Min.X-0.01 || x > da.Max.X+0.01 {
			continue
		}
		if t.Label == "" {
			c.StrokeLine2(axisStyle, x, y, x, y-tickLength/2)
			continue
		}
		c.StrokeLine2(axisStyle, x, y, x, y-tickLength)
		c.FillText(sty, vg.Point{X: x, Y: y - tickLength + descent}, t.Label)
	}
}

// drawYAxis draws the axis line left of the data area da, its ticks, their
// labels and, rotated, the axis label at left (the cell's left edge).
func drawYAxis(c *draw.Canvas, sty, label text.Style, a axis, da vg.Rectangle, left vg.Length) {
	x := da.Min.X - axisPadding - axisWidth/2
	c.StrokeLine2(axisStyle, x, da.Min.Y, x, da.Max.Y)
	descent := sty.FontExtents().Descent
	for _, t := range a.ticks {
		y := a.at(t.Value, da.Min.Y, da.Max.Y)
		if y < da.Min.Y-0.01 || y > da.Max.Y+0.01 {
			continue
		}
		if t.Label == "" {
			c.StrokeLine2(axisStyle, x, y, x-tickLength/2, y)
			continue
		}
		c.StrokeLine2(axisStyle, x, y, x-tickLength, y)
		c.FillText(sty, vg.Point{X: x - tickLength - sty.Width(" "), Y: y + descent}, t.Label)
	}
	if a.label != "" {
		label.Rotation = math.Pi / 2
		d := label.FontExtents().Descent
		c.FillText(label, vg.Point{X: left + label.Height(a.label) - d, Y: (da.Min.Y + da.Max.Y) / 2}, a.label)
	}
}

// drawGrid draws grey lines across the data area at the labelled ticks.
func drawGrid(c *draw.Canvas, x, y axis, da vg.Rectangle) {
	for _, t := range x.ticks {
		if px := x.at(t.Value, da.Min.X, da.Max.X); t.Label != "" && px >= da.Min.X && px <= da.Max.X {
			c.StrokeLine2(gridStyle, px, da.Min.Y, px, da.Max.Y)
		}
	}
	for _, t := range y.ticks {
		if py := y.at(t.Value, da.Min.Y, da.Max.Y); t.Label != "" && py >= da.Min.Y && py <= da.Max.Y {
			c.StrokeLine2(gridStyle, da.Min.X, py, da.Max.X, py)
		}
	}
}

// drawLegend lists the series' names with their lines' colours at the top
// left of the data area, as gonum/plot's legend did.
func drawLegend(c *draw.Canvas, sty text.Style, names []string, da vg.Rectangle) {
	const thumb, xoff, yoff = 20, 4, -2
	var enth vg.Length
	for _, n := range names {
		enth = max(enth, sty.Rectangle(n).Max.Y)
	}
	descent := sty.FontExtents().Descent
	iconX := da.Min.X + xoff
	textX := iconX + thumb + sty.Rectangle(" ").Max.X
	y := da.Max.Y - enth - descent + yoff
	for i, n := range names {
		mid := y + enth/2
		c.StrokeLine2(draw.LineStyle{Color: chartColors[i%len(chartColors)], Width: lineWidth}, iconX, mid, iconX+thumb, mid)
		c.FillText(sty, vg.Point{X: textX, Y: y + (enth-descent-sty.Rectangle(n).Max.Y)/2 + descent}, n)
		y -= enth
	}
}
