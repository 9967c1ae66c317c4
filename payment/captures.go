package payment

import (
	"context"
	"sync"
)

// capture takes the money of an authorization whose receipts are
// committed. A failure is logged (as failMsg, with logArgs naming the
// receipts) and leaves the receipts standing: the payer was authorised and
// the fines are settled; reconciliation reports the missing settlement
// line. With Config.CaptureInBackground it runs on its own goroutine, so
// the payer's answer does not wait for the provider's durable write.
func (s *Service) capture(ctx context.Context, authID, failMsg string, logArgs ...any) {
	run := func(ctx context.Context) {
		if err := s.cfg.Provider.Capture(ctx, authID); err != nil {
			s.cfg.Logger.Error(failMsg, append(logArgs, "auth", authID, "err", err)...)
		}
	}
	if !s.cfg.CaptureInBackground {
		run(ctx)
		return
	}
	// The request's context ends with the answer; the capture must not.
	ctx = context.WithoutCancel(ctx)
	done := s.captures.start()
	go func() {
		defer done()
		run(ctx)
	}()
}

// WaitCaptures returns once every capture started before the call has
// ended, or with ctx's error. Whoever reads the provider's state that
// captures change (a settlement flow) calls it first, so that a payment
// answered before the read is in it; the process calls it at shutdown
// before closing the provider's store. Captures started during the wait
// are not waited for, so a steady stream of payments cannot hold it.
// Without Config.CaptureInBackground there is never anything to wait for.
func (s *Service) WaitCaptures(ctx context.Context) error {
	return s.captures.wait(ctx)
}

// pendingCaptures tracks the captures running in the background, each by a
// channel closed when it ends.
type pendingCaptures struct {
	mu      sync.Mutex
	next    uint64
	running map[uint64]chan struct{}
}

// start registers a capture and returns the function that ends it.
func (p *pendingCaptures) start() (done func()) {
	ch := make(chan struct{})
	p.mu.Lock()
	if p.running == nil {
		p.running = make(map[uint64]chan struct{})
	}
	id := p.next
	p.next++
	p.running[id] = ch
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		delete(p.running, id)
		p.mu.Unlock()
		close(ch)
	}
}

// wait waits for the captures running at the call.
func (p *pendingCaptures) wait(ctx context.Context) error {
	p.mu.Lock()
	chs := make([]chan struct{}, 0, len(p.running))
	for _, ch := range p.running {
		chs = append(chs, ch)
	}
	p.mu.Unlock()
	for _, ch := range chs {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
