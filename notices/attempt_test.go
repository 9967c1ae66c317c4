package notices_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

var rules = notices.NotificationRules{Calendar: milan}

// cameraFine is a 142-8 speeding photographed on Tue 1 Sep 2026 at 10:00,
// with its owner known on the day.
func cameraFine(t *testing.T) *notices.Fine {
	t.Helper()
	f := &notices.Fine{
		ReportNumber: "2026/1", Status: notices.StatusIssued, Plate: "AB123CD", Violation: violation(t, "142-8"),
		OccurredAt: rome(2026, time.September, 1, 10, 0, 0), Contestation: notices.ContestDeferred,
		Verbale: &notices.Verbale{Owner: owner(), Vehicle: notices.Vehicle{Type: "car"}, DeferredReason: notices.DeferredCamera},
	}
	f.Verbale.Owner.KnownOn = day(2026, time.September, 1)
	return f
}

func send(t *testing.T, f *notices.Fine, ch notices.Channel, on notices.Date) {
	t.Helper()
	err := f.SendNotification(notices.Attempt{Recipient: notices.RecipientOwner, Channel: ch, SentOn: on, FeesCents: settings.Fees.For(ch)},
		milan, settings.Fees, on.Start().Add(15*time.Hour))
	if err != nil {
		t.Fatalf("SendNotification: %v", err)
	}
}

// TestOutcomeDrivesAmounts follows each channel's outcome to the day the
// notification is perfected and checks that the amounts and windows move
// to that day, and not before.
func TestOutcomeDrivesAmounts(t *testing.T) {
	sep := func(d int) notices.Date { return day(2026, time.September, d) }
	tests := []struct {
		name      string
		ch        notices.Channel
		d         notices.Delivery
		perfected notices.Date
		reducedBy notices.Date // last day of the 5-day window
		fees      int64
	}{
		{"post delivered", notices.ChannelPost, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: sep(17)}, sep(17), sep(22), 1300},
		{"post refused", notices.ChannelPost, notices.Delivery{Outcome: notices.OutcomePostRefused, On: sep(16)}, sep(16), sep(21), 1300},
		// CAD sent Fri 18 Sep: perfected Mon 28 Sep; 5th day Sat 3 Oct stays.
		{"compiuta giacenza", notices.ChannelPost, notices.Delivery{Outcome: notices.OutcomePostDeposited, On: sep(18)}, sep(28), day(2026, time.October, 3), 1300},
		{"deposit collected early", notices.ChannelPost, notices.Delivery{Outcome: notices.OutcomePostDeposited, On: sep(18), CollectedOn: sep(21)}, sep(21), sep(26), 1300},
		{"PEC receipt", notices.ChannelPEC, notices.Delivery{Outcome: notices.OutcomePECDelivered, On: sep(16)}, sep(16), sep(21), 300},
		// Delivered Wed 16 Sep at 21:30: counted from the 17th, perfected
		// the 24th; 5th day Tue 29 Sep.
		{"SEND digital after 21:00", notices.ChannelSEND, notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: sep(16), At: rome(2026, time.September, 16, 21, 30, 0)}, sep(24), sep(29), 200},
		{"SEND digital opened first", notices.ChannelSEND, notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: sep(16), AccessedOn: sep(18)}, sep(18), sep(23), 200},
		{"SEND paper adds postage", notices.ChannelSEND, notices.Delivery{Outcome: notices.OutcomeSENDPaper, On: sep(19)}, sep(29), day(2026, time.October, 5), 200 + 1195},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cameraFine(t)
			send(t, f, tt.ch, sep(15))
			if f.Status != notices.StatusIssued {
				t.Fatalf("sending alone made the fine %s", f.Status)
			}
			if err := f.RecordOutcome(0, tt.d, "RR 123456789", "ufficio", rules, settings.Fees, rome(2026, time.October, 1, 9, 0, 0)); err != nil {
				t.Fatalf("RecordOutcome: %v", err)
			}
			if f.NotifiedOn != tt.perfected || f.Attempts[0].PerfectedOn != tt.perfected || f.Status != notices.StatusNotified {
				t.Fatalf("perfected %s (attempt %s), status %s; want %s, notified", f.NotifiedOn, f.Attempts[0].PerfectedOn, f.Status, tt.perfected)
			}
			got := milan.Due(f, tt.perfected)
			want := notices.AmountDue{Cents: 12110 + tt.fees, SanctionCents: 12110, FeesCents: tt.fees, Stage: notices.StageReduced, PayBy: tt.reducedBy}
			if got != want {
				t.Errorf("Due on the perfection day = %+v, want %+v", got, want)
			}
			// The day before, the notification is not in force: the
			// violation's own windows (60 days from 1 Sep: Sat 31 Oct) and no fees.
			before := milan.Due(f, tt.perfected.AddDays(-1))
			if before.FeesCents != 0 || before.Stage != notices.StageMinimum || before.PayBy != day(2026, time.October, 31) {
				t.Errorf("Due the day before = %+v, want the minimum without fees until 2026-10-31", before)
			}
			terms := milan.TermsFrom(f.NotifiedOn, f.Violation, false)
			if terms.Reduced != tt.reducedBy {
				t.Errorf("TermsFrom(%s).Reduced = %s, want %s", f.NotifiedOn, terms.Reduced, tt.reducedBy)
			}
		})
	}
}

