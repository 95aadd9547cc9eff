package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// audit writes an audit log entry within tx.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, orgID int64, event, target string) error {
	actor := core.ActorFrom(ctx)
	var actorID sql.NullInt64
	if actor.User != nil {
		actorID = sql.NullInt64{Int64: actor.User.ID, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (org_id, actor_id, actor_email, event, target, ip, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, orgID, actorID, actor.Email(), event, target, actor.IP, unix(db.Now()))
	return err
}

// CreateOrg creates an organization whose owner is the actor.
func (db *DB) CreateOrg(ctx context.Context, slug, name string) (*core.Org, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	return db.createOrg(ctx, slug, name, actor.ID)
}

func (db *DB) createOrg(ctx context.Context, slug, name string, ownerID int64) (*core.Org, error) {
	slug = strings.TrimSpace(slug)
	name, err := core.OrgNameField.Validate(name)
	if err != nil {
		return nil, err
	}
	if slug == "" {
		slug = core.Slugify(name)
	}
	if msg := core.ValidateOrgSlug(slug); msg != "" {
		return nil, core.FieldError("slug", msg)
	}
	var org core.Org
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, `INSERT INTO orgs (slug, name, created_at) VALUES (?, ?, ?)
			RETURNING id, slug, name, created_at`, slug, name, unix(db.Now())).Scan(&org.ID, &org.Slug, &org.Name, &created)
		if err != nil {
			return conflictAs(err, "slug", "An organization with this slug already exists.")
		}
		org.CreatedAt = fromUnix(created)
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at)
			VALUES (?, ?, 'owner', ?)`, org.ID, ownerID, created); err != nil {
			return err
		}
		return db.audit(ctx, tx, org.ID, core.AuditOrgCreated, org.Slug)
	})
	if err != nil {
		return nil, err
	}
	return &org, nil
}

// OrgBySlug returns an organization. The API looks one up on every request; Cache answers it
// from memory between writes.
func (db *DB) OrgBySlug(ctx context.Context, slug string) (*core.Org, error) {
	var org orgRow
	var created int64
	err := db.queryRow(ctx, orgColumns+` WHERE o.slug = ?`, slug).Scan(org.scanDest(&created)...)
	if err != nil {
		return nil, notFound(err, "The requested resource does not exist.")
	}
	org.CreatedAt = fromUnix(created)
	return &org.Org, nil
}

// OrgByID returns an organization.
func (db *DB) OrgByID(ctx context.Context, id int64) (*core.Org, error) {
	var org orgRow
	var created int64
	err := db.db.QueryRowContext(ctx, orgColumns+` WHERE o.id = ?`, id).Scan(org.scanDest(&created)...)
	if err != nil {
		return nil, notFound(err, "The requested resource does not exist.")
	}
	org.CreatedAt = fromUnix(created)
	return &org.Org, nil
}

// UpdateOrg renames an organization.
func (db *DB) UpdateOrg(ctx context.Context, orgID int64, name string) (*core.Org, error) {
	name, err := core.OrgNameField.Validate(name)
	if err != nil {
		return nil, err
	}
	var org core.Org
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUpdateOrg); err != nil {
			return err
		}
		var created int64
		err := tx.QueryRowContext(ctx, `UPDATE orgs SET name = ? WHERE id = ? RETURNING id, slug, name, created_at`,
			name, orgID).Scan(&org.ID, &org.Slug, &org.Name, &created)
		org.CreatedAt = fromUnix(created)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &org, nil
}

const membershipQuery = `SELECT o.id, o.slug, o.name, o.created_at, ` + userColumnsU + `, m.role, m.created_at
	FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id`

// userColumnsU are userColumns from users aliased u: never the password hash.
const userColumnsU = `u.id, u.email, u.name, u.active, u.session_version, u.created_at`

func scanMembership(row interface{ Scan(...any) error }) (core.Membership, error) {
	var m core.Membership
	var orgCreated, userCreated, created int64
	err := row.Scan(&m.Org.ID, &m.Org.Slug, &m.Org.Name, &orgCreated,
		&m.User.ID, &m.User.Email, &m.User.Name, &m.User.Active, &m.User.SessionVersion, &userCreated,
		&m.Role, &created)
	m.Org.CreatedAt, m.User.CreatedAt, m.CreatedAt = fromUnix(orgCreated), fromUnix(userCreated), fromUnix(created)
	return m, err
}

func (db *DB) memberships(ctx context.Context, where string, args ...any) ([]core.Membership, error) {
	rows, err := db.db.QueryContext(ctx, membershipQuery+" WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Membership returns the user's membership in the organization. Anyone may read their own:
// it is how the screens learn the viewer's role (a non-member gets ENOTFOUND either way);
// another user's needs RuleReadMembers.
func (db *DB) Membership(ctx context.Context, orgID, userID int64) (*core.Membership, error) {
	if u := core.ActorFrom(ctx).User; u == nil || u.ID != userID {
		if _, err := db.authorize(ctx, nil, orgID, core.RuleReadMembers); err != nil {
			return nil, err
		}
	}
	m, err := scanMembership(db.db.QueryRowContext(ctx, membershipQuery+` WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID))
	if err != nil {
		return nil, notFound(err, "The requested resource does not exist.")
	}
	return &m, nil
}

