package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/multa/multa/notices"
)

// seedVerbaleDemo adds three fines that show issue 18's screens: a camera
// fine whose owner got it by post with compiuta giacenza (the driver app
// asks to name the driver), a German car's fine on its way by post (the
// notice carries English, German and French texts), and one never sent
// within 90 days (the server's sweep flags it void at start).
func seedVerbaleDemo(ctx context.Context, store notices.Store, cat *notices.Catalogue, s notices.Settings, now time.Time, out io.Writer) error {
	today := notices.DateOf(now)
	rules := notices.NotificationRules{Calendar: s.Calendar}
	rossi := &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Rossi Mario", FiscalCode: "RSSMRA80A01H501U",
		BirthDate: notices.Date{Year: 1980, Month: 1, Day: 1}, BirthPlace: "Roma", Address: "Via Roma 1, 20121 Milano", PEC: "mario.rossi@pec.example.it"}
	mueller := &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Müller Jürgen", Address: "Leopoldstraße 7, 80802 München", Country: "DE"}
	demos := []struct {
		what    string
		plate   string
		code    string
		daysAgo int
		v       notices.Verbale
		apply   func(f *notices.Fine, occurred notices.Date) error
	}{
		{"camera fine, post, compiuta giacenza; name the driver", "FG482KL", "142-8", 20,
			notices.Verbale{Owner: rossi, Vehicle: notices.Vehicle{Type: "car", Make: "Fiat", Model: "Panda"}, Agents: []string{"PL-0042"}, DeferredReason: notices.DeferredCamera},
			func(f *notices.Fine, occurred notices.Date) error {
				sent := occurred.AddDays(3)
				if err := f.SendNotification(notices.Attempt{Recipient: notices.RecipientOwner, Channel: notices.ChannelPost, SentOn: sent,
					FeesCents: s.Fees.For(notices.ChannelPost), Evidence: "RR 6123 4567 8901", SentBy: "officer"}, s.Calendar, s.Fees, now); err != nil {
					return err
				}
				return f.RecordOutcome(0, notices.Delivery{Outcome: notices.OutcomePostDeposited, On: occurred.AddDays(6)}, "CAD 6123 4567 8901", "officer", rules, s.Fees, now)
			}},
		{"German car, post on its way; texts in en/de/fr", "MAB1234", "146-3", 10,
			notices.Verbale{Owner: mueller, Vehicle: notices.Vehicle{Type: "car", Make: "VW", Model: "Golf", Country: "DE"}, DeferredReason: notices.DeferredCamera},
			func(f *notices.Fine, occurred notices.Date) error {
				return f.SendNotification(notices.Attempt{Recipient: notices.RecipientOwner, Channel: notices.ChannelPost, SentOn: today,
					FeesCents: s.Fees.For(notices.ChannelPost), Evidence: "RR international 1", SentBy: "officer"}, s.Calendar, s.Fees, now)
			}},
		{"never sent within 90 days; void until a supervisor decides", "GH559MN", "7-14", 95,
			notices.Verbale{Owner: rossi, Vehicle: notices.Vehicle{Type: "car"}, DeferredReason: notices.DeferredCamera},
			func(*notices.Fine, notices.Date) error { return nil }},
	}
	fmt.Fprintln(out, "Verbale demos (issue 18):")
	for _, d := range demos {
		at := today.AddDays(-d.daysAgo).Start().Add(10 * time.Hour)
		f, err := notices.NewFine(notices.FineRequest{Plate: d.plate, ViolationCode: d.code, OccurredAt: at, Place: "Viale Monza 12, Milano",
			Contestation: notices.ContestDeferred, Officer: "officer"}, cat, s, now, nil)
		if err != nil {
			return fmt.Errorf("verbale demo %s: %w", d.plate, err)
		}
		if _, err := store.CreateFine(ctx, f, nil); err != nil {
			return err
		}
		v := d.v
		owner := *v.Owner
		owner.KnownOn = notices.DateOf(at)
		v.Owner = &owner
		if _, err := store.UpdateFine(ctx, f.ID, func(x *notices.Fine) error {
			if err := x.SetVerbale(v, today, now); err != nil {
				return err
			}
			return d.apply(x, notices.DateOf(at))
		}); err != nil {
			return fmt.Errorf("verbale demo %s: %w", d.plate, err)
		}
		fmt.Fprintf(out, "  /p/%s  %s\n", f.Options[len(f.Options)-1].NAV, d.what)
	}
	return nil
}
