package qr_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// pngHeader builds a PNG that declares w×h pixels in its IHDR chunk but
// carries no pixel data: a decompression-bomb header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// jpegHeader builds the start of a baseline JPEG whose SOF0 declares w×h.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xff, 0xd8} // SOI
	// APP0 JFIF: without it, DecodeConfig reads on to the scan header.
	b = append(b, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	// DQT with one table, so that the decoder reaches the frame header.
	b = append(b, 0xff, 0xdb, 0x00, 0x43, 0x00)
	for range 64 {
		b = append(b, 1)
	}
	b = append(b, 0xff, 0xc0, 0x00, 0x0b, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)
	return b
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeBytesErrors(t *testing.T) {
	good, err := qr.PNG(examplePayload, 4)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(good))
	var jb bytes.Buffer
	jpeg.Encode(&jb, img, &jpeg.Options{Quality: 90})
	var gb bytes.Buffer
	gif.Encode(&gb, img, nil) // registered by this test binary: still refused

	white := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range white.Pix {
		white.Pix[i] = 0xff
	}
	rng := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}

	tests := []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, qr.EInvalidImage},
		{"random bytes", random, qr.EUnsupportedImage},
		{"text", []byte("PAGOPA|002|302032002700000251|01199250158|4200"), qr.EUnsupportedImage},
		{"gif", gb.Bytes(), qr.EUnsupportedImage},
		{"png signature only", good[:8], qr.EInvalidImage},
		{"truncated png", good[:len(good)/2], qr.EInvalidImage},
		{"truncated jpeg", jb.Bytes()[:jb.Len()/2], qr.EInvalidImage},
		{"png 100000×100000 header", pngHeader(100_000, 100_000), qr.EImageTooLarge},
		{"png 1×50M header", pngHeader(1, 50_000_000), qr.EImageTooLarge},
		{"png 0×0 header", pngHeader(0, 0), qr.EInvalidImage},
		{"jpeg 60000×60000 header", jpegHeader(60_000, 60_000), qr.EImageTooLarge},
		{"blank page", encodePNG(t, white), qr.ENoCodeFound},
		{"noise", encodePNG(t, noiseImage(400, 300, rng)), qr.ENoCodeFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := qr.DecodeBytes(tt.data)
			wantCode(t, err, tt.code)
			_, err = qr.DecodeAllBytes(tt.data)
			wantCode(t, err, tt.code)
		})
	}
	if got, err := qr.DecodeBytes(jb.Bytes()); err != nil || got != examplePayload {
		t.Fatalf("JPEG: %q, %v", got, err)
	}
}

func noiseImage(w, h int, rng *rand.Rand) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	return img
}

