// The phone's outbox: visit reports kept in IndexedDB and sent whole to
// PUT /api/visits/{uuid}/report/. The visit's UUID, made on the phone, is the idempotency key:
// sending again (a dropped answer, a reload mid-send, the service worker and a page at once)
// finds the report already stored. Loaded by every page and by the service worker.
//
// A record: {uuid, owner (user id), state, title, updated, fields, items, report, reason,
// error, message, visitUrl, revision, tab}. States: draft (being typed), waiting (to be sent),
// sending, signed_out (waits for its owner to sign in), failed (the server refused it: error
// says why), sent (the server has it; the detainee details are gone from the phone).
// A visit's photos are kept in a store of their own, beside it ({id, visit (its uuid), owner,
// caption, image (JPEG as base64), created}), so that saving the draft at every keystroke does
// not write them again; they leave the phone with the report (photos.js adds them to it).
// Only a tab's "Send" moves a draft (or a failed report) to waiting; only the outbox moves it on
// from there. A tab's change to a queued or sent report is kept and sent again (the server keeps
// a changed report beside the first); it never turns it back into a draft.
// `revision` counts the tabs' saves: a save names the revision it was made from and is refused
// if another tab has saved since (saveFromTab), so an old tab never overwrites a newer copy.
// What the outbox writes for a person to read (`reason`, `error.detail`) is kept in English,
// the message id of the scripts' catalogue, with its values apart (`reasonArgs`,
// `error.detailArgs`): the service worker, which sends too, has no catalogue and no language,
// and a page shows it in its own language with Outbox.said. Words the server sent are shown
// as they came.
(function (scope) {
  "use strict";
  // Marks a message for the catalogue (makemessages) without translating it here.
  function gettext_noop(text) { return text; }
  var NO_SIGNAL = gettext_noop("No connection yet: it is sent by itself when there is signal.");
  var STORE = "reports";
  var PHOTOS = "photos";
  var QUEUED = ["waiting", "sending", "signed_out"];
  var channel = "BroadcastChannel" in scope ? new BroadcastChannel("icv-outbox") : null;

  // One connection, kept open: a save made as the page is being left starts its transaction at
  // once instead of waiting for the database to open.
  var opened = null;
  function open() {
    if (opened) return opened;
    opened = new Promise(function (resolve, reject) {
      var request = indexedDB.open("icv", 2);
      request.onupgradeneeded = function () {
        // Version 1 had the reports only: they are kept as they are, and the photos store added.
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "uuid" });
        if (!db.objectStoreNames.contains(PHOTOS)) {
          db.createObjectStore(PHOTOS, { keyPath: "id" }).createIndex("visit", "visit");
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = db.onclose = function () { db.close(); opened = null; };
        resolve(db);
      };
      request.onerror = function () { opened = null; reject(request.error); };
    });
    return opened;
  }

  // `work` gets the store and returns a request (resolves to its result) or a function called
  // when the transaction has committed (resolves to what it returns). `store` is the reports
  // unless named (the photos' transactions span both stores).
  function run(mode, work, store) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store && store !== STORE ? [STORE, store] : STORE, mode);
        var out = work(tx.objectStore(store || STORE));
        tx.oncomplete = function () {
          resolve(typeof out === "function" ? out() : out && out.result);
        };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  // Read, change and write one record in one transaction, so nothing written in between is lost.
  // `change` returns the record to write, or nothing to leave it as it is.
  function update(uuid, change) {
    var written = null;
    return run("readwrite", function (store) {
      var request = store.get(uuid);
      request.onsuccess = function () {
        var next = change(request.result);
        if (next) {
          next.updated = Date.now();
          store.put(next);
          written = next;
        }
      };
      return function () { if (written) changed(uuid); return written; };
    });
  }

  // A tab's save of what it shows. `known` is the revision the tab last read or wrote, `base`
  // what it held then ({fields, items}). If another tab has saved since, this tab's changes since
  // `base` are joined to the stored record (`joined` in the answer: the tab shows the result),
  // so neither tab's typing is lost; without a base, nothing is written and {stale} answers.
  function saveFromTab(draft, known, base) {
    var answer = {};
    return update(draft.uuid, function (stored) {
      if (stored && (stored.revision || 0) !== known) {
        if (!base || !stored.fields) {
          answer.stale = stored;
          return null;
        }
        draft = Object.assign({}, draft, joined(stored, draft, base));
        answer.joined = true;
      }
      var next = stored || { uuid: draft.uuid, owner: draft.owner, created: Date.now(), state: "draft" };
      ["owner", "fields", "items", "title", "scheme", "tab"].forEach(function (key) { next[key] = draft[key]; });
      next.typedAt = latest(next.typedAt, draft.typedAt);
      if (draft.report) next.report = draft.report;
      next.revision = (stored ? stored.revision || 0 : known) + 1; // after a join, past the newer copy
      if (draft.queue && (next.state === "draft" || next.state === "failed")) {
        // "Send the report": the tab hands it to the outbox.
        next.state = "waiting";
        because(next, draft.queueReason);
        next.error = null;
      } else if (next.state === "sent") {
        // Changed after the server had it: sent again, and kept beside the first.
        next.state = "waiting";
        next.resend = true;
        because(next, draft.resendReason);
      } else if (next.state === "sending") {
        next.resend = true; // the outbox sends it again once the first answer is in
      }
      answer.record = next;
      return next;
    }).then(function () { return answer; });
  }

  // Three-way: the stored record, with what this tab changed since its base put over it (a field
  // both changed keeps whichever was typed later), and the detainees and issues either added,
  // less those this tab removed.
  function joined(stored, draft, base) {
    var fields = Object.assign({}, stored.fields);
    var theirsAt = stored.typedAt || {}, mineAt = draft.typedAt || {};
    var names = Object.keys(draft.fields).concat(Object.keys(base.fields || {}));
    names.forEach(function (name) {
      var mine = draft.fields[name], was = (base.fields || {})[name];
      if (JSON.stringify(mine) === JSON.stringify(was)) return;
      if ((theirsAt[name] || 0) > (mineAt[name] || 0)) return; // typed later in the other tab
      if (mine === undefined) delete fields[name];
      else fields[name] = mine;
    });
    var items = {};
    ["detainees", "issues"].forEach(function (kind) {
      var theirs = (stored.items || {})[kind] || [];
      var mine = (draft.items || {})[kind] || [];
      var was = (base.items || {})[kind] || [];
      items[kind] = theirs.filter(function (index) {
        return mine.indexOf(index) >= 0 || was.indexOf(index) < 0;
      }).concat(mine.filter(function (index) {
        return was.indexOf(index) < 0 && theirs.indexOf(index) < 0;
      }));
    });
    return { fields: fields, items: items };
  }

  function latest(one, other) {
    var out = Object.assign({}, one || {});
    Object.keys(other || {}).forEach(function (name) {
      if (!(out[name] >= other[name])) out[name] = other[name];
    });
    return out;
  }

  function changed(uuid) {
    if (channel) channel.postMessage({ uuid: uuid });
    // A BroadcastChannel does not deliver to its own sender: tell this page too.
    if (scope.dispatchEvent && typeof CustomEvent === "function") {
      scope.dispatchEvent(new CustomEvent("outbox-changed", { detail: { uuid: uuid } }));
    }
  }

  function all() { return run("readonly", function (s) { return s.getAll(); }); }
  function get(uuid) { return run("readonly", function (s) { return s.get(uuid); }); }
  function put(record) {
    record.updated = Date.now();
    return run("readwrite", function (s) { return s.put(record); }).then(function () {
      changed(record.uuid);
      return record;
    });
  }
  function clear() {
    if (scope.localStorage) {
      // What a record page kept as it was left (record.js), not yet in IndexedDB.
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf("icv-unsaved:") === 0) localStorage.removeItem(key);
      });
    }
    return run("readwrite", function (s) {
      s.transaction.objectStore(STORE).clear();
      return s.clear();
    }, PHOTOS).then(function () { changed(null); });
  }
  function photos(uuid) {
    return run("readonly", function (s) { return s.index("visit").getAll(uuid); }, PHOTOS);
  }
  function putPhoto(photo) { return run("readwrite", function (s) { return s.put(photo); }, PHOTOS); }
  function removePhoto(id) { return run("readwrite", function (s) { return s.delete(id); }, PHOTOS); }
  function removePhotos(uuid) {
    return run("readwrite", function (s) {
      s.index("visit").getAllKeys(uuid).onsuccess = function (event) {
        event.target.result.forEach(function (id) { s.delete(id); });
      };
    }, PHOTOS);
  }
  function unsent() {
    return all().then(function (records) {
      return records.filter(function (r) { return r.state !== "sent"; });
    });
  }

  // Who is signed in, with the CSRF token the session's changes need; null if nobody is.
  function session() {
    return fetch("/api/me/", { credentials: "same-origin", cache: "no-store",
                               headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) return null;
        if (!response.ok) throw new Error("The server answered " + response.status);
        return response.json();
      });
  }

  // Every change of state the outbox makes is written over the record as it is in IndexedDB at
  // that moment, never over the copy read before sending: a tab may have changed it meanwhile.
  function send(record, me) {
    var sentRevision = null;
    var body = null;
    return update(record.uuid, function (stored) {
      if (!stored || QUEUED.indexOf(stored.state) < 0) return null;
      stored.state = "sending";
      stored.resend = false;
      sentRevision = stored.revision || 0;
      body = JSON.stringify(stored.report);
      return stored;
    }).then(function (sending) {
      if (!sending) return null;
      return fetch("/api/visits/" + record.uuid + "/report/", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": me.csrf_token },
        body: body,
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          return settle(record.uuid, sentRevision, response.status, answer);
        });
      }, function () {
        return wait(record.uuid, NO_SIGNAL);
      });
    });
  }

  function wait(uuid, reason) {
    return update(uuid, function (stored) {
      if (!stored || stored.state === "sent" || stored.state === "draft" || stored.state === "failed") return null;
      stored.state = "waiting";
      because(stored, reason);
      return stored;
    });
  }

  function settle(uuid, sentRevision, status, body) {
    return update(uuid, function (record) {
      return settled(record, sentRevision, status, body);
    }).then(function (record) {
      // The server holds the report and its photos: they leave the phone too.
      if (!record || record.state !== "sent") return record;
      return removePhotos(uuid).then(function () { return record; });
    });
  }

  // What the server's answer makes of the record as stored now (null: leave it as it is).
  function settled(record, sentRevision, status, body) {
    if (!record) return null;
    var editedMeanwhile = record.resend || (record.revision || 0) !== sentRevision;
    if (status === 200 || status === 201) {
      record.message = body.message;
      record.visitUrl = "/visits/" + body.visit.uuid + "/";
      record.sentAt = Date.now();
      if (editedMeanwhile) {
        // Changed in a tab while this was on its way: the change is sent too, not dropped.
        record.state = "waiting";
        record.resend = true;
        because(record, record.resendReason || gettext_noop("Changed after it was sent: it is " +
          "sent again, and kept beside the first for the scheme manager to settle."));
        return record;
      }
      record.state = "sent";
      // The server has it: the detainee details leave the phone.
      delete record.fields;
      delete record.report;
      delete record.items;
      because(record, null);
      record.error = null;
      record.resend = false;
      return record;
    }
    if (status === 401 || body.code === "two_factor_required" || body.code === "not_authenticated") {
      record.state = "signed_out";
      because(record, gettext_noop("Sign in again to send the report waiting on this phone. It " +
        "stays on this phone until then."));
      return record;
    }
    if (status >= 500 || status === 429 || status === 408 || /CSRF/.test(body.detail || "")) {
      record.state = "waiting";
      because(record, gettext_noop("The server could not take it just now (%(status)s). It " +
        "will try again."), { status: status });
      return record;
    }
    if (editedMeanwhile) {
      // Refused, but changed since: the corrected version is tried before anyone is bothered.
      record.state = "waiting";
      return record;
    }
    record.state = "failed";
    record.error = { detail: body.detail || gettext_noop("The server refused it (%(status)s)."),
                     detailArgs: body.detail ? null : { status: status },
                     fields: body.fields || {}, code: body.code || "" };
    because(record, gettext_noop("Open it, correct what is marked, and send it again."));
    return record;
  }

  // Why a record is in its state: a message id, and the values its %(name)s stand for.
  function because(record, reason, args) {
    record.reason = reason || null;
    record.reasonArgs = args || null;
  }

  // A message the outbox kept, in the page's language (the page's catalogue, when it has one;
  // the English kept otherwise); words that are not a message id (the server's) come back as
  // they are, since gettext gives back what it does not know.
  function said(text, args) {
    if (!text) return "";
    var translated = typeof scope.gettext === "function" ? scope.gettext(text) : text;
    if (!args) return translated;
    if (typeof scope.interpolate === "function") return scope.interpolate(translated, args, true);
    return translated.replace(/%\((\w+)\)s/g, function (all, name) { return args[name]; });
  }

  // Send what waits, one sender at a time across tabs and the service worker. Resolves to the
  // number of reports still waiting (for Background Sync to try again later).
  function sync() {
    var work = function () {
      return all().then(function (records) {
        var queued = records.filter(function (r) { return QUEUED.indexOf(r.state) >= 0; });
        if (!queued.length) return 0;
        return session().then(function (me) {
          var results = queued.map(function (record) {
            if (!me || me.id !== record.owner || !me.csrf_token) {
              return update(record.uuid, function (stored) {
                if (!stored || QUEUED.indexOf(stored.state) < 0) return null;
                stored.state = "signed_out";
                because(stored, gettext_noop("Sign in again, as the visitor who recorded it, to " +
                  "send the report waiting on this phone."));
                return stored;
              });
            }
            return null;
          });
          if (!me) return Promise.all(results);
          var sendAll = function (records) {
            return records.reduce(function (chain, record) {
              if (me.id !== record.owner) return chain;
              return chain.then(function () { return send(record, me); });
            }, Promise.resolve());
          };
          return sendAll(queued).then(all).then(function (after) {
            // Changed in a tab while it was sending: the change goes now, not on the next try.
            return sendAll(after.filter(function (r) { return r.state === "waiting" && r.resend; }));
          });
        }, function () {
          return Promise.all(queued.map(function (record) {
            return wait(record.uuid, NO_SIGNAL);
          }));
        }).then(function () {
          return all().then(function (after) {
            return after.filter(function (r) { return r.state === "waiting" || r.state === "sending"; }).length;
          });
        });
      });
    };
    if (scope.navigator && navigator.locks) return navigator.locks.request("icv-outbox", work);
    return work();
  }

  // A new random UUID (version 4): a visit's idempotency key, a photo's id, a tab's name.
  // Made on the phone, for record.js and photos.js alike.
  function newId() {
    if (scope.crypto.randomUUID) return scope.crypto.randomUUID();
    var b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  scope.Outbox = { all: all, get: get, put: put, update: update, saveFromTab: saveFromTab,
                   clear: clear, unsent: unsent, sync: sync,
                   photos: photos, putPhoto: putPhoto, removePhoto: removePhoto, said: said,
                   newId: newId };
})(self);
