package auth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/auth"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.key")
	k1, err := auth.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != auth.KeySize || bytes.Equal(k1, make([]byte, auth.KeySize)) {
		t.Fatalf("key = %x", k1)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != hex.EncodeToString(k1) {
		t.Errorf("key file holds %q, want the key in hex", b)
	}
	k2, err := auth.LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second start: %x, %v, want the same key", k2, err)
	}
	if err := auth.CheckKeyFileMode(path); err != nil {
		t.Errorf("CheckKeyFileMode of a 0600 file: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	// A key file someone made readable is refused, with the fix.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("group/other-readable key: %v, want a refusal naming chmod 600", err)
	}
	if err := auth.CheckKeyFileMode(path); err == nil {
		t.Error("CheckKeyFileMode of a 0644 file passed")
	}
	// An operator's secret mount may be 0644; KeyFromFile reads it.
	if k, err := auth.KeyFromFile(path); err != nil || !bytes.Equal(k, k1) {
		t.Errorf("KeyFromFile of a 0644 file = %x, %v", k, err)
	}
}

// Two processes starting at once end up with one key.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jwt.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := auth.LoadOrCreateKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i := range keys {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got key %x, caller 0 %x", i, keys[i], keys[0])
		}
	}
}

func TestKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0xab, 0xcd}, 16)
	tests := []struct {
		name, content string
		ok            bool
	}{
		{"hex", hex.EncodeToString(key) + "\n", true},
		{"base64", base64.StdEncoding.EncodeToString(key) + "\n", true},
		{"base64url raw", base64.RawURLEncoding.EncodeToString(key), true},
		{"short hex", hex.EncodeToString(key[:16]), false},
		{"passphrase", "this is my very secret passphrase, honestly!", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, []byte(tt.content), 0o400); err != nil {
			t.Fatal(err)
		}
		k, err := auth.KeyFromFile(path)
		if (err == nil) != tt.ok || tt.ok && !bytes.Equal(k, key) {
			t.Errorf("%s: KeyFromFile = %x, %v, want ok %v", tt.name, k, err, tt.ok)
		}
	}
	if _, err := auth.KeyFromFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing key file was accepted")
	}
}
