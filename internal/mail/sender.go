// Package mail delivers the outbox: it renders each queued message with the Renderer it is
// given (views/email's, passed in by the composition root) and sends it through SMTP (go-mail)
// or into .eml files, retrying with backoff until it is delivered.
package mail

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Defaults of the Sender's tuning fields.
const (
	DefaultPollInterval   = 2 * time.Second
	DefaultBatchSize      = 20
	DefaultRetryBase      = 5 * time.Second
	DefaultRetryMax       = 10 * time.Minute
	DefaultPermanentRetry = 24 * time.Hour
	DefaultSendTimeout    = time.Minute
	DefaultLease          = 5 * time.Minute
	maxReasonLength       = 500
	markTimeout           = 10 * time.Second
)

// Renderer turns an outbox message's template and data into the email to send. An error means
// retrying will not help soon (an unknown template, bad data).
type Renderer interface {
	Render(template string, data []byte) (core.RenderedMail, error)
}

// RenderFunc adapts a function, such as views/email's Render, to a Renderer.
type RenderFunc func(template string, data []byte) (core.RenderedMail, error)

// Render calls f.
func (f RenderFunc) Render(template string, data []byte) (core.RenderedMail, error) {
	return f(template, data)
}

// Sender delivers due outbox messages. Build it with NewSender, adjust the exported fields if
// needed, then call Run once; Wake may be called from any goroutine.
type Sender struct {
	// PollInterval is how often the outbox is checked when nobody calls Wake.
	PollInterval time.Duration
	// BatchSize is how many due messages are taken per query.
	BatchSize int
	// RetryBase is the delay after the first failure; each further failure doubles it, up to
	// RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
	// PermanentRetry is the delay after a failure retrying cannot fix soon: a message whose
	// template does not render, an invalid address. It is retried after that long (the cause
	// may be fixed by a new version) but does not hold up the queue.
	PermanentRetry time.Duration
	// SendTimeout bounds one delivery attempt; Run lowers it to a quarter of Lease if that is
	// less.
	SendTimeout time.Duration
	// Lease is how long the messages the sender takes stay its own where several instances
	// send from one outbox (core.Outbox.ClaimDue): another instance takes a message only after
	// its lease, so one that the sender died with goes out that much later. An attempt starts
	// only while its claim outlasts SendTimeout and the recording of the outcome, so that no
	// other instance can take the message during the attempt.
	Lease time.Duration

	outbox    core.Outbox
	renderer  Renderer
	transport Transport
	from      string
	logger    *slog.Logger
	wake      chan struct{}
}

// NewSender returns a Sender that takes messages from outbox, renders them with renderer and
// delivers them through transport with the given From address (empty: the transport's own
// default). A nil logger discards logs.
func NewSender(outbox core.Outbox, renderer Renderer, transport Transport, from string, logger *slog.Logger) *Sender {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		PollInterval:   DefaultPollInterval,
		BatchSize:      DefaultBatchSize,
		RetryBase:      DefaultRetryBase,
		RetryMax:       DefaultRetryMax,
		PermanentRetry: DefaultPermanentRetry,
		SendTimeout:    DefaultSendTimeout,
		Lease:          DefaultLease,
		outbox:         outbox,
		renderer:       renderer,
		transport:      transport,
		from:           from,
		logger:         logger,
		wake:           make(chan struct{}, 1),
	}
}

// Wake makes Run look at the outbox now instead of at the next poll; call it after enqueuing
// a message. It never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Backoff is the delay before the next attempt of a message that has failed attempts times
// before the current failure: RetryBase, then doubling, never more than RetryMax.
func (s *Sender) Backoff(attempts int) time.Duration {
	d := s.RetryBase
	for range max(attempts, 0) {
		if d >= s.RetryMax {
			break
		}
		d *= 2
	}
	return min(d, s.RetryMax)
}

// Run delivers due messages until ctx is done: at start, every PollInterval and on Wake.
// Errors are logged and retried, never returned; Run returns when ctx is done. Call it once,
// after setting the exported fields.
func (s *Sender) Run(ctx context.Context) {
	if s.PollInterval <= 0 {
		s.PollInterval = DefaultPollInterval
	}
	if s.BatchSize <= 0 {
		s.BatchSize = DefaultBatchSize
	}
	if s.Lease <= 0 {
		s.Lease = DefaultLease
	}
	s.SendTimeout = min(s.SendTimeout, s.Lease/4)
	s.logger.Info("mail sender started", "transport", s.transport.Describe())
	defer s.logger.Info("mail sender stopped")
	ticker := time.NewTicker(s.PollInterval)
	defer ticker.Stop()
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.wake:
		}
	}
}

