package smtptest

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one message as the server received it, plus the parts tests assert on, decoded.
type Message struct {
	// Envelope, as given in MAIL FROM and RCPT TO.
	From string
	To   []string
	// Username is the AUTH PLAIN username, "" if the client did not authenticate.
	Username string
	// Data is the raw message, headers and body, exactly as sent.
	Data string

	// Header is the parsed header of Data.
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded bodies of the first text/plain and text/html parts.
	Text string
	HTML string
	// ParseErr is why Data could not be parsed, nil if it could.
	ParseErr error
}

// ParseMessage parses a raw RFC 5322 message (for example an .eml file) into a Message with
// Header, Subject, Text and HTML filled in. Envelope fields stay empty.
func ParseMessage(raw string) (Message, error) {
	m := Message{Data: raw}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return m, fmt.Errorf("smtptest: parse message: %w", err)
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("smtptest: decode subject: %w", err)
	}
	if err := m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return m, err
	}
	return m, nil
}

// walk descends into multipart bodies and keeps the first text/plain and text/html leaves.
func (m *Message) walk(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("smtptest: content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: NextPart would decode quoted-printable itself and hide the header.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("smtptest: multipart: %w", err)
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	decoded, err := decodeBody(encoding, body)
	if err != nil {
		return err
	}
	switch {
	case mediaType == "text/plain" && m.Text == "":
		m.Text = decoded
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = decoded
	}
	return nil
}

func decodeBody(encoding string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // ignores the line breaks itself
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("smtptest: unknown transfer encoding %q", encoding)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("smtptest: decode %s body: %w", encoding, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
