package pagopa

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
)

// Payments is what the station needs of the payment use case: the same
// quote the app shows and the one way receipts are recorded.
// *payment.Service implements it.
type Payments interface {
	Quote(ctx context.Context, nav notices.NAV, day notices.Date) (notices.Fine, notices.AmountDue, error)
	RecordReceipt(ctx context.Context, r notices.Receipt) (payment.Recorded, error)
}

// Config wires a Station. Settings must have passed Validate.
type Config struct {
	Settings Settings
	// Creditor is idPA (its fiscal code) and the company name answered.
	Creditor notices.Creditor
	Payments Payments
	Now      func() time.Time
	Logger   *slog.Logger
}

// Station answers the node's paForNode calls for one creditor.
type Station struct {
	cfg Config
	log *slog.Logger
}

// New returns a Station with the defaults of cfg filled in.
func New(cfg Config) *Station {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Station{cfg: cfg, log: cfg.Logger.With("component", "pagopa-station")}
}

// Answer is the station's answer to one call, with what monitoring needs.
type Answer struct {
	Body      []byte // the SOAP envelope to send, with HTTP 200
	Operation string // the WSDL operation, "" when none could be told
	Outcome   string // OK, KO, or "fault" for a SOAP fault
	Fault     string // the pagoPA fault code of a KO or a SOAP fault
}

// Handle answers one SOAP request and never fails: whatever goes wrong
// becomes the operation's KO response with a fault bean, or, when not even
// the operation can be told, a SOAP Client fault. soapAction is the raw
// SOAPAction header ("" when absent); when present it must name the
// operation of the message in the body.
func (s *Station) Handle(ctx context.Context, soapAction string, body []byte) []byte {
	return s.Call(ctx, soapAction, body).Body
}

// Call is Handle, also saying which operation was called and how it ended.
func (s *Station) Call(ctx context.Context, soapAction string, body []byte) (a Answer) {
	action := SOAPAction(soapAction)
	var op Operation
	known := false
	defer func() {
		// A bug must not leave the node without an answer it can read:
		// it gets PAA_SYSTEM_ERROR and retries later.
		if p := recover(); p != nil {
			s.log.Error("pagoPA operation panicked", "op", op.Name, "panic", p)
			a = s.answer(op, known, nil, fault(FaultSystem, "internal error"))
		}
	}()
	msg, err := Decode(body)
	if err != nil {
		var de *DecodeError
		errors.As(err, &de)
		if de != nil && de.Element != "" {
			op, known = operationOf(de.Element)
		}
		if !known && action != "" {
			op, known = OperationByName(action)
		}
		s.log.Warn("pagoPA request refused", "action", truncate(action, 40), "err", err)
		return s.answer(op, known, nil, fault(FaultSemantics, "malformed request: "+err.Error()))
	}
	op, known = operationOf(msg.Element())
	if msg.Element() != op.Request {
		return s.answer(op, true, nil, fault(FaultSemantics, msg.Element()+" is a response, not a request"))
	}
	if action != "" && action != op.Name {
		return s.answer(op, true, nil, fault(FaultSemantics, "SOAPAction "+truncate(action, 40)+" does not match the message "+msg.Element()))
	}
	var res Message
	switch m := msg.(type) {
	case *PaVerifyPaymentNoticeReq:
		res = s.verify(ctx, m)
	case *PaGetPaymentReq:
		res = s.getPayment(ctx, m)
	case *PaGetPaymentV2Request:
		res = s.getPaymentV2(ctx, m)
	case *PaSendRTReq:
		res = s.sendRT(ctx, op, m.IDPA, m.IDBrokerPA, m.IDStation, &m.Receipt, 1)
	case *PaSendRTV2Request:
		res = s.sendRT(ctx, op, m.IDPA, m.IDBrokerPA, m.IDStation, &m.Receipt, 2)
	case *PaDemandPaymentNoticeRequest:
		res = s.reply(op, fault(FaultSemantics, "this station issues no notices on demand (spontaneous payments are not offered)"))
	}
	return s.answer(op, true, res, nil)
}

// answer encodes res, or a KO of op with f when res is nil, or a SOAP
// fault when no operation is known.
func (s *Station) answer(op Operation, known bool, res Message, f *Fault) Answer {
	if !known {
		return Answer{Body: EncodeFault(f, s.cfg.Creditor.FiscalCode), Outcome: "fault", Fault: f.Code}
	}
	if res == nil {
		res = s.reply(op, f)
	}
	b, err := Encode(res)
	if err != nil {
		s.log.Error("pagoPA answer not encodable", "op", op.Name, "err", err)
		f = fault(FaultSystem, "the answer could not be encoded")
		if b, err = Encode(s.reply(op, f)); err != nil {
			return Answer{Body: EncodeFault(f, s.cfg.Creditor.FiscalCode), Operation: op.Name, Outcome: "fault", Fault: f.Code}
		}
		res = s.reply(op, f)
	}
	a := Answer{Body: b, Operation: op.Name}
	if r, ok := res.(responder); ok {
		cr := r.ctResponse()
		a.Outcome = cr.Outcome
		if cr.Fault != nil {
			a.Fault = cr.Fault.FaultCode
		}
	}
	return a
}

