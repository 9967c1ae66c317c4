package server

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/multa/multa/importcsv"
	"github.com/multa/multa/notices"
)

// FuzzImportFine: whatever a camera export's row holds, turning it into a
// fine never panics, and ends either in one valid fine or in field errors
// for the row, never both and never neither; an internal error is never
// blamed on the row.
func FuzzImportFine(f *testing.F) {
	f.Add("AB123CD", "7-15", "10/03/2026 09:15", "Via Torino 12, Milano", "45,4642", "9.19")
	f.Add("ab 123-cd", "146-3", "2026-03-10T09:15:00+01:00", "Corso Buenos Aires", "", "")
	f.Add("", "", "", "", "0x1p3", "NaN")
	f.Add("ZZ", "nope", "31/02/2026 25:61", "x", "-", "+1.")
	s := &Server{cfg: Config{Catalogue: notices.DefaultCatalogue(), Rand: rand.Reader, Settings: notices.Settings{
		Creditor: notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"}, Segregation: "01", Fees: notices.DefaultFees}}}
	now := time.Date(2026, 3, 11, 12, 0, 0, 0, notices.Rome)
	f.Fuzz(func(t *testing.T, plate, code, at, place, lat, lon string) {
		row := map[string]string{importcsv.Plate: plate, importcsv.ViolationCode: code, importcsv.OccurredAt: at,
			importcsv.Place: place, importcsv.Lat: lat, importcsv.Lon: lon}
		fine, errs := s.importFine(row, "officer", now)
		if (fine == nil) == (len(errs) == 0) {
			t.Fatalf("row %q: fine %v and errors %v; want exactly one of them", row, fine, errs)
		}
		for _, fe := range errs {
			if fe.Field == "" || fe.Message == "" || fe.Message == notices.ErrorMessage(nil) {
				t.Fatalf("row %q: field error %+v does not say what is wrong with the row", row, fe)
			}
		}
		if fine != nil {
			if p, err := notices.NormalizePlate(plate); err != nil || fine.Plate != p {
				t.Fatalf("row %q: fine plate %q, want the normalised %q (%v)", row, fine.Plate, p, err)
			}
			if len(fine.Options) == 0 {
				t.Fatalf("row %q: fine without payment options", row)
			}
		}
	})
}
