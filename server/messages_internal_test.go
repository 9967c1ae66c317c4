package server

import (
	"errors"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// TestEveryFineMessageHasItalian: each message a new fine, a correction or
// a notification can refuse with is in the message catalogue, so that the
// office never shows an English sentence on an Italian screen.
func TestEveryFineMessageHasItalian(t *testing.T) {
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, notices.Rome)
	cat := notices.DefaultCatalogue()
	bad := 200.0
	var msgs []string
	collect := func(err error) {
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				msgs = append(msgs, f.Message)
			}
		} else if err != nil {
			msgs = append(msgs, notices.ErrorMessage(err))
		}
	}
	for _, req := range []notices.FineRequest{
		{},
		{Plate: "A@", ViolationCode: "nope", OccurredAt: now.Add(time.Hour), Lat: &bad, Lon: &bad, Contestation: "x"},
		{Plate: "ABCDEFGHIJKL", OccurredAt: now.AddDate(-2, 0, 0)},
	} {
		_, err := notices.NewFine(req, cat, notices.Settings{Segregation: "01"}, now, nil)
		collect(err)
	}
	f := notices.Fine{ReportNumber: "2026/000001", Status: notices.StatusIssued, Plate: "AB123CD", Place: "Via Roma 1", OccurredAt: now.Add(-time.Hour)}
	collect(f.Correct(notices.CorrectionRequest{}, "capo", now))
	collect(f.Correct(notices.CorrectionRequest{Plate: "AB123CD", Reason: "x"}, "capo", now))
	collect(f.Notify(notices.DateOf(now), "fax", 0, now))
	collect(f.Notify(notices.DateOf(now), notices.ChannelPost, -1, now))
	collect(f.Notify(notices.DateOf(now).AddDays(1), notices.ChannelPost, 0, now))
	collect(f.Cancel("", "capo", now))
	paid := f
	paid.Status = notices.StatusPaid
	collect(paid.Correct(notices.CorrectionRequest{Plate: "ZZ999ZZ", Reason: "x"}, "capo", now))
	collect(paid.Cancel("x", "capo", now))
	if len(msgs) < 15 {
		t.Fatalf("only %d messages collected: %q", len(msgs), msgs)
	}
	for _, m := range msgs {
		if it := italian(m, ""); it == m {
			t.Errorf("no Italian for %q (add it to server/messages.go)", m)
		}
	}
}
