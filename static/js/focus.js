// Focus and announcements. A boosted step change or a refused form arrives by htmx, which
// leaves focus on <body> (or on nothing): a screen reader says nothing and the next Tab starts
// from the top. So, after every swap, focus goes where a full page load would take a person:
//   - the error summary, if the new content has one (GOV.UK: it lists the mistakes, with links);
//   - else, for a page change (hx-boost), the new page's <h1>, and its notice is read out;
//   - else, for a part swapped in place, its heading if focus was inside the part and is now
//     lost; and the change is read out through the polite live region in base.html.
// On a full page load the error summary takes focus too. Without JavaScript nothing changes:
// the summary is the first thing in <main> after the <h1>.
(function () {
  "use strict";

  var SUMMARY = "[data-error-summary]";

  function within(root, selector) {
    if (!root || !root.querySelector) return null;
    return root.matches && root.matches(selector) ? root : root.querySelector(selector);
  }

  function focusElement(element, scroll) {
    // A heading is not a control: it takes focus from script only, never from Tab.
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus({ preventScroll: !scroll });
  }

  function focusPage() {
    var summary = document.querySelector(SUMMARY);
    if (summary) {
      focusElement(summary, true);
      return;
    }
    var heading = document.querySelector("main h1");
    if (heading) focusElement(heading, false);
  }

  var timer = null;
  function announce(text) {
    var region = document.querySelector("[data-announce]");
    text = (text || "").replace(/\s+/g, " ").trim();
    if (!region || !text) return;
    // Emptied first, so the same words said twice in a row are read twice.
    region.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(function () {
      region.textContent = text.length > 200 ? text.slice(0, 197) + "…" : text;
    }, 100);
  }

  function describe(part) {
    if (part.dataset && part.dataset.announce) return part.dataset.announce;
    var heading = within(part, "h1, h2, h3");
    if (heading) return heading.textContent;
    var first = within(part, "p, li");
    return first ? first.textContent : part.textContent;
  }

  var handled = typeof WeakSet === "function" ? new WeakSet() : null;

  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    // An outerHTML swap settles each new element: act once per response.
    if (handled && detail.xhr) {
      if (handled.has(detail.xhr)) return;
      handled.add(detail.xhr);
    }
    var part = event.target;
    if (!part || !part.isConnected) return;
    var summary = within(part, SUMMARY);
    if (summary) {
      focusElement(summary, true);
      return;
    }
    if (detail.boosted || part === document.body) {
      focusPage();
      // "Issue added.", "Photo added.": the flash notice of the new page would go unheard.
      var notices = document.querySelector("main .notices");
      if (notices) announce(notices.textContent);
      return;
    }
    var active = document.activeElement;
    // Focus on a control outside the part (a filter just changed) stays there.
    var lost = !active || active === document.body || !active.isConnected;
    var heading = within(part, "h1, h2, h3");
    if (lost && heading) {
      focusElement(heading, false);
      return;
    }
    announce(describe(part));
  });

  // Back and forward restore a page from htmx's history cache, with no settle event.
  document.addEventListener("htmx:historyRestore", focusPage);

  function onLoad() {
    var summary = document.querySelector(SUMMARY);
    if (summary) focusElement(summary, true);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onLoad);
  } else {
    onLoad();
  }
})();
