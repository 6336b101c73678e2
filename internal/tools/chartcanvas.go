package tools

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// canvas is the chart's image and what draws on it. All text is in one
// bitmap face, basicfont's 7x13: no font file to embed or parse.
type canvas struct {
	img *image.RGBA
	ras *vector.Rasterizer // reused for every series' lines
}

// Text metrics of basicfont.Face7x13, in pixels.
const (
	textH      = 13 // a line of text, ascent and descent
	textAscent = 11 // from the top of the line to the baseline
)

func newCanvas(w, h int) *canvas {
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), ras: &vector.Rasterizer{}}
	draw.Draw(c.img, c.img.Bounds(), image.White, image.Point{}, draw.Src)
	return c
}

// textW is the width of s in pixels.
func textW(s string) int { return font.MeasureString(basicfont.Face7x13, s).Ceil() }

// fit shortens s with "..." to at most w pixels.
func fit(s string, w int) string {
	if textW(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textW(string(r)+"...") > w {
		r = r[:len(r)-1]
	}
	if len(r) == 0 {
		return ""
	}
	return string(r) + "..."
}

// text draws s in black with its box (textW(s) by textH) placed at (x, y)
// less ax of its width and ay of its height: ax 0.5 centres it on x,
// ay 0.5 on y.
func (c *canvas) text(s string, x, y int, ax, ay float64) {
	x -= int(ax * float64(textW(s)))
	y -= int(ay * textH)
	d := font.Drawer{Dst: c.img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y+textAscent)}
	d.DrawString(s)
}

// textUp draws s turned a quarter left (read bottom to top), its box
// (textH by textW(s)) centred on (x, y). The face cannot be turned, so
// the text is drawn level into a mask that is turned.
func (c *canvas) textUp(s string, x, y int) {
	w := textW(s)
	if w == 0 {
		return
	}
	level := image.NewAlpha(image.Rect(0, 0, w, textH))
	d := font.Drawer{Dst: level, Src: image.Opaque, Face: basicfont.Face7x13, Dot: fixed.P(0, textAscent)}
	d.DrawString(s)
	up := image.NewAlpha(image.Rect(0, 0, textH, w))
	for i := range w {
		for j := range textH {
			up.Pix[(w-1-i)*up.Stride+j] = level.Pix[j*level.Stride+i]
		}
	}
	r := image.Rect(x-textH/2, y-w/2, x-textH/2+textH, y-w/2+w)
	draw.DrawMask(c.img, r, image.Black, image.Point{}, up, image.Point{}, draw.Over)
}

// fill paints r in col, pixel-sharp: axes, ticks and grid lines.
func (c *canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// xy is a point in pixels, y down.
type xy struct{ x, y float64 }

// stroke draws, anti-aliased and inside clip only, lines through the
// points of each of lines (w wide, with round joins) and a dot of radius
// r at each of dots, all in col.
func (c *canvas) stroke(clip image.Rectangle, col color.Color, w float64, lines [][]xy, r float64, dots []xy) {
	clip = clip.Intersect(c.img.Bounds()) // the rasterizer writes all of clip
	if clip.Empty() {
		return
	}
	c.ras.Reset(clip.Dx(), clip.Dy())
	o := xy{float64(clip.Min.X), float64(clip.Min.Y)}
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			c.segment(sub(l[i-1], o), sub(l[i], o), w/2)
		}
		for i := 1; i < len(l)-1; i++ {
			c.disc(sub(l[i], o), w/2)
		}
	}
	for _, d := range dots {
		c.disc(sub(d, o), r)
	}
	c.ras.Draw(c.img, clip, image.NewUniform(col), image.Point{})
}

// sub is p less o, kept within ten thousand pixels of the clip so
// that a wild value cannot overflow the rasterizer's float32s.
func sub(p, o xy) xy {
	const far = 1e4
	return xy{min(max(p.x-o.x, -far), far), min(max(p.y-o.y, -far), far)}
}

// segment adds the rectangle around the line from p to q, hw either side.
func (c *canvas) segment(p, q xy, hw float64) {
	dx, dy := q.x-p.x, q.y-p.y
	l := math.Hypot(dx, dy)
	if l < 1e-9 {
		return
	}
	nx, ny := -dy/l*hw, dx/l*hw
	c.polygon([]xy{{p.x + nx, p.y + ny}, {q.x + nx, q.y + ny}, {q.x - nx, q.y - ny}, {p.x - nx, p.y - ny}})
}

// disc adds a 16-sided circle of radius r around p.
func (c *canvas) disc(p xy, r float64) {
	pts := make([]xy, 16)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(len(pts))
		pts[i] = xy{p.x + r*math.Cos(a), p.y + r*math.Sin(a)}
	}
	c.polygon(pts)
}

// polygon adds a closed path, always wound the same way: the rasterizer
// adds up signed coverage, so overlapping shapes wound in opposite ways
// would cancel out into holes.
func (c *canvas) polygon(pts []xy) {
	var area float64
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		area += p.x*q.y - q.x*p.y
	}
	if area > 0 {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	c.ras.MoveTo(float32(pts[0].x), float32(pts[0].y))
	for _, p := range pts[1:] {
		c.ras.LineTo(float32(p.x), float32(p.y))
	}
	c.ras.ClosePath()
}
