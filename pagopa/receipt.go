package pagopa

import (
	"fmt"
	"strings"
	"time"

	"github.com/multa/multa/notices"
)

// receipt checks a ctReceipt/ctReceiptV2 and turns it into the domain's
// receipt, keeping everything a creditor must keep of it. What the schema
// requires must be there and of the right shape; a receipt that fails is
// refused with PAA_SEMANTICA and the node sends it again after a fix,
// so no money is lost by refusing garbage.
func (s *Station) receipt(rc *CtReceipt, version int) (notices.Receipt, *Fault) {
	bad := func(format string, args ...any) (notices.Receipt, *Fault) {
		return notices.Receipt{}, fault(FaultSemantics, "receipt: "+fmt.Sprintf(format, args...))
	}
	if rc.FiscalCode != s.cfg.Creditor.FiscalCode {
		return notices.Receipt{}, fault(FaultWrongDomain, "receipt fiscalCode "+truncate(rc.FiscalCode, 40)+" is not this creditor")
	}
	if rc.Outcome != OutcomeOK {
		return bad("outcome %q: only positive receipts settle a fine", truncate(rc.Outcome, 10))
	}
	rid := strings.TrimSpace(rc.ReceiptID)
	if rid == "" || len(rid) > 64 || !printable(rid) {
		return bad("receiptId must have 1 to 64 printable characters")
	}
	if len(rc.NoticeNumber) != 18 || !digits(rc.NoticeNumber) {
		return bad("noticeNumber must have 18 digits")
	}
	nav, err := notices.ParseNAV(rc.NoticeNumber)
	if err != nil {
		return notices.Receipt{}, fault(FaultUnknown, "notice "+rc.NoticeNumber+": "+notices.ErrorMessage(err))
	}
	amount, err := ParseAmount(rc.PaymentAmount)
	if err != nil || amount <= 0 {
		return bad("paymentAmount must be a positive amount like 42.00")
	}
	var fee int64
	if rc.Fee != "" {
		if fee, err = ParseAmount(rc.Fee); err != nil {
			return bad("fee: %v", err)
		}
	}
	for name, v := range map[string]struct {
		s   string
		max int
	}{
		"creditorReferenceId": {rc.CreditorReferenceID, 35}, "idPSP": {rc.IDPSP, 35},
		"PSPCompanyName": {rc.PSPCompanyName, 70}, "idChannel": {rc.IDChannel, 35},
		"channelDescription": {rc.ChannelDescription, 35},
	} {
		if n := len([]rune(v.s)); n == 0 || n > v.max || !printable(v.s) {
			return bad("%s must have 1 to %d characters", name, v.max)
		}
	}
	p := &notices.PagoPAReceipt{
		ReceiptID: rid, NoticeNumber: rc.NoticeNumber, FiscalCode: rc.FiscalCode,
		CreditorReferenceID: rc.CreditorReferenceID, PaymentAmountCents: amount,
		Description: truncate(rc.Description, 140), CompanyName: truncate(rc.CompanyName, 140),
		IDPSP: rc.IDPSP, PSPFiscalCode: truncate(rc.PSPFiscalCode, 70), PSPCompanyName: rc.PSPCompanyName,
		IDChannel: rc.IDChannel, ChannelDescription: rc.ChannelDescription,
		PaymentMethod: truncate(rc.PaymentMethod, 35), FeeCents: fee,
		Debtor: notices.PagoPASubject{
			EntityType: truncate(rc.Debtor.UniqueIdentifier.EntityUniqueIdentifierType, 1),
			UniqueID:   truncate(rc.Debtor.UniqueIdentifier.EntityUniqueIdentifierValue, 16),
			FullName:   truncate(rc.Debtor.FullName, 70),
		},
	}
	if rc.PaymentDateTime != "" {
		if p.PaymentDateTime, err = parseDateTime(rc.PaymentDateTime); err != nil {
			return bad("paymentDateTime: %v", err)
		}
	}
	if rc.ApplicationDate != "" {
		if p.ApplicationDate, err = notices.ParseDate(strings.TrimSpace(rc.ApplicationDate)); err != nil {
			return bad("applicationDate is not a date")
		}
	}
	if rc.TransferDate != "" {
		if p.TransferDate, err = notices.ParseDate(strings.TrimSpace(rc.TransferDate)); err != nil {
			return bad("transferDate is not a date")
		}
	}
	ts := rc.TransferList.Transfer
	if len(ts) < 1 || len(ts) > 5 {
		return bad("transferList must have 1 to 5 transfers")
	}
	var sum int64
	for i, t := range ts {
		c, err := ParseAmount(t.TransferAmount)
		if err != nil || c <= 0 {
			return bad("transfer %d: transferAmount must be a positive amount", i+1)
		}
		if t.IDTransfer < 1 || t.IDTransfer > 5 {
			return bad("transfer %d: idTransfer must be 1 to 5", i+1)
		}
		if version == 1 && t.IBAN == "" {
			return bad("transfer %d: a V1 transfer needs an IBAN", i+1)
		}
		sum += c
		p.Transfers = append(p.Transfers, notices.PagoPATransfer{
			IDTransfer: t.IDTransfer, AmountCents: c, FiscalCodePA: truncate(t.FiscalCodePA, 11), IBAN: truncate(t.IBAN, 35),
			RemittanceInformation: truncate(t.RemittanceInformation, 140), TransferCategory: truncate(t.TransferCategory, 140),
		})
	}
	if sum != amount {
		// Still money that arrived: keep it; the amount paid is what
		// counts, and finance sees the transfers as the node sent them.
		s.log.Warn("pagoPA receipt transfers do not add up", "nav", nav, "receiptId", rid, "amount", amount, "transfers", sum)
	}
	return notices.Receipt{NAV: nav, AmountCents: amount, PaidAt: p.PaymentDateTime, Channel: notices.PaidViaPagoPA, PagoPA: p}, nil
}

// parseDateTime reads an xsd:dateTime; without a zone it is Rome time,
// which is how the node writes it.
func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		loc := notices.Rome
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an xsd:dateTime", truncate(s, 40))
}

// printable reports whether s has no control characters, which no id or
// name of a receipt has a reason to carry into logs and the ledger.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
