package server_test

import (
	"context"
	"testing"

	"github.com/multa/multa/pagopa"
)

// TestStationFollowsThePerfectionDay: the node is answered the amount of
// the day, which changes on the day a post notification is perfected by
// compiuta giacenza (not when the outcome is recorded); a fine flagged
// void for a late notification is not payable through pagoPA.
func TestStationFollowsThePerfectionDay(t *testing.T) {
	e, node := newStationEnv(t, rome("2026-09-01 10:30:00"), "")
	ctx := context.Background()
	xs := exchanges{t: t}
	fine := cameraFine(e)
	id, nav := fine["id"].(string), navs(fine)["reduced"]
	off := e.login("officer")
	v := map[string]any{"vehicle": map[string]any{"type": "car"}, "deferredReason": "camera", "owner": ownerRossi}
	e.ok(e.do("PUT", "/api/v1/fines/"+id+"/verbale", v, "Authorization", off), 200, "verbale")
	e.clock.Set(rome("2026-09-15 12:00:00"))
	off = e.login("officer")
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/notifications", map[string]any{"recipient": "owner", "channel": "post", "sentOn": "2026-09-15", "evidence": "RR 1"}, "Authorization", off), 201, "send")
	e.clock.Set(rome("2026-09-21 12:00:00"))
	off = e.login("officer")
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/notifications/1/outcome", map[string]any{"outcome": "post_deposited", "on": "2026-09-18", "evidence": "CAD 1"}, "Authorization", off), 200, "outcome")

	for _, tc := range []struct{ day, amount, due string }{
		{"2026-09-27", "173.00", "2026-10-31"}, // before perfection: the minimum, no fees
		{"2026-09-28", "134.10", "2026-10-03"}, // perfected: 121.10 + 13.00 post
		{"2026-10-05", "186.00", "2026-11-27"}, // 173.00 + 13.00
	} {
		e.clock.Set(rome(tc.day + " 12:00:00"))
		ex := xs.add(node.Verify(ctx, nav))
		wantOK(t, "verify on "+tc.day, ex)
		res, ok := ex.Response.(*pagopa.PaVerifyPaymentNoticeRes)
		if !ok || res.PaymentList == nil {
			t.Fatalf("verify on %s: %T %s", tc.day, ex.Response, ex.Raw)
		}
		if o := res.PaymentList.PaymentOptionDescription; o.Amount != tc.amount || o.DueDate != tc.due {
			t.Errorf("verify on %s: %s due %s, want %s due %s", tc.day, o.Amount, o.DueDate, tc.amount, tc.due)
		}
	}

	// A second camera fine never sent: void the day after its 90 days.
	e.clock.Set(rome("2026-09-01 10:30:00"))
	late := cameraFine(e)
	e.ok(e.do("PUT", "/api/v1/fines/"+late["id"].(string)+"/verbale", v, "Authorization", e.login("officer")), 200, "verbale")
	e.clock.Set(rome("2026-12-01 09:00:00"))
	e.ok(e.do("POST", "/api/v1/notification-terms/sweep", nil, "Authorization", e.login("super")), 200, "sweep")
	wantKO(t, "verify of a void fine", xs.add(node.Verify(ctx, navs(late)["minimum"])), pagopa.FaultCancelled)
	xs.validate(t)
}
