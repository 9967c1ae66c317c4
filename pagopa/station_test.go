package pagopa_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/internal/xsdcheck"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/payment"
)

// quiet drops the station's logs: every refusal here is on purpose.
var quiet = slog.New(slog.DiscardHandler)

var settings = pagopa.Settings{BrokerID: "97735020584", StationID: "97735020584_01",
	IBAN: "IT60X0542811101000000123456", TransferCategory: pagopa.DefaultTransferCategory}

// kit is a station over a real bbolt store and the payment use case,
// called in process; every answer is kept for one schema check.
type kit struct {
	t       *testing.T
	clock   *testkit.Clock
	store   *testkit.Store
	station *pagopa.Station
	answers [][]byte
	last    *pagopa.PaGetPaymentV2Response // the last activation answered
}

func newKit(t *testing.T) *kit {
	clk := testkit.NewClock(testkit.Rome(2026, 11, 3, 9, 0))
	st := testkit.NewStore(t, clk) // checked and its ledger verified at cleanup
	pay := payment.New(payment.Config{Store: st, Settings: testkit.Milan, Now: clk.Now, Logger: quiet})
	k := &kit{t: t, clock: clk, store: st,
		station: pagopa.New(pagopa.Config{Settings: settings, Creditor: testkit.Milan.Creditor, Payments: pay, Now: clk.Now, Logger: quiet})}
	t.Cleanup(func() {
		if err := xsdcheck.CheckAll(xsdcheck.Schema(t), k.answers); err != nil {
			t.Error(err)
		}
	})
	return k
}

// fine issues a 7-15 parking fine contested on the spot an hour ago:
// €29.40 in the reduced stage.
func (k *kit) fine() notices.Fine {
	k.t.Helper()
	f, err := notices.NewFine(notices.FineRequest{Plate: "AB123CD", ViolationCode: "7-15", OccurredAt: k.clock.Now().Add(-time.Hour),
		Place: "Via Torino 12, Milano", Contestation: notices.ContestImmediate, Officer: "officer"}, notices.DefaultCatalogue(), testkit.Milan, k.clock.Now(), nil)
	if err != nil {
		k.t.Fatal(err)
	}
	if _, err := k.store.CreateFine(context.Background(), f, nil); err != nil {
		k.t.Fatal(err)
	}
	return *f
}

// call sends m and returns the decoded answer's outcome and fault code.
func (k *kit) call(m pagopa.Message) (outcome, code string) {
	k.t.Helper()
	body, err := pagopa.Encode(m)
	if err != nil {
		k.t.Fatal(err)
	}
	out := k.station.Handle(context.Background(), "", body)
	k.answers = append(k.answers, out)
	res, err := pagopa.Decode(out)
	if err != nil {
		k.t.Fatalf("answer does not decode: %v\n%s", err, out)
	}
	var r pagopa.CtResponse
	switch x := res.(type) {
	case *pagopa.PaVerifyPaymentNoticeRes:
		r = x.CtResponse
	case *pagopa.PaSendRTV2Response:
		r = x.CtResponse
	case *pagopa.PaSendRTRes:
		r = x.CtResponse
	case *pagopa.PaGetPaymentV2Response:
		r = x.CtResponse
		k.last = x
	default:
		k.t.Fatalf("answer %T", res)
	}
	if r.Fault != nil {
		return r.Outcome, r.Fault.FaultCode
	}
	return r.Outcome, ""
}

// receipt is a valid V2 receipt of nav for cents, paid now at the post office.
func (k *kit) receipt(nav notices.NAV, cents int64) pagopa.CtReceipt {
	amount := pagopa.FormatAmount(cents)
	return pagopa.CtReceipt{
		ReceiptID: "r-" + string(nav[10:]) + "-" + amount, NoticeNumber: string(nav), FiscalCode: testkit.Milan.Creditor.FiscalCode, Outcome: "OK",
		CreditorReferenceID: nav.IUV(), PaymentAmount: amount, Description: "Verbale", CompanyName: "Comune di Milano",
		Debtor: pagopa.CtSubject{UniqueIdentifier: pagopa.CtEntityUniqueIdentifier{EntityUniqueIdentifierType: "F", EntityUniqueIdentifierValue: "ANONIMO"}, FullName: "ANONIMO"},
		TransferList: pagopa.CtTransferListPAReceipt{Transfer: []pagopa.CtTransferPAReceipt{{IDTransfer: 1, TransferAmount: amount,
			FiscalCodePA: testkit.Milan.Creditor.FiscalCode, IBAN: settings.IBAN, RemittanceInformation: "Verbale", TransferCategory: settings.TransferCategory}}},
		IDPSP: "BPPIITRRXXX", PSPCompanyName: "Poste Italiane S.p.A.", IDChannel: "97103880585_03", ChannelDescription: "Ufficio postale",
		Fee: "1.00", PaymentDateTime: k.clock.Now().In(notices.Rome).Format("2006-01-02T15:04:05"),
	}
}

