package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // the scanner accepts JPEG photos
	_ "image/png"  // and PNG screenshots
	"math"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/multa/multa/notices"
)

// Limits on images to decode. A 5 MB upload can declare a 100000×100000
// image (a decompression bomb), so dimensions are checked from the header
// before any pixel is decoded.
const (
	// MaxPixels is the largest image we decode: 40 megapixels covers the
	// high-resolution mode of current phones.
	MaxPixels = 40_000_000
	// maxDecodedBytes bounds the memory of the decoded pixels, for the
	// 16-bit PNGs whose pixels take 8 bytes each.
	maxDecodedBytes = 200 << 20
	// maxCodes bounds how many codes DecodeAll erases and looks past in
	// one candidate image, so that a page of codes cannot keep it busy.
	maxCodes = 16
)

// DecodeBytes reads a JPEG or PNG image and returns the text of a QR code
// in it. When the image holds several codes it returns one of them; use
// DecodeAllBytes to get them all.
//
// Errors: unsupported_image (not JPEG or PNG), invalid_image (empty,
// truncated or corrupt), image_too_large (over MaxPixels), no_code_found.
func DecodeBytes(data []byte) (string, error) {
	img, err := decodeImage(data, "qr.DecodeBytes")
	if err != nil {
		return "", err
	}
	return Decode(img)
}

// DecodeAllBytes is DecodeBytes for every QR code in the image, as on a
// printed notice with its two payment options and the link.
func DecodeAllBytes(data []byte) ([]string, error) {
	img, err := decodeImage(data, "qr.DecodeAllBytes")
	if err != nil {
		return nil, err
	}
	return DecodeAll(img)
}

