package pagopa

import "encoding/xml"

// Namespace is the target namespace of paForNode.xsd; it qualifies the
// root element of every message and nothing below it.
const Namespace = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"

// Message is one of the root elements of paForNode.xsd. Each type carries
// an untagged XMLName field so that the codec can write it with the pafn
// prefix (children stay unqualified, which a default namespace would not
// allow) and read it in whatever prefix the sender chose.
type Message interface {
	// Element is the local name of the message's root element.
	Element() string
}

// CtFaultBean is common:ctFaultBean, the reason of a KO.
type CtFaultBean struct {
	FaultCode   string `xml:"faultCode"`
	FaultString string `xml:"faultString"`
	ID          string `xml:"id"`
	Description string `xml:"description,omitempty"`
}

// CtResponse is common:ctResponse, the base of every answer.
type CtResponse struct {
	Outcome string       `xml:"outcome"`
	Fault   *CtFaultBean `xml:"fault,omitempty"`
}

// Outcomes of a ctResponse and of a receipt (common:stOutcome).
const (
	OutcomeOK = "OK"
	OutcomeKO = "KO"
)

// CtQrCode is ctQrCode: the creditor and the notice number.
type CtQrCode struct {
	FiscalCode   string `xml:"fiscalCode"`
	NoticeNumber string `xml:"noticeNumber"`
}

// CtEntityUniqueIdentifier is ctEntityUniqueIdentifier: F (person) or G
// (legal entity) and a fiscal code.
type CtEntityUniqueIdentifier struct {
	EntityUniqueIdentifierType  string `xml:"entityUniqueIdentifierType"`
	EntityUniqueIdentifierValue string `xml:"entityUniqueIdentifierValue"`
}

// CtSubject is ctSubject: a debtor or a payer.
type CtSubject struct {
	UniqueIdentifier    CtEntityUniqueIdentifier `xml:"uniqueIdentifier"`
	FullName            string                   `xml:"fullName"`
	StreetName          string                   `xml:"streetName,omitempty"`
	CivicNumber         string                   `xml:"civicNumber,omitempty"`
	PostalCode          string                   `xml:"postalCode,omitempty"`
	City                string                   `xml:"city,omitempty"`
	StateProvinceRegion string                   `xml:"stateProvinceRegion,omitempty"`
	Country             string                   `xml:"country,omitempty"`
	EMail               string                   `xml:"e-mail,omitempty"`
}

// CtMapEntry is common:ctMapEntry.
type CtMapEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// CtMetadata is common:ctMetadata, 1 to 15 key/value pairs.
type CtMetadata struct {
	MapEntry []CtMapEntry `xml:"mapEntry"`
}

// PaVerifyPaymentNoticeReq is the node asking what a notice costs today.
type PaVerifyPaymentNoticeReq struct {
	XMLName    xml.Name
	IDPA       string   `xml:"idPA"`
	IDBrokerPA string   `xml:"idBrokerPA"`
	IDStation  string   `xml:"idStation"`
	QrCode     CtQrCode `xml:"qrCode"`
}

// CtPaymentOptionDescriptionPA is one payable option in a verify answer.
type CtPaymentOptionDescriptionPA struct {
	Amount            string `xml:"amount"`
	Options           string `xml:"options"`
	DueDate           string `xml:"dueDate,omitempty"`
	DetailDescription string `xml:"detailDescription,omitempty"`
	AllCCP            bool   `xml:"allCCP"`
}

// CtPaymentOptionsDescriptionListPA holds the (single) option.
type CtPaymentOptionsDescriptionListPA struct {
	PaymentOptionDescription CtPaymentOptionDescriptionPA `xml:"paymentOptionDescription"`
}

// PaVerifyPaymentNoticeRes answers a verify.
type PaVerifyPaymentNoticeRes struct {
	XMLName xml.Name
	CtResponse
	PaymentList        *CtPaymentOptionsDescriptionListPA `xml:"paymentList,omitempty"`
	PaymentDescription string                             `xml:"paymentDescription,omitempty"`
	FiscalCodePA       string                             `xml:"fiscalCodePA,omitempty"`
	CompanyName        string                             `xml:"companyName,omitempty"`
	OfficeName         string                             `xml:"officeName,omitempty"`
}

// PaGetPaymentReq is the V1 activation: the node takes a payment token.
type PaGetPaymentReq struct {
	XMLName      xml.Name
	IDPA         string   `xml:"idPA"`
	IDBrokerPA   string   `xml:"idBrokerPA"`
	IDStation    string   `xml:"idStation"`
	QrCode       CtQrCode `xml:"qrCode"`
	Amount       string   `xml:"amount,omitempty"`
	PaymentNote  string   `xml:"paymentNote,omitempty"`
	TransferType string   `xml:"transferType,omitempty"`
	DueDate      string   `xml:"dueDate,omitempty"`
}

