package evidence

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/multa/multa/notices"
)

// jpegWithEXIF is a real JPEG with an APP1 Exif segment (a GPS tag's
// worth of text) spliced after its SOI marker, as a phone writes it.
func jpegWithEXIF(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(i/4%w), uint8(i/4/w), 128, 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 45.4642 SECRET-OWNER-NAME")...)
	seg := append([]byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	raw := b.Bytes()
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

func TestReencodeStripsMetadataAndScales(t *testing.T) {
	in := jpegWithEXIF(t, 2400, 1200)
	if !bytes.Contains(in, []byte("SECRET-OWNER-NAME")) {
		t.Fatal("fixture lacks its metadata")
	}
	p, err := Reencode(in, notices.PhotoByOfficer, "agente1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.JPEG, []byte("SECRET-OWNER-NAME")) || bytes.Contains(p.JPEG, []byte("Exif")) {
		t.Error("metadata survived the re-encoding")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(p.JPEG))
	if err != nil || format != "jpeg" {
		t.Fatalf("output is not a JPEG: %v %s", err, format)
	}
	if cfg.Width != MaxSide || cfg.Height != MaxSide/2 || p.Width != cfg.Width || p.Height != cfg.Height {
		t.Errorf("size = %dx%d (says %dx%d), want %dx%d", cfg.Width, cfg.Height, p.Width, p.Height, MaxSide, MaxSide/2)
	}
	if len(p.JPEG) > notices.MaxPhotoBytes || p.Source != notices.PhotoByOfficer || p.AddedBy != "agente1" {
		t.Errorf("photo = %d bytes, %s by %s", len(p.JPEG), p.Source, p.AddedBy)
	}
}

func TestReencodeRefusesWhatIsNotAPhoto(t *testing.T) {
	// A PNG header declaring 30000×30000 pixels: refused from the header.
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	bomb := b.Bytes()
	copy(bomb[16:24], []byte{0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30})
	for name, in := range map[string][]byte{
		"empty": nil, "text": []byte("<svg onload=alert(1)>"), "bomb": bomb,
		"truncated": jpegWithEXIF(t, 64, 64)[:300], "huge": make([]byte, MaxUpload+1),
	} {
		if _, err := Reencode(in, notices.PhotoByDriver, ""); notices.ErrorCode(err) != EBadImage {
			t.Errorf("%s: error %v, want %s", name, err, EBadImage)
		}
	}
}

func FuzzReencode(f *testing.F) {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Reencode(data, notices.PhotoByDriver, "")
		if err != nil {
			if notices.ErrorCode(err) != EBadImage {
				t.Fatalf("error %v is not %s", err, EBadImage)
			}
			return
		}
		if len(p.JPEG) == 0 || len(p.JPEG) > notices.MaxPhotoBytes || p.Width > MaxSide || p.Height > MaxSide {
			t.Fatalf("photo %d bytes %dx%d", len(p.JPEG), p.Width, p.Height)
		}
	})
}

// withOrientation splices an Exif segment with Orientation o (big-endian
// TIFF, IFD0 with one entry) after the SOI of a JPEG.
func withOrientation(jpg []byte, o byte) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0, 0, 0}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := append([]byte{0xFF, 0xE1, 0, byte(len(payload) + 2)}, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func TestReencodeTurnsPortraitPhotosUpright(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 80, 40)) // stored landscape, left half red
	for y := range 40 {
		for x := range 40 {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+3] = 255, 255
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	for o, want := range map[byte][2]int{1: {80, 40}, 3: {80, 40}, 6: {40, 80}, 8: {40, 80}} {
		p, err := Reencode(withOrientation(b.Bytes(), o), notices.PhotoByOfficer, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Width != want[0] || p.Height != want[1] {
			t.Errorf("orientation %d: %dx%d, want %dx%d", o, p.Width, p.Height, want[0], want[1])
		}
		out, err := jpeg.Decode(bytes.NewReader(p.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		// Orientation 6 (rotate 90° clockwise): the red left half goes on top.
		if o == 6 {
			r, _, _, _ := out.At(20, 10).RGBA()
			r2, _, _, _ := out.At(20, 70).RGBA()
			if r>>8 < 200 || r2>>8 > 60 {
				t.Errorf("orientation 6: top red %d, bottom red %d; want the red half on top", r>>8, r2>>8)
			}
		}
	}
}

// BenchmarkReencode12MP is a phone photo (4000×3000 JPEG) re-encoded:
// go test ./evidence -run X -bench Reencode -benchtime 3x
func BenchmarkReencode12MP(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(i/4%4000), uint8(i/16000), uint8(i/7), 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	in := withOrientation(buf.Bytes(), 6)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Reencode(in, notices.PhotoByOfficer, ""); err != nil {
			b.Fatal(err)
		}
	}
}
