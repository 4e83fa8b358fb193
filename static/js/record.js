// A visit recorded on the phone: every change is kept in the outbox (IndexedDB) as it is
// typed, so a dropped signal, a reload or a closed tab loses nothing. "Send the report" queues
// it whole for PUT /api/visits/{uuid}/report/; the outbox sends it when there is signal.
// The page's address carries the visit's UUID (?id=), made here, on the phone.
(function () {
  "use strict";
  var form = document.querySelector("[data-record]");
  var Outbox = window.Outbox;
  if (!form || !Outbox || !window.indexedDB) return;
  // A detainee's yes-or-no facts, as the server defines them (visits.models.DETAINEE_FLAGS,
  // given by the page in a JSON script tag).
  var FLAGS = JSON.parse(document.getElementById("detainee-flags").textContent).map(
    function (flag) { return flag.name; });
  var params = new URLSearchParams(location.search);
  var id = params.get("id") || Outbox.newId();
  var saved = form.querySelector("[data-saved]");
  var problems = document.querySelector("[data-record-problems]");
  var next = { detainees: 0, issues: 0 };
  // Times are written as the page's language writes them (<html lang>, set by the server).
  var LOCALE = document.documentElement.lang || "en-GB";

  // Every re-check's answer fields, made from the page's one template before anything reads
  // or restores the form (the page carries them once: see record.html).
  var recheckFields = form.querySelector('[data-template="recheck"]');
  Array.prototype.forEach.call(form.querySelectorAll("[data-recheck]"), function (recheck) {
    // Our own template, and an issue's id (a number) from the server: no user data.
    var fields = recheckFields.innerHTML.replace(/__id__/g, +recheck.dataset.recheck);
    recheck.insertAdjacentHTML("beforeend", fields);
  });

  function localNow() {
    var now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 16);
  }

  // --- Detainees and issues: as many as there were ------------------------------------------

  function list(kind) { return form.querySelector('[data-list="' + kind + '"]'); }
  function indices(kind) {
    return Array.prototype.map.call(list(kind).children, function (item) { return +item.dataset.index; });
  }

  function add(kind, index) {
    if (index === undefined) index = next[kind];
    next[kind] = Math.max(next[kind], index + 1);
    var holder = document.createElement("div");
    // Our own template, with no user data in it; the values are set afterwards.
    holder.innerHTML = form.querySelector('[data-template="' + kind + '"]').innerHTML.replace(/__n__/g, index);
    var item = holder.firstElementChild;
    item.dataset.index = index;
    list(kind).appendChild(item);
    number(kind);
    return item;
  }

  function number(kind) {
    Array.prototype.forEach.call(list(kind).children, function (item, n) {
      item.querySelector("[data-item-number]").textContent = n + 1;
    });
  }

  form.addEventListener("click", function (event) {
    var adder = event.target.closest("[data-add]");
    var remover = event.target.closest("[data-remove]");
    if (adder) {
      var item = add(adder.dataset.add);
      item.querySelector("input, select, textarea").focus();
      keep();
    } else if (remover) {
      var kind = remover.closest("[data-list]").dataset.list;
      var heading = remover.closest("[data-item]").querySelector("legend").textContent.trim();
      var question = gettext("Remove %(item)s and everything recorded about it?");
      if (!window.confirm(interpolate(question, { item: heading }, true))) return;
      remover.closest("[data-item]").remove();
      number(kind);
      form.querySelector('[data-add="' + kind + '"]').focus();
      keep();
    }
  });

  // --- Keeping it on the phone ----------------------------------------------------------------
  // Every change is written at once (a write in flight is followed by one with the newest
  // values), and what is on the screen is also put in localStorage, synchronously, as the page
  // is left or hidden: an IndexedDB write may not finish before a reload or a closed tab.
  // Each save names the revision it was made from and what the tab held then (`base`); if
  // another tab saved since, this tab's changes are joined to that newer copy, field by field,
  // and the tab shows the result (Outbox.saveFromTab, and the "icv-record" channel between tabs
  // so that an idle tab takes up another's changes at once). Neither tab's typing is lost.

  var tabId = Outbox.newId();
  var known = 0; // the revision of this visit this tab last read or wrote
  var knownState = "draft";
  var lastSaved = null; // what was last written, to write nothing when nothing changed
  var base = null; // {fields, items} as at revision `known`: what this tab's changes are from
  var typedAt = {}; // field name -> when this tab last changed it
  var writing = null;
  var again = null;
  var opened = false; // restored: nothing is saved before, or the form would overwrite the draft
  var touched = false; // a new visit is kept from its first change, not from being opened
  var stale = false;
  var persistAsked = false;
  var UNSAVED = "icv-unsaved:";
  var tabs = "BroadcastChannel" in window ? new BroadcastChannel("icv-record") : null;

  function values() {
    var data = {};
    new FormData(form).forEach(function (value, name) { (data[name] = data[name] || []).push(value); });
    return data;
  }

  function restore(fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      var given = fields[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = given.indexOf(el.value) >= 0;
      else el.value = given.length ? given[0] : "";
    });
    var signature = fields["sign_off-signature"];
    var canvas = form.querySelector("[data-signature-pad] canvas");
    if (signature && signature[0] && canvas) {
      var image = new Image();
      image.onload = function () { canvas.getContext("2d").drawImage(image, 0, 0); };
      image.src = signature[0];
    }
  }

  function title() {
    var suite = form.querySelector("[name='start-suite']");
    var arrived = form.querySelector("[name='start-arrived_at']").value;
    var name = (suite.selectedOptions[0] || {}).textContent;
    if (!arrived) return name;
    var when = new Date(arrived).toLocaleString(LOCALE, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    return interpolate(gettext("%(suite)s, arrived %(time)s"), { suite: name, time: when }, true);
  }

  function snapshot() {
    var fields = values();
    var items = { detainees: indices("detainees"), issues: indices("issues") };
    return { fields: fields, items: items, title: title(), json: JSON.stringify([fields, items]) };
  }

  function save(options) {
    if (stale || !opened || !(touched || known)) return Promise.resolve(null);
    if (writing) {
      if (options && options.queue) return writing.then(function () { return save(options); });
      if (!again) again = writing.then(function () { again = null; return save(); });
      return again;
    }
    return write(options || {});
  }

  function write(options) {
    var now = snapshot();
    if (now.json === lastSaved && !options.queue) return Promise.resolve(null);
    var draft = { uuid: id, owner: +form.dataset.user, scheme: form.dataset.scheme, tab: tabId,
                  fields: now.fields, items: now.items, title: now.title, queue: !!options.queue,
                  typedAt: typedAt,
                  queueReason: form.dataset.queuedText, resendReason: form.dataset.resendText };
    if (options.queue || (knownState !== "draft" && knownState !== "failed")) {
      // Queued or sent already: what the outbox sends is kept up to date with the change.
      draft.report = report(now.fields, now.items);
    }
    writing = Outbox.saveFromTab(draft, known, base).then(function (answer) {
      writing = null;
      if (answer.stale) {
        otherTab();
        return null;
      }
      if (answer.joined) {
        adopt(answer.record);
        if (tabs) tabs.postMessage({ uuid: id, revision: known, tab: tabId });
        return answer.record;
      }
      known = answer.record.revision;
      knownState = answer.record.state;
      lastSaved = now.json;
      base = { fields: now.fields, items: now.items };
      if (tabs) tabs.postMessage({ uuid: id, revision: known, tab: tabId });
      keepStorage();
      var time = new Date().toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
      saved.textContent = interpolate(gettext("Saved on this phone at %(time)s."), { time: time }, true);
      return answer.record;
    }, function (error) {
      writing = null;
      throw error;
    });
    return writing;
  }

  function keep(event) {
    touched = true;
    // When each box was last changed here: where two tabs changed the same box, the later wins.
    if (event && event.target && event.target.name) typedAt[event.target.name] = Date.now();
    save().catch(function () {});
  }

  // The browser may clear a site's storage when space runs short, unless it is marked persistent.
  function keepStorage() {
    if (persistAsked || !navigator.storage || !navigator.storage.persist) return;
    persistAsked = true;
    navigator.storage.persisted().then(function (already) {
      if (!already) return navigator.storage.persist();
    }).catch(function () {});
  }

  // Show a record another tab saved (or this tab's changes joined to it): the detainees and
  // issues it has, its values; what is being typed in the focused box stays as it is, and is
  // saved over it at once.
  function adopt(record) {
    var focused = form.contains(document.activeElement) ? document.activeElement : null;
    var typing = null;
    if (focused && focused.name && focused.type !== "radio" && focused.type !== "checkbox") {
      // Changed since this tab last saved: typed while the other copy arrived, so kept.
      var had = ((base && base.fields[focused.name]) || [""])[0];
      if (focused.value !== had) typing = [focused.name, focused.value];
    }
    ["detainees", "issues"].forEach(function (kind) {
      var wanted = (record.items || {})[kind] || [];
      Array.prototype.slice.call(list(kind).children).forEach(function (item) {
        if (wanted.indexOf(+item.dataset.index) < 0) item.remove();
      });
      wanted.forEach(function (index) {
        if (!list(kind).querySelector('[data-index="' + index + '"]')) add(kind, index);
      });
      number(kind);
    });
    restore(record.fields);
    if (typing) {
      var box = form.elements.namedItem(typing[0]);
      if (box && box.value !== undefined) box.value = typing[1];
    }
    if (focused && document.activeElement !== focused && form.contains(focused)) focused.focus();
    known = record.revision;
    knownState = record.state;
    base = { fields: record.fields, items: record.items };
    lastSaved = JSON.stringify([record.fields, record.items]);
    // A report in the outbox is sent as `report`: build it again from what is now shown.
    if (record.state !== "draft" && record.state !== "failed") lastSaved = null;
    saved.textContent = form.dataset.joinedText;
    save().catch(function () {});
  }

  // Another tab or window has the visit in a state this one cannot join (sent, its details gone
  // from the phone): this one stops saving until the newer copy is loaded.
  function otherTab() {
    if (stale) return;
    stale = true;
    form.inert = true;
    var notice = document.querySelector("[data-other-tab]");
    notice.hidden = false;
    notice.focus();
  }

  if (tabs) {
    tabs.onmessage = function (event) {
      var news = event.data || {};
      if (news.uuid !== id || news.tab === tabId || news.revision <= known || stale) return;
      if (writing || snapshot().json !== lastSaved) {
        save().catch(function () {}); // this tab's own changes are joined to the newer copy
        return;
      }
      Outbox.get(id).then(function (record) {
        if (!record || record.revision <= known) return;
        if (!record.fields) return otherTab();
        if (writing || snapshot().json !== lastSaved) return save();
        adopt(record);
      }).catch(function () {});
    };
  }
  document.querySelector("[data-load-newer]").addEventListener("click", function () {
    location.reload();
  });

  // Leaving or hiding the page: the screen's state goes to localStorage at once, and to IndexedDB
  // as soon as it can. The next opening of this visit takes it if no other tab saved since.
  function leaving() {
    if (stale || !opened || !(touched || known)) return;
    var now = snapshot();
    if (now.json !== lastSaved || writing) {
      try {
        localStorage.setItem(UNSAVED + id, JSON.stringify({
          uuid: id, tab: tabId, known: known, owner: +form.dataset.user,
          scheme: form.dataset.scheme, fields: now.fields, items: now.items, title: now.title,
          updated: Date.now() }));
      } catch (error) { /* full or refused: IndexedDB is still being written */ }
    }
    save().catch(function () {});
  }
  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leaving();
  });

  function unsavedOf(uuid) {
    try { return JSON.parse(localStorage.getItem(UNSAVED + uuid) || "null"); } catch (error) { return null; }
  }
  function unsavedKeys() {
    try { return Object.keys(localStorage); } catch (error) { return []; } // refused in some private windows
  }
  function forgetUnsaved(uuid) {
    try { localStorage.removeItem(UNSAVED + uuid); } catch (error) { /* nothing was kept */ }
  }

  // Left by this visit's last tab, and nothing saved by another tab since.
  function takeUnsaved(stored) {
    var left = unsavedOf(id);
    forgetUnsaved(id);
    if (!left) return null;
    if (stored && (stored.tab !== left.tab || (stored.revision || 0) > left.known + 1)) return null;
    return left;
  }

  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  form.addEventListener("pointerup", function (event) {
    // The signature pad sets its field on pointerup; any other tap changes nothing.
    if (event.target.closest("[data-signature-pad]")) keep();
  });

  // --- What the core hands the page: suggested issues, the no-names check, re-checks ----------

  // A "no" to a question whose "no" suggests an issue (visits.services.visits.suggested_issues)
  // offers that issue under the question; only the volunteer's tap adds it, and once.
  function suggestedIssue(key) {
    return Array.prototype.filter.call(list("issues").children, function (item) {
      return item.querySelector("[name$='-suggested_by']").value === key;
    })[0];
  }

  function offerSuggestions() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-suggests-issue]"), function (question) {
      var no = question.querySelector("input[type=radio][value=no]");
      var offer = question.querySelector("[data-suggestion]");
      if (!no || !no.checked) {
        if (offer) offer.remove();
        return;
      }
      var added = suggestedIssue(no.name) ? "added" : "offered";
      if (offer && offer.dataset.suggestion === added) return;
      if (offer) offer.remove();
      // The button is taken out rather than hidden: `.button` is shown whatever `hidden` says.
      var holder = document.createElement("div");
      holder.innerHTML = form.querySelector('[data-template="suggestion"]').innerHTML;
      offer = holder.firstElementChild;
      offer.dataset.suggestion = added;
      offer.querySelector(added === "added" ? "[data-suggestion-add]" : "[data-suggestion-added]").remove();
      question.appendChild(offer);
    });
  }

  function addSuggestedIssue(question) {
    var no = question.querySelector("input[type=radio][value=no]");
    if (suggestedIssue(no.name)) return; // a second tap adds nothing
    var prefix = "issues." + add("issues").dataset.index;
    function set(name, value) { form.querySelector('[name="' + CSS.escape(prefix + "-" + name) + '"]').value = value; }
    var note = question.querySelector("textarea").value.trim();
    var template = form.querySelector('[data-template="suggestion"]').content.firstElementChild;
    set("category", question.dataset.suggestsIssue);
    set("description", template.dataset.description.replace("{question}",
      question.querySelector("legend").textContent.trim()) + (note ? " " + note : ""));
    set("question_id", no.name.split("-q_")[1]);
    set("suggested_by", no.name);
    var detainee = question.closest("[data-list='detainees'] > [data-item]");
    if (detainee) set("custody_number", detainee.querySelector("[name$='-custody_number']").value);
    offerSuggestions();
    checkNames(form.querySelector('[name="' + CSS.escape(prefix + "-description") + '"]'));
    question.querySelector("[data-suggestion-added]").focus();
    keep();
  }

  form.addEventListener("click", function (event) {
    var adder = event.target.closest("[data-suggestion-add]");
    if (adder) addSuggestedIssue(adder.closest("[data-suggests-issue]"));
  });

  // Free text that looks as if it names someone: visits.rules.name_in, run here from the data
  // of visits.rules.name_check_for_browser (its docstring gives the steps). The server checks
  // again when the report arrives; a pattern this browser cannot read is left to it.
  var looksNamed = (function () {
    var check = {};
    try { check = JSON.parse(form.dataset.nameCheck || "{}"); } catch (e) { /* the server checks */ }
    function regex(rule) {
      try { return rule ? new RegExp(rule.source, rule.flags) : null; } catch (e) { return null; }
    }
    var allowed = regex(check.allowed);
    var patterns = (check.patterns || []).map(regex).filter(Boolean);
    var twoCapitals = regex(check.two_capitals);
    var roleWords = {};
    (check.role_words || []).forEach(function (word) { roleWords[word] = true; });
    function lastWord(words) {
      var parts = words.trim().split(/[\s.-]+/);
      return parts[parts.length - 1].toLowerCase();
    }
    function suiteName() {
      var select = form.querySelector("[name='start-suite']");
      var option = select && select.options[select.selectedIndex];
      return option ? option.text.trim() : "";
    }
    function matches(pattern, text) {
      pattern.lastIndex = 0;
      var found = [], match;
      while ((match = pattern.exec(text))) {
        found.push(match[0]);
        if (!match[0]) pattern.lastIndex++;
      }
      return found;
    }
    return function (text) {
      if (!text) return false;
      if (allowed) text = text.replace(allowed, " . ");
      var suite = suiteName();
      if (suite) {
        text = text.replace(new RegExp("\\b" + suite.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\b", "gi"), " . ");
      }
      var named = patterns.some(function (pattern) {
        return matches(pattern, text).some(function (words) { return !roleWords[lastWord(words)]; });
      });
      return named || (twoCapitals !== null && matches(twoCapitals, text).some(function (words) {
        var parts = words.toLowerCase().split(/[\s-]+/);
        return !roleWords[parts[0]] && !roleWords[parts[parts.length - 1]];
      }));
    };
  })();

  function checkedForNames(field) {
    return field && (/^issues\.\d+-description$/.test(field.name) || field.name === "good_practice-good_practice");
  }

  function checkNames(field) {
    var warning = (field.closest("[data-item]") || field.closest("section")).querySelector("[data-name-warning]");
    var words = warning.querySelector("p");
    var shown = looksNamed(field.value);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== words.id;
    });
    if (shown) described.push(words.id);
    warning.hidden = !shown;
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
  }

  function namesNotChecked(fields, items) {
    var found = [];
    items.issues.forEach(function (index, n) {
      var prefix = "issues." + index;
      if (looksNamed(one(fields, prefix + "-description")) && !fields[prefix + "-names_checked"]) {
        found.push([prefix + "-description", form.dataset.namedIssue.replace("{n}", n + 1)]);
      }
    });
    if (looksNamed(one(fields, "good_practice-good_practice")) && !fields["good_practice-names_checked"]) {
      found.push(["good_practice-good_practice", form.dataset.namedGoodPractice]);
    }
    return found;
  }

  // Earlier issues at the chosen suite to re-check (the page holds every suite's, hidden).
  function showRechecks() {
    var box = form.querySelector("[data-rechecks]");
    if (!box) return;
    var suite = form.querySelector("[name='start-suite']").value;
    var any = false;
    Array.prototype.forEach.call(box.querySelectorAll("[data-recheck]"), function (recheck) {
      recheck.hidden = recheck.dataset.suite !== suite;
      any = any || !recheck.hidden;
    });
    box.hidden = !any;
  }

  // The chosen suite's re-checks that were answered, in the page's order: the report's list.
  function recheckIds(fields) {
    var suite = one(fields, "start-suite");
    return Array.prototype.filter.call(form.querySelectorAll("[data-recheck]"), function (recheck) {
      return recheck.dataset.suite === suite && one(fields, "rechecks-" + recheck.dataset.recheck + "-fixed");
    }).map(function (recheck) { return recheck.dataset.recheck; });
  }

  function rechecks(fields) {
    return recheckIds(fields).map(function (id) {
      return { issue: +id, fixed: one(fields, "rechecks-" + id + "-fixed") === "yes",
               note: one(fields, "rechecks-" + id + "-note") };
    });
  }

  // A folded part holding something set is drawn open, as the server draws it.
  function openWhatIsSet() {
    Array.prototype.forEach.call(form.querySelectorAll("details[data-open-if-set]"), function (part) {
      if (part.querySelector("input[type=checkbox]:checked, input[type=radio]:checked:not([value=''])") ||
          Array.prototype.some.call(part.querySelectorAll("input[type=text], textarea"), function (el) { return el.value; })) {
        part.open = true;
      }
    });
  }

  function showWhatTheCoreHands() {
    openWhatIsSet();
    showRechecks();
    offerSuggestions();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (checkedForNames(field)) checkNames(field);
    });
  }

  form.addEventListener("input", function (event) {
    if (checkedForNames(event.target)) checkNames(event.target);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "start-suite") showRechecks();
    if (event.target.type === "radio") offerSuggestions();
  });
  form.addEventListener("click", function (event) {
    // A detainee or issue taken off changes what is suggested; after record.js's own handler.
    if (event.target.closest("[data-remove]")) setTimeout(offerSuggestions);
  });

  // --- Sending --------------------------------------------------------------------------------

  function one(fields, name) { return (fields[name] || [""])[0]; }
  function iso(value) { return value ? new Date(value).toISOString() : null; }

  function answers(fields, prefix) {
    var start = prefix + "-q_";
    return Object.keys(fields).filter(function (name) { return name.indexOf(start) === 0; })
      .map(function (name) {
        var question = name.slice(start.length);
        return { question: +question, value: one(fields, name),
                 note: one(fields, prefix + "-note_" + question) };
      })
      .filter(function (answer) { return answer.value || answer.note; });
  }

  // The JSON of PUT /api/visits/{uuid}/report/ (api.serializers.WholeReportSerializer).
  function report(fields, items) {
    var partners = (fields["start-co_visitors"] || []).map(Number);
    var confirmed = [];
    (fields["sign_off-confirmed_by"] || []).forEach(function (value) {
      confirmed = confirmed.concat(value === "partners" ? partners : [+value]);
    });
    var numbers = {};
    Object.keys(fields).forEach(function (name) {
      var value = one(fields, name);
      if (name.indexOf("numbers-") !== 0 || value === "") return;
      var key = name.slice(8);
      numbers[key] = key === "nv_access_denied_reason" ? value : +value;
    });
    var admitted = one(fields, "admission-admitted_at");
    return {
      suite: +one(fields, "start-suite"),
      co_visitors: partners,
      arrived_at: iso(one(fields, "start-arrived_at")),
      detainee_checklist: +form.dataset.detaineeChecklist,
      suite_checklist: +form.dataset.suiteChecklist,
      admission: admitted ? {
        admitted_at: iso(admitted),
        delay_minutes: +one(fields, "admission-delay_minutes") || 0,
        delay_reason: one(fields, "admission-delay_reason"),
        delay_authorised_by: one(fields, "admission-delay_authorised_by"),
      } : null,
      numbers: numbers,
      detainees: items.detainees.map(function (index) {
        var prefix = "detainees." + index;
        var detainee = { custody_number: one(fields, prefix + "-custody_number"),
                         answers: answers(fields, prefix) };
        FLAGS.forEach(function (flag) { detainee[flag] = !!fields[prefix + "-" + flag]; });
        return detainee;
      }),
      suite_answers: answers(fields, "suite"),
      issues: items.issues.map(function (index) {
        var prefix = "issues." + index;
        return {
          category: one(fields, prefix + "-category"),
          severity: one(fields, prefix + "-severity") || "routine",
          description: one(fields, prefix + "-description"),
          custody_number: one(fields, prefix + "-custody_number"),
          resolved_on_visit: !!fields[prefix + "-resolved_on_visit"],
          recheck_next_visit: !!fields[prefix + "-recheck_next_visit"],
          question_id: +one(fields, prefix + "-question_id") || null,
          names_checked: !!fields[prefix + "-names_checked"],
        };
      }),
      rechecks: rechecks(fields),
      photos: window.Photos ? window.Photos.forReport() : [],
      good_practice: one(fields, "good_practice-good_practice"),
      sign_off: {
        departed_at: iso(one(fields, "sign_off-departed_at")),
        outcome: one(fields, "sign_off-outcome"),
        abandoned_reason: one(fields, "sign_off-abandoned_reason"),
        sergeant_name: one(fields, "sign_off-sergeant_name"),
        sergeant_comments: one(fields, "sign_off-sergeant_comments"),
        signature: one(fields, "sign_off-signature"),
        sergeant_confirmed: !!fields["sign_off-sergeant_confirmed"],
        confirmed_by: confirmed,
      },
    };
  }

  // What can be seen to be missing before sending; the server checks every rule again.
  function missing(fields, items) {
    var found = [];
    function need(name, message) { if (!one(fields, name).trim()) found.push([name, message]); }
    need("start-suite", gettext("Choose the custody suite."));
    need("start-co_visitors", gettext("Choose the visitor you are with."));
    need("start-arrived_at", gettext("Give the time you arrived."));
    items.detainees.forEach(function (index, n) {
      need("detainees." + index + "-custody_number",
           interpolate(gettext("Give detainee %(n)s's custody record number."), { n: n + 1 }, true));
    });
    items.issues.forEach(function (index, n) {
      need("issues." + index + "-description",
           interpolate(gettext("Describe issue %(n)s."), { n: n + 1 }, true));
    });
    need("sign_off-departed_at", gettext("Give the time you left."));
    need("sign_off-outcome", gettext("Choose the outcome of the visit."));
    return found.concat(namesNotChecked(fields, items));
  }

  // A server's field name (detainees.1.custody_number: the second detainee sent) to the input.
  function inputName(path, items) {
    var parts = path.split(".");
    if (parts[0] === "rechecks") return "rechecks-" + recheckIds(record.fields)[+parts[1]] + "-fixed";
    if ((parts[0] === "detainees" || parts[0] === "issues") && parts.length > 2) {
      return parts[0] + "." + items[parts[0]][+parts[1]] + "-" + parts.slice(2).join(".");
    }
    return parts[0] + "-" + parts.slice(1).join(".");
  }

  function showProblems(found, detail) {
    problems.textContent = "";
    if (!found.length && !detail) return;
    var box = document.createElement("div");
    box.className = "error-summary";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var heading = document.createElement("h2");
    heading.textContent = gettext("There is a problem");
    box.appendChild(heading);
    if (detail) {
      var p = document.createElement("p");
      p.textContent = detail;
      box.appendChild(p);
    }
    var ul = document.createElement("ul");
    found.forEach(function (problem) {
      var li = document.createElement("li");
      var input = form.querySelector('[name="' + CSS.escape(problem[0]) + '"]');
      if (input) {
        if (input.closest("details")) input.closest("details").open = true; // the link must reach it
        var link = document.createElement("a");
        link.href = "#" + input.id;
        link.textContent = problem[1];
        li.appendChild(link);
      } else {
        li.textContent = problem[1];
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    problems.appendChild(box);
    box.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    button.disabled = true;
    touched = true;
    save().then(function () {
      var now = snapshot();
      var found = missing(now.fields, now.items);
      if (stale || found.length) {
        button.disabled = false;
        return found.length && !stale ? showProblems(found) : null;
      }
      return save({ queue: true }).then(function (queued) {
        if (!queued) {
          button.disabled = false;
          return;
        }
        if (navigator.serviceWorker) {
          navigator.serviceWorker.ready.then(function (registration) {
            if (registration.sync) return registration.sync.register("icv-outbox");
          }).catch(function () {});
        }
        location.assign(form.dataset.outboxUrl);
      });
    }).catch(function () { button.disabled = false; });
  });

  // --- Opening --------------------------------------------------------------------------------

  // "Record a visit" with a visit already begun on this phone carries on with it (a second
  // visit typed afresh would be sent twice); "Start a new visit instead" opens a blank one.
  function waitingDraft() {
    if (params.get("id") || params.get("new")) return Promise.resolve(null);
    return Outbox.all().then(function (records) {
      var ids = records.map(function (r) { return r.uuid; });
      unsavedKeys().forEach(function (key) {
        var left = key.indexOf(UNSAVED) === 0 && unsavedOf(key.slice(UNSAVED.length));
        if (left && ids.indexOf(left.uuid) < 0) records.push(Object.assign({ state: "draft" }, left));
      });
      return records.filter(function (r) {
        return r.owner === +form.dataset.user && (r.state === "draft" || r.state === "failed") &&
          r.fields && (!r.scheme || r.scheme === form.dataset.scheme);
      }).sort(function (a, b) { return b.updated - a.updated; })[0] || null;
    });
  }

  waitingDraft().then(function (draft) {
    if (draft) {
      id = draft.uuid;
      var resumed = document.querySelector("[data-resumed]");
      resumed.querySelector("[data-resumed-title]").textContent = draft.title || "";
      var fresh = new URLSearchParams(params);
      fresh.set("new", "1");
      resumed.querySelector("a").href = location.pathname + "?" + fresh;
      resumed.hidden = false;
    }
    return Outbox.get(id);
  }).then(function (found) {
    params.delete("new");
    params.set("id", id);
    history.replaceState(null, "", location.pathname + "?" + params);
    if (found && found.state === "sent") {
      forgetUnsaved(id);
      var done = document.createElement("p");
      done.className = "notice";
      done.textContent = found.message + " ";
      var link = document.createElement("a");
      link.href = found.visitUrl;
      link.textContent = gettext("Read the report");
      done.appendChild(link);
      problems.appendChild(done);
      return;
    }
    var left = takeUnsaved(found);
    var source = left || found;
    if (found) {
      known = found.revision || 0;
      knownState = found.state;
      lastSaved = JSON.stringify([found.fields, found.items]);
      base = { fields: found.fields || {}, items: found.items || {} };
    }
    if (source) {
      (source.items.detainees || []).forEach(function (index) { add("detainees", index); });
      (source.items.issues || []).forEach(function (index) { add("issues", index); });
      restore(source.fields);
    } else {
      form.querySelector("[name='start-arrived_at']").value = localNow();
    }
    showWhatTheCoreHands();
    if (found && found.state === "failed" && found.error) {
      var fields = found.error.fields || {};
      showProblems(Object.keys(fields).map(function (path) {
        return [inputName(path, found.items), fields[path]];
      }), Outbox.said(found.error.detail, found.error.detailArgs));
    } else if (found && found.state !== "draft") {
      saved.textContent = form.dataset.waitingText;
    }
    opened = true;
    if (left) {
      touched = true;
      save().catch(function () {});
    }
    form.hidden = false;
    form.dataset.ready = "1";
  }, function () {
    // No IndexedDB here (some private windows): nothing could be kept, so say where to go.
    var note = document.createElement("p");
    note.className = "warning-box";
    note.textContent = gettext("This browser cannot keep a visit on the phone. Use the " +
      "step-by-step form from the home page instead: it saves on the server, and needs signal.");
    problems.appendChild(note);
  });
})();