// PaGetPaymentV2Request is the V2 activation; same fields as V1.
type PaGetPaymentV2Request struct {
	XMLName      xml.Name
	IDPA         string   `xml:"idPA"`
	IDBrokerPA   string   `xml:"idBrokerPA"`
	IDStation    string   `xml:"idStation"`
	QrCode       CtQrCode `xml:"qrCode"`
	Amount       string   `xml:"amount,omitempty"`
	PaymentNote  string   `xml:"paymentNote,omitempty"`
	TransferType string   `xml:"transferType,omitempty"`
	DueDate      string   `xml:"dueDate,omitempty"`
}

// CtTransferPA is a V1 transfer: who gets how much on which IBAN.
type CtTransferPA struct {
	IDTransfer            int    `xml:"idTransfer"`
	TransferAmount        string `xml:"transferAmount"`
	FiscalCodePA          string `xml:"fiscalCodePA"`
	IBAN                  string `xml:"IBAN"`
	RemittanceInformation string `xml:"remittanceInformation"`
	TransferCategory      string `xml:"transferCategory"`
}

// CtTransferListPA is 1 to 5 V1 transfers.
type CtTransferListPA struct {
	Transfer []CtTransferPA `xml:"transfer"`
}

// CtPaymentPA is the V1 debt position of an activation.
type CtPaymentPA struct {
	CreditorReferenceID string           `xml:"creditorReferenceId"`
	PaymentAmount       string           `xml:"paymentAmount"`
	DueDate             string           `xml:"dueDate"`
	Description         string           `xml:"description"`
	CompanyName         string           `xml:"companyName,omitempty"`
	Debtor              CtSubject        `xml:"debtor"`
	TransferList        CtTransferListPA `xml:"transferList"`
}

// PaGetPaymentRes answers a V1 activation.
type PaGetPaymentRes struct {
	XMLName xml.Name
	CtResponse
	Data *CtPaymentPA `xml:"data,omitempty"`
}

// CtTransferPAV2 is a V2 transfer (IBAN branch of the choice; Multa never
// asks for a marca da bollo).
type CtTransferPAV2 struct {
	IDTransfer            int    `xml:"idTransfer"`
	TransferAmount        string `xml:"transferAmount"`
	FiscalCodePA          string `xml:"fiscalCodePA"`
	CompanyName           string `xml:"companyName,omitempty"`
	IBAN                  string `xml:"IBAN"`
	RemittanceInformation string `xml:"remittanceInformation"`
	TransferCategory      string `xml:"transferCategory"`
}

// CtTransferListPAV2 is 1 to 5 V2 transfers.
type CtTransferListPAV2 struct {
	Transfer []CtTransferPAV2 `xml:"transfer"`
}

// CtPaymentPAV2 is the V2 debt position of an activation.
type CtPaymentPAV2 struct {
	CreditorReferenceID string             `xml:"creditorReferenceId"`
	PaymentAmount       string             `xml:"paymentAmount"`
	DueDate             string             `xml:"dueDate"`
	Description         string             `xml:"description"`
	CompanyName         string             `xml:"companyName"`
	Debtor              CtSubject          `xml:"debtor"`
	TransferList        CtTransferListPAV2 `xml:"transferList"`
}

// PaGetPaymentV2Response answers a V2 activation.
type PaGetPaymentV2Response struct {
	XMLName xml.Name
	CtResponse
	Data *CtPaymentPAV2 `xml:"data,omitempty"`
}

// CtTransferPAReceipt is a transfer as a receipt reports it: V1 has the
// IBAN; V2 has the IBAN or a marca da bollo attachment (MBDAttachment).
type CtTransferPAReceipt struct {
	IDTransfer            int         `xml:"idTransfer"`
	TransferAmount        string      `xml:"transferAmount"`
	FiscalCodePA          string      `xml:"fiscalCodePA"`
	CompanyName           string      `xml:"companyName,omitempty"`
	IBAN                  string      `xml:"IBAN,omitempty"`
	MBDAttachment         string      `xml:"MBDAttachment,omitempty"`
	RemittanceInformation string      `xml:"remittanceInformation"`
	TransferCategory      string      `xml:"transferCategory"`
	Metadata              *CtMetadata `xml:"metadata,omitempty"`
}

// CtTransferListPAReceipt is the transfer list of a receipt, 1 to 5.
type CtTransferListPAReceipt struct {
	Transfer []CtTransferPAReceipt `xml:"transfer"`
}

