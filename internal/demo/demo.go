// Package demo seeds the demo organizations a newcomer can sign in to.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
)

type demoUser struct {
	email, name string
	role        core.Role
}

// The demo: Acme Corp with one user per role and a repository (acme/web), and Globex with its
// own owner, so that a newcomer can sign in as anyone and see what each role may do.
var (
	acmeUsers = []demoUser{
		{"owner@acme.test", "Olivia Owner", core.RoleOwner},
		{"owner2@acme.test", "Oscar Owner", core.RoleOwner},
		{"manager@acme.test", "Mona Manager", core.RoleManager},
		{"admin@acme.test", "Adam Admin", core.RoleAdmin},
		{"member@acme.test", "Mia Member", core.RoleMember},
		{"billing@acme.test", "Bill Billing", core.RoleBilling},
	}
	globexOwner = demoUser{"owner@globex.test", "Gary Globex", core.RoleOwner}
)

// Password is the demo users' default password.
const Password = "tokenboard-demo"

// SeedIfEmpty seeds the demo data into a database that has no user yet and reports whether
// it did; a database with users is left alone. Instances started together on one empty
// PostgreSQL database seed it once: the others wait for the first, then find it seeded.
func SeedIfEmpty(ctx context.Context, db *store.DB, password string, out io.Writer) (seeded bool, err error) {
	err = db.WhileMigrationsLocked(ctx, func() error {
		empty, err := db.IsEmpty(ctx)
		if err != nil || !empty {
			return err
		}
		seeded = true
		return Seed(ctx, db, password, out)
	})
	return seeded, err
}

// Seed creates what is missing of the demo data and leaves the rest as it is, so running it
// twice leaves the same data. ctx must carry the console operator as its actor.
func Seed(ctx context.Context, db *store.DB, password string, out io.Writer) error {
	users := map[string]*core.User{}
	for _, du := range append(acmeUsers, globexOwner) {
		u, err := ensureUser(ctx, db, du, password)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", du.email, describe(err))
		}
		users[du.email] = u
	}
	acme, err := ensureOrg(ctx, db, "acme", "Acme Corp", users["owner@acme.test"])
	if err != nil {
		return err
	}
	for _, du := range acmeUsers[1:] {
		if err := ensureMember(ctx, db, acme, users[du.email], du.role); err != nil {
			return fmt.Errorf("demo member %s: %w", du.email, describe(err))
		}
	}
	if err := ensureTeamAndProjects(ctx, db, acme); err != nil {
		return err
	}
	if err := ensureRepository(ctx, db, acme, users["owner@acme.test"]); err != nil {
		return err
	}
	if _, err := ensureOrg(ctx, db, "globex", "Globex", users[globexOwner.email]); err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo data ready. Sign in with any of these, password %q:\n", password)
	for _, du := range append(acmeUsers, globexOwner) {
		fmt.Fprintf(out, "  %-20s %s\n", du.email, du.role.Label())
	}
	return nil
}

func ensureUser(ctx context.Context, db *store.DB, du demoUser, password string) (*core.User, error) {
	u, err := db.UserByEmail(ctx, du.email)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return db.CreateUser(ctx, core.NewUser{Email: du.email, Name: du.name, Password: password})
	}
	return u, err
}

func ensureOrg(ctx context.Context, db *store.DB, slug, name string, owner *core.User) (*core.Org, error) {
	org, err := db.OrgBySlug(ctx, slug)
	if core.ErrorCode(err) == core.ENOTFOUND {
		ownerCtx := core.WithActor(ctx, core.Actor{User: owner, IP: "console"})
		org, err = db.CreateOrg(ownerCtx, slug, name)
	}
	if err != nil {
		return nil, fmt.Errorf("demo organization %s: %w", slug, describe(err))
	}
	return org, nil
}

func ensureMember(ctx context.Context, db *store.DB, org *core.Org, u *core.User, role core.Role) error {
	m, err := db.Membership(ctx, org.ID, u.ID)
	switch {
	case core.ErrorCode(err) == core.ENOTFOUND:
		_, err = db.AddMember(ctx, org.ID, u.Email, role)
		return err
	case err != nil:
		return err
	case m.Role != role:
		return db.ChangeRole(ctx, org.ID, u.ID, role)
	}
	return nil
}

func ensureTeamAndProjects(ctx context.Context, db *store.DB, org *core.Org) error {
	teams, err := db.Teams(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(teams) == 0 {
		if _, err := db.CreateTeam(ctx, org.ID, "backend", "Backend"); err != nil {
			return describe(err)
		}
	}
	for _, p := range []struct{ slug, name, team string }{{"web", "Web", ""}, {"api", "API", "backend"}} {
		if _, err := db.ProjectBySlug(ctx, org.ID, p.slug); core.ErrorCode(err) == core.ENOTFOUND {
			if _, err := db.CreateProject(ctx, org.ID, p.team, p.slug, p.name); err != nil {
				return describe(err)
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// demoRepository is acme's repository, so that a newcomer's first "sentry-cli releases
// set-commits VERSION --commit acme/web@SHA" works: the CLI refuses a repository the server
// does not list, and adding one is an owner's step on Settings > Repositories.
var demoRepository = core.NewRepository{Name: "acme/web", URL: "https://github.com/acme/web"}

func ensureRepository(ctx context.Context, db *store.DB, org *core.Org, owner *core.User) error {
	ownerCtx := core.WithActor(ctx, core.Actor{User: owner, IP: "console"})
	_, err := db.AddRepository(ownerCtx, org.ID, demoRepository)
	if err != nil && core.ErrorCode(err) != core.ECONFLICT {
		return fmt.Errorf("demo repository %s: %w", demoRepository.Name, describe(err))
	}
	return nil
}

// describe turns a core error into one readable line.
func describe(err error) error { return errors.New(core.ErrorText(err)) }
