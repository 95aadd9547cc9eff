package core

import "context"

// SubmissionLedger remembers which create forms have already been submitted, so that the same
// form posted again (a reload of the one-time page, Back then Forward) never mints a second
// token. Each create form carries a random key; the ledger keeps only the key's SHA-256, in
// the database, so that every server on the same data sees the same answer.
type SubmissionLedger interface {
	// ClaimSubmission records key as used and reports whether this is its first use.
	ClaimSubmission(ctx context.Context, key string) (bool, error)
	// ReleaseSubmission forgets key again, for a submission that created nothing (a
	// validation error), so the same form may be corrected and sent.
	ReleaseSubmission(ctx context.Context, key string) error
}
