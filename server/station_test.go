package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/internal/xsdcheck"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/pagopa/nodesim"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/server"
)

// The station's identity in these tests; the IBAN is the standard Italian
// example, whose mod-97 check holds.
var stationSettings = pagopa.Settings{BrokerID: "97735020584", StationID: "97735020584_01",
	IBAN: "IT60X0542811101000000123456", TransferCategory: pagopa.DefaultTransferCategory}

// newStationEnv is a real server with the pagoPA station on, and a node
// simulator pointed at it. key, when set, is the shared station key.
func newStationEnv(t *testing.T, now time.Time, key string) (*env, *nodesim.Node) {
	t.Helper()
	return newStationEnvWith(t, now, func(c *server.Config) { c.StationKey = key })
}

// newStationEnvWith is newStationEnv with more configuration.
func newStationEnvWith(t *testing.T, now time.Time, configure func(*server.Config)) (*env, *nodesim.Node) {
	t.Helper()
	var key string
	e := newEnvWith(t, now, func(c *server.Config) {
		c.Payments = payment.New(payment.Config{Store: c.Store, Provider: c.Provider, Settings: c.Settings, Now: c.Now})
		c.Station = pagopa.New(pagopa.Config{Settings: stationSettings, Creditor: c.Settings.Creditor, Payments: c.Payments, Now: c.Now})
		configure(c)
		key = c.StationKey
	})
	node := nodesim.New(nodesim.Config{URL: e.url + "/pagopa/v1/paForNode", Client: &http.Client{Timeout: 20 * time.Second},
		IDPA: milan.Creditor.FiscalCode, BrokerID: stationSettings.BrokerID, StationID: stationSettings.StationID,
		KeyHeader: "Ocp-Apim-Subscription-Key", Key: key, Seed: 7, Now: e.clock.Now})
	return e, node
}

// exchanges collects every answer of a test, to validate them all against
// the schema with one xmllint run at the end.
type exchanges struct {
	t   *testing.T
	mu  sync.Mutex
	all []*nodesim.Exchange
}

func (x *exchanges) add(ex *nodesim.Exchange, err error) *nodesim.Exchange {
	t := x.t
	t.Helper()
	if err != nil {
		t.Fatal(err) // only from the test's goroutine: the concurrent senders check err first
	}
	if ex.Status != 200 || !strings.HasPrefix(http.DetectContentType(ex.Raw), "text/xml") {
		t.Errorf("%s: HTTP %d, want 200 with XML: %s", ex.Action, ex.Status, ex.Raw)
	}
	x.mu.Lock()
	x.all = append(x.all, ex)
	x.mu.Unlock()
	return ex
}

func (x *exchanges) validate(t *testing.T) {
	t.Helper()
	raws := make([][]byte, 0, len(x.all))
	for _, ex := range x.all {
		if ex.Response == nil {
			continue // a SOAP fault: no schema element to validate
		}
		raws = append(raws, ex.Raw)
	}
	if err := xsdcheck.CheckAll(xsdcheck.Schema(t), raws); err != nil {
		t.Error(err)
	}
	t.Logf("%d answers validated against paForNode.xsd", len(raws))
}

func wantKO(t *testing.T, what string, ex *nodesim.Exchange, code string) {
	t.Helper()
	if o, c := ex.Outcome(); o != pagopa.OutcomeKO || c != code {
		t.Errorf("%s: outcome %s %s, want KO %s\n%s", what, o, c, code, ex.Raw)
	}
}

func wantOK(t *testing.T, what string, ex *nodesim.Exchange) {
	t.Helper()
	if o, c := ex.Outcome(); o != pagopa.OutcomeOK {
		t.Errorf("%s: outcome %s %s, want OK\n%s", what, o, c, ex.Raw)
	}
}

