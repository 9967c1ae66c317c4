package e2e

import (
	"bytes"
	"image"
	"image/png"
	"sort"
	"sync"
	"testing"
	"time"
)

// blankPNG is the attack's image: a blank 6300×6300 grey PNG, about 52 KB
// on the wire and 40 megapixels (just under the decoder's limit) once
// decoded.
func blankPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 6300, 6300))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScanBurstKeepsMemoryAndLatency (issue 12 item 1): a burst of
// concurrent uploads of a small image that decodes to 40 megapixels
// leaves the server's resident memory within 300 MB of where it was, and
// other requests answer about as fast as before.
func TestScanBurstKeepsMemoryAndLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("a memory burst; skipped with -short")
	}
	s := start(t, "", "--rate-limit", "0")
	bomb := blankPNG(t)
	t.Logf("image: %d bytes", len(bomb))
	probe := func(n int) time.Duration { // median latency of a cheap public route
		var ds []time.Duration
		for range n {
			t0 := time.Now()
			if a := s.call(t, "GET", "/api/v1/violations", nil); a.status != 200 {
				t.Fatalf("violations: %d", a.status)
			}
			ds = append(ds, time.Since(t0))
			time.Sleep(20 * time.Millisecond)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	probe(5)
	before := probe(15)
	base := s.rss(t)

	const uploads = 16
	var wg sync.WaitGroup
	statuses := make([]int, uploads)
	t0 := time.Now()
	for i := range uploads {
		wg.Go(func() {
			a, err := s.try("POST", "/api/v1/scan", bomb, "Content-Type", "image/png")
			if err == nil {
				statuses[i] = a.status
			}
		})
	}
	var peak int64
	var during time.Duration
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var lat []time.Duration
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		default:
			peak = max(peak, s.rss(t))
			t1 := time.Now()
			if a, err := s.try("GET", "/api/v1/violations", nil); err == nil && a.status == 200 {
				lat = append(lat, time.Since(t1))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	took := time.Since(t0)
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		during = lat[len(lat)/2]
	}
	time.Sleep(500 * time.Millisecond)
	after := s.rss(t)
	t.Logf("burst of %d took %v; statuses %v; RSS %d MB before, %d MB peak, %d MB after; median latency %v before, %v during (%d probes)",
		uploads, took.Round(time.Millisecond), statuses, base>>20, peak>>20, after>>20, before, during, len(lat))
	for _, st := range statuses {
		if st != 422 && st != 503 {
			t.Errorf("upload answered %d, want 422 (no code) or 503 (busy)", st)
		}
	}
	if after-base > 300<<20 {
		t.Errorf("resident memory after the burst is %d MB above the baseline (%d MB → %d MB), want at most 300 MB", (after-base)>>20, base>>20, after>>20)
	}
	if peak-base > 600<<20 {
		t.Errorf("resident memory peaked %d MB above the baseline", (peak-base)>>20)
	}
	if during > before*5+50*time.Millisecond {
		t.Errorf("other requests' median latency went from %v to %v during the burst", before, during)
	}
}
