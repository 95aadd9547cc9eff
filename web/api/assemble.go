package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/bundle"
	"github.com/tokenboard/tokenboard/internal/core"
)

// What artifact bundle and debug file assembly share (docs/CI-PROTOCOL.md, sections 2 and 3):
// the states Sentry reports, the check of the chunks, and a short memory of refusals.

// Assemble states, as Sentry names them.
const (
	stateNotFound = "not_found"
	stateCreated  = "created"
	stateOK       = "ok"
	stateError    = "error"
)

// assembleResult is one file's assemble answer.
type assembleResult struct {
	State         string   `json:"state"`
	MissingChunks []string `json:"missingChunks"`
	Detail        *string  `json:"detail"`
	// Dif is the recorded debug file (difs assemble only).
	Dif *apiDif `json:"dif,omitempty"`
}

func missingResult(missing []string) assembleResult {
	return assembleResult{State: stateNotFound, MissingChunks: missing}
}

func okResult() assembleResult { return assembleResult{State: stateOK, MissingChunks: []string{}} }

func errorResult(detail string) assembleResult {
	return assembleResult{State: stateError, MissingChunks: []string{}, Detail: &detail}
}

// sha1Pattern is a chunk's or file's checksum as Sentry's schema requires it.
var sha1Pattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// assembleError answers 400 {"error": …}, as Sentry's assemble endpoints refuse a request.
func assembleError(c echo.Context, msg string) error {
	return c.JSON(http.StatusBadRequest, map[string]string{"error": msg})
}

// readAssembleBody decodes an assemble request into v, refusing unknown fields as Sentry's
// schema does (additionalProperties: false); the message is Sentry's first line.
func readAssembleBody(c echo.Context, v any, strict bool) string {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return "Invalid json body"
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return "Additional properties are not allowed (" + strings.TrimPrefix(err.Error(), "json: unknown field ") + " was unexpected)"
		}
		return "Invalid json body"
	}
	return ""
}

// refusals remembers, for a few minutes, the files whose assembly was refused, as Sentry's
// assemble status cache does: a client polling the same checksum gets the same "error"
// without the work being redone.
type refusals struct {
	mu sync.Mutex
	m  map[string]refusal
}

type refusal struct {
	detail string
	until  time.Time
}

// refusalLifetime is how long a refusal is remembered.
const refusalLifetime = 5 * time.Minute

// maxRefusals bounds the memory; a full map is emptied.
const maxRefusals = 10000

func (r *refusals) get(key string, now time.Time) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.m[key]
	if !ok || now.After(e.until) {
		return "", false
	}
	return e.detail, true
}

func (r *refusals) put(key, detail string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) >= maxRefusals {
		r.m = map[string]refusal{}
	}
	r.m[key] = refusal{detail, now.Add(refusalLifetime)}
}

// openVerified opens the file made of chunks and checks its checksum and size. missing names
// a chunk that vanished (a prune raced the upload); refused is a reason to show the client.
func (s *Endpoints) openVerified(ctx context.Context, checksum string, chunks []string) (c *bundle.Chunked, missing string, refused string, err error) {
	c, err = bundle.OpenChunks(ctx, s.svc.Blobs, chunks)
	if errors.Is(err, bundle.ErrMissingChunk) {
		// The error ends with ": <sha1>" of the chunk.
		msg := err.Error()
		return nil, msg[strings.LastIndex(msg, " ")+1:], "", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	if err := c.VerifyChecksum(checksum, s.cfg.Upload.MaxFileSize); err != nil {
		c.Close()
		var be *bundle.Error
		if errors.As(err, &be) {
			return nil, "", be.Message, nil
		}
		return nil, "", "", err
	}
	return c, "", "", nil
}

// chunkNotUploaded reports whether a store error is the "chunk has not been uploaded"
// refusal (ENOTFOUND naming a chunk): a prune raced the assembly.
func chunkNotUploaded(err error) bool {
	return core.ErrorCode(err) == core.ENOTFOUND && strings.HasPrefix(core.ErrorMessage(err), "Chunk ")
}
