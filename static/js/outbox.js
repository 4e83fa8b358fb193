// The phone's outbox: visit reports kept in IndexedDB and sent whole to
// PUT /api/visits/{uuid}/report/. The visit's UUID, made on the phone, is the idempotency key:
// sending again (a dropped answer, a reload mid-send, the service worker and a page at once)
// finds the report already stored. Loaded by every page and by the service worker.
//
// A record: {uuid, owner (user id), state, title, updated, fields, items, report, reason,
// error, message, visitUrl}. A visit's photos are kept in a store of their own, beside it
// ({id, visit (its uuid), owner, caption, image (JPEG as base64), created}), so that saving the
// draft at every keystroke does not write them again; they leave the phone with the report.
// States: draft (being typed), waiting (to be sent), sending,
// signed_out (waits for its owner to sign in), failed (the server refused it: error says why),
// sent (the server has it; the detainee details are gone from the phone).
(function (scope) {
  "use strict";
  var STORE = "reports";
  var PHOTOS = "photos";
  var QUEUED = ["waiting", "sending", "signed_out"];
  var channel = "BroadcastChannel" in scope ? new BroadcastChannel("icv-outbox") : null;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("icv", 2);
      request.onupgradeneeded = function () {
        // Version 1 had the reports only: they are kept as they are, and the photos store added.
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "uuid" });
        if (!db.objectStoreNames.contains(PHOTOS)) {
          db.createObjectStore(PHOTOS, { keyPath: "id" }).createIndex("visit", "visit");
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work, store) {
    store = store || STORE;
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store === STORE ? STORE : [STORE, store], mode);
        var request = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(request && request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
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

  function send(record, me) {
    record.state = "sending";
    return put(record).then(function () {
      return fetch("/api/visits/" + record.uuid + "/report/", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": me.csrf_token },
        body: JSON.stringify(record.report),
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return settle(record, response.status, body);
      });
    }, function () {
      return wait(record, "No connection yet: it is sent by itself when there is signal.");
    });
  }

  function wait(record, reason) {
    record.state = "waiting";
    record.reason = reason;
    return put(record);
  }

  function settle(record, status, body) {
    if (status === 200 || status === 201) {
      record.state = "sent";
      record.message = body.message;
      record.visitUrl = "/visits/" + body.visit.uuid + "/";
      record.sentAt = Date.now();
      // The server has it: the detainee details leave the phone.
      delete record.fields;
      delete record.report;
      delete record.items;
      record.reason = record.error = null;
      return put(record).then(function () {
        return removePhotos(record.uuid).then(function () { return record; });
      });
    }
    if (status === 401 || body.code === "two_factor_required" || body.code === "not_authenticated") {
      record.state = "signed_out";
      record.reason = "Sign in again to send it. It stays on this phone until then.";
      return put(record);
    }
    if (status >= 500 || status === 429 || status === 408 || /CSRF/.test(body.detail || "")) {
      return wait(record, "The server could not take it just now (" + status + "). It will try again.");
    }
    record.state = "failed";
    record.error = { detail: body.detail || "The server refused it (" + status + ").",
                     fields: body.fields || {}, code: body.code || "" };
    record.reason = "Open it, correct what is marked, and send it again.";
    return put(record);
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
              record.state = "signed_out";
              record.reason = "Sign in again, as the visitor who recorded it, to send it.";
              return put(record);
            }
            return null;
          });
          if (!me) return Promise.all(results);
          return queued.reduce(function (chain, record) {
            if (me.id !== record.owner) return chain;
            return chain.then(function () { return send(record, me); });
          }, Promise.resolve());
        }, function () {
          return Promise.all(queued.map(function (record) {
            return wait(record, "No connection yet: it is sent by itself when there is signal.");
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

  scope.Outbox = { all: all, get: get, put: put, clear: clear, unsent: unsent, sync: sync,
                   photos: photos, putPhoto: putPhoto, removePhoto: removePhoto };
})(self);
