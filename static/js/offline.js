// On every page: installs the service worker, says calmly when the phone is offline or has
// reports waiting, sends the outbox when it can (on opening, on coming back online, and again
// after a while if the signal is patchy), warns before signing out with unsent reports, and
// draws the outbox page. Needs outbox.js first, and the page's JavaScript catalogue (gettext,
// ngettext, interpolate: /jsi18n/<lang>/, loaded before it by base.html).
(function () {
  "use strict";
  var Outbox = window.Outbox;
  var user = document.body.dataset.user;
  var bar = document.querySelector("[data-connection]");
  var worker = "serviceWorker" in navigator ? navigator.serviceWorker : null;
  var retryDelay = 5000;
  var retryTimer = null;
  if (!Outbox || !window.indexedDB) return;

  if (worker) {
    worker.register("/sw.js").catch(function () {});
    if (user && navigator.onLine) {
      // The worker keeps the pages, and this page's catalogue (the scripts' words, base.html).
      var catalogue = document.querySelector("script[data-catalogue]");
      worker.ready.then(function (registration) {
        registration.active.postMessage({ warm: true, catalogue: catalogue && catalogue.getAttribute("src") });
      });
    }
    // Links that lead to the step-by-step pages lead to the page kept on the phone instead.
    document.querySelectorAll("a[data-offline-href]").forEach(function (link) {
      link.href = link.dataset.offlineHref;
    });
  }

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  // A sentence with a count in it: `forms` is ngettext's answer for n, with %(count)s in it.
  function counted(forms, n) { return interpolate(forms, { count: n }, true); }

  function showStatus() {
    if (!bar) return;
    Outbox.unsent().then(function (records) {
      var waiting = records.filter(function (r) { return r.state !== "draft"; }).length;
      var drafts = records.length - waiting;
      // A report that cannot go until someone signs in: the session has ended (the server said
      // so, or this page was served to nobody signed in). Waiting silently would look like sent.
      var needSignIn = records.some(function (r) {
        return r.state === "signed_out" || (!user && r.state !== "draft" && r.state !== "failed");
      });
      var parts = [];
      if (!navigator.onLine) parts.push(gettext("You are offline. What you record is kept on this phone."));
      if (waiting) {
        parts.push(counted(ngettext("%(count)s report not sent yet.",
                                    "%(count)s reports not sent yet.", waiting), waiting));
      }
      if (drafts) {
        parts.push(counted(ngettext("%(count)s draft on this phone.",
                                    "%(count)s drafts on this phone.", drafts), drafts));
      }
      bar.textContent = "";
      if (!parts.length) return;
      bar.appendChild(element("span", parts.join(" ") + " "));
      if (needSignIn) {
        if (/^\/accounts\/login\//.test(location.pathname)) {
          // The form is right here.
          bar.appendChild(element("strong", gettext("Sign in again to send the report waiting on this phone.")));
        } else {
          bar.appendChild(element("a", gettext("Sign in again to send the report waiting on this phone"), {
            href: "/accounts/login/?next=" + encodeURIComponent(location.pathname + location.search) }));
        }
        bar.appendChild(document.createTextNode(" "));
      }
      if (records.length && location.pathname !== "/outbox/") {
        bar.appendChild(element("a", gettext("Outbox"), { href: "/outbox/" }));
      }
    });
    drawOutbox();
  }

  function sync() {
    if (!user || !navigator.onLine) return;
    clearTimeout(retryTimer);
    Outbox.sync().then(function (left) {
      // Patchy signal: try again later, less and less often, while the page is open.
      if (left) {
        retryTimer = setTimeout(sync, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      } else {
        retryDelay = 5000;
      }
    }, function () {});
  }

  window.addEventListener("online", function () { showStatus(); sync(); });
  window.addEventListener("offline", showStatus);
  window.addEventListener("outbox-changed", showStatus);
  if ("BroadcastChannel" in window) new BroadcastChannel("icv-outbox").onmessage = showStatus;
  window.addEventListener("outbox-send", sync);

  // Signing out on a shared phone clears the phone's copy, after a warning if anything is unsent.
  document.querySelectorAll("form[action='/accounts/logout/']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Outbox.unsent().then(function (records) {
        if (records.length && !form.dataset.confirmed) return warn(form, records.length);
        forget(form);
      });
    });
  });

  function forget(form) {
    Outbox.clear().then(function () {
      if (worker && worker.controller) worker.controller.postMessage("forget");
      form.submit();
    });
  }

  function warn(form, count) {
    var old = document.querySelector("[data-signout-warning]");
    if (old) old.remove();
    var box = element("div", null, { class: "warning-box", role: "alert", tabindex: "-1",
                                     "data-signout-warning": "" });
    box.appendChild(element("h2", gettext("Reports on this phone have not been sent")));
    box.appendChild(element("p", counted(ngettext(
      "%(count)s report is on this phone and not yet on the server. If you sign out now, it is " +
      "deleted from this phone and lost. Send it first, or sign out and lose it.",
      "%(count)s reports are on this phone and not yet on the server. If you sign out now, they " +
      "are deleted from this phone and lost. Send them first, or sign out and lose them.",
      count), count)));
    var actions = element("p", null, { class: "actions" });
    actions.appendChild(element("a", gettext("Go to the outbox"), { href: "/outbox/", class: "button" }));
    var anyway = element("button", gettext("Sign out and delete them"), { type: "button",
                                                                   class: "button button--secondary" });
    anyway.addEventListener("click", function () { form.dataset.confirmed = "1"; forget(form); });
    actions.appendChild(anyway);
    box.appendChild(actions);
    var main = document.getElementById("main");
    main.insertBefore(box, main.firstChild);
    box.focus();
  }

  // The outbox page.
  var STATES = {
    draft: gettext("Draft on this phone"),
    waiting: gettext("Saved on this phone, waiting to send"),
    sending: gettext("Sending"),
    signed_out: gettext("Waiting for you to sign in"),
    failed: gettext("Not sent"),
    sent: pgettext("a report", "Sent"),
  };

  // Whether the browser has promised not to clear the phone's reports when space runs short.
  function showPersistence(root) {
    if (!navigator.storage || !navigator.storage.persisted) return;
    navigator.storage.persisted().then(function (persistent) {
      root.querySelector("[data-storage-persistent]").hidden = !persistent;
      root.querySelector("[data-storage-not-persistent]").hidden = persistent;
    }, function () {});
  }

  function drawOutbox() {
    var root = document.querySelector("[data-outbox]");
    if (!root) return;
    showPersistence(root);
    Outbox.all().then(function (records) {
      var list = root.querySelector("[data-outbox-list]");
      var send = root.querySelector("[data-outbox-send]");
      records.sort(function (a, b) { return b.updated - a.updated; });
      list.textContent = "";
      root.querySelector("[data-outbox-empty]").hidden = records.length > 0;
      send.hidden = !records.some(function (r) { return r.state !== "sent" && r.state !== "draft"; });
      records.forEach(function (record) {
        var item = element("li", null, { "data-report": record.uuid, "data-state": record.state });
        item.appendChild(element("h2", record.title || gettext("Visit report")));
        var state = element("p");
        state.appendChild(element("strong", STATES[record.state] || record.state, { class: "tag" }));
        item.appendChild(state);
        if (record.state === "failed" && record.error) {
          item.appendChild(element("p", Outbox.said(record.error.detail, record.error.detailArgs),
                                   { class: "error-message" }));
          var fields = record.error.fields || {};
          var reasons = element("ul");
          Object.keys(fields).forEach(function (name) {
            if (fields[name] !== record.error.detail) reasons.appendChild(element("li", fields[name]));
          });
          if (reasons.children.length) item.appendChild(reasons);
        }
        if (record.state === "sent") {
          item.appendChild(element("p", record.message));
          item.appendChild(element("a", gettext("Read the report"), { href: record.visitUrl }));
        } else {
          if (record.reason) {
            item.appendChild(element("p", Outbox.said(record.reason, record.reasonArgs), { class: "hint" }));
          }
          var edit = record.state === "failed" ? gettext("Open it and correct it") : gettext("Open it");
          item.appendChild(element("a", edit, { href: root.dataset.recordUrl + "?id=" + record.uuid }));
          if (record.state === "signed_out") {
            item.appendChild(document.createTextNode(" "));
            item.appendChild(element("a", gettext("Sign in"), { href: "/accounts/login/?next=/outbox/" }));
          }
        }
        list.appendChild(item);
      });
    });
  }

  var root = document.querySelector("[data-outbox]");
  if (root) {
    root.querySelector("[data-outbox-send]").addEventListener("click", function () {
      retryDelay = 5000;
      sync();
    });
  }

  showStatus();
  sync();
})();
