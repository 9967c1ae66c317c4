package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices/boltdb"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInvalidConfigurationStopsTheStart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db, "--addr", "nonsense"}, "--addr"},
		{[]string{"--db", db, "--creditor-fiscal-code", "01199250159"}, "--creditor-fiscal-code"},
		{[]string{"--db", db, "--segregation-code", "1"}, "--segregation-code"},
		{[]string{"--db", db, "--fee-post", "13.005"}, "--fee-post"},
		{[]string{"--db", db, "--patron-day", "13-40"}, "--patron-day"},
		{[]string{"--db", db, "--rate-limit", "-3"}, "--rate-limit"},
		{[]string{"--db", db, "--public-url", "ftp://x"}, "--public-url"},
		{[]string{"--db", db, "--trusted-proxies", "not-an-ip"}, "--trusted-proxies"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		code, _, stderr := runCmd(t, "", tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure naming %s", tc.args, code, stderr, tc.want)
		}
	}
}

func TestEnvironmentAndFlagsPrecedence(t *testing.T) {
	t.Setenv("MULTA_FEE_POST", "9,50")
	t.Setenv("MULTA_SEGREGATION_CODE", "07")
	var c config
	fs := newFlagSet(&c)
	if err := fs.Parse([]string{"--segregation-code", "03"}); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if c.settings.Fees.Post != 950 || c.settings.Segregation != "03" {
		t.Errorf("fees %d, segregation %s; want 950 from the env and 03 from the flag", c.settings.Fees.Post, c.settings.Segregation)
	}
	if c.PublicURL != "http://localhost:8080" {
		t.Errorf("public URL %q", c.PublicURL)
	}
}

func TestUserAddBackupAndLedgerVerify(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "multa.db")
	if code, out, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", db, "--username", "anna", "--role", "officer"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", db, "--username", "anna", "--role", "officer"); code == 0 {
		t.Errorf("adding the same user twice succeeded: %s", errs)
	}
	if code, _, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", db, "--username", "bob", "--role", "mayor"); code == 0 || !strings.Contains(errs, "--role") {
		t.Errorf("bad role: %d %s", code, errs)
	}
	backup := filepath.Join(dir, "copy.db")
	if code, _, errs := runCmd(t, "", "backup", "--db", db, "--out", backup); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	if code, out, errs := runCmd(t, "", "ledger", "verify", "--db", backup); code != 0 || !strings.Contains(out, "ledger OK") {
		t.Errorf("ledger verify of the copy: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCmd(t, "", "version"); code != 0 || !strings.HasPrefix(out, "multa ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestDatabaseInUseFailsFast(t *testing.T) {
	db := filepath.Join(t.TempDir(), "multa.db")
	held, err := boltdb.Open(db, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	start := time.Now()
	code, _, errs := runCmd(t, "a long enough password\n", "user", "add", "--db", db, "--username", "anna", "--role", "officer")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to give up", took)
	}
	if code == 0 || !strings.Contains(errs, "in use") {
		t.Errorf("exit %d, stderr %q; want a 'database in use' failure", code, errs)
	}
}
