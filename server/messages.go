package server

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// The API writes its messages (a problem's detail, a field's message) in
// English, the language of the code and the logs. This file is the one
// place that holds their Italian: a request whose Accept-Language prefers
// Italian gets them translated on the way out, while the code, the field
// names and the status stay the same for every language, since clients
// branch on those.

// wantsItalian reports whether the Accept-Language header ranks Italian
// above English (q-values honoured; absent q means 1; ties go to the
// first listed). Anything else, or no header, is English.
func wantsItalian(c *fiber.Ctx) bool {
	h := c.Get(fiber.HeaderAcceptLanguage)
	if h == "" {
		return false
	}
	bestIt, bestEn := -1.0, -1.0
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		q -= float64(i) * 1e-6 // earlier wins a tie
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		switch primary {
		case "it":
			bestIt = max(bestIt, q)
		case "en":
			bestEn = max(bestEn, q)
		}
	}
	return bestIt > 0 && bestIt > bestEn
}

// localizeFields returns fields with Italian messages when the request
// asks for Italian, else fields unchanged. The input is never modified.
func localizeFields(c *fiber.Ctx, fields []notices.FieldError) []notices.FieldError {
	if len(fields) == 0 || !wantsItalian(c) {
		return fields
	}
	out := make([]notices.FieldError, len(fields))
	for i, f := range fields {
		out[i] = notices.FieldError{Field: f.Field, Message: italian(f.Message, "")}
	}
	return out
}

// localizeProblem translates p's detail and field messages in place for
// a request that asks for Italian.
func localizeProblem(c *fiber.Ctx, p *Problem) {
	if !wantsItalian(c) {
		return
	}
	p.Detail = italian(p.Detail, p.Code)
	p.Errors = localizeFields(c, p.Errors)
}

// italian translates one English message: exactly, else by pattern, else
// by the problem code's general sentence; a message it does not know and
// no code to fall back on stays English rather than being lost.
func italian(msg, code string) string {
	if it, ok := itExact[msg]; ok {
		return it
	}
	for _, p := range itPatterns {
		if p.re.MatchString(msg) {
			return p.re.ReplaceAllString(msg, p.it)
		}
	}
	if it, ok := itByCode[code]; ok {
		return it
	}
	return msg
}