func TestFailedAttemptThenRenotification(t *testing.T) {
	f := cameraFine(t)
	send(t, f, notices.ChannelPEC, day(2026, time.September, 15))
	at := rome(2026, time.September, 20, 9, 0, 0)
	if err := f.RecordOutcome(0, notices.Delivery{Outcome: notices.OutcomeFailed, On: day(2026, time.September, 15)}, "mailbox full", "u", rules, settings.Fees, at); err != nil {
		t.Fatal(err)
	}
	if f.Status != notices.StatusIssued || !f.NotifiedOn.IsZero() {
		t.Fatalf("a failed PEC made the fine %s from %s", f.Status, f.NotifiedOn)
	}
	f.Verbale.Owner.Address = "Via Nuova 9, 20100 Milano"
	send(t, f, notices.ChannelPost, day(2026, time.September, 21))
	err := f.RecordOutcome(1, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 24)}, "RR 1", "u", rules, settings.Fees, rome(2026, time.September, 25, 9, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if f.FeesCents != 300+1300 {
		t.Errorf("fees after a failed PEC and a post = %d, want both attempts' 1600", f.FeesCents)
	}
	if f.NotifiedOn != day(2026, time.September, 24) {
		t.Errorf("perfected %s, want 2026-09-24", f.NotifiedOn)
	}
}

func TestRecordOutcomeRefuses(t *testing.T) {
	at := rome(2026, time.October, 1, 9, 0, 0)
	tests := []struct {
		name string
		ch   notices.Channel
		i    int
		d    notices.Delivery
		ev   string
		code string
	}{
		{"PEC outcome on a post attempt", notices.ChannelPost, 0, notices.Delivery{Outcome: notices.OutcomePECDelivered, On: day(2026, time.September, 16)}, "x", notices.EValidation},
		{"outcome before sending", notices.ChannelPost, 0, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 14)}, "x", notices.EValidation},
		{"outcome in the future", notices.ChannelPost, 0, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.October, 2)}, "x", notices.EValidation},
		{"no evidence", notices.ChannelPost, 0, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 16)}, " ", notices.EValidation},
		{"no such attempt", notices.ChannelPost, 3, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 16)}, "x", notices.ENotFound},
		{"collection before the deposit", notices.ChannelPost, 0, notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.September, 18), CollectedOn: day(2026, time.September, 17)}, "x", notices.EValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cameraFine(t)
			send(t, f, tt.ch, day(2026, time.September, 15))
			before := *f
			wantCode(t, f.RecordOutcome(tt.i, tt.d, tt.ev, "u", rules, settings.Fees, at), tt.code)
			if f.Attempts[0].Delivery != nil || f.Status != before.Status {
				t.Error("a refused outcome changed the fine")
			}
		})
	}
	f := cameraFine(t)
	send(t, f, notices.ChannelPost, day(2026, time.September, 15))
	if err := f.RecordOutcome(0, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 16)}, "x", "u", rules, settings.Fees, at); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.RecordOutcome(0, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.September, 17)}, "x", "u", rules, settings.Fees, at), notices.EInvalidTransition)
}

