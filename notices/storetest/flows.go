package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

func testFlow(id string, day notices.Date, at time.Time, cents ...int64) notices.SettlementFlow {
	f := notices.SettlementFlow{ID: id, FlowTime: at, RegulationID: "SCT-" + id, RegulationDate: day.AddDays(1),
		PSP: "BANCA", Creditor: "01199250158"}
	for i, c := range cents {
		f.Lines = append(f.Lines, notices.SettlementLine{IUV: "01000000000000123", IUR: "T" + string(rune('0'+i)), TransferIndex: 1, AmountCents: c, Date: day})
	}
	f.DeclaredCount, f.DeclaredCents = len(f.Lines), f.PaidCents()
	return f
}

// testFlowRevisionsWithdrawalAndHistory: flow revisions, withdrawals,
// history and bank statements, kept across a restart.
func testFlowRevisionsWithdrawalAndHistory(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	st := e.st
	d1 := notices.Date{Year: 2026, Month: time.March, Day: 10}
	t0 := d1.AddDays(2).Start().Add(8 * time.Hour)
	if got, err := st.FlowsBetween(ctx, d1, d1); err != nil || len(got) != 0 {
		t.Fatalf("FlowsBetween before any import = %v, %v; want none", got, err)
	}
	save := func(f notices.SettlementFlow, want notices.FlowSaved, rev int) {
		t.Helper()
		r, saved, err := st.SaveFlow(ctx, f, notices.FlowUploaded, "fin")
		if err != nil || saved != want || r.Flow.Revision != rev {
			t.Fatalf("SaveFlow(%s) = rev %d %q, %v; want rev %d %q", f.ID, r.Flow.Revision, saved, err, rev, want)
		}
	}
	save(testFlow("F-a", d1, t0, 4200), notices.FlowCreated, 1)
	save(testFlow("F-b", d1.AddDays(1), t0, 100), notices.FlowCreated, 1)
	save(testFlow("F-a", d1, t0, 4200), notices.FlowUnchanged, 1) // a retried import
	if _, _, err := st.SaveFlow(ctx, testFlow("F-a", d1, t0, 4300), notices.FlowUploaded, "fin"); notices.ErrorCode(err) != notices.EFlowOutdated {
		t.Errorf("same time, other content: %v, want %s", err, notices.EFlowOutdated)
	}
	if _, _, err := st.SaveFlow(ctx, testFlow("F-a", d1, t0.Add(-time.Hour), 4200), notices.FlowUploaded, "fin"); notices.ErrorCode(err) != notices.EFlowOutdated {
		t.Errorf("older revision: %v, want %s", err, notices.EFlowOutdated)
	}
	// A revision moves the flow to another day and replaces the lines.
	save(testFlow("F-a", d1.AddDays(3), t0.Add(time.Hour), 4200, 800), notices.FlowRevised, 2)
	if got, _ := st.FlowsBetween(ctx, d1, d1); len(got) != 0 {
		t.Errorf("the first revision's day still finds %+v", got)
	}
	got, err := st.FlowsBetween(ctx, d1, d1.AddDays(4))
	if err != nil || len(got) != 2 || got[0].ID != "F-a" || got[0].Revision != 2 || len(got[0].Lines) != 2 || got[1].ID != "F-b" {
		t.Fatalf("FlowsBetween = %+v, %v", got, err)
	}
	bad := testFlow("F-c", d1, t0, 1)
	bad.Lines[0].TransferIndex = 7
	if _, _, err := st.SaveFlow(ctx, bad, notices.FlowUploaded, "fin"); notices.ErrorCode(err) != notices.EValidation {
		t.Errorf("invalid flow: %v", err)
	}

	if _, err := st.WithdrawFlow(ctx, "F-b", notices.FlowWithdrawal{Reason: " ", By: "fin", At: t0}); notices.ErrorCode(err) != notices.EValidation {
		t.Errorf("withdrawal without a reason: %v", err)
	}
	if _, err := st.WithdrawFlow(ctx, "nope", notices.FlowWithdrawal{Reason: "x", By: "fin", At: t0}); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("unknown flow: %v", err)
	}
	w, err := st.WithdrawFlow(ctx, "F-b", notices.FlowWithdrawal{Reason: "uploaded for the wrong city", By: "fin", At: t0})
	if err != nil || w.Withdrawal == nil || w.Withdrawal.Reason != "uploaded for the wrong city" {
		t.Fatalf("WithdrawFlow = %+v, %v", w, err)
	}
	if _, err := st.WithdrawFlow(ctx, "F-b", notices.FlowWithdrawal{Reason: "again", By: "fin", At: t0}); notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("second withdrawal: %v", err)
	}
	if _, _, err := st.SaveFlow(ctx, testFlow("F-b", d1.AddDays(1), t0, 100), notices.FlowUploaded, "fin"); notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("the withdrawn revision again: %v", err)
	}
	if err := st.SaveBankStatement(ctx, notices.BankStatement{ID: "S1", Entries: []notices.BankEntry{
		{Ref: "A", BookingDate: d1.AddDays(1), AmountCents: 4200, Credit: true, References: []string{"SCT-F-a"}},
		{Ref: "B", BookingDate: d1.AddDays(1), AmountCents: 50, Credit: false},
		{Ref: "C", BookingDate: d1.AddDays(9), AmountCents: 60, Credit: true},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveBankStatement(ctx, notices.BankStatement{ID: "S1", Entries: []notices.BankEntry{{Ref: "A", BookingDate: d1, AmountCents: 1, Credit: true}}}); notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("the same statement twice: %v", err)
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}

	// Reopened, as after a restart: all is there.
	e.reopen()
	st = e.st
	got, _ = st.FlowsBetween(ctx, d1, d1.AddDays(4))
	if len(got) != 1 || got[0].ID != "F-a" {
		t.Errorf("a withdrawn flow takes no part: %+v", got)
	}
	h, err := st.FlowHistory(ctx, "F-a")
	if err != nil || len(h) != 2 || !h[0].Superseded || h[1].Superseded || h[0].ImportedBy != "fin" || h[0].Source != notices.FlowUploaded {
		t.Errorf("history of F-a: %+v, %v", h, err)
	}
	h, err = st.FlowHistory(ctx, "F-b")
	if err != nil || len(h) != 1 || h[0].Withdrawal == nil || !h[0].Withdrawal.At.Equal(t0) {
		t.Errorf("history of F-b: %+v, %v", h, err)
	}
	credits, err := st.BankCredits(ctx, d1, d1.AddDays(2))
	if err != nil || len(credits) != 1 || credits[0].Ref != "A" || credits[0].Statement != "S1" {
		t.Errorf("BankCredits = %+v, %v", credits, err)
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
}
