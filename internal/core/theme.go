package core

// The color themes a user may choose, as Sentry's account details offer them. The choice is
// stored per user; ThemeSystem (the default) follows the browser's prefers-color-scheme.
const (
	ThemeLight  = "light"
	ThemeDark   = "dark"
	ThemeSystem = "system"
)

// Themes lists the choices in the order the account details show them, with their labels.
var Themes = []struct{ Value, Label string }{
	{ThemeLight, "Light"},
	{ThemeDark, "Dark"},
	{ThemeSystem, "Default to system"},
}

// ValidateTheme refuses anything but the three choices, with a field error on "theme".
func ValidateTheme(theme string) error {
	switch theme {
	case ThemeLight, ThemeDark, ThemeSystem:
		return nil
	}
	return &Error{Code: EINVALID, Message: "Please correct the errors below.",
		Fields: map[string]string{"theme": "Choose Light, Dark or Default to system."}}
}
