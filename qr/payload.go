package qr

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/multa/multa/notices"
)

// Payload is what a pagoPA QR code carries: the notice number, the
// creditor's fiscal code and an amount. The amount is only a hint: the
// creditor always answers with the amount due on the day of payment.
type Payload struct {
	NAV         notices.NAV
	FiscalCode  string
	AmountCents int64
}

// MaxAmountCents is the largest amount a payload may carry when we emit
// it: the specification allows at most 10 digits of cents.
const MaxAmountCents = 9_999_999_999

// pagoPA payload format (SANP, "QR code" of the avviso di pagamento).
const (
	pagoPAPrefix  = "PAGOPA"
	pagoPAVersion = "002"
	pagoPASep     = "|"
	// maxParsedAmountDigits is more lenient than what we emit, as the
	// specification asks of readers.
	maxParsedAmountDigits = 11
	// maxPayloadLen bounds any text we try to parse; a pagoPA payload is at
	// most 53 bytes and our links are short, so anything longer is rejected
	// before it costs work.
	maxPayloadLen = 2048
)

// EncodePagoPA writes p as "PAGOPA|002|<NAV>|<fiscal code>|<cents>". The
// amount has at least 2 digits (€0.05 is "05") and at most 10. It validates
// every field, so that a code we print is always one we can read back.
func EncodePagoPA(p Payload) (string, error) {
	const op = "qr.EncodePagoPA"
	if err := checkNAVField(string(p.NAV)); err != nil {
		return "", withOp(err, op)
	}
	if err := notices.ValidateCreditorFiscalCode(p.FiscalCode); err != nil {
		return "", withOp(err, op)
	}
	if p.AmountCents < 1 || p.AmountCents > MaxAmountCents {
		return "", &notices.Error{Code: EInvalidAmount, Op: op,
			Message: "the amount must be between 1 cent and 99,999,999.99 euro"}
	}
	amount := strconv.FormatInt(p.AmountCents, 10)
	if len(amount) == 1 {
		amount = "0" + amount
	}
	return pagoPAPrefix + pagoPASep + pagoPAVersion + pagoPASep + string(p.NAV) +
		pagoPASep + p.FiscalCode + pagoPASep + amount, nil
}

// ParsePagoPA reads a pagoPA payload strictly: exactly five fields, the
// prefix PAGOPA, version 002, an 18-digit NAV with valid check digits (no
// spaces or other separators: those are for people, not for codes), a valid
// creditor fiscal code and an amount of 1 to 11 digits greater than zero.
//
// Errors: invalid_qr_payload, unsupported_qr_version, invalid_notice_number,
// invalid_fiscal_code, invalid_amount.
func ParsePagoPA(s string) (Payload, error) {
	const op = "qr.ParsePagoPA"
	if len(s) > maxPayloadLen {
		return Payload{}, &notices.Error{Code: EInvalidQRPayload, Op: op, Message: "the code is too long to be a pagoPA payload"}
	}
	fields := strings.Split(s, pagoPASep)
	if len(fields) != 5 || fields[0] != pagoPAPrefix {
		return Payload{}, &notices.Error{Code: EInvalidQRPayload, Op: op,
			Message: "a pagoPA payload has five fields separated by | and starts with PAGOPA"}
	}
	if fields[1] != pagoPAVersion {
		return Payload{}, &notices.Error{Code: EUnsupportedQRVersion, Op: op,
			Message: "only version 002 of the pagoPA payload is supported, got " + strconv.Quote(fields[1])}
	}
	if err := checkNAVField(fields[2]); err != nil {
		return Payload{}, withOp(err, op)
	}
	if err := notices.ValidateCreditorFiscalCode(fields[3]); err != nil {
		return Payload{}, withOp(err, op)
	}
	amount := fields[4]
	if len(amount) < 1 || len(amount) > maxParsedAmountDigits || !allDigits(amount) {
		return Payload{}, &notices.Error{Code: EInvalidAmount, Op: op, Message: "the amount has 1 to 11 digits of euro cents"}
	}
	cents, _ := strconv.ParseInt(amount, 10, 64) // 11 digits always fit
	if cents == 0 {
		return Payload{}, &notices.Error{Code: EInvalidAmount, Op: op, Message: "the amount must be greater than zero"}
	}
	return Payload{NAV: notices.NAV(fields[2]), FiscalCode: fields[3], AmountCents: cents}, nil
}

