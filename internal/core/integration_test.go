package core

import (
	"reflect"
	"strings"
	"testing"
)

func TestIntegrationInputValidate(t *testing.T) {
	eventRead := NewScopeSet(ScopeEventRead)
	tests := []struct {
		name   string
		in     IntegrationInput
		fields map[string]string // nil: valid
	}{
		{"MinimalIsValid", IntegrationInput{Name: "Deploy Bot"}, nil},
		{"NameBlank", IntegrationInput{Name: "   "}, map[string]string{"name": "The name cannot be blank."}},
		{"Name57RunesIsValid", IntegrationInput{Name: strings.Repeat("é", 57)}, nil},
		{"Name58Runes", IntegrationInput{Name: strings.Repeat("a", 58)},
			map[string]string{"name": "The name cannot be longer than 57 characters."}},
		{"WebhookHTTPSIsValid", IntegrationInput{Name: "x", WebhookURL: "https://hooks.example.com/sentry"}, nil},
		{"WebhookFTP", IntegrationInput{Name: "x", WebhookURL: "ftp://example.com/"},
			map[string]string{"webhook_url": "URL must start with http[s]://"}},
		{"WebhookJavascript", IntegrationInput{Name: "x", WebhookURL: "javascript:alert(1)"},
			map[string]string{"webhook_url": "URL must start with http[s]://"}},
		{"WebhookNoHost", IntegrationInput{Name: "x", WebhookURL: "https:///path"},
			map[string]string{"webhook_url": "Enter a valid URL."}},
		{"WebhookWithCredentials", IntegrationInput{Name: "x", WebhookURL: "https://u:p@example.com/"},
			map[string]string{"webhook_url": "Enter a valid URL."}},
		{"EventsNeedEventRead", IntegrationInput{Name: "x", WebhookURL: "https://e.example/", Events: []string{"issue"}},
			map[string]string{"events": "issue webhooks require the event:read permission."}},
		{"EventsWithEventReadAndURLAreValid", IntegrationInput{Name: "x", WebhookURL: "https://e.example/",
			Events: []string{"comment", "issue", "error"}, Scopes: eventRead}, nil},
		{"EventAdminImpliesRead", IntegrationInput{Name: "x", WebhookURL: "https://e.example/",
			Events: []string{"error"}, Scopes: NewScopeSet(ScopeEventAdmin)}, nil},
		{"EventsNeedWebhookURL", IntegrationInput{Name: "x", Events: []string{"issue"}, Scopes: eventRead},
			map[string]string{"webhook_url": "A webhook URL is required if webhook events are enabled."}},
		{"AlertRuleActionNeedsWebhookURL", IntegrationInput{Name: "x", AlertRuleAction: true},
			map[string]string{"webhook_url": "A webhook URL is required if the alert rule action is enabled."}},
		{"UnknownEvent", IntegrationInput{Name: "x", WebhookURL: "https://e.example/", Events: []string{"member"}, Scopes: eventRead},
			map[string]string{"events": "Invalid event subscription: member"}},
		{"OverviewTooLong", IntegrationInput{Name: "x", Overview: strings.Repeat("o", 5001)},
			map[string]string{"overview": "The overview cannot be longer than 5000 characters."}},
		{"EveryProblemAtOnce", IntegrationInput{Name: "", WebhookURL: "mailto:x@example.com", Events: []string{"issue"}},
			map[string]string{"name": "The name cannot be blank.", "webhook_url": "URL must start with http[s]://",
				"events": "issue webhooks require the event:read permission."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID {
				t.Fatalf("Validate() = %v, want EINVALID", err)
			}
			if got := ErrorFields(err); !reflect.DeepEqual(got, tt.fields) {
				t.Fatalf("fields = %q, want %q", got, tt.fields)
			}
		})
	}
}

