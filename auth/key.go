package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// NewKey returns KeySize random bytes for signing access tokens.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("auth: new key: %w", err)
	}
	return k, nil
}

// LoadOrCreateKey returns the signing key kept at path, creating the file
// with a new random key (hex, mode 0600) on first start, so that sessions
// survive restarts without the operator managing a secret. Since the server
// created the file private, a file that group or others may read means
// someone loosened it, and the key may have leaked: it is refused, with the
// command that fixes it. The directory must exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path, true)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = NewKey()
	if err != nil {
		return nil, err
	}
	// Write a temporary file and link it into place: the key appears
	// complete or not at all, and of two processes starting at once the
	// second uses the first one's key instead of overwriting it.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".jwt-key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("auth: create JWT key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("auth: write JWT key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKey(path, true)
	} else if err != nil {
		return nil, fmt.Errorf("auth: create JWT key file: %w", err)
	}
	return key, nil
}

// KeyFromFile reads an operator-provided key (MULTA_JWT_KEY_FILE): at least
// KeySize random bytes written as hex or base64, as `openssl rand -hex 32`
// or `openssl rand -base64 32` print them. Unlike LoadOrCreateKey it accepts
// any file mode, because secret mounts (Docker, Kubernetes) are often 0444
// or 0644 inside a private container; call CheckKeyFileMode to log a
// warning.
func KeyFromFile(path string) ([]byte, error) {
	return readKey(path, false)
}

// CheckKeyFileMode returns an error when group or others may read or write
// the file at path. It always passes on Windows, where modes do not tell.
func CheckKeyFileMode(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("auth: JWT key file: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("auth: JWT key file %s is accessible to other users (mode %04o); run: chmod 600 %s",
			path, info.Mode().Perm(), path)
	}
	return nil
}

func readKey(path string, private bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read JWT key file: %w", err) // %w: LoadOrCreateKey tells ErrNotExist apart
	}
	if private {
		if err := CheckKeyFileMode(path); err != nil {
			return nil, err
		}
	}
	key, err := decodeKey(b)
	if err != nil {
		return nil, fmt.Errorf("auth: JWT key file %s: %w", path, err)
	}
	return key, nil
}

// decodeKey reads hex first, then base64 (standard or URL-safe, padded or
// not), and takes the first that yields at least KeySize bytes. Raw text is
// not accepted: a typed passphrase would look long enough and be weak.
func decodeKey(b []byte) ([]byte, error) {
	s := string(bytes.TrimSpace(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) >= KeySize {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) >= KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("want at least %d random bytes as hex or base64 (e.g. openssl rand -hex 32)", KeySize)
}
