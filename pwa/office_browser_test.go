package pwa_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/multa/multa/notices"
)

// TestOfficeDay is a supervisor's day in the back office, on the narrowest
// phone still common (320 px) and on a current one (390 px), each as a
// journey of named steps: a camera export with bad rows is imported and
// the refused rows are downloaded (and the same file again gives only
// duplicates); fines are found by part of a plate and by report number;
// a plate is corrected, and the fine's audit trail names who did what; two
// notices print as one PDF; and an invalid fine gets the server's Italian
// message next to the field that caused it, scrolled into view. On the
// way it checks that the device position stays beside the place and that
// the offline banner moves nothing.
func TestOfficeDay(t *testing.T) {
	if testing.Short() {
		t.Skip("the office journey takes ~20 s; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: the office journey needs it (CI installs it in .ci/run)")
	}
	e := startEnv(t)
	shots := newOfficeShooter(e)
	officer := e.login("vigile")
	for _, p := range []string{"AB123CD", "AB123XY", "ZZ999ZZ"} {
		e.issue(officer, p, "7-15")
	}
	csvPath := writeCameraExport(t, e)
	for i, width := range []int{390, 320} {
		officeDay(e, chromium, width, csvPath, i > 0, shots)
	}
}

// writeCameraExport writes an Italian camera export: ";" separators, a BOM,
// CRLF, dd/mm/yyyy hh:mm times of yesterday; two good rows, one with an
// unclosed quote (which must refuse only itself) and one with an unknown
// violation code.
func writeCameraExport(t *testing.T, e *env) string {
	at := func(min int) string {
		return e.clock.Now().In(notices.Rome).AddDate(0, 0, -1).Truncate(time.Hour).Add(time.Duration(min) * time.Minute).Format("02/01/2006 15:04")
	}
	csv := "\ufeffTarga;Codice violazione;Data/Ora;Luogo\r\n" +
		"AB123CE;142-8;" + at(10) + ";Viale Monza 120\r\n" +
		"EF456GH;7-15;" + at(11) + ";\"Via Torino 12\r\n" +
		"IJ789KL;7-15;" + at(12) + ";Via Po 3\r\n" +
		"MN012OP;999-9;" + at(13) + ";Via Po 5\r\n"
	p := filepath.Join(t.TempDir(), "rilevazioni.csv")
	if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// officeDay is the journey at one width; its steps are named after it.
func officeDay(e *env, chromium string, width int, csvPath string, again bool, shots *officeShooter) {
	step := func(name string, f func(t *testing.T)) { e.step(fmt.Sprintf("%dpx/%s", width, name), f) }
	capo := e.browser(chromium, e.root.TempDir(), "")
	defer capo.close()
	narrow := chromedp.EmulateViewport(int64(width), phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch)
	step("sign in as supervisor", func(t *testing.T) {
		capo.do("open the back office", narrow, chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")))
		capo.expectItalian()
		capo.do("sign in as supervisor",
			chromedp.SendKeys(chromedp.ID("login-username"), "capo"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			// A supervisor lands on the list, not on a new fine.
			chromedp.WaitVisible(chromedp.CSS(`#fines[data-loaded] #fines-list`)))
		if who := capo.text("#whoami"); !strings.Contains(who, "capo · Responsabile") {
			t.Errorf("#whoami = %q, want the role in Italian", who)
		}
	})

	step("import a camera export with bad rows", func(t *testing.T) {
		capo.do("open the Import tab", chromedp.Tap(chromedp.ID("tab-import")), chromedp.WaitVisible(chromedp.ID("import-drop")))
		capo.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{csvPath}),
			chromedp.WaitVisible(chromedp.ID("import-mapping")))
		if got := capo.text("#import-mapping"); !strings.Contains(got, "Targa Targa") || !strings.Contains(got, "Data e ora Data/Ora") {
			t.Errorf("column mapping = %q, want Targa and Data/Ora understood", got)
		}
		capo.expectText("#import-errors", "3 Riga virgolette non chiuse su questa riga")
		capo.expectText("#import-errors", "5 Violazione nessuna violazione con codice \"999-9\"")
		shots.take(capo, fmt.Sprintf("office-import-preview-%d", width))
		if width == phoneW {
			capo.audit("office import preview")
			capo.do("back to the journey's width", narrow)
		}
		capo.do("import", chromedp.Tap(chromedp.ID("import-submit")), chromedp.WaitVisible(chromedp.ID("import-counts")))
		want := "Importate: 2. Duplicate: 0. Rifiutate: 2."
		if again {
			want = "Importate: 0. Duplicate: 2. Rifiutate: 2."
		}
		capo.expectText("#import-counts", want)
		dir := t.TempDir()
		capo.do("download the refused rows", allowDownloads(dir), chromedp.Tap(chromedp.ID("import-errors-download")))
		csv := string(waitDownload(t, dir, "righe-rifiutate.csv"))
		for _, line := range []string{"Riga;Campo;Motivo", "3;Riga;virgolette non chiuse su questa riga", `5;Violazione;"nessuna violazione con codice ""999-9"""`} {
			if !strings.Contains(csv, line+"\r\n") {
				t.Errorf("downloaded refused rows lack %q:\n%s", line, csv)
			}
		}
		if again && !strings.Contains(csv, "2;Riga;già importata come verbale") {
			t.Errorf("the second import's download does not name the duplicates:\n%s", csv)
		}
		shots.take(capo, fmt.Sprintf("office-import-result-%d", width))
	})

	var report, plate string
	step("search by part of a plate and by report number", func(t *testing.T) {
		capo.do("open the list", chromedp.Tap(chromedp.ID("tab-fines")), chromedp.WaitVisible(chromedp.CSS(`#fines[data-loaded]`)))
		capo.do("search ab123", chromedp.SendKeys(chromedp.ID("fines-q"), "ab123"), chromedp.Tap(chromedp.ID("fines-search")),
			until(`document.querySelectorAll('#fines-list .fine-item').length === 3 && !document.getElementById('fines-list').hasAttribute('aria-busy')`, 30*time.Second))
		var plates []string
		capo.evalInto(`[...document.querySelectorAll('#fines-list .row strong')].map((e) => e.textContent)`, &plates)
		// The two issued in the same second come in id order, either way.
		if got := strings.Join(plates, " "); got != "AB123XY AB123CD AB123CE" && got != "AB123CD AB123XY AB123CE" {
			t.Errorf("ab123 finds %v, want AB123XY and AB123CD issued an hour ago, then AB123CE imported from yesterday (newest first)", plates)
		}
		shots.take(capo, fmt.Sprintf("office-search-%d", width))
		if width == phoneW {
			capo.audit("office search")
			capo.do("back to the journey's width", narrow)
		}
		// Each width corrects its own fine, so each trail starts fresh.
		plate = map[bool]string{false: "AB123XY", true: "AB123CD"}[again]
		report = capo.eval(`[...document.querySelectorAll('#fines-list .row-main')].find((r) => r.querySelector('strong').textContent === '` + plate + `').querySelector('.muted').textContent`)
		capo.do("search the report number", chromedp.SetValue(chromedp.ID("fines-q"), report), chromedp.Tap(chromedp.ID("fines-search")),
			until(`document.querySelectorAll('#fines-list .fine-item').length === 1`, 30*time.Second))
		capo.expectText("#fines-list", plate)
		capo.do("search what does not exist", chromedp.SetValue(chromedp.ID("fines-q"), "QQ"), chromedp.Tap(chromedp.ID("fines-search")),
			chromedp.WaitVisible(chromedp.ID("fines-empty")))
		capo.expectText("#fines-empty", "Nessun verbale con «QQ»")
	})

	step("correct a plate, see the audit trail", func(t *testing.T) {
		capo.do("find the fine", chromedp.SetValue(chromedp.ID("fines-q"), report), chromedp.Tap(chromedp.ID("fines-search")),
			until(`document.querySelectorAll('#fines-list .fine-item').length === 1`, 30*time.Second),
			chromedp.Tap(chromedp.CSS(`#fines-list .row`)), chromedp.WaitVisible(chromedp.ID("correct-btn")))
		newPlate := fmt.Sprintf("AB%03dXZ", width)
		capo.do("correct the plate",
			chromedp.Tap(chromedp.ID("correct-btn")), chromedp.WaitVisible(chromedp.ID("correct-form")),
			chromedp.SetValue(chromedp.ID("correct-plate"), newPlate),
			chromedp.SendKeys(chromedp.ID("correct-reason"), "targa trascritta male"),
			chromedp.Tap(chromedp.ID("correct-submit")),
			chromedp.WaitVisible(chromedp.ID("fine-corrections")),
			chromedp.WaitVisible(chromedp.CSS(`#fine-history[data-loaded="2"]`)))
		capo.expectText("#fine-detail-status", "Correzione salvata.")
		capo.expectText("#fine-corrections", "Targa: "+plate+" → "+newPlate)
		capo.expectText("#fine-corrections", "Motivo: targa trascritta male")
		capo.expectText("#fine-history", "Emesso e contestato subito da vigile")
		capo.expectText("#fine-history", "Corretto: targa da capo")
		shots.take(capo, fmt.Sprintf("office-fine-story-%d", width))
		if width == phoneW {
			capo.audit("office fine story")
		}
		// Back to the first fine: the test's next searches use it again.
		capo.do("correct it back", narrow,
			chromedp.Tap(chromedp.ID("correct-btn")), chromedp.WaitVisible(chromedp.ID("correct-form")),
			chromedp.SetValue(chromedp.ID("correct-plate"), plate),
			chromedp.SendKeys(chromedp.ID("correct-reason"), "ripristino"),
			chromedp.Tap(chromedp.ID("correct-submit")),
			chromedp.WaitVisible(chromedp.CSS(`#fine-history[data-loaded="3"]`)))
	})

	step("print two notices as one PDF", func(t *testing.T) {
		capo.do("list and select two", chromedp.Tap(chromedp.ID("detail-back")),
			chromedp.WaitVisible(chromedp.CSS(`#fines[data-loaded]`)),
			chromedp.SetValue(chromedp.ID("fines-q"), "ab123"), chromedp.Tap(chromedp.ID("fines-search")),
			until(`document.querySelectorAll('#fines-list .fine-item').length === 3`, 30*time.Second),
			chromedp.Tap(chromedp.CSS(`#fines-list .fine-item:nth-child(2) .pick`)),
			chromedp.Tap(chromedp.CSS(`#fines-list .fine-item:nth-child(3) .pick`)),
			chromedp.WaitVisible(chromedp.ID("batch-bar")))
		capo.expectText("#batch-count", "2 verbali selezionati")
		// With no pop-up window (a blocker, or this headless test), the app
		// downloads the PDF instead: the test reads that file.
		dir := t.TempDir()
		capo.eval(`(() => { window.open = () => null; return ''; })()`)
		capo.do("print", allowDownloads(dir), chromedp.Tap(chromedp.ID("batch-print")),
			untilEvery(`(document.getElementById('batch-status') || {}).textContent.includes('PDF pronto')`, 60*time.Second))
		capo.expectText("#batch-status", "PDF pronto: 2 avvisi, uno per pagina.")
		pdf := waitDownload(t, dir, "avvisi.pdf")
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("the batch download is not a PDF: %.40q", pdf)
		}
		if n := pdfPages(t, pdf); n != 2 {
			t.Errorf("the batch PDF has %d pages, want 2", n)
		}
		shots.take(capo, fmt.Sprintf("office-batch-%d", width))
	})

	step("the position goes beside the place, not into it", func(t *testing.T) {
		capo.do("open a new fine", chromedp.Tap(chromedp.ID("tab-issue")), chromedp.WaitVisible(chromedp.ID("fine-plate")),
			geolocation(e.public, 45.464211, 9.191383),
			chromedp.Tap(chromedp.ID("fine-locate")), chromedp.WaitVisible(chromedp.ID("fine-coords")))
		capo.expectText("#fine-coords", "45.46421, 9.19138")
		capo.expectText("#fine-locate-status", "Scrivi la via nel campo Luogo.")
		if place := capo.eval(`document.getElementById('fine-place').value`); place != "" {
			t.Errorf("the place field took %q from the position, want it left for the officer to type", place)
		}
		// The offline banner floats over the bottom edge: shown, it moves
		// nothing (a tap meant for "Emetti la multa" stays on it), and the
		// page keeps room below its last button for it.
		var before, after, banner float64
		capo.evalInto(`document.getElementById('fine-submit').getBoundingClientRect().top`, &before)
		capo.evalInto(`(() => { document.getElementById('offline').hidden = false; return document.getElementById('fine-submit').getBoundingClientRect().top; })()`, &after)
		if before != after {
			t.Errorf("the offline banner moved the submit button from y=%v to y=%v", before, after)
		}
		capo.evalInto(`(() => { scrollTo(0, document.documentElement.scrollHeight);
			const b = document.getElementById('offline').getBoundingClientRect(), s = document.getElementById('fine-submit').getBoundingClientRect();
			return b.top - s.bottom; })()`, &banner)
		if banner < 0 {
			t.Errorf("scrolled to the end, the offline banner covers the submit button by %v px", -banner)
		}
		shots.take(capo, fmt.Sprintf("office-offline-%d", width))
		capo.eval(`(() => { document.getElementById('offline').hidden = navigator.onLine; scrollTo(0, 0); return ''; })()`)
	})

	step("an Italian error from the server by its field", func(t *testing.T) {
		capo.do("fill a fine with a bad plate",
			chromedp.SendKeys(chromedp.ID("fine-plate"), "ab@12"),
			// The catalogue is searched without accents: velocita finds velocità.
			chromedp.SendKeys(chromedp.ID("fine-violation"), "velocita da 10"),
			chromedp.WaitVisible(chromedp.CSS(`#fine-violation-list [data-code="142-8"]`)),
			chromedp.Tap(chromedp.CSS(`#fine-violation-list [data-code="142-8"]`)),
			chromedp.SendKeys(chromedp.ID("fine-place"), "Via Torino 12"),
			chromedp.Tap(chromedp.ID("fine-submit")),
			chromedp.WaitVisible(chromedp.ID("fine-plate-error")))
		capo.expectText("#fine-plate-error", "una targa ha solo lettere e cifre")
		capo.expectText("#fine-status", "Alcuni campi non sono validi.")
		if f := capo.eval(`document.activeElement.id`); f != "fine-plate" {
			t.Errorf("focus is on #%s, want the plate that the server refused", f)
		}
		var top float64
		capo.evalInto(`document.getElementById('fine-plate').getBoundingClientRect().top`, &top)
		if top < 0 || top > phoneH {
			t.Errorf("the refused plate is at y=%v, off screen", top)
		}
		shots.take(capo, fmt.Sprintf("office-field-error-%d", width))
	})
}