// responder is every response: they all extend ctResponse.
type responder interface {
	Message
	setResponse(CtResponse)
	ctResponse() CtResponse
}

func (r *CtResponse) setResponse(v CtResponse) { *r = v }
func (r *CtResponse) ctResponse() CtResponse   { return *r }

// reply returns op's response element, OK when f is nil, else KO with f.
func (s *Station) reply(op Operation, f *Fault) Message {
	m := newMessage(op.Response).(responder)
	m.setResponse(s.response(f))
	return m
}

func (s *Station) response(f *Fault) CtResponse {
	if f == nil {
		return CtResponse{Outcome: OutcomeOK}
	}
	return CtResponse{Outcome: OutcomeKO, Fault: f.bean(s.cfg.Creditor.FiscalCode)}
}

// checkIDs answers for the three ids every call carries: this creditor,
// its broker and this station, in the order pagoPA checks them.
func (s *Station) checkIDs(idPA, broker, station string) *Fault {
	switch {
	case idPA != s.cfg.Creditor.FiscalCode:
		return fault(FaultWrongDomain, "idPA "+truncate(idPA, 40)+" is not served by this station")
	case broker != s.cfg.Settings.BrokerID:
		return fault(FaultWrongBroker, "idBrokerPA "+truncate(broker, 40)+" is not this station's broker")
	case station != s.cfg.Settings.StationID:
		return fault(FaultWrongStation, "idStation "+truncate(station, 40)+" is not this station")
	}
	return nil
}

// parseNoticeNumber reads a qrCode/receipt notice number: 18 digits as the
// schema says; a number whose check digits fail cannot be one of ours.
func parseNoticeNumber(s string) (notices.NAV, *Fault) {
	if len(s) != 18 || !digits(s) {
		return "", fault(FaultSemantics, "noticeNumber must have 18 digits")
	}
	nav, err := notices.ParseNAV(s)
	if err != nil {
		return "", fault(FaultUnknown, "notice "+s+": "+notices.ErrorMessage(err))
	}
	return nav, nil
}

// quote is the common part of verify and activation: ids, notice, fine
// state and the amount due today (Rome), as the app computes it.
func (s *Station) quote(ctx context.Context, idPA, broker, station string, qr CtQrCode) (notices.NAV, notices.Fine, notices.AmountDue, notices.Date, *Fault) {
	var zf notices.Fine
	var zd notices.AmountDue
	today := notices.DateOf(s.cfg.Now())
	if f := s.checkIDs(idPA, broker, station); f != nil {
		return "", zf, zd, today, f
	}
	if qr.FiscalCode != s.cfg.Creditor.FiscalCode {
		return "", zf, zd, today, fault(FaultWrongDomain, "qrCode fiscalCode "+truncate(qr.FiscalCode, 40)+" is not this creditor")
	}
	nav, flt := parseNoticeNumber(qr.NoticeNumber)
	if flt != nil {
		return "", zf, zd, today, flt
	}
	fine, due, err := s.cfg.Payments.Quote(ctx, nav, today)
	if err != nil {
		if code := notices.ErrorCode(err); code == notices.ENoticeNotFound || code == notices.EFineNotFound {
			return nav, zf, zd, today, fault(FaultUnknown, "no fine has notice number "+string(nav))
		}
		s.log.Error("pagoPA quote failed", "nav", nav, "err", err)
		return nav, zf, zd, today, fault(FaultSystem, "the fine could not be read; try again")
	}
	if err := fine.Payable(); err != nil {
		return nav, fine, due, today, notPayable(err)
	}
	if due.Cents <= 0 || due.Cents > maxAmountCents {
		s.log.Error("pagoPA quote out of range", "nav", nav, "cents", due.Cents)
		return nav, fine, due, today, fault(FaultSystem, "the amount due is out of range")
	}
	return nav, fine, due, today, nil
}

// notPayable maps why the domain refuses a payment to the pagoPA code:
// paid, cancelled, or flagged void because it was not notified in time
// (art. 201 c.5): not payable in any channel until a supervisor decides,
// which the node is told as a cancelled position.
func notPayable(err error) *Fault {
	msg := notices.ErrorMessage(err)
	switch notices.ErrorCode(err) {
	case notices.EAlreadyPaid:
		return fault(FaultAlreadyPaid, msg)
	case notices.EFineCancelled:
		return fault(FaultCancelled, msg)
	case notices.EFineVoid:
		return fault(FaultCancelled, msg)
	}
	return fault(FaultSemantics, msg)
}

