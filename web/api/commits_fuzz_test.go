package api

import (
	"encoding/json"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// FuzzReleaseCommitsBody feeds arbitrary "commits" and "refs" to the release PUT's readers:
// they must never panic, and what they accept either passes core's validation or is
// refused by it with a field error, never anything else.
func FuzzReleaseCommitsBody(f *testing.F) {
	f.Add(`{"commits":[{"id":"abc","repository":"acme/web","message":"m","author_name":"A","author_email":"a@x","timestamp":"2026-12-01T20:15:06Z","patch_set":[{"path":"a","type":"M"}]}]}`)
	f.Add(`{"refs":[{"repository":"acme/web","commit":"0123","previousCommit":null}]}`)
	f.Add(`{"commits":[{"id":null,"timestamp":"yesterday"}],"refs":{}}`)
	f.Add(`{"commits":"x","refs":[1,2]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		b := &jsonBody{fields: map[string]json.RawMessage{}, errs: map[string]string{}}
		if json.Unmarshal([]byte(raw), &b.fields) != nil {
			return
		}
		commits, okC := b.commits("commits")
		refs, okR := b.refs("refs")
		if len(b.errs) > 0 {
			return
		}
		if okC {
			if err := core.ValidateCommits(commits); err != nil && core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("commits %q: %v", raw, err)
			}
		}
		if okR {
			if err := core.ValidateRefs(refs); err != nil && core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("refs %q: %v", raw, err)
			}
		}
	})
}