// drain sends batches until the outbox has nothing due or something goes wrong with it.
func (s *Sender) drain(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := s.outbox.ClaimDue(ctx, time.Now(), s.Lease, s.BatchSize)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Error("mail outbox: read due messages", "err", err)
			}
			return
		}
		full := len(msgs) == s.BatchSize
		for _, m := range msgs {
			if ctx.Err() != nil {
				return
			}
			if !m.ClaimedUntil.IsZero() && time.Until(m.ClaimedUntil) < s.SendTimeout+markTimeout {
				// Slow attempts have used up the batch's claim: another instance could take
				// this message while it is attempted here. Leave it, and the rest of the
				// batch, to whichever instance claims them once the lease ends.
				s.logger.Warn("mail: claim too short for another attempt; leaving the rest of the batch", "outbox_id", m.ID)
				full = true
				break
			}
			if !s.deliver(ctx, m) {
				// The outbox did not record the outcome: querying again would return the
				// same message at once. Wait for the next poll.
				return
			}
		}
		if !full {
			return
		}
	}
}

// deliver renders and sends one message and records the outcome; it reports whether the
// outcome was recorded.
func (s *Sender) deliver(ctx context.Context, m core.OutboxMessage) bool {
	log := s.logger.With("outbox_id", m.ID, "template", m.Template, "to_domain", recipientDomain(m.To), "attempt", m.Attempts+1)
	rendered, err := s.renderer.Render(m.Template, m.Data)
	if err != nil {
		log.Error("mail: render failed", "err", err)
		return s.fail(ctx, log, m, err, s.PermanentRetry)
	}
	// The message is marked sent the moment the server accepts it (Envelope.Accepted), before
	// the transport ends the SMTP session, and not after a batch: the only way to send it
	// twice is to die between the server's acceptance and the mark's commit. The mark is
	// recorded even if we are shutting down, or the message would go out again.
	var marked, markFailed bool
	accepted := func() {
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		defer cancel()
		if err := s.outbox.MarkSent(markCtx, m.ID, time.Now()); err != nil {
			log.Error("mail: sent but not marked as sent; it may be sent again", "err", err)
			markFailed = true
			return
		}
		marked = true
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.SendTimeout)
	err = s.transport.Send(sendCtx, Envelope{To: m.To, From: s.from, ID: m.ID, Created: m.CreatedAt, Accepted: accepted}, rendered)
	cancel()
	switch {
	case marked:
		log.Info("mail sent")
		return true
	case markFailed:
		return false
	case err == nil:
		// A transport that does not report acceptance: the message is out now.
		accepted()
		if marked {
			log.Info("mail sent")
		}
		return marked
	}
	if ctx.Err() != nil {
		// Shutting down: the message stays due and goes out after the restart.
		return false
	}
	delay := s.Backoff(m.Attempts)
	if perr := (permanentError{}); errors.As(err, &perr) {
		delay = s.PermanentRetry
	}
	log.Warn("mail: send failed", "err", redact(err, m.To), "retry_in", delay)
	return s.fail(ctx, log, m, err, delay)
}

func (s *Sender) fail(ctx context.Context, log *slog.Logger, m core.OutboxMessage, cause error, delay time.Duration) bool {
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := s.outbox.MarkFailed(markCtx, m.ID, reason(cause), time.Now().Add(delay)); err != nil {
		log.Error("mail: failed attempt not recorded", "err", err)
		return false
	}
	return true
}

// recipientDomain is the part of an address logs may show.
func recipientDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return "(invalid)"
	}
	return addr[i+1:]
}

// redact keeps the recipient's address out of logs: SMTP errors often quote it.
func redact(err error, to string) string {
	s := err.Error()
	if to != "" {
		s = strings.ReplaceAll(s, to, "<recipient>")
	}
	return s
}

// reason is what is stored as the message's last error: one line, bounded.
func reason(err error) string {
	r := strings.Join(strings.Fields(err.Error()), " ")
	if len(r) > maxReasonLength {
		r = r[:maxReasonLength]
		for !utf8.ValidString(r) {
			r = r[:len(r)-1]
		}
	}
	return r
}
