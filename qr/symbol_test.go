package qr_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// servedScales are the module sizes the server uses.
var servedScales = []int{4, 8}

// randomPayloads returns n payloads with random NAVs and amounts spread
// evenly over the number of digits, from 1 cent to the 10-digit maximum,
// plus the edges.
func randomPayloads(t testing.TB, n int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	src := newSeeded(3)
	amounts := []int64{1, 5, 99, 100, 4200, qr.MaxAmountCents}
	for len(amounts) < n {
		digits := 1 + rng.IntN(10)
		lo, hi := int64(1), int64(1)
		for range digits {
			hi *= 10
		}
		lo = hi / 10
		amounts = append(amounts, lo+rng.Int64N(hi-lo))
	}
	var out []string
	for i, a := range amounts {
		seg := fmt.Sprintf("%02d", i%100)
		nav, err := notices.NewNAV(seg, src)
		if err != nil {
			t.Fatal(err)
		}
		s, err := qr.EncodePagoPA(qr.Payload{NAV: nav, FiscalCode: milan, AmountCents: a})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestPNGRoundTrip(t *testing.T) {
	t.Parallel()
	payloads := randomPayloads(t, 40)
	payloads = append(payloads, qr.LinkURL("https://multa.comune.milano.it", exampleNAV))
	for _, scale := range servedScales {
		for i, want := range payloads {
			b, err := qr.PNG(want, scale)
			if err != nil {
				t.Fatal(err)
			}
			if i%8 == 0 { // pixel by pixel is slow under -race: a sample suffices
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				checkSymbolImage(t, img, scale)
			}
			got, err := qr.DecodeBytes(b)
			if err != nil {
				t.Fatalf("scale %d, %q: %v", scale, want, err)
			}
			if got != want {
				t.Fatalf("scale %d: decoded %q, want %q", scale, got, want)
			}
			if _, err := qr.Parse(got); err != nil {
				t.Fatalf("Parse(%q): %v", got, err)
			}
		}
	}
}

// checkSymbolImage verifies what a phone relies on: only pure black and
// white, whole modules of scale pixels, and a white quiet zone of four
// modules on every side.
func checkSymbolImage(t testing.TB, img image.Image, scale int) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx()%scale != 0 {
		t.Fatalf("image is %v, not a square of whole modules of %d px", b, scale)
	}
	modules := b.Dx() / scale
	if (modules-2*qr.QuietZone-17)%4 != 0 || modules < 21+2*qr.QuietZone {
		t.Fatalf("%d modules is not a QR version plus quiet zone", modules)
	}
	dark := func(x, y int) bool {
		r, g, bb, _ := img.At(x, y).RGBA()
		switch {
		case r == 0 && g == 0 && bb == 0:
			return true
		case r == 0xffff && g == 0xffff && bb == 0xffff:
			return false
		}
		t.Fatalf("pixel (%d,%d) is neither black nor white", x, y)
		return false
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			d := dark(x, y)
			mx, my := x/scale, y/scale
			if d != dark(mx*scale, my*scale) {
				t.Fatalf("module (%d,%d) is not uniform", mx, my)
			}
			inQuiet := mx < qr.QuietZone || my < qr.QuietZone || mx >= modules-qr.QuietZone || my >= modules-qr.QuietZone
			if inQuiet && d {
				t.Fatalf("quiet zone module (%d,%d) is dark", mx, my)
			}
		}
	}
}

// svgRect matches one rectangle of the SVG path as SVG writes it.
var svgRect = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v(\d+)h-(\d+)z`)

// rasterSVG draws our SVG at scale pixels per module, reading its one path,
// so that the test checks the geometry the browser will draw.
func rasterSVG(t testing.TB, svg []byte, scale int) *image.Gray {
	t.Helper()
	var doc struct {
		XMLName     xml.Name   `xml:"svg"`
		Width       string     `xml:"width,attr"`
		ViewBox     string     `xml:"viewBox,attr"`
		ShapeRender string     `xml:"shape-rendering,attr"`
		Rects       []struct{} `xml:"rect"`
		Paths       []struct {
			D    string `xml:"d,attr"`
			Fill string `xml:"fill,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	if len(doc.Paths) != 1 || doc.Paths[0].Fill != "#000" || len(doc.Rects) != 1 {
		t.Fatalf("want one white rect and one black path, got %d rects, %d paths", len(doc.Rects), len(doc.Paths))
	}
	if doc.ShapeRender != "crispEdges" {
		t.Fatalf("shape-rendering = %q", doc.ShapeRender)
	}
	var n int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &n, &n); err != nil {
		t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
	}
	if doc.Width != strconv.Itoa(n*scale) {
		t.Fatalf("width %s for %d modules at scale %d", doc.Width, n, scale)
	}
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d := doc.Paths[0].D
	for d != "" {
		m := svgRect.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("unexpected path data at %.40q", d)
		}
		v := make([]int, 5)
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		x, y, w, h := v[0], v[1], v[2], v[3]
		if v[4] != w || x+w > n || y+h > n {
			t.Fatalf("bad rectangle %q", m[0])
		}
		for py := y * scale; py < (y+h)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{0})
			}
		}
		d = d[len(m[0]):]
	}
	return img
}

