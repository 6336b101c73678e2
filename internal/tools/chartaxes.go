package tools

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"time"
)

// Axis geometry, in pixels.
const (
	axisGap   = 3 // between the data area and the axis lines
	tickLen   = 5 // a labelled tick; a minor one is half as long
	labelGap  = 3 // between a tick and its label
	lineWidth = 2 // the series' lines
	dotRadius = 2.5
)

var (
	axisColor = color.Gray{Y: 80}
	gridColor = color.Gray{Y: 222}
)

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
	if !(max > min) || math.IsInf(max-min, 0) { // an infinite range would never end
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
func (a axis) at(v, lo, hi float64) float64 {
	return lo + (v-a.min)/(a.max-a.min)*(hi-lo)
}

// inside is where the value v falls between the pixels lo and hi, and
// whether it falls there at all.
func (a axis) inside(v float64, lo, hi int) (int, bool) {
	p := a.at(v, float64(lo), float64(hi))
	if p < float64(min(lo, hi))-0.01 || p > float64(max(lo, hi))+0.01 {
		return 0, false
	}
	return int(math.Floor(p)), true
}

// widest is the width of the widest label of ticks.
func widest(ticks []tick) int {
	w := 0
	for _, t := range ticks {
		w = max(w, textW(t.Label))
	}
	return w
}

// drawXAxis draws the axis line under the data area da, its ticks and
// their labels below; a label that would run into the one before it (the
// face is wider than the ticks were chosen for) is left out.
func drawXAxis(c *canvas, a axis, da image.Rectangle) {
	y := da.Max.Y + axisGap
	c.fill(image.Rect(da.Min.X, y, da.Max.X, y+1), axisColor)
	last := math.MinInt
	for _, t := range a.ticks {
		x, ok := a.inside(t.Value, da.Min.X, da.Max.X)
		if !ok {
			continue
		}
		if t.Label == "" {
			c.fill(image.Rect(x, y+1, x+1, y+1+tickLen/2), axisColor)
			continue
		}
		c.fill(image.Rect(x, y+1, x+1, y+1+tickLen), axisColor)
		if l := x - textW(t.Label)/2; l >= last+textW(" ") { // l: as text centres it
			c.text(t.Label, x, y+1+tickLen+labelGap, 0.5, 0)
			last = l + textW(t.Label)
		}
	}
}

// drawYAxis draws the axis line left of the data area da, its ticks, their
// labels (but one that would touch the one below) and, turned, the axis
// label at left (the cell's left edge).
func drawYAxis(c *canvas, a axis, da image.Rectangle, left int) {
	x := da.Min.X - axisGap - 1
	c.fill(image.Rect(x, da.Min.Y, x+1, da.Max.Y), axisColor)
	last := math.MaxInt
	for _, t := range a.ticks {
		y, ok := a.inside(t.Value, da.Max.Y, da.Min.Y)
		if !ok {
			continue
		}
		if t.Label == "" {
			c.fill(image.Rect(x-tickLen/2, y, x, y+1), axisColor)
			continue
		}
		c.fill(image.Rect(x-tickLen, y, x, y+1), axisColor)
		if top := y - textH/2; top+textH < last { // top: as text centres it
			c.text(t.Label, x-tickLen-labelGap, y, 1, 0.5)
			last = top
		}
	}
	if a.label != "" {
		c.textUp(fit(a.label, da.Dy()), left+textH/2, (da.Min.Y+da.Max.Y)/2)
	}
}

// drawGrid draws light lines across the data area at the labelled ticks.
func drawGrid(c *canvas, x, y axis, da image.Rectangle) {
	for _, t := range x.ticks {
		if px, ok := x.inside(t.Value, da.Min.X, da.Max.X); ok && t.Label != "" {
			c.fill(image.Rect(px, da.Min.Y, px+1, da.Max.Y), gridColor)
		}
	}
	for _, t := range y.ticks {
		if py, ok := y.inside(t.Value, da.Max.Y, da.Min.Y); ok && t.Label != "" {
			c.fill(image.Rect(da.Min.X, py, da.Max.X, py+1), gridColor)
		}
	}
}

// drawLegend lists the series' names with their lines' colours at the top
// left of the data area.
func drawLegend(c *canvas, names []string, da image.Rectangle) {
	const thumb, xoff, yoff = 20, 6, 3
	iconX := da.Min.X + xoff
	textX := iconX + thumb + textW(" ")
	for i, n := range names {
		top := da.Min.Y + yoff + i*textH
		if top+textH > da.Max.Y {
			break // no room for more
		}
		mid := top + textH/2
		c.fill(image.Rect(iconX, mid-lineWidth/2, iconX+thumb, mid-lineWidth/2+lineWidth), chartColors[i%len(chartColors)])
		c.text(fit(n, da.Max.X-textX), textX, top, 0, 0)
	}
}
