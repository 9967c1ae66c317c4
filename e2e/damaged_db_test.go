package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedDatabase (issue 12 item 2): a database file cut short, cut
// to a size that is not a whole number of pages, with one page
// overwritten, or emptied next to its key files, makes serve, backup and
// ledger verify exit non-zero with one clear line, and never start over.
func TestDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s := start(t, good)
	tok := s.login(t, "admin", s.Admin)
	for i := range 30 {
		fine := s.issue(t, tok, fmt.Sprintf("AB%03dCD", i), "Via Torino 1, Milano")
		if i%3 == 0 {
			s.payNotice(t, firstNAV(t, fine), "")
		}
	}
	s.stop()
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	t.Logf("database: %d bytes, %d pages", len(orig), len(orig)/page)
	if code, out := runCLI(t, "", "ledger", "verify", "--db", good); code != 0 {
		t.Fatalf("the undamaged copy fails: %s", out)
	}
	overwrite := func(b []byte, from, to int) []byte {
		b = bytes.Clone(b)
		for i := from * page; i < to*page; i++ {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	// The root page of the current meta (the one with the higher txid):
	// meta = magic, version, page size, flags (4 bytes each), root pgid.
	root := func(b []byte) int {
		m0, m1 := b[16:], b[page+16:]
		txid := func(m []byte) uint64 { return binary.LittleEndian.Uint64(m[48:]) }
		m := m0
		if txid(m1) > txid(m0) {
			m = m1
		}
		return int(binary.LittleEndian.Uint64(m[16:]))
	}(orig)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"cut to a page boundary", orig[:len(orig)/2/page*page]},
		{"cut to 8 KiB", orig[:8192]},
		{"not page-aligned", orig[:len(orig)-1000]},
		{"the root page overwritten", overwrite(orig, root, root+1)},
		{"the middle pages overwritten", overwrite(orig, len(orig)/page/4, len(orig)/page*3/4)},
		{"zero length", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			db := filepath.Join(d, "multa.db")
			if err := os.WriteFile(db, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{".jwt.key", ".ledger.key"} {
				b, err := os.ReadFile(good + k)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(db+k, b, 0o600)
			}
			for _, args := range [][]string{
				{"serve", "--db", db, "--addr", freeAddr(t), "--metrics-addr", "off", "--psp-state-file", "memory"},
				{"backup", "--db", db, "--out", filepath.Join(d, "copy.db")},
				{"ledger", "verify", "--db", db},
			} {
				code, out := runCLIWithin(t, 20*time.Second, "", args...)
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if code == 0 || len(lines) != 1 || !strings.Contains(out, "is damaged") || !strings.Contains(out, "restore it from a backup") {
					t.Errorf("%s: exit %d, output:\n%s\nwant a non-zero exit and one line saying the file is damaged", args[0], code, out)
				}
				if strings.Contains(out, "Created the first user") || strings.Contains(out, "ledger OK") {
					t.Errorf("%s started over a damaged file: %s", args[0], out)
				}
			}
			if fi, err := os.Stat(db); err != nil || fi.Size() != int64(len(tc.data)) {
				t.Errorf("the damaged file was changed: %v %v", fi.Size(), err)
			}
		})
	}
}
