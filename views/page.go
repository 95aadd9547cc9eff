// Package views renders tokenboard's screens as templ components. It does no I/O: handlers
// compute every URL and value and pass them in typed view structs.
package views

import (
	"fmt"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Page is the chrome every screen shares: who is signed in, where they are, and the flash.
type Page struct {
	Title string
	// User is nil on the sign-in screens.
	User *core.User
	// Org and Role describe the organization whose settings are shown, if any.
	Org  *core.Org
	Role core.Role
	// Orgs feeds the organization switcher.
	Orgs []core.Membership
	// Nav names the active sidebar entry.
	Nav   string
	CSRF  string
	Flash *Flash
	// AssetVersion busts browser caches of the static files when they change.
	AssetVersion string
	// Theme is the viewer's choice: ThemeLight, ThemeDark, or "" / ThemeSystem to follow the
	// system's prefers-color-scheme.
	Theme string
}

// The theme choices of Account > Details, Sentry's: the value stored and its label.
const (
	ThemeLight  = core.ThemeLight
	ThemeDark   = core.ThemeDark
	ThemeSystem = core.ThemeSystem
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind    string // "success" or "error"
	Message string
}

// Sidebar entries, the values of Page.Nav.
const (
	NavGeneral      = "general"
	NavProjects     = "projects"
	NavMembers      = "members"
	NavAuditLog     = "audit-log"
	NavAuthTokens   = "auth-tokens"
	NavIntegrations = "developer-settings"
	NavReleases     = "releases"
	NavRepositories = "repositories"
	NavDetails      = "account-details"
	NavSecurity     = "account-security"
	NavUserTokens   = "user-tokens"
)

// OrgURL returns the settings URL of the page's organization under path.
func (p Page) OrgURL(path string) string {
	if p.Org == nil {
		return "/"
	}
	return "/settings/" + p.Org.Slug + "/" + path
}

// Can reports whether the page's role holds the scope.
func (p Page) Can(s core.Scope) bool { return p.Role.Scopes().Has(s) }

// FieldErrors maps form field names to their messages.
type FieldErrors map[string]string

// RelativeTime renders a time as "5 minutes ago", the way Sentry's tables do.
func RelativeTime(t time.Time, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		if future {
			return "in a few seconds"
		}
		return "a few seconds ago"
	case d < 90*time.Second:
		s = "a minute"
	case d < 45*time.Minute:
		s = fmt.Sprintf("%d minutes", int(d.Minutes()+0.5))
	case d < 90*time.Minute:
		s = "an hour"
	case d < 22*time.Hour:
		s = fmt.Sprintf("%d hours", int(d.Hours()+0.5))
	case d < 36*time.Hour:
		s = "a day"
	case d < 26*24*time.Hour:
		s = fmt.Sprintf("%d days", int(d.Hours()/24+0.5))
	case d < 45*24*time.Hour:
		s = "a month"
	case d < 320*24*time.Hour:
		s = fmt.Sprintf("%d months", int(d.Hours()/24/30+0.5))
	case d < 548*24*time.Hour:
		s = "a year"
	default:
		s = fmt.Sprintf("%d years", int(d.Hours()/24/365+0.5))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// UTC renders a time in UTC for audit tables and tooltips.
func UTC(t time.Time) string { return t.UTC().Format("Jan 2, 2006, 15:04:05 UTC") }

// Date renders the day of a time, in UTC, for "Created On" columns.
func Date(t time.Time) string { return t.UTC().Format("Jan 2, 2006") }

// ISO renders a time for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }
