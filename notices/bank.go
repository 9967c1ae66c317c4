package notices

import (
	"fmt"
	"strings"
)

// BankStatement is the creditor's account statement for a period, as the
// bank exports it (ISO 20022 camt.053). Only credits matter to
// reconciliation, but debits are kept so that the entries add up.
type BankStatement struct {
	// ID is the statement's identification (Stmt/Id): importing the same
	// statement twice is refused.
	ID      string      `json:"id"`
	IBAN    string      `json:"iban"`
	Entries []BankEntry `json:"entries"`
}

// BankEntry is one booked entry (Ntry) of a statement, with the
// references a settlement flow may be found by.
type BankEntry struct {
	Statement   string `json:"statement"`
	Ref         string `json:"ref"` // AcctSvcrRef or NtryRef: unique within the statement
	BookingDate Date   `json:"bookingDate"`
	AmountCents int64  `json:"amountCents"`
	Credit      bool   `json:"credit"`
	// References are the transaction's identifiers (EndToEndId, TxId,
	// InstrId, AcctSvcrRef): a PSP puts the flow's
	// identificativoUnivocoRegolamento in one of them.
	References []string `json:"references,omitempty"`
	// Remittance is the unstructured remittance information, where
	// pagoPA's convention writes "/PUR/LGPE-RIVERSAMENTO/URI/<flow id>".
	Remittance string `json:"remittance,omitempty"`
	Debtor     string `json:"debtor,omitempty"`
}

// Validate checks a decoded statement: an id, entries with a booking day,
// a positive amount and a reference unique within the statement.
func (st *BankStatement) Validate() error {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
		}
	}
	if !isText35(st.ID) {
		add("Stmt/Id", "1 to 35 printable characters")
	}
	if len(st.Entries) == 0 {
		add("Ntry", "a statement to reconcile has at least one entry")
	}
	if len(st.Entries) > MaxFlowLines {
		add("Ntry", "at most %d entries", MaxFlowLines)
	}
	seen := make(map[string]bool, len(st.Entries))
	for i, e := range st.Entries {
		at := fmt.Sprintf("Ntry[%d].", i+1)
		if e.Ref == "" || len(e.Ref) > 64 {
			add(at+"AcctSvcrRef", "an entry reference of 1 to 64 characters is required")
		} else if seen[e.Ref] {
			add(at+"AcctSvcrRef", "%s appears twice in the statement", e.Ref)
		}
		seen[e.Ref] = true
		if e.BookingDate.IsZero() {
			add(at+"BookgDt", "required")
		}
		if e.AmountCents < 1 || e.AmountCents > maxLineCents*100 {
			add(at+"Amt", "a positive amount in euro")
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// settles reports whether a credit entry is the bank transfer of flow f:
// one of its references is the flow's regulation id, or its remittance
// names the regulation id or the flow ("/URI/<id>").
func (e *BankEntry) settles(f *SettlementFlow) bool {
	for _, r := range e.References {
		if r == f.RegulationID {
			return true
		}
	}
	return e.Remittance != "" && (strings.Contains(e.Remittance, f.RegulationID) ||
		strings.Contains(e.Remittance, "/URI/"+f.ID))
}