// geolocation grants the page at origin the position lat, lon (± 12 m).
func geolocation(origin string, lat, lon float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: origin}); err != nil {
			return err
		}
		acc := 12.0
		_, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
		return err
	})
}

// allowDownloads saves the tab's downloads into dir.
func allowDownloads(dir string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	})
}

// waitDownload waits for a finished download named name in dir.
func waitDownload(t *testing.T, dir, name string) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) > 0 {
			return b
		}
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("no download %s in 30 s (the folder holds %v)", name, entries)
	return nil
}

// pdfPages counts a PDF's pages with poppler's pdfinfo when installed,
// else by its page objects.
func pdfPages(t *testing.T, pdf []byte) int {
	if _, err := exec.LookPath("pdfinfo"); err == nil {
		cmd := exec.Command("pdfinfo", "-")
		cmd.Stdin = bytes.NewReader(pdf)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdfinfo: %v", err)
		}
		if m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			return n
		}
	}
	return len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
}

// untilEvery is until with a timer instead of animation frames, which a
// tab stops drawing while a download or a window takes the foreground.
func untilEvery(js string, d time.Duration) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return chromedp.Void{}, err
	}
}

// officeShooter writes this journey's screens (office-*.png) next to the
// main journey's, without clearing those (as newShooter would).
type officeShooter struct{ s *shooter }

func newOfficeShooter(e *env) *officeShooter {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = e.root.ArtifactDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		e.root.Fatal(err)
	}
	return &officeShooter{&shooter{e: e, dir: dir}}
}

// take also checks that the screen fits the phone: no sideways scrolling.
func (o *officeShooter) take(b *tab, name string) {
	t := o.s.e.t
	t.Helper()
	var w [2]int
	b.evalInto(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`, &w)
	if w[0] > w[1] {
		t.Errorf("%s: the page is %d px wide on a %d px screen", name, w[0], w[1])
	}
	o.s.take(b, name)
}
