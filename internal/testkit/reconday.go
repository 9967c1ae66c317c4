package testkit

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

// Upload is a file as finance would upload it.
type Upload struct {
	Name, ContentType string
	Body              []byte
}

// ReconDay is the day of issue 11's "done when": 1,000 receipts from
// three PSPs and two channels, their three flows (one revised, one with a
// stand-in and a revoked line, one whose declared total is wrong) and a
// bank statement missing one transfer, with the counts reconciliation
// must give for the day.
type ReconDay struct {
	Day     notices.Date
	Uploads []Upload // the sandbox's flow, a zip of the other two (and a revision), the statement
	Want    map[notices.ReconCategory]int
	// Receipts is the number of receipts of the day once the uploads are
	// in: the stand-in payment is recorded from its flow.
	Receipts int
}

// BuildReconDay pays the day's fines in st (moving clock to each payment,
// and leaving it on day's 18:00) and writes the files. day must be a
// working day, and "today" for the reconciliation at least three bank
// working days later, so that unsettled receipts are late, not pending.
func BuildReconDay(t testing.TB, st notices.Store, sb *psp.Sandbox, s notices.Settings, clock *Clock, day notices.Date) ReconDay {
	t.Helper()
	ctx := context.Background()
	start := day.Start().Add(9 * time.Hour)
	fines := make([]*notices.Fine, 1002)
	for i := range fines {
		f, err := notices.NewFine(notices.FineRequest{Plate: fmt.Sprintf("R%c%03dCD", 'A'+i/1000, i%1000), ViolationCode: "7-15",
			OccurredAt: start.Add(-time.Hour), Place: "Via Torino 12, Milano", Contestation: notices.ContestImmediate, Officer: "vigile"},
			notices.DefaultCatalogue(), s, start.Add(-time.Hour), nil)
		if err != nil {
			t.Fatal(err)
		}
		fines[i] = f
	}
	errs, err := st.ImportFines(ctx, fines)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	svc := payment.New(payment.Config{Store: st, Provider: sb, Settings: s, Now: clock.Now})
	tok, err := sb.Tokenize(psp.CardRequest{Number: psp.CardApproved, ExpMonth: 12, ExpYear: day.Year + 3, CVC: "123"})
	if err != nil {
		t.Fatal(err)
	}
	due := func(f *notices.Fine) (notices.NAV, int64) {
		return f.Options[0].NAV, s.Calendar.Due(f, notices.DateOf(clock.Now())).Cents
	}
	line := func(r notices.Receipt) notices.SettlementLine {
		return notices.SettlementLine{IUV: notices.ReceiptIUV(&r), IUR: notices.ReceiptIUR(&r), TransferIndex: 1, AmountCents: r.AmountCents,
			Outcome: notices.OutcomeExecuted, Date: notices.DateOf(r.PaidAt)}
	}
	var poste, unicr []notices.SettlementLine
	for i := 0; i < 1000; i++ {
		clock.Set(start.Add(time.Duration(i) * 30 * time.Second))
		nav, cents := due(fines[i])
		if i < 400 {
			if _, _, err := svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: cents, Token: tok.Token, IdempotencyKey: "reconday-" + string(nav)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		psp, iur := "BPPIITRRXXX", fmt.Sprintf("POSTE-%04d", i)
		if i >= 700 {
			psp, iur = "UNCRITMMXXX", fmt.Sprintf("UNI-%04d", i)
		}
		rec, err := svc.RecordReceipt(ctx, notices.Receipt{NAV: nav, AmountCents: cents, PagoPA: &notices.PagoPAReceipt{
			ReceiptID: iur, NoticeNumber: string(nav), CreditorReferenceID: nav.IUV(), PaymentAmountCents: cents, IDPSP: psp,
			PSPCompanyName: psp + " SpA", IDChannel: psp + "_01", PaymentDateTime: clock.Now(),
			Transfers: []notices.PagoPATransfer{{IDTransfer: 1, AmountCents: cents, FiscalCodePA: s.Creditor.FiscalCode}}}})
		if err != nil {
			t.Fatal(err)
		}
		if i < 700 {
			poste = append(poste, line(rec.Receipt))
		} else {
			unicr = append(unicr, line(rec.Receipt))
		}
	}
	clock.Set(day.Start().Add(18 * time.Hour))
	encode := func(f notices.SettlementFlow) []byte {
		var b bytes.Buffer
		if err := fdr.EncodeXML(&b, &f); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	flow := func(id, psp string, at time.Time, lines []notices.SettlementLine) notices.SettlementFlow {
		f := notices.SettlementFlow{ID: id, FlowTime: at, RegulationID: "SCT-" + id, RegulationDate: day.AddDays(1), PSP: psp,
			PSPName: psp + " SpA", Creditor: s.Creditor.FiscalCode, Lines: lines, DeclaredCount: len(lines)}
		f.DeclaredCents = f.PaidCents()
		return f
	}

	// The sandbox's own flow: one amount differs, one line twice, and a
	// declared total ten euro short.
	sf, err := sb.Settlement(ctx, day, s.Creditor)
	if err != nil {
		t.Fatal(err)
	}
	sf.Lines[7].AmountCents += 100
	sf.Lines = append(sf.Lines, sf.Lines[9])
	sf.DeclaredCount, sf.DeclaredCents = len(sf.Lines), sf.PaidCents()-1000
	// Poste: a first revision with a wrong amount, then the one in force,
	// which misses the last two payments.
	t0 := day.AddDays(2).Start().Add(7 * time.Hour)
	p1 := flow(day.String()+"BPPIITRRXXX-1", "BPPIITRRXXX", t0, append([]notices.SettlementLine(nil), poste...))
	p1.Lines[0].AmountCents = 1
	p1.DeclaredCents = p1.PaidCents()
	p2 := flow(p1.ID, "BPPIITRRXXX", t0.Add(time.Hour), poste[:298])
	// UniCredit: the last payment revoked, a stand-in payment of a fine
	// nobody paid through us, and a payment of a notice that is not ours.
	unicr[299].Outcome = notices.OutcomeRevoked
	snav, scents := due(fines[1000])
	unicr = append(unicr,
		notices.SettlementLine{IUV: snav.IUV(), IUR: "UNI-STANDIN", TransferIndex: 1, AmountCents: scents, Outcome: notices.OutcomeStandIn, Date: day},
		notices.SettlementLine{IUV: "01999999999999999", IUR: "UNI-STRANGER", TransferIndex: 1, AmountCents: 5000, Outcome: notices.OutcomeExecuted, Date: day})
	uf := flow(day.String()+"UNCRITMMXXX-9", "UNCRITMMXXX", t0, unicr)

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, f := range []struct {
		name string
		flow notices.SettlementFlow
	}{{"poste-1.xml", p1}, {"poste-2.xml", p2}, {"unicredit.xml", uf}} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(encode(f.flow))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// The bank: the sandbox's and Poste's transfers, UniCredit's missing,
	// and a credit that is no flow's.
	credit := func(n int, cents int64, booked notices.Date, ref string) string {
		return fmt.Sprintf(`<Ntry><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>%s</Dt></BookgDt>`+
			`<AcctSvcrRef>B-%d</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`,
			cents/100, cents%100, booked, n, ref)
	}
	camt := strings.Join([]string{`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>` + day.AddDays(1).String() + `T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-` + day.AddDays(1).String() + `</Id><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>`,
		credit(1, sf.DeclaredCents, day.AddDays(1), sf.RegulationID),
		credit(2, p2.DeclaredCents, day.AddDays(1), p2.RegulationID),
		credit(3, 25000, day, "RENT-MARCH"),
		`</Stmt></BkToCstmrStmt></Document>`}, "\n")

	return ReconDay{
		Day: day,
		Uploads: []Upload{
			{Name: sf.ID + ".xml", ContentType: "application/xml", Body: encode(sf)},
			{Name: "altri-psp.zip", ContentType: "application/zip", Body: zbuf.Bytes()},
			{Name: "estratto-conto.xml", ContentType: "application/xml", Body: []byte(camt)},
		},
		Want: map[notices.ReconCategory]int{
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
		},
		Receipts: 1001,
	}
}
