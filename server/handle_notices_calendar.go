package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// calendarText holds the words of a deadline event, by language.
var calendarText = map[string]struct {
	summary map[notices.Stage]string
	body    string
	alarm   string
}{
	"it": {
		summary: map[notices.Stage]string{
			notices.StageReduced: "Multa: ultimo giorno per pagare %s (sconto 30%%)",
			notices.StageMinimum: "Multa: ultimo giorno per pagare %s (importo ridotto)",
		},
		body:  "Avviso %s di %s. Dopo questo giorno l'importo sale a %s. Paga qui: %s",
		alarm: "Domani scade l'importo di %s per la multa %s",
	},
	"en": {
		summary: map[notices.Stage]string{
			notices.StageReduced: "Fine: last day to pay %s (30%% discount)",
			notices.StageMinimum: "Fine: last day to pay %s (minimum amount)",
		},
		body:  "Notice %s from %s. After this day the amount rises to %s. Pay here: %s",
		alarm: "Tomorrow is the last day to pay %s for fine %s",
	},
}

// noticeDeadlines answers an iCalendar file (RFC 5545) with one all-day
// event for each deadline still ahead (the 30% discount, the minimum),
// each with a reminder the day before and the notice's link inside, so a
// driver who cannot pay now does not miss the cheaper amounts.
func (s *Server) noticeDeadlines(c *fiber.Ctx) error {
	nav, err := notices.ParseNAV(c.Params("nav"))
	if err != nil {
		return err
	}
	f, err := s.cfg.Store.FineByNAV(c.UserContext(), nav)
	if err != nil {
		return err
	}
	if err := f.Payable(); err != nil {
		return err
	}
	lang := c.Query("lang", "it")
	if _, ok := calendarText[lang]; !ok {
		lang = "en" // a driver from abroad reads English better than Italian
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="multa-%s.ics"`, nav))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(s.deadlinesICS(&f, nav, lang))
}

func (s *Server) deadlinesICS(f *notices.Fine, nav notices.NAV, lang string) string {
	words := calendarText[lang]
	today := s.today()
	link := qr.LinkURL(s.cfg.PublicURL, nav)
	stamp := s.cfg.Now().UTC().Format("20060102T150405Z")
	var b icsWriter
	b.line("BEGIN:VCALENDAR")
	b.line("VERSION:2.0")
	b.line("PRODID:-//Multa//Scadenze multe//" + strings.ToUpper(lang))
	b.line("CALSCALE:GREGORIAN")
	b.line("METHOD:PUBLISH")
	steps := s.cfg.Settings.Calendar.Schedule(f)
	for i, st := range steps {
		if st.Until.IsZero() || st.Until.Before(today) || i+1 >= len(steps) {
			continue
		}
		amount, next := calendarMoney(lang, st.Cents), calendarMoney(lang, steps[i+1].Cents)
		b.line("BEGIN:VEVENT")
		b.line(fmt.Sprintf("UID:%s-%s@multa", nav, st.Stage))
		b.line("DTSTAMP:" + stamp)
		b.line("DTSTART;VALUE=DATE:" + icsDate(st.Until))
		b.line("DTEND;VALUE=DATE:" + icsDate(st.Until.AddDays(1)))
		b.line("SUMMARY:" + icsEscape(fmt.Sprintf(words.summary[st.Stage], amount)))
		b.line("DESCRIPTION:" + icsEscape(fmt.Sprintf(words.body, nav, s.cfg.Settings.Creditor.Name, next, link)))
		b.line("URL:" + link)
		b.line("TRANSP:TRANSPARENT")
		b.line("BEGIN:VALARM")
		b.line("ACTION:DISPLAY")
		b.line("TRIGGER:-PT15H") // 09:00 the day before an all-day event
		b.line("DESCRIPTION:" + icsEscape(fmt.Sprintf(words.alarm, amount, f.ReportNumber)))
		b.line("END:VALARM")
		b.line("END:VEVENT")
	}
	b.line("END:VCALENDAR")
	return b.String()
}

// calendarMoney writes an amount as the reader's language does.
func calendarMoney(lang string, cents int64) string {
	if lang == "en" {
		return fmt.Sprintf("€%d.%02d", cents/100, cents%100)
	}
	return qr.Euro(cents)
}

func icsDate(d notices.Date) string {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format("20060102")
}

// icsEscape escapes a TEXT value (RFC 5545 §3.3.11).
func icsEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", "").Replace(s)
}

// icsWriter writes content lines ending in CRLF, folded at 75 octets
// without splitting a UTF-8 character (RFC 5545 §3.1).
type icsWriter struct{ strings.Builder }

func (w *icsWriter) line(s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 { // inside a multi-byte character
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space of a continuation counts
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}
