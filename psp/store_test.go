package psp_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// The sandbox's state survives a restart through a FileStore: tokens stay
// usable, statuses and idempotency keys are kept, and flows are the same.
func TestFileStoreRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "psp.jsonl")
	fs, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s, c := newSandbox(t, psp.SandboxOptions{Store: fs})
	tok := tokenize(t, s, psp.CardApproved)
	declined := tokenize(t, s, psp.CardDeclined)
	req := psp.AuthorizeRequest{Token: tok.Token, AmountCents: 4200, Reference: nav, IdempotencyKey: "k1"}
	a, err := s.Authorize(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Capture(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	b, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 100, Reference: nav})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	day := notices.DateOf(c.Now())
	flow, err := s.Settlement(ctx, day, notices.Creditor{FiscalCode: "01199250158"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Capture(ctx, b.ID); notices.ErrorCode(err) != notices.EInvalidTransition {
		t.Fatalf("capture of a voided authorization: %v", err)
	}
	if _, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 1, Reference: nav}); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("authorize with a closed store: %v, want psp_unavailable", err)
	}

	fs2, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	s2, _ := newSandbox(t, psp.SandboxOptions{Store: fs2, Now: c.Now})
	if again, err := s2.Authorize(ctx, req); err != nil || again != a {
		t.Errorf("replay after restart = %+v, %v, want %+v", again, err, a)
	}
	if st, _ := s2.Status(b.ID); st != psp.StatusVoided {
		t.Errorf("voided authorization after restart: %s", st)
	}
	if _, err := s2.Authorize(ctx, psp.AuthorizeRequest{Token: declined.Token, AmountCents: 1, Reference: nav}); notices.ErrorCode(err) != psp.ECardDeclined {
		t.Errorf("declined card after restart: %v", err)
	}
	flow2, _ := s2.Settlement(ctx, day, notices.Creditor{FiscalCode: "01199250158"})
	if len(flow2.Lines) != 1 || flow2.DeclaredCents != flow.DeclaredCents || flow2.Lines[0].IUR != flow.Lines[0].IUR ||
		!flow2.FlowTime.Equal(flow.FlowTime) {
		t.Errorf("flow after restart = %+v, want %+v", flow2, flow)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("store file mode = %o, want 600", perm)
	}
}