// TestStationAmountsAndFaults drives the station with the node simulator
// over HTTP for fines in every stage and state, as the law and the pagoPA
// fault table say, and validates every answer against the schema.
func TestStationAmountsAndFaults(t *testing.T) {
	e, node := newStationEnv(t, rome("2026-11-03 09:00:00"), "")
	ctx := context.Background()
	xs := exchanges{t: t}
	officer := e.login("officer")

	// 142-8 at 23:30 on 2 November, contested on the spot: no fees,
	// 161.47 until 7 November, 230.67 until 2 January, then 462.67.
	night := navs(issueNightSpeeding(e, officer))
	// 7-15 parking, deferred, notified by post on 3 November: 29.40 + 13.00.
	deferred := e.issue(officer, map[string]any{"plate": "AB123CD", "violationCode": "7-15",
		"occurredAt": "2026-11-02T10:00:00+01:00", "place": "Via Torino 12, Milano", "contestation": "deferred"})
	if r := e.do("POST", "/api/v1/fines/"+deferred["id"].(string)+"/notification", map[string]any{"notifiedOn": "2026-11-03", "channel": "post"}, "Authorization", officer); r.status != 200 {
		t.Fatalf("notify: %d %s", r.status, r.body)
	}
	withFees := navs(deferred)
	cancelled := parkingFine(e, officer)
	if r := e.do("POST", "/api/v1/fines/"+cancelled["id"].(string)+"/cancellation", map[string]string{"reason": "wrong plate"}, "Authorization", e.login("super")); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	paidByCard := parkingFine(e, officer)
	e.payDue(navs(paidByCard)["reduced"])
	unknown, err := notices.NewNAV("01", nil)
	if err != nil {
		t.Fatal(err)
	}

	verify := func(day, nav, wantAmount, wantDue string) {
		t.Helper()
		e.clock.Set(rome(day + " 12:00:00"))
		ex := xs.add(node.Verify(ctx, nav))
		wantOK(t, "verify "+nav+" on "+day, ex)
		v, ok := ex.Response.(*pagopa.PaVerifyPaymentNoticeRes)
		if !ok || v.PaymentList == nil {
			t.Fatalf("verify %s: %T %s", nav, ex.Response, ex.Raw)
		}
		o := v.PaymentList.PaymentOptionDescription
		if o.Amount != wantAmount || o.DueDate != wantDue || o.Options != "EQ" || v.FiscalCodePA != milan.Creditor.FiscalCode || v.CompanyName != "Comune di Milano" {
			t.Errorf("verify %s on %s: %+v %q, want %s due %s", nav, day, o, v.PaymentDescription, wantAmount, wantDue)
		}
		// The same amount as the app's own verify on that day.
		app := e.do("GET", "/api/v1/notices/"+nav+"?on="+day, nil).json(t)["amountDue"].(map[string]any)["cents"].(float64)
		if pagopa.FormatAmount(int64(app)) != wantAmount {
			t.Errorf("station says %s, the app %v", wantAmount, app)
		}
		// Activation (V1 and V2) answers the same amount, the IUV and one
		// transfer of all of it to the creditor's IBAN.
		for _, v2 := range []bool{true, false} {
			ex := xs.add(node.Activate(ctx, nav, o.Amount, v2))
			p, err := nodesim.PaymentOf(nav, ex)
			if err != nil {
				t.Fatalf("activate V2=%v: %v", v2, err)
			}
			if p.Amount != wantAmount || p.CreditorReferenceID != nav[1:] || len(p.Transfers) != 1 {
				t.Errorf("activation V2=%v of %s: %+v", v2, nav, p)
			}
			tr := p.Transfers[0]
			if tr.TransferAmount != wantAmount || tr.IBAN != stationSettings.IBAN || tr.FiscalCodePA != milan.Creditor.FiscalCode ||
				tr.TransferCategory != "9/0102100SA/" || tr.IDTransfer != 1 {
				t.Errorf("transfer V2=%v: %+v", v2, tr)
			}
			if p.Debtor.UniqueIdentifier.EntityUniqueIdentifierValue != "ANONIMO" {
				t.Errorf("debtor: %+v", p.Debtor)
			}
		}
	}
	verify("2026-11-03", night["reduced"], "161.47", "2026-11-07")
	verify("2026-11-07", night["minimum"], "161.47", "2026-11-07")
	verify("2026-11-09", night["reduced"], "230.67", "2027-01-02") // 8 November is a Sunday
	verify("2027-01-04", night["minimum"], "462.67", "2027-01-04") // half the maximum: open-ended, due the day it is asked
	verify("2026-11-05", withFees["reduced"], "42.40", "2026-11-09")
	verify("2026-11-20", withFees["minimum"], "55.00", "2027-01-02")

	e.clock.Set(rome("2026-11-04 10:00:00"))
	for name, tc := range map[string]struct {
		nav, code string
	}{
		"cancelled": {navs(cancelled)["reduced"], pagopa.FaultCancelled},
		"paid":      {navs(paidByCard)["minimum"], pagopa.FaultAlreadyPaid},
		"unknown":   {string(unknown), pagopa.FaultUnknown},
		"bad check": {night["reduced"][:17] + string('0'+(night["reduced"][17]-'0'+1)%10), pagopa.FaultUnknown},
	} {
		wantKO(t, name+" verify", xs.add(node.Verify(ctx, tc.nav)), tc.code)
		wantKO(t, name+" activate", xs.add(node.Activate(ctx, tc.nav, "", true)), tc.code)
		wantKO(t, name+" activate V1", xs.add(node.Activate(ctx, tc.nav, "", false)), tc.code)
	}

	// Wrong ids, in the order pagoPA checks them.
	nav := night["reduced"]
	qr := pagopa.CtQrCode{FiscalCode: milan.Creditor.FiscalCode, NoticeNumber: nav}
	for _, tc := range []struct {
		idPA, broker, station, code string
	}{
		{"00000000000", stationSettings.BrokerID, stationSettings.StationID, pagopa.FaultWrongDomain},
		{milan.Creditor.FiscalCode, "00000000000", stationSettings.StationID, pagopa.FaultWrongBroker},
		{milan.Creditor.FiscalCode, stationSettings.BrokerID, "97735020584_99", pagopa.FaultWrongStation},
	} {
		wantKO(t, "verify with "+tc.code, xs.add(node.Call(ctx, &pagopa.PaVerifyPaymentNoticeReq{IDPA: tc.idPA, IDBrokerPA: tc.broker, IDStation: tc.station, QrCode: qr})), tc.code)
		wantKO(t, "activate with "+tc.code, xs.add(node.Call(ctx, &pagopa.PaGetPaymentV2Request{IDPA: tc.idPA, IDBrokerPA: tc.broker, IDStation: tc.station, QrCode: qr})), tc.code)
		wantKO(t, "receipt with "+tc.code, xs.add(node.Call(ctx, &pagopa.PaSendRTV2Request{IDPA: tc.idPA, IDBrokerPA: tc.broker, IDStation: tc.station})), tc.code)
	}
	wantKO(t, "qrCode of another creditor", xs.add(node.Call(ctx, &pagopa.PaVerifyPaymentNoticeReq{IDPA: milan.Creditor.FiscalCode,
		IDBrokerPA: stationSettings.BrokerID, IDStation: stationSettings.StationID, QrCode: pagopa.CtQrCode{FiscalCode: "80016350821", NoticeNumber: nav}})), pagopa.FaultWrongDomain)
	wantKO(t, "activation with a malformed amount", xs.add(node.Activate(ctx, nav, "1,00", true)), pagopa.FaultSemantics)
	wantKO(t, "spontaneous payment", xs.add(node.Call(ctx, &pagopa.PaDemandPaymentNoticeRequest{IDPA: milan.Creditor.FiscalCode})), pagopa.FaultSemantics)

	// Malformed bodies: a KO of the operation that can still be told.
	good, _ := pagopa.Encode(&pagopa.PaVerifyPaymentNoticeReq{IDPA: milan.Creditor.FiscalCode, IDBrokerPA: stationSettings.BrokerID, IDStation: stationSettings.StationID, QrCode: qr})
	for name, tc := range map[string]struct {
		action string
		body   []byte
	}{
		"truncated":       {"paVerifyPaymentNotice", good[:len(good)-40]},
		"action mismatch": {"paSendRTV2", good},
		"over the bound":  {"paVerifyPaymentNotice", bytes.Replace(good, []byte("<idPA>"), append([]byte("<idPA>"), bytes.Repeat([]byte("1"), pagopa.MaxBody)...), 1)},
		"not XML":         {"paGetPaymentV2", []byte("{\"json\": true}")},
		"a response":      {"", mustEncode(t, &pagopa.PaSendRTV2Response{CtResponse: pagopa.CtResponse{Outcome: "OK"}})},
	} {
		ex := xs.add(node.Post(ctx, tc.action, tc.body))
		wantKO(t, name, ex, pagopa.FaultSemantics)
	}
	// No operation at all: a SOAP Client fault, still HTTP 200 and XML.
	for _, body := range []string{"", "garbage", `<Envelope/>`} {
		ex := xs.add(node.Post(ctx, "", []byte(body)))
		if !bytes.Contains(ex.Raw, []byte("<faultcode>soapenv:Client</faultcode>")) || !bytes.Contains(ex.Raw, []byte("PAA_SEMANTICA")) {
			t.Errorf("body %q: %s", body, ex.Raw)
		}
	}
	// Nothing the node sent changed anything.
	if f, err := e.store.FineByNAV(ctx, mustNAV(t, nav)); err != nil || f.Status != notices.StatusNotified {
		t.Errorf("the fine changed: %v %v", f.Status, err)
	}
	xs.validate(t)
}

