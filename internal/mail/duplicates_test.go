package mail_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Issue 10 item 4: a process killed right after the SMTP server accepted a message sent it
// again after the restart, because the message was marked sent only after the rest of the
// SMTP session (RSET, QUIT). The mark must be committed as soon as the server has accepted
// the data: here the server holds the session right after its 250, and the outbox must
// already say "sent" while it does.
func TestMessageIsMarkedSentAsSoonAsTheServerAcceptsIt(t *testing.T) {
	app := apptest.Start(t)
	release := app.SMTP.HoldAfterAccept()
	defer release()

	app.MintUserToken(t, apptest.AcmeOwner, core.NewScopeSet(core.ScopeOrgRead), nil) // emails the owner
	app.SMTP.WaitFor(t, 1, 10*time.Second)

	deadline := time.Now().Add(10 * time.Second)
	for {
		due, err := app.DB.DueMessages(context.Background(), time.Now().Add(24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server accepted message %d, but it is not marked sent while the SMTP session is still open: "+
				"a process killed now would send it again", due[0].ID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
