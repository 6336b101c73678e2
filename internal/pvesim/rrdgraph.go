package pvesim

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// The colours of create_rrd_graph's LINE2 definitions, in ds order.
var rrdGraphColors = []color.RGBA{{0x00, 0xdd, 0xff, 0xff}, {0xff, 0x00, 0x00, 0xff}}

type graphLine struct {
	color color.RGBA
	ys    []float64 // NaN = gap
}

// Geometry of the graph: --width 800 --height 200 --full-size-mode --border 0.
const (
	graphW, graphH             = 800, 200
	graphLeft, graphRight      = 50, 10
	graphTop, graphBottom      = 10, 25
	graphGridX, graphGridY int = 10, 5
)

// renderGraph draws the lines over a grid, y from 0 (--lower-limit 0) to a
// little above the largest value, like rrdtool's autoscale; no text, as
// there are no fonts to draw with.
func renderGraph(times []int64, lines []graphLine) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, graphW, graphH))
	fill(img, image.Rect(0, 0, graphW, graphH), color.RGBA{0xf5, 0xf5, 0xf5, 0xff})
	plot := image.Rect(graphLeft, graphTop, graphW-graphRight, graphH-graphBottom)
	fill(img, plot, color.RGBA{0xff, 0xff, 0xff, 0xff})
	grid := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	for i := 0; i <= graphGridX; i++ {
		x := plot.Min.X + i*(plot.Dx()-1)/graphGridX
		fill(img, image.Rect(x, plot.Min.Y, x+1, plot.Max.Y), grid)
	}
	for i := 0; i <= graphGridY; i++ {
		y := plot.Min.Y + i*(plot.Dy()-1)/graphGridY
		fill(img, image.Rect(plot.Min.X, y, plot.Max.X, y+1), grid)
	}
	axis := color.RGBA{0x44, 0x44, 0x44, 0xff}
	fill(img, image.Rect(plot.Min.X-1, plot.Min.Y, plot.Min.X, plot.Max.Y+1), axis)
	fill(img, image.Rect(plot.Min.X-1, plot.Max.Y, plot.Max.X, plot.Max.Y+1), axis)

	top := 0.0
	for _, ln := range lines {
		for _, y := range ln.ys {
			if !math.IsNaN(y) {
				top = max(top, y)
			}
		}
	}
	if top <= 0 {
		top = 1
	}
	top *= 1.1
	if len(times) > 1 {
		t0, t1 := float64(times[0]), float64(times[len(times)-1])
		px := func(t int64) int { return plot.Min.X + int((float64(t)-t0)/(t1-t0)*float64(plot.Dx()-1)) }
		py := func(v float64) int { return plot.Max.Y - 1 - int(v/top*float64(plot.Dy()-1)) }
		for _, ln := range lines {
			for i := 1; i < len(ln.ys); i++ {
				a, b := ln.ys[i-1], ln.ys[i]
				if math.IsNaN(a) || math.IsNaN(b) {
					continue
				}
				drawLine(img, px(times[i-1]), py(a), px(times[i]), py(b), ln.color)
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// drawLine draws a 2 px line (LINE2) from (x0,y0) to (x1,y1).
func drawLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		fill(img, image.Rect(x, y, x+2, y+2), c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
