// Package core is tokenboard's domain: its types, the role and scope rules, the token formats
// and the service interfaces the adapters implement. It imports the standard library only.
package core
