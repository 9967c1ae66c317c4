package notices_test

import (
	"testing"

	"github.com/multa/multa/notices"
)

func TestReceiptPublicHidesThePayer(t *testing.T) {
	r := notices.Receipt{ID: "r1", AmountCents: 2940, Email: "m.rossi@example.it",
		PagoPA: &notices.PagoPAReceipt{ReceiptID: "rt", PSPCompanyName: "Intesa Sanpaolo",
			Debtor: notices.PagoPASubject{EntityType: "F", UniqueID: "RSSMRA80A01F205X", FullName: "Mario Rossi"}}}
	p := r.Public()
	if p.Email != "" || p.PagoPA.Debtor.UniqueID != "" || p.PagoPA.Debtor.FullName != "" || p.PagoPA.Debtor.EntityType != "F" {
		t.Errorf("public view shows the payer: %+v %+v", p, p.PagoPA.Debtor)
	}
	if p.AmountCents != 2940 || p.PagoPA.PSPCompanyName != "Intesa Sanpaolo" {
		t.Errorf("public view lost the payment: %+v", p)
	}
	if r.PagoPA.Debtor.FullName != "Mario Rossi" || r.Email == "" {
		t.Error("Public changed the stored receipt")
	}
}