// A crash in the middle of a write leaves a torn last line, which the next
// open drops; a corrupt line elsewhere is an error, never silently skipped.
func TestFileStoreTornAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	torn := filepath.Join(dir, "torn.jsonl")
	good := `{"k":"token:a","v":"e30="}` + "\n"
	if err := os.WriteFile(torn, []byte(good+`{"k":"token:b","v":"e3`), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := psp.OpenFileStore(torn)
	if err != nil {
		t.Fatalf("torn last line: %v", err)
	}
	var keys []string
	fs.Each(func(k string, v []byte) error { keys = append(keys, k); return nil })
	fs.Close()
	if len(keys) != 1 || keys[0] != "token:a" {
		t.Errorf("keys after a torn write = %v, want [token:a]", keys)
	}
	if b, _ := os.ReadFile(torn); string(bytes.TrimRight(b, "\x00")) != good {
		t.Errorf("compacted file = %q, want %q and zeros", b, good)
	}

	// A crash while writing into the zero-filled tail leaves a torn line
	// followed by zeros, or zeros inside the line where a page did not
	// reach the disk: both are writes that were never acknowledged.
	for name, tail := range map[string]string{
		"torn before the zeros":  `{"k":"token:b","v":"e3` + "\x00\x00\x00",
		"a hole in the line":     `{"k":"token:b",` + "\x00\x00" + `"v":"e30="}` + "\n\x00",
		"zeros only":             "\x00\x00\x00\x00",
		"a whole line, no zeros": `{"k":"token:b","v":"e30="}` + "\n",
	} {
		path := filepath.Join(dir, "tail.jsonl")
		if err := os.WriteFile(path, []byte(good+tail), 0o600); err != nil {
			t.Fatal(err)
		}
		fs, err := psp.OpenFileStore(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		keys = nil
		fs.Each(func(k string, v []byte) error { keys = append(keys, k); return nil })
		fs.Close()
		want := []string{"token:a"}
		if name == "a whole line, no zeros" {
			want = append(want, "token:b")
		}
		if !slices.Equal(keys, want) {
			t.Errorf("%s: keys = %v, want %v", name, keys, want)
		}
	}

	corrupt := filepath.Join(dir, "corrupt.jsonl")
	if err := os.WriteFile(corrupt, []byte("garbage\n"+good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := psp.OpenFileStore(corrupt); err == nil {
		t.Error("a corrupt line in the middle was accepted")
	}
	unknown := filepath.Join(dir, "unknown.jsonl")
	if err := os.WriteFile(unknown, []byte(`{"k":"what:x","v":"e30="}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs3, err := psp.OpenFileStore(unknown)
	if err != nil {
		t.Fatal(err)
	}
	defer fs3.Close()
	if _, err := psp.NewSandbox(psp.SandboxOptions{Store: fs3}); err == nil {
		t.Error("NewSandbox accepted an unknown record")
	}
}

// Concurrent Puts share fsyncs; every one that returned is on disk: a
// reopened store holds each record, with the last value of each key.
func TestFileStoreGroupFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "psp.jsonl")
	fs, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 32, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Each writer rewrites its own key too: the last value wins.
				if err := fs.Put(fmt.Sprintf("w%02d-%02d", w, i), fmt.Appendf(nil, "v%d", i)); err != nil {
					t.Error(err)
					return
				}
				if err := fs.Put(fmt.Sprintf("last-%02d", w), fmt.Appendf(nil, "%d", i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Not closed: what Put acknowledged must be in the file already, as
	// after a crash. A second handle reads it.
	got := map[string]string{}
	fs2, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if err := fs2.Each(func(k string, v []byte) error { got[k] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each+writers {
		t.Errorf("reopened store holds %d records, want %d", len(got), writers*each+writers)
	}
	for w := range writers {
		for i := range each {
			if k := fmt.Sprintf("w%02d-%02d", w, i); got[k] != fmt.Sprintf("v%d", i) {
				t.Errorf("%s = %q after reopening", k, got[k])
			}
		}
		if k := fmt.Sprintf("last-%02d", w); got[k] != fmt.Sprint(each-1) {
			t.Errorf("%s = %q after reopening, want the last value %d", k, got[k], each-1)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Put("late", nil); err == nil {
		t.Error("Put after Close succeeded")
	}
}

// The sandbox writes to a FileStore without holding its mutex, yet one
// idempotency key still yields one authorization, and every capture it
// acknowledged is found after a restart.
func TestAuthorizeConcurrentFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "psp.jsonl")
	fs, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s, c := newSandbox(t, psp.SandboxOptions{Store: fs})
	ids := authorizeConcurrently(t, s)
	// No Close: acknowledged writes must already be durable.
	fs2, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	s2, _ := newSandbox(t, psp.SandboxOptions{Store: fs2, Now: c.Now})
	for id := range ids {
		if st, err := s2.Status(id); err != nil || st != psp.StatusCaptured {
			t.Errorf("authorization %s after restart: %v, %v; want captured", id, st, err)
		}
	}
	fs.Close()
}

// Lines are written into a zero-filled tail that grows by whole chunks;
// the file is always longer than its lines, and records written across
// several growths are all read back, with no zeros in them.
func TestFileStoreTailGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "psp.jsonl")
	fs, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	value := []byte(`"` + strings.Repeat("x", 100<<10) + `"`) // ~133 KiB a line in base64
	const n = 40                                              // past two chunks of 2 MiB
	for i := range n {
		if err := fs.Put(fmt.Sprintf("k%02d", i), value); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.TrimRight(b, "\x00")
	if len(lines) == len(b) {
		t.Error("no zero-filled tail after the lines")
	}
	if len(b) < 4<<20 {
		t.Errorf("file of %d bytes after %d bytes of lines: the tail did not grow", len(b), len(lines))
	}
	if bytes.IndexByte(lines, 0) >= 0 || bytes.Count(lines, []byte("\n")) != n {
		t.Errorf("the lines hold a zero byte, or not %d lines", n)
	}
	// Not closed, as after a crash: a second handle reads every record.
	fs2, err := psp.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	fs2.Each(func(k string, v []byte) error {
		if !bytes.Equal(v, value) {
			t.Errorf("%s read back differently", k)
		}
		got++
		return nil
	})
	fs2.Close()
	fs.Close()
	if got != n {
		t.Errorf("read back %d records, want %d", got, n)
	}
}
