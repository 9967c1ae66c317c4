package notices

// A reconciliation of a period matches its flow lines against the receipts
// of the period and of the days next to it (a payment of 23:59 reported on
// the next day). Reading the neighbouring days whole costs twice the
// period's own receipts at a big city's scale, though hardly any of them
// can change the report: a receipt paid outside the period is never a row
// of its own, only the receipt a line of the period names. NeighbourNeed
// says when the neighbouring days must be read at all, and which of their
// receipts to keep, so that Reconcile gives the same report as with every
// receipt of those days.

// lineKey is what a flow line names a receipt's transfer by.
type lineKey struct {
	iuv, iur string
	index    int
}

// ReceiptNeed is which receipts of the days next to a period can change
// the period's reconciliation.
type ReceiptNeed struct {
	keys map[lineKey]struct{}
}

// NeighbourNeed returns which receipts paid on the days next to from..to
// can change the reconciliation of from..to, given the period's own
// receipts and the flows loaded for it: those named (IUV, IUR, transfer) by
// a line dated in the period, and those sharing a transfer's key with a
// receipt of the period (Reconcile keeps the first receipt of a key). It
// returns nil when every line dated in the period names a receipt of the
// period or none at all: then no receipt of another day can change the
// report (a line dated elsewhere is reported only when it names a receipt
// of the period, and a receipt of another day only through a line that
// names it), and the neighbouring days need not be read. Two stored
// receipts never share a key: the IUR is the PSP's or pagoPA's identifier
// of one payment.
func NeighbourNeed(from, to Date, period []Receipt, flows []SettlementFlow) *ReceiptNeed {
	inPeriod := func(d Date) bool { return !d.Before(from) && !d.After(to) }
	own := make(map[lineKey]struct{}, len(period))
	for i := range period {
		r := &period[i]
		iuv, iur := ReceiptIUV(r), ReceiptIUR(r)
		for _, t := range receiptTransfers(r) {
			own[lineKey{iuv, iur, t.IDTransfer}] = struct{}{}
		}
	}
	var need *ReceiptNeed
	for fi := range flows {
		for li := range flows[fi].Lines {
			l := &flows[fi].Lines[li]
			if !inPeriod(l.Date) {
				continue
			}
			k := lineKey{l.IUV, l.IUR, l.TransferIndex}
			if _, ok := own[k]; ok {
				continue
			}
			if need == nil {
				need = &ReceiptNeed{keys: own} // own's keys are wanted too
			}
			need.keys[k] = struct{}{}
		}
	}
	return need
}

// Wants reports whether receipt r, paid on a day next to the period, can
// change the period's reconciliation.
func (n *ReceiptNeed) Wants(r *Receipt) bool {
	iuv, iur := ReceiptIUV(r), ReceiptIUR(r)
	for _, t := range receiptTransfers(r) {
		if _, ok := n.keys[lineKey{iuv, iur, t.IDTransfer}]; ok {
			return true
		}
	}
	return false
}

// Keep returns the receipts of rs that n wants, in their order, in rs's
// backing array.
func (n *ReceiptNeed) Keep(rs []Receipt) []Receipt {
	out := rs[:0]
	for i := range rs {
		if n.Wants(&rs[i]) {
			out = append(out, rs[i])
		}
	}
	return out
}
