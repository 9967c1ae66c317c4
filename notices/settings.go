package notices

// Fees are the default notification fees (spese di accertamento e
// notifica) per channel, in cents; an operator may override them.
type Fees struct {
	Post int64
	PEC  int64
	Hand int64
	// SEND is what a SEND notification costs the recipient: the
	// platform's fee plus the sender's.
	SEND int64
	// SENDPaper is the postage with VAT added when SEND delivers on paper.
	SENDPaper int64
}

// DefaultFees are Multa's defaults: €13.00 by post, €3.00 by PEC, none by
// hand; SEND €2.00 (€1 platform + €1 sender), plus €11.95 when on paper.
var DefaultFees = Fees{Post: 1300, PEC: 300, Hand: 0, SEND: 200, SENDPaper: 1195}

// For returns the default fee for a channel.
func (f Fees) For(ch Channel) int64 {
	switch ch {
	case ChannelPost:
		return f.Post
	case ChannelPEC:
		return f.PEC
	case ChannelSEND:
		return f.SEND
	}
	return f.Hand
}

// Settings are the facts of one installation: who collects, under which
// segregation code, with which fees and local holiday.
type Settings struct {
	Creditor    Creditor
	Segregation string
	Fees        Fees
	Calendar    Calendar
}
