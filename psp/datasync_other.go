//go:build !linux

package psp

import "os"

// datasync flushes f; where fdatasync is not available, with fsync.
func datasync(f *os.File) error { return f.Sync() }