// TestDecodeColourModels covers the conversions to luminance: a code on a
// transparent background (as a browser shows it, over white), inverted
// palettes, 16-bit and sub-rectangles.
func TestDecodeColourModels(t *testing.T) {
	b, _ := qr.PNG(examplePayload, 4)
	src, _ := png.Decode(bytes.NewReader(b))
	r := src.Bounds()

	nrgba := image.NewNRGBA(r) // black modules, fully transparent background
	rgba := image.NewRGBA(r)
	rgba64 := image.NewRGBA64(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if v, _, _, _ := src.At(x, y).RGBA(); v == 0 {
				nrgba.Set(x, y, color.NRGBA{0, 0, 0, 255})
				rgba.Set(x, y, color.RGBA{10, 10, 40, 255})
				rgba64.Set(x, y, color.RGBA64{0, 0, 0, 0xffff})
			} else {
				nrgba.Set(x, y, color.NRGBA{0, 0, 0, 0})
				rgba.Set(x, y, color.RGBA{250, 250, 250, 255})
				rgba64.Set(x, y, color.RGBA64{0xffff, 0xffff, 0xffff, 0xffff})
			}
		}
	}
	// A sub-image whose bounds do not start at the origin.
	big := image.NewRGBA(image.Rect(0, 0, r.Dx()+60, r.Dy()+60))
	draw.Draw(big, big.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(big, r.Add(image.Pt(30, 30)), src, image.Point{}, draw.Src)
	sub := big.SubImage(image.Rect(20, 20, r.Dx()+40, r.Dy()+40))

	var jb bytes.Buffer
	jpeg.Encode(&jb, src, &jpeg.Options{Quality: 85})
	ycc, _ := jpeg.Decode(bytes.NewReader(jb.Bytes()))
	yccSub := ycc.(*image.YCbCr).SubImage(image.Rect(2, 2, r.Dx()-2, r.Dy()-2))

	for name, img := range map[string]image.Image{
		"paletted": src, "nrgba transparent": nrgba, "rgba": rgba, "rgba64": rgba64,
		"sub-image": sub, "ycbcr": ycc, "ycbcr sub-image": yccSub,
	} {
		got, err := qr.Decode(img)
		if err != nil || got != examplePayload {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if _, err := qr.Decode(image.NewGray(image.Rectangle{})); err == nil {
		t.Error("empty image decoded")
	}
}

// degrade simulates a phone photo of paper: a small rotation, a blur,
// sensor noise and JPEG compression.
func degrade(t testing.TB, src image.Image, degrees float64, seed uint64) []byte {
	t.Helper()
	b := src.Bounds()
	rot := image.NewRGBA(b)
	draw.Draw(rot, b, image.White, image.Point{}, draw.Src)
	a := degrees * math.Pi / 180
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	sin, cos := math.Sin(a), math.Cos(a)
	// Rotation about the centre, as a source-to-destination affine map.
	m := f64.Aff3{cos, -sin, cx - cos*cx + sin*cy, sin, cos, cy - sin*cx - cos*cy}
	draw.BiLinear.Transform(rot, m, src, b, draw.Over, nil)

	// 3×3 box blur on luminance, then noise.
	w, h := b.Dx(), b.Dy()
	lum := make([]int, w*h)
	for y := 0; y < h; y++ {
		row := rot.Pix[y*rot.Stride : y*rot.Stride+4*w]
		for x := 0; x < w; x++ {
			lum[y*w+x] = (int(row[4*x])*77 + int(row[4*x+1])*150 + int(row[4*x+2])*29) >> 8
		}
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	out := image.NewGray(b)
	for i := range out.Pix {
		out.Pix[i] = 0xff // the 1-pixel frame the blur skips
	}
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			s := lum[i-w-1] + lum[i-w] + lum[i-w+1] + lum[i-1] + lum[i] + lum[i+1] + lum[i+w-1] + lum[i+w] + lum[i+w+1]
			v := s/9 + int(rng.NormFloat64()*18)
			out.Pix[y*out.Stride+x] = byte(max(0, min(255, v)))
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, out, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	return jb.Bytes()
}

func TestDecodeDegradedSymbol(t *testing.T) {
	t.Parallel()
	for i, want := range randomPayloads(t, 6) {
		b, _ := qr.PNG(want, 4)
		src, _ := png.Decode(bytes.NewReader(b))
		// Pad the symbol onto a larger page, as in a photo.
		page := image.NewRGBA(image.Rect(0, 0, 640, 480))
		draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(page, src.Bounds().Add(image.Pt(200+i*10, 120)), src, image.Point{}, draw.Src)
		photo := degrade(t, page, float64(i*3-8), uint64(i))
		got, err := qr.DecodeBytes(photo)
		if err != nil || got != want {
			t.Fatalf("rotated %d°: %q, %v; want %q", i*3-8, got, err, want)
		}
	}
}

// FuzzDecodeBytes: no image, however malformed, panics the decoder or
// escapes the documented error codes.
func FuzzDecodeBytes(f *testing.F) {
	good, _ := qr.PNG(examplePayload, 2)
	f.Add(good)
	f.Add(good[:len(good)-20])
	f.Add(pngHeader(100_000, 100_000))
	f.Add(jpegHeader(64, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := qr.DecodeBytes(data)
		if err == nil {
			if text == "" {
				t.Fatal("success without text")
			}
			return
		}
		switch code := notices.ErrorCode(err); code {
		case qr.EInvalidImage, qr.EUnsupportedImage, qr.EImageTooLarge, qr.ENoCodeFound:
		default:
			t.Fatalf("unexpected code %s: %v", code, err)
		}
	})
}

// TestDecodeHugePhoto: above 16 MP the decoder halves first; the code is
// still found.
func TestDecodeHugePhoto(t *testing.T) {
	t.Parallel()
	data, _ := qr.PNG(examplePayload, 16)
	src, _ := png.Decode(bytes.NewReader(data))
	img := image.NewGray(image.Rect(0, 0, 4200, 4000))
	for i := range img.Pix {
		img.Pix[i] = 0xf0
	}
	draw.Draw(img, src.Bounds().Add(image.Pt(2500, 1700)), src, image.Point{}, draw.Src)
	got, err := qr.Decode(img)
	if err != nil || got != examplePayload {
		t.Fatalf("%q, %v", got, err)
	}
}