func TestNotificationTerm(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*notices.Fine)
		party notices.Party
		due   notices.Date
	}{
		// 1 Sep + 90 days = Mon 30 Nov.
		{"resident owner", nil, notices.PartyResident, day(2026, time.November, 30)},
		// Known on 10 Sep: + 90 = Wed 9 Dec.
		{"owner known later", func(f *notices.Fine) { f.Verbale.Owner.KnownOn = day(2026, time.September, 10) }, notices.PartyResident, day(2026, time.December, 9)},
		// 1 Sep 2026 + 360 = Fri 27 Aug 2027.
		{"owner abroad", func(f *notices.Fine) { f.Verbale.Owner.Country = "DE" }, notices.PartyAbroad, day(2027, time.August, 27)},
		{"foreign plate, owner unknown", func(f *notices.Fine) { f.Verbale.Owner, f.Verbale.Vehicle.Country = nil, "FR" }, notices.PartyAbroad, day(2027, time.August, 27)},
		// On the spot to the driver: the owner within 100 days, Thu 10 Dec.
		{"jointly liable after the spot", func(f *notices.Fine) {
			f.Contestation, f.Status, f.NotifiedOn, f.Verbale.Offender = notices.ContestImmediate, notices.StatusNotified, day(2026, time.September, 1), driver()
		}, notices.PartyJointlyLiable, day(2026, time.December, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cameraFine(t)
			if tt.edit != nil {
				tt.edit(f)
			}
			got, ok := milan.NotificationTerm(f)
			if !ok || got.Party != tt.party || got.Due != tt.due {
				t.Errorf("NotificationTerm = %+v %v, want %s by %s", got, ok, tt.party, tt.due)
			}
		})
	}
}

