package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/pagopa/nodesim"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

// demoFines is enough for the dashboard's daily and weekly patterns to
// show, few enough to seed in a second or two.
const demoFines = 150

// demoPlaces are real streets of Milan, so the demo reads like a city's day.
var demoPlaces = []string{
	"Via Torino 12", "Corso Buenos Aires 45", "Viale Monza 120", "Piazza Cordusio", "Via Padova 88",
	"Corso di Porta Romana 61", "Viale Certosa 210", "Via Novara 5", "Corso Sempione 33", "Via Ripamonti 150",
	"Viale Fulvio Testi 42", "Piazzale Loreto", "Via Mecenate 76", "Corso Lodi 14", "Via Vittor Pisani 20",
}

// demoHours weights the hour of a violation: rush hours for parking and
// ZTL, nights for speeding, so the dashboard shows a real daily pattern.
var demoHours = []int{8, 8, 9, 9, 9, 10, 11, 12, 13, 13, 17, 18, 18, 18, 19, 19, 20, 22, 23, 1, 2}

// seedDemo fills an empty database with demo users and a few dozen fines
// in every state, paid ones through the sandbox provider with test cards.
func seedDemo(ctx context.Context, store notices.Store, accounts *auth.Service, cat *notices.Catalogue,
	s notices.Settings, st pagopa.Settings, now time.Time, pspState psp.SandboxStore, out io.Writer) error {
	page, err := store.ListFines(ctx, notices.FineFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Items) > 0 {
		fmt.Fprintln(out, "demo: the database already has fines; nothing seeded")
		return nil
	}
	fmt.Fprintln(out, "Demo users (passwords shown only now):")
	for _, u := range []struct {
		name string
		role notices.Role
	}{{"officer", notices.RoleOfficer}, {"supervisor", notices.RoleSupervisor}, {"finance", notices.RoleFinance}} {
		pw, err := auth.RandomPassword()
		if err != nil {
			return err
		}
		if _, err := accounts.CreateUser(ctx, u.name, pw, u.role); err != nil {
			if notices.ErrorCode(err) == notices.EConflict {
				continue
			}
			return err
		}
		fmt.Fprintf(out, "  %-10s %-11s %s\n", u.name, u.role, pw)
	}
	rng := mrand.New(mrand.NewPCG(2026, 11))
	clock := now // moved to each simulated payment's time
	sandbox, err := psp.NewSandbox(psp.SandboxOptions{Store: pspState, Now: func() time.Time { return clock }})
	if err != nil {
		return err
	}
	// Paid fines are settled by the same use case as the app's checkout,
	// each on its own simulated day.
	payments := payment.New(payment.Config{Store: store, Provider: sandbox, Settings: s, Now: func() time.Time { return clock }})
	// About half of them are paid in pagoPA channels: the node simulator
	// calls the station in process, which settles through the same use case.
	node := demoNode(s, st, payments, func() time.Time { return clock })
	card, err := sandbox.Tokenize(psp.CardRequest{Number: "4242424242424242", ExpMonth: 12, ExpYear: now.Year() + 3, CVC: "123", Holder: "Demo Driver"})
	if err != nil {
		return err
	}
	var navs []string
	for i := 0; i < demoFines; i++ {
		f, err := demoFine(rng, cat, s, now, i)
		if err != nil {
			return err
		}
		if _, err := store.CreateFine(ctx, f, nil); err != nil {
			return err
		}
		if err := demoLifecycle(ctx, store, payments, node, card.Token, s, f, rng, now, &clock, i); err != nil {
			return fmt.Errorf("fine %d: %w", i, err)
		}
		if i%30 == 0 {
			navs = append(navs, string(f.Options[len(f.Options)-1].NAV))
		}
	}
	fmt.Fprintf(out, "Demo fines seeded: %d. Some notices to try:\n", demoFines)
	for _, n := range navs {
		fmt.Fprintf(out, "  /api/v1/notices/%s\n", n)
	}
	if err := seedVerbaleDemo(ctx, store, cat, s, now, out); err != nil {
		return err
	}
	return printSimHint(ctx, store, st, out)
}