// CtReceipt is ctReceipt and ctReceiptV2 in one: V2 adds paymentNote,
// primaryCiIncurredFee, idBundle and idCiBundle, all optional, so one
// type reads both and the encoder writes only what a version has.
type CtReceipt struct {
	ReceiptID            string                  `xml:"receiptId"`
	NoticeNumber         string                  `xml:"noticeNumber"`
	FiscalCode           string                  `xml:"fiscalCode"`
	Outcome              string                  `xml:"outcome"`
	CreditorReferenceID  string                  `xml:"creditorReferenceId"`
	PaymentAmount        string                  `xml:"paymentAmount"`
	Description          string                  `xml:"description"`
	CompanyName          string                  `xml:"companyName"`
	OfficeName           string                  `xml:"officeName,omitempty"`
	Debtor               CtSubject               `xml:"debtor"`
	TransferList         CtTransferListPAReceipt `xml:"transferList"`
	IDPSP                string                  `xml:"idPSP"`
	PSPFiscalCode        string                  `xml:"pspFiscalCode,omitempty"`
	PSPPartitaIVA        string                  `xml:"pspPartitaIVA,omitempty"`
	PSPCompanyName       string                  `xml:"PSPCompanyName"`
	IDChannel            string                  `xml:"idChannel"`
	ChannelDescription   string                  `xml:"channelDescription"`
	Payer                *CtSubject              `xml:"payer,omitempty"`
	PaymentMethod        string                  `xml:"paymentMethod,omitempty"`
	PaymentNote          string                  `xml:"paymentNote,omitempty"`
	Fee                  string                  `xml:"fee,omitempty"`
	PrimaryCiIncurredFee string                  `xml:"primaryCiIncurredFee,omitempty"`
	IDBundle             string                  `xml:"idBundle,omitempty"`
	IDCiBundle           string                  `xml:"idCiBundle,omitempty"`
	PaymentDateTime      string                  `xml:"paymentDateTime,omitempty"`
	ApplicationDate      string                  `xml:"applicationDate,omitempty"`
	TransferDate         string                  `xml:"transferDate,omitempty"`
	Metadata             *CtMetadata             `xml:"metadata,omitempty"`
	StandIn              *bool                   `xml:"standIn,omitempty"`
}

// PaSendRTReq delivers a V1 receipt.
type PaSendRTReq struct {
	XMLName    xml.Name
	IDPA       string    `xml:"idPA"`
	IDBrokerPA string    `xml:"idBrokerPA"`
	IDStation  string    `xml:"idStation"`
	Receipt    CtReceipt `xml:"receipt"`
}

// PaSendRTRes acknowledges a V1 receipt.
type PaSendRTRes struct {
	XMLName xml.Name
	CtResponse
}

// PaSendRTV2Request delivers a V2 receipt.
type PaSendRTV2Request struct {
	XMLName    xml.Name
	IDPA       string    `xml:"idPA"`
	IDBrokerPA string    `xml:"idBrokerPA"`
	IDStation  string    `xml:"idStation"`
	Receipt    CtReceipt `xml:"receipt"`
}

// PaSendRTV2Response acknowledges a V2 receipt.
type PaSendRTV2Response struct {
	XMLName xml.Name
	CtResponse
}

// PaDemandPaymentNoticeRequest asks the creditor to create a notice for a
// spontaneous payment; Multa issues fines itself, so it refuses these.
type PaDemandPaymentNoticeRequest struct {
	XMLName    xml.Name
	IDPA       string `xml:"idPA"`
	IDBrokerPA string `xml:"idBrokerPA"`
	IDStation  string `xml:"idStation"`
}

// PaDemandPaymentNoticeResponse answers paDemandPaymentNotice (always KO).
type PaDemandPaymentNoticeResponse struct {
	XMLName xml.Name
	CtResponse
}

// The element names of the messages, as in the schema.

// Element is paVerifyPaymentNoticeReq.
func (*PaVerifyPaymentNoticeReq) Element() string { return "paVerifyPaymentNoticeReq" }

// Element is paVerifyPaymentNoticeRes.
func (*PaVerifyPaymentNoticeRes) Element() string { return "paVerifyPaymentNoticeRes" }

// Element is paGetPaymentReq.
func (*PaGetPaymentReq) Element() string { return "paGetPaymentReq" }

// Element is paGetPaymentRes.
func (*PaGetPaymentRes) Element() string { return "paGetPaymentRes" }

// Element is paGetPaymentV2Request.
func (*PaGetPaymentV2Request) Element() string { return "paGetPaymentV2Request" }

// Element is paGetPaymentV2Response.
func (*PaGetPaymentV2Response) Element() string { return "paGetPaymentV2Response" }

// Element is paSendRTReq.
func (*PaSendRTReq) Element() string { return "paSendRTReq" }

// Element is paSendRTRes.
func (*PaSendRTRes) Element() string { return "paSendRTRes" }

// Element is paSendRTV2Request.
func (*PaSendRTV2Request) Element() string { return "paSendRTV2Request" }

// Element is paSendRTV2Response.
func (*PaSendRTV2Response) Element() string { return "paSendRTV2Response" }

// Element is paDemandPaymentNoticeRequest.
func (*PaDemandPaymentNoticeRequest) Element() string { return "paDemandPaymentNoticeRequest" }

// Element is paDemandPaymentNoticeResponse.
func (*PaDemandPaymentNoticeResponse) Element() string { return "paDemandPaymentNoticeResponse" }
