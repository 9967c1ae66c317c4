package main

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC checks that the server's collector settings apply only when
// the operator set neither of Go's own variables.
func TestTuneGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, true},
		{"GOGC set", map[string]string{"GOGC": "150"}, false},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			got := tuneGC(func(k string) string { return tc.env[k] }, log)
			if got != tc.want {
				t.Fatalf("tuneGC = %v, want %v", got, tc.want)
			}
			wantPercent, wantLimit := 100, int64(math.MaxInt64)
			if tc.want {
				wantPercent, wantLimit = serverGCPercent, serverMemoryLimit
			}
			if p := debug.SetGCPercent(100); p != wantPercent {
				t.Errorf("GC percent = %d, want %d", p, wantPercent)
			}
			if l := debug.SetMemoryLimit(-1); l != wantLimit {
				t.Errorf("memory limit = %d, want %d", l, wantLimit)
			}
		})
	}
}
