package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// listFixture imports a varied set of fines: three plates, all four
// statuses, days around the spring DST change, and two fines at the same
// instant (the index then orders them by id).
func listFixture(t *testing.T) (*env, []notices.Fine) {
	ctx := context.Background()
	e := newEnv(t)
	e.clock.Set(rome(2026, 4, 2, 12, 0))
	plates := []string{"AB123CD", "EF456GH", "IJ789KL"}
	var in []*notices.Fine
	for i := range 40 {
		at := rome(2026, 3, 24+i/8, (i*5)%24, i)
		if i == 17 {
			at = in[16].OccurredAt // a tie
		}
		in = append(in, e.fineAt(plates[i%3], "7-15", at, notices.Contestation([]string{"immediate", "deferred"}[i%2])))
	}
	// Around the DST change of 2026-03-29 (02:00 → 03:00 in Rome).
	in = append(in,
		e.fineAt("AB123CD", "7-15", rome(2026, 3, 29, 0, 30), notices.ContestDeferred), // 28th in UTC
		e.fineAt("AB123CD", "7-15", rome(2026, 3, 29, 23, 30), notices.ContestDeferred),
		e.fineAt("AB123CD", "7-15", rome(2026, 3, 28, 23, 59), notices.ContestDeferred))
	errs, err := e.st.ImportFines(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("fine %d: %v", i, err)
		}
	}
	var all []notices.Fine
	for i, f := range in {
		switch i % 7 {
		case 3:
			e.pay(*f, receiptID(i), 2940)
		case 5:
			if _, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { return f.Cancel("duplicate", "capo", e.clock.Now()) }); err != nil {
				t.Fatal(err)
			}
		}
		g, err := e.st.Fine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, g)
	}
	return e, all
}

