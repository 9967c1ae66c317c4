package notices_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/multa/multa/notices"
)

// TestCorrect: a supervisor's correction keeps the old values and says
// what was wrong with a bad one, field by field; a paid or cancelled fine,
// or one where nothing would change, is refused and left as it was.
func TestCorrect(t *testing.T) {
	now := rome(2026, 11, 3, 9, 0, 0)
	fresh := func() notices.Fine {
		return notices.Fine{ReportNumber: "2026/000001", Status: notices.StatusNotified, Plate: "AB123CE", Place: "Via Roma 1", Violation: violation(t, "7-15")}
	}
	f := fresh()
	if err := f.Correct(notices.CorrectionRequest{Plate: "ab 123-cd", Place: " Via Roma 10 ", Reason: " typo "}, "capo", now); err != nil {
		t.Fatal(err)
	}
	c := f.Corrections[0]
	if f.Plate != "AB123CD" || f.Place != "Via Roma 10" || c.By != "capo" || c.Reason != "typo" || !c.At.Equal(now) || !f.UpdatedAt.Equal(now) ||
		len(c.Changes) != 2 || c.Changes[0] != (notices.FieldChange{Field: "plate", Old: "AB123CE", New: "AB123CD"}) ||
		c.Changes[1] != (notices.FieldChange{Field: "place", Old: "Via Roma 1", New: "Via Roma 10"}) {
		t.Fatalf("after the correction: %+v", f)
	}
	// A second correction adds to the first; the first stays.
	if err := f.Correct(notices.CorrectionRequest{Place: "Via Roma 12", Reason: "again"}, "capo", now); err != nil || len(f.Corrections) != 2 || f.Corrections[0].Changes[1].New != "Via Roma 10" {
		t.Fatalf("second correction: %v, %+v", err, f.Corrections)
	}

	for _, c := range []struct {
		name   string
		status notices.Status
		req    notices.CorrectionRequest
		code   string
		fields string
	}{
		{"paid", notices.StatusPaid, notices.CorrectionRequest{Plate: "ZZ999ZZ", Reason: "x"}, notices.EAlreadyPaid, ""},
		{"cancelled", notices.StatusCancelled, notices.CorrectionRequest{Plate: "ZZ999ZZ", Reason: "x"}, notices.EFineCancelled, ""},
		{"no reason", notices.StatusIssued, notices.CorrectionRequest{Plate: "ZZ999ZZ", Reason: "  "}, notices.EValidation, "reason"},
		{"reason too long", notices.StatusIssued, notices.CorrectionRequest{Plate: "ZZ999ZZ", Reason: strings.Repeat("è", 501)}, notices.EValidation, "reason"},
		{"bad plate", notices.StatusIssued, notices.CorrectionRequest{Plate: "AB@1", Reason: "x"}, notices.EValidation, "plate"},
		{"place too long", notices.StatusIssued, notices.CorrectionRequest{Place: strings.Repeat("a", 201), Reason: "x"}, notices.EValidation, "place"},
		{"nothing given", notices.StatusIssued, notices.CorrectionRequest{Reason: "x"}, notices.EValidation, "plate"},
		{"same values", notices.StatusIssued, notices.CorrectionRequest{Plate: "ab123ce", Place: "Via Roma 1", Reason: "x"}, notices.EValidation, "plate"},
		{"bad plate and no reason", notices.StatusIssued, notices.CorrectionRequest{Plate: "A"}, notices.EValidation, "reason plate"},
	} {
		f := fresh()
		f.Status = c.status
		err := f.Correct(c.req, "capo", now)
		wantCode(t, err, c.code)
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			var got []string
			for _, fe := range ve.Fields {
				got = append(got, fe.Field)
			}
			if strings.Join(got, " ") != c.fields {
				t.Errorf("%s: fields %v, want %s", c.name, got, c.fields)
			}
		}
		if g := fresh(); f.Plate != g.Plate || f.Place != g.Place || f.Corrections != nil {
			t.Errorf("%s: the refused correction changed the fine: %+v", c.name, f)
		}
	}
}
