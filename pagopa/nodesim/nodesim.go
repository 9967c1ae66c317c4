// Package nodesim plays the pagoPA node against a creditor's station, for
// tests, demos and load: verify → activate → receipt with random PSPs and
// channels, second payments of one notice from two PSPs, receipts sent
// twice, and the faults a station must answer. It speaks the same SOAP as
// the node, through the pagopa package's codec, over any *http.Client.
package nodesim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
)

// Config says where the station is and who the node calls it as.
type Config struct {
	// URL is the station endpoint, e.g. http://localhost:8080/pagopa/v1/paForNode.
	URL string
	// Client makes the calls; nil is a client with a 10 s timeout.
	Client *http.Client
	// IDPA, BrokerID and StationID are what the station expects.
	IDPA, BrokerID, StationID string
	// KeyHeader and Key, when set, are sent with every call (the shared
	// key a station behind a gateway may require).
	KeyHeader, Key string
	// Seed makes the choice of PSPs, channels and fees repeatable.
	Seed uint64
	// Now is the node's clock, for payment dates; nil is time.Now.
	Now func() time.Time
}

// PSP is a payment service provider and one of its channels, as a receipt
// names them. The list below is simulated: codes shaped like the real ones.
type PSP struct {
	ID, FiscalCode, CompanyName, Channel, ChannelDescription, Method string
}

// PSPs are the simulated providers: a bank's home banking, the post
// office, a tabaccheria network, the IO app's card checkout and an ATM.
var PSPs = []PSP{
	{"BCITITMM", "00799960158", "Intesa Sanpaolo S.p.A.", "00799960158_01", "Home banking", "BBT"},
	{"BPPIITRRXXX", "97103880585", "Poste Italiane S.p.A.", "97103880585_03", "Ufficio postale", "PO"},
	{"MOONITMMXXX", "05452460960", "Mooney S.p.A.", "05452460960_02", "Punto vendita tabaccheria", "PO"},
	{"CIPBITMM", "00410080584", "Nexi Payments S.p.A.", "00410080584_07", "App IO - carta", "CP"},
	{"UNCRITMM", "00348170101", "UniCredit S.p.A.", "00348170101_05", "ATM", "PO"},
}

// Node is one simulated node; safe for concurrent use.
type Node struct {
	cfg Config
	mu  sync.Mutex
	rng *mrand.Rand
}

// New returns a Node for cfg.
func New(cfg Config) *Node {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Node{cfg: cfg, rng: mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
}

// Exchange is one call: what was sent, what came back raw (for schema
// validation) and decoded.
type Exchange struct {
	Action   string
	Request  []byte
	Status   int
	Raw      []byte
	Response pagopa.Message
}

// Outcome returns the response's outcome and fault code ("" when OK).
func (e *Exchange) Outcome() (outcome, faultCode string) {
	if e.Response == nil {
		return "", ""
	}
	r := responseOf(e.Response)
	if r == nil {
		return "", ""
	}
	if r.Fault != nil {
		return r.Outcome, r.Fault.FaultCode
	}
	return r.Outcome, ""
}

func responseOf(m pagopa.Message) *pagopa.CtResponse {
	switch r := m.(type) {
	case *pagopa.PaVerifyPaymentNoticeRes:
		return &r.CtResponse
	case *pagopa.PaGetPaymentRes:
		return &r.CtResponse
	case *pagopa.PaGetPaymentV2Response:
		return &r.CtResponse
	case *pagopa.PaSendRTRes:
		return &r.CtResponse
	case *pagopa.PaSendRTV2Response:
		return &r.CtResponse
	case *pagopa.PaDemandPaymentNoticeResponse:
		return &r.CtResponse
	}
	return nil
}

// Call sends m with the SOAPAction of its operation and decodes the answer.
func (n *Node) Call(ctx context.Context, m pagopa.Message) (*Exchange, error) {
	body, err := pagopa.Encode(m)
	if err != nil {
		return nil, err
	}
	action := ""
	for _, o := range pagopa.Operations {
		if o.Request == m.Element() {
			action = o.Name
		}
	}
	return n.Post(ctx, action, body)
}

// Post sends a raw body with a SOAPAction (none when action is ""), for
// malformed requests; the answer is decoded when it is a message.
func (n *Node) Post(ctx context.Context, action string, body []byte) (*Exchange, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if action != "" {
		req.Header.Set("SOAPAction", `"`+action+`"`)
	}
	if n.cfg.KeyHeader != "" && n.cfg.Key != "" {
		req.Header.Set(n.cfg.KeyHeader, n.cfg.Key)
	}
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, pagopa.MaxBody))
	if err != nil {
		return nil, err
	}
	x := &Exchange{Action: action, Request: body, Status: resp.StatusCode, Raw: raw}
	if m, err := pagopa.Decode(raw); err == nil {
		x.Response = m
	}
	return x, nil
}

