package qr_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"testing"

	"golang.org/x/image/draw"

	"github.com/multa/multa/qr"
)

func BenchmarkPNG(b *testing.B) {
	for b.Loop() {
		if _, err := qr.PNG(examplePayload, 8); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	for b.Loop() {
		if qr.SVG(examplePayload, 8) == nil {
			b.Fatal("no SVG")
		}
	}
}

// BenchmarkPNGCached is what the server pays per request for a notice's
// code once the cache is warm.
func BenchmarkPNGCached(b *testing.B) {
	c := qr.NewCache(128)
	if _, _, err := c.Get(examplePayload, qr.FormatPNG, 8); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.Get(examplePayload, qr.FormatPNG, 8); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecode reads a clean screenshot-like PNG of a code.
func BenchmarkDecode(b *testing.B) {
	data, _ := qr.PNG(examplePayload, 4)
	for b.Loop() {
		if _, err := qr.DecodeBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePhoto reads a rotated, blurred, noisy JPEG of 640×480.
func BenchmarkDecodePhoto(b *testing.B) {
	data, _ := qr.PNG(examplePayload, 4)
	src, _ := png.Decode(bytes.NewReader(data))
	page := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(page, src.Bounds().Add(image.Pt(220, 130)), src, image.Point{}, draw.Src)
	photo := degrade(b, page, 4, 1)
	b.SetBytes(int64(len(photo)))
	for b.Loop() {
		if _, err := qr.DecodeBytes(photo); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNoticePDF(b *testing.B) {
	d := sampleDoc(b, "142-8")
	for b.Loop() {
		if err := qr.NoticePDF(io.Discard, d, qr.FormatA4); err != nil {
			b.Fatal(err)
		}
	}
}
