// "All as expected" on a checklist (templates/visits/flow/_checklist.html): a button for the
// whole checklist and one per section mark every unanswered yes/no question with its expected
// answer (data-expected-answer, from Question.expected), so that only the exceptions are left to
// answer. Each mark dispatches `change`, as a tap would, so the record page keeps it on the
// phone. Without JavaScript the same buttons send the form to the step, which fills it in.
// A "no", whenever it is given, opens the question's note and says it was not as expected.
// Listeners are on the document: detainees are added to the record page after it loads, and
// htmx may run this script again on a boosted step change.
(function () {
  "use strict";
  if (window.icvChecklist) return;
  window.icvChecklist = true;

  function focusable(el) {
    return el.matches("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary") &&
      !el.closest("[hidden]") && !el.closest("details:not([open]) > :not(summary)");
  }

  // The first control after `el` in the page, skipping what is inside it, and a "Remove"
  // button (the record page's, just after a detainee's checklist): never land on a deletion.
  function nextAfter(el) {
    var all = Array.prototype.slice.call(document.querySelectorAll(
      "a[href], button, input, select, textarea, summary"));
    for (var i = 0; i < all.length; i++) {
      var candidate = all[i];
      if (el.contains(candidate) || candidate.matches("[data-remove]")) continue;
      if (el.compareDocumentPosition(candidate) & Node.DOCUMENT_POSITION_FOLLOWING && focusable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  function announce(checklist, count) {
    var status = checklist.querySelector("[data-expected-status]");
    if (!status) return;
    // In the page's language, with its plural forms (the catalogue, loaded before this script).
    var message = count === 0 ? gettext("Every question here already has an answer.")
      : interpolate(ngettext(
        "%(count)s question marked as expected. Answer only what was not as expected.",
        "%(count)s questions marked as expected. Answer only what was not as expected.",
        count), { count: count }, true);
    // Emptied first so that the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function markExpected(button) {
    var checklist = button.closest("[data-checklist]");
    var scope = button.dataset.expectedScope;
    var root = scope === "all" ? checklist
      : checklist.querySelector('[data-expected-section="' + scope + '"]');
    var marked = 0;
    root.querySelectorAll("[data-question]").forEach(function (question) {
      var expected = question.dataset.expectedAnswer;
      var radios = question.querySelectorAll("input[type=radio]");
      if (!expected || Array.prototype.some.call(radios, function (r) { return r.checked; })) return;
      Array.prototype.forEach.call(radios, function (radio) {
        if (radio.value !== expected) return;
        radio.checked = true;
        radio.dispatchEvent(new Event("input", { bubbles: true }));
        radio.dispatchEvent(new Event("change", { bubbles: true }));
        marked += 1;
      });
    });
    announce(checklist, marked);
    // The marked questions are done with: on to the next section, or past the checklist.
    var target = nextAfter(root);
    if (target) target.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-expected-scope]");
    if (!button || !button.closest("[data-checklist]")) return;
    event.preventDefault(); // the button also submits the form for pages without JavaScript
    markExpected(button);
  });

  function showException(question) {
    var no = question.querySelector("input[type=radio][value=no]");
    var isNo = !!(no && no.checked);
    var exception = question.querySelector("[data-exception]");
    if (exception) exception.hidden = !isNo;
    var note = question.parentElement.querySelector("details.note");
    var written = note && note.querySelector("textarea") && note.querySelector("textarea").value;
    if (note && (isNo || written)) note.open = true; // as the server draws it: open if it has text
  }

  document.addEventListener("change", function (event) {
    var question = event.target.type === "radio" && event.target.closest("[data-question]");
    if (question) showException(question);
  });

  // The record page restores a draft from the phone without events, then marks itself ready:
  // its "no" answers are shown as on the step pages, which the server draws.
  var record = document.querySelector("[data-record]");
  if (record && window.MutationObserver) {
    new MutationObserver(function () {
      if (record.dataset.ready) record.querySelectorAll("[data-question]").forEach(showException);
    }).observe(record, { attributes: true, attributeFilter: ["data-ready"] });
  }
})();
