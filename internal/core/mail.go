package core

// RenderedMail is an outbox message rendered for sending: what the email templates
// (views/email) make of a template name and its data, and what the transports of
// internal/mail wrap into MIME. It lives here so that neither of the two imports the other.
type RenderedMail struct {
	Subject string
	HTML    string
	Text    string
}
