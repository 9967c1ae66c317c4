package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
)

// day10 is the day of the payments in these tests: a Tuesday.
var day10 = notices.Date{Year: 2026, Month: time.March, Day: 10}

// fines issues n payable fines (contested on the spot) straight into the
// store: the tests are about what happens after payment.
func (e *env) fines(n int) []*notices.Fine {
	e.t.Helper()
	now := e.clock.Now()
	out := make([]*notices.Fine, n)
	for i := range out {
		f, err := notices.NewFine(notices.FineRequest{Plate: fmt.Sprintf("A%c%03dCD", 'A'+i/1000, i%1000), ViolationCode: "7-15", OccurredAt: now.Add(-time.Minute),
			Place: "Via Torino 12, Milano", Contestation: notices.ContestImmediate, Officer: "officer"}, notices.DefaultCatalogue(), e.settings, now, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		out[i] = f
	}
	errs, err := e.store.ImportFines(context.Background(), out)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// payments is the payment use case on the env's store and sandbox.
func (e *env) payments() *payment.Service {
	return payment.New(payment.Config{Store: e.store, Provider: e.sandbox, Settings: e.settings, Now: e.clock.Now})
}

func (e *env) due(f *notices.Fine) (notices.NAV, int64) {
	d := e.settings.Calendar.Due(f, notices.DateOf(e.clock.Now()))
	return f.Options[0].NAV, d.Cents
}

// payByCard pays f through Multa's checkout with the sandbox.
func (e *env) payByCard(svc *payment.Service, f *notices.Fine, token string) notices.Receipt {
	e.t.Helper()
	nav, cents := e.due(f)
	r, _, err := svc.PayByCard(context.Background(), payment.CardPayment{NAV: nav, AmountCents: cents, Token: token, IdempotencyKey: "k-" + string(nav)})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// payViaPagoPA records the receipt the node would send for a payment of
// f at a PSP.
func (e *env) payViaPagoPA(svc *payment.Service, f *notices.Fine, psp, iur string) notices.Receipt {
	e.t.Helper()
	nav, cents := e.due(f)
	rec, err := svc.RecordReceipt(context.Background(), notices.Receipt{NAV: nav, AmountCents: cents, PagoPA: &notices.PagoPAReceipt{
		ReceiptID: iur, NoticeNumber: string(nav), CreditorReferenceID: nav.IUV(), PaymentAmountCents: cents, IDPSP: psp,
		PSPCompanyName: psp + " SpA", IDChannel: psp + "_01", PaymentDateTime: e.clock.Now(),
		Transfers: []notices.PagoPATransfer{{IDTransfer: 1, AmountCents: cents, FiscalCodePA: e.settings.Creditor.FiscalCode}},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.Receipt
}

func lineFor(r notices.Receipt) notices.SettlementLine {
	return notices.SettlementLine{IUV: notices.ReceiptIUV(&r), IUR: notices.ReceiptIUR(&r), TransferIndex: 1, AmountCents: r.AmountCents,
		Outcome: notices.OutcomeExecuted, Date: notices.DateOf(r.PaidAt)}
}

func (e *env) flow(id, psp string, at time.Time, lines []notices.SettlementLine) notices.SettlementFlow {
	f := notices.SettlementFlow{ID: id, FlowTime: at, RegulationID: "SCT-" + id, RegulationDate: day10.AddDays(1), PSP: psp, PSPName: psp + " SpA",
		Creditor: e.settings.Creditor.FiscalCode, Lines: lines, DeclaredCount: len(lines)}
	f.DeclaredCents = f.PaidCents()
	return f
}

func flowXML(t *testing.T, f notices.SettlementFlow) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := fdr.EncodeXML(&buf, &f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string][]byte, order []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// camt053 writes a statement with one booked credit per entry.
func camt053(id string, credits ...[3]string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-03-11T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>` + id + `</Id><CreDtTm>2026-03-11T20:00:00</CreDtTm><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>`)
	for i, c := range credits { // amount, booking day, end-to-end id
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt>`+
			`<AcctSvcrRef>B-%d</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`, c[0], c[1], c[1], i+1, c[2])
	}
	b.WriteString(`</Stmt></BkToCstmrStmt></Document>`)
	return []byte(b.String())
}

func euros(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// TestReconciliationOfADayThreeWays is the "done when": a day of
// 1,000 receipts from three PSPs and two channels, their three flows (one
// revised, one with a stand-in and a revoked line, one whose declared
// total is wrong) and a bank statement missing one transfer: every
// category is counted exactly, in the JSON and in the CSV.
func TestReconciliationOfADayThreeWays(t *testing.T) {
	e := newEnv(t, rome("2026-03-10 09:00:00"))
	fines := e.fines(1002)
	svc := e.payments()
	token := e.cardToken("4242424242424242")

	var poste, unicr []notices.Receipt // the card payments are found through the sandbox's own flow
	for i := 0; i < 1000; i++ {
		e.clock.Set(rome("2026-03-10 09:00:00").Add(time.Duration(i) * 30 * time.Second))
		switch {
		case i < 400:
			e.payByCard(svc, fines[i], token)
		case i < 700:
			poste = append(poste, e.payViaPagoPA(svc, fines[i], "BPPIITRRXXX", fmt.Sprintf("POSTE-%04d", i)))
		default:
			unicr = append(unicr, e.payViaPagoPA(svc, fines[i], "UNCRITMMXXX", fmt.Sprintf("UNI-%04d", i)))
		}
	}
	standInFine, strangerIUV := fines[1000], "01999999999999999"
	e.clock.Set(rome("2026-03-16 10:00:00")) // the next Monday: the settlement window is over
	money := e.login("money")

	// The sandbox's own flow, as the PSP publishes it, with three faults:
	// one amount differs, one line comes twice, and the declared total is
	// off by ten euro.
	r := e.do("GET", "/api/v1/reconciliation/psp-flow?date=2026-03-10", nil, "Authorization", money)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("psp-flow: %d %s", r.status, r.body)
	}
	sf, err := fdr.DecodeXML(bytes.NewReader(r.body))
	if err != nil || len(sf.Lines) != 400 {
		t.Fatalf("the sandbox's flow: %d lines, %v", len(sf.Lines), err)
	}
	sf.Lines[7].AmountCents += 100
	sf.Lines = append(sf.Lines, sf.Lines[9])
	sf.DeclaredCount, sf.DeclaredCents = len(sf.Lines), sf.PaidCents()-1000
	r = e.do("POST", "/api/v1/reconciliation/flows", flowXML(t, sf), "Authorization", money, "Content-Type", "application/xml")
	if r.status != 201 || r.json(t)["status"] != "created" {
		t.Fatalf("upload the sandbox's flow: %d %s", r.status, r.body)
	}

	// Poste: a first revision with every line and a wrong amount, then
	// the revision in force, which misses the last two payments.
	t0 := rome("2026-03-12 07:00:00")
	var pl []notices.SettlementLine
	for _, rc := range poste {
		pl = append(pl, lineFor(rc))
	}
	p1 := e.flow("2026-03-10BPPIITRRXXX-1", "BPPIITRRXXX", t0, append([]notices.SettlementLine(nil), pl...))
	p1.Lines[0].AmountCents = 1
	p1.DeclaredCents = p1.PaidCents()
	p2 := e.flow("2026-03-10BPPIITRRXXX-1", "BPPIITRRXXX", t0.Add(time.Hour), pl[:298])
	// UniCredit: the 300th payment revoked, a stand-in payment of a fine
	// nobody paid through us, and a payment of a notice that is not ours.
	var ul []notices.SettlementLine
	for _, rc := range unicr {
		ul = append(ul, lineFor(rc))
	}
	ul[299].Outcome = notices.OutcomeRevoked
	snav, scents := e.due(standInFine)
	ul = append(ul,
		notices.SettlementLine{IUV: snav.IUV(), IUR: "UNI-STANDIN", TransferIndex: 1, AmountCents: scents, Outcome: notices.OutcomeStandIn, Date: day10},
		notices.SettlementLine{IUV: strangerIUV, IUR: "UNI-STRANGER", TransferIndex: 1, AmountCents: 5000, Outcome: notices.OutcomeExecuted, Date: day10})
	uf := e.flow("2026-03-10UNCRITMMXXX-9", "UNCRITMMXXX", t0, ul)
	files := map[string][]byte{"poste-1.xml": flowXML(t, p1), "poste-2.xml": flowXML(t, p2), "unicredit.xml": flowXML(t, uf)}
	r = e.do("POST", "/api/v1/reconciliation/flows", zipOf(t, files, []string{"poste-1.xml", "poste-2.xml", "unicredit.xml"}),
		"Authorization", money, "Content-Type", "application/zip")
	if r.status != 200 {
		t.Fatalf("upload the zip: %d %s", r.status, r.body)
	}
	z := r.json(t)
	statuses := []string{}
	for _, f := range z["files"].([]any) {
		m := f.(map[string]any)
		statuses = append(statuses, fmt.Sprint(m["status"], "/", m["revision"], "/", m["standIns"]))
	}
	if z["imported"] != 3.0 || strings.Join(statuses, " ") != "created/1/<nil> revised/2/<nil> created/1/1" {
		t.Fatalf("zip: %s", r.body)
	}
	// The stand-in payment settled its fine, flagged with the flow.
	fine := e.do("GET", "/api/v1/fines/"+standInFine.ID, nil, "Authorization", money).json(t)
	if fine["status"] != "paid" {
		t.Errorf("the stand-in payment did not settle its fine: %v", fine["status"])
	}

	// The bank: the sandbox's and Poste's transfers, UniCredit's missing,
	// and a credit that is no flow's.
	st := camt053("STMT-0311",
		[3]string{euros(sf.DeclaredCents), "2026-03-11", sf.RegulationID},
		[3]string{euros(p2.DeclaredCents), "2026-03-11", p2.RegulationID},
		[3]string{"250.00", "2026-03-10", "RENT-MARCH"})
	r = e.do("POST", "/api/v1/reconciliation/bank-statements", st, "Authorization", money, "Content-Type", "application/xml")
	if r.status != 201 {
		t.Fatalf("bank statement: %d %s", r.status, r.body)
	}

	want := map[notices.ReconCategory]int{
		notices.CatMatched:            399 + 298 + 299,
		notices.CatAmountDiffers:      1,
		notices.CatDuplicateLine:      1,
		notices.CatFlowTotalDiffers:   1,
		notices.CatReceiptWithoutLine: 2,
		notices.CatRevoked:            1,
		notices.CatStandIn:            1,
		notices.CatLineWithoutReceipt: 1,
		notices.CatBankMatched:        2,
		notices.CatFlowNotCredited:    1,
		notices.CatCreditWithoutFlow:  1,
	}
	r = e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("reconciliation: %d %s", r.status, r.body)
	}
	rec := r.json(t)
	counts := rec["counts"].(map[string]any)
	for _, c := range notices.Categories {
		if got := int(counts[string(c)].(float64)); got != want[c] {
			t.Errorf("JSON: %s = %d, want %d", c, got, want[c])
		}
	}
	if rec["balanced"] != false || rec["receipts"].(map[string]any)["count"] != 1001.0 {
		t.Errorf("balanced %v, receipts %v", rec["balanced"], rec["receipts"])
	}
	for _, it := range rec["items"].([]any) {
		m := it.(map[string]any)
		x := m["explanation"].(map[string]any)
		if x["it"] == "" || x["en"] == "" {
			t.Fatalf("a row without explanation: %v", m)
		}
		if m["category"] == "amount_differs" && (m["fineId"] != fines[7].ID || m["differenceCents"] != 100.0) {
			t.Errorf("amount differs: %v", m)
		}
	}

	r = e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money, "Accept", "text/csv")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", r.status, r.body)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF"))))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "Esito" || rows[0][3] != "Numero avviso" {
		t.Errorf("header: %v", rows[0])
	}
	got := map[notices.ReconCategory]int{}
	for _, row := range rows[1:] {
		got[notices.ReconCategory(row[len(row)-1])]++
		if row[len(row)-1] == "matched" && (!strings.HasPrefix(row[3], `="3`) || !strings.HasPrefix(row[4], `="`) || !strings.Contains(row[15], ",")) {
			t.Fatalf("a matched row keeps its NAV and IUV as text and uses decimal commas: %v", row)
		}
	}
	for _, c := range notices.Categories {
		if got[c] != want[c] {
			t.Errorf("CSV: %s = %d, want %d", c, got[c], want[c])
		}
	}

	// A withdrawn flow leaves reconciliation: UniCredit's lines become
	// receipts without a line, the stand-in receipt too.
	r = e.do("POST", "/api/v1/reconciliation/flows/"+uf.ID+"/withdrawal", map[string]any{"reason": "sent to the wrong office"}, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	counts = e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money).json(t)["counts"].(map[string]any)
	if counts["receipt_without_line"] != 2.0+300+1 || counts["revoked"] != 0.0 || counts["flow_not_credited"] != 0.0 {
		t.Errorf("after the withdrawal: %v", counts)
	}
	h := e.do("GET", "/api/v1/reconciliation/flows/"+uf.ID, nil, "Authorization", money).json(t)
	revs := h["revisions"].([]any)
	if len(revs) != 1 || revs[0].(map[string]any)["withdrawal"].(map[string]any)["reason"] != "sent to the wrong office" {
		t.Errorf("history: %v", h)
	}
	if err := e.store.VerifyLedger(context.Background()); err != nil {
		t.Errorf("ledger: %v", err)
	}
}

