package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Organization token policies (issue 15, part 2), one row per organization in
// org_token_policies; an organization without one has core.DefaultTokenPolicy. OrgBySlug and
// OrgByID read the policy with the organization (orgColumns), so the API's authorization, which
// holds the cached organization, applies the user-token policy without another query.

// tokenPolicy reads an organization's policy within tx.
func tokenPolicy(ctx context.Context, tx *sql.Tx, orgID int64) (core.TokenPolicy, error) {
	p := core.DefaultTokenPolicy
	err := tx.QueryRowContext(ctx, `SELECT revoke_exposed, max_token_days, max_user_token_days
		FROM org_token_policies WHERE org_id = ?`, orgID).Scan(&p.RevokeExposed, &p.MaxTokenDays, &p.MaxUserTokenDays)
	if errors.Is(err, sql.ErrNoRows) {
		return core.DefaultTokenPolicy, nil
	}
	return p, err
}

// TokenPolicy returns the organization's token policy (every member who may use org tokens).
func (db *DB) TokenPolicy(ctx context.Context, orgID int64) (core.TokenPolicy, error) {
	var p core.TokenPolicy
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleReadTokenPolicies); err != nil {
			return err
		}
		var err error
		p, err = tokenPolicy(ctx, tx, orgID)
		return err
	})
	return p, err
}

// UpdateTokenPolicy changes the organization's token policy (owners only). Each change is one
// audit entry, and the other owners are emailed the list of changes. Existing tokens are left
// as they are: the lists mark those that exceed the new maximum lifetime.
func (db *DB) UpdateTokenPolicy(ctx context.Context, orgID int64, p core.TokenPolicy) (core.TokenPolicy, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	actor := core.ActorFrom(ctx)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleManageTokenPolicies); err != nil {
			return err
		}
		old, err := tokenPolicy(ctx, tx, orgID)
		if err != nil {
			return err
		}
		changes := policyChanges(old, p)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_token_policies (org_id, revoke_exposed, max_token_days,
			max_user_token_days, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET revoke_exposed = excluded.revoke_exposed,
			max_token_days = excluded.max_token_days, max_user_token_days = excluded.max_user_token_days,
			updated_at = excluded.updated_at`, orgID, p.RevokeExposed, p.MaxTokenDays, p.MaxUserTokenDays, unix(db.Now())); err != nil {
			return err
		}
		for _, c := range changes {
			if err := db.audit(ctx, tx, orgID, core.AuditTokenPolicyChanged, c); err != nil {
				return err
			}
		}
		var org core.Org
		if err := tx.QueryRowContext(ctx, `SELECT slug, name FROM orgs WHERE id = ?`, orgID).Scan(&org.Slug, &org.Name); err != nil {
			return err
		}
		owners, err := ownerEmails(ctx, tx, orgID)
		if err != nil {
			return err
		}
		mail := core.TokenPolicyChangedMail{ActorEmail: actor.Email(), OrgName: org.Name, Changes: changes,
			Time: db.Now(), ReviewURL: db.baseURL() + "/settings/" + org.Slug + "/"}
		for _, to := range owners {
			if actor.User != nil && to == actor.User.Email {
				continue // the other owners: the one who changed it knows
			}
			if err := db.enqueueMail(ctx, tx, to, core.MailTokenPolicyChanged, mail); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

// policyChanges describes what changed between two policies, one line per policy.
func policyChanges(old, p core.TokenPolicy) []string {
	var out []string
	if old.RevokeExposed != p.RevokeExposed {
		state := map[bool]string{true: "on", false: "off"}[p.RevokeExposed]
		out = append(out, "\"Revoke tokens reported as exposed\" turned "+state)
	}
	if old.MaxTokenDays != p.MaxTokenDays {
		out = append(out, "\"Maximum lifetime\" of new org and integration tokens: "+
			core.LifetimeLabel(old.MaxTokenDays)+" → "+core.LifetimeLabel(p.MaxTokenDays))
	}
	if old.MaxUserTokenDays != p.MaxUserTokenDays {
		out = append(out, "\"Maximum lifetime of user tokens used in this organization\": "+
			core.LifetimeLabel(old.MaxUserTokenDays)+" → "+core.LifetimeLabel(p.MaxUserTokenDays))
	}
	return out
}