// UserMemberships returns the user's memberships by organization name.
func (db *DB) UserMemberships(ctx context.Context, userID int64) ([]core.Membership, error) {
	return db.memberships(ctx, `m.user_id = ? ORDER BY o.name, o.id`, userID)
}

// Members returns the organization's members, owners first, then by email.
func (db *DB) Members(ctx context.Context, orgID int64) ([]core.Membership, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadMembers); err != nil {
		return nil, err
	}
	return db.memberships(ctx, `m.org_id = ? ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1
		WHEN 'admin' THEN 2 WHEN 'member' THEN 3 ELSE 4 END, u.email COLLATE NOCASE`, orgID)
}

// Owners returns the organization's owners.
func (db *DB) Owners(ctx context.Context, orgID int64) ([]core.User, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadMembers); err != nil {
		return nil, err
	}
	ms, err := db.memberships(ctx, `m.org_id = ? AND m.role = 'owner' ORDER BY u.email COLLATE NOCASE`, orgID)
	users := make([]core.User, len(ms))
	for i, m := range ms {
		users[i] = m.User
	}
	return users, err
}

// PendingInvites returns the invitations not yet accepted.
func (db *DB) PendingInvites(ctx context.Context, orgID int64) ([]core.Invite, error) {
	var out []core.Invite
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		// Who was invited is for those who manage members only.
		if _, err := db.authorize(ctx, tx, orgID, core.RuleManageMembers); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, org_id, email, role, created_at FROM invites
			WHERE org_id = ? AND accepted_at IS NULL AND created_at > ? ORDER BY email COLLATE NOCASE`,
			orgID, unix(db.Now().Add(-InviteLifetime)))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var inv core.Invite
			var created int64
			if err := rows.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &created); err != nil {
				return err
			}
			inv.CreatedAt = fromUnix(created)
			out = append(out, inv)
		}
		return rows.Err()
	})
	return out, err
}

// AddMember adds an existing user at once, or emails an invitation to an unknown address.
func (db *DB) AddMember(ctx context.Context, orgID int64, email string, role core.Role) (core.AddMemberResult, error) {
	var result core.AddMemberResult
	email = strings.TrimSpace(email)
	if msg := core.ValidateEmail(email); msg != "" {
		return result, core.FieldError("email", msg)
	}
	if _, ok := core.ParseRole(string(role)); !ok {
		return result, core.FieldError("role", "Select a valid role.")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := db.authorize(ctx, tx, orgID, core.RuleManageMembers)
		if err != nil {
			return err
		}
		if !actorRole.CanGrant(role) {
			return core.Errorf(core.EFORBIDDEN, "You do not have permission to grant the %s role.", role.Label())
		}
		var userID int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ? COLLATE NOCASE`, email).Scan(&userID)
		switch {
		case err == nil:
			_, err = tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
				orgID, userID, role, unix(db.Now()))
			if err != nil {
				return conflictAs(err, "email", "This user is already a member of the organization.")
			}
			return db.audit(ctx, tx, orgID, core.AuditMemberAdded, email+" ("+string(role)+")")
		case errors.Is(err, sql.ErrNoRows):
			result.Invited = true
			return db.invite(ctx, tx, orgID, email, role)
		}
		return err
	})
	return result, err
}