func mustEncode(t *testing.T, m pagopa.Message) []byte {
	t.Helper()
	b, err := pagopa.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStationReceiptSettlesTheFine pays one fine in a pagoPA channel (V1)
// and one (V2), and checks that the fine is paid with the receipt's facts,
// that the app and the finance views see it, and that later calls say so.
func TestStationReceiptSettlesTheFine(t *testing.T) {
	e, node := newStationEnv(t, rome("2026-11-03 09:00:00"), "")
	ctx := context.Background()
	xs := exchanges{t: t}
	officer := e.login("officer")
	for _, v2 := range []bool{false, true} {
		fine := parkingFine(e, officer)
		nav := navs(fine)["minimum"]
		steps, err := node.Pay(ctx, nav, v2)
		if err != nil || len(steps) != 3 {
			t.Fatalf("pay V2=%v: %v, %d steps", v2, err, len(steps))
		}
		for _, ex := range steps {
			xs.add(ex, nil)
			wantOK(t, ex.Action, ex)
		}
		f, err := e.store.FineByNAV(ctx, mustNAV(t, nav))
		if err != nil || f.Status != notices.StatusPaid {
			t.Fatalf("after the receipt: %v %v", f.Status, err)
		}
		r, err := e.store.Receipt(ctx, f.ReceiptID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Channel != notices.PaidViaPagoPA || r.PagoPA == nil || r.AmountCents != 2940 || r.Anomaly != notices.AnomalyNone ||
			len(r.PagoPA.Transfers) != 1 || r.PagoPA.Transfers[0].IBAN != stationSettings.IBAN || r.PagoPA.IDPSP == "" || r.PagoPA.FeeCents < 50 {
			t.Errorf("receipt V2=%v: %+v %+v", v2, r, r.PagoPA)
		}
		// The app's verify shows the notice as paid, and how; the office
		// sees the payment with its PSP and channel; the node is told so.
		v := e.do("GET", "/api/v1/notices/"+nav, nil).json(t)
		pay, _ := v["payment"].(map[string]any)
		if v["status"] != "paid" || pay["channel"] != "pagopa" || pay["psp"] != r.PagoPA.PSPCompanyName || pay["channelDescription"] != r.PagoPA.ChannelDescription {
			t.Errorf("app verify after a pagoPA receipt: %v %v", v["status"], pay)
		}
		office := e.do("GET", "/api/v1/fines/"+f.ID, nil, "Authorization", officer).json(t)
		ps, _ := office["payments"].([]any)
		if len(ps) != 1 || ps[0].(map[string]any)["channel"] != "pagopa" || ps[0].(map[string]any)["psp"] != r.PagoPA.PSPCompanyName {
			t.Errorf("office fine view payments: %v", office["payments"])
		}
		wantKO(t, "verify after payment", xs.add(node.Verify(ctx, nav)), pagopa.FaultAlreadyPaid)
	}
	// Operations see the station's calls by operation and outcome.
	m := e.scrape()
	for series, want := range map[string]float64{
		`multa_pagopa_calls_total{fault="",operation="paSendRT",outcome="OK"}`:                                     1,
		`multa_pagopa_calls_total{fault="",operation="paSendRTV2",outcome="OK"}`:                                   1,
		`multa_pagopa_calls_total{fault="",operation="paVerifyPaymentNotice",outcome="OK"}`:                        2,
		`multa_pagopa_calls_total{fault="PAA_PAGAMENTO_DUPLICATO",operation="paVerifyPaymentNotice",outcome="KO"}`: 2,
	} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}
	xs.validate(t)
}

// TestStationConcurrentReceipts sends 200 receipts at once, a tenth of
// them twice and some for one fine from two PSPs: every fine is settled
// exactly once, each second payment is stored flagged with its refund,
// repeated receipts write nothing, and the ledger verifies.
func TestStationConcurrentReceipts(t *testing.T) {
	e, node := newStationEnv(t, rome("2026-11-03 09:00:00"), "a-shared-station-key-0123")
	ctx := context.Background()
	xs := exchanges{t: t}
	officer := e.login("officer")
	const fines, doubles, resent = 180, 20, 20 // 180 + 20 second payments = 200 receipts; 20 sent twice
	var receipts []pagopa.CtReceipt
	var navsOf []string
	for i := 0; i < fines; i++ {
		nav := navs(parkingFine(e, officer))["reduced"]
		navsOf = append(navsOf, nav)
		p, err := nodesim.PaymentOf(nav, xs.add(node.Activate(ctx, nav, "29.40", true)))
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, node.Receipt(p, nodesim.PSPs[i%len(nodesim.PSPs)]))
		if i < doubles { // the driver also paid at another PSP before the first receipt arrived
			receipts = append(receipts, node.Receipt(p, nodesim.PSPs[(i+1)%len(nodesim.PSPs)]))
		}
	}
	sends := append([]pagopa.CtReceipt(nil), receipts...)
	for i := 0; i < resent; i++ {
		sends = append(sends, receipts[i*len(receipts)/resent])
	}
	if len(receipts) != 200 || len(sends) != 220 {
		t.Fatalf("%d receipts, %d sends", len(receipts), len(sends))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range sends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ex, err := node.SendReceipt(ctx, r, i%2 == 0)
			if err != nil {
				t.Error(err)
				return
			}
			xs.add(ex, nil)
			if o, c := ex.Outcome(); o != pagopa.OutcomeOK {
				t.Errorf("receipt %s: %s %s\n%s", r.ReceiptID, o, c, ex.Raw)
			}
		}()
	}
	close(start)
	wg.Wait()

	stored, flagged := 0, 0
	for i, nav := range navsOf {
		f, err := e.store.FineByNAV(ctx, mustNAV(t, nav))
		if err != nil || f.Status != notices.StatusPaid {
			t.Fatalf("fine %d: %v %v", i, f.Status, err)
		}
		rs, err := e.store.ReceiptsOfFine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if i < doubles {
			want = 2
		}
		if len(rs) != want {
			t.Errorf("fine %d has %d receipts, want %d", i, len(rs), want)
			continue
		}
		stored += len(rs)
		settled := 0
		for _, r := range rs {
			switch {
			case r.Anomaly == notices.AnomalyNone && r.ID == f.ReceiptID:
				settled++
			case r.Anomaly == notices.AnomalyDoublePayment && r.RefundCents == r.AmountCents && r.ID != f.ReceiptID:
				flagged++
			default:
				t.Errorf("fine %d: receipt %s anomaly %q refund %d (fine's receipt %s)", i, r.ID, r.Anomaly, r.RefundCents, f.ReceiptID)
			}
		}
		if settled != 1 {
			t.Errorf("fine %d settled %d times", i, settled)
		}
	}
	if stored != 200 || flagged != doubles {
		t.Errorf("stored %d receipts (want 200), %d flagged double payments (want %d)", stored, flagged, doubles)
	}
	anomalies, err := e.store.Anomalies(ctx)
	if err != nil || len(anomalies) != doubles {
		t.Errorf("finance sees %d anomalies (%v), want %d", len(anomalies), err, doubles)
	}
	if err := e.store.VerifyLedger(ctx); err != nil {
		t.Errorf("ledger: %v", err)
	}
	// Finance sees each second payment with the amount to give back.
	var refunds struct {
		Count       int   `json:"count"`
		RefundCents int64 `json:"refundCents"`
		Items       []struct {
			Anomaly     string `json:"anomaly"`
			Channel     string `json:"channel"`
			PSP         string `json:"psp"`
			RefundCents int64  `json:"refundCents"`
		} `json:"items"`
	}
	rr := e.do("GET", "/api/v1/refunds", nil, "Authorization", e.login("money"))
	if err := json.Unmarshal(rr.body, &refunds); err != nil || rr.status != 200 {
		t.Fatalf("refunds: %d %s", rr.status, rr.body)
	}
	if refunds.Count != doubles || refunds.RefundCents != doubles*2940 {
		t.Errorf("refunds: %d for %d cents, want %d for %d", refunds.Count, refunds.RefundCents, doubles, doubles*2940)
	}
	for _, it := range refunds.Items {
		if it.Anomaly != "double_payment" || it.Channel != "pagopa" || it.PSP == "" || it.RefundCents != 2940 {
			t.Errorf("refund item %+v", it)
		}
	}
	// The day's reconciliation counts them among its receipts, and apart.
	var rec struct {
		Receipts struct{ Count int } `json:"receipts"`
		Refunds  struct {
			Count       int   `json:"count"`
			AmountCents int64 `json:"amountCents"`
		} `json:"refunds"`
	}
	rr = e.do("GET", "/api/v1/reconciliation?date=2026-11-03", nil, "Authorization", e.login("money"))
	if err := json.Unmarshal(rr.body, &rec); err != nil || rr.status != 200 {
		t.Fatalf("reconciliation: %d %s", rr.status, rr.body)
	}
	if rec.Receipts.Count != 200 || rec.Refunds.Count != doubles || rec.Refunds.AmountCents != doubles*2940 {
		t.Errorf("reconciliation counts %d receipts and %+v refunds; want 200 and %d for %d", rec.Receipts.Count, rec.Refunds, doubles, doubles*2940)
	}
	if r := e.do("GET", "/api/v1/refunds", nil, "Authorization", officer); r.status != 403 {
		t.Errorf("an officer reads refunds: %d", r.status)
	}
	xs.validate(t)
}