func (n *Node) qr(nav string) pagopa.CtQrCode {
	return pagopa.CtQrCode{FiscalCode: n.cfg.IDPA, NoticeNumber: nav}
}

// Verify asks what nav costs today.
func (n *Node) Verify(ctx context.Context, nav string) (*Exchange, error) {
	return n.Call(ctx, &pagopa.PaVerifyPaymentNoticeReq{IDPA: n.cfg.IDPA, IDBrokerPA: n.cfg.BrokerID, IDStation: n.cfg.StationID, QrCode: n.qr(nav)})
}

// Activate takes a payment token for nav with the amount verified ("" for
// none), in V2 (paGetPaymentV2) or V1 (paGetPayment).
func (n *Node) Activate(ctx context.Context, nav, amount string, v2 bool) (*Exchange, error) {
	if v2 {
		return n.Call(ctx, &pagopa.PaGetPaymentV2Request{IDPA: n.cfg.IDPA, IDBrokerPA: n.cfg.BrokerID, IDStation: n.cfg.StationID, QrCode: n.qr(nav), Amount: amount})
	}
	return n.Call(ctx, &pagopa.PaGetPaymentReq{IDPA: n.cfg.IDPA, IDBrokerPA: n.cfg.BrokerID, IDStation: n.cfg.StationID, QrCode: n.qr(nav), Amount: amount})
}

// Payment is what an activation answered, enough to write its receipt.
type Payment struct {
	NAV                 string
	CreditorReferenceID string
	Amount              string
	Description         string
	CompanyName         string
	Debtor              pagopa.CtSubject
	Transfers           []pagopa.CtTransferPAReceipt
	V2                  bool
}

// PaymentOf reads an OK activation answer.
func PaymentOf(nav string, x *Exchange) (Payment, error) {
	switch r := x.Response.(type) {
	case *pagopa.PaGetPaymentV2Response:
		if r.Outcome != pagopa.OutcomeOK || r.Data == nil {
			return Payment{}, fmt.Errorf("activation of %s: %s", nav, faultText(&r.CtResponse))
		}
		p := Payment{NAV: nav, CreditorReferenceID: r.Data.CreditorReferenceID, Amount: r.Data.PaymentAmount,
			Description: r.Data.Description, CompanyName: r.Data.CompanyName, Debtor: r.Data.Debtor, V2: true}
		for _, t := range r.Data.TransferList.Transfer {
			p.Transfers = append(p.Transfers, pagopa.CtTransferPAReceipt{IDTransfer: t.IDTransfer, TransferAmount: t.TransferAmount,
				FiscalCodePA: t.FiscalCodePA, CompanyName: t.CompanyName, IBAN: t.IBAN, RemittanceInformation: t.RemittanceInformation, TransferCategory: t.TransferCategory})
		}
		return p, nil
	case *pagopa.PaGetPaymentRes:
		if r.Outcome != pagopa.OutcomeOK || r.Data == nil {
			return Payment{}, fmt.Errorf("activation of %s: %s", nav, faultText(&r.CtResponse))
		}
		p := Payment{NAV: nav, CreditorReferenceID: r.Data.CreditorReferenceID, Amount: r.Data.PaymentAmount,
			Description: r.Data.Description, CompanyName: r.Data.CompanyName, Debtor: r.Data.Debtor}
		if p.CompanyName == "" {
			p.CompanyName = "-"
		}
		for _, t := range r.Data.TransferList.Transfer {
			p.Transfers = append(p.Transfers, pagopa.CtTransferPAReceipt{IDTransfer: t.IDTransfer, TransferAmount: t.TransferAmount,
				FiscalCodePA: t.FiscalCodePA, IBAN: t.IBAN, RemittanceInformation: t.RemittanceInformation, TransferCategory: t.TransferCategory})
		}
		return p, nil
	}
	return Payment{}, fmt.Errorf("activation of %s: HTTP %d, no activation answer", nav, x.Status)
}

