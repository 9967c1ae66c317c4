package server_test

import (
	"bytes"
	"testing"
)

// zipFiles builds a zip archive of name → content (reconciliation_test's
// zipOf with the names in map order).
func zipFiles(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var order []string
	for name := range files {
		order = append(order, name)
	}
	return zipOf(t, files, order)
}

func TestCameraImportWithPhotosInAZip(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("super")
	csv := []byte("targa;codice;data/ora;luogo;foto\n" +
		"AB123CD;142-8;02/11/2026 23:10;Viale Monza 120;frames/f1.jpg\n" +
		"EF456GH;142-8;02/11/2026 23:11;Viale Monza 120;missing.jpg\n" +
		"GH789IJ;142-8;02/11/2026 23:12;Viale Monza 120;\n")
	body := zipFiles(t, map[string][]byte{"export/detections.csv": csv, "export/frames/f1.jpg": photoJPEG(t)})
	r := e.do("POST", "/api/v1/fines/import", body, "Authorization", bearer, "Content-Type", "application/zip")
	if r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	res := r.json(t)
	if res["imported"] != 2.0 || res["failed"] != 1.0 {
		t.Fatalf("import = %s, want 2 imported (one with its photo, one without) and the missing photo refused", r.body)
	}
	rows := res["rows"].([]any)
	if rows[1].(map[string]any)["status"] != "refused" {
		t.Errorf("row naming a missing photo = %v", rows[1])
	}
	id := rows[0].(map[string]any)["id"].(string)
	f := e.do("GET", "/api/v1/fines/"+id, nil, "Authorization", bearer).json(t)
	ps, _ := f["photos"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["source"] != "camera" {
		t.Fatalf("imported fine's photos = %v, want the camera frame", f["photos"])
	}
	img := e.do("GET", "/api/v1/fines/"+id+"/photos/1", nil, "Authorization", bearer)
	if img.status != 200 || bytes.Contains(img.body, []byte("SECRET-PHONE-OWNER")) {
		t.Errorf("stored frame: %d, metadata kept: %v", img.status, bytes.Contains(img.body, []byte("SECRET-PHONE-OWNER")))
	}
	// A photo column in a bare CSV cannot be honoured: that row is refused.
	r = e.do("POST", "/api/v1/fines/import?dryRun=true", csv[:bytes.IndexByte(csv, '\n')+len("AB123CD;142-8;02/11/2026 23:10;Viale Monza 120;frames/f1.jpg\n")+1], "Authorization", bearer, "Content-Type", "text/csv")
	if r.status != 200 || r.json(t)["failed"] != 1.0 {
		t.Errorf("bare CSV naming a photo: %d %s", r.status, r.body)
	}
	// Archives that are not one CSV with images are refused whole.
	for name, files := range map[string]map[string][]byte{
		"no csv":   {"a.jpg": photoJPEG(t)},
		"two csvs": {"a.csv": csv, "b.csv": csv},
	} {
		if r := e.do("POST", "/api/v1/fines/import", zipFiles(t, files), "Authorization", bearer, "Content-Type", "application/zip"); r.status != 400 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/fines/import", []byte("not a zip"), "Authorization", bearer, "Content-Type", "application/zip"); r.status != 400 {
		t.Errorf("junk archive: %d", r.status)
	}
}
