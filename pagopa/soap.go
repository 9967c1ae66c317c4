package pagopa

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// EnvelopeNamespace is the SOAP 1.1 envelope namespace.
const EnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

// MaxBody is the largest request the station reads. The biggest legal
// message, a paSendRTV2 with five transfers and full metadata, is some
// 40 KiB; anything far beyond is a mistake or an attack.
const MaxBody = 256 << 10

// Operation ties a WSDL operation to its request and response elements.
type Operation struct {
	Name     string // the WSDL operation and SOAPAction, e.g. paGetPaymentV2
	Request  string // the request element, e.g. paGetPaymentV2Request
	Response string // the response element, e.g. paGetPaymentV2Response
}

// Operations are those of paForNode.wsdl, in its order.
var Operations = []Operation{
	{"paDemandPaymentNotice", "paDemandPaymentNoticeRequest", "paDemandPaymentNoticeResponse"},
	{"paVerifyPaymentNotice", "paVerifyPaymentNoticeReq", "paVerifyPaymentNoticeRes"},
	{"paGetPayment", "paGetPaymentReq", "paGetPaymentRes"},
	{"paGetPaymentV2", "paGetPaymentV2Request", "paGetPaymentV2Response"},
	{"paSendRT", "paSendRTReq", "paSendRTRes"},
	{"paSendRTV2", "paSendRTV2Request", "paSendRTV2Response"},
}

// newMessage returns an empty message for a root element name, or nil.
func newMessage(element string) Message {
	switch element {
	case "paVerifyPaymentNoticeReq":
		return &PaVerifyPaymentNoticeReq{}
	case "paVerifyPaymentNoticeRes":
		return &PaVerifyPaymentNoticeRes{}
	case "paGetPaymentReq":
		return &PaGetPaymentReq{}
	case "paGetPaymentRes":
		return &PaGetPaymentRes{}
	case "paGetPaymentV2Request":
		return &PaGetPaymentV2Request{}
	case "paGetPaymentV2Response":
		return &PaGetPaymentV2Response{}
	case "paSendRTReq":
		return &PaSendRTReq{}
	case "paSendRTRes":
		return &PaSendRTRes{}
	case "paSendRTV2Request":
		return &PaSendRTV2Request{}
	case "paSendRTV2Response":
		return &PaSendRTV2Response{}
	case "paDemandPaymentNoticeRequest":
		return &PaDemandPaymentNoticeRequest{}
	case "paDemandPaymentNoticeResponse":
		return &PaDemandPaymentNoticeResponse{}
	}
	return nil
}

