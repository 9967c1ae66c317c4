package qr

import (
	"strconv"
	"strings"

	"github.com/multa/multa/notices"
)

// The verbale page: the first page of an A4 notice whose fine carries a
// verbale (notices.Verbale), in the order of the ministerial model (art.
// 383 reg. CdS, model VI.1): when and where, the agents, the vehicle, the
// offender, the party jointly liable, the violation and its sanction, the
// offender's statement or why there was no contestation on the spot, then
// how to pay, how to appeal and, when the driver was not identified, the
// duty to name them. A foreign recipient also gets the fixed texts in
// English, German and French; the data stay as issued.

// VerbaleTexts are the fixed texts printed for recipients abroad, by
// language, in the order printed.
var VerbaleTexts = map[string][]string{
	"en": {
		"This is a report of a violation of the Italian Highway Code (Codice della Strada) committed with the vehicle above. Pay within 5 days of notification for the 30% discount (where allowed) or within 60 days for the minimum amount; later, half the maximum is due.",
		"Appeal: to the Prefetto within 60 days of notification, or to the Giudice di Pace within 60 days (residents abroad). Paying ends the right to appeal.",
		"If the driver was not identified, the owner must give the driver's details and licence within 60 days of notification (art. 126-bis), or a further fine follows.",
	},
	"de": {
		"Dies ist ein Protokoll über einen Verstoß gegen die italienische Straßenverkehrsordnung (Codice della Strada), begangen mit dem oben genannten Fahrzeug. Zahlen Sie innerhalb von 5 Tagen nach der Zustellung mit 30 % Ermäßigung (wo zulässig) oder innerhalb von 60 Tagen den Mindestbetrag; danach wird die Hälfte des Höchstbetrags fällig.",
		"Rechtsbehelf: beim Präfekten (Prefetto) innerhalb von 60 Tagen nach der Zustellung oder beim Friedensrichter (Giudice di Pace) innerhalb von 60 Tagen (Wohnsitz im Ausland). Mit der Zahlung erlischt das Recht auf Rechtsbehelf.",
		"Wurde der Fahrer nicht festgestellt, muss der Halter innerhalb von 60 Tagen nach der Zustellung die Daten des Fahrers und seines Führerscheins mitteilen (Art. 126-bis), sonst folgt eine weitere Geldbuße.",
	},
	"fr": {
		"Ceci est un procès-verbal d'infraction au Code de la route italien (Codice della Strada) commise avec le véhicule ci-dessus. Payez dans les 5 jours suivant la notification pour bénéficier de la réduction de 30 % (si elle est admise) ou dans les 60 jours le montant minimum ; ensuite, la moitié du maximum est due.",
		"Recours : auprès du Préfet (Prefetto) dans les 60 jours suivant la notification, ou du juge de paix (Giudice di Pace) dans les 60 jours (résidents à l'étranger). Le paiement éteint le droit de recours.",
		"Si le conducteur n'a pas été identifié, le propriétaire doit communiquer ses données et celles de son permis dans les 60 jours suivant la notification (art. 126-bis), faute de quoi une nouvelle amende est infligée.",
	},
}

// langNames head each block of foreign texts.
var langNames = map[string]string{"en": "English", "de": "Deutsch", "fr": "Français"}

// deferredReasons are the printed reasons of a deferred contestation.
var deferredReasons = map[notices.DeferredReason][2]string{
	notices.DeferredCamera:         {"accertamento con apparecchiatura omologata senza la presenza dell'agente (art. 201 c.1-bis C.d.S.)", "recorded by an approved device"},
	notices.DeferredDriverAbsent:   {"veicolo in sosta in assenza del trasgressore (art. 201 c.1-bis lett. d)", "parked vehicle, driver absent"},
	notices.DeferredStopImpossible: {"impossibilità di fermare il veicolo in sicurezza (art. 201 c.1-bis lett. a-c)", "the vehicle could not be stopped safely"},
	notices.DeferredOther:          {"altro motivo", "other reason"},
}

// vehicleTypes are notices.VehicleTypes as the verbale names them (art. 47 C.d.S.).
var vehicleTypes = map[string]string{
	"car": "autovettura", "motorcycle": "motociclo", "moped": "ciclomotore", "truck": "autocarro",
	"bus": "autobus", "trailer": "rimorchio", "other": "altro veicolo",
}

var liableRoles = map[notices.LiableRole]string{
	notices.RoleOwner: "proprietario", notices.RoleUsufructuary: "usufruttuario",
	notices.RoleBuyer: "acquirente con patto di riservato dominio", notices.RoleLessee: "locatario / utilizzatore",
}

