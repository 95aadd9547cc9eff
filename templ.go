// Package tokenboard holds what the whole program shares at its root: the embedded static
// assets and the go:generate line that regenerates the templ components.
package tokenboard

import (
	"embed"
	"io/fs"
)

//go:generate go tool templ generate -path views

// Static holds the stylesheet, scripts and images, served under /static/.
//
//go:embed static
var Static embed.FS

// StaticFS returns the static assets rooted at the static folder.
func StaticFS() fs.FS {
	sub, err := fs.Sub(Static, "static")
	if err != nil {
		panic(err) // the folder is embedded at build time: it cannot be missing
	}
	return sub
}
