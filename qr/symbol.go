package qr

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"strconv"
	"sync"

	"github.com/multa/multa/notices"
	qrcode "github.com/skip2/go-qrcode"
)

// Symbol parameters shared by every output. Level M is what the pagoPA
// guidelines ask for: it survives a crease or a smudge and keeps the symbol
// small enough for 25 mm.
const (
	level = qrcode.Medium
	// QuietZone is the white border, in modules, that ISO/IEC 18004
	// requires around a symbol; go-qrcode draws it, and we check it.
	QuietZone = 4
	// MaxModuleScale bounds the pixels per module of a PNG or SVG, so that
	// a request cannot ask for a megapixel image of a 41-module code.
	MaxModuleScale = 32
)

// Formats that the Cache and the HTTP adapter know.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// ContentType returns the media type of a format, or "" when unknown.
func ContentType(format string) string {
	switch format {
	case FormatPNG:
		return "image/png"
	case FormatSVG:
		return "image/svg+xml"
	}
	return ""
}

// encode builds the QR code of content at level M, with the quiet zone.
func encode(content string, op string) (*qrcode.QRCode, error) {
	if content == "" {
		return nil, &notices.Error{Code: notices.EValidation, Op: op, Message: "a QR code needs some content"}
	}
	q, err := qrcode.New(content, level)
	if err != nil {
		return nil, &notices.Error{Code: notices.EValidation, Op: op, Message: "the content does not fit in a QR code", Err: err}
	}
	return q, nil
}

// bitmap returns the modules of content, quiet zone included, after
// checking that the quiet zone really is there and white: go-qrcode draws it
// unless DisableBorder is set, and a code without it scans badly.
func bitmap(content, op string) ([][]bool, error) {
	q, err := encode(content, op)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap()
	if err := checkQuietZone(bm); err != nil {
		return nil, &notices.Error{Code: notices.EInternal, Op: op, Err: err}
	}
	return bm, nil
}

type quietZoneError struct{}

func (quietZoneError) Error() string { return "QR bitmap lacks a 4-module white quiet zone" }

func checkQuietZone(bm [][]bool) error {
	n := len(bm)
	if n < 21+2*QuietZone {
		return quietZoneError{}
	}
	for y, row := range bm {
		if len(row) != n {
			return quietZoneError{}
		}
		for x, dark := range row {
			inside := x >= QuietZone && x < n-QuietZone && y >= QuietZone && y < n-QuietZone
			if dark && !inside {
				return quietZoneError{}
			}
		}
	}
	return nil
}

// whiteBorder reports whether the outer border pixels of a 2-colour image
// are all of the background colour (palette index 0 in go-qrcode's images).
func whiteBorder(img *image.Paletted, border int) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if y >= b.Min.Y+border && y < b.Max.Y-border && x == b.Min.X+border {
				x = b.Max.X - border // skip the symbol itself
			}
			if img.ColorIndexAt(x, y) != 0 {
				return false
			}
		}
	}
	return b.Dx() > 2*border && b.Dy() > 2*border
}

func checkScale(moduleScale int, op string) error {
	if moduleScale < 1 || moduleScale > MaxModuleScale {
		return &notices.Error{Code: notices.EValidation, Op: op,
			Message: "the module scale must be between 1 and " + strconv.Itoa(MaxModuleScale) + " pixels"}
	}
	return nil
}

// PNG renders content as a black-on-white PNG with moduleScale pixels per
// module (1 to MaxModuleScale) and the 4-module quiet zone. Modules are
// whole pixels, never resampled: blurred edges make phones struggle.
//
// Errors: validation_failed for an empty or over-long content or a bad scale.
func PNG(content string, moduleScale int) ([]byte, error) {
	const op = "qr.PNG"
	if err := checkScale(moduleScale, op); err != nil {
		return nil, err
	}
	q, err := encode(content, op)
	if err != nil {
		return nil, err
	}
	// A negative size asks go-qrcode for an integer number of pixels per
	// module; a positive one would stretch modules to a fixed width.
	img, ok := q.Image(-moduleScale).(*image.Paletted)
	if !ok || !whiteBorder(img, QuietZone*moduleScale) {
		return nil, &notices.Error{Code: notices.EInternal, Op: op, Err: quietZoneError{}}
	}
	var buf bytes.Buffer
	// The image is 2-colour paletted, so the encoder writes 1 bit per pixel;
	// best speed compresses such images nearly as well as best compression.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, &notices.Error{Code: notices.EInternal, Op: op, Err: err}
	}
	return buf.Bytes(), nil
}