// drawVerbale draws the verbale page.
func (n *notice) drawVerbale(p *page) {
	f, v := n.Fine, n.Fine.Verbale
	x, w := a4Margin, a4Width
	p.font("B", 16, colAccent)
	y := p.text(x, 12, 120, "L", "VERBALE DI ACCERTAMENTO")
	p.font("B", 10, colText)
	y = p.text(x, y+0.5, 120, "L", "n. "+f.ReportNumber+" – violazione al Codice della Strada")
	p.font("", 8.5, colMuted)
	left := p.text(x, y, 120, "L", "Report of a traffic violation (art. 383 reg. C.d.S., mod. VI.1)")
	right := p.creditorBlock(x, w, n.Creditor)
	y = max(left, right) + 2
	p.rule(x, y, w, colAccent, 0.6)
	y += 2

	const labelW = 50.0
	row := func(it, en, val string, lines int) {
		if val == "" {
			return
		}
		p.pair(x, y, labelW, it, en, 7.5)
		p.font("", 8.8, colText)
		y = p.wrap(x+labelW, y-0.3, w-labelW, "L", val, lines) + 0.4
		p.rule(x, y-0.2, w, colRule, 0.12)
	}
	head := func(it, en string) { y = section(p, y+1.6, it, en) }

	at := f.OccurredAt.In(notices.Rome)
	head("1. DATA, ORA E LUOGO", "When and where")
	row("Data e ora", "Date and time", at.Format("02/01/2006")+" ore "+at.Format("15:04"), 1)
	row("Luogo", "Place", f.Place, 2)

	head("2. AGENTI ACCERTATORI", "Officers")
	row("Matricole", "Badge numbers", strings.Join(v.Agents, ", "), 1)
	if len(v.Agents) == 0 {
		row("Accertatore", "Officer", f.Officer, 1)
	}

	head("3. VEICOLO", "Vehicle")
	veh := vehicleTypes[v.Vehicle.Type]
	if veh == "" {
		veh = v.Vehicle.Type
	}
	if mm := strings.TrimSpace(v.Vehicle.Make + " " + v.Vehicle.Model); mm != "" {
		veh += " – " + mm
	}
	row("Tipo, marca e modello", "Type, make, model", veh, 1)
	row("Targa e nazionalità", "Plate, country", f.Plate+" ("+country(v.Vehicle.Country)+")", 1)

	head("4. TRASGRESSORE", "Offender (driver)")
	if o := v.Offender; o != nil {
		row("Cognome e nome", "Name", o.Name, 1)
		row("Nascita", "Born", birth(o.BirthDate, o.BirthPlace), 1)
		row("Residenza", "Residence", o.Address+" ("+country(o.Country)+")", 2)
		row("Codice fiscale", "Tax code", o.FiscalCode, 1)
		lic := o.LicenceNumber
		if o.LicenceCategory != "" {
			lic += ", cat. " + o.LicenceCategory
		}
		if o.LicenceIssuedBy != "" {
			lic += ", rilasciata da " + o.LicenceIssuedBy
		}
		row("Patente di guida", "Driving licence", lic, 1)
	} else {
		row("Conducente", "Driver", "non identificato al momento dell'accertamento · not identified", 1)
	}

	head("5. OBBLIGATO IN SOLIDO (art. 196 C.d.S.)", "Party jointly liable")
	if l := v.Owner; l != nil {
		row("Titolo", "As", liableRoles[l.Role], 1)
		row("Denominazione / nome", "Name", l.Name, 1)
		if l.Kind == notices.LiablePerson {
			row("Nascita", "Born", birth(l.BirthDate, l.BirthPlace), 1)
			row("Residenza", "Residence", l.Address+" ("+country(l.Country)+")", 2)
		} else {
			row("Sede legale", "Registered office", l.Address+" ("+country(l.Country)+")", 2)
		}
		row("Codice fiscale", "Tax code", l.FiscalCode, 1)
		row("Partita IVA", "VAT number", l.VATNumber, 1)
		row("PEC", "Certified e-mail", l.PEC, 1)
	} else {
		row("Obbligato", "Party", "da identificare · to be identified", 1)
	}

	head("6. VIOLAZIONE E SANZIONE", "Violation and sanction")
	row("Norma violata", "Rule broken", n.violationIt(), 2)
	minC, maxC := f.Range()
	sanction := "da " + Euro(minC) + " a " + Euro(maxC)
	if f.IsNight() {
		sanction += " (aumentata di un terzo, ore notturne, art. 195 c.2-bis)"
	}
	row("Sanzione", "Sanction", sanction, 2)
	if f.Violation.Points > 0 {
		row("Punti patente", "Licence points", strconv.Itoa(f.Violation.Points)+" (art. 126-bis C.d.S.)", 1)
	}

	if f.Contestation == notices.ContestImmediate {
		head("7. DICHIARAZIONI DEL TRASGRESSORE", "Offender's statement")
		st := v.Statement
		if st == "" {
			st = "nessuna · none"
		}
		row("Dichiarazioni", "Statement", st, 3)
	} else {
		head("7. MANCATA CONTESTAZIONE IMMEDIATA", "Why not contested on the spot")
		r := deferredReasons[v.DeferredReason]
		reason := r[0]
		if v.DeferredNote != "" {
			reason += ": " + v.DeferredNote
		}
		row("Motivo", "Reason", reason+" · "+r[1], 3)
	}

	head("8. PAGAMENTO E RICORSO", "Payment and appeal")
	p.font("", 8.2, colText)
	pay := "Pagamento in misura ridotta (art. 202 C.d.S.) entro 60 giorni dalla contestazione o notificazione; " +
		"entro 5 giorni con lo sconto del 30%, ove ammesso. Le spese di accertamento e notifica non sono scontate. " +
		"Gli importi e i codici di pagamento sono nell'avviso pagoPA allegato."
	y = p.wrap(x, y, w, "L", pay, 3)
	appeal := "Ricorso, in alternativa al pagamento: al Prefetto entro 60 giorni (art. 203 C.d.S.) o al Giudice di Pace " +
		"entro 30 giorni (60 per i residenti all'estero; art. 204-bis C.d.S., art. 7 d.lgs. 150/2011)."
	y = p.wrap(x, y+0.4, w, "L", appeal, 3)
	if t := n.Terms; t != nil {
		p.font("B", 8.2, colText)
		line := "Notificato il " + itDate(f.NotifiedOn) + ": pagamento minimo entro il " + itDate(t.Minimum) +
			"; ricorso al Prefetto entro il " + itDate(t.Prefetto) + ", al Giudice di Pace entro il " + itDate(t.GiudiceDiPace) + "."
		y = p.wrap(x, y+0.4, w, "L", line, 2)
	}
	if f.Contestation == notices.ContestDeferred && f.Violation.Points > 0 && v.Offender == nil {
		head("9. COMUNICAZIONE DEI DATI DEL CONDUCENTE (art. 126-bis c.2)", "Naming the driver")
		p.font("", 8.2, colText)
		txt := "Il proprietario o l'obbligato in solido deve comunicare, entro 60 giorni dalla notifica, i dati personali e della " +
			"patente del conducente al momento della violazione, anche dall'app (codice avviso e codice fiscale del proprietario). " +
			"In mancanza, senza giustificato motivo, si applica la sanzione da € 291,00 a € 1.166,00."
		if t := n.Terms; t != nil {
			txt += " Termine: " + itDate(t.DriverIdentification) + "."
		}
		y = p.wrap(x, y, w, "L", txt, 4)
	}

	p.font("", 7, colMuted)
	p.text(x, 297-a4Margin-3, w, "L", "Verbale "+f.ReportNumber+" · segue l'avviso di pagamento pagoPA · the pagoPA payment notice follows")
}

// drawForeignTexts prints, on a page of its own, the fixed texts in
// English, German and French for a recipient abroad.
func (n *notice) drawForeignTexts(p *page) {
	x, w := a4Margin, a4Width
	p.font("B", 14, colAccent)
	y := p.text(x, 12, w, "L", "INFORMAZIONI PER I DESTINATARI ALL'ESTERO")
	p.font("", 9, colMuted)
	y = p.text(x, y+0.5, w, "L", "Verbale n. "+n.Fine.ReportNumber+" · "+n.Fine.Plate)
	p.rule(x, y+1.5, w, colAccent, 0.6)
	y += 3
	for _, lang := range []string{"en", "de", "fr"} {
		p.font("B", 10, colAccent)
		y = p.text(x, y+3, w, "L", langNames[lang])
		p.font("", 9, colText)
		for _, s := range VerbaleTexts[lang] {
			y = p.wrap(x, y+0.8, w, "L", s, 6)
		}
	}
}

func country(c string) string {
	if c == "" {
		return "IT"
	}
	return c
}

func birth(d notices.Date, place string) string {
	switch {
	case d.IsZero():
		return place
	case place == "":
		return itDate(d)
	}
	return itDate(d) + " a " + place
}
