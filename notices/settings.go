package notices

// Fees are the default notification fees (spese di accertamento e
// notifica) per channel, in cents; an operator may override them.
type Fees struct {
	Post int64
	PEC  int64
	Hand int64
}

// DefaultFees are Multa's defaults: €13.00 by post, €3.00 by PEC, none by hand.
var DefaultFees = Fees{Post: 1300, PEC: 300, Hand: 0}

// For returns the default fee for a channel.
func (f Fees) For(ch Channel) int64 {
	switch ch {
	case ChannelPost:
		return f.Post
	case ChannelPEC:
		return f.PEC
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
