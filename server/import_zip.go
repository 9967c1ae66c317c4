package server

import (
	"archive/zip"
	"bytes"
	"io"
	"path"
	"strings"

	"github.com/multa/multa/evidence"
)

// Bounds of a camera export sent as a zip archive (the CSV and the
// frames it names): members, and bytes once inflated, so that a small
// archive cannot expand into gigabytes.
const (
	maxImportMembers  = 5000
	maxImportInflated = 512 << 20
)

// importArchive is a camera export in a zip: its one CSV and its images
// by base name.
type importArchive struct {
	csv    []byte
	images map[string][]byte
}

// readImportZip opens a zip holding exactly one .csv file and any number
// of images, which the CSV's photo column names (by file name, without
// folders).
func readImportZip(body []byte) (*importArchive, error) {
	bad := func(msg string) error { return errCode(codeBadRequest, msg) }
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, bad("The archive is not a zip file.")
	}
	if len(zr.File) > maxImportMembers {
		return nil, bad("The archive has too many files.")
	}
	a := &importArchive{images: map[string][]byte{}}
	total := int64(0)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := path.Base(strings.ReplaceAll(f.Name, "\\", "/"))
		limit := int64(evidence.MaxUpload)
		isCSV := strings.EqualFold(path.Ext(name), ".csv")
		if isCSV {
			limit = maxUploadBody
		}
		rc, err := f.Open()
		if err != nil {
			return nil, bad("A file of the archive cannot be read: " + name)
		}
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		rc.Close()
		if err != nil {
			return nil, bad("A file of the archive cannot be read: " + name)
		}
		if int64(len(b)) > limit {
			return nil, errCode(codeTooLarge, "A file of the archive is too large: "+name)
		}
		if total += int64(len(b)); total > maxImportInflated {
			return nil, errCode(codeTooLarge, "The archive is too large once inflated.")
		}
		switch {
		case isCSV && a.csv != nil:
			return nil, bad("The archive must hold exactly one CSV file.")
		case isCSV:
			a.csv = b
		default:
			a.images[name] = b
		}
	}
	if a.csv == nil {
		return nil, bad("The archive must hold exactly one CSV file.")
	}
	return a, nil
}