// checkNAVField accepts exactly 18 ASCII digits with valid check digits.
// notices.ParseNAV alone would also accept "3020 3200 ...", which is right
// for a form field but not for a machine-written code.
func checkNAVField(s string) error {
	if len(s) != 18 || !allDigits(s) {
		return notices.Errorf(notices.EInvalidNoticeNumber, "a notice number in a code is exactly 18 digits")
	}
	_, err := notices.ParseNAV(s)
	return err
}

// linkPath is the app route that opens the checkout of a notice.
const linkPath = "/p/"

// LinkURL returns the checkout link printed as the second QR code of a
// notice: {publicURL}/p/{NAV}. A trailing slash of publicURL is dropped so
// that the link has a single one.
func LinkURL(publicURL string, n notices.NAV) string {
	return strings.TrimRight(publicURL, "/") + linkPath + string(n)
}

// ParseLink reads a checkout link: an http or https URL with a host, no
// credentials, query or fragment, whose path ends in /p/ and 18 digits that
// form a valid NAV. It returns the part before /p/, so that
// LinkURL(publicURL, n) gives s back. Any host is accepted: the NAV is
// what identifies the notice, and the app looks it up on its own server.
//
// Errors: invalid_qr_payload, invalid_notice_number.
func ParseLink(s string) (publicURL string, n notices.NAV, err error) {
	const op = "qr.ParseLink"
	bad := func(msg string) (string, notices.NAV, error) {
		return "", "", &notices.Error{Code: EInvalidQRPayload, Op: op, Message: msg}
	}
	if len(s) > maxPayloadLen {
		return bad("the link is too long")
	}
	for i := 0; i < len(s); i++ {
		// A printed link is plain ASCII: refusing spaces, controls and
		// raw UTF-8 keeps look-alike and injected text out.
		if s[i] <= ' ' || s[i] >= 0x7f {
			return bad("the link contains spaces or characters that are not printable ASCII")
		}
	}
	if strings.ContainsAny(s, "?#") {
		return bad("the link has a query or fragment")
	}
	i := strings.LastIndex(s, linkPath)
	if i < 0 {
		return bad("the link does not point to a notice (/p/<notice number>)")
	}
	base, digits := s[:i], s[i+len(linkPath):]
	u, perr := url.Parse(base)
	if perr != nil {
		return bad("the link is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("the link must use http or https")
	}
	if u.Host == "" || u.Opaque != "" {
		return bad("the link has no host")
	}
	if u.User != nil {
		return bad("the link must not carry credentials")
	}
	if strings.HasSuffix(base, "/") {
		return bad("the link has an empty path segment before /p/")
	}
	if err := checkNAVField(digits); err != nil {
		return "", "", withOp(err, op)
	}
	return base, notices.NAV(digits), nil
}

// Kinds of Scanned codes.
const (
	KindPagoPA = "pagopa" // a pagoPA payload, printed on every notice in Italy
	KindLink   = "link"   // our checkout link
)

// Scanned is what the app's scanner understood: the JSON shape of the
// scan answer. FiscalCode and AmountCents are set only for KindPagoPA.
type Scanned struct {
	Kind        string      `json:"kind"`
	NAV         notices.NAV `json:"noticeNumber"`
	FiscalCode  string      `json:"fiscalCode,omitempty"`
	AmountCents int64       `json:"amountCents,omitempty"`
}

// Parse reads the text of a scanned code, which may be a pagoPA payload or
// a checkout link. The prefix decides which parser answers, so that the
// error describes what is wrong with that kind rather than "not a link".
//
// Errors: those of ParsePagoPA and ParseLink.
func Parse(s string) (Scanned, error) {
	switch {
	case strings.HasPrefix(s, pagoPAPrefix+pagoPASep):
		p, err := ParsePagoPA(s)
		if err != nil {
			return Scanned{}, err
		}
		return Scanned{Kind: KindPagoPA, NAV: p.NAV, FiscalCode: p.FiscalCode, AmountCents: p.AmountCents}, nil
	case hasPrefixFold(s, "http://"), hasPrefixFold(s, "https://"):
		_, n, err := ParseLink(s)
		if err != nil {
			return Scanned{}, err
		}
		return Scanned{Kind: KindLink, NAV: n}, nil
	}
	return Scanned{}, &notices.Error{Code: EInvalidQRPayload, Op: "qr.Parse",
		Message: "the code is neither a pagoPA payment notice nor a Multa link"}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// withOp copies a domain error and names the operation, so that a log line
// says which parser refused the input; other errors pass unchanged.
func withOp(err error, op string) error {
	if e, ok := err.(*notices.Error); ok {
		c := *e
		c.Op = op
		return &c
	}
	return err
}