// itExact holds the fixed messages, English → Italian.
var itExact = map[string]string{
	// Fines: issue, import, correction.
	"Some fields are invalid.":                                                "Alcuni campi non sono validi.",
	"the time of the violation is required":                                   "l'ora della violazione è obbligatoria",
	"the violation cannot be in the future":                                   "la violazione non può essere nel futuro",
	"the violation is more than a year old":                                   "la violazione ha più di un anno",
	"the place is required, at most 200 characters":                           "il luogo è obbligatorio, al massimo 200 caratteri",
	"latitude must be between -90 and 90":                                     "la latitudine deve essere tra -90 e 90",
	"longitude must be between -180 and 180":                                  "la longitudine deve essere tra -180 e 180",
	"must be immediate or deferred":                                           "deve essere immediata o differita",
	"a plate has 2 to 10 letters and digits":                                  "una targa ha da 2 a 10 lettere e cifre",
	"a plate has only letters and digits":                                     "una targa ha solo lettere e cifre",
	"must be an RFC 3339 instant with offset, e.g. 2026-11-25T08:30:00+01:00": "deve essere data e ora con fuso, ad es. 2026-11-25T08:30:00+01:00",
	"must be dd/mm/yyyy hh:mm or an RFC 3339 instant with offset":             "deve essere gg/mm/aaaa hh:mm oppure data e ora RFC 3339 con fuso",
	"must be a number":                                                        "deve essere un numero",
	"must be a date YYYY-MM-DD":                                               "deve essere una data AAAA-MM-GG",
	"must be between 1 and 500":                                               "deve essere tra 1 e 500",
	"must be issued, notified, paid or cancelled":                             "deve essere emessa, notificata, pagata o annullata",
	"must be a4 or thermal":                                                   "deve essere a4 o thermal",
	"required":                                                                "obbligatorio",
	"unknown field":                                                           "campo sconosciuto",
	"the CSV needs a header row":                                              "il CSV deve avere una riga di intestazione",
	"a quote is not closed on this line":                                      "virgolette non chiuse su questa riga",
	"the line does not have as many fields as the header":                     "la riga non ha tanti campi quanti l'intestazione",
	"the line is too long":                                                    "la riga è troppo lunga",
	"the line is not UTF-8 text":                                              "la riga non è testo UTF-8",
	"a correction needs a reason of 1 to 500 characters":                      "una correzione richiede un motivo da 1 a 500 caratteri",
	"change at least the plate or the place":                                  "cambia almeno la targa o il luogo",
	"nothing to change: the values are the same":                              "niente da cambiare: i valori sono gli stessi",
	"a cancellation needs a reason of 1 to 500 characters":                    "un annullamento richiede un motivo da 1 a 500 caratteri",
	"channel must be hand, post or pec":                                       "il canale deve essere a mani, posta o PEC",
	"fees must be between 0 and 1000.00 euro":                                 "le spese devono essere tra 0 e 1000,00 euro",
	"notification date must be between the violation day and today":           "la data di notifica deve essere tra il giorno della violazione e oggi",
	"give 1 to 200 fine ids":                                                  "indica da 1 a 200 multe",
	"a payment token from the provider is required":                           "serve il token di pagamento del gestore",
	"the amount shown to the payer, in cents, is required":                    "serve l'importo mostrato al pagatore, in centesimi",
	"an idempotency key of 1 to 128 characters is required":                   "serve una chiave di idempotenza da 1 a 128 caratteri",
	"not a valid e-mail address":                                              "indirizzo e-mail non valido",
	"at most 20000 rows per file":                                             "al massimo 20000 righe per file",
	"not valid CSV":                                                           "CSV non valido",
	"missing column":                                                          "colonna mancante",
	"say why, in 1 to 500 characters":                                         "indica il motivo, da 1 a 500 caratteri",
	"the owner must confirm the declaration":                                  "il proprietario deve confermare la dichiarazione",
	"the signer's name is required, at most 120 characters":                   "il nome di chi firma è obbligatorio, al massimo 120 caratteri",
	"must be between 2 and 20":                                                "deve essere tra 2 e 20",
	"must be pagopa or link":                                                  "deve essere pagopa o link",
	"must be empty or it":                                                     "deve essere vuoto o it",
	"must be lift or confirm":                                                 "deve essere lift o confirm",
	// Adapter problems.
	"The body is not valid JSON.":                                   "Il corpo della richiesta non è JSON valido.",
	"The body must hold exactly one JSON object.":                   "Il corpo della richiesta deve contenere un solo oggetto JSON.",
	"Send the body as application/json.":                            "Invia il corpo come application/json.",
	"Send the detections as text/csv.":                              "Invia le rilevazioni come text/csv.",
	"Your role does not allow this.":                                "Il tuo ruolo non lo consente.",
	"Log in to use the back office.":                                "Accedi per usare l'ufficio.",
	"The access token is invalid or expired.":                       "La sessione non è valida o è scaduta.",
	"No session to refresh; log in again.":                          "Nessuna sessione da rinnovare; accedi di nuovo.",
	"Too many requests; try again shortly.":                         "Troppe richieste; riprova tra poco.",
	"Too many failed logins; try again later.":                      "Troppi accessi falliti; riprova più tardi.",
	"The request body is too large.":                                "Il corpo della richiesta è troppo grande.",
	"There is nothing at this address.":                             "Non c'è niente a questo indirizzo.",
	"An internal error occurred.":                                   "Si è verificato un errore interno.",
	"An Idempotency-Key header of 8 to 128 characters is required.": "Serve un'intestazione Idempotency-Key di 8-128 caratteri.",
	// Users.
	"This username is taken.": "Questo nome utente è già in uso.",
	"No such user.":           "Utente inesistente.",
	"This is the last enabled admin; make another user admin first.": "È l'ultimo amministratore attivo; prima rendi amministratore un altro utente.",
	"the role must be officer, supervisor, finance or admin":         "il ruolo deve essere agente, supervisore, ragioneria o amministratore",
	"username and password are required":                             "nome utente e password sono obbligatori",
	"change at least one of role, disabled and password":             "cambia almeno uno tra ruolo, stato e password",
	"give at least one of role, disabled and password":               "indica almeno uno tra ruolo, stato e password",
}