func TestIntegrationInputValidateNormalizes(t *testing.T) {
	in := IntegrationInput{Name: "  Deploy Bot  ", WebhookURL: " https://e.example/ ",
		Events: []string{"comment", "issue", "comment"}, Scopes: NewScopeSet(ScopeEventWrite)}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.Name != "Deploy Bot" || in.WebhookURL != "https://e.example/" {
		t.Errorf("not trimmed: %q %q", in.Name, in.WebhookURL)
	}
	if want := []string{"issue", "comment"}; !reflect.DeepEqual(in.Events, want) {
		t.Errorf("events = %q, want %q (canonical order, once each)", in.Events, want)
	}
	if want := NewScopeSet(ScopeEventRead, ScopeEventWrite); in.Scopes != want {
		t.Errorf("scopes = %v, want expanded %v", in.Scopes, want)
	}
}

func TestCheckIntegrationScopes(t *testing.T) {
	orgAdmin, _ := Permissions{"org": Admin}.Scopes()
	tests := []struct {
		name      string
		role      Role
		current   ScopeSet
		requested ScopeSet
		excess    string // "" when allowed
	}{
		{"OwnerMayGiveOrgAdmin", RoleOwner, 0, orgAdmin, ""},
		{"ManagerMayNotGiveOrgAdmin", RoleManager, 0, orgAdmin, "org:admin"},
		{"ManagerMayKeepOrgAdminAlreadyGiven", RoleManager, orgAdmin, orgAdmin, ""},
		{"ManagerMayGiveMemberAdmin", RoleManager, 0, NewScopeSet(ScopeMemberAdmin).Expand(), ""},
		{"ManagerMayNotGiveTokenOnlyOrgCI", RoleManager, 0, NewScopeSet(ScopeOrgCI), "org:ci"},
		{"AdminMayNotGiveOrgWrite", RoleAdmin, 0, NewScopeSet(ScopeOrgWrite), "org:write"},
		{"FirstOffendingScopeAlphabetically", RoleAdmin, 0, NewScopeSet(ScopeOrgWrite, ScopeMemberAdmin).Expand(), "member:admin"},
		{"NothingRequestedIsFine", RoleMember, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckIntegrationScopes(tt.role, tt.current, tt.requested)
			if tt.excess == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			want := "Requested permission of " + tt.excess + " exceeds requester's permission. Please contact an administrator to make the requested change."
			if ErrorCode(err) != EINVALID || ErrorFields(err)["scopes"] != want {
				t.Fatalf("err = %v, want scopes error %q", err, want)
			}
		})
	}
}

func TestCheckIntegrationTokenScopes(t *testing.T) {
	orgAdmin, _ := Permissions{"org": Admin}.Scopes()
	if err := CheckIntegrationTokenScopes(RoleOwner, orgAdmin); err != nil {
		t.Fatalf("owner: %v", err)
	}
	err := CheckIntegrationTokenScopes(RoleManager, orgAdmin)
	want := "Requested permission of org:admin exceeds requester's permission. Please contact an administrator to make the requested change."
	if ErrorCode(err) != EFORBIDDEN || ErrorMessage(err) != want {
		t.Fatalf("manager: err = %v, want 403 %q", err, want)
	}
	if err := CheckIntegrationTokenScopes(RoleManager, NewScopeSet(ScopeMemberAdmin, ScopeEventAdmin)); err != nil {
		t.Fatalf("manager, scopes within the role: %v", err)
	}
}

func TestIntegrationTokenLimitError(t *testing.T) {
	err := ErrIntegrationTokenLimit()
	if !IsIntegrationTokenLimit(err) || ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("ErrIntegrationTokenLimit() = %v", err)
	}
	if IsIntegrationTokenLimit(Errorf(EFORBIDDEN, "You do not have permission to perform this action.")) {
		t.Fatal("another 403 was taken for the token limit")
	}
}

func TestCanDeleteIntegrationsOwnersOnly(t *testing.T) {
	for _, r := range Roles {
		if got, want := r.CanDeleteIntegrations(), r == RoleOwner; got != want {
			t.Errorf("%s.CanDeleteIntegrations() = %v, want %v", r, got, want)
		}
	}
}