// newestFirst is the listing order: violation time, then id, descending.
func newestFirst(a, b notices.Fine) int {
	if c := b.OccurredAt.Compare(a.OccurredAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// walk pages through a listing and returns every item.
func walk(t *testing.T, st notices.Store, q notices.FineFilter) []notices.Fine {
	t.Helper()
	var out []notices.Fine
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("cursor loop")
		}
		page, err := st.ListFines(context.Background(), q)
		if err != nil {
			t.Fatalf("ListFines(%+v): %v", q, err)
		}
		if len(page.Items) == 0 && q.Cursor != "" {
			t.Errorf("empty page after cursor %q: the previous page should have had no cursor", q.Cursor)
		}
		if page.NextCursor != "" && len(page.Items) != q.Limit {
			t.Errorf("short page of %d with a next cursor", len(page.Items))
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func testListFinesPagesAndFilters(t *testing.T) {
	e, all := listFixture(t)
	day := func(d int) notices.Date { return notices.Date{Year: 2026, Month: 3, Day: d} }
	cases := []struct {
		name string
		q    notices.FineFilter
		keep func(f notices.Fine) bool
	}{
		{"all", notices.FineFilter{}, func(notices.Fine) bool { return true }},
		{"plate", notices.FineFilter{Plate: "AB123CD"}, func(f notices.Fine) bool { return f.Plate == "AB123CD" }},
		{"status issued", notices.FineFilter{Status: notices.StatusIssued}, func(f notices.Fine) bool { return f.Status == notices.StatusIssued }},
		{"status paid", notices.FineFilter{Status: notices.StatusPaid}, func(f notices.Fine) bool { return f.Status == notices.StatusPaid }},
		{"plate and status", notices.FineFilter{Plate: "EF456GH", Status: notices.StatusNotified}, func(f notices.Fine) bool {
			return f.Plate == "EF456GH" && f.Status == notices.StatusNotified
		}},
		{"one Rome day (DST)", notices.FineFilter{From: day(29), To: day(29)}, func(f notices.Fine) bool { return notices.DateOf(f.OccurredAt) == day(29) }},
		{"from", notices.FineFilter{From: day(27)}, func(f notices.Fine) bool { return !notices.DateOf(f.OccurredAt).Before(day(27)) }},
		{"to", notices.FineFilter{To: day(26)}, func(f notices.Fine) bool { return !notices.DateOf(f.OccurredAt).After(day(26)) }},
		{"plate, status, dates", notices.FineFilter{Plate: "AB123CD", Status: notices.StatusIssued, From: day(25), To: day(29)}, func(f notices.Fine) bool {
			d := notices.DateOf(f.OccurredAt)
			return f.Plate == "AB123CD" && f.Status == notices.StatusIssued && !d.Before(day(25)) && !d.After(day(29))
		}},
		{"no match", notices.FineFilter{Plate: "ZZ000ZZ"}, func(notices.Fine) bool { return false }},
		{"part of a plate", notices.FineFilter{PlatePart: "B123"}, func(f notices.Fine) bool { return f.Plate == "AB123CD" }},
		{"part of a plate, dates", notices.FineFilter{PlatePart: "7", From: day(27)}, func(f notices.Fine) bool {
			return f.Plate == "IJ789KL" && !notices.DateOf(f.OccurredAt).Before(day(27))
		}},
		{"part of a plate, status", notices.FineFilter{PlatePart: "123", Status: notices.StatusIssued}, func(f notices.Fine) bool {
			return strings.Contains(f.Plate, "123") && f.Status == notices.StatusIssued
		}},
		{"part of a plate, status, to", notices.FineFilter{PlatePart: "123", Status: notices.StatusIssued, To: day(28)}, func(f notices.Fine) bool {
			return strings.Contains(f.Plate, "123") && f.Status == notices.StatusIssued && !notices.DateOf(f.OccurredAt).After(day(28))
		}},
		{"report number, status", notices.FineFilter{ReportNumber: all[9].ReportNumber, Status: all[9].Status}, func(f notices.Fine) bool { return f.ID == all[9].ID }},
		{"report number, other status", notices.FineFilter{ReportNumber: all[9].ReportNumber, Status: notices.StatusCancelled}, func(notices.Fine) bool { return false }},
		{"report number, dates", notices.FineFilter{ReportNumber: all[9].ReportNumber, To: notices.DateOf(all[9].OccurredAt).AddDays(-1)}, func(notices.Fine) bool { return false }},
		{"unpaid", notices.FineFilter{Unpaid: true}, func(f notices.Fine) bool {
			return f.Status == notices.StatusIssued || f.Status == notices.StatusNotified
		}},
		{"report number", notices.FineFilter{ReportNumber: all[9].ReportNumber}, func(f notices.Fine) bool { return f.ID == all[9].ID }},
		{"report number of another year", notices.FineFilter{ReportNumber: "2025/000010"}, func(notices.Fine) bool { return false }},
		{"bad report number", notices.FineFilter{ReportNumber: "x/1"}, func(notices.Fine) bool { return false }},
	}
	for _, c := range cases {
		var want []notices.Fine
		for _, f := range all {
			if c.keep(f) {
				want = append(want, f)
			}
		}
		slices.SortFunc(want, newestFirst)
		for _, limit := range []int{1, 4, 7, 500} {
			t.Run(fmt.Sprintf("%s/limit %d", c.name, limit), func(t *testing.T) {
				q := c.q
				q.Limit = limit
				got := walk(t, e.st, q)
				if !slices.Equal(ids(got), ids(want)) {
					t.Errorf("got  %v\nwant %v", ids(got), ids(want))
				}
			})
		}
		if c.name == "one Rome day (DST)" && len(want) != 2 {
			t.Errorf("fixture has %d fines on the DST day, want 2", len(want))
		}
	}
	// Items are whole fines.
	page, err := e.st.ListFines(context.Background(), notices.FineFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, newestFirst)
	if jsonOf(t, page.Items[0]) != jsonOf(t, all[0]) {
		t.Errorf("first item %s\nwant %s", jsonOf(t, page.Items[0]), jsonOf(t, all[0]))
	}
}

// testPlatePartSearchSeesNewWrites: a search by part of a plate finds a
// fine as soon as the write that saved it returns, after searches have
// already been made (a store may keep what it searches in memory), and a
// fine whose plate was corrected is found by the new plate, not the old.
func testPlatePartSearchSeesNewWrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	search := func(part string) []string {
		t.Helper()
		page, err := e.st.ListFines(ctx, notices.FineFilter{PlatePart: part})
		if err != nil {
			t.Fatal(err)
		}
		var plates []string
		for _, f := range page.Items {
			plates = append(plates, f.Plate)
		}
		return plates
	}
	a := e.create("AB123CD", "7-15", rome(2026, 3, 2, 9, 0), notices.ContestDeferred)
	if got := search("123"); !slices.Equal(got, []string{"AB123CD"}) {
		t.Fatalf("search 123 = %v", got)
	}
	e.create("ZZ123YY", "7-15", rome(2026, 3, 3, 9, 0), notices.ContestDeferred)
	imported := e.fineAt("QW123ER", "7-15", rome(2026, 3, 4, 9, 0), notices.ContestDeferred)
	if _, err := e.st.ImportFines(ctx, []*notices.Fine{imported}); err != nil {
		t.Fatal(err)
	}
	if got := search("123"); !slices.Equal(got, []string{"QW123ER", "ZZ123YY", "AB123CD"}) {
		t.Fatalf("search 123 after two more fines = %v", got)
	}
	if _, err := e.st.UpdateFine(ctx, a.ID, func(f *notices.Fine) error {
		return f.Correct(notices.CorrectionRequest{Plate: "KL777MN", Reason: "plate misread"}, "capo", e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if got := search("777"); !slices.Equal(got, []string{"KL777MN"}) {
		t.Errorf("search 777 after the correction = %v", got)
	}
	if got := search("B12"); len(got) != 0 {
		t.Errorf("search B12 after the correction = %v, want nothing", got)
	}
}

func testListFinesLimitsAndCursors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var in []*notices.Fine
	for i := range 60 {
		in = append(in, e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 0, 0).Add(time.Duration(i)*time.Minute), notices.ContestDeferred))
	}
	if _, err := e.st.ImportFines(ctx, in); err != nil {
		t.Fatal(err)
	}
	page, err := e.st.ListFines(ctx, notices.FineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 50 || page.NextCursor == "" {
		t.Errorf("default page: %d items, cursor %q; want 50 and a cursor", len(page.Items), page.NextCursor)
	}
	for _, q := range []notices.FineFilter{
		{Limit: -1}, {Limit: 501}, {Cursor: "!!"}, {Cursor: "AAAA"}, {Status: "lost"},
		{From: notices.Date{Year: 2026, Month: 3, Day: 10}, To: notices.Date{Year: 2026, Month: 3, Day: 9}},
	} {
		_, err := e.st.ListFines(ctx, q)
		if notices.ErrorCode(err) != notices.EValidation {
			t.Errorf("ListFines(%+v) = %v, want validation_failed", q, err)
		}
	}

	// A fine added between pages neither repeats nor hides older ones.
	first, err := e.st.ListFines(ctx, notices.FineFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	e.create("AB123CD", "7-15", rome(2026, 3, 10, 9, 0), notices.ContestDeferred)
	rest := walk(t, e.st, notices.FineFilter{Limit: 10, Cursor: first.NextCursor})
	got := append(ids(first.Items), ids(rest)...)
	var want []string
	for i := len(in) - 1; i >= 0; i-- {
		want = append(want, in[i].ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages around an insert:\n got %v\nwant %v", got, want)
	}
}

func testImportFines(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// The adapters open the suite's stores with an import chunk of 64: many chunks.
	existing := e.create("AB123CD", "7-15", rome(2026, 3, 1, 9, 0), notices.ContestDeferred)

	const n = 500
	in := make([]*notices.Fine, n)
	for i := range in {
		in[i] = e.fineAt(fmt.Sprintf("AA%03dAA", i), "7-14", rome(2026, 3, 2, 0, 0).Add(time.Duration(i)*time.Minute), notices.ContestDeferred)
	}
	wantErr := map[int]string{}
	in[10].Options[0].NAV = existing.Options[1].NAV // collides with the database
	wantErr[10] = notices.ENAVTaken
	in[200].Options[1].NAV = in[130].Options[0].NAV // collides within the import, across chunks
	wantErr[200] = notices.ENAVTaken
	in[70].Options[0].NAV = in[69].Options[1].NAV // within one chunk
	wantErr[70] = notices.ENAVTaken
	dup := *in[5]
	dup.Options = nil
	dup.AssignNAVs("01", nil)
	in[300] = &dup // same id as in[5]
	wantErr[300] = notices.EConflict
	in[400] = nil
	wantErr[400] = notices.EValidation
	in[401].Status = notices.StatusPaid
	wantErr[401] = notices.EValidation

	errs, err := e.st.ImportFines(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != n {
		t.Fatalf("%d outcomes for %d fines", len(errs), n)
	}
	next := 2 // the existing fine has number 1
	for i, err := range errs {
		if code := wantErr[i]; code != "" {
			wantCode(t, err, code)
			if in[i] != nil && i != 300 && in[i].ReportNumber != "" {
				t.Errorf("refused fine %d got report number %s", i, in[i].ReportNumber)
			}
			continue
		}
		if err != nil {
			t.Errorf("fine %d: %v", i, err)
			continue
		}
		if want := fmt.Sprintf("2026/%06d", next); in[i].ReportNumber != want {
			t.Errorf("fine %d has report number %s, want %s", i, in[i].ReportNumber, want)
		}
		next++
		got, err := e.st.FineByNAV(ctx, in[i].Options[len(in[i].Options)-1].NAV)
		if err != nil || got.ID != in[i].ID {
			t.Errorf("fine %d by NAV: %v %v", i, got.ID, err)
		}
	}
	page, err := e.st.ListFines(ctx, notices.FineFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + n - len(wantErr); len(page.Items) != want {
		t.Errorf("%d fines stored, want %d", len(page.Items), want)
	}
	if h, _ := e.st.LedgerHead(ctx); h.Size != int64(1+n-len(wantErr)) {
		t.Errorf("ledger size %d, want one entry per saved fine", h.Size)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

// testImportRefusesADetectionTwice: a camera detection (plate, violation,
// second, place) imported once is refused as a duplicate when it comes
// again, in the same call or a later one, naming the first fine's report.
func testImportRefusesADetectionTwice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	at := rome(2026, 3, 9, 8, 0)
	a := e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred)
	b := e.fineAt("EF456GH", "7-15", at, notices.ContestDeferred)
	again := e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred) // same detection, new id and NAVs
	again.Place = "  via TORINO 1 milano "                            // spelled differently: the same place
	errs, err := e.st.ImportFines(ctx, []*notices.Fine{a, b, again})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("first import: %v", errs)
	}
	wantCode(t, errs[2], notices.EDuplicate)
	if !strings.Contains(errs[2].Error(), a.ReportNumber) {
		t.Errorf("duplicate error %q does not name report %s", errs[2], a.ReportNumber)
	}
	later := e.fineAt("EF456GH", "7-15", at, notices.ContestDeferred)
	errs, err = e.st.ImportFines(ctx, []*notices.Fine{later})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, errs[0], notices.EDuplicate)
	if !strings.Contains(errs[0].Error(), b.ReportNumber) {
		t.Errorf("duplicate error %q does not name report %s", errs[0], b.ReportNumber)
	}
	if _, err := e.st.Fine(ctx, later.ID); notices.ErrorCode(err) != notices.EFineNotFound {
		t.Errorf("the duplicate was saved: %v", err)
	}
	if h, _ := e.st.LedgerHead(ctx); h.Size != 2 {
		t.Errorf("ledger size %d, want 2: duplicates write nothing", h.Size)
	}
}