// decodeImage checks the header (format and dimensions) before decoding
// pixels, so that a bomb costs a few bytes of reading, not gigabytes.
func decodeImage(data []byte, op string) (image.Image, error) {
	if len(data) == 0 {
		return nil, &notices.Error{Code: EInvalidImage, Op: op, Message: "the image is empty"}
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, &notices.Error{Code: EUnsupportedImage, Op: op, Message: "the image must be a JPEG or PNG"}
	}
	if err != nil {
		return nil, &notices.Error{Code: EInvalidImage, Op: op, Message: "the image header cannot be read", Err: err}
	}
	// Other packages of the binary may register more formats (GIF, WebP):
	// the scanner promises JPEG and PNG only.
	if format != "jpeg" && format != "png" {
		return nil, &notices.Error{Code: EUnsupportedImage, Op: op, Message: "the image must be a JPEG or PNG, not " + format}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, &notices.Error{Code: EInvalidImage, Op: op, Message: "the image has no pixels"}
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > MaxPixels || pixels*bytesPerPixel(cfg.ColorModel) > maxDecodedBytes {
		return nil, &notices.Error{Code: EImageTooLarge, Op: op,
			Message: fmt.Sprintf("the image is %d×%d pixels, too large to decode; send a photo of at most %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &notices.Error{Code: EInvalidImage, Op: op, Message: "the image is truncated or corrupt", Err: err}
	}
	return img, nil
}

// bytesPerPixel estimates what image.Decode allocates per pixel.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// Decode returns the text of a QR code in img. It tries, in order: the
// image as it is, a smoothed copy, then halved copies (a 12 MP phone photo
// is noisy at full size, and halving averages the noise away), each first
// with zxing's local (hybrid) binariser and then with a global histogram
// threshold, which copes better with uneven blur. zxing runs in TRY_HARDER
// mode throughout. Decode stops at the first success.
//
// Errors: no_code_found, invalid_image for an image without pixels.
func Decode(img image.Image) (string, error) {
	texts, err := decode(img, false)
	if err != nil {
		return "", err
	}
	return texts[0], nil
}

// DecodeAll returns the text of every QR code in img, each once, in the
// order found. After each success it paints the found code white and
// looks again, because zxing's detector locks on the strongest symbol.
//
// Errors: no_code_found when there is none, invalid_image for an image
// without pixels.
func DecodeAll(img image.Image) ([]string, error) {
	return decode(img, true)
}

func decode(img image.Image, all bool) ([]string, error) {
	const op = "qr.Decode"
	if img == nil || img.Bounds().Empty() {
		return nil, &notices.Error{Code: EInvalidImage, Op: op, Message: "the image has no pixels"}
	}
	var found []string
	var erased []box // codes found so far, not to be found again
	seen := map[string]bool{}
	for _, g := range candidates(toGray(img)) {
		if all {
			// Work on a copy, so that the next candidate is intact, and
			// blank what earlier candidates found: each candidate then
			// costs one failing pass unless it finds something new.
			g = g.clone()
			for _, b := range erased {
				g.paint(b)
			}
		}
		for _, global := range []bool{false, true} {
			for range maxCodes {
				res := decodeOnce(g, global)
				if res == nil {
					break
				}
				if !seen[res.GetText()] {
					seen[res.GetText()] = true
					found = append(found, res.GetText())
				}
				if !all {
					return found, nil
				}
				b, ok := g.around(res.GetResultPoints())
				if !ok || len(erased) >= maxCodes {
					break
				}
				erased = append(erased, b)
				g.paint(b)
			}
		}
	}
	if len(found) == 0 {
		return nil, &notices.Error{Code: ENoCodeFound, Op: op, Message: "no QR code was found in the image"}
	}
	return found, nil
}

// decodeOnce runs zxing's QR reader once. gozxing is a port of Java code
// that indexes arrays freely: a panic on a hostile image is turned into
// "not found" rather than a crashed request.
func decodeOnce(g *gray, global bool) (res *gozxing.Result) {
	defer func() {
		if recover() != nil {
			res = nil
		}
	}()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return nil
	}
	var bin gozxing.Binarizer
	if global {
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return nil
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err = zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return nil
	}
	return res
}

// gray is an 8-bit luminance image without stride, as zxing reads it.
type gray struct {
	pix  []byte
	w, h int
}

func (g *gray) clone() *gray {
	return &gray{append([]byte(nil), g.pix...), g.w, g.h}
}

// box is a rectangle in fractions of an image's width and height, so that
// a code found in one candidate can be blanked in a halved one.
type box struct{ x0, y0, x1, y1 float64 }

// around returns the box of a found code. The result points are the
// centres of the three finder patterns (and maybe an alignment pattern);
// the fourth corner completes the parallelogram, and the margin reaches
// past the finder patterns' outer edges even for version 1.
func (g *gray) around(pts []gozxing.ResultPoint) (box, bool) {
	if len(pts) < 3 {
		return box{}, false
	}
	bl, tl, tr := pts[0], pts[1], pts[2]
	xs := []float64{bl.GetX(), tl.GetX(), tr.GetX(), bl.GetX() + tr.GetX() - tl.GetX()}
	ys := []float64{bl.GetY(), tl.GetY(), tr.GetY(), bl.GetY() + tr.GetY() - tl.GetY()}
	x0, x1, y0, y1 := xs[0], xs[0], ys[0], ys[0]
	for i := range xs {
		x0, x1 = min(x0, xs[i]), max(x1, xs[i])
		y0, y1 = min(y0, ys[i]), max(y1, ys[i])
	}
	m := 0.3 * max(dist(tl, tr), dist(tl, bl)) // 3.5 modules of 14 between finder centres, version 1
	w, h := float64(g.w), float64(g.h)
	return box{(x0 - m) / w, (y0 - m) / h, (x1 + m) / w, (y1 + m) / h}, x1 > x0 && y1 > y0
}

// paint fills b with white.
func (g *gray) paint(b box) {
	ix0, iy0 := clamp(int(b.x0*float64(g.w)), 0, g.w), clamp(int(b.y0*float64(g.h)), 0, g.h)
	ix1, iy1 := clamp(int(b.x1*float64(g.w))+1, 0, g.w), clamp(int(b.y1*float64(g.h))+1, 0, g.h)
	for y := iy0; y < iy1; y++ {
		row := g.pix[y*g.w+ix0 : y*g.w+max(ix0, ix1)]
		for x := range row {
			row[x] = 0xff
		}
	}
}

func dist(a, b gozxing.ResultPoint) float64 {
	dx, dy := a.GetX()-b.GetX(), a.GetY()-b.GetY()
	return math.Hypot(dx, dy)
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// Pyramid limits: halve while the long side exceeds 2×minSide, at most
// maxLevels times. A QR code of 33 modules still has 3 pixels per module
// in a 600-pixel image when it fills a sixth of the frame.
const (
	minSide   = 600
	maxLevels = 4
	// candidatePixels is the largest candidate: bigger images are halved
	// first.
	candidatePixels = 16_000_000
)

// candidates returns the images to try, cheapest likely success first: the
// image itself, a smoothed copy (sensor noise and JPEG ringing break the
// 1:1:3:1:1 runs of the finder patterns), then halved copies, each of
// which averages noise away as well.
func candidates(g *gray) []*gray {
	// Beyond 16 MP the pixels are finer than any printed module: halving
	// first keeps a 40 MP photo from costing seconds.
	for g.w*g.h > candidatePixels {
		g = g.half()
	}
	out := []*gray{g, g.smooth()}
	for last := g; len(out) < maxLevels+1 && max(last.w, last.h) >= 2*minSide; {
		last = last.half()
		out = append(out, last)
	}
	return out
}

// smooth returns a 3×3 box-blurred copy, computed with running sums.
func (g *gray) smooth() *gray {
	w, h := g.w, g.h
	out := &gray{make([]byte, w*h), w, h}
	rows := make([]uint16, w*h) // horizontal sums of 3 (at most 765)
	for y := 0; y < h; y++ {
		r := g.pix[y*w : (y+1)*w]
		o := rows[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			o[x] = uint16(r[max(x-1, 0)]) + uint16(r[x]) + uint16(r[min(x+1, w-1)])
		}
	}
	for y := 0; y < h; y++ {
		a, b, c := rows[max(y-1, 0)*w:], rows[y*w:], rows[min(y+1, h-1)*w:]
		o := out.pix[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			o[x] = byte((int(a[x]) + int(b[x]) + int(c[x]) + 4) / 9)
		}
	}
	return out
}

// half averages 2×2 blocks, which also removes sensor noise.
func (g *gray) half() *gray {
	w, h := g.w/2, g.h/2
	out := &gray{make([]byte, w*h), w, h}
	for y := 0; y < h; y++ {
		r0 := g.pix[2*y*g.w:]
		r1 := g.pix[(2*y+1)*g.w:]
		o := out.pix[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			s := int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1])
			o[x] = byte((s + 2) / 4)
		}
	}
	return out
}

// toGray converts any image to luminance, with fast paths for what
// image/jpeg and image/png return. Transparent pixels count as white, as
// on a screen showing a PNG with an alpha channel.
func toGray(img image.Image) *gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if m, ok := img.(*image.Gray); ok && m.Stride == w && len(m.Pix) >= w*h && b.Min == (image.Point{}) {
		// Already what zxing reads: share it rather than copy 40 MB.
		// Nothing writes to the first candidate's pixels but DecodeAll,
		// which works on clones.
		return &gray{m.Pix[:w*h], w, h}
	}
	g := &gray{make([]byte, w*h), w, h}
	switch m := img.(type) {
	case *image.YCbCr: // JPEG: the Y plane is the luminance
		for y := 0; y < h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], m.Y[off:off+w])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], m.Pix[off:off+w])
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4]
				l := luma(uint32(q[0]), uint32(q[1]), uint32(q[2]))
				a := uint32(q[3]) // not premultiplied: blend over white
				g.pix[y*w+x] = byte((l*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4]
				// premultiplied: white shows through by 255-a
				g.pix[y*w+x] = byte(min(255, luma(uint32(q[0]), uint32(q[1]), uint32(q[2]))+255-uint32(q[3])))
			}
		}
	case *image.Paletted:
		var lut [256]byte
		for i, c := range m.Palette {
			lut[i] = grayOf(c)
		}
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				g.pix[y*w+x] = lut[p[x]]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.pix[y*w+x] = grayOf(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return g
}

// luma is the Rec. 601 weighting in integers (weights sum to 256).
func luma(r, g, b uint32) uint32 { return (77*r + 150*g + 29*b + 128) >> 8 }

func grayOf(c color.Color) byte {
	r, g, b, a := c.RGBA() // premultiplied 16-bit
	l := luma(r>>8, g>>8, b>>8)
	return byte(min(255, l+(0xffff-a)>>8))
}
