package ui

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/views"
)

// Create forms are single-use. Each rendering of a create form carries a fresh random key
// (views.OnceField); the first POST carrying it claims it in the store, and a repeat (F5 on
// the one-time page, Back then Forward and "Confirm Form Resubmission") is answered with
// views.AlreadyCreated instead of a second token. The key lives in the database, not in the
// session or in memory, so the answer is the same on every server of one data folder.

// onceKeyMax bounds the key a client may send; newOnceKey's are 43 characters.
const onceKeyMax = 64

// newOnceKey returns a fresh key for a create form.
func newOnceKey() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// submission is one create POST's claim on its form key.
type submission struct {
	key     string
	claimed bool
}

// claimSubmission claims the request's form key. It reports false when the key was already
// used: the caller then renders views.AlreadyCreated and creates nothing. A POST without a
// key (a script, an old page) is not protected and goes ahead: the browser always resends
// the key with the form it resubmits.
func (s *Screens) claimSubmission(c echo.Context) (*submission, bool, error) {
	key := c.FormValue("once")
	if key == "" || len(key) > onceKeyMax {
		return &submission{}, true, nil
	}
	first, err := s.svc.Submissions.ClaimSubmission(c.Request().Context(), key)
	if err != nil {
		return nil, false, err
	}
	return &submission{key: key, claimed: first}, first, nil
}

// release gives the key back after a submission that created nothing, so the corrected form
// (re-rendered with a new key anyway) or a plain retry is not refused.
func (sub *submission) release(s *Screens, c echo.Context) {
	if sub == nil || !sub.claimed {
		return
	}
	if err := s.svc.Submissions.ReleaseSubmission(c.Request().Context(), sub.key); err != nil {
		s.log.Warn("releasing a form key", "err", err)
	}
}

// renderAlreadyCreated answers a resubmitted create form: the token exists and is never shown
// again; the page links to the list it is on. 409, because the request repeats one that
// already succeeded.
func (s *Screens) renderAlreadyCreated(c echo.Context, title, nav string, v views.AlreadyCreatedView) error {
	v.Heading = title
	return s.render(c, http.StatusConflict, views.AlreadyCreated(s.page(c, title, nav), v))
}

// alreadyCreatedIntegration answers a resubmitted integration form (the create form or New
// Token) with a link to where the token is listed; err, when set, is the claim's failure.
func (s *Screens) alreadyCreatedIntegration(c echo.Context, err error, listURL, listLabel string) error {
	if err != nil {
		return err
	}
	return s.renderAlreadyCreated(c, "Custom Integrations", views.NavIntegrations,
		views.AlreadyCreatedView{ListURL: listURL, ListLabel: listLabel})
}