// dueDate is the last day of the current stage; in the last, open-ended
// stage (half the maximum) it is the day of the call, for which the
// amount was computed.
func dueDate(due notices.AmountDue, today notices.Date) string {
	if due.PayBy.IsZero() {
		return today.String()
	}
	return due.PayBy.String()
}

// description is what the payer reads in the channel (stText140).
func (s *Station) description(f *notices.Fine) string {
	what := f.Violation.DescriptionIt
	if what == "" {
		what = f.Violation.Description
	}
	return truncate("Verbale "+f.ReportNumber+" - art. "+f.Violation.Article+" CdS - "+what, 140)
}

// stageText explains the amount in the verify answer's detailDescription.
func stageText(due notices.AmountDue) string {
	switch due.Stage {
	case notices.StageReduced:
		return "Importo ridotto del 30% (art. 202 c.1 CdS)"
	case notices.StageMinimum:
		return "Importo in misura ridotta (art. 202 CdS)"
	}
	return "Metà del massimo edittale (art. 203 c.3 CdS)"
}

func (s *Station) verify(ctx context.Context, r *PaVerifyPaymentNoticeReq) Message {
	res := &PaVerifyPaymentNoticeRes{}
	nav, fine, due, today, flt := s.quote(ctx, r.IDPA, r.IDBrokerPA, r.IDStation, r.QrCode)
	s.logOp("paVerifyPaymentNotice", nav, flt)
	res.CtResponse = s.response(flt)
	if flt != nil {
		return res
	}
	res.PaymentList = &CtPaymentOptionsDescriptionListPA{PaymentOptionDescription: CtPaymentOptionDescriptionPA{
		Amount: FormatAmount(due.Cents), Options: "EQ", DueDate: dueDate(due, today),
		DetailDescription: stageText(due), AllCCP: false,
	}}
	res.PaymentDescription = s.description(&fine)
	res.FiscalCodePA = s.cfg.Creditor.FiscalCode
	res.CompanyName = truncate(s.cfg.Creditor.Name, 140)
	return res
}

// activation checks the optional amount of an activation request and
// returns what both versions answer.
func (s *Station) activation(ctx context.Context, op, idPA, broker, station string, qr CtQrCode, amount string) (notices.NAV, notices.Fine, notices.AmountDue, notices.Date, *Fault) {
	nav, fine, due, today, flt := s.quote(ctx, idPA, broker, station, qr)
	if flt == nil && amount != "" {
		// The node sends the amount it verified; the creditor answers with
		// the amount due now, which may have moved on at midnight.
		if c, err := ParseAmount(amount); err != nil {
			flt = fault(FaultSemantics, "amount: "+err.Error())
		} else if c != due.Cents {
			s.log.Info("pagoPA activation at a new amount", "nav", nav, "asked", c, "due", due.Cents)
		}
	}
	s.logOp(op, nav, flt)
	return nav, fine, due, today, flt
}

// debtor is who owes the fine as pagoPA shows it: the vehicle's owner
// (jointly liable, art. 196) when the verbale names one, else the driver
// when known, else the placeholder ANONIMO that pagoPA accepts for an
// unknown debtor (a windscreen notice knows only a plate). A person is F,
// a company G; someone without a usable Italian code is ANONIMO by name.
func debtor(f *notices.Fine) CtSubject {
	anon := CtSubject{
		UniqueIdentifier: CtEntityUniqueIdentifier{EntityUniqueIdentifierType: "F", EntityUniqueIdentifierValue: "ANONIMO"},
		FullName:         "ANONIMO",
	}
	v := f.Verbale
	if v == nil {
		return anon
	}
	kind, code, name := "", "", ""
	switch {
	case v.Owner != nil:
		kind, code, name = "F", v.Owner.FiscalCode, v.Owner.Name
		if v.Owner.Kind == notices.LiableCompany {
			kind = "G"
			if code == "" {
				code = v.Owner.VATNumber
			}
		}
	case v.Offender != nil:
		kind, code, name = "F", v.Offender.FiscalCode, v.Offender.Name
	default:
		return anon
	}
	s := anon
	if n := strings.TrimSpace(name); n != "" {
		s.FullName = truncate(n, 70)
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) >= 2 && len(code) <= 16 && alnum(code) {
		s.UniqueIdentifier = CtEntityUniqueIdentifier{EntityUniqueIdentifierType: kind, EntityUniqueIdentifierValue: code}
	}
	return s
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// remittance is the transfer's causale: the report and the article.
func remittance(f *notices.Fine) string {
	return truncate("Verbale "+f.ReportNumber+" art. "+f.Violation.Article+" CdS", 140)
}

func (s *Station) getPayment(ctx context.Context, r *PaGetPaymentReq) Message {
	res := &PaGetPaymentRes{}
	nav, fine, due, today, flt := s.activation(ctx, "paGetPayment", r.IDPA, r.IDBrokerPA, r.IDStation, r.QrCode, r.Amount)
	res.CtResponse = s.response(flt)
	if flt != nil {
		return res
	}
	amount := FormatAmount(due.Cents)
	res.Data = &CtPaymentPA{
		CreditorReferenceID: nav.IUV(), PaymentAmount: amount, DueDate: dueDate(due, today),
		Description: s.description(&fine), CompanyName: truncate(s.cfg.Creditor.Name, 140), Debtor: debtor(&fine),
		TransferList: CtTransferListPA{Transfer: []CtTransferPA{{
			IDTransfer: 1, TransferAmount: amount, FiscalCodePA: s.cfg.Creditor.FiscalCode, IBAN: s.cfg.Settings.IBAN,
			RemittanceInformation: remittance(&fine), TransferCategory: s.cfg.Settings.TransferCategory,
		}}},
	}
	return res
}

func (s *Station) getPaymentV2(ctx context.Context, r *PaGetPaymentV2Request) Message {
	res := &PaGetPaymentV2Response{}
	nav, fine, due, today, flt := s.activation(ctx, "paGetPaymentV2", r.IDPA, r.IDBrokerPA, r.IDStation, r.QrCode, r.Amount)
	res.CtResponse = s.response(flt)
	if flt != nil {
		return res
	}
	amount := FormatAmount(due.Cents)
	res.Data = &CtPaymentPAV2{
		CreditorReferenceID: nav.IUV(), PaymentAmount: amount, DueDate: dueDate(due, today),
		Description: s.description(&fine), CompanyName: truncate(s.cfg.Creditor.Name, 140), Debtor: debtor(&fine),
		TransferList: CtTransferListPAV2{Transfer: []CtTransferPAV2{{
			IDTransfer: 1, TransferAmount: amount, FiscalCodePA: s.cfg.Creditor.FiscalCode, IBAN: s.cfg.Settings.IBAN,
			RemittanceInformation: remittance(&fine), TransferCategory: s.cfg.Settings.TransferCategory,
		}}},
	}
	return res
}

// sendRT records a receipt through the payment use case, the same one the
// checkout settles with. The same receipt again answers OK (nothing is
// written twice): the node only needs to know we hold it, and an OK ends
// its retries, which PAA_RECEIPT_DUPLICATA would too but reads as an error
// in its monitoring.
func (s *Station) sendRT(ctx context.Context, op Operation, idPA, broker, station string, rc *CtReceipt, version int) Message {
	res := s.reply(op, nil).(responder)
	flt := s.checkIDs(idPA, broker, station)
	var r notices.Receipt
	if flt == nil {
		r, flt = s.receipt(rc, version)
	}
	if flt != nil {
		s.logOp(op.Name, notices.NAV(truncate(rc.NoticeNumber, 18)), flt)
		res.setResponse(s.response(flt))
		return res
	}
	rec, err := s.cfg.Payments.RecordReceipt(ctx, r)
	switch code := notices.ErrorCode(err); {
	case err == nil:
	case code == notices.ENoticeNotFound || code == notices.EFineNotFound:
		// Money for a notice we do not know: the node keeps the receipt
		// and retries, and an operator must look.
		s.log.Error("pagoPA receipt for an unknown notice", "nav", r.NAV, "receiptId", r.PagoPA.ReceiptID, "cents", r.AmountCents)
		flt = fault(FaultUnknown, "no fine has notice number "+string(r.NAV))
	case code == notices.EValidation:
		flt = fault(FaultSemantics, "receipt: "+notices.ErrorMessage(err))
	default:
		s.log.Error("pagoPA receipt not recorded", "nav", r.NAV, "receiptId", r.PagoPA.ReceiptID, "err", err)
		flt = fault(FaultSystem, "the receipt could not be recorded; send it again")
	}
	if flt == nil {
		s.log.Info("pagoPA receipt", "op", op.Name, "nav", r.NAV, "receiptId", r.PagoPA.ReceiptID,
			"receipt", rec.Receipt.ID, "duplicate", rec.Duplicate, "anomaly", rec.Receipt.Anomaly, "psp", r.PagoPA.IDPSP)
	} else {
		s.logOp(op.Name, r.NAV, flt)
	}
	res.setResponse(s.response(flt))
	return res
}

func (s *Station) logOp(op string, nav notices.NAV, f *Fault) {
	if f == nil {
		s.log.Info("pagoPA call", "op", op, "nav", nav, "outcome", OutcomeOK)
		return
	}
	s.log.Info("pagoPA call", "op", op, "nav", nav, "outcome", OutcomeKO, "fault", f.Code, "description", f.Description)
}
