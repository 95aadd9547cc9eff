package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Teams returns the organization's teams by name.
func (db *DB) Teams(ctx context.Context, orgID int64) ([]core.Team, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadTeams); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id, org_id, slug, name, created_at FROM teams
		WHERE org_id = ? ORDER BY name, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Team
	for rows.Next() {
		var t core.Team
		var created int64
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Slug, &t.Name, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = fromUnix(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// validateNameSlug trims and checks a team's or project's display name (with field) and its
// slug (derived from the name when blank), reporting both fields at once.
func validateNameSlug(field core.TextField, name, slug string) (string, string, error) {
	slug = strings.TrimSpace(slug)
	fields := map[string]string{}
	var msg string
	if name, msg = field.Check(name); msg != "" {
		fields["name"] = msg
	}
	if slug == "" {
		slug = core.Slugify(name)
	}
	if msg := core.ValidateSlug(slug); msg != "" {
		fields["slug"] = msg
	}
	if len(fields) > 0 {
		return "", "", &core.Error{Code: core.EINVALID, Message: "Please correct the errors below.", Fields: fields}
	}
	return name, slug, nil
}

// CreateTeam adds a team.
func (db *DB) CreateTeam(ctx context.Context, orgID int64, slug, name string) (*core.Team, error) {
	name, slug, err := validateNameSlug(core.TeamNameField, name, slug)
	if err != nil {
		return nil, err
	}
	t := core.Team{OrgID: orgID, Slug: slug, Name: name, CreatedAt: db.Now()}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleCreateTeam); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO teams (org_id, slug, name, created_at) VALUES (?, ?, ?, ?)
			RETURNING id`, orgID, slug, name, unix(t.CreatedAt)).Scan(&t.ID)
		return conflictAs(err, "slug", "A team with this slug already exists.")
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

const projectColumns = `id, org_id, coalesce(team_id, 0), slug, name, platform, created_at`

func scanProject(row interface{ Scan(...any) error }) (*core.Project, error) {
	var p core.Project
	var created int64
	if err := row.Scan(&p.ID, &p.OrgID, &p.TeamID, &p.Slug, &p.Name, &p.Platform, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromUnix(created)
	return &p, nil
}

// Projects returns the organization's projects by slug.
func (db *DB) Projects(ctx context.Context, orgID int64) ([]core.Project, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadProjects); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE org_id = ? ORDER BY slug`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// ProjectBySlug returns one project of the organization.
func (db *DB) ProjectBySlug(ctx context.Context, orgID int64, slug string) (*core.Project, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadProjects); err != nil {
		return nil, err
	}
	p, err := scanProject(db.db.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects
		WHERE org_id = ? AND slug = ?`, orgID, slug))
	return p, notFound(err, "The requested resource does not exist.")
}

// CreateProject adds a project, under a team when teamSlug is given.
func (db *DB) CreateProject(ctx context.Context, orgID int64, teamSlug, slug, name string) (*core.Project, error) {
	name, slug, err := validateNameSlug(core.ProjectNameField, name, slug)
	if err != nil {
		return nil, err
	}
	var p *core.Project
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleCreateProject); err != nil {
			return err
		}
		var teamID sql.NullInt64
		if teamSlug != "" {
			err := tx.QueryRowContext(ctx, `SELECT id FROM teams WHERE org_id = ? AND slug = ?`, orgID, teamSlug).Scan(&teamID)
			if err != nil {
				return notFound(err, "The requested resource does not exist.")
			}
		}
		p, err = scanProject(tx.QueryRowContext(ctx, `INSERT INTO projects (org_id, team_id, slug, name, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING `+projectColumns, orgID, teamID, slug, name, unix(db.Now())))
		return conflictAs(err, "slug", "A project with this slug already exists.")
	})
	return p, err
}

// DeleteProject removes a project.
func (db *DB) DeleteProject(ctx context.Context, orgID int64, slug string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleDeleteProject); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM projects WHERE org_id = ? AND slug = ?`, orgID, slug)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.ENOTFOUND, "The requested resource does not exist.")
		}
		return nil
	})
}
