package pagopa

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/multa/multa/internal/xsdcheck"
)

const verifyBody = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
  <soapenv:Header/>
  <soapenv:Body>
    <pafn:paVerifyPaymentNoticeReq>
      <idPA>01199250158</idPA>
      <idBrokerPA>01199250158</idBrokerPA>
      <idStation>01199250158_01</idStation>
      <qrCode><fiscalCode>01199250158</fiscalCode><noticeNumber>301000000000000123</noticeNumber></qrCode>
    </pafn:paVerifyPaymentNoticeReq>
  </soapenv:Body>
</soapenv:Envelope>`

func TestDecodeVerify(t *testing.T) {
	m, err := Decode([]byte(verifyBody))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := m.(*PaVerifyPaymentNoticeReq)
	if !ok {
		t.Fatalf("decoded %T", m)
	}
	if v.IDPA != "01199250158" || v.IDStation != "01199250158_01" || v.QrCode.NoticeNumber != "301000000000000123" {
		t.Errorf("decoded %+v", v)
	}
	// Other prefixes, no header, no declaration: the same message.
	other := strings.NewReplacer("soapenv:", "S:", "xmlns:soapenv", "xmlns:S", "pafn:", "ns2:", "xmlns:pafn", "xmlns:ns2",
		"<soapenv:Header/>", "", `<?xml version="1.0" encoding="UTF-8"?>`, "").Replace(verifyBody)
	m2, err := Decode([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	v.XMLName, m2.(*PaVerifyPaymentNoticeReq).XMLName = m2.(*PaVerifyPaymentNoticeReq).XMLName, v.XMLName
	if !reflect.DeepEqual(m2, m) {
		t.Errorf("prefixes changed the message: %+v vs %+v", m2, m)
	}
}

func TestDecodeRefuses(t *testing.T) {
	env := func(inner string) string {
		return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="` + Namespace + `"><soapenv:Body>` + inner + `</soapenv:Body></soapenv:Envelope>`
	}
	for name, tc := range map[string]struct {
		body    string
		element string // the element a KO can still be tied to
	}{
		"not XML":          {"hello", ""},
		"empty":            {"", ""},
		"truncated":        {verifyBody[:len(verifyBody)/2], "paVerifyPaymentNoticeReq"},
		"not SOAP":         {`<pafn:paVerifyPaymentNoticeReq xmlns:pafn="` + Namespace + `"/>`, ""},
		"SOAP 1.2":         {`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`, ""},
		"empty body":       {env(""), ""},
		"unknown op":       {env(`<pafn:paSomethingElse/>`), ""},
		"wrong namespace":  {env(`<x:paVerifyPaymentNoticeReq xmlns:x="urn:other"/>`), "paVerifyPaymentNoticeReq"},
		"two messages":     {env(`<pafn:paVerifyPaymentNoticeReq/><pafn:paVerifyPaymentNoticeReq/>`), "paVerifyPaymentNoticeReq"},
		"text after":       {env(`<pafn:paVerifyPaymentNoticeReq/>`) + "junk", "paVerifyPaymentNoticeReq"},
		"DTD":              {`<!DOCTYPE x [<!ENTITY a "aaaa">]>` + env(`<pafn:paVerifyPaymentNoticeReq/>`), ""},
		"entity":           {env(`<pafn:paVerifyPaymentNoticeReq><idPA>&a;</idPA></pafn:paVerifyPaymentNoticeReq>`), "paVerifyPaymentNoticeReq"},
		"latin-1":          {`<?xml version="1.0" encoding="ISO-8859-1"?>` + env(`<pafn:paVerifyPaymentNoticeReq/>`), ""},
		"mismatched tags":  {env(`<pafn:paVerifyPaymentNoticeReq><idPA>1</idBrokerPA></pafn:paVerifyPaymentNoticeReq>`), "paVerifyPaymentNoticeReq"},
		"amount not a num": {env(`<pafn:paSendRTReq><receipt><transferList><transfer><idTransfer>x</idTransfer></transfer></transferList></receipt></pafn:paSendRTReq>`), "paSendRTReq"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Decode([]byte(tc.body))
			var de *DecodeError
			if err == nil || !errors.As(err, &de) {
				t.Fatalf("Decode = %T, %v; want a DecodeError", m, err)
			}
			if de.Element != tc.element {
				t.Errorf("element = %q, want %q (%v)", de.Element, tc.element, err)
			}
		})
	}
	big := env(`<pafn:paVerifyPaymentNoticeReq><idPA>` + strings.Repeat("1", MaxBody) + `</idPA></pafn:paVerifyPaymentNoticeReq>`)
	var de *DecodeError
	if _, err := Decode([]byte(big)); !errors.Is(err, ErrTooLarge) || !errors.As(err, &de) || de.Element != "paVerifyPaymentNoticeReq" {
		t.Errorf("a body over the bound: %v (its message must still be told)", err)
	}
	if _, err := Decode(bytes.Repeat([]byte("x"), MaxBody+1)); !errors.As(err, &de) || de.Element != "" {
		t.Errorf("junk over the bound: %v", err)
	}
}