// invite records an invitation and enqueues its email within tx. The link's secret goes only
// into the email; the database keeps its hash.
func (db *DB) invite(ctx context.Context, tx *sql.Tx, orgID int64, email string, role core.Role) error {
	secretBytes := make([]byte, 24)
	rand.Read(secretBytes)
	secret := hex.EncodeToString(secretBytes)
	actor := core.ActorFrom(ctx)
	var invitedBy sql.NullInt64
	if actor.User != nil {
		invitedBy = sql.NullInt64{Int64: actor.User.ID, Valid: true}
	}
	// An expired invitation gives way to the new one.
	if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE org_id = ? AND email = ? COLLATE NOCASE
		AND accepted_at IS NULL AND created_at <= ?`, orgID, email, unix(db.Now().Add(-InviteLifetime))); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invites (org_id, email, role, secret_hash, invited_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, orgID, email, role, core.HashToken(secret), invitedBy, unix(db.Now()))
	if err != nil {
		return conflictAs(err, "email", "This email address has already been invited.")
	}
	var orgName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM orgs WHERE id = ?`, orgID).Scan(&orgName); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, orgID, core.AuditMemberInvited, email+" ("+string(role)+")"); err != nil {
		return err
	}
	return db.enqueueMail(ctx, tx, email, core.MailInvite, core.InviteMail{
		OrgName:      orgName,
		InviterEmail: actor.Email(),
		Role:         role.Label(),
		AcceptURL:    strings.TrimRight(db.BaseURL, "/") + "/accept-invite/" + secret + "/",
	})
}