func (k *kit) send(r pagopa.CtReceipt) (string, string) {
	return k.call(&pagopa.PaSendRTV2Request{IDPA: testkit.Milan.Creditor.FiscalCode, IDBrokerPA: settings.BrokerID, IDStation: settings.StationID, Receipt: r})
}

func (k *kit) verify(nav notices.NAV) (string, string) {
	return k.call(&pagopa.PaVerifyPaymentNoticeReq{IDPA: testkit.Milan.Creditor.FiscalCode, IDBrokerPA: settings.BrokerID, IDStation: settings.StationID,
		QrCode: pagopa.CtQrCode{FiscalCode: testkit.Milan.Creditor.FiscalCode, NoticeNumber: string(nav)}})
}

// TestReceiptsTheStoreFlags: money that arrived is kept — another amount
// than due settles the fine flagged, a receipt for a cancelled fine is
// stored flagged for refund — and both are answered OK.
func TestReceiptsTheStoreFlags(t *testing.T) {
	k := newKit(t)
	ctx := context.Background()
	over := k.fine()
	if o, c := k.send(k.receipt(over.Options[0].NAV, 3000)); o != "OK" {
		t.Fatalf("an overpayment: %s %s", o, c)
	}
	rs, err := k.store.ReceiptsOfFine(ctx, over.ID)
	if err != nil || len(rs) != 1 || rs[0].Anomaly != notices.AnomalyAmountMismatch || rs[0].ExpectedCents != 2940 || rs[0].RefundCents != 60 {
		t.Errorf("overpayment stored as %+v (%v)", rs, err)
	}
	if f, _ := k.store.Fine(ctx, over.ID); f.Status != notices.StatusPaid {
		t.Errorf("an overpayment leaves the fine %s", f.Status)
	}

	cancelled := k.fine()
	if _, err := k.store.UpdateFine(ctx, cancelled.ID, func(f *notices.Fine) error { return f.Cancel("wrong plate", "super", k.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	if o, c := k.send(k.receipt(cancelled.Options[1].NAV, 2940)); o != "OK" {
		t.Fatalf("a receipt for a cancelled fine: %s %s", o, c)
	}
	rs, err = k.store.ReceiptsOfFine(ctx, cancelled.ID)
	if err != nil || len(rs) != 1 || rs[0].Anomaly != notices.AnomalyAfterCancel || rs[0].RefundCents != 2940 {
		t.Errorf("receipt for a cancelled fine stored as %+v (%v)", rs, err)
	}
	if f, _ := k.store.Fine(ctx, cancelled.ID); f.Status != notices.StatusCancelled {
		t.Errorf("the cancelled fine became %s", f.Status)
	}
	r := rs[0]
	if r.Channel != notices.PaidViaPagoPA || r.PagoPA == nil || r.PagoPA.IDChannel != "97103880585_03" || r.PagoPA.FeeCents != 100 ||
		!r.PaidAt.Equal(k.clock.Now().Truncate(time.Second)) || len(r.PagoPA.Transfers) != 1 || r.PagoPA.Transfers[0].TransferCategory != "9/0102100SA/" {
		t.Errorf("the receipt keeps %+v %+v", r, r.PagoPA)
	}
}

// TestVoidFineIsNotPayable: a fine flagged void because its notification
// term passed cannot be paid until a supervisor decides.
func TestVoidFineIsNotPayable(t *testing.T) {
	k := newKit(t)
	f := k.fine()
	if _, err := k.store.UpdateFine(context.Background(), f.ID, func(x *notices.Fine) error {
		x.Void = &notices.VoidFlag{Since: notices.DateOf(k.clock.Now()), Reason: "notified after 90 days"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if o, c := k.verify(f.Options[0].NAV); o != "KO" || c != pagopa.FaultCancelled {
		t.Errorf("verify of a void fine: %s %s, want KO %s", o, c, pagopa.FaultCancelled)
	}
}

// TestReceiptsRefused: what is not a receipt of ours is refused with the
// code that says why, and nothing is written.
func TestReceiptsRefused(t *testing.T) {
	k := newKit(t)
	f := k.fine()
	nav := f.Options[0].NAV
	unknown, err := notices.NewNAV("01", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		change func(*pagopa.CtReceipt)
		code   string
	}{
		"unknown notice":      {func(r *pagopa.CtReceipt) { r.NoticeNumber = string(unknown) }, pagopa.FaultUnknown},
		"other creditor":      {func(r *pagopa.CtReceipt) { r.FiscalCode = "80016350821" }, pagopa.FaultWrongDomain},
		"negative outcome":    {func(r *pagopa.CtReceipt) { r.Outcome = "KO" }, pagopa.FaultSemantics},
		"zero amount":         {func(r *pagopa.CtReceipt) { r.PaymentAmount = "0.00" }, pagopa.FaultSemantics},
		"amount with a comma": {func(r *pagopa.CtReceipt) { r.PaymentAmount = "29,40" }, pagopa.FaultSemantics},
		"no transfers":        {func(r *pagopa.CtReceipt) { r.TransferList.Transfer = nil }, pagopa.FaultSemantics},
		"six transfers": {func(r *pagopa.CtReceipt) {
			r.TransferList.Transfer = append(r.TransferList.Transfer, r.TransferList.Transfer[0], r.TransferList.Transfer[0], r.TransferList.Transfer[0], r.TransferList.Transfer[0], r.TransferList.Transfer[0])
		}, pagopa.FaultSemantics},
		"transfer id 9":        {func(r *pagopa.CtReceipt) { r.TransferList.Transfer[0].IDTransfer = 9 }, pagopa.FaultSemantics},
		"no receipt id":        {func(r *pagopa.CtReceipt) { r.ReceiptID = " " }, pagopa.FaultSemantics},
		"control in id":        {func(r *pagopa.CtReceipt) { r.ReceiptID = "a\tb" }, pagopa.FaultSemantics},
		"no PSP":               {func(r *pagopa.CtReceipt) { r.IDPSP = "" }, pagopa.FaultSemantics},
		"long channel":         {func(r *pagopa.CtReceipt) { r.ChannelDescription = strings.Repeat("x", 36) }, pagopa.FaultSemantics},
		"bad payment time":     {func(r *pagopa.CtReceipt) { r.PaymentDateTime = "yesterday" }, pagopa.FaultSemantics},
		"bad transfer date":    {func(r *pagopa.CtReceipt) { r.TransferDate = "2026-02-30" }, pagopa.FaultSemantics},
		"short notice number":  {func(r *pagopa.CtReceipt) { r.NoticeNumber = "3010" }, pagopa.FaultSemantics},
		"failing check digits": {func(r *pagopa.CtReceipt) { r.NoticeNumber = string(nav[:16]) + flip(nav[16:]) }, pagopa.FaultUnknown},
	} {
		r := k.receipt(nav, 2940)
		tc.change(&r)
		if o, c := k.send(r); o != "KO" || c != tc.code {
			t.Errorf("%s: %s %s, want KO %s", name, o, c, tc.code)
		}
	}
	// A V1 receipt's transfer must name an IBAN.
	r := k.receipt(nav, 2940)
	r.TransferList.Transfer[0].IBAN = ""
	if o, c := k.call(&pagopa.PaSendRTReq{IDPA: testkit.Milan.Creditor.FiscalCode, IDBrokerPA: settings.BrokerID, IDStation: settings.StationID, Receipt: r}); o != "KO" || c != pagopa.FaultSemantics {
		t.Errorf("V1 transfer without IBAN: %s %s", o, c)
	}
	if fine, _ := k.store.Fine(context.Background(), f.ID); fine.Status == notices.StatusPaid {
		t.Error("a refused receipt paid the fine")
	}
	// The same receipt twice is OK twice and one record.
	good := k.receipt(nav, 2940)
	for i := 0; i < 2; i++ {
		if o, c := k.send(good); o != "OK" {
			t.Fatalf("send %d: %s %s", i, o, c)
		}
	}
	if rs, _ := k.store.ReceiptsOfFine(context.Background(), f.ID); len(rs) != 1 {
		t.Errorf("%d receipts after sending one twice", len(rs))
	}
}

func flip(two notices.NAV) string {
	n := (int(two[0]-'0')*10 + int(two[1]-'0') + 1) % 93
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// FuzzStation sends hostile bodies to the station over a real store: it
// must never panic and must always answer a SOAP envelope, either a
// paForNode message or a SOAP fault.
func FuzzStation(f *testing.F) {
	seeds := [][]byte{[]byte("<x/>"), []byte("")}
	for _, m := range []pagopa.Message{
		&pagopa.PaVerifyPaymentNoticeReq{IDPA: "01199250158", IDBrokerPA: settings.BrokerID, IDStation: settings.StationID, QrCode: pagopa.CtQrCode{FiscalCode: "01199250158", NoticeNumber: "301000000000000123"}},
		&pagopa.PaGetPaymentV2Request{IDPA: "01199250158", IDBrokerPA: settings.BrokerID, IDStation: settings.StationID, Amount: "1.00"},
		&pagopa.PaSendRTV2Request{IDPA: "01199250158", IDBrokerPA: settings.BrokerID, IDStation: settings.StationID, Receipt: pagopa.CtReceipt{
			ReceiptID: "r1", NoticeNumber: "301000000000000123", FiscalCode: "01199250158", Outcome: "OK", PaymentAmount: "29.40",
			TransferList: pagopa.CtTransferListPAReceipt{Transfer: []pagopa.CtTransferPAReceipt{{IDTransfer: 1, TransferAmount: "29.40"}}}}},
	} {
		b, _ := pagopa.Encode(m)
		seeds = append(seeds, b)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	clk := testkit.NewClock(testkit.Rome(2026, 11, 3, 9, 0))
	st := testkit.NewStore(f, clk)
	station := pagopa.New(pagopa.Config{Settings: settings, Creditor: testkit.Milan.Creditor,
		Payments: payment.New(payment.Config{Store: st, Settings: testkit.Milan, Now: clk.Now, Logger: quiet}), Now: clk.Now, Logger: quiet})
	f.Fuzz(func(t *testing.T, body []byte) {
		out := station.Handle(context.Background(), "", body)
		if _, err := pagopa.Decode(out); err != nil && !bytes.Contains(out, []byte("<soapenv:Fault>")) {
			t.Fatalf("answer is neither a message nor a SOAP fault: %v\n%s", err, out)
		}
	})
}

// TestDebtorIsTheOwnerWhenKnown: the activation names the vehicle's owner
// from the verbale (a person by fiscal code, a company by VAT number),
// else the driver, else ANONIMO.
func TestDebtorIsTheOwnerWhenKnown(t *testing.T) {
	k := newKit(t)
	for _, tc := range []struct {
		verbale        *notices.Verbale
		kind, id, name string
	}{
		{nil, "F", "ANONIMO", "ANONIMO"},
		{&notices.Verbale{Owner: &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Rossi Mario", FiscalCode: "rssmra80a01f205x", Address: "Via Roma 1, Milano"}},
			"F", "RSSMRA80A01F205X", "Rossi Mario"},
		{&notices.Verbale{Owner: &notices.Liable{Kind: notices.LiableCompany, Role: notices.RoleLessee, Name: "Noleggi S.p.A.", VATNumber: "01234567890", Address: "Via Po 2, Torino"}},
			"G", "01234567890", "Noleggi S.p.A."},
		{&notices.Verbale{Offender: &notices.Offender{Person: notices.Person{Name: "Müller Hans", Address: "Hauptstraße 1, München", Country: "DE"}}},
			"F", "ANONIMO", "Müller Hans"},
	} {
		f := k.fine()
		if tc.verbale != nil {
			if _, err := k.store.UpdateFine(context.Background(), f.ID, func(x *notices.Fine) error { x.Verbale = tc.verbale; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		o, c := k.call(&pagopa.PaGetPaymentV2Request{IDPA: testkit.Milan.Creditor.FiscalCode, IDBrokerPA: settings.BrokerID, IDStation: settings.StationID,
			QrCode: pagopa.CtQrCode{FiscalCode: testkit.Milan.Creditor.FiscalCode, NoticeNumber: string(f.Options[0].NAV)}})
		if o != "OK" {
			t.Fatalf("activation: %s %s", o, c)
		}
		d := k.last.Data.Debtor
		if d.UniqueIdentifier.EntityUniqueIdentifierType != tc.kind || d.UniqueIdentifier.EntityUniqueIdentifierValue != tc.id || d.FullName != tc.name {
			t.Errorf("debtor %+v, want %s %s %s", d, tc.kind, tc.id, tc.name)
		}
	}
}
