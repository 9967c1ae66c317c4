// Package icon draws Multa's app icons: a deep-blue rounded badge carrying a
// white ticket with a stylised "M". It uses only the standard library, and
// its output is deterministic, so the committed PNGs can be checked against it.
package icon

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// Accent is the app's one accent colour (deep blue), as in app.css.
var Accent = color.NRGBA{R: 0x0b, G: 0x3d, B: 0x91, A: 0xff}

// File is one icon to generate.
type File struct {
	Name     string // file name under static/assets/icons/
	Size     int    // width and height in pixels
	Maskable bool   // full-bleed background, content inside the safe zone
}

// Files are the icons the app ships.
var Files = []File{
	{"icon-32.png", 32, false},
	{"icon-180.png", 180, true}, // apple-touch-icon: iOS rounds the corners itself
	{"icon-192.png", 192, false},
	{"icon-512.png", 512, false},
	{"maskable-192.png", 192, true},
	{"maskable-512.png", 512, true},
}

// Draw renders the icon at size×size pixels, anti-aliased with 4×4
// supersampling. A maskable icon fills the square and keeps the ticket
// within the central safe circle (80% of the size).
func Draw(size int, maskable bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	inset, scale := 0.15, 0.70
	if maskable {
		inset, scale = 0.22, 0.56
	}
	white := color.NRGBA{255, 255, 255, 255}
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var bg, fg, mk int
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					if !maskable && !inRoundRect(x, y, 0, 0, 1, 1, 0.22) {
						continue
					}
					bg++
					cx, cy := (x-inset)/scale, (y-inset)/scale
					if inTicket(cx, cy) {
						fg++
						if inPolygon(cx, cy, letterM) {
							mk++
						}
					}
				}
			}
			n := ss * ss
			if bg == 0 {
				continue
			}
			// Composite: blue background, white ticket, blue letter.
			wt := float64(fg-mk) / float64(bg)
			r := mix(Accent.R, white.R, wt)
			g := mix(Accent.G, white.G, wt)
			b := mix(Accent.B, white.B, wt)
			img.SetNRGBA(px, py, color.NRGBA{r, g, b, uint8(math.Round(255 * float64(bg) / float64(n)))})
		}
	}
	return img
}

func mix(a, b uint8, t float64) uint8 {
	return uint8(math.Round(float64(a)*(1-t) + float64(b)*t))
}

// letterM is a geometric M in the ticket's coordinates.
var letterM = [][2]float64{
	{0.25, 0.68}, {0.25, 0.32}, {0.35, 0.32}, {0.5, 0.5}, {0.65, 0.32}, {0.75, 0.32},
	{0.75, 0.68}, {0.66, 0.68}, {0.66, 0.47}, {0.5, 0.65}, {0.34, 0.47}, {0.34, 0.68},
}

// inTicket is a rounded rectangle with a half-round notch on each side.
func inTicket(x, y float64) bool {
	if !inRoundRect(x, y, 0.02, 0.18, 0.98, 0.82, 0.08) {
		return false
	}
	const r = 0.09
	if math.Hypot(x-0.02, y-0.5) < r || math.Hypot(x-0.98, y-0.5) < r {
		return false
	}
	return true
}

func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}

// inPolygon is the even-odd rule.
func inPolygon(x, y float64, pts [][2]float64) bool {
	in := false
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		xi, yi, xj, yj := pts[i][0], pts[i][1], pts[j][0], pts[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// PNG encodes the icon at best compression.
func PNG(size int, maskable bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, Draw(size, maskable)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
