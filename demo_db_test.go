package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDemoDatabaseIsTemporaryUnlessNamed: `multa demo` alone runs on a
// file in a new temporary directory that is removed at exit; --db (in any
// spelling) or MULTA_DB keeps the caller's file.
func TestDemoDatabaseIsTemporaryUnlessNamed(t *testing.T) {
	t.Setenv("MULTA_DB", "")
	args, done, err := demoDatabase([]string{"--addr", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 4 || args[0] != "--db" || filepath.Base(args[1]) != "multa.db" || !slices.Equal(args[2:], []string{"--addr", "127.0.0.1:0"}) {
		t.Fatalf("args = %q, want --db <temp>/multa.db then the caller's", args)
	}
	dir := filepath.Dir(args[1])
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("temporary directory %s: %v", dir, err)
	}
	done()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after exit %s is still there (%v)", dir, err)
	}

	for _, given := range [][]string{{"--db", "x.db"}, {"-db", "x.db"}, {"--db=x.db"}, {"-db=x.db"}} {
		args, done, err := demoDatabase(given, io.Discard)
		done()
		if err != nil || !slices.Equal(args, given) {
			t.Errorf("demoDatabase(%q) = %q, %v; want the arguments unchanged", given, args, err)
		}
	}
	t.Setenv("MULTA_DB", "from-env.db")
	if args, done, _ := demoDatabase(nil, io.Discard); len(args) != 0 {
		t.Errorf("with MULTA_DB set, args = %q, want none added", args)
	} else {
		done()
	}
}
