package server

import (
	"errors"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/evidence"
	"github.com/multa/multa/importcsv"
	"github.com/multa/multa/notices"
)

// importRow is the outcome of one CSV row: a fine, a duplicate of one
// already imported, or why not. Row is the line number in the file.
type importRow struct {
	Row          int                  `json:"row"`
	Status       string               `json:"status"` // imported, refused, duplicate; valid in a dry run
	ID           string               `json:"id,omitempty"`
	ReportNumber string               `json:"reportNumber,omitempty"`
	Errors       []notices.FieldError `json:"errors,omitempty"`
}

// Row outcomes of an import.
const (
	rowImported  = "imported"
	rowRefused   = "refused"
	rowDuplicate = "duplicate"
	rowValid     = "valid" // dry run: would be imported
)

// importPreviewRows is how many rows a dry run shows as they were read.
const importPreviewRows = 5

// importFines issues deferred fines from a CSV of camera detections (see
// package importcsv for the accepted forms). Each row succeeds or fails
// alone: a bad row never stops the good ones, and a detection imported
// before is reported as a duplicate, not fined again. With dryRun=true
// nothing is saved: the answer shows the separator, how the columns were
// understood and the first rows, for the office to check before importing.
func (s *Server) importFines(c *fiber.Ctx) error {
	// A zip archive carries the CSV with the frames its photo column names.
	var archive *importArchive
	data := c.Body()
	switch mediaType(c) {
	case "text/csv":
	case "application/zip":
		a, err := readImportZip(data)
		if err != nil {
			return err
		}
		archive, data = a, a.csv
	default:
		return errCode(codeUnsupportedMedia, "Send the detections as text/csv, or as application/zip with their photos.")
	}
	dry := c.Query("dryRun") == "true"
	file, err := importcsv.Parse(data)
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "header", Message: err.Error()}}}
	}
	officer, now := principalOf(c).Username, s.now()
	var (
		rows    = []importRow{} // a header-only file answers "rows": [], not null
		pending []*notices.Fine
		at      []int               // index in rows of each pending fine
		photos  []*notices.NewPhoto // the frame of each pending fine, or nil
	)
	for _, r := range file.Rows {
		if r.Problem != importcsv.ProblemNone {
			rows = append(rows, importRow{Row: r.Line, Status: rowRefused, Errors: []notices.FieldError{{Field: "row", Message: lineProblem[r.Problem]}}})
			continue
		}
		f, ferrs := s.importFine(r.Fields, officer, now)
		photo, perr := importPhoto(archive, r.Fields[importcsv.Photo], officer)
		if perr != nil {
			ferrs = append(ferrs, *perr)
		}
		if ferrs != nil {
			rows = append(rows, importRow{Row: r.Line, Status: rowRefused, Errors: ferrs})
			continue
		}
		rows = append(rows, importRow{Row: r.Line, Status: rowValid})
		pending, at = append(pending, f), append(at, len(rows)-1)
		photos = append(photos, photo)
	}
	if !dry {
		if err := s.saveImported(c, pending, at, rows); err != nil {
			return err
		}
		s.saveImportedPhotos(c, pending, at, photos, rows)
	}
	count := map[string]int{}
	for i := range rows {
		rows[i].Errors = localizeFields(c, rows[i].Errors)
		count[rows[i].Status]++
	}
	out := fiber.Map{"dryRun": dry, "imported": count[rowImported], "duplicates": count[rowDuplicate],
		"failed": count[rowRefused], "rows": rows}
	if dry {
		out["valid"] = count[rowValid]
		out["separator"] = string(file.Separator)
		columns := map[string]string{}
		for name, i := range file.Columns {
			columns[name] = file.Header[i]
		}
		out["columns"] = columns
		preview := []map[string]any{}
		for _, r := range file.Rows[:min(len(file.Rows), importPreviewRows)] {
			preview = append(preview, map[string]any{"row": r.Line, "fields": r.Fields})
		}
		out["preview"] = preview
	}
	return c.JSON(out)
}

// importPhoto re-encodes the frame a row names, from the archive. A row
// naming a photo that is not there, or not an image, is refused: a camera
// fine goes out with its evidence or not at all.
func importPhoto(a *importArchive, name, officer string) (*notices.NewPhoto, *notices.FieldError) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil
	}
	if a == nil {
		return nil, &notices.FieldError{Field: "photo", Message: "a photo needs the CSV and its images sent together as a zip archive"}
	}
	b, ok := a.images[path.Base(strings.ReplaceAll(name, "\\", "/"))] // by file name, as readImportZip keys them
	if !ok {
		return nil, &notices.FieldError{Field: "photo", Message: "the archive has no file " + name}
	}
	p, err := evidence.Reencode(b, notices.PhotoByCamera, officer)
	if err != nil {
		return nil, &notices.FieldError{Field: "photo", Message: notices.ErrorMessage(err)}
	}
	return &p, nil
}

