package qr_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os/exec"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// milan is a valid creditor fiscal code (Comune di Milano).
const milan = "01199250158"

var creditor = notices.Creditor{FiscalCode: milan, Name: "Comune di Milano – Polizia Locale"}

// seeded returns a deterministic source of bytes for NAVs, so that a
// failure can be replayed.
type seeded struct{ r *rand.ChaCha8 }

func newSeeded(seed byte) seeded {
	var s [32]byte
	s[0] = seed
	return seeded{rand.NewChaCha8(s)}
}

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

// sampleDoc is a notified speeding fine (art. 142 c.8, at night) with two
// options, or one option when the violation is not reducible.
func sampleDoc(t testing.TB, code string) qr.NoticeDoc {
	t.Helper()
	v, err := notices.DefaultCatalogue().Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	rnd := newSeeded(7)
	reduced, _ := notices.NewNAV("02", rnd)
	minimum, _ := notices.NewNAV("02", rnd)
	f := &notices.Fine{
		ID:           "f1",
		ReportNumber: "2026/000123",
		Status:       notices.StatusNotified,
		Plate:        "FZ123XY",
		Violation:    v,
		OccurredAt:   time.Date(2026, 3, 2, 23, 30, 0, 0, notices.Rome),
		Place:        "Viale Fulvio Testi 120, Milano (direzione centro)",
		Contestation: notices.ContestDeferred,
		NotifiedOn:   notices.Date{Year: 2026, Month: 3, Day: 9},
		Channel:      notices.ChannelPost,
		FeesCents:    1300,
		Options: []notices.PaymentOption{
			{Kind: notices.OptionReduced, NAV: reduced},
			{Kind: notices.OptionMinimum, NAV: minimum},
		},
		CreatedAt: time.Date(2026, 3, 3, 9, 0, 0, 0, notices.Rome),
	}
	cal := notices.Calendar{PatronMonth: time.December, PatronDay: 7}
	return qr.NoticeDoc{Creditor: creditor, Fine: f, Options: cal.Options(f), PublicURL: "https://multa.comune.milano.it"}
}

func sampleReceipt() notices.Receipt {
	nav, _ := notices.NewNAV("02", newSeeded(9))
	return notices.Receipt{
		ID: "rcpt_8f14e45fceea167a5a36dedd4bea2543", NAV: nav, FineID: "f1", ReportNumber: "2026/000123",
		Creditor: creditor, AmountCents: 24367, SanctionCents: 23067, FeesCents: 1300,
		Stage: notices.StageMinimum, PaidAt: time.Date(2026, 3, 20, 18, 4, 5, 0, time.UTC),
		PSP:    notices.PSPRef{Name: "Multa Sandbox PSP", TransactionID: "txn_01HZX3K9Q2W7E4R5T6Y8U9I0OP"},
		Method: notices.CardMethod{Brand: "visa", Last4: "4242"},
	}
}

// wantCode fails unless err is a *notices.Error with the given code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *notices.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *notices.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%v), want %s", e.Code, err, code)
	}
}

// needTool skips a test when a binary is absent; CI installs poppler-utils.
func needTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install poppler-utils)", name)
	}
	return path
}

func run(t testing.TB, name string, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(needTool(t, name), args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}
