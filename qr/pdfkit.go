package qr

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/multa/multa/notices"
)

// This file holds the drawing helpers shared by the notice and the
// receipt: text in the embedded DejaVu Sans (fonts.go), wrapped and
// fitted text, and vector QR codes.

// Colours: pagoPA's dark blue-grey for text, its blue for accents, a grey
// for the English lines so that Italian readers can skip them.
var (
	colText   = [3]int{0x17, 0x32, 0x4d}
	colAccent = [3]int{0x00, 0x66, 0xcc}
	colMuted  = [3]int{0x5c, 0x6f, 0x82}
	colTint   = [3]int{0xe6, 0xf0, 0xfa}
	colRule   = [3]int{0xc5, 0xd0, 0xdb}
)

// ptToMM converts a font size to millimetres.
const ptToMM = 25.4 / 72

// page wraps an fpdf document whose text is UTF-8 in DejaVu Sans.
type page struct {
	*fpdf.Fpdf
	// mono prints every colour black, for thermal printers, which
	// dither colours and greys into speckles.
	mono bool
}

func (p *page) ink(c [3]int) [3]int {
	if p.mono {
		return [3]int{0, 0, 0}
	}
	return c
}

// newPage starts a one-page document of w×h millimetres. Fixed dates make
// the same input give the same bytes, which lets the adapter cache and tag
// them.
func newPage(w, h float64, title string, created time.Time) *page {
	f := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	f.SetCellMargin(0)
	if created.IsZero() {
		created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetTitle(title, true)
	f.SetCreator("Multa", true)
	f.SetCatalogSort(true) // fonts and images in a fixed order: same input, same bytes
	f.SetLang("it-IT")
	f.AddPage()
	f.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	f.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	f.AddUTF8FontFromBytes(fontFamily, "I", fontOblique)
	p := &page{Fpdf: f}
	p.SetFont(fontFamily, "", 10)
	return p
}

// font selects DejaVu Sans in style ("", "B", "I") and size (pt) and a
// text colour.
func (p *page) font(style string, size float64, col [3]int) {
	p.SetFont(fontFamily, style, size)
	col = p.ink(col)
	p.SetTextColor(col[0], col[1], col[2])
}

// enc prepares user text for the page: control characters, which user
// text (a place typed by an officer) may contain and which a PDF string
// must not, become spaces, and characters the font lacks a visible
// replacement (see printable).
func (p *page) enc(s string) string { return printable(s) }

// lineH is the line height, in mm, for the current font size.
func (p *page) lineH() float64 {
	size, _ := p.GetFontSize()
	return size * ptToMM * 1.22
}

// fit shortens s (already translated) with an ellipsis until it is at most
// w wide, so that no text ever runs past its box.
func (p *page) fit(s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	const ellipsis = "…"
	r := []rune(s)
	for len(r) > 0 && p.GetStringWidth(string(r)+ellipsis) > w {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ") + ellipsis
}

// text writes one line of s in a w-wide cell whose top is y, aligned "L",
// "C" or "R", shortened to fit. It returns the y below the line.
func (p *page) text(x, y, w float64, align, s string) float64 {
	h := p.lineH()
	p.SetXY(x, y)
	p.CellFormat(w, h, p.fit(p.enc(s), w), "", 0, align, false, 0, "")
	return y + h
}

// wrap writes s over at most maxLines lines of width w (0 for no limit),
// the last one shortened if the text is longer. It returns the y below.
func (p *page) wrap(x, y, w float64, align, s string, maxLines int) float64 {
	lines := p.SplitText(p.enc(s), w) // by runes: SplitLines counts bytes
	h := p.lineH()
	for i, l := range lines {
		if maxLines > 0 && i == maxLines-1 && len(lines) > maxLines {
			l = p.fit(strings.Join(lines[i:], " "), w)
		}
		p.SetXY(x, y)
		p.CellFormat(w, h, l, "", 0, align, false, 0, "")
		y += h
		if maxLines > 0 && i == maxLines-1 {
			break
		}
	}
	return y
}

// pair writes an Italian text followed by its English translation in
// grey, on one line when both fit, as the labels of a bilingual notice.
func (p *page) pair(x, y, w float64, it, en string, size float64) float64 {
	p.font("B", size, colText)
	itW := p.GetStringWidth(p.enc(it))
	p.text(x, y, w, "L", it)
	if en == "" {
		return y + p.lineH()
	}
	p.font("", size, colMuted)
	sep := " · " + en
	p.text(x+itW, y, max(0, w-itW), "L", sep)
	return y + p.lineH()
}

// rule draws a horizontal line.
func (p *page) rule(x, y, w float64, col [3]int, width float64) {
	col = p.ink(col)
	p.SetDrawColor(col[0], col[1], col[2])
	p.SetLineWidth(width)
	p.Line(x, y, x+w, y)
}

// vectorQR is a QR symbol ready to be drawn as filled rectangles: a
// printed code stays sharp at any printer resolution, unlike an embedded
// bitmap that the printer would resample.
type vectorQR struct {
	modules int // side in modules, quiet zone included
	rects   []rect
}

func newVectorQR(content string) (vectorQR, error) {
	bm, err := bitmap(content, "qr.NoticePDF")
	if err != nil {
		return vectorQR{}, err
	}
	return vectorQR{len(bm), runs(bm)}, nil
}

// outer is the side, quiet zone included, when the symbol proper (the dark
// area without the quiet zone) is size wide.
func (q vectorQR) outer(size float64) float64 {
	return size * float64(q.modules) / float64(q.modules-2*QuietZone)
}

// draw paints the quiet zone white and the modules black as one filled
// path, with the quiet zone's top-left corner at (x, y) and the symbol
// proper size wide. One path means one fill: no hairline seams between
// rectangles in rasterisers that anti-alias each fill separately.
func (p *page) drawQR(q vectorQR, x, y, size float64) {
	m := size / float64(q.modules-2*QuietZone)
	o := q.outer(size)
	p.SetFillColor(255, 255, 255)
	p.Rect(x, y, o, o, "F")
	p.SetFillColor(0, 0, 0)
	for _, r := range q.rects {
		x0, y0 := x+float64(r.x)*m, y+float64(r.y)*m
		x1, y1 := x0+float64(r.w)*m, y0+float64(r.h)*m
		p.MoveTo(x0, y0)
		p.LineTo(x1, y0)
		p.LineTo(x1, y1)
		p.LineTo(x0, y1)
		p.ClosePath()
	}
	p.DrawPath("f")
}

// finish writes the document, turning fpdf's sticky error into ours.
func (p *page) finish(w io.Writer, op string) error {
	if err := p.Output(w); err != nil {
		return &notices.Error{Code: notices.EInternal, Op: op, Err: err}
	}
	return nil
}

// Euro formats cents the Italian way: "€ 1.234,56". Negative amounts get
// a minus sign after the symbol.
func Euro(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("€ %s%s,%02d", sign, b.String(), cents%100)
}

// itDate writes a day as Italians do: 10/03/2026.
func itDate(d notices.Date) string {
	if d.IsZero() {
		return "–"
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}