// SVG renders content as a compact SVG: one white rectangle and one black
// <path> of merged module runs, a viewBox in modules (quiet zone included)
// and width and height of moduleScale pixels per module. crispEdges keeps
// browsers from anti-aliasing the seams between modules.
//
// SVG returns nil when content is empty or too long for a QR code; a
// moduleScale outside 1..MaxModuleScale is clamped, as the size of a vector
// image is only a default for the browser.
func SVG(content string, moduleScale int) []byte {
	b, _ := svg(content, moduleScale, "qr.SVG")
	return b
}

func svg(content string, moduleScale int, op string) ([]byte, error) {
	bm, err := bitmap(content, op)
	if err != nil {
		return nil, err
	}
	moduleScale = max(1, min(moduleScale, MaxModuleScale))
	n := strconv.Itoa(len(bm))
	px := strconv.Itoa(len(bm) * moduleScale)
	var b bytes.Buffer
	b.Grow(4096)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="` + px + `" height="` + px +
		`" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for _, r := range runs(bm) {
		// One closed rectangle per run: absolute move, relative sides.
		w, h := strconv.Itoa(r.w), strconv.Itoa(r.h)
		b.WriteString("M" + strconv.Itoa(r.x) + " " + strconv.Itoa(r.y) + "h" + w + "v" + h + "h-" + w + "z")
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// rect is a block of dark modules, in module units.
type rect struct{ x, y, w, h int }

// runs covers the dark modules with rectangles: horizontal runs of each
// row, merged downwards with identical runs of the rows below. A version 4
// code needs about 250 rectangles instead of 600 modules, which keeps SVGs
// and PDFs small and leaves no seams inside a run.
func runs(bm [][]bool) []rect {
	var out []rect
	// open maps a run's (x, w) to its index in out while the run continues
	// in consecutive rows.
	open := map[[2]int]int{}
	for y, row := range bm {
		next := map[[2]int]int{}
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			key := [2]int{start, x - start}
			if i, ok := open[key]; ok {
				out[i].h++
				next[key] = i
			} else {
				out = append(out, rect{start, y, x - start, 1})
				next[key] = len(out) - 1
			}
		}
		open = next
	}
	return out
}

// Cache keeps rendered symbols, as a QR of a given content never changes and
// costs one to two milliseconds to draw. It is a small LRU bounded by entries,
// safe for concurrent use. Create one with NewCache.
type Cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front is most recently used; values are *cacheEntry
	items map[cacheKey]*list.Element
}

type cacheKey struct {
	content, format string
	scale           int
}

type cacheEntry struct {
	key  cacheKey
	data []byte
	etag string
}

// NewCache returns a cache of at most maxEntries symbols (at least 1). A
// symbol is 1 to 10 KB, so a few thousand entries cost a few megabytes.
func NewCache(maxEntries int) *Cache {
	return &Cache{max: max(1, maxEntries), order: list.New(), items: map[cacheKey]*list.Element{}}
}

// Get returns the symbol of content in format (FormatPNG or FormatSVG) at
// moduleScale pixels per module, and its strong ETag (a quoted prefix of
// its SHA-256), rendering it on a miss. The same arguments always give the
// same bytes, so the adapter may serve them as immutable. The returned
// slice is shared: callers must not modify it.
//
// Errors: validation_failed for an unknown format, a bad scale, or content
// that does not fit in a QR code.
func (c *Cache) Get(content, format string, moduleScale int) (data []byte, etag string, err error) {
	const op = "qr.Cache.Get"
	key := cacheKey{content, format, moduleScale}
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.mu.Unlock()
		return e.data, e.etag, nil
	}
	c.mu.Unlock()

	// Render outside the lock: two concurrent misses of one key both draw,
	// which is cheaper than making every hit wait for a miss.
	if err := checkScale(moduleScale, op); err != nil {
		return nil, "", err
	}
	switch format {
	case FormatPNG:
		data, err = PNG(content, moduleScale)
	case FormatSVG:
		data, err = svg(content, moduleScale, op)
	default:
		err = &notices.Error{Code: notices.EValidation, Op: op, Message: "the format must be png or svg"}
	}
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	etag = `"` + hex.EncodeToString(sum[:16]) + `"`

	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok { // another goroutine won the race
		c.order.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		return e.data, e.etag, nil
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key, data, etag})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
	return data, etag, nil
}

// Len returns the number of cached symbols.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
