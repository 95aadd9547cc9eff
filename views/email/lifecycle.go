package email

import (
	"fmt"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

const (
	subjectPolicy  = "Token policies changed"
	footerExposed  = "You are receiving this email because a token you own was reported exposed by GitHub's secret scanning."
	footerReminder = "You are receiving this email because a token you own is about to expire."
)

// exposedSubject is "Action Required: Organization Auth Token Exposed" and its kin.
func exposedSubject(d core.TokenExposedMail) string {
	return "Action Required: " + d.KindName + " Exposed"
}

func expiringSubject(d core.TokenExpiringMail) string {
	return "Your " + d.KindName + " expires in " + d.Left
}

func exposedRows(d core.TokenExposedMail) []detailRow {
	rows := []detailRow{}
	if d.TokenName != "" {
		rows = append(rows, detailRow{"Name", d.TokenName})
	}
	rows = append(rows, detailRow{"Token", d.MaskedToken})
	if d.OrgName != "" {
		rows = append(rows, detailRow{"Organization", d.OrgName})
	}
	rows = append(rows, detailRow{"Found at", orUnknown(d.URL)}, detailRow{"Source", orUnknown(d.Source)},
		detailRow{"Reported", FormatTime(d.Time)})
	return rows
}

func expiringRows(d core.TokenExpiringMail) []detailRow {
	rows := []detailRow{{"Token", d.TokenName}}
	if d.OrgName != "" {
		rows = append(rows, detailRow{"Organization", d.OrgName})
	}
	return append(rows, detailRow{"Expires", FormatTime(d.ExpiresAt)})
}

func tokenExposedText(d core.TokenExposedMail) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s Exposed\n\n", d.KindName)
	fmt.Fprintf(&b, "Your %s was found publicly on the internet. %s\n\n", d.KindName, d.Status)
	writeDetails(&b, exposedRows(d))
	if d.ReviewURL != "" {
		fmt.Fprintf(&b, "Review your tokens:\n%s\n\n", d.ReviewURL)
	}
	b.WriteString("Remove the token from where it was found, replace it wherever it is used, " +
		"and review recent activity for anything you do not recognize.\n")
	b.WriteString(textSignature)
	return b.String()
}

func tokenExpiringText(d core.TokenExpiringMail) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s expires in %s\n\n", d.KindName, d.Left)
	fmt.Fprintf(&b, "The %s \"%s\" stops working on %s.\n\n", d.KindName, d.TokenName, FormatTime(d.ExpiresAt))
	writeDetails(&b, expiringRows(d))
	if d.RotateURL != "" {
		fmt.Fprintf(&b, "Rotate it to get its successor before then:\n%s\n", d.RotateURL)
	}
	b.WriteString(textSignature)
	return b.String()
}

func tokenPolicyChangedText(d core.TokenPolicyChangedMail) string {
	var b strings.Builder
	b.WriteString("Security Notice\n\n")
	fmt.Fprintf(&b, "User %s changed the token policies of your organization %s:\n", d.ActorEmail, d.OrgName)
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	b.WriteString("\n")
	writeDetails(&b, []detailRow{{"Actor", d.ActorEmail}, {"Time", FormatTime(d.Time)}})
	if d.ReviewURL != "" {
		fmt.Fprintf(&b, "Review the token policies:\n%s\n", d.ReviewURL)
	}
	b.WriteString(textSignature)
	return b.String()
}

// renderLifecycle renders the lifecycle emails (issue 15); ok is false for other templates.
func renderLifecycle(template string, data []byte) (m core.RenderedMail, ok bool, err error) {
	switch template {
	case core.MailTokenExposed:
		var d core.TokenExposedMail
		if err := decode(template, data, &d); err != nil {
			return m, true, err
		}
		d.KindName, d.TokenName, d.MaskedToken, d.OrgName = clean(d.KindName), clean(d.TokenName), clean(d.MaskedToken), clean(d.OrgName)
		d.URL, d.Source, d.Status, d.ReviewURL = clean(d.URL), clean(d.Source), clean(d.Status), clean(d.ReviewURL)
		if err := required(template, "kind_name", d.KindName, "masked_token", d.MaskedToken); err != nil {
			return m, true, err
		}
		m, err = build(exposedSubject(d), tokenExposedHTML(d), tokenExposedText(d))
		return m, true, err
	case core.MailTokenExpiring:
		var d core.TokenExpiringMail
		if err := decode(template, data, &d); err != nil {
			return m, true, err
		}
		d.KindName, d.TokenName, d.OrgName, d.Left, d.RotateURL = clean(d.KindName), clean(d.TokenName), clean(d.OrgName), clean(d.Left), clean(d.RotateURL)
		if err := required(template, "kind_name", d.KindName, "token_name", d.TokenName, "left", d.Left); err != nil {
			return m, true, err
		}
		m, err = build(expiringSubject(d), tokenExpiringHTML(d), tokenExpiringText(d))
		return m, true, err
	case core.MailTokenPolicyChanged:
		var d core.TokenPolicyChangedMail
		if err := decode(template, data, &d); err != nil {
			return m, true, err
		}
		d.ActorEmail, d.OrgName, d.ReviewURL = clean(d.ActorEmail), clean(d.OrgName), clean(d.ReviewURL)
		for i := range d.Changes {
			d.Changes[i] = clean(d.Changes[i])
		}
		if err := required(template, "actor_email", d.ActorEmail, "org_name", d.OrgName); err != nil {
			return m, true, err
		}
		m, err = build(subjectPolicy, tokenPolicyChangedHTML(d), tokenPolicyChangedText(d))
		return m, true, err
	}
	return m, false, nil
}
