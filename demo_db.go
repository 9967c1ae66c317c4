package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// demoDatabase gives `multa demo` a database of its own in a new temporary
// directory when neither --db nor MULTA_DB names one, so that trying the
// web app never touches ./multa.db; done removes the directory at exit.
// This is the demo server that UI work runs against: the real API over a
// throw-away file, rather than a hand-written stand-in.
func demoDatabase(args []string, stdout io.Writer) (out []string, done func(), err error) {
	if os.Getenv("MULTA_DB") != "" {
		return args, func() {}, nil
	}
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "db" {
			return args, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "multa-demo-")
	if err != nil {
		return nil, nil, err
	}
	db := filepath.Join(dir, "multa.db")
	fmt.Fprintf(stdout, "demo database %s (removed at exit; pass --db FILE to keep one)\n", db)
	return append([]string{"--db", db}, args...), func() { os.RemoveAll(dir) }, nil
}
