package notices

import (
	"bytes"
	"encoding/json"
	"slices"
)

// ReviseFlow decides what a newly received flow f does to the revision in
// force (last, numbered lastRevision, withdrawn or not), by pagoPA's rule
// that the later dataOraFlusso wins: the same time and content again is
// FlowUnchanged, a later time is FlowRevised. Every store applies this one
// rule. Errors: EConflict (the same revision, withdrawn: only a later one
// brings the flow back), EFlowOutdated (not later than the one in force).
func ReviseFlow(f, last *SettlementFlow, lastRevision int, withdrawn bool) (FlowSaved, *Error) {
	switch c := f.FlowTime.Compare(last.FlowTime); {
	case c == 0 && sameFlowContent(*f, *last):
		if withdrawn {
			return "", Errorf(EConflict, "flow %s (revision %d) was withdrawn; only a later revision can replace it", f.ID, lastRevision)
		}
		return FlowUnchanged, nil
	case c <= 0:
		return "", Errorf(EFlowOutdated, "flow %s: revision %d of %s is in force; this one of %s is not later",
			f.ID, lastRevision, last.FlowTime.In(Rome).Format("2006-01-02 15:04:05"), f.FlowTime.In(Rome).Format("2006-01-02 15:04:05"))
	}
	return FlowRevised, nil
}

// sameFlowContent reports whether two revisions say the same, whatever
// their revision numbers.
func sameFlowContent(a, b SettlementFlow) bool {
	a.Revision, b.Revision = 0, 0
	x, err1 := json.Marshal(&a)
	y, err2 := json.Marshal(&b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// Days lists, sorted and once each, the days a flow is found by in a day's
// reconciliation: its lines' and its regulation's, as YYYY-MM-DD.
func (f *SettlementFlow) Days() []string {
	seen := map[Date]bool{f.RegulationDate: true}
	for _, l := range f.Lines {
		seen[l.Date] = true
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d.String())
	}
	slices.Sort(out)
	return out
}
