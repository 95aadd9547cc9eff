package api

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/chunkupload"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Sentry's chunked upload (docs/CI-PROTOCOL.md, section 1): sentry-cli asks for the upload
// options, then posts batches of chunks named by their SHA-1, which are streamed into the
// blob store, checked and deduplicated.

// chunkUploadRoute is the route of the chunk batches: the one route with its own body limit.
const chunkUploadRoute = "/api/0/organizations/:org/chunk-upload/"

// multipartSlack is room for the multipart framing above the advertised request size.
const multipartSlack = 1 << 20

// chunkReadTimeout is how long reading one batch of chunks may take: 32 MiB at 1 Mbit/s.
const chunkReadTimeout = 5 * time.Minute

// gzipGrowth bounds how much gzip can grow incompressible data: deflate's stored blocks add
// 5 bytes per 64 KiB, far less than the 1/64 allowed.
const gzipGrowth = 64

// HasOwnBodyLimit reports whether the request's handler bounds the body itself, so the
// server-wide 1 MB limit must not apply: a POST of chunks is up to 32 MiB.
func HasOwnBodyLimit(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == chunkUploadRoute
}

// ChunkUploadOptions answers GET /api/0/organizations/:org/chunk-upload/ with the options
// sentry-cli reads before uploading; url is where to post the chunks, this same URL.
func (s *Endpoints) ChunkUploadOptions(c echo.Context) error {
	u := strings.TrimRight(s.cfg.BaseURL, "/") + (&url.URL{Path: c.Request().URL.Path}).EscapedPath()
	return c.JSON(http.StatusOK, s.cfg.Upload.Options(u))
}

// ChunkUpload answers POST /api/0/organizations/:org/chunk-upload/: a multipart batch of
// chunks. Each is stored (or found already stored) and recorded as the organization's, so
// that assemble can use it. The quota counts the organization's chunks; bytes another
// organization already stored cost no space but still count for this one once it holds them.
func (s *Endpoints) ChunkUpload(c echo.Context) error {
	ctx, org := c.Request().Context(), currentAPIOrg(c).Org
	// sentry-cli fills a batch up to maxRequestSize of chunks before compressing them, and a
	// chunk of an artifact bundle (a zip, already deflated) grows a little under gzip: four
	// 8 MiB chunks arrive as slightly more than 32 MiB. Allow gzip's worst-case growth.
	lim := s.cfg.Upload
	lim.MaxRequestSize += lim.MaxRequestSize / gzipGrowth
	// The server's 30 s read timeout suits forms, not 32 MiB from a CI runner on a slow
	// uplink: this request may take longer (the size limit still bounds it).
	rc := http.NewResponseController(c.Response())
	_ = rc.SetReadDeadline(time.Now().Add(chunkReadTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(chunkReadTimeout + time.Minute))
	body := &limitedBody{r: http.MaxBytesReader(c.Response(), c.Request().Body, lim.MaxRequestSize+multipartSlack)}
	c.Request().Body = body
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return core.Errorf(core.EINVALID, "Expected a multipart/form-data body of chunks")
	}
	quota := int64(-1)
	if s.cfg.StorageQuota > 0 {
		used, err := s.svc.CI.StorageUsed(ctx, org.ID)
		if err != nil {
			return apiErr(err)
		}
		quota = max(0, s.cfg.StorageQuota-used)
	}
	got, recvErr := chunkupload.Receive(ctx, mr, s.svc.Blobs, lim, quota)
	// Chunks received before a refusal are whole and verified: recording them lets a retry
	// skip them.
	if len(got) > 0 {
		chunks := make([]core.Chunk, len(got))
		for i, g := range got {
			chunks[i] = core.Chunk{SHA1: g.SHA1, Size: g.Size}
		}
		if err := s.svc.CI.RecordChunks(ctx, org.ID, chunks); err != nil {
			return apiErr(err)
		}
	}
	var refused *chunkupload.Error
	switch {
	case body.tooLarge:
		return core.Errorf(core.ETOOLARGE, "Request too large")
	case errors.As(recvErr, &refused) && refused.TooLarge:
		return core.Errorf(core.ETOOLARGE, "%s", refused.Message)
	case errors.As(recvErr, &refused):
		return core.Errorf(core.EINVALID, "%s", refused.Message)
	case recvErr != nil:
		return recvErr
	}
	return c.NoContent(http.StatusOK)
}

// limitedBody notes whether the request body went past its http.MaxBytesReader limit, which
// the multipart reader reports only as a malformed body.
type limitedBody struct {
	r        io.ReadCloser
	tooLarge bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = true
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }
