package main

import (
	"os"
	"strings"
	"testing"

	"github.com/multa/multa/internal/pgtest"
)

// TestMain starts the throw-away PostgreSQL cluster the commands' tests
// on a postgres:// URL use.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestCommandsOnPostgres: user add and ledger verify take a postgres://
// URL like a file; backup explains pg_dump instead of writing a copy.
func TestCommandsOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if code, out, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", url, "--username", "anna", "--role", "officer"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", url, "--username", "anna", "--role", "officer"); code == 0 {
		t.Errorf("adding the same user twice succeeded: %s", errs)
	}
	t.Setenv("MULTA_DB", url) // the environment works as well as the flag
	if code, out, errs := runCmd(t, "", "ledger", "verify"); code != 0 || !strings.Contains(out, "ledger OK: 0 entries") {
		t.Errorf("ledger verify: %d %q %q", code, out, errs)
	}
	out := t.TempDir() + "/copy.db"
	code, stdout, stderr := runCmd(t, "", "backup", "--db", url, "--out", out)
	if code == 0 || !strings.Contains(stdout, "pg_dump") || !strings.Contains(stderr, "no backup written") {
		t.Errorf("backup on PostgreSQL: exit %d, stdout %q, stderr %q; want a refusal that explains pg_dump", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("backup on PostgreSQL wrote a file")
	}
	// A wrong password or host is a clear error, and the URL's password
	// is not printed.
	bad := strings.Replace(url, "multa@", "multa:s3cret@", 1)
	bad = strings.Replace(bad, "/t", "/missing_", 1)
	code, _, stderr = runCmd(t, "", "ledger", "verify", "--db", bad)
	if code == 0 || strings.Contains(stderr, "s3cret") {
		t.Errorf("ledger verify on a missing database: exit %d, stderr %q (must fail without showing the password)", code, stderr)
	}
}
