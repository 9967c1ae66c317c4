package testkit

import (
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// Milan are the settings of the city the tests play: a real creditor
// fiscal code, segregation code 01, the default fees, and Sant'Ambrogio
// (7 December) as the patron's day that the payment calendar skips.
var Milan = notices.Settings{
	Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
	Segregation: "01",
	Fees:        notices.DefaultFees,
	Calendar:    notices.Calendar{PatronMonth: time.December, PatronDay: 7},
}

// CheapArgon keeps password hashing fast in tests; production uses
// auth.DefaultParams.
var CheapArgon = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password is the password of every user NewServer creates.
const Password = "correct horse battery"
