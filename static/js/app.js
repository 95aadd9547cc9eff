// tokenboard's progressive enhancements. Every page works without this file: forms post to
// the server, which confirms, validates and refuses on its own.
(function () {
  "use strict";

  // Confirmation before a destructive action: forms with data-confirm open an accessible
  // <dialog> (focus moves into it, Escape cancels) instead of submitting at once. Without
  // JavaScript the form posts to a server-side confirmation page instead.
  function confirmDialog(message, confirmLabel, onConfirm) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-message");
    var body = document.createElement("div");
    body.className = "dialog-body";
    var p = document.createElement("p");
    p.id = "confirm-message";
    p.textContent = message;
    body.appendChild(p);
    var footer = document.createElement("div");
    footer.className = "dialog-footer";
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.className = "btn"; cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "button"; ok.className = "btn btn-danger btn-solid"; ok.textContent = confirmLabel || "Confirm";
    footer.appendChild(cancel); footer.appendChild(ok);
    dialog.appendChild(body); dialog.appendChild(footer);
    document.body.appendChild(dialog);
    cancel.addEventListener("click", function () { dialog.close(); });
    ok.addEventListener("click", function () { dialog.close(); onConfirm(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    dialog.showModal();
    cancel.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    event.preventDefault();
    confirmDialog(form.dataset.confirm, form.dataset.confirmLabel, function () {
      form.dataset.confirmed = "1";
      var confirmed = document.createElement("input");
      confirmed.type = "hidden"; confirmed.name = "confirmed"; confirmed.value = "1";
      form.appendChild(confirmed);
      form.submit();
    });
  });

  // Copy buttons: data-copy-target names the input whose value is copied.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copyTarget);
    if (!input) return;
    input.select();
    var done = function () {
      var target = button.querySelector("[data-copy-label]") || button;
      var label = target.textContent;
      target.textContent = "Copied";
      setTimeout(function () { target.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // Token forms (issue 12): the copy button exists only where it can work, so its markup is a
  // <template> put in place here; a create form's submit marked data-needs-value waits for
  // that field (the server checks again); after a validation error the first invalid field
  // takes the focus (a create form's Name has autofocus otherwise).
  document.querySelectorAll("template[data-copy-button]").forEach(function (template) {
    template.replaceWith(template.content.cloneNode(true));
  });
  document.querySelectorAll("[data-needs-value]").forEach(function (button) {
    var field = document.getElementById(button.dataset.needsValue);
    if (!field) return;
    var sync = function () { button.disabled = field.value.trim() === ""; };
    field.addEventListener("input", sync);
    sync();
  });
  var invalid = document.querySelector('[aria-invalid="true"], .field.has-error input:not([type=hidden]), .field.has-error select, .field.has-error textarea');
  if (invalid) invalid.focus();

  // Permission selects: each option carries data-scopes; the preview lists the union, and
  // the submit button marked data-needs-scopes is disabled while nothing is selected.
  function updatePreview(form) {
    var scopes = {};
    form.querySelectorAll("select[data-permission]").forEach(function (select) {
      var option = select.options[select.selectedIndex];
      (option && option.dataset.scopes ? option.dataset.scopes.split(" ") : []).forEach(function (s) {
        if (s) scopes[s] = true;
      });
    });
    var names = Object.keys(scopes).sort();
    var preview = form.querySelector("[data-scope-preview]");
    if (preview) {
      preview.textContent = "";
      names.forEach(function (name) {
        var tag = document.createElement("span");
        tag.className = "tag"; tag.textContent = name;
        preview.appendChild(tag);
      });
      if (names.length === 0) preview.textContent = "No permissions selected.";
    }
    form.querySelectorAll("[data-needs-scopes]").forEach(function (button) {
      button.disabled = names.length === 0;
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (form.querySelector("select[data-permission]")) {
      updatePreview(form);
      form.addEventListener("change", function () { updatePreview(form); });
    }
  });

  // Expiration: the date field shows only when "custom" is chosen.
  document.querySelectorAll("select[data-expiry]").forEach(function (select) {
    var date = document.getElementById(select.dataset.expiry);
    var sync = function () { if (date) date.hidden = select.value !== "custom"; };
    select.addEventListener("change", sync);
    sync();
  });
  // The user-token form's policy warning (issue 15): each organization that bounds user
  // tokens' lifetime is listed with data-max-days; the warning names those that would refuse
  // the chosen expiry, by the server's rule (core.TokenPolicy.UserTokenRefused: longer than
  // the policy by more than a minute, or never), and hides when none would. The server
  // renders the same warning for the expiry it was given, and repeats it after creation.
  (function userTokenPolicies() {
    var policies = document.querySelectorAll("[data-user-token-policy]");
    var warning = document.getElementById("user-token-refusals");
    var select = document.getElementById("expiration");
    if (!policies.length || !warning || !select) return;
    var list = warning.querySelector("ul");
    var date = document.getElementById(select.dataset.expiry || "expiration-date");
    var day = 24 * 60 * 60 * 1000;
    // The chosen lifetime in milliseconds, Infinity for never, null while a custom date is
    // not a date yet (the server then says what is wrong with it).
    var lifetime = function () {
      if (select.value === "never" || select.value === "") return Infinity;
      if (select.value === "custom") {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ? date.value : "");
        if (!m) return null;
        // A custom date means the end of that day, UTC.
        return Date.UTC(+m[1], +m[2] - 1, +m[3], 23, 59, 59) - Date.now();
      }
      var days = parseInt(select.value, 10);
      return isNaN(days) ? null : days * day;
    };
    var sync = function () {
      var life = lifetime();
      list.textContent = "";
      policies.forEach(function (org) {
        var max = parseInt(org.dataset.maxDays, 10);
        if (life === null || !(max > 0) || life <= max * day + 60 * 1000) return;
        var item = document.createElement("li");
        var name = document.createElement("strong");
        name.textContent = org.dataset.orgName;
        item.appendChild(name);
        item.appendChild(document.createTextNode(": at most " + org.dataset.maxLabel));
        list.appendChild(item);
      });
      warning.hidden = list.children.length === 0;
    };
    select.addEventListener("change", sync);
    if (date) {
      date.addEventListener("change", sync);
      date.addEventListener("input", sync);
    }
    sync();
  })();

  // Focus: after a validation error the first invalid field takes the cursor; otherwise the
  // field the page marks autofocus (a create form's Name). Browsers honour autofocus on
  // their own only on first load, and never move to an invalid field.
  (function focusFirst() {
    var target = document.querySelector('[aria-invalid="true"]') || document.querySelector("[autofocus]");
    if (target && typeof target.focus === "function" && !target.disabled) {
      target.focus();
    }
  })();

  // Webhook options of an integration (Sentry's subscriptionBox): an event subscription needs
  // Read on Issue & Event and a webhook URL, the alert rule action a webhook URL. While one is
  // missing the option is disabled and unchecked, its reason shown as the tooltip and read to
  // screen readers. The server refuses the same combinations on its own.
  function setOptionReason(box, reason) {
    var row = box.closest(".field");
    var note = document.getElementById(box.id + "-reason");
    if (!note) {
      note = document.createElement("span");
      note.id = box.id + "-reason";
      note.className = "visually-hidden";
      box.insertAdjacentElement("afterend", note);
      var described = box.getAttribute("aria-describedby");
      box.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    }
    note.textContent = reason;
    box.disabled = reason !== "";
    if (reason !== "") box.checked = false;
    if (row) {
      if (reason !== "") row.setAttribute("data-tooltip", reason);
      else row.removeAttribute("data-tooltip");
    }
  }
  function syncWebhookOptions(form) {
    var url = form.querySelector("[data-webhook-url]");
    var eventPermission = form.querySelector('select[name="perm-event"]');
    var noURL = !url || url.value.trim() === "";
    var noRead = !!eventPermission && eventPermission.value === "no-access";
    form.querySelectorAll("[data-needs-webhook]").forEach(function (box) {
      var reason = "";
      if (noRead && box.dataset.needsEventRead) reason = box.dataset.needsEventRead;
      if (noURL) reason = box.dataset.needsWebhook;
      setOptionReason(box, reason);
    });
  }
  document.querySelectorAll("form[data-webhook-form]").forEach(function (form) {
    var readOnly = form.querySelector("fieldset:disabled");
    if (readOnly) return;
    syncWebhookOptions(form);
    form.addEventListener("input", function () { syncWebhookOptions(form); });
    form.addEventListener("change", function () { syncWebhookOptions(form); });
  });

  // The menu button: on a phone the sidebar hides behind it. Without JavaScript it is a link
  // to #sidebar, which the stylesheet shows with :target; here it becomes a toggle.
  var menuButton = document.querySelector("[data-menu-toggle]");
  var sidebar = document.getElementById("sidebar");
  if (menuButton && sidebar) {
    menuButton.setAttribute("role", "button");
    menuButton.setAttribute("aria-expanded", "false");
    var setMenu = function (open) {
      sidebar.classList.toggle("open", open);
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
    };
    menuButton.addEventListener("click", function (event) {
      event.preventDefault();
      setMenu(!sidebar.classList.contains("open"));
    });
    menuButton.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); menuButton.click(); }
    });
    var close = sidebar.querySelector("[data-menu-close]");
    if (close) close.addEventListener("click", function (event) {
      event.preventDefault();
      setMenu(false);
      menuButton.focus();
    });
  }

  // Local time: the server writes UTC; <time data-local> elements are shown in the viewer's
  // time zone, with the UTC time kept as the tooltip.
  document.querySelectorAll("time[datetime][data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    var options = { year: "numeric", month: "short", day: "numeric" };
    if (el.dataset.local !== "date") {
      options.hour = "2-digit"; options.minute = "2-digit"; options.timeZoneName = "short";
    }
    if (!el.title) el.title = el.textContent.trim();
    el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
  });

  // Filters (the audit log's event) apply as soon as a choice is made; the Filter button
  // does the same without JavaScript.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.submit(); });
  });

  // Theme: the account's choice previews at once, before it is saved.
  var themeSelect = document.querySelector("[data-theme-select]");
  if (themeSelect) themeSelect.addEventListener("change", function () {
    var root = document.documentElement;
    if (themeSelect.value === "light" || themeSelect.value === "dark") root.setAttribute("data-theme", themeSelect.value);
    else root.removeAttribute("data-theme");
  });
})();
