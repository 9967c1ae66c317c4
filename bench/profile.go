package main

import (
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches profiles of the server from the opt-in pprof listener
// that multa opens on loopback when MULTA_PPROF_ADDR is set. A zero
// profiler (no -pprof flag) does nothing.
type profiler struct {
	dir  string // where profiles go; "" disables profiling
	base string // http://127.0.0.1:port of the pprof listener
}

// start begins CPU profiling of the server under the name name and
// returns the function that waits for the profile files to be written.
// With d > 0 it takes one profile of d. With d == 0 (a phase whose length
// is not known in advance) it takes consecutive 5-second profiles until
// stop is called; `go tool pprof` merges them when given them all.
func (p profiler) start(name string, d time.Duration) (stop func()) {
	if p.dir == "" {
		return func() {}
	}
	secs := int(d.Seconds() + 0.999)
	if d == 0 {
		secs = 0 // decided at stop, see below
	}
	done := make(chan struct{})
	if secs > 0 {
		go func() {
			defer close(done)
			p.fetch(name+".cpu.pprof", fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs))
		}()
		return func() { <-done }
	}
	stopc := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stopc:
				return
			default:
			}
			p.fetch(fmt.Sprintf("%s-%02d.cpu.pprof", name, i), "/debug/pprof/profile?seconds=5")
		}
	}()
	return func() { close(stopc); <-done }
}

// heap writes the server's heap profile.
func (p profiler) heap(name string) error {
	if p.dir == "" {
		return nil
	}
	return p.fetch(name+".pprof", "/debug/pprof/heap")
}

func (p profiler) fetch(file, path string) error {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: %s", path, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newRand is a seeded generator, so that two runs import the same data.
func newRand(seed uint64) *mrand.Rand { return mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
