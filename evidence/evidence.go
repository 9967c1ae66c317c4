// Package evidence turns an uploaded photo into what Multa keeps with a
// fine: a JPEG re-encoded from the decoded pixels, so nothing of the
// original file survives (EXIF, GPS, maker notes, thumbnails, trailing
// bytes), scaled to at most MaxSide pixels on its long side and at most
// notices.MaxPhotoBytes long.
package evidence

import (
	"bytes"
	"image"
	"image/jpeg"
	_ "image/png" // phones and screenshots
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // some Android cameras

	"github.com/multa/multa/notices"
)

// Limits. MaxUpload bounds what is read at all; MaxPixels bounds what is
// decoded, checked from the header first, since a small file can declare
// a huge image (a decompression bomb).
const (
	MaxUpload = 12 << 20
	MaxPixels = 40_000_000
	MaxSide   = 1600
)

// EBadImage is returned for an upload that is not a photo Multa can read.
const EBadImage = "bad_image"

// Reencode decodes a JPEG, PNG or WebP image and returns it as a new
// photo from source. Errors: EBadImage (not an image, too large, too
// many pixels).
func Reencode(data []byte, source, by string) (notices.NewPhoto, error) {
	if len(data) == 0 || len(data) > MaxUpload {
		return notices.NewPhoto{}, notices.Errorf(EBadImage, "a photo is 1 byte to %d MB", MaxUpload>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return notices.NewPhoto{}, notices.Errorf(EBadImage, "not a JPEG, PNG or WebP image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels || cfg.Width > 20000 || cfg.Height > 20000 {
		return notices.NewPhoto{}, notices.Errorf(EBadImage, "the image is too large (at most %d megapixels)", MaxPixels/1_000_000)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return notices.NewPhoto{}, notices.Errorf(EBadImage, "the %s image is damaged", strings.ToUpper(format))
	}
	// Scale first (cheaper), then turn upright as the phone's Exif says:
	// the new JPEG has no Exif left to say it.
	img := orient(scale(src, MaxSide), exifOrientation(data))
	for _, q := range []int{85, 70, 55} {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			return notices.NewPhoto{}, err
		}
		if b.Len() <= notices.MaxPhotoBytes {
			r := img.Bounds()
			return notices.NewPhoto{JPEG: b.Bytes(), Width: r.Dx(), Height: r.Dy(), Source: source, AddedBy: by}, nil
		}
	}
	// Still too large (noise compresses badly): halve and try once more.
	return Reencode(mustJPEG(scale(img, max(img.Bounds().Dx(), img.Bounds().Dy())/2)), source, by)
}

// scale returns img with its long side at most side pixels, on an opaque
// RGBA canvas (JPEG has no alpha: transparent parts become white).
func scale(src image.Image, side int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/b.Dx())
		} else {
			w, h = max(1, w*side/b.Dy()), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	return dst
}

func mustJPEG(img image.Image) []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}