// demoStation is the station identity of demo data when the operator
// configured none: the creditor as its own broker, and the standard
// Italian example IBAN.
func demoStation(s notices.Settings, st pagopa.Settings) pagopa.Settings {
	if st.Enabled() {
		return st
	}
	return pagopa.Settings{BrokerID: s.Creditor.FiscalCode, StationID: s.Creditor.FiscalCode + "_01",
		IBAN: "IT60X0542811101000000123456", TransferCategory: pagopa.DefaultTransferCategory}
}

// demoNode is the node simulator wired to a station in this process.
func demoNode(s notices.Settings, st pagopa.Settings, payments *payment.Service, now func() time.Time) *nodesim.Node {
	st = demoStation(s, st)
	station := pagopa.New(pagopa.Config{Settings: st, Creditor: s.Creditor, Payments: payments, Now: now,
		Logger: slog.New(slog.DiscardHandler)})
	return nodesim.New(nodesim.Config{URL: "http://station.demo/pagopa/v1/paForNode", Client: &http.Client{Transport: nodesim.InProcess(station)},
		IDPA: s.Creditor.FiscalCode, BrokerID: st.BrokerID, StationID: st.StationID, Seed: 2026, Now: now})
}

// printSimHint shows how to pay a few outstanding demo fines through the
// station with the node simulator.
func printSimHint(ctx context.Context, store notices.Store, st pagopa.Settings, out io.Writer) error {
	var navs []string
	err := store.OutstandingFines(ctx, func(f *notices.Fine) error {
		if len(navs) < 5 {
			navs = append(navs, string(f.Options[0].NAV))
		}
		return nil
	})
	if err != nil || len(navs) == 0 {
		return err
	}
	if !st.Enabled() {
		fmt.Fprintln(out, "Some fines were paid in pagoPA channels through the station; turn it on (--pagopa-broker-id, --pagopa-station-id, --creditor-iban) to drive it yourself.")
		return nil
	}
	fmt.Fprintf(out, "Pay some of them in pagoPA channels with the node simulator:\n  multa pagopa-sim --broker-id %s --station-id %s --count 10 --notices %s\n",
		st.BrokerID, st.StationID, strings.Join(navs, ","))
	return nil
}