// ChangeRole changes a member's role. A manager cannot grant or take away owner, and the last
// owner cannot be demoted.
func (db *DB) ChangeRole(ctx context.Context, orgID, userID int64, role core.Role) error {
	if _, ok := core.ParseRole(string(role)); !ok {
		return core.FieldError("role", "Select a valid role.")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := db.authorize(ctx, tx, orgID, core.RuleManageMembers)
		if err != nil {
			return err
		}
		current, email, err := memberRole(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		if !actorRole.CanGrant(role) || !actorRole.CanGrant(current) {
			return core.Errorf(core.EFORBIDDEN, "You do not have permission to change this member's role.")
		}
		if current == core.RoleOwner && role != core.RoleOwner {
			if err := ensureAnotherOwner(ctx, tx, orgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`,
			role, orgID, userID); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditMemberRoleChanged, email+" ("+string(current)+" → "+string(role)+")")
	})
}

// RemoveMember removes a member. Tokens are checked against memberships on every request, so
// the member's tokens stop working in the organization with this commit.
func (db *DB) RemoveMember(ctx context.Context, orgID, userID int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := db.authorize(ctx, tx, orgID, core.RuleManageMembers)
		if err != nil {
			return err
		}
		current, email, err := memberRole(ctx, tx, orgID, userID)
		if err != nil {
			return err
		}
		if !actorRole.CanGrant(current) {
			return core.Errorf(core.EFORBIDDEN, "You do not have permission to remove this member.")
		}
		if current == core.RoleOwner {
			if err := ensureAnotherOwner(ctx, tx, orgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditMemberRemoved, email)
	})
}

func memberRole(ctx context.Context, tx *sql.Tx, orgID, userID int64) (core.Role, string, error) {
	var role core.Role
	var email string
	err := tx.QueryRowContext(ctx, `SELECT m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID).Scan(&role, &email)
	return role, email, notFound(err, "The member does not exist.")
}

func ensureAnotherOwner(ctx context.Context, tx *sql.Tx, orgID int64) error {
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE org_id = ? AND role = 'owner'`,
		orgID).Scan(&owners); err != nil {
		return err
	}
	if owners < 2 {
		return core.Errorf(core.EINVALID, "The last owner of an organization cannot be removed or demoted.")
	}
	return nil
}

// InviteLifetime is how long an invitation link stays valid, as in Sentry.
const InviteLifetime = 30 * 24 * time.Hour

// InviteBySecret returns the pending invitation a link's secret redeems, and its organization.
func (db *DB) InviteBySecret(ctx context.Context, secret string) (*core.Invite, *core.Org, error) {
	var inv core.Invite
	var created int64
	err := db.db.QueryRowContext(ctx, `SELECT id, org_id, email, role, created_at FROM invites
		WHERE secret_hash = ? AND accepted_at IS NULL AND created_at > ?`,
		core.HashToken(secret), unix(db.Now().Add(-InviteLifetime))).
		Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &created)
	if err != nil {
		return nil, nil, notFound(err, "This invitation is not valid or has already been used.")
	}
	inv.CreatedAt = fromUnix(created)
	var org core.Org
	err = db.db.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM orgs WHERE id = ?`, inv.OrgID).
		Scan(&org.ID, &org.Slug, &org.Name, &created)
	org.CreatedAt = fromUnix(created)
	return &inv, &org, err
}

// AcceptInvite makes the actor a member with the invitation's role.
func (db *DB) AcceptInvite(ctx context.Context, secret string) (*core.Org, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	inv, org, err := db.InviteBySecret(ctx, secret)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invites SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL`,
			unix(db.Now()), inv.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.ENOTFOUND, "This invitation is not valid or has already been used.")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, inv.OrgID, actor.ID, inv.Role, unix(db.Now()))
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, inv.OrgID, core.AuditMemberAdded, actor.Email+" ("+string(inv.Role)+")")
	})
	return org, err
}

// AuditLog returns a page of the organization's audit log, newest first; event, when not
// "", keeps only that event.
func (db *DB) AuditLog(ctx context.Context, orgID int64, event string, page core.Page) ([]core.AuditEntry, error) {
	page = page.Normalize(50, 200)
	var out []core.AuditEntry
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleReadAuditLog); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, org_id, coalesce(actor_id, 0), actor_email, event, target, ip, created_at
			FROM audit_log WHERE org_id = ? AND (? = '' OR event = ?) ORDER BY id DESC LIMIT ? OFFSET ?`,
			orgID, event, event, page.Limit, page.Offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e core.AuditEntry
			var at int64
			if err := rows.Scan(&e.ID, &e.OrgID, &e.ActorID, &e.ActorEmail, &e.Event, &e.Target, &e.IP, &at); err != nil {
				return err
			}
			e.CreatedAt = fromUnix(at)
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// orgColumns selects an organization with its token policy (the defaults when its owners set
// none), so the cached OrgBySlug answer carries the policy the API's authorization applies.
const orgColumns = `SELECT o.id, o.slug, o.name, o.created_at, coalesce(p.revoke_exposed, true),
	coalesce(p.max_token_days, 0), coalesce(p.max_user_token_days, 0)
	FROM orgs o LEFT JOIN org_token_policies p ON p.org_id = o.id`

// orgRow is an organization being scanned from orgColumns.
type orgRow struct{ core.Org }

// scanDest lists the scan destinations of orgColumns, the creation time into created.
func (o *orgRow) scanDest(created *int64) []any {
	return []any{&o.ID, &o.Slug, &o.Name, created, &o.Policy.RevokeExposed, &o.Policy.MaxTokenDays, &o.Policy.MaxUserTokenDays}
}