// OperationByName finds an operation by its WSDL name (the SOAPAction).
func OperationByName(name string) (Operation, bool) {
	for _, o := range Operations {
		if o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// operationOf finds the operation whose request or response is element.
func operationOf(element string) (Operation, bool) {
	for _, o := range Operations {
		if o.Request == element || o.Response == element {
			return o, true
		}
	}
	return Operation{}, false
}

// DecodeError says why a body could not be read. Element is the root
// element of the message when the decoder got that far, so that the
// answer can still be the operation's own KO response.
type DecodeError struct {
	Element string
	Err     error
}

// Error says what could not be read, and in which message.
func (e *DecodeError) Error() string {
	if e.Element != "" {
		return "soap: " + e.Element + ": " + e.Err.Error()
	}
	return "soap: " + e.Err.Error()
}

// Unwrap returns the cause, e.g. ErrTooLarge.
func (e *DecodeError) Unwrap() error { return e.Err }

// ErrTooLarge is the cause of a DecodeError for a body over MaxBody.
var ErrTooLarge = errors.New("body over the size bound")

// Decode reads a SOAP 1.1 envelope holding exactly one paForNode message
// and returns it. It is strict where the node never varies (the envelope
// and the message's namespace, one message, nothing after it, no DTD,
// UTF-8 only) and bounded (MaxBody). Element content is checked by the
// operations, which know what each field must hold.
func Decode(body []byte) (Message, error) {
	if len(body) > MaxBody {
		// Still say which message it was, if its start is readable within
		// the bound, so that the answer is that operation's KO.
		return nil, &DecodeError{Element: peekElement(body[:MaxBody]), Err: ErrTooLarge}
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	// CharsetReader stays nil: any declared encoding but UTF-8 is refused.
	start, err := nextStart(d)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	if start.Name != (xml.Name{Space: EnvelopeNamespace, Local: "Envelope"}) {
		return nil, &DecodeError{Err: fmt.Errorf("root is %s, not a SOAP 1.1 Envelope", name(start.Name))}
	}
	start, err = nextStart(d)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	if start.Name == (xml.Name{Space: EnvelopeNamespace, Local: "Header"}) {
		if err := d.Skip(); err != nil {
			return nil, &DecodeError{Err: err}
		}
		if start, err = nextStart(d); err != nil {
			return nil, &DecodeError{Err: err}
		}
	}
	if start.Name != (xml.Name{Space: EnvelopeNamespace, Local: "Body"}) {
		return nil, &DecodeError{Err: fmt.Errorf("expected the SOAP Body, found %s", name(start.Name))}
	}
	start, err = nextStart(d)
	if err != nil {
		return nil, &DecodeError{Err: fmt.Errorf("empty SOAP Body: %v", err)}
	}
	m := newMessage(start.Name.Local)
	if m == nil {
		return nil, &DecodeError{Err: fmt.Errorf("unknown message %s", name(start.Name))}
	}
	if start.Name.Space != Namespace {
		return nil, &DecodeError{Element: start.Name.Local, Err: fmt.Errorf("message namespace %q is not %s", truncate(start.Name.Space, 80), Namespace)}
	}
	if err := d.DecodeElement(m, &start); err != nil {
		return nil, &DecodeError{Element: start.Name.Local, Err: err}
	}
	// After the message: the end of Body and Envelope, then nothing.
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, &DecodeError{Element: start.Name.Local, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return nil, &DecodeError{Element: start.Name.Local, Err: fmt.Errorf("a second element %s after the message", name(t.Name))}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, &DecodeError{Element: start.Name.Local, Err: errors.New("text after the message")}
			}
		case xml.Directive:
			return nil, &DecodeError{Element: start.Name.Local, Err: errors.New("DTDs are not accepted")}
		}
	}
}

// peekElement returns the local name of the message element when the
// envelope's start is well formed up to it and it is a paForNode message
// in its namespace, else "".
func peekElement(prefix []byte) string {
	d := xml.NewDecoder(bytes.NewReader(prefix))
	d.Strict = true
	st, err := nextStart(d)
	if err != nil || st.Name != (xml.Name{Space: EnvelopeNamespace, Local: "Envelope"}) {
		return ""
	}
	if st, err = nextStart(d); err == nil && st.Name == (xml.Name{Space: EnvelopeNamespace, Local: "Header"}) {
		if d.Skip() != nil {
			return ""
		}
		st, err = nextStart(d)
	}
	if err != nil || st.Name != (xml.Name{Space: EnvelopeNamespace, Local: "Body"}) {
		return ""
	}
	if st, err = nextStart(d); err != nil || st.Name.Space != Namespace || newMessage(st.Name.Local) == nil {
		return ""
	}
	return st.Name.Local
}

// nextStart returns the next start element, skipping whitespace, comments
// and processing instructions; text or a DTD before it is an error.
func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("unexpected end of %s", name(t.Name))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("unexpected text")
			}
		case xml.Directive:
			return xml.StartElement{}, errors.New("DTDs are not accepted")
		}
	}
}

func name(n xml.Name) string {
	if n.Space == "" {
		return truncate(n.Local, 80)
	}
	return "{" + truncate(n.Space, 80) + "}" + truncate(n.Local, 80)
}

// outEnvelope is what Encode writes: the message under a pafn prefix so
// that its children, written without prefix, are in no namespace.
type outEnvelope struct {
	XMLName xml.Name `xml:"soapenv:Envelope"`
	Soapenv string   `xml:"xmlns:soapenv,attr"`
	Pafn    string   `xml:"xmlns:pafn,attr"`
	Body    outBody  `xml:"soapenv:Body"`
}

type outBody struct {
	Message any
	Fault   *soapFault `xml:"soapenv:Fault,omitempty"`
}

// soapFault is a SOAP 1.1 Fault, used only for a body that names no
// operation at all (there is no response element to put a KO in).
type soapFault struct {
	Code   string       `xml:"faultcode"`
	String string       `xml:"faultstring"`
	Detail *CtFaultBean `xml:"detail>fault,omitempty"`
}

// Encode writes m as a SOAP 1.1 envelope, with an XML declaration.
func Encode(m Message) ([]byte, error) {
	v := reflect.ValueOf(m)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, errors.New("soap: Encode needs a non-nil message pointer")
	}
	v.Elem().FieldByName("XMLName").Set(reflect.ValueOf(xml.Name{Local: "pafn:" + m.Element()}))
	return encodeEnvelope(outBody{Message: m})
}

// EncodeFault writes a SOAP 1.1 Client fault carrying a pagoPA fault bean
// in its detail, for a request whose operation cannot be told.
func EncodeFault(f *Fault, id string) []byte {
	b, err := encodeEnvelope(outBody{Fault: &soapFault{Code: "soapenv:Client", String: f.Code, Detail: f.bean(id)}})
	if err != nil { // cannot happen: every field is a plain string
		panic(err)
	}
	return b
}

func encodeEnvelope(body outBody) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(outEnvelope{Soapenv: EnvelopeNamespace, Pafn: Namespace, Body: body}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SOAPAction returns the operation named by a SOAPAction header value,
// which SOAP 1.1 quotes ("paVerifyPaymentNotice") and some clients send
// bare or as a URI ending in the name; "" when the header is absent.
func SOAPAction(header string) string {
	a := strings.TrimSpace(header)
	a = strings.Trim(a, `"`)
	if i := strings.LastIndexAny(a, "/#"); i >= 0 {
		a = a[i+1:]
	}
	return a
}
