package pwa_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/pagopa/nodesim"
)

// stationSettings identify the station the harness turns on.
var stationSettings = pagopa.Settings{BrokerID: "97735020584", StationID: "97735020584_01",
	IBAN: "IT60X0542811101000000123456", TransferCategory: pagopa.DefaultTransferCategory}

// TestBrowserPaidInAPagoPAChannel: a fine paid at the post office and
// again in the IO app (through the station, played by the node
// simulator) shows as such to the driver, in the office fine view and in
// finance's refunds; an unpaid notice tells the driver that any pagoPA
// channel will do.
func TestBrowserPaidInAPagoPAChannel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: CI installs it (.ci/run)")
	}
	e := startEnv(t)
	officer := e.login("vigile")
	navPaid := e.issue(officer, "EF456GH", "7-15")
	navOpen := e.issue(officer, "GH789JK", "7-15")

	node := nodesim.New(nodesim.Config{URL: e.backend + "/pagopa/v1/paForNode", IDPA: testkit.Milan.Creditor.FiscalCode,
		BrokerID: stationSettings.BrokerID, StationID: stationSettings.StationID, Seed: 3, Now: e.clock.Now})
	ctx := context.Background()
	x, err := node.Activate(ctx, navPaid, "", true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := nodesim.PaymentOf(navPaid, x)
	if err != nil {
		t.Fatal(err)
	}
	post, app := nodesim.PSPs[1], nodesim.PSPs[3] // Poste Italiane at the counter, then Nexi in the IO app
	for _, psp := range []nodesim.PSP{post, app} {
		x, err := node.SendReceipt(ctx, node.Receipt(p, psp), true)
		if err != nil {
			t.Fatal(err)
		}
		if o, code := x.Outcome(); o != pagopa.OutcomeOK {
			t.Fatalf("receipt from %s: %s %s", psp.CompanyName, o, code)
		}
	}

	e.step("the driver sees how the notice was paid, and where else one can pay", func(t *testing.T) {
		phone := e.browser(chromium, t.TempDir(), "")
		defer phone.close()
		phone.do("open the paid notice from its link", chromedp.Navigate(e.public+"/p/"+navPaid), chromedp.WaitVisible(chromedp.ID("rc-channel")))
		phone.expectText("#rc-channel", "pagoPA · "+post.CompanyName+" ("+post.ChannelDescription+")")
		phone.do("open an unpaid notice", chromedp.Navigate(e.public+"/p/"+navOpen))
		phone.waitCheckout(navOpen)
		phone.expectText("#pay-elsewhere", "qualsiasi canale pagoPA")
		phone.expectText("#pay-elsewhere", "01199250158")
	})

	e.step("finance sees the second payment to refund, and the fine both payments", func(t *testing.T) {
		admin := e.browser(chromium, t.TempDir(), "")
		defer admin.close()
		admin.do("sign in as admin", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "admin"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("tab-dashboard")))
		admin.do("open the dashboard", chromedp.Tap(chromedp.ID("tab-dashboard")), chromedp.WaitVisible(chromedp.ID("refunds-list")))
		admin.expectText("#refunds-list li[data-anomaly=double_payment]", "Pagata due volte")
		admin.expectText("#refunds-list li[data-anomaly=double_payment]", "pagoPA · "+app.CompanyName)
		admin.expectText("#refunds-list li[data-anomaly=double_payment]", "29,40")
		admin.do("open the fine from the refund", chromedp.Tap(chromedp.CSS("#refunds-list .refunds-fine")),
			chromedp.WaitVisible(chromedp.ID("fine-payments")))
		if n := admin.eval(`String(document.querySelectorAll('#fine-payments li[data-channel=pagopa]').length)`); n != "2" {
			t.Errorf("the fine view lists %s pagoPA payments, want 2", n)
		}
		admin.expectText("#fine-payments li[data-anomaly=double_payment]", "Da rimborsare")
		admin.expectText("#fine-payments", post.CompanyName)
	})
}
