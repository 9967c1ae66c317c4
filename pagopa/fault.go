package pagopa

// Fault codes a creditor's station answers with (pagoPA SANP, "codici di
// errore dell'EC"). A refusal is HTTP 200 with outcome KO and a fault
// bean carrying one of these, never a SOAP Fault or an HTTP error.
const (
	// PAA_PAGAMENTO_SCONOSCIUTO: no notice with this number at this creditor.
	FaultUnknown = "PAA_PAGAMENTO_SCONOSCIUTO"
	// PAA_PAGAMENTO_SCADUTO: the notice can no longer be paid through pagoPA.
	FaultExpired = "PAA_PAGAMENTO_SCADUTO"
	// PAA_PAGAMENTO_ANNULLATO: the debt position was cancelled.
	FaultCancelled = "PAA_PAGAMENTO_ANNULLATO"
	// PAA_PAGAMENTO_DUPLICATO: the notice is already paid.
	FaultAlreadyPaid = "PAA_PAGAMENTO_DUPLICATO"
	// PAA_RECEIPT_DUPLICATA: this receipt was already received. Multa
	// answers OK instead (see Station.sendRT); the code is kept for clients.
	FaultReceiptDuplicate = "PAA_RECEIPT_DUPLICATA"
	// PAA_ID_DOMINIO_ERRATO: idPA (or the notice's fiscal code) is not ours.
	FaultWrongDomain = "PAA_ID_DOMINIO_ERRATO"
	// PAA_ID_INTERMEDIARIO_ERRATO: idBrokerPA is not our broker.
	FaultWrongBroker = "PAA_ID_INTERMEDIARIO_ERRATO"
	// PAA_STAZIONE_INT_ERRATA: idStation is not this station.
	FaultWrongStation = "PAA_STAZIONE_INT_ERRATA"
	// PAA_SEMANTICA: the request is malformed, unknown or inconsistent.
	FaultSemantics = "PAA_SEMANTICA"
	// PAA_SYSTEM_ERROR: the station failed; the node may retry.
	FaultSystem = "PAA_SYSTEM_ERROR"
)

// faultStrings are the fixed human texts of each code (faultString); the
// detail of one case goes into description.
var faultStrings = map[string]string{
	FaultUnknown:          "Pagamento in attesa risulta sconosciuto all'Ente Creditore.",
	FaultExpired:          "Pagamento in attesa risulta scaduto all'Ente Creditore.",
	FaultCancelled:        "Pagamento in attesa risulta annullato all'Ente Creditore.",
	FaultAlreadyPaid:      "Pagamento in attesa risulta concluso all'Ente Creditore.",
	FaultReceiptDuplicate: "La receipt è già stata ricevuta.",
	FaultWrongDomain:      "Identificativo Ente Creditore errato.",
	FaultWrongBroker:      "Identificativo intermediario errato.",
	FaultWrongStation:     "Stazione intermediario errata.",
	FaultSemantics:        "Errore semantico.",
	FaultSystem:           "Errore di sistema.",
}

// Fault is a refusal: a code of the list above and a description for the
// node's operators. It is an error so that operations can return it.
type Fault struct {
	Code        string
	Description string
}

// Error says the code and the description.
func (f *Fault) Error() string { return f.Code + ": " + f.Description }

// fault builds a Fault; the description is cut to a readable length.
func fault(code, description string) *Fault {
	return &Fault{Code: code, Description: truncate(description, 256)}
}

// bean turns a Fault into the schema's ctFaultBean, id being the station's
// creditor fiscal code (who raised it).
func (f *Fault) bean(id string) *CtFaultBean {
	s := faultStrings[f.Code]
	if s == "" {
		s = f.Code
	}
	return &CtFaultBean{FaultCode: f.Code, FaultString: s, ID: id, Description: f.Description}
}
