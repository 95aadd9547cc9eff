package core_test

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestUserCarriesNoSecret keeps credentials out of the domain type: a User travels into every
// page's organization list, every cached token principal and every template, so a password
// hash on it would travel too. The store keeps the hash to itself.
func TestUserCarriesNoSecret(t *testing.T) {
	secret := regexp.MustCompile(`(?i)pass|hash|secret|credential|salt|bcrypt`)
	typ := reflect.TypeFor[core.User]()
	if typ.NumField() == 0 {
		t.Fatal("core.User has no fields: the test would check nothing")
	}
	for i := range typ.NumField() {
		if f := typ.Field(i); secret.MatchString(f.Name) {
			t.Errorf("core.User has a field %s: keep credentials in the store (internal/sqlite), not on the domain type", f.Name)
		}
	}
}
