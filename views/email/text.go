package email

import (
	"fmt"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The plain-text parts are built in Go rather than templ: templ escapes for HTML, and a token
// named `Tom's "CI"` must read as such, not as `Tom&#39;s &#34;CI&#34;`.

const textSignature = "\n-- \ntokenboard\n"

func orgTokenCreatedText(d core.OrgTokenCreatedMail) string {
	var b strings.Builder
	b.WriteString("Security Notice\n\n")
	fmt.Fprintf(&b, "User %s has created a new Organization Auth Token %s for your organization %s.\n\n",
		d.ActorEmail, orgTokenLabel(d), d.OrgName)
	if d.Replaces != "" {
		fmt.Fprintf(&b, "It replaces the token %s, which %s.\n\n", d.Replaces, replacedUntil(d))
	}
	writeDetails(&b, []detailRow{
		{"Token", orgTokenLabel(d)},
		{"Actor", d.ActorEmail},
		{"IP Address", orUnknown(d.IP)},
		{"Time", FormatTime(d.Time)},
	})
	if d.ReviewURL != "" {
		fmt.Fprintf(&b, "To review or revoke this token, open its page in %s:\n%s\n\n", d.OrgName, d.ReviewURL)
	}
	b.WriteString("Don't recognize this activity?\n")
	fmt.Fprintf(&b, "If you did not expect this token, revoke it from the Auth Tokens page right away "+
		"and review your organization's audit log for other changes made by %s. "+
		"If you cannot revoke it yourself, contact an owner of %s.\n", d.ActorEmail, d.OrgName)
	b.WriteString(textSignature)
	return b.String()
}

func userTokenCreatedText(d core.UserTokenCreatedMail) string {
	var b strings.Builder
	b.WriteString("Security Notice\n\n")
	fmt.Fprintf(&b, "A new API token was created for your account %s.\n\n", d.AccountEmail)
	writeDetails(&b, []detailRow{
		{"Account", d.AccountEmail},
		{"Token", d.TokenName},
		{"IP Address", orUnknown(d.IP)},
		{"Time", FormatTime(d.Time)},
	})
	if d.ReviewURL != "" {
		fmt.Fprintf(&b, "To review or revoke this token, open your API tokens page:\n%s\n\n", d.ReviewURL)
	}
	b.WriteString("Don't recognize this activity?\n")
	b.WriteString("If you did not create this token, revoke it from your API tokens page right away, " +
		"change your password and sign out of your other sessions.\n")
	b.WriteString(textSignature)
	return b.String()
}

func inviteText(d core.InviteMail) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Join %s on tokenboard\n\n", d.OrgName)
	fmt.Fprintf(&b, "%s has invited you to join the organization %s on tokenboard as %s.\n\n",
		d.InviterEmail, d.OrgName, orUnknown(d.Role))
	fmt.Fprintf(&b, "Accept the invitation:\n%s\n\n", d.AcceptURL)
	b.WriteString("If you were not expecting this invitation, you can ignore this email.\n")
	b.WriteString(textSignature)
	return b.String()
}

func writeDetails(b *strings.Builder, rows []detailRow) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Label))
	}
	for _, r := range rows {
		fmt.Fprintf(b, "%-*s  %s\n", width+1, r.Label+":", r.Value)
	}
	b.WriteString("\n")
}

// replacedUntil says how long a rotated token keeps working, for the creation email.
func replacedUntil(d core.OrgTokenCreatedMail) string {
	if d.StopsAt == nil || !d.StopsAt.After(d.Time) {
		return "stopped working with the rotation"
	}
	return "keeps working until " + FormatTime(*d.StopsAt)
}