func demoFine(rng *mrand.Rand, cat *notices.Catalogue, s notices.Settings, now time.Time, i int) (*notices.Fine, error) {
	violations := cat.All()
	v := violations[rng.IntN(len(violations))]
	daysAgo := 1 + rng.IntN(100)
	if i < 10 {
		daysAgo = i // a few recent ones, still in the reduced stage
	}
	day := notices.DateOf(now).AddDays(-daysAgo)
	at := day.Start().Add(time.Duration(demoHours[rng.IntN(len(demoHours))])*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
	if at.After(now) {
		at = now.Add(-time.Duration(1+rng.IntN(60)) * time.Minute)
	}
	plate := fmt.Sprintf("%c%c%03d%c%c", 'A'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(1000), 'A'+rng.IntN(26), 'A'+rng.IntN(26))
	contest := notices.ContestDeferred
	if rng.IntN(3) == 0 {
		contest = notices.ContestImmediate
	}
	officers := []string{"officer", "supervisor"}
	return notices.NewFine(notices.FineRequest{
		Plate: plate, ViolationCode: v.Code, OccurredAt: at, Place: demoPlaces[rng.IntN(len(demoPlaces))] + ", Milano",
		Contestation: contest, Officer: officers[rng.IntN(2)],
	}, cat, s, at, nil)
}

// demoLifecycle moves a demo fine on: notified by post or PEC, paid on a
// realistic later day (often at the last moment of the 5-day discount),
// or cancelled.
func demoLifecycle(ctx context.Context, store notices.Store, payments *payment.Service, node *nodesim.Node, token string, s notices.Settings,
	f *notices.Fine, rng *mrand.Rand, now time.Time, clock *time.Time, i int) error {
	occurred := notices.DateOf(f.OccurredAt)
	if f.Status == notices.StatusIssued && i%7 != 0 {
		ch := notices.ChannelPost
		if rng.IntN(3) == 0 {
			ch = notices.ChannelPEC
		}
		on := occurred.AddDays(1 + rng.IntN(10))
		if on.After(notices.DateOf(now)) {
			on = notices.DateOf(now)
		}
		at := on.Start().Add(11 * time.Hour)
		updated, err := store.UpdateFine(ctx, f.ID, func(x *notices.Fine) error { return x.Notify(on, ch, s.Fees.For(ch), at) })
		if err != nil {
			return err
		}
		*f = updated
	}
	switch r := rng.IntN(10); {
	case i%11 == 5:
		_, err := store.UpdateFine(ctx, f.ID, func(x *notices.Fine) error {
			return x.Cancel("Vehicle reported stolen before the violation", "supervisor", f.OccurredAt.Add(48*time.Hour))
		})
		return err
	case r < 6 && f.Status == notices.StatusNotified:
		return demoPay(ctx, payments, node, token, f, rng, now, clock, i)
	}
	return nil
}

func demoPay(ctx context.Context, payments *payment.Service, node *nodesim.Node, token string, f *notices.Fine, rng *mrand.Rand,
	now time.Time, clock *time.Time, i int) error {
	start := f.TermStart()
	day := start.AddDays([]int{0, 1, 2, 4, 5, 5, 12, 30, 58, 75}[rng.IntN(10)])
	hour := []int{7, 8, 12, 13, 18, 20, 21, 21, 22, 23}[rng.IntN(10)]
	paidAt := day.Start().Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
	if paidAt.After(now) {
		return nil // not yet: stays outstanding
	}
	*clock = paidAt
	nav := f.Options[0].NAV
	if rng.IntN(2) == 0 {
		return demoPayPagoPA(ctx, node, string(nav), i)
	}
	_, due, err := payments.Quote(ctx, nav, notices.DateOf(paidAt))
	if err != nil {
		return err
	}
	_, _, err = payments.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: due.Cents, Token: token, IdempotencyKey: "demo-" + f.ID})
	return err
}

// demoPayPagoPA pays a fine at a PSP through the station: verify,
// activate, receipt. Now and then the driver also paid at a second PSP
// before the first receipt arrived, which finance then sees as a double
// payment to refund.
func demoPayPagoPA(ctx context.Context, node *nodesim.Node, nav string, i int) error {
	x, err := node.Verify(ctx, nav)
	if err != nil {
		return err
	}
	v, ok := x.Response.(*pagopa.PaVerifyPaymentNoticeRes)
	if !ok || v.PaymentList == nil {
		return fmt.Errorf("station verify of %s: %s", nav, x.Raw)
	}
	v2 := i%5 != 0
	if x, err = node.Activate(ctx, nav, v.PaymentList.PaymentOptionDescription.Amount, v2); err != nil {
		return err
	}
	p, err := nodesim.PaymentOf(nav, x)
	if err != nil {
		return err
	}
	first := nodesim.PSPs[i%len(nodesim.PSPs)]
	rcpts := []pagopa.CtReceipt{node.Receipt(p, first)}
	if i%9 == 4 {
		rcpts = append(rcpts, node.Receipt(p, nodesim.PSPs[(i+2)%len(nodesim.PSPs)]))
	}
	for _, r := range rcpts {
		x, err := node.SendReceipt(ctx, r, v2)
		if err != nil {
			return err
		}
		if o, code := x.Outcome(); o != pagopa.OutcomeOK {
			return fmt.Errorf("station receipt of %s: %s %s", nav, o, code)
		}
	}
	return nil
}