// saveImportedPhotos stores the frame of each fine just imported. The
// fine is saved first (ImportFines writes thousands per transaction);
// should its photo then fail to store, the row says so and the office
// attaches it again with POST /fines/{id}/photos?source=camera.
func (s *Server) saveImportedPhotos(c *fiber.Ctx, pending []*notices.Fine, at []int, photos []*notices.NewPhoto, rows []importRow) {
	for i, f := range pending {
		row := &rows[at[i]]
		if photos[i] == nil || row.Status != rowImported {
			continue
		}
		if _, err := s.cfg.Store.SavePhotos(c.UserContext(), f.ID, []notices.NewPhoto{*photos[i]}, nil); err != nil {
			row.Errors = append(row.Errors, notices.FieldError{Field: "photo", Message: "the fine was imported but its photo was not stored: " + notices.ErrorMessage(err)})
		}
	}
}

// lineProblem words, in English, why a line could not be read; the
// Italian is in the message catalogue (messages.go) like every other.
var lineProblem = map[importcsv.Problem]string{
	importcsv.ProblemQuote:      "a quote is not closed on this line",
	importcsv.ProblemFieldCount: "the line does not have as many fields as the header",
	importcsv.ProblemTooLong:    "the line is too long",
	importcsv.ProblemEncoding:   "the line is not UTF-8 text",
}

// saveImported stores the valid fines through the issuing use case
// (which gives fresh NAVs to the rare ones that collide) and fills each
// row's outcome.
func (s *Server) saveImported(c *fiber.Ctx, pending []*notices.Fine, at []int, rows []importRow) error {
	errs, err := s.issuing.Import(c.UserContext(), pending)
	if err != nil {
		return err
	}
	for i, f := range pending {
		row := &rows[at[i]]
		if errs[i] != nil {
			row.Status = rowRefused
			if notices.ErrorCode(errs[i]) == notices.EDuplicate {
				row.Status = rowDuplicate
			}
			row.Errors = []notices.FieldError{{Field: "row", Message: notices.ErrorMessage(errs[i])}}
			continue
		}
		row.Status, row.ID, row.ReportNumber = rowImported, f.ID, f.ReportNumber
		s.metrics.fineIssued(*f)
	}
	return nil
}

func (s *Server) importFine(get map[string]string, officer string, now time.Time) (*notices.Fine, []notices.FieldError) {
	req := notices.FineRequest{Plate: get[importcsv.Plate], ViolationCode: get[importcsv.ViolationCode], Place: get[importcsv.Place],
		Contestation: notices.ContestDeferred, Officer: officer}
	var errs []notices.FieldError
	at, err := importcsv.ParseTime(get[importcsv.OccurredAt], notices.Rome)
	if err != nil {
		errs = append(errs, notices.FieldError{Field: "occurredAt", Message: "must be dd/mm/yyyy hh:mm or an RFC 3339 instant with offset"})
	}
	req.OccurredAt = at
	for _, c := range []struct {
		name string
		dst  **float64
	}{{importcsv.Lat, &req.Lat}, {importcsv.Lon, &req.Lon}} {
		if v := get[c.name]; v != "" {
			// Italian exports write decimal commas (45,4642).
			v = strings.Replace(v, ",", ".", 1)
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !plainDecimal(v) {
				errs = append(errs, notices.FieldError{Field: c.name, Message: "must be a number"})
				continue
			}
			*c.dst = &x
		}
	}
	f, err := notices.NewFine(req, s.cfg.Catalogue, s.cfg.Settings, now, s.cfg.Rand)
	if err != nil {
		var ve *notices.ValidationError
		if errors.As(err, &ve) {
			// The time error above is clearer than NewFine's "required".
			for _, fe := range ve.Fields {
				if fe.Field != "occurredAt" || req.OccurredAt != (time.Time{}) {
					errs = append(errs, fe)
				}
			}
			return nil, errs
		}
		return nil, append(errs, notices.FieldError{Field: "row", Message: notices.ErrorMessage(err)})
	}
	if errs != nil {
		return nil, errs
	}
	return f, nil
}

// plainDecimal reports whether v is a decimal number as people write
// coordinates (-45.4642): ParseFloat also takes hex floats (0x1p3), "Inf",
// "NaN" and exponents, none of which a camera or a clerk produces.
func plainDecimal(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
	whole, frac, dot := strings.Cut(v, ".")
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	return digits(whole) && (!dot || digits(frac))
}
