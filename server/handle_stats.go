package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

// defaultStatsDays is the range of /stats when none is given: the last
// thirty days, today included.
const defaultStatsDays = 30

// stats answers GET /api/v1/stats?from=&to=: payments of the range by day,
// hour and weekday (Monday first) and stage, plus what the unpaid fines
// would bring in if paid today. Errors: invalid_date (400) for a bad day,
// a range that ends before it starts or spans more than 366 days.
func (s *Server) stats(c *fiber.Ctx) error {
	today := s.today()
	from, err := dateQuery(c, "from")
	if err != nil {
		return err
	}
	to, err := dateQuery(c, "to")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = today
		if !from.IsZero() && from.After(today) {
			to = from // a range in the future is empty, not an error
		}
	}
	if from.IsZero() {
		from = to.AddDays(1 - defaultStatsDays)
	}
	st, err := notices.NewStats(from, to)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	// Payments come from per-hour tallies the store keeps with every
	// receipt (notices.TallyStore): a year of a big city's payments is a
	// few thousand records, not a million receipts.
	if err := s.cfg.Store.PaymentTallies(ctx, from, to, st.AddHourTally); err != nil {
		return err
	}
	// The store keeps the outstanding figures as tallies updated with
	// every fine (notices.TallyStore): a big city's millions of unpaid
	// fines are not read per call.
	if st.Outstanding, err = s.cfg.Store.OutstandingOn(ctx, today); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(st)
}

// dateQuery reads an optional YYYY-MM-DD query parameter; empty is the
// zero date. Errors: invalid_date.
func dateQuery(c *fiber.Ctx, name string) (notices.Date, error) {
	v := c.Query(name)
	if v == "" {
		return notices.Date{}, nil
	}
	d, err := notices.ParseDate(v)
	if err != nil {
		return notices.Date{}, notices.Errorf(notices.EInvalidDate, "%s must be a date in the form YYYY-MM-DD", name)
	}
	return d, nil
}
