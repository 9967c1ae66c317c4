package fdr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

const org = "01199250158"

// fakeFdR follows openapi/fdr_organization.json (SANP3.13.0): the list of
// published flows (latest revision of each), one flow, its payments; each
// paged with page (from 1) and size, and metadata.totPage.
type fakeFdR struct {
	mu    sync.Mutex
	flows map[string][]fakeFlow // by id, revisions in order
	order []string
	// failPayments makes the next request for the payments page of a flow
	// answer 500 once.
	failPayments map[string]int
	calls        []string
}

type fakeFlow struct {
	psp       string
	fdrDate   time.Time
	published time.Time
	payments  []map[string]any
	sum       string
}

func (f *fakeFdR) publish(id, psp string, at time.Time, payments ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cents int64
	for _, p := range payments {
		c, _ := strconv.ParseFloat(p["pay"].(json.Number).String(), 64)
		cents += int64(c*100 + 0.5)
	}
	if _, ok := f.flows[id]; !ok {
		f.order = append(f.order, id)
	}
	f.flows[id] = append(f.flows[id], fakeFlow{psp: psp, fdrDate: at, published: at.Add(time.Minute), payments: payments,
		sum: fmt.Sprintf("%d.%02d", cents/100, cents%100)})
}

func page(r *http.Request, n int) (from, to, tot int, err error) {
	p, size := 1, 1000
	if v := r.URL.Query().Get("page"); v != "" {
		if p, err = strconv.Atoi(v); err != nil || p < 1 {
			return 0, 0, 0, fmt.Errorf("page")
		}
	}
	if v := r.URL.Query().Get("size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > 1000 {
			return 0, 0, 0, fmt.Errorf("size")
		}
	}
	tot = (n + size - 1) / size
	from, to = min((p-1)*size, n), min(p*size, n)
	return from, to, tot, nil
}

func (f *fakeFdR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.URL.Path+"?"+r.URL.RawQuery)
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, code string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"httpStatusCode": status, "appErrorCode": code, "errors": []map[string]string{{"message": "failed"}}})
	}
	if r.Header.Get("Ocp-Apim-Subscription-Key") != "secret" {
		fail(401, "FDR-0401")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// organizations/{org}/fdrs[/{fdr}/revisions/{rev}/psps/{psp}[/payments]]
	if len(parts) < 3 || parts[0] != "organizations" || parts[1] != org || parts[2] != "fdrs" {
		fail(404, "FDR-0404")
		return
	}
	if len(parts) == 3 {
		from, to, tot, err := page(r, len(f.order))
		if err != nil {
			fail(400, "FDR-0400")
			return
		}
		data := []map[string]any{}
		for _, id := range f.order[from:to] {
			revs := f.flows[id]
			l := revs[len(revs)-1]
			data = append(data, map[string]any{"fdr": id, "pspId": l.psp, "revision": len(revs), "published": l.published, "flowDate": l.fdrDate})
		}
		json.NewEncoder(w).Encode(map[string]any{"metadata": map[string]int{"pageSize": to - from, "pageNumber": 1, "totPage": tot}, "count": len(f.order), "data": data})
		return
	}
	if len(parts) < 8 || parts[4] != "revisions" || parts[6] != "psps" {
		fail(404, "FDR-0404")
		return
	}
	revs := f.flows[parts[3]]
	rev, _ := strconv.Atoi(parts[5])
	if rev < 1 || rev > len(revs) || revs[rev-1].psp != parts[7] {
		fail(404, "FDR-3001")
		return
	}
	fl := revs[rev-1]
	if len(parts) == 8 {
		json.NewEncoder(w).Encode(map[string]any{
			"status": "PUBLISHED", "revision": rev, "fdr": parts[3], "fdrDate": fl.fdrDate, "regulation": "SCT-" + parts[3], "regulationDate": "2026-03-11",
			"sender":    map[string]any{"type": "ABI_CODE", "id": "x", "pspId": fl.psp, "pspName": "PSP " + fl.psp, "pspBrokerId": "b", "channelId": "c"},
			"receiver":  map[string]any{"id": "r", "organizationId": org, "organizationName": "Comune di Milano"},
			"published": fl.published, "totPayments": len(fl.payments), "sumPayments": json.Number(fl.sum),
			"computedTotPayments": len(fl.payments), "computedSumPayments": json.Number(fl.sum),
		})
		return
	}
	from, to, tot, err := page(r, len(fl.payments))
	if err != nil {
		fail(400, "FDR-0400")
		return
	}
	if r.URL.Query().Get("page") == "2" && f.failPayments[parts[3]] > 0 {
		f.failPayments[parts[3]]--
		fail(500, "FDR-0500")
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"metadata": map[string]int{"pageSize": to - from, "pageNumber": 1, "totPage": tot}, "count": len(fl.payments), "data": fl.payments[from:to]})
}

func payment(i int, iuv, iur, pay, status string) map[string]any {
	return map[string]any{"index": i, "iuv": iuv, "iur": iur, "idTransfer": 1, "pay": json.Number(pay), "payStatus": status,
		"payDate": time.Date(2026, 3, 10, 9+i, 0, 0, 0, time.UTC)}
}