func TestLateNotificationFlagsVoid(t *testing.T) {
	t.Run("sent after the term", func(t *testing.T) {
		f := cameraFine(t)
		send(t, f, notices.ChannelPost, day(2026, time.December, 1)) // term was 30 Nov
		if !f.Attempts[0].Late || !f.Void.Blocking() {
			t.Fatalf("late attempt %v, void %+v", f.Attempts[0].Late, f.Void)
		}
		wantCode(t, f.Payable(), notices.EFineVoid)
		if err := f.DecideVoid(true, "owner data arrived on 5 Sep", "capo", rome(2026, time.December, 2, 9, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if err := f.Payable(); err != nil {
			t.Errorf("after the flag is lifted Payable = %v", err)
		}
	})
	t.Run("never sent", func(t *testing.T) {
		f := cameraFine(t)
		if f.FlagLate(milan, rome(2026, time.November, 30, 23, 0, 0)) {
			t.Fatal("flagged on the last day of the term")
		}
		if !f.FlagLate(milan, rome(2026, time.December, 1, 0, 30, 0)) || !f.Void.Blocking() {
			t.Fatal("not flagged the day after the term")
		}
		wantCode(t, f.Payable(), notices.EFineVoid)
		if err := f.DecideVoid(false, "confirmed: registry answered on time", "capo", rome(2026, time.December, 2, 9, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if f.Status != notices.StatusCancelled || f.Void.Decision != "confirmed" {
			t.Errorf("confirmed void: status %s, decision %s", f.Status, f.Void.Decision)
		}
	})
	t.Run("nobody known to notify", func(t *testing.T) {
		f := cameraFine(t)
		f.Verbale.Owner = nil
		if f.FlagLate(milan, rome(2026, time.December, 5, 9, 0, 0)) {
			t.Error("flagged a fine whose owner is not known yet")
		}
	})
	t.Run("short form: notified after the term", func(t *testing.T) {
		f := cameraFine(t)
		if err := f.NotifyWithinTerm(day(2026, time.December, 1), notices.ChannelPost, 1300, milan, rome(2026, time.December, 2, 9, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if f.Status != notices.StatusNotified || !f.Void.Blocking() {
			t.Fatalf("status %s, void %+v: want notified and flagged for a supervisor", f.Status, f.Void)
		}
		wantCode(t, f.Payable(), notices.EFineVoid)
	})
	t.Run("short form: notified on the last day", func(t *testing.T) {
		f := cameraFine(t)
		if err := f.NotifyWithinTerm(day(2026, time.November, 30), notices.ChannelPost, 1300, milan, rome(2026, time.December, 2, 9, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if f.Void != nil {
			t.Errorf("notified on the term's last day, flagged %+v", f.Void)
		}
	})
	t.Run("sent in time, perfected later", func(t *testing.T) {
		f := cameraFine(t)
		send(t, f, notices.ChannelPost, day(2026, time.November, 30))
		if f.FlagLate(milan, rome(2026, time.December, 5, 9, 0, 0)) {
			t.Error("a verbale sent on the last day was flagged: the sender's date counts")
		}
	})
}

func TestDriverIdentification(t *testing.T) {
	f := cameraFine(t)
	send(t, f, notices.ChannelPost, day(2026, time.September, 15))
	if err := f.RecordOutcome(0, notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.September, 18)}, "RR 9", "u", rules, settings.Fees, rome(2026, time.September, 20, 9, 0, 0)); err != nil {
		t.Fatal(err)
	}
	term, ok := milan.DriverTerm(f)
	if !ok || term != day(2026, time.November, 27) { // 28 Sep + 60
		t.Fatalf("DriverTerm = %s %v, want 2026-11-27", term, ok)
	}
	decl := notices.DriverDeclaration{Driver: *driver(), DeclaredBy: "Rossi Mario", OwnerCode: "rssmra80a01h501u", Declaration: true}
	at := rome(2026, time.October, 5, 9, 0, 0)
	wrong := decl
	wrong.OwnerCode = "01199250158"
	wantCode(t, f.SubmitDriver(wrong, milan, at), notices.EOwnerMismatch)
	noLicence := decl
	noLicence.Driver.LicenceNumber = ""
	wantCode(t, f.SubmitDriver(noLicence, milan, at), notices.EValidation)
	if err := f.SubmitDriver(decl, milan, at); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.SubmitDriver(decl, milan, at), notices.EInvalidTransition)
	if err := f.ReviewDriver(true, "", "ufficio", at); err != nil {
		t.Fatal(err)
	}
	if f.Verbale.Offender == nil || f.Verbale.Offender.LicenceNumber != "TO1234567X" {
		t.Errorf("accepted driver did not become the offender: %+v", f.Verbale.Offender)
	}
	if milan.DriverPenaltyDue(f, day(2026, time.December, 1)) {
		t.Error("penalty due although the driver was named")
	}

	g := cameraFine(t)
	g.Status, g.NotifiedOn = notices.StatusNotified, day(2026, time.September, 28)
	if milan.DriverPenaltyDue(g, day(2026, time.November, 27)) {
		t.Error("penalty due on the last day of the term")
	}
	if !milan.DriverPenaltyDue(g, day(2026, time.November, 28)) {
		t.Fatal("penalty not due the day after the term")
	}
	p, err := notices.NewDriverPenalty(g, notices.DefaultCatalogue(), settings, "ufficio", rome(2026, time.December, 1, 9, 0, 0), &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Violation.Code != notices.DriverPenaltyCode || p.Plate != g.Plate || p.Verbale.Owner.Name != "Rossi Mario" || notices.DateOf(p.OccurredAt) != day(2026, time.November, 28) {
		t.Errorf("penalty fine %+v", p)
	}
	g.MarkDriverPenalty(p.ID, rome(2026, time.December, 1, 9, 0, 0))
	if milan.DriverPenaltyDue(g, day(2026, time.December, 2)) {
		t.Error("penalty due twice")
	}
}
