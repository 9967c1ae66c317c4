package server_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// photograph turns a clean image into something like a phone photo of
// it: placed on a grey desk, rotated a few degrees, blurred, with sensor
// noise, then JPEG-compressed.
func photograph(src image.Image, degrees float64, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := src.Bounds()
	pad := b.Dx() / 4
	w, h := b.Dx()+2*pad, b.Dy()+2*pad
	out := image.NewGray(image.Rect(0, 0, w, h))
	sin, cos := math.Sincos(degrees * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Inverse rotation: where in the source does this pixel come from?
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := cos*dx + sin*dy + float64(b.Dx())/2
			sy := -sin*dx + cos*dy + float64(b.Dy())/2
			v := 150.0 // the desk
			if sx >= 0 && sy >= 0 && int(sx) < b.Dx() && int(sy) < b.Dy() {
				v = float64(color.GrayModel.Convert(src.At(b.Min.X+int(sx), b.Min.Y+int(sy))).(color.Gray).Y)
			}
			out.Pix[y*w+x] = uint8(v)
		}
	}
	blurred := image.NewGray(out.Rect)
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			sum := 0
			for ky := -1; ky <= 1; ky++ {
				for kx := -1; kx <= 1; kx++ {
					sum += int(out.Pix[(y+ky)*w+x+kx])
				}
			}
			n := sum/9 + rng.IntN(41) - 20
			blurred.Pix[y*w+x] = uint8(min(255, max(0, n)))
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, blurred, &jpeg.Options{Quality: 70})
	return buf.Bytes()
}

func TestScanPhotoOfServedQRCode(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	nav := navs(fine)["reduced"]
	for _, kind := range []string{"pagopa", "link"} {
		r := e.do("GET", "/api/v1/notices/"+nav+"/qr.png?kind="+kind+"&scale=6", nil)
		if r.status != 200 || r.header.Get("ETag") == "" {
			t.Fatalf("qr.png: %d %v", r.status, r.header)
		}
		if again := e.do("GET", "/api/v1/notices/"+nav+"/qr.png?kind="+kind+"&scale=6", nil, "If-None-Match", r.header.Get("ETag")); again.status != 304 {
			t.Errorf("conditional GET: %d, want 304", again.status)
		}
		img, err := png.Decode(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		got := e.do("POST", "/api/v1/scan", photograph(img, 7, 1), "Content-Type", "image/jpeg")
		if got.status != 200 {
			t.Fatalf("scan %s: %d %s", kind, got.status, got.body)
		}
		m := got.json(t)
		if m["kind"] != kind || m["noticeNumber"] != nav {
			t.Errorf("scan %s = %v", kind, m)
		}
		if kind == "pagopa" && (m["amountCents"] != 16147.0 || m["fiscalCode"] != "01199250158") {
			t.Errorf("pagoPA scan = %v, want the reduced amount and the creditor", m)
		}
	}
	blank := image.NewGray(image.Rect(0, 0, 400, 300))
	draw.Draw(blank, blank.Rect, image.White, image.Point{}, draw.Src)
	if r := e.do("POST", "/api/v1/scan", photograph(blank, 0, 2), "Content-Type", "image/jpeg"); r.status != 422 || r.code(t) != "no_code_found" {
		t.Errorf("blank photo: %d %s", r.status, r.body)
	}
}

// TestScanPhotoOfPrintedNotice prints the A4 notice to PDF, renders it as
// a printer and a phone camera would, and reads it back through the API.
func TestScanPhotoOfPrintedNotice(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	fine := issueNightSpeeding(e, bearer)
	n := navs(fine)
	r := e.do("GET", "/api/v1/fines/"+fine["id"].(string)+"/notice.pdf?format=a4", nil, "Authorization", bearer)
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("notice.pdf: %d %s", r.status, r.header)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "notice.pdf")
	os.WriteFile(pdf, r.body, 0o600)
	if out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output(); err == nil {
		text := string(out)
		for _, want := range []string{groups(n["reduced"]), groups(n["minimum"]), "161,47", "230,67"} {
			if !strings.Contains(text, want) {
				t.Errorf("the notice's text lacks %q", want)
			}
		}
	}
	if out, err := exec.Command("pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) == 0 {
		t.Fatal("no page rendered")
	}
	f, _ := os.Open(pages[0])
	page, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := e.do("POST", "/api/v1/scan", photograph(page, -4, 3), "Content-Type", "image/jpeg")
	if got.status != 200 {
		t.Fatalf("scan of the printed notice: %d %s", got.status, got.body)
	}
	m := got.json(t)
	if nav := m["noticeNumber"]; nav != n["reduced"] && nav != n["minimum"] {
		t.Errorf("scan found %v, not one of the fine's notices %v", m, n)
	}
}

func groups(nav string) string {
	var parts []string
	for i := 0; i < len(nav); i += 4 {
		parts = append(parts, nav[i:min(i+4, len(nav))])
	}
	return strings.Join(parts, " ")
}
