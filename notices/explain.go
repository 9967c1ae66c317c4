package notices

import (
	"fmt"
	"strconv"
	"strings"
)

// explain says in plain Italian and English what a reconciliation row
// means and what the finance office should do about it.
func explain(it *ReconItem) Explanation {
	eurIt := func(c int64) string { return "€ " + euro(c, ",") }
	eurEn := func(c int64) string { return "€" + euro(c, ".") }
	// A company name may end with a dot ("S.p.A."), and so may the sentence.
	psp := strings.TrimSuffix(it.PSP, ".")
	flow := it.FlowID
	if it.FlowRevision > 1 {
		flow += " (rev. " + strconv.Itoa(it.FlowRevision) + ")"
	}
	switch it.Category {
	case CatMatched:
		return Explanation{
			It: fmt.Sprintf("Pagamento di %s riversato dal PSP %s nel flusso %s.", eurIt(it.LineCents), psp, flow),
			En: fmt.Sprintf("Payment of %s settled by PSP %s in flow %s.", eurEn(it.LineCents), psp, flow),
		}
	case CatAmountDiffers:
		return Explanation{
			It: fmt.Sprintf("Il flusso %s riversa %s, la ricevuta è di %s (differenza %s): chiedere al PSP %s.", flow, eurIt(it.LineCents), eurIt(it.ReceiptCents), eurIt(it.DifferenceCents), psp),
			En: fmt.Sprintf("Flow %s settles %s, the receipt is for %s (difference %s): ask PSP %s.", flow, eurEn(it.LineCents), eurEn(it.ReceiptCents), eurEn(it.DifferenceCents), psp),
		}
	case CatPending:
		return Explanation{
			It: "Pagamento in attesa di rendicontazione: il PSP ha tempo fino a due giorni lavorativi.",
			En: "Payment awaiting its settlement flow: the PSP has two working days.",
		}
	case CatReceiptWithoutLine:
		return Explanation{
			It: fmt.Sprintf("Pagamento di %s senza riversamento oltre i due giorni lavorativi: sollecitare il flusso al PSP %s.", eurIt(it.ReceiptCents), psp),
			En: fmt.Sprintf("Payment of %s not settled after two working days: ask PSP %s for the flow.", eurEn(it.ReceiptCents), psp),
		}
	case CatLineWithoutReceipt:
		return Explanation{
			It: fmt.Sprintf("Il flusso %s riversa %s per lo IUV %s, ma non c'è alcuna ricevuta: verificare il pagamento con il PSP %s.", flow, eurIt(it.LineCents), it.IUV, psp),
			En: fmt.Sprintf("Flow %s settles %s for IUV %s, but there is no receipt: check the payment with PSP %s.", flow, eurEn(it.LineCents), it.IUV, psp),
		}
	case CatStandIn:
		return Explanation{
			It: fmt.Sprintf("Pagamento di %s incassato in stand-in (esito %d): nessuna ricevuta arriverà dal Nodo, il pagamento è registrato dal flusso %s. Verificare.", eurIt(it.LineCents), outcomeOf(it), flow),
			En: fmt.Sprintf("Payment of %s taken in stand-in (outcome %d): no receipt will come from the node, the payment is recorded from flow %s. Check it.", eurEn(it.LineCents), outcomeOf(it), flow),
		}
	case CatDuplicateLine:
		return Explanation{
			It: fmt.Sprintf("Il pagamento dello IUV %s compare due volte (flusso %s): il PSP ha riversato %s in più.", it.IUV, flow, eurIt(it.LineCents)),
			En: fmt.Sprintf("The payment of IUV %s appears twice (flow %s): the PSP settled %s too much.", it.IUV, flow, eurEn(it.LineCents)),
		}
	case CatRevoked:
		return Explanation{
			It: fmt.Sprintf("Pagamento revocato (esito 3) nel flusso %s: %s restituiti al pagatore; la multa risulta ancora pagata.", flow, eurIt(it.LineCents)),
			En: fmt.Sprintf("Payment revoked (outcome 3) in flow %s: %s given back to the payer; the fine still shows paid.", flow, eurEn(it.LineCents)),
		}
	case CatFlowTotalDiffers:
		return Explanation{
			It: fmt.Sprintf("Il flusso %s dichiara %d pagamenti per %s, ma le sue righe sono %d per %s.", flow, it.DeclaredCount, eurIt(it.DeclaredCents), it.LineCount, eurIt(it.LineCents)),
			En: fmt.Sprintf("Flow %s declares %d payments for %s, but its lines are %d for %s.", flow, it.DeclaredCount, eurEn(it.DeclaredCents), it.LineCount, eurEn(it.LineCents)),
		}
	case CatBankMatched:
		return Explanation{
			It: fmt.Sprintf("Il bonifico %s di %s salda il flusso %s.", it.BankRef, eurIt(it.BankCents), flow),
			En: fmt.Sprintf("Credit transfer %s of %s settles flow %s.", it.BankRef, eurEn(it.BankCents), flow),
		}
	case CatBankAmountDiffers:
		return Explanation{
			It: fmt.Sprintf("Il bonifico %s è di %s, il flusso %s dichiara %s.", it.BankRef, eurIt(it.BankCents), flow, eurIt(it.DeclaredCents)),
			En: fmt.Sprintf("Credit transfer %s is for %s, flow %s declares %s.", it.BankRef, eurEn(it.BankCents), flow, eurEn(it.DeclaredCents)),
		}
	case CatBankPending:
		return Explanation{
			It: fmt.Sprintf("Bonifico del flusso %s (%s) non ancora sull'estratto conto.", flow, eurIt(it.DeclaredCents)),
			En: fmt.Sprintf("The credit transfer of flow %s (%s) is not on the statement yet.", flow, eurEn(it.DeclaredCents)),
		}
	case CatFlowNotCredited:
		return Explanation{
			It: fmt.Sprintf("Nessun bonifico sull'estratto conto per il flusso %s (%s): chiedere al PSP %s.", flow, eurIt(it.DeclaredCents), psp),
			En: fmt.Sprintf("No credit transfer on the statement for flow %s (%s): ask PSP %s.", flow, eurEn(it.DeclaredCents), psp),
		}
	case CatCreditWithoutFlow:
		return Explanation{
			It: fmt.Sprintf("Accredito %s di %s senza alcun flusso di rendicontazione.", it.BankRef, eurIt(it.BankCents)),
			En: fmt.Sprintf("Credit %s of %s matches no settlement flow.", it.BankRef, eurEn(it.BankCents)),
		}
	}
	return Explanation{}
}

func outcomeOf(it *ReconItem) int {
	if it.Outcome == nil {
		return 0
	}
	return int(*it.Outcome)
}

// euro formats cents as euro with the given decimal mark: "1234,50".
func euro(cents int64, decimal string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(cents%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(cents/100, 10) + decimal + frac
}
