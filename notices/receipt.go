package notices

import "time"

// Creditor is the public body that collects the fine (ente creditore).
type Creditor struct {
	FiscalCode string `json:"fiscalCode"`
	Name       string `json:"name"`
}

// PSPRef identifies a payment at the payment service provider.
type PSPRef struct {
	Name          string `json:"name"`
	TransactionID string `json:"transactionId"`
}

// CardMethod is what a receipt may show of the card: never its number.
type CardMethod struct {
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// Receipt proves a payment (the pagoPA RT). It is written in the same
// transaction that marks the fine paid, and never changes afterwards.
type Receipt struct {
	ID            string     `json:"receiptId"`
	NAV           NAV        `json:"noticeNumber"`
	FineID        string     `json:"fineId"`
	ReportNumber  string     `json:"reportNumber"`
	Creditor      Creditor   `json:"creditor"`
	AmountCents   int64      `json:"amountCents"`
	SanctionCents int64      `json:"sanctionCents"`
	FeesCents     int64      `json:"feesCents"`
	Stage         Stage      `json:"stage"`
	PaidAt        time.Time  `json:"paidAt"`
	PSP           PSPRef     `json:"psp"`
	Method        CardMethod `json:"method"`
	Email         string     `json:"email,omitempty"`
}

// Idempotent is a stored answer to a request that carried an
// Idempotency-Key: a retry with the same key and body gets the same answer,
// a retry with another body gets idempotency_conflict.
type Idempotent struct {
	Scope       string `json:"scope"` // e.g. "payment:<nav>" or "fine:<officer>"
	Key         string `json:"key"`
	RequestHash string `json:"requestHash"`
	Status      int    `json:"status"`
	Body        []byte `json:"body,omitempty"`
	// ResourceID names what the first request created (a fine id), for
	// answers rebuilt from current state rather than stored whole.
	ResourceID string    `json:"resourceId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}