func faultText(r *pagopa.CtResponse) string {
	if r.Fault == nil {
		return r.Outcome
	}
	return r.Outcome + " " + r.Fault.FaultCode + ": " + r.Fault.Description
}

// PickPSP chooses a provider and channel at random.
func (n *Node) PickPSP() PSP {
	n.mu.Lock()
	defer n.mu.Unlock()
	return PSPs[n.rng.IntN(len(PSPs))]
}

// fee is what the PSP charged the payer, 0.50 to 2.50 euro.
func (n *Node) fee() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return 50 + int64(n.rng.IntN(201))
}

// Receipt writes the receipt the node sends after p was paid at psp now:
// a new receiptId (the node's payment token) every time.
func (n *Node) Receipt(p Payment, psp PSP) pagopa.CtReceipt {
	var id [16]byte
	rand.Read(id[:])
	now := n.cfg.Now().In(notices.Rome)
	today := notices.DateOf(now)
	return pagopa.CtReceipt{
		ReceiptID: hex.EncodeToString(id[:]), NoticeNumber: p.NAV, FiscalCode: n.cfg.IDPA, Outcome: pagopa.OutcomeOK,
		CreditorReferenceID: p.CreditorReferenceID, PaymentAmount: p.Amount, Description: p.Description,
		CompanyName: p.CompanyName, Debtor: p.Debtor, TransferList: pagopa.CtTransferListPAReceipt{Transfer: p.Transfers},
		IDPSP: psp.ID, PSPFiscalCode: psp.FiscalCode, PSPCompanyName: psp.CompanyName,
		IDChannel: psp.Channel, ChannelDescription: psp.ChannelDescription, PaymentMethod: psp.Method,
		Fee: pagopa.FormatAmount(n.fee()), PaymentDateTime: now.Format("2006-01-02T15:04:05"),
		ApplicationDate: today.String(), TransferDate: today.AddDays(1).String(),
	}
}

// SendReceipt delivers a receipt with paSendRTV2 or paSendRT. A V1
// receipt cannot carry a transfer's companyName; it is dropped.
func (n *Node) SendReceipt(ctx context.Context, r pagopa.CtReceipt, v2 bool) (*Exchange, error) {
	if v2 {
		return n.Call(ctx, &pagopa.PaSendRTV2Request{IDPA: n.cfg.IDPA, IDBrokerPA: n.cfg.BrokerID, IDStation: n.cfg.StationID, Receipt: r})
	}
	ts := make([]pagopa.CtTransferPAReceipt, len(r.TransferList.Transfer))
	for i, t := range r.TransferList.Transfer {
		t.CompanyName = ""
		ts[i] = t
	}
	r.TransferList.Transfer = ts
	return n.Call(ctx, &pagopa.PaSendRTReq{IDPA: n.cfg.IDPA, IDBrokerPA: n.cfg.BrokerID, IDStation: n.cfg.StationID, Receipt: r})
}

// Pay plays one whole payment of nav at a random PSP: verify, activate
// with the verified amount, receipt. It returns every exchange in order;
// it stops at the first KO, which is then the last exchange.
func (n *Node) Pay(ctx context.Context, nav string, v2 bool) ([]*Exchange, error) {
	var xs []*Exchange
	x, err := n.Verify(ctx, nav)
	if err != nil {
		return xs, err
	}
	xs = append(xs, x)
	v, ok := x.Response.(*pagopa.PaVerifyPaymentNoticeRes)
	if !ok || v.Outcome != pagopa.OutcomeOK || v.PaymentList == nil {
		return xs, nil
	}
	x, err = n.Activate(ctx, nav, v.PaymentList.PaymentOptionDescription.Amount, v2)
	if err != nil {
		return xs, err
	}
	xs = append(xs, x)
	p, err := PaymentOf(nav, x)
	if err != nil {
		return xs, nil
	}
	x, err = n.SendReceipt(ctx, n.Receipt(p, n.PickPSP()), v2)
	if err != nil {
		return xs, err
	}
	return append(xs, x), nil
}
