package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/views"
)

// TestBrowserOwnerAddsARepositoryAndAMemberCannot: the owner adds acme/docs through the form
// (a refused name first, kept in the field with its message); a member sees the list
// without the form or any Remove button, and the server refuses the member's own
// same-origin POST, which a real browser sends with Sec-Fetch-Site.
func TestBrowserOwnerAddsARepositoryAndAMemberCannot(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	page := app.URL + "/settings/acme/repos/"

	owner := apptest.Browser(t)
	app.BrowserLogin(t, owner, apptest.AcmeOwner)
	do(t, owner,
		chromedp.Navigate(app.URL+"/settings/acme/"),
		chromedp.Click(chromedp.Search(`//nav[@id="sidebar"]//a[normalize-space()="Repositories"]`)),
		chromedp.WaitVisible(chromedp.ID("repository-name")),
		chromedp.SendKeys(chromedp.ID("repository-name"), "acme/docs@main"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add Repository"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#repository-name[aria-invalid="true"]`)),
	)
	if v := run(t, owner, chromedp.Value(chromedp.ID("repository-name"))); v != "acme/docs@main" {
		t.Errorf("the refused name was not kept: %q", v)
	}
	if msg := run(t, owner, chromedp.Text(chromedp.CSS("form.panel"))); !strings.Contains(msg, "cannot contain @ or #") {
		t.Errorf("the form does not say why: %q", msg)
	}
	do(t, owner,
		chromedp.Clear(chromedp.ID("repository-name")),
		chromedp.SendKeys(chromedp.ID("repository-name"), "acme/docs"),
		chromedp.SendKeys(chromedp.ID("repository-url"), "https://github.com/acme/docs"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add Repository"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	if flash := run(t, owner, chromedp.Text(chromedp.CSS(".alert-success"))); flash != "Added the repository acme/docs." {
		t.Errorf("flash %q", flash)
	}
	if row := run(t, owner, chromedp.Text(chromedp.CSS(`tr[data-repository="acme/docs"]`))); !strings.Contains(row, "https://github.com/acme/docs") {
		t.Errorf("row %q", row)
	}
	if id := repositoryID(t, app, "acme/docs"); id == 0 {
		t.Fatal("acme/docs was not added")
	}

	member := apptest.Browser(t)
	app.BrowserLogin(t, member, apptest.AcmeMember)
	do(t, member, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`tr[data-repository="acme/docs"]`)))
	var controls struct{ Forms, Buttons int }
	evalInto(t, member, `({Forms: document.querySelectorAll("main form").length,
		Buttons: [...document.querySelectorAll("main button")].filter(b => /Add Repository|Remove/.test(b.textContent)).length})`, &controls)
	if controls.Forms != 0 || controls.Buttons != 0 {
		t.Errorf("the member's page has %d forms and %d add/remove buttons, want none", controls.Forms, controls.Buttons)
	}
	if note := run(t, member, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(note, views.RepositoryManagersOnly) {
		t.Errorf("the member is not told who may add: %q", note)
	}
	// The member's browser posts anyway, same-origin with the page's CSRF token.
	status := run(t, member, chromedp.Evaluate[int](`(async () => {
		const csrf = document.querySelector("input[name=csrf_token]").value;
		const r = await fetch(location.pathname, {method: "POST", redirect: "manual",
			body: new URLSearchParams({csrf_token: csrf, name: "acme/sneaky"})});
		return r.status; })()`, chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Errorf("the member's POST answered %d, want 403", status)
	}
	if repositoryID(t, app, "acme/sneaky") != 0 {
		t.Error("the member's POST added a repository")
	}
}