// TestStationKeyAndOff: a configured shared key is required; without a
// station configured the route does not exist.
func TestStationKeyAndOff(t *testing.T) {
	e, _ := newStationEnv(t, rome("2026-11-03 09:00:00"), "a-shared-station-key-0123")
	body := mustEncode(t, &pagopa.PaVerifyPaymentNoticeReq{IDPA: milan.Creditor.FiscalCode})
	if r := e.do("POST", "/pagopa/v1/paForNode", body); r.status != 401 || r.code(t) != "unauthorized" {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/pagopa/v1/paForNode", body, "Ocp-Apim-Subscription-Key", "wrong-key-wrong-key"); r.status != 401 {
		t.Errorf("wrong key: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/pagopa/v1/paForNode", body, "Ocp-Apim-Subscription-Key", "a-shared-station-key-0123")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") || !bytes.Contains(r.body, []byte("PAA_ID_INTERMEDIARIO_ERRATO")) {
		t.Errorf("right key: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	off := newEnv(t, rome("2026-11-03 09:00:00"))
	if r := off.do("POST", "/pagopa/v1/paForNode", body); r.status == 200 && bytes.Contains(r.body, []byte("Envelope")) {
		t.Errorf("the station answers without being configured: %s", r.body)
	}
}

// TestStationOwnListenerBounds: on its own listener the station answers
// every failure on its path as SOAP with HTTP 200 — a body over its bound
// is a KO of the operation, a body far over it a SOAP fault — while other
// paths answer problem+json.
func TestStationOwnListenerBounds(t *testing.T) {
	e, _ := newStationEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) { c.StationOwnListener = true })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeStation(ctx, ln) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String() + "/pagopa/v1/paForNode"
	if r := e.do("POST", "/pagopa/v1/paForNode", []byte("<x/>")); bytes.Contains(r.body, []byte("Envelope")) {
		t.Errorf("the main listener serves the station: %s", r.body)
	}
	good := mustEncode(t, &pagopa.PaVerifyPaymentNoticeReq{IDPA: milan.Creditor.FiscalCode})
	big := bytes.Replace(good, []byte("<idPA>"), append([]byte("<idPA>"), bytes.Repeat([]byte("1"), pagopa.MaxBody)...), 1)
	for name, tc := range map[string]struct {
		body []byte
		want string
	}{
		"ok":  {good, "PAA_ID_INTERMEDIARIO_ERRATO"},
		"big": {big, "<pafn:paVerifyPaymentNoticeRes><outcome>KO</outcome><fault><faultCode>PAA_SEMANTICA"},
	} {
		resp, err := http.Post(url, "text/xml", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(tc.want)) {
			t.Errorf("%s: %d %s, want 200 with %s", name, resp.StatusCode, b, tc.want)
		}
	}
	// A body over the listener's bound is refused from its declared length,
	// before it is read. Only the head is sent: a client still writing a
	// body the server will never read may see the connection reset before
	// it reads the answer, which would make this test flaky.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /pagopa/v1/paForNode HTTP/1.1\r\nHost: station\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n", 5*pagopa.MaxBody)
	huge, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("huge: %v", err)
	}
	b, _ := io.ReadAll(huge.Body)
	if huge.StatusCode != 200 || !bytes.Contains(b, []byte("<soapenv:Fault>")) {
		t.Errorf("huge: %d %s, want 200 with a SOAP fault", huge.StatusCode, b)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/anything")
	if err != nil || resp.StatusCode >= 500 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("another path: %v %v", err, resp)
	}
}