func TestSOAPAction(t *testing.T) {
	for in, want := range map[string]string{`"paGetPaymentV2"`: "paGetPaymentV2", "paSendRTV2": "paSendRTV2", "": "",
		`"http://pagopa-api.pagopa.gov.it/paForNode/paVerifyPaymentNotice"`: "paVerifyPaymentNotice"} {
		if got := SOAPAction(in); got != want {
			t.Errorf("SOAPAction(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEncodeRoundTrip encodes every kind of message, decodes it back and
// validates it against the schema: children must come out unqualified.
func TestEncodeRoundTrip(t *testing.T) {
	xsd := xsdcheck.Schema(t)
	debtor := CtSubject{UniqueIdentifier: CtEntityUniqueIdentifier{"F", "ANONIMO"}, FullName: "ANONIMO"}
	msgs := []Message{
		&PaVerifyPaymentNoticeReq{IDPA: "01199250158", IDBrokerPA: "b", IDStation: "s", QrCode: CtQrCode{"01199250158", "301000000000000123"}},
		&PaVerifyPaymentNoticeRes{CtResponse: CtResponse{Outcome: OutcomeKO, Fault: fault(FaultUnknown, "x & <y>").bean("01199250158")}},
		&PaGetPaymentV2Response{CtResponse: CtResponse{Outcome: OutcomeOK}, Data: &CtPaymentPAV2{
			CreditorReferenceID: "01000000000000123", PaymentAmount: "42.00", DueDate: "2026-12-01", Description: "d", CompanyName: "c",
			Debtor: debtor, TransferList: CtTransferListPAV2{Transfer: []CtTransferPAV2{{1, "42.00", "01199250158", "", "IT60X0542811101000000123456", "r", DefaultTransferCategory}}}}},
		&PaSendRTV2Response{CtResponse: CtResponse{Outcome: OutcomeOK}},
		&PaDemandPaymentNoticeResponse{CtResponse: CtResponse{Outcome: OutcomeKO, Fault: fault(FaultSemantics, "no").bean("01199250158")}},
	}
	for _, m := range msgs {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", m.Element(), err, b)
		}
		if back.Element() != m.Element() {
			t.Errorf("round trip of %s gave %s", m.Element(), back.Element())
		}
		if !bytes.Contains(b, []byte("<outcome>")) && !bytes.Contains(b, []byte("<idPA>")) {
			t.Errorf("%s: children are not unqualified:\n%s", m.Element(), b)
		}
		if err := xsdcheck.Check(xsd, b); err != nil {
			t.Errorf("%s: %v", m.Element(), err)
		}
	}
	// The validator itself must refuse an invalid message, or it proves nothing.
	bad, _ := Encode(&PaSendRTV2Response{CtResponse: CtResponse{Outcome: "MAYBE"}})
	if err := xsdcheck.Check(xsd, bad); err == nil {
		t.Error("xmllint accepted an outcome of MAYBE")
	}
}

func TestEncodeFault(t *testing.T) {
	b := EncodeFault(fault(FaultSemantics, "unknown operation"), "01199250158")
	for _, want := range []string{"<soapenv:Fault>", "<faultcode>soapenv:Client</faultcode>", "<faultCode>PAA_SEMANTICA</faultCode>"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("fault lacks %s:\n%s", want, b)
		}
	}
}

// FuzzDecode feeds the SOAP decoder hostile bodies: it must never panic,
// and whatever it accepts must encode and decode back to the same message.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(verifyBody))
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><p:paSendRTV2Request xmlns:p="` + Namespace + `"><idPA>1</idPA><receipt><receiptId>r</receiptId><paymentAmount>1.00</paymentAmount><transferList><transfer><idTransfer>1</idTransfer></transfer></transferList></receipt></p:paSendRTV2Request></soapenv:Body></soapenv:Envelope>`))
	f.Add([]byte("<a>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			return
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("accepted %s but cannot encode it: %v", m.Element(), err)
		}
		back, err := Decode(b)
		if err != nil {
			t.Fatalf("re-decoding our own encoding of %s: %v\n%s", m.Element(), err, b)
		}
		if back.Element() != m.Element() {
			t.Fatalf("round trip changed %s into %s", m.Element(), back.Element())
		}
	})
}
