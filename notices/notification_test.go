package notices_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

func TestPerfected(t *testing.T) {
	plain := notices.NotificationRules{Calendar: milan}
	moving := notices.NotificationRules{Calendar: milan, MoveDepositTenthDay: true}
	tests := []struct {
		name  string
		rules notices.NotificationRules
		d     notices.Delivery
		want  notices.Date
	}{
		{"on the spot", plain, notices.Delivery{Outcome: notices.OutcomeOnTheSpot, On: day(2026, time.March, 10)}, day(2026, time.March, 10)},
		{"post delivered", plain, notices.Delivery{Outcome: notices.OutcomePostDelivered, On: day(2026, time.March, 10)}, day(2026, time.March, 10)},
		{"post refused", plain, notices.Delivery{Outcome: notices.OutcomePostRefused, On: day(2026, time.March, 11)}, day(2026, time.March, 11)},
		{"deposit: 10 days after the CAD", plain,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.March, 2)}, day(2026, time.March, 12)},
		{"deposit collected earlier", plain,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.March, 2), CollectedOn: day(2026, time.March, 5)}, day(2026, time.March, 5)},
		{"deposit collected later: compiuta giacenza came first", plain,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.March, 2), CollectedOn: day(2026, time.March, 20)}, day(2026, time.March, 12)},
		{"deposit 10th day on a Saturday stays", plain,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.March, 4)}, day(2026, time.March, 14)},
		{"deposit 10th day on a Saturday moves when set", moving,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.March, 4)}, day(2026, time.March, 16)},
		{"deposit 10th day on Liberation Day (a Saturday) moves past Sunday", moving,
			notices.Delivery{Outcome: notices.OutcomePostDeposited, On: day(2026, time.April, 15)}, day(2026, time.April, 27)},
		{"PEC delivery receipt", plain, notices.Delivery{Outcome: notices.OutcomePECDelivered, On: day(2026, time.June, 1)}, day(2026, time.June, 1)},
		{"SEND digital by day", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.May, 4), At: rome(2026, time.May, 4, 10, 0, 0)}, day(2026, time.May, 11)},
		{"SEND digital at 20:59", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.May, 4), At: rome(2026, time.May, 4, 20, 59, 0)}, day(2026, time.May, 11)},
		{"SEND digital after 21:00 counts from the next day", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.May, 4), At: rome(2026, time.May, 4, 21, 30, 0)}, day(2026, time.May, 12)},
		{"SEND digital after 21:00 Rome given in UTC, before the DST change", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.March, 28), At: time.Date(2026, time.March, 28, 20, 30, 0, 0, time.UTC)}, day(2026, time.April, 5)},
		{"SEND digital 20:59 Rome given in UTC, summer time", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.June, 10), At: time.Date(2026, time.June, 10, 18, 59, 0, 0, time.UTC)}, day(2026, time.June, 17)},
		{"SEND digital opened earlier", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.May, 4), At: rome(2026, time.May, 4, 10, 0, 0), AccessedOn: day(2026, time.May, 6)}, day(2026, time.May, 6)},
		{"SEND digital opened later", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDDigital, On: day(2026, time.May, 4), AccessedOn: day(2026, time.May, 20)}, day(2026, time.May, 11)},
		{"SEND undeliverable: 15 days after the notice is filed", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDUndeliverable, On: day(2026, time.May, 4)}, day(2026, time.May, 19)},
		{"SEND paper: 10 days after the paper notice", plain,
			notices.Delivery{Outcome: notices.OutcomeSENDPaper, On: day(2026, time.May, 4)}, day(2026, time.May, 14)},
		{"failed: not perfected", plain, notices.Delivery{Outcome: notices.OutcomeFailed, On: day(2026, time.May, 4)}, notices.Date{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rules.Perfected(tt.d)
			if err != nil {
				t.Fatalf("Perfected() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Perfected() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPerfectedRefusesBadEvidence(t *testing.T) {
	r := notices.NotificationRules{Calendar: milan}
	for name, d := range map[string]notices.Delivery{
		"no day":                  {Outcome: notices.OutcomePostDelivered},
		"unknown outcome":         {Outcome: "pigeon", On: day(2026, time.May, 4)},
		"collected before notice": {Outcome: notices.OutcomePostDeposited, On: day(2026, time.May, 4), CollectedOn: day(2026, time.May, 1)},
		"access years later":      {Outcome: notices.OutcomeSENDPaper, On: day(2026, time.May, 4), AccessedOn: day(2028, time.May, 4)},
	} {
		if _, err := r.Perfected(d); notices.ErrorCode(err) != notices.EValidation {
			t.Errorf("%s: error = %v, want %s", name, err, notices.EValidation)
		}
	}
}

func TestTermsFrom(t *testing.T) {
	reducible := notices.Violation{Code: "7-15", Reducible: true}
	notReducible := notices.Violation{Code: "142-9"}
	tests := []struct {
		name      string
		perfected notices.Date
		v         notices.Violation
		abroad    bool
		want      notices.Terms
	}{
		{"July: the judge's term skips August and a Saturday last day", day(2026, time.July, 20), reducible, false, notices.Terms{
			Reduced:  day(2026, time.July, 25), // a Saturday: payment terms do not move
			Minimum:  day(2026, time.September, 18),
			Prefetto: day(2026, time.September, 18), GiudiceDiPace: day(2026, time.September, 21),
			DriverIdentification: day(2026, time.September, 18),
		}},
		{"July, resident abroad: 60 days for the judge", day(2026, time.July, 20), reducible, true, notices.Terms{
			Reduced: day(2026, time.July, 25), Minimum: day(2026, time.September, 18),
			Prefetto: day(2026, time.September, 18), GiudiceDiPace: day(2026, time.October, 19),
			DriverIdentification: day(2026, time.September, 18),
		}},
		{"perfected in August: the judge's term starts on 1 September", day(2026, time.August, 7), notReducible, false, notices.Terms{
			Minimum: day(2026, time.October, 6), Prefetto: day(2026, time.October, 6),
			GiudiceDiPace: day(2026, time.September, 30), DriverIdentification: day(2026, time.October, 6),
		}},
		{"November: Sunday, patron day and Immacolata push the judge's term", day(2026, time.November, 6), reducible, false, notices.Terms{
			Reduced: day(2026, time.November, 11), Minimum: day(2027, time.January, 5),
			Prefetto: day(2027, time.January, 5), GiudiceDiPace: day(2026, time.December, 9),
			DriverIdentification: day(2027, time.January, 5),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := milan.TermsFrom(tt.perfected, tt.v, tt.abroad); got != tt.want {
				t.Errorf("TermsFrom(%s) =\n %+v, want\n %+v", tt.perfected, got, tt.want)
			}
		})
	}
}

func TestNotificationDue(t *testing.T) {
	violation := day(2026, time.March, 2)
	tests := []struct {
		name       string
		identified notices.Date
		party      notices.Party
		want       notices.Date
	}{
		{"resident: 90 days, a Sunday moves to Monday", notices.Date{}, notices.PartyResident, day(2026, time.June, 1)},
		{"abroad: 360 days", notices.Date{}, notices.PartyAbroad, day(2027, time.February, 25)},
		{"jointly liable after contestation on the spot: 100 days", notices.Date{}, notices.PartyJointlyLiable, day(2026, time.June, 10)},
		{"owner identified later: from that day", day(2026, time.April, 1), notices.PartyResident, day(2026, time.June, 30)},
		{"an earlier identification day does not shorten the term", day(2026, time.February, 1), notices.PartyResident, day(2026, time.June, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := milan.NotificationDue(violation, tt.identified, tt.party); got != tt.want {
				t.Errorf("NotificationDue() = %s, want %s", got, tt.want)
			}
		})
	}
	if milan.NotifiedLate(violation, notices.Date{}, day(2026, time.June, 1), notices.PartyResident) {
		t.Error("sent on the last day: flagged late")
	}
	if !milan.NotifiedLate(violation, notices.Date{}, day(2026, time.June, 2), notices.PartyResident) {
		t.Error("sent the day after the last day: not flagged late")
	}
}