// itPatterns translate the messages that carry a value; $1… are the
// values, kept as they are.
var itPatterns = []struct {
	re *regexp.Regexp
	it string
}{
	{regexp.MustCompile(`^no violation with code (".*")$`), "nessuna violazione con codice $1"},
	{regexp.MustCompile(`^missing column (.+)$`), "manca la colonna $1"},
	{regexp.MustCompile(`^already imported as report (.+)$`), "già importata come verbale $1"},
	{regexp.MustCompile(`^fine (.+) is already paid$`), "la multa $1 è già pagata"},
	{regexp.MustCompile(`^fine (.+) was cancelled$`), "la multa $1 è stata annullata"},
	{regexp.MustCompile(`^fine (.+) was already notified on (.+)$`), "la multa $1 è già stata notificata il $2"},
	{regexp.MustCompile(`^a paid fine cannot be corrected \((.+)\)$`), "una multa pagata non si può correggere ($1)"},
	{regexp.MustCompile(`^no fine (.+)$`), "nessuna multa $1"},
	{regexp.MustCompile(`^fine (.+) was cancelled; there is no notice to print$`), "la multa $1 è stata annullata: non c'è avviso da stampare"},
	{regexp.MustCompile(`^(".*") is not a date in the form YYYY-MM-DD$`), "$1 non è una data nella forma AAAA-MM-GG"},
}

// itByCode is the general Italian sentence of each code, for a detail
// that has no translation of its own.
var itByCode = map[string]string{
	notices.EValidation:          "Alcuni campi non sono validi.",
	notices.EUnknownViolation:    "Violazione sconosciuta.",
	notices.ENotFound:            "Non trovato.",
	notices.ENoticeNotFound:      "Avviso non trovato.",
	notices.EFineNotFound:        "Multa non trovata.",
	notices.EReceiptNotFound:     "Ricevuta non trovata.",
	notices.EUserNotFound:        "Utente non trovato.",
	notices.EAlreadyPaid:         "La multa è già pagata.",
	notices.EFineCancelled:       "La multa è stata annullata.",
	notices.EInvalidTransition:   "Questa operazione non è possibile nello stato attuale della multa.",
	notices.EConflict:            "Conflitto con i dati esistenti.",
	notices.EInvalidDate:         "Data non valida.",
	notices.EInvalidNoticeNumber: "Numero avviso non valido.",
	notices.EDuplicate:           "Rilevazione già importata.",
	notices.EAmountChanged:       "L'importo dovuto è cambiato.",
	notices.EIdempotencyConflict: "La stessa chiave è stata usata per un'altra richiesta.",
	notices.EInternal:            "Si è verificato un errore interno.",
	auth.EUnauthorized:           "Accedi di nuovo.",
	codeForbidden:                "Il tuo ruolo non lo consente.",
	auth.ERateLimited:            "Troppe richieste; riprova tra poco.",
	codeBadJSON:                  "Il corpo della richiesta non è JSON valido.",
	codeBadRequest:               "Richiesta non valida.",
	codeUnsupportedMedia:         "Formato della richiesta non supportato.",
	codeTooLarge:                 "Il corpo della richiesta è troppo grande.",
}
