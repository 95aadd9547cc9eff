// Package email renders tokenboard's emails: one templ HTML component and one plain-text
// version per outbox template, behind a single Render function. The composition root
// (internal/app) hands Render to internal/mail's Sender as its renderer.
package email

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/a-h/templ"

	"github.com/tokenboard/tokenboard/internal/core"
)

const (
	subjectSecurity = "Security settings changed"
	footerSecurity  = "You are receiving this email because of a security-relevant change on tokenboard. " +
		"We send it for every new token so that no credential is created unnoticed."
	footerInvite = "You are receiving this email because someone invited this address to an organization on tokenboard."
)

// TimeLayout is how emails print times; always in UTC, e.g. "Nov 23, 2026, 14:05:09 UTC".
const TimeLayout = "Jan 2, 2006, 15:04:05 UTC"

// Render renders the outbox template named by template (one of core.Mail*) with data, the
// JSON of that template's core struct. An unknown template, malformed data or a missing
// required field is an error: retrying will not fix it.
func Render(template string, data []byte) (core.RenderedMail, error) {
	if m, ok, err := renderLifecycle(template, data); ok {
		return m, err
	}
	switch template {
	case core.MailOrgTokenCreated:
		var d core.OrgTokenCreatedMail
		if err := decode(template, data, &d); err != nil {
			return core.RenderedMail{}, err
		}
		d.ActorEmail, d.TokenName, d.OrgName = clean(d.ActorEmail), clean(d.TokenName), clean(d.OrgName)
		d.IP, d.ReviewURL, d.TokenMasked, d.Replaces = clean(d.IP), clean(d.ReviewURL), clean(d.TokenMasked), clean(d.Replaces)
		if err := required(template, "actor_email", d.ActorEmail, "token_name", d.TokenName, "org_name", d.OrgName); err != nil {
			return core.RenderedMail{}, err
		}
		return build(orgTokenSubject(d), orgTokenCreatedHTML(d), orgTokenCreatedText(d))
	case core.MailUserTokenCreated:
		var d core.UserTokenCreatedMail
		if err := decode(template, data, &d); err != nil {
			return core.RenderedMail{}, err
		}
		d.AccountEmail, d.TokenName, d.IP, d.ReviewURL = clean(d.AccountEmail), clean(d.TokenName), clean(d.IP), clean(d.ReviewURL)
		if err := required(template, "account_email", d.AccountEmail, "token_name", d.TokenName); err != nil {
			return core.RenderedMail{}, err
		}
		return build(subjectSecurity, userTokenCreatedHTML(d), userTokenCreatedText(d))
	case core.MailInvite:
		var d core.InviteMail
		if err := decode(template, data, &d); err != nil {
			return core.RenderedMail{}, err
		}
		d.OrgName, d.InviterEmail, d.Role, d.AcceptURL = clean(d.OrgName), clean(d.InviterEmail), clean(d.Role), clean(d.AcceptURL)
		if err := required(template, "org_name", d.OrgName, "inviter_email", d.InviterEmail, "accept_url", d.AcceptURL); err != nil {
			return core.RenderedMail{}, err
		}
		return build(inviteSubject(d), inviteHTML(d), inviteText(d))
	default:
		return core.RenderedMail{}, core.Errorf(core.EINVALID, "email: unknown template %q", template)
	}
}

// FormatTime prints t the way every email does: in UTC, "unknown" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(TimeLayout)
}

type detailRow struct {
	Label string
	Value string
}

// orgTokenSubject says what happened and where, so that a burst of tokens reads as such in an
// inbox: one email per token, as Sentry sends.
func orgTokenSubject(d core.OrgTokenCreatedMail) string {
	return "Organization auth token created in " + d.OrgName
}

// orgTokenLabel names the token by its masked value, as the user-token email does, with its
// name: `************abcd "CI"`. Emails queued before the masked value was kept name it
// by its name alone.
func orgTokenLabel(d core.OrgTokenCreatedMail) string {
	if d.TokenMasked == "" {
		return `"` + d.TokenName + `"`
	}
	return d.TokenMasked + ` "` + d.TokenName + `"`
}

func inviteSubject(d core.InviteMail) string {
	return "Join " + d.OrgName + " on tokenboard"
}

func decode(template string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return core.Errorf(core.EINVALID, "email: template %q: bad data: %v", template, err)
	}
	return nil
}

// required takes name/value pairs and reports the first empty value.
func required(template string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return core.Errorf(core.EINVALID, "email: template %q: %s is required", template, pairs[i])
		}
	}
	return nil
}

// clean makes a user-supplied value safe to print on one line (core.OneLine): control
// characters (a token name with a newline could otherwise forge lines of the plain-text body)
// become spaces, and bidi controls (which could show "Acme Corp" reversed in the subject) are
// dropped. Validation keeps them out of new names; this covers values stored before it did.
func clean(s string) string { return core.OneLine(s) }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func build(subject string, html templ.Component, text string) (core.RenderedMail, error) {
	var buf bytes.Buffer
	if err := html.Render(context.Background(), &buf); err != nil {
		return core.RenderedMail{}, fmt.Errorf("email: render html: %w", err)
	}
	return core.RenderedMail{Subject: subject, HTML: buf.String(), Text: text}, nil
}
