package notices_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

var (
	// now is the injected clock of these tests: Tue 10 Nov 2026, 10:00 Rome.
	now      = rome(2026, time.November, 10, 10, 0, 0)
	settings = notices.Settings{Segregation: "02", Fees: notices.DefaultFees, Calendar: milan}
)

func validRequest() notices.FineRequest {
	return notices.FineRequest{
		Plate: "ab 123-cd", ViolationCode: "142-8", OccurredAt: rome(2026, time.November, 1, 23, 30, 0),
		Place: "  Viale Monza 12, Milano ", Contestation: notices.ContestDeferred, Officer: "ag.rossi",
	}
}

func ptr(f float64) *float64 { return &f }

func TestNewFine(t *testing.T) {
	req := validRequest()
	req.Lat, req.Lon = ptr(45.5), ptr(9.2)
	f, err := notices.NewFine(req, notices.DefaultCatalogue(), settings, now, nil)
	if err != nil {
		t.Fatalf("NewFine: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Status", f.Status, notices.StatusIssued},
		{"Plate", f.Plate, "AB123CD"},
		{"Violation", f.Violation, violation(t, "142-8")},
		{"Place", f.Place, "Viale Monza 12, Milano"},
		{"Contestation", f.Contestation, notices.ContestDeferred},
		{"NotifiedOn", f.NotifiedOn, notices.Date{}},
		{"FeesCents", f.FeesCents, int64(0)},
		{"Officer", f.Officer, "ag.rossi"},
		{"CreatedAt", f.CreatedAt, now},
		{"OccurredAt in Rome", f.OccurredAt.Location(), notices.Rome},
		{"OccurredAt instant", f.OccurredAt.Equal(req.OccurredAt), true},
		{"len(ID)", len(f.ID), 32},
		{"Lat", *f.Lat, 45.5},
		{"Lon", *f.Lon, 9.2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(f.Options) != 2 || f.Options[0].Kind != notices.OptionReduced || f.Options[1].Kind != notices.OptionMinimum {
		t.Fatalf("Options = %+v, want reduced then minimum", f.Options)
	}
	for _, o := range f.Options {
		if !refValidNAV(string(o.NAV)) || !strings.HasPrefix(string(o.NAV), "302") {
			t.Errorf("option %s NAV %s: want a valid aux-3 NAV with segregation 02", o.Kind, o.NAV)
		}
		if got, ok := f.Option(o.NAV); !ok || got != o {
			t.Errorf("Option(%s) = %+v, %v; want %+v", o.NAV, got, ok, o)
		}
	}
	if f.Options[0].NAV == f.Options[1].NAV {
		t.Errorf("both options share NAV %s", f.Options[0].NAV)
	}
	if _, ok := f.Option("302032002700000251"); ok {
		t.Errorf("Option of a foreign NAV found")
	}
}

func TestNewFineImmediateContestation(t *testing.T) {
	req := validRequest()
	req.Contestation = notices.ContestImmediate
	// 23:30 UTC on 1 Nov is 00:30 on 2 Nov in Rome: the notification day
	// is the Rome day of the stop.
	req.OccurredAt = utc(2026, time.November, 1, 23, 30, 0)
	f, err := notices.NewFine(req, notices.DefaultCatalogue(), settings, now, nil)
	if err != nil {
		t.Fatalf("NewFine: %v", err)
	}
	if f.Status != notices.StatusNotified || f.NotifiedOn != day(2026, time.November, 2) || f.Channel != notices.ChannelHand || f.FeesCents != 0 {
		t.Errorf("immediate: status %s, notified %s, channel %s, fees %d; want notified on 2026-11-02 by hand, no fees",
			f.Status, f.NotifiedOn, f.Channel, f.FeesCents)
	}
	got := settings.Calendar.Due(f, day(2026, time.November, 7))
	if got.Stage != notices.StageReduced || got.FeesCents != 0 || got.Cents != 16147 {
		t.Errorf("immediate: Due(7 Nov) = %+v, want reduced 161.47 with no fees", got)
	}
	// Notified on the spot already: a later notification is a mistake.
	wantCode(t, f.Notify(day(2026, time.November, 3), notices.ChannelPost, 1300, now), notices.EInvalidTransition)
}

func TestNewFineNonReducibleHasOneOption(t *testing.T) {
	for _, code := range []string{"142-9", "142-9bis"} {
		req := validRequest()
		req.ViolationCode = code
		f, err := notices.NewFine(req, notices.DefaultCatalogue(), settings, now, nil)
		if err != nil {
			t.Fatalf("NewFine(%s): %v", code, err)
		}
		if len(f.Options) != 1 || f.Options[0].Kind != notices.OptionMinimum {
			t.Errorf("%s: Options = %+v, want only minimum", code, f.Options)
		}
		opts := settings.Calendar.Options(f)
		if len(opts) != 1 || opts[0].Kind != notices.OptionMinimum {
			t.Errorf("%s: Calendar.Options = %+v, want only minimum", code, opts)
		}
	}
}

func TestNewFineDeterministic(t *testing.T) {
	mk := func() *notices.Fine {
		f, err := notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, &countingReader{})
		if err != nil {
			t.Fatalf("NewFine: %v", err)
		}
		return f
	}
	a, b := mk(), mk()
	// The milliseconds of now, then bytes 6..15 of the stream.
	if want := fmt.Sprintf("%012x", now.UnixMilli()) + "060708090a0b0c0d0e0f"; a.ID != want {
		t.Errorf("ID = %s, want %s: the time, then the stream", a.ID, want)
	}
	if a.ID != b.ID || a.Options[0] != b.Options[0] || a.Options[1] != b.Options[1] {
		t.Errorf("same stream, different fines: %+v vs %+v", a.Options, b.Options)
	}
}

func TestNewFineDistinctNAVs(t *testing.T) {
	// The second option's draw repeats the first: it must be drawn again,
	// since one NAV cannot stand for two options (paying one disables the
	// other, and the store finds a fine by either).
	x := []byte{0, 0, 0, 0, 0, 0, 0, 7}
	y := []byte{0, 0, 0, 0, 0, 0, 0, 9}
	stream := append(append(append(make([]byte, 16), x...), x...), y...)
	f, err := notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, bytes.NewReader(stream))
	if err != nil {
		t.Fatalf("NewFine: %v", err)
	}
	// aux 3, segregation 02, bases 7 and 9.
	for i, body := range []string{"3020000000000007", "3020000000000009"} {
		if got := string(f.Options[i].NAV); got[:16] != body || !refValidNAV(got) {
			t.Errorf("option %d NAV = %s, want %s + check", i, got, body)
		}
	}
	if f.Options[0].NAV == f.Options[1].NAV {
		t.Errorf("both options got NAV %s", f.Options[0].NAV)
	}

	// A source stuck on one value must fail, not hang and not hand out
	// the same NAV twice.
	_, err = notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, &cycleReader{pattern: x})
	wantCode(t, err, notices.EInternal)
}

func TestAssignNAVsLeavesCopiesAlone(t *testing.T) {
	// On a NAV collision the store assigns new NAVs and retries; a copy of
	// the fine taken before (to report the taken NAVs, say) must keep its own.
	f := fineIn(t, notices.StatusIssued)
	old := *f
	oldOptions := append([]notices.PaymentOption(nil), f.Options...)
	if err := f.AssignNAVs("02", nil); err != nil {
		t.Fatal(err)
	}
	for i := range oldOptions {
		if old.Options[i] != oldOptions[i] {
			t.Errorf("copy's option %d changed from %+v to %+v", i, oldOptions[i], old.Options[i])
		}
		if f.Options[i].NAV == oldOptions[i].NAV {
			t.Errorf("option %d kept NAV %s after AssignNAVs", i, f.Options[i].NAV)
		}
	}
}

func TestNewFineBrokenEntropy(t *testing.T) {
	_, err := notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, brokenReader{})
	wantCode(t, err, notices.EInternal)
	if !errors.Is(err, errBrokenReader) {
		t.Errorf("err = %v, want it to wrap the reader's error", err)
	}
	if msg := notices.ErrorMessage(err); strings.Contains(msg, errBrokenReader.Error()) {
		t.Errorf("ErrorMessage = %q leaks the internal cause", msg)
	}
}

