package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
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

// The background capture is opt-in: the synchronous one made more
// payments a second (bench/README.md), so it is what serve does unless told.
func TestCaptureAfterAnswerIsOptIn(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, false},
		{"1", nil, true},
		{"", []string{"--capture-after-answer"}, true},
		{"1", []string{"--capture-after-answer=false"}, false},
	} {
		t.Setenv("MULTA_CAPTURE_AFTER_ANSWER", tc.env)
		var c config
		if err := newFlagSet(&c).Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if c.CaptureAfterAnswer != tc.want {
			t.Errorf("env %q, args %v: capture after answer %v, want %v", tc.env, tc.args, c.CaptureAfterAnswer, tc.want)
		}
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

// TestLedgerVerifyCatchesTampering pays a fine, then edits the database
// behind the service's back as an insider with file access could: a
// lowered receipt amount, then a deleted receipt. The CLI must fail and
// name the entry.
func TestLedgerVerifyCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(b *bolt.Bucket, id []byte) error
	}{
		{"changed amount", func(b *bolt.Bucket, id []byte) error {
			v := bytes.Replace(b.Get(id), []byte(`"amountCents":2940`), []byte(`"amountCents":294`), 1)
			return b.Put(id, v)
		}},
		{"deleted receipt", func(b *bolt.Bucket, id []byte) error { return b.Delete(id) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "multa.db")
			receiptID := payOneFine(t, db)
			if code, out, errs := runCmd(t, "", "ledger", "verify", "--db", db); code != 0 {
				t.Fatalf("untouched database fails verification: %s %s", out, errs)
			}
			raw, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = raw.Update(func(tx *bolt.Tx) error { return tc.tamper(tx.Bucket([]byte("receipts")), []byte(receiptID)) })
			raw.Close()
			if err != nil {
				t.Fatal(err)
			}
			code, _, errs := runCmd(t, "", "ledger", "verify", "--db", db)
			if code == 0 || !strings.Contains(errs, receiptID[:8]) {
				t.Errorf("tampered database: exit %d, stderr %q; want a failure naming receipt %s", code, errs, receiptID)
			}
		})
	}
}

// payOneFine issues and pays a €29.40 fine directly through the store.
func payOneFine(t *testing.T, db string) string {
	t.Helper()
	ctx := context.Background()
	st, err := boltdb.Open(db, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := notices.Settings{Creditor: notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"}, Segregation: "01"}
	now := time.Now()
	f, err := notices.NewFine(notices.FineRequest{Plate: "AB123CD", ViolationCode: "7-15", OccurredAt: now.Add(-time.Hour),
		Place: "Via Torino", Contestation: notices.ContestImmediate, Officer: "anna"}, notices.DefaultCatalogue(), s, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFine(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	due := s.Calendar.Due(f, notices.DateOf(now))
	id, _ := notices.NewID(nil)
	_, err = st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: notices.Receipt{
		ID: id, NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: due.Cents, SanctionCents: due.SanctionCents, Stage: due.Stage, PaidAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