// TestFlowUploadErrors: what the API refuses, and how it says so.
func TestFlowUploadErrors(t *testing.T) {
	e := newEnv(t, rome("2026-03-10 09:00:00"))
	f := e.fines(1)[0]
	rc := e.payViaPagoPA(e.payments(), f, "BPPIITRRXXX", "P-1")
	e.clock.Set(rome("2026-03-12 09:00:00"))
	money := e.login("money")
	good := e.flow("F-1", "BPPIITRRXXX", rome("2026-03-12 07:00:00"), []notices.SettlementLine{lineFor(rc)})
	up := func(body []byte, ct string) response {
		return e.do("POST", "/api/v1/reconciliation/flows", body, "Authorization", money, "Content-Type", ct)
	}
	bad := bytes.Replace(flowXML(t, good), []byte("<singoloImportoPagato>"), []byte("<singoloImportoPagato>x"), 1)
	r := up(bad, "application/xml")
	if r.status != 422 || r.code(t) != "invalid_xml" || r.json(t)["element"] != "singoloImportoPagato" || r.json(t)["line"] == nil {
		t.Errorf("bad XML: %d %s", r.status, r.body)
	}
	if r := up([]byte(`{"id":"F-1"}`), "application/json"); r.status != 415 {
		t.Errorf("the old JSON format: %d %s", r.status, r.body)
	}
	other := good
	other.Creditor = "80016350821"
	if r := up(flowXML(t, other), "application/xml"); r.status != 422 || r.code(t) != "validation_failed" {
		t.Errorf("another creditor's flow: %d %s", r.status, r.body)
	}
	if r := up(flowXML(t, good), "application/xml"); r.status != 201 {
		t.Fatalf("good: %d %s", r.status, r.body)
	}
	if r := up(flowXML(t, good), "application/xml"); r.status != 200 || r.json(t)["status"] != "unchanged" {
		t.Errorf("again: %d %s", r.status, r.body)
	}
	older := good
	older.FlowTime = older.FlowTime.Add(-time.Hour)
	if r := up(flowXML(t, older), "application/xml"); r.status != 409 || r.code(t) != notices.EFlowOutdated {
		t.Errorf("older revision: %d %s", r.status, r.body)
	}
	if r := up([]byte("not a zip"), "application/zip"); r.status != 400 {
		t.Errorf("not a zip: %d %s", r.status, r.body)
	}
	z := zipOf(t, map[string][]byte{"a.xml": bad, "b.xml": flowXML(t, good)}, []string{"a.xml", "b.xml"})
	r = up(z, "application/zip")
	if r.status != 200 || r.json(t)["failed"] != 1.0 || r.json(t)["imported"] != 1.0 {
		t.Errorf("zip with a bad file: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows", flowXML(t, good), "Authorization", e.login("officer"), "Content-Type", "application/xml"); r.status != 403 {
		t.Errorf("an officer: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/reconciliation/bank-statements", []byte("<Document/>"), "Authorization", money, "Content-Type", "application/xml"); r.status != 422 || r.code(t) != "invalid_xml" {
		t.Errorf("bad statement: %d %s", r.status, r.body)
	}
	st := camt053("S-1", [3]string{"42.00", "2026-03-11", "X"})
	if r := e.do("POST", "/api/v1/reconciliation/bank-statements", st, "Authorization", money, "Content-Type", "application/xml"); r.status != 201 {
		t.Errorf("statement: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/reconciliation/bank-statements", st, "Authorization", money, "Content-Type", "application/xml"); r.status != 409 {
		t.Errorf("statement twice: %d %s", r.status, r.body)
	}
	for _, q := range []string{"date=2026-13-01", "from=2026-03-01", "from=2026-03-10&to=2026-03-01", "from=2026-01-01&to=2026-06-01", "date=2027-01-01"} {
		if r := e.do("GET", "/api/v1/reconciliation?"+q, nil, "Authorization", money); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows/F-1/withdrawal", map[string]any{"reason": ""}, "Authorization", money); r.status != 422 {
		t.Errorf("withdrawal without reason: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/reconciliation/fdr/sync", nil, "Authorization", money); r.status != 404 {
		t.Errorf("FdR sync without FdR: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/reconciliation/flows/nope", nil, "Authorization", money); r.status != 404 {
		t.Errorf("unknown flow: %d %s", r.status, r.body)
	}
}