func TestSVGRoundTrip(t *testing.T) {
	t.Parallel()
	for _, want := range randomPayloads(t, 20) {
		for _, scale := range servedScales {
			svg := qr.SVG(want, scale)
			img := rasterSVG(t, svg, scale)
			if scale == servedScales[0] {
				checkSymbolImage(t, img, scale)
			}
			// The SVG draws exactly the modules of the PNG.
			pb, err := qr.PNG(want, scale)
			if err != nil {
				t.Fatal(err)
			}
			pimg, _ := png.Decode(bytes.NewReader(pb))
			if pimg.Bounds() != img.Bounds() {
				t.Fatalf("SVG raster %v, PNG %v", img.Bounds(), pimg.Bounds())
			}
			for y := 0; y < img.Bounds().Dy(); y += scale {
				for x := 0; x < img.Bounds().Dx(); x += scale {
					pr, _, _, _ := pimg.At(x, y).RGBA()
					if (img.GrayAt(x, y).Y == 0) != (pr == 0) {
						t.Fatalf("module (%d,%d) differs between SVG and PNG", x/scale, y/scale)
					}
				}
			}
			got, err := qr.Decode(img)
			if err != nil || got != want {
				t.Fatalf("decoded %q, %v; want %q", got, err, want)
			}
		}
	}
}

func TestSVGCompact(t *testing.T) {
	svg := qr.SVG(examplePayload, 4)
	rects := strings.Count(string(svg), "z")
	// A version-4 code has 41×41 modules, about half of them dark: merged
	// runs must need far fewer rectangles than there are dark modules.
	if rects == 0 || rects > 400 || len(svg) > 8000 {
		t.Fatalf("SVG has %d rectangles and %d bytes", rects, len(svg))
	}
}

func TestSymbolErrors(t *testing.T) {
	for _, scale := range []int{0, -1, qr.MaxModuleScale + 1} {
		_, err := qr.PNG(examplePayload, scale)
		wantCode(t, err, notices.EValidation)
	}
	_, err := qr.PNG("", 4)
	wantCode(t, err, notices.EValidation)
	long := strings.Repeat("x", 3000) // beyond the 2331 bytes of version 40-M
	_, err = qr.PNG(long, 4)
	wantCode(t, err, notices.EValidation)
	if qr.SVG(long, 4) != nil || qr.SVG("", 4) != nil {
		t.Fatal("SVG of unencodable content is not nil")
	}
	// A vector image only suggests a size: a bad scale is clamped.
	if a, b := qr.SVG(examplePayload, 0), qr.SVG(examplePayload, 1); !bytes.Equal(a, b) {
		t.Fatal("scale 0 is not clamped to 1")
	}
}

func TestCache(t *testing.T) {
	c := qr.NewCache(2)
	data, etag, err := c.Get(examplePayload, qr.FormatPNG, 4)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := qr.PNG(examplePayload, 4)
	if !bytes.Equal(data, direct) {
		t.Fatal("cached PNG differs from PNG()")
	}
	sum := sha256.Sum256(data)
	if want := `"` + hex.EncodeToString(sum[:16]) + `"`; etag != want {
		t.Fatalf("ETag %s, want the strong tag %s", etag, want)
	}
	again, etag2, _ := c.Get(examplePayload, qr.FormatPNG, 4)
	if &again[0] != &data[0] || etag2 != etag {
		t.Fatal("second Get did not hit the cache")
	}
	svg, svgTag, err := c.Get(examplePayload, qr.FormatSVG, 4)
	if err != nil || !bytes.Equal(svg, qr.SVG(examplePayload, 4)) || svgTag == etag {
		t.Fatalf("SVG from cache: %v", err)
	}
	_, _, _ = c.Get(examplePayload, qr.FormatPNG, 8)
	if c.Len() != 2 {
		t.Fatalf("Len = %d, want the bound 2", c.Len())
	}
	// The first entry was least recently used, so it was evicted and is
	// drawn again: same bytes, different backing array.
	third, _, _ := c.Get(examplePayload, qr.FormatPNG, 4)
	if &third[0] == &data[0] || !bytes.Equal(third, data) {
		t.Fatal("evicted entry was not re-rendered identically")
	}

	_, _, err = c.Get(examplePayload, "gif", 4)
	wantCode(t, err, notices.EValidation)
	_, _, err = c.Get(examplePayload, qr.FormatSVG, 99)
	wantCode(t, err, notices.EValidation)
	_, _, err = c.Get("", qr.FormatSVG, 4)
	wantCode(t, err, notices.EValidation)
	if qr.ContentType(qr.FormatPNG) != "image/png" || qr.ContentType(qr.FormatSVG) != "image/svg+xml" {
		t.Fatal("content types")
	}
}

func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := qr.NewCache(8)
	payloads := randomPayloads(t, 6)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				p := payloads[(g+i)%len(payloads)]
				format := []string{qr.FormatPNG, qr.FormatSVG}[i%2]
				data, etag, err := c.Get(p, format, 4)
				if err != nil || len(data) == 0 || etag == "" {
					t.Errorf("Get: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() > 8 {
		t.Fatalf("Len = %d beyond the bound", c.Len())
	}
}
