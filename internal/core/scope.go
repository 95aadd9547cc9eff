package core

import (
	"math/bits"
	"strings"
)

// Scope is one Sentry permission, such as "project:read".
type Scope uint8

// The scopes, in Sentry's order. The numeric values index a ScopeSet's bits and never reach
// storage: scopes are stored and exchanged by name.
const (
	ScopeOrgRead Scope = iota
	ScopeOrgWrite
	ScopeOrgAdmin
	ScopeOrgIntegrations
	ScopeOrgCI
	ScopeMemberRead
	ScopeMemberInvite
	ScopeMemberWrite
	ScopeMemberAdmin
	ScopeTeamRead
	ScopeTeamWrite
	ScopeTeamAdmin
	ScopeProjectRead
	ScopeProjectWrite
	ScopeProjectAdmin
	ScopeProjectReleases
	ScopeEventRead
	ScopeEventWrite
	ScopeEventAdmin
	ScopeAlertsRead
	ScopeAlertsWrite
	scopeCount
)

var scopeNames = [scopeCount]string{
	"org:read", "org:write", "org:admin", "org:integrations", "org:ci",
	"member:read", "member:invite", "member:write", "member:admin",
	"team:read", "team:write", "team:admin",
	"project:read", "project:write", "project:admin", "project:releases",
	"event:read", "event:write", "event:admin",
	"alerts:read", "alerts:write",
}

// String returns the scope's name.
func (s Scope) String() string {
	if s < scopeCount {
		return scopeNames[s]
	}
	return "unknown"
}

// ParseScope returns the scope with the given name.
func ParseScope(name string) (Scope, bool) {
	for i, n := range scopeNames {
		if n == name {
			return Scope(i), true
		}
	}
	return 0, false
}

// ScopeSet is a set of scopes as a bit mask, so that the authentication hot path intersects
// and tests sets without allocating.
type ScopeSet uint32

// NewScopeSet returns the set holding exactly the given scopes.
func NewScopeSet(scopes ...Scope) ScopeSet {
	var s ScopeSet
	for _, sc := range scopes {
		s |= 1 << sc
	}
	return s
}

// ParseScopeSet builds a set from scope names; an unknown name is a validation error.
func ParseScopeSet(names []string) (ScopeSet, error) {
	var s ScopeSet
	for _, n := range names {
		sc, ok := ParseScope(strings.TrimSpace(n))
		if !ok {
			return 0, FieldError("scopes", "Invalid scope: "+n)
		}
		s |= 1 << sc
	}
	return s, nil
}

// Has reports whether the set holds sc itself (no hierarchy: expand the set first).
func (s ScopeSet) Has(sc Scope) bool { return s&(1<<sc) != 0 }

// HasAny reports whether the set holds at least one scope of other.
func (s ScopeSet) HasAny(other ScopeSet) bool { return s&other != 0 }

// Contains reports whether every scope of other is in s.
func (s ScopeSet) Contains(other ScopeSet) bool { return s&other == other }

// Intersect returns the scopes in both sets.
func (s ScopeSet) Intersect(other ScopeSet) ScopeSet { return s & other }

// Union returns the scopes in either set.
func (s ScopeSet) Union(other ScopeSet) ScopeSet { return s | other }

// Minus returns the scopes of s that are not in other.
func (s ScopeSet) Minus(other ScopeSet) ScopeSet { return s &^ other }

// Len returns the number of scopes in the set.
func (s ScopeSet) Len() int { return bits.OnesCount32(uint32(s)) }

// Scopes returns the members of the set in Sentry's order.
func (s ScopeSet) Scopes() []Scope {
	out := make([]Scope, 0, s.Len())
	for i := Scope(0); i < scopeCount; i++ {
		if s.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// Names returns the scope names sorted alphabetically, the order Sentry shows and stores.
func (s ScopeSet) Names() []string {
	out := make([]string, 0, s.Len())
	for _, i := range sortedScopes {
		if s.Has(i) {
			out = append(out, scopeNames[i])
		}
	}
	return out
}

// String returns the names joined with ", ".
func (s ScopeSet) String() string { return strings.Join(s.Names(), ", ") }

// sortedScopes lists every scope in alphabetical order of its name.
var sortedScopes = func() []Scope {
	out := make([]Scope, scopeCount)
	for i := range out {
		out[i] = Scope(i)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && scopeNames[out[j]] < scopeNames[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}()

// AllScopes is the set of every scope.
const AllScopes ScopeSet = 1<<scopeCount - 1

// implied lists, for each scope, the scopes it directly implies: X:admin ⊃ X:write ⊃ X:read,
// org:admin ⊃ org:integrations, member:write ⊃ member:invite ⊃ member:read,
// alerts:write ⊃ alerts:read. org:ci and project:releases stand alone.
var implied = map[Scope][]Scope{
	ScopeOrgAdmin:     {ScopeOrgWrite, ScopeOrgIntegrations},
	ScopeOrgWrite:     {ScopeOrgRead},
	ScopeMemberAdmin:  {ScopeMemberWrite},
	ScopeMemberWrite:  {ScopeMemberInvite},
	ScopeMemberInvite: {ScopeMemberRead},
	ScopeTeamAdmin:    {ScopeTeamWrite},
	ScopeTeamWrite:    {ScopeTeamRead},
	ScopeProjectAdmin: {ScopeProjectWrite},
	ScopeProjectWrite: {ScopeProjectRead},
	ScopeEventAdmin:   {ScopeEventWrite},
	ScopeEventWrite:   {ScopeEventRead},
	ScopeAlertsWrite:  {ScopeAlertsRead},
}

// expansion[i] is scope i together with everything it implies, transitively.
var expansion = func() [scopeCount]ScopeSet {
	var out [scopeCount]ScopeSet
	var visit func(Scope) ScopeSet
	visit = func(s Scope) ScopeSet {
		set := NewScopeSet(s)
		for _, sub := range implied[s] {
			set |= visit(sub)
		}
		return set
	}
	for i := Scope(0); i < scopeCount; i++ {
		out[i] = visit(i)
	}
	return out
}()

// Expand returns the set with every scope implied by its members added.
func (s ScopeSet) Expand() ScopeSet {
	out := s
	for _, sc := range s.Scopes() {
		out |= expansion[sc]
	}
	return out
}
