package qr

import (
	"bytes"
	"context"
	"image"
	"runtime/debug"

	"golang.org/x/sync/semaphore"

	"github.com/multa/multa/notices"
)

// EBusy: the decoders are at their memory budget and the image waited
// for a turn longer than the caller allowed; try again shortly.
const EBusy = "scanner_busy"

// Limiter bounds the memory of the decodes running at once. Each decode
// reserves what its image will cost (known from the header before any
// pixel is read) out of a budget; one larger than the whole budget runs
// alone. Without it, 40 uploads of a 52 KB blank 6300×6300 PNG decoded
// side by side took a server from 0.17 GB to 5.8 GB. After a large
// decode the memory is handed back to the operating system, so that one
// burst does not leave the process at its high-water mark.
type Limiter struct {
	budget int64
	sem    *semaphore.Weighted
}

// NewLimiter returns a limiter with a budget in bytes.
func NewLimiter(budget int64) *Limiter {
	return &Limiter{budget: budget, sem: semaphore.NewWeighted(budget)}
}

// returnAfter is the cost above which a decode gives its memory back to
// the operating system when done: smaller ones are ordinary photos whose
// memory the next request reuses.
const returnAfter = 32 << 20

// DecodeBytes is the package's DecodeBytes within the budget. It waits
// for room until ctx ends, then gives up with EBusy.
func (l *Limiter) DecodeBytes(ctx context.Context, data []byte) (string, error) {
	const op = "qr.Limiter.DecodeBytes"
	cost := decodeCost(data)
	w := min(cost, l.budget)
	if err := l.sem.Acquire(ctx, w); err != nil {
		return "", &notices.Error{Code: EBusy, Op: op, Message: "the scanner is busy; try again in a few seconds", Err: err}
	}
	defer l.sem.Release(w)
	text, err := DecodeBytes(data)
	if cost > returnAfter {
		debug.FreeOSMemory()
	}
	return text, err
}

// decodeCost estimates the bytes a decode of data allocates: the decoded
// pixels, then the grey copy, the blurred and halved candidates and
// zxing's work on the largest candidate. An unreadable header costs
// nothing here: DecodeBytes refuses it before decoding.
func decodeCost(data []byte) int64 {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 1
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > MaxPixels {
		return 1 // refused from the header
	}
	work := min(px, candidatePixels)
	return px*(bytesPerPixel(cfg.ColorModel)+1) + work*5
}
