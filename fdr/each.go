package fdr

import (
	"io"
	"runtime"

	"github.com/multa/multa/notices"
)

// DecodeEach decodes n flow documents with up to workers goroutines
// (GOMAXPROCS when workers < 1) and hands each result to fn in order,
// index 0 first, from the caller's goroutine: decoding is most of the
// cost of an import, and it parallelises, while the store takes one flow
// at a time in any case. At most 2×workers decoded flows wait for fn, so
// memory stays bounded however many documents there are. An error from
// fn stops the walk and is returned; a document that fails to open or
// decode is passed to fn with its error.
func DecodeEach(n, workers int, open func(i int) (io.ReadCloser, error), fn func(i int, f notices.SettlementFlow, err error) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	type result struct {
		f   notices.SettlementFlow
		err error
	}
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, 2*workers)
	work := make(chan int)
	done := make(chan struct{})
	defer close(done)
	for w := 0; w < workers; w++ {
		go func() {
			for i := range work {
				var r result
				rc, err := open(i)
				if err != nil {
					r.err = err
				} else {
					r.f, r.err = DecodeXML(rc)
					rc.Close()
				}
				results[i] <- r
			}
		}()
	}
	go func() {
		defer close(work)
		for i := 0; i < n; i++ {
			select {
			case sem <- struct{}{}:
			case <-done:
				return
			}
			select {
			case work <- i:
			case <-done:
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		r := <-results[i]
		<-sem
		if err := fn(i, r.f, r.err); err != nil {
			return err
		}
	}
	return nil
}

// nopCloser is for readers that need no closing.
type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

// NopCloser wraps r for DecodeEach's open.
func NopCloser(r io.Reader) io.ReadCloser { return nopCloser{r} }