func TestNewFineValidation(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*notices.FineRequest)
		fields []string
	}{
		{"plate with symbols", func(r *notices.FineRequest) { r.Plate = "AB*123" }, []string{"plate"}},
		{"plate too short", func(r *notices.FineRequest) { r.Plate = "A" }, []string{"plate"}},
		{"plate too long", func(r *notices.FineRequest) { r.Plate = "ABCDEFGHIJK" }, []string{"plate"}},
		{"empty plate", func(r *notices.FineRequest) { r.Plate = " - " }, []string{"plate"}},
		{"unknown violation", func(r *notices.FineRequest) { r.ViolationCode = "999" }, []string{"violationCode"}},
		{"zero time", func(r *notices.FineRequest) { r.OccurredAt = time.Time{} }, []string{"occurredAt"}},
		{"an hour in the future", func(r *notices.FineRequest) { r.OccurredAt = now.Add(time.Hour) }, []string{"occurredAt"}},
		{"more than a year old", func(r *notices.FineRequest) { r.OccurredAt = now.AddDate(-1, 0, -1) }, []string{"occurredAt"}},
		{"missing place", func(r *notices.FineRequest) { r.Place = "   " }, []string{"place"}},
		{"place too long", func(r *notices.FineRequest) { r.Place = strings.Repeat("è", 201) }, []string{"place"}},
		{"bad contestation", func(r *notices.FineRequest) { r.Contestation = "later" }, []string{"contestation"}},
		{"empty contestation", func(r *notices.FineRequest) { r.Contestation = "" }, []string{"contestation"}},
		{"lat above 90", func(r *notices.FineRequest) { r.Lat = ptr(90.0001) }, []string{"lat"}},
		{"lat NaN", func(r *notices.FineRequest) { r.Lat = ptr(math.NaN()) }, []string{"lat"}},
		{"lon below -180", func(r *notices.FineRequest) { r.Lon = ptr(-180.5) }, []string{"lon"}},
		{"lon +Inf", func(r *notices.FineRequest) { r.Lon = ptr(math.Inf(1)) }, []string{"lon"}},
		{"everything wrong at once", func(r *notices.FineRequest) {
			*r = notices.FineRequest{Plate: "?", ViolationCode: "nope", OccurredAt: now.Add(24 * time.Hour),
				Lat: ptr(-91), Lon: ptr(181), Contestation: "x"}
		}, []string{"plate", "violationCode", "occurredAt", "place", "lat", "lon", "contestation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validRequest()
			tt.edit(&req)
			f, err := notices.NewFine(req, notices.DefaultCatalogue(), settings, now, nil)
			if f != nil {
				t.Errorf("NewFine returned a fine with an error")
			}
			var ve *notices.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v (%T), want *notices.ValidationError", err, err)
			}
			if code := notices.ErrorCode(err); code != notices.EValidation {
				t.Errorf("ErrorCode = %s, want %s", code, notices.EValidation)
			}
			var got []string
			for _, fe := range ve.Fields {
				got = append(got, fe.Field)
				if fe.Message == "" {
					t.Errorf("field %s has no message", fe.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("invalid fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestNewFineEdgesAccepted(t *testing.T) {
	tests := []struct {
		name string
		edit func(*notices.FineRequest)
	}{
		{"a few minutes of clock skew", func(r *notices.FineRequest) { r.OccurredAt = now.Add(4 * time.Minute) }},
		{"almost a year old", func(r *notices.FineRequest) { r.OccurredAt = now.Add(-364 * 24 * time.Hour) }},
		{"poles and antimeridian", func(r *notices.FineRequest) { r.Lat, r.Lon = ptr(-90), ptr(180) }},
		{"foreign plate, two characters", func(r *notices.FineRequest) { r.Plate = "d1" }},
		{"200-character place", func(r *notices.FineRequest) { r.Place = strings.Repeat("è", 200) }},
	}
	for _, tt := range tests {
		req := validRequest()
		tt.edit(&req)
		if _, err := notices.NewFine(req, notices.DefaultCatalogue(), settings, now, nil); err != nil {
			t.Errorf("%s: NewFine: %v", tt.name, err)
		}
	}
}

func TestNormalizePlate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AB123CD", "AB123CD"},
		{"ab 123 cd", "AB123CD"},
		{"ab-123-cd", "AB123CD"},
		{"  mi 0a1234 ", "MI0A1234"},
		{"B-MW 1234", "BMW1234"},
		{"A", ""},
		{"AB.123", ""},
		{"ÀB123", ""},
		{"ABCDEFGHIJ", "ABCDEFGHIJ"},
		{"ABCDEFGHIJK", ""},
	}
	for _, tt := range tests {
		got, err := notices.NormalizePlate(tt.in)
		if tt.want == "" {
			wantCode(t, err, notices.EValidation)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePlate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// fineIn returns a fine of 1 Nov 2026 in the given state.
func fineIn(t *testing.T, s notices.Status) *notices.Fine {
	t.Helper()
	f, err := notices.NewFine(validRequest(), notices.DefaultCatalogue(), settings, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch s {
	case notices.StatusNotified:
		err = f.Notify(day(2026, time.November, 2), notices.ChannelPost, 1300, now)
	case notices.StatusPaid:
		err = f.MarkPaid("r1", now)
	case notices.StatusCancelled:
		err = f.Cancel("wrong plate", "sup.bianchi", now)
	}
	if err != nil || f.Status != s {
		t.Fatalf("fine in %s: status %s, %v", s, f.Status, err)
	}
	return f
}

func TestNotify(t *testing.T) {
	later := now.Add(time.Hour)
	tests := []struct {
		name string
		from notices.Status
		on   notices.Date
		ch   notices.Channel
		fees int64
		want string // error code, "" for success
	}{
		{"post", notices.StatusIssued, day(2026, time.November, 2), notices.ChannelPost, 1300, ""},
		{"PEC on the violation day", notices.StatusIssued, day(2026, time.November, 1), notices.ChannelPEC, 300, ""},
		{"by hand today", notices.StatusIssued, day(2026, time.November, 10), notices.ChannelHand, 0, ""},
		{"before the violation day", notices.StatusIssued, day(2026, time.October, 31), notices.ChannelPost, 1300, notices.EValidation},
		{"tomorrow", notices.StatusIssued, day(2026, time.November, 11), notices.ChannelPost, 1300, notices.EValidation},
		{"unknown channel", notices.StatusIssued, day(2026, time.November, 2), "fax", 1300, notices.EValidation},
		{"negative fees", notices.StatusIssued, day(2026, time.November, 2), notices.ChannelPost, -1, notices.EValidation},
		{"absurd fees", notices.StatusIssued, day(2026, time.November, 2), notices.ChannelPost, 100_001, notices.EValidation},
		{"already notified", notices.StatusNotified, day(2026, time.November, 3), notices.ChannelPost, 1300, notices.EInvalidTransition},
		{"paid", notices.StatusPaid, day(2026, time.November, 3), notices.ChannelPost, 1300, notices.EAlreadyPaid},
		{"cancelled", notices.StatusCancelled, day(2026, time.November, 3), notices.ChannelPost, 1300, notices.EFineCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fineIn(t, tt.from)
			before := *f
			err := f.Notify(tt.on, tt.ch, tt.fees, later)
			if tt.want != "" {
				wantCode(t, err, tt.want)
				if f.Status != before.Status || f.NotifiedOn != before.NotifiedOn || f.FeesCents != before.FeesCents || f.UpdatedAt != before.UpdatedAt {
					t.Errorf("a refused Notify changed the fine: %+v", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if f.Status != notices.StatusNotified || f.NotifiedOn != tt.on || f.Channel != tt.ch || f.FeesCents != tt.fees || !f.UpdatedAt.Equal(later) {
				t.Errorf("after Notify: status %s, on %s, channel %s, fees %d, updated %s", f.Status, f.NotifiedOn, f.Channel, f.FeesCents, f.UpdatedAt)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name   string
		from   notices.Status
		reason string
		want   string
	}{
		{"issued", notices.StatusIssued, "wrong plate", ""},
		{"notified", notices.StatusNotified, "  duplicate of 2026/123  ", ""},
		{"no reason", notices.StatusIssued, "", notices.EValidation},
		{"blank reason", notices.StatusNotified, " \t\n", notices.EValidation},
		{"reason too long", notices.StatusIssued, strings.Repeat("x", 501), notices.EValidation},
		{"paid", notices.StatusPaid, "too late", notices.EAlreadyPaid},
		{"cancelled twice", notices.StatusCancelled, "again", notices.EFineCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fineIn(t, tt.from)
			before := f.Status
			err := f.Cancel(tt.reason, "sup.verdi", now.Add(time.Minute))
			if tt.want != "" {
				wantCode(t, err, tt.want)
				if f.Status != before {
					t.Errorf("refused Cancel moved %s to %s", before, f.Status)
				}
				return
			}
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			if f.Status != notices.StatusCancelled || f.CancelReason != strings.TrimSpace(tt.reason) || f.CancelledBy != "sup.verdi" ||
				f.CancelledAt == nil || !f.CancelledAt.Equal(now.Add(time.Minute)) {
				t.Errorf("after Cancel: %s, reason %q, by %q, at %v", f.Status, f.CancelReason, f.CancelledBy, f.CancelledAt)
			}
			wantCode(t, f.Payable(), notices.EFineCancelled)
			wantCode(t, f.MarkPaid("r2", now), notices.EFineCancelled)
		})
	}
}

func TestMarkPaid(t *testing.T) {
	for _, from := range []notices.Status{notices.StatusIssued, notices.StatusNotified} {
		f := fineIn(t, from)
		if err := f.Payable(); err != nil {
			t.Errorf("%s: Payable() = %v, want nil", from, err)
		}
		at := now.Add(2 * time.Hour)
		if err := f.MarkPaid("rcpt-1", at); err != nil {
			t.Fatalf("%s: MarkPaid: %v", from, err)
		}
		if f.Status != notices.StatusPaid || f.ReceiptID != "rcpt-1" || f.PaidAt == nil || !f.PaidAt.Equal(at) {
			t.Errorf("%s: after MarkPaid: %s, receipt %q, paid at %v", from, f.Status, f.ReceiptID, f.PaidAt)
		}
		// A second payment is refused and keeps the first receipt.
		wantCode(t, f.MarkPaid("rcpt-2", at.Add(time.Minute)), notices.EAlreadyPaid)
		if f.ReceiptID != "rcpt-1" || !f.PaidAt.Equal(at) {
			t.Errorf("%s: second MarkPaid changed the receipt to %q at %v", from, f.ReceiptID, f.PaidAt)
		}
		wantCode(t, f.Cancel("after payment", "sup", now), notices.EAlreadyPaid)
	}
}

func TestStatusAndErrors(t *testing.T) {
	for _, s := range []notices.Status{notices.StatusIssued, notices.StatusNotified, notices.StatusPaid, notices.StatusCancelled} {
		if !s.Valid() {
			t.Errorf("%s.Valid() = false", s)
		}
	}
	if notices.Status("archived").Valid() || notices.Status("").Valid() {
		t.Errorf("unknown status reported valid")
	}
	if got := notices.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q", got)
	}
	if got := notices.ErrorCode(errors.New("disk on fire")); got != notices.EInternal {
		t.Errorf("ErrorCode(plain error) = %q, want %s", got, notices.EInternal)
	}
	if got := notices.ErrorMessage(errors.New("disk on fire")); strings.Contains(got, "disk") {
		t.Errorf("ErrorMessage leaks %q", got)
	}
	if got, want := notices.DefaultFees.For(notices.ChannelPost), int64(1300); got != want {
		t.Errorf("post fees = %d, want %d", got, want)
	}
	if got, want := notices.DefaultFees.For(notices.ChannelPEC), int64(300); got != want {
		t.Errorf("PEC fees = %d, want %d", got, want)
	}
	if got := notices.DefaultFees.For(notices.ChannelHand); got != 0 {
		t.Errorf("hand fees = %d, want 0", got)
	}
}

func TestFreeTextProblem(t *testing.T) {
	for s, ok := range map[string]bool{
		"Via Torino 12, Milano": true, "Łódź, ul. Piotrkowska 3": true, "Gorizia/Gorica – Soči": true, "Αθήνα": true,
		"Via Roma\u202E12": false, "Via\u2066Roma": false, "Via Roma\x07": false, "Via\nRoma": false, "Via\u0085Roma": false,
		"Via\u2028Roma": false, "\ufeffVia Roma": false,
	} {
		if got := notices.FreeTextProblem(s) == ""; got != ok {
			t.Errorf("FreeTextProblem(%q) accepts = %v, want %v", s, got, ok)
		}
	}
}

// TestNewTimeIDSortsByTime: an id made later sorts after an earlier one
// whatever their random bits, and keeps NewID's length.
func TestNewTimeIDSortsByTime(t *testing.T) {
	at := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 50 {
		id, err := notices.NewTimeID(at.Add(time.Duration(i)*time.Millisecond), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 32 || id <= prev {
			t.Fatalf("id %d = %s after %s", i, id, prev)
		}
		prev = id
	}
}
