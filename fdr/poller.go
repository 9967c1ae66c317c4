package fdr

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/multa/multa/notices"
)

// Poller imports the flows FdR 3 publishes for the creditor, on a
// schedule and on demand. It keeps no state of its own: a flow whose
// published revision (its flow time) the store already holds is skipped
// without fetching its payments, so a restart, or a sync that failed half
// way, resumes where it stopped and imports nothing twice.
type Poller struct {
	Client *Client
	// Known reports whether the store holds flow id with this flow time
	// (any revision, withdrawn ones included: a withdrawn flow comes back
	// only with a later revision).
	Known func(ctx context.Context, id string, flowTime time.Time) (bool, error)
	// Import stores a fetched flow as an uploaded one would be.
	Import func(ctx context.Context, f notices.SettlementFlow) error
	// Window is how far back each sync lists publications; 30 days (the
	// API's own default) when zero.
	Window time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	mu sync.Mutex // one sync at a time
}

// SyncResult says what one sync did.
type SyncResult struct {
	Listed   int      `json:"listed"`
	Known    int      `json:"known"`
	Imported []string `json:"imported"`
	// Failed names the flows that could not be fetched or imported; the
	// next sync tries them again.
	Failed []string `json:"failed"`
}

// Sync lists the published flows and imports the ones the store does not
// hold. It goes on past a flow that fails (and reports it), so that one
// bad flow does not hold back the others; a failure to list is returned.
func (p *Poller) Sync(ctx context.Context) (SyncResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now, window := time.Now, p.Window
	if p.Now != nil {
		now = p.Now
	}
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	res := SyncResult{Imported: []string{}, Failed: []string{}}
	list, err := p.Client.List(ctx, now().Add(-window))
	if err != nil {
		return res, err
	}
	res.Listed = len(list)
	var errs []error
	for _, pub := range list {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		known, err := p.Known(ctx, pub.ID, pub.FlowDate)
		if err != nil {
			return res, err
		}
		if known {
			res.Known++
			continue
		}
		f, err := p.Client.Fetch(ctx, pub)
		if err == nil {
			err = p.Import(ctx, f)
		}
		if err != nil {
			res.Failed = append(res.Failed, pub.ID)
			errs = append(errs, err)
			p.log().Warn("FdR flow not imported", "flow", pub.ID, "revision", pub.Revision, "psp", pub.PSP, "err", err)
			continue
		}
		res.Imported = append(res.Imported, pub.ID)
	}
	return res, errors.Join(errs...)
}

// Run syncs every interval until ctx ends, starting at once.
func (p *Poller) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := p.Sync(ctx)
		if err != nil {
			p.log().Error("FdR sync", "err", err, "imported", len(res.Imported), "failed", len(res.Failed))
		} else if len(res.Imported) > 0 {
			p.log().Info("FdR sync", "listed", res.Listed, "imported", len(res.Imported))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Poller) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}