func TestPollerPagesRevisionsAndResumes(t *testing.T) {
	ctx := context.Background()
	fake := &fakeFdR{flows: map[string][]fakeFlow{}, failPayments: map[string]int{"F-B": 1}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	t0 := time.Date(2026, 3, 12, 7, 0, 0, 0, time.UTC)
	fake.publish("F-A", "PSPA", t0, payment(1, "01000000000000123", "A1", "42.00", "EXECUTED"))
	fake.publish("F-B", "PSPB", t0, payment(1, "01000000000000246", "B1", "10.00", "EXECUTED"), payment(2, "01000000000000369", "B2", "20.5", "STAND_IN"),
		payment(3, "01000000000000482", "B3", "0.01", "NO_RPT"), payment(4, "01000000000000505", "B4", "1", "STAND_IN_NO_RPT"), payment(5, "01000000000000628", "B5", "3.00", "EXECUTED"))
	fake.publish("F-C", "PSPA", t0, payment(1, "01000000000000741", "C1", "7.00", "EXECUTED"))

	st := testkit.NewStore(t, testkit.NewClock(time.Now())) // checked and its ledger verified at cleanup
	newPoller := func() *fdr.Poller {                       // a fresh one each time: a restart
		return &fdr.Poller{
			Client: &fdr.Client{BaseURL: srv.URL, Organization: org, SubscriptionKey: "secret", PageSize: 2},
			Known: func(ctx context.Context, id string, at time.Time) (bool, error) {
				h, err := st.FlowHistory(ctx, id)
				if notices.ErrorCode(err) == notices.ENotFound {
					return false, nil
				}
				for _, r := range h {
					if r.Flow.FlowTime.Equal(at) {
						return true, nil
					}
				}
				return false, err
			},
			Import: func(ctx context.Context, f notices.SettlementFlow) error {
				_, _, err := st.SaveFlow(ctx, f, notices.FlowFromFdR, "fdr")
				return err
			},
			Now: func() time.Time { return t0.Add(time.Hour) },
		}
	}

	// A failure half way through F-B's payments: A and C are imported.
	res, err := newPoller().Sync(ctx)
	if err == nil || fmt.Sprint(res.Imported, res.Failed) != "[F-A F-C] [F-B]" || res.Listed != 3 {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	// After a restart: A and C are not fetched again, B is.
	fake.calls = nil
	res, err = newPoller().Sync(ctx)
	if err != nil || fmt.Sprint(res.Imported) != "[F-B]" || res.Known != 2 {
		t.Fatalf("second sync: %+v, %v", res, err)
	}
	for _, c := range fake.calls {
		if strings.Contains(c, "/F-A/") || strings.Contains(c, "/F-C/") {
			t.Errorf("a known flow was fetched again: %s", c)
		}
		if (strings.HasSuffix(strings.Split(c, "?")[0], "/fdrs") || strings.Contains(c, "/payments")) && !strings.Contains(c, "size=2") {
			t.Errorf("no page size: %s", c)
		}
	}
	flows, _ := st.FlowsBetween(ctx, notices.Date{Year: 2026, Month: 3, Day: 10}, notices.Date{Year: 2026, Month: 3, Day: 10})
	if len(flows) != 3 {
		t.Fatalf("flows: %+v", flows)
	}
	b := flows[1]
	outcomes := []notices.FlowOutcome{}
	for _, l := range b.Lines {
		outcomes = append(outcomes, l.Outcome)
	}
	if b.ID != "F-B" || len(b.Lines) != 5 || fmt.Sprint(outcomes) != "[0 4 9 8 0]" || b.Lines[1].AmountCents != 2050 || b.Lines[3].AmountCents != 100 ||
		b.DeclaredCents != 3451 || b.PSPName != "PSP PSPB" || b.Creditor != org || b.RegulationID != "SCT-F-B" {
		t.Errorf("F-B: %+v", b)
	}

	// A revision of F-A: imported as revision 2; then nothing is new.
	fake.publish("F-A", "PSPA", t0.Add(2*time.Hour), payment(1, "01000000000000123", "A1", "42.10", "EXECUTED"))
	res, err = newPoller().Sync(ctx)
	if err != nil || fmt.Sprint(res.Imported) != "[F-A]" {
		t.Fatalf("third sync: %+v, %v", res, err)
	}
	h, _ := st.FlowHistory(ctx, "F-A")
	if len(h) != 2 || h[1].Flow.Lines[0].AmountCents != 4210 || !h[0].Superseded {
		t.Errorf("F-A history: %+v", h)
	}
	res, err = newPoller().Sync(ctx)
	if err != nil || len(res.Imported) != 0 || res.Known != 3 {
		t.Errorf("fourth sync: %+v, %v", res, err)
	}

	// A wrong key is an error, not an empty list.
	p := newPoller()
	p.Client.SubscriptionKey = "wrong"
	if _, err := p.Sync(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
}
