package boltdb_test

import (
	"context"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// noFreelist is bbolt's page id for "no free-page list in the file".
const noFreelist = ^uint64(0)

// fileFreelist returns the free-page list's page id that the file's
// current meta page records (noFreelist when the next open must rebuild
// the list by walking the file). The layout is bbolt's on-disk format:
// two meta pages, each a 16-byte page header then magic, version, page
// size, flags, root bucket (16 bytes), freelist, high water mark, txid;
// the current one has the higher txid.
func fileFreelist(t *testing.T, path string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const magic = 0xED0CDAED
	pageSize := int(binary.LittleEndian.Uint32(b[24:28]))
	var best struct{ txid, freelist uint64 }
	for _, off := range []int{0, pageSize} {
		m := b[off+16:]
		if binary.LittleEndian.Uint32(m[0:4]) != magic {
			t.Fatalf("meta page at %d has no bbolt magic", off)
		}
		if txid := binary.LittleEndian.Uint64(m[48:56]); txid >= best.txid {
			best.txid, best.freelist = txid, binary.LittleEndian.Uint64(m[32:40])
		}
	}
	return best.freelist
}

// A clean close leaves the free-page list in the file, so that the next
// open reads it instead of walking every page; the first commit after
// that open drops it again (the store does not sync it per commit), so a
// file left by a crash has none, and opens all the same.
func TestCloseKeepsFreelist(t *testing.T) {
	e := newEnv(t) // for its fines; the store under test is its own
	ctx := context.Background()
	path := t.TempDir() + "/multa.db"
	open := func(path string) *boltdb.Store {
		t.Helper()
		st, err := boltdb.Open(path, boltdb.Options{Check: true, Now: e.clock.Now})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		return st
	}
	at := e.clock.Now().Add(-time.Hour)
	st := open(path)
	var ids []string
	for _, plate := range []string{"AB123CD", "EF456GH", "IJ789KL"} {
		f := e.fineAt(plate, "146-3", at, notices.ContestImmediate)
		if _, err := st.CreateFine(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileFreelist(t, path); got == noFreelist {
		t.Fatal("after a clean close the file has no free-page list: the next open walks the whole file")
	}

	// Open (its own commit) and a write drop the list until the next close.
	st = open(path)
	if _, err := st.CreateFine(ctx, e.fineAt("MN012OP", "146-3", at, notices.ContestImmediate), nil); err != nil {
		t.Fatal(err)
	}
	if got := fileFreelist(t, path); got != noFreelist {
		t.Fatalf("after a commit the file still names free-page list page %d: every commit would write it", got)
	}
	// What a crash leaves: a copy taken while the store is open.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir() + "/crashed.db"
	if err := os.WriteFile(crashed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st = open(crashed)
	for _, id := range ids {
		if _, err := st.Fine(ctx, id); err != nil {
			t.Errorf("read after a crash: %v", err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileFreelist(t, crashed); got == noFreelist {
		t.Error("the clean close after a crash left no free-page list")
	}
}
