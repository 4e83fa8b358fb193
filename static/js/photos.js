// Photos of the suite's conditions, taken on the record page with or without signal. Each is
// made smaller on the phone (longest side 1600 px, JPEG at quality 0.8: small enough to send
// on one bar of signal, and the camera's metadata, location included, is left behind) and kept
// in the outbox's IndexedDB beside the draft, so a reload or a closed tab loses none.
// record.js's report() adds Photos.forReport() to the report the outbox sends; the photos
// leave the phone with it (outbox.js). The page's words are in the markup (data-*).
(function () {
  "use strict";
  var LONGEST_SIDE = 1600;
  var QUALITY = 0.8;
  var kept = []; // this visit's photos, in the order they were taken

  // The report's `photos`: [{id, caption, image (base64 of the JPEG, no data: prefix)}].
  window.Photos = {
    forReport: function () {
      return kept.map(function (photo) {
        return { id: photo.id, caption: photo.caption.trim(), image: photo.image };
      });
    },
  };

  var box = document.querySelector("[data-photos]");
  var form = document.querySelector("[data-record]");
  var Outbox = window.Outbox;
  if (!box || !form || !Outbox || !window.indexedDB) return;
  var list = box.querySelector("[data-photo-list]");
  var input = box.querySelector("[data-photo-file]");
  var status = box.querySelector("[data-photo-status]");
  var words = box.dataset;

  // The visit's UUID: record.js puts it in the address before the form is shown.
  function visit() { return new URLSearchParams(location.search).get("id"); }

  function say(text) { status.textContent = text; }

  function readAsDataUrl(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    });
  }

  // The photo redrawn at most LONGEST_SIDE wide or high, as base64 JPEG. A data: URL rather
  // than a blob: one, which the Content Security Policy does not allow for images.
  function shrink(file) {
    return readAsDataUrl(file).then(function (url) {
      return new Promise(function (resolve, reject) {
        var image = new Image();
        image.onload = function () {
          var scale = Math.min(1, LONGEST_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
          var canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
          canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
          var context = canvas.getContext("2d");
          context.fillStyle = "#fff"; // a transparent PNG's background, as JPEG has none
          context.fillRect(0, 0, canvas.width, canvas.height);
          context.drawImage(image, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", QUALITY).split(",")[1]);
        };
        image.onerror = function () { reject(new Error(words.notAnImage)); };
        image.src = url;
      });
    });
  }

  function show(photo) {
    var holder = document.createElement("div");
    holder.innerHTML = box.querySelector('[data-template="photo"]').innerHTML; // our own markup
    var item = holder.firstElementChild;
    var image = item.querySelector("[data-photo-image]");
    var caption = item.querySelector("[data-photo-caption]");
    var label = item.querySelector("[data-photo-caption-label]");
    item.dataset.photo = photo.id;
    image.src = "data:image/jpeg;base64," + photo.image;
    image.alt = photo.caption || words.untitled;
    caption.id = "photo-caption-" + photo.id;
    label.htmlFor = caption.id;
    caption.value = photo.caption;
    caption.addEventListener("input", function () {
      photo.caption = caption.value;
      image.alt = photo.caption || words.untitled;
      Outbox.putPhoto(photo);
    });
    item.querySelector("[data-photo-remove]").addEventListener("click", function () {
      Outbox.removePhoto(photo.id).then(function () {
        kept = kept.filter(function (other) { return other.id !== photo.id; });
        item.remove();
        say(words.removed);
        input.focus();
      });
    });
    list.appendChild(item);
    return item;
  }

  input.addEventListener("change", function () {
    var file = input.files[0];
    if (!file) return;
    if (kept.length >= +words.max) {
      input.value = "";
      return say(words.tooMany);
    }
    shrink(file).then(function (image) {
      if (image.length * 3 / 4 > +words.maxBytes) throw new Error(words.tooBig);
      var photo = { id: Outbox.newId(), visit: visit(), owner: +form.dataset.user, caption: "",
                    image: image, created: Date.now() };
      return Outbox.putPhoto(photo).then(function () {
        kept.push(photo);
        say(words.added);
        show(photo).querySelector("[data-photo-caption]").focus();
      });
    }).catch(function (error) {
      say(error && error.message ? error.message : words.notAnImage);
    }).then(function () {
      input.value = ""; // the same photo may be chosen again after removing it
    });
  });

  // A visit opened again (a reload, the outbox's link, a draft resumed): its photos as they
  // were left. The address may gain or change its ?id= once record.js has opened the draft,
  // which it marks with data-ready, so look again then.
  var shownFor = null;
  function showKept() {
    var uuid = visit();
    if (!uuid || uuid === shownFor) return;
    shownFor = uuid;
    Outbox.photos(uuid).then(function (found) {
      if (visit() !== uuid) return;
      list.textContent = "";
      var left = captionsLeft(uuid);
      found.forEach(function (photo) {
        if (typeof left[photo.id] === "string" && left[photo.id] !== photo.caption) {
          photo.caption = left[photo.id];
          Outbox.putPhoto(photo);
        }
      });
      kept = found.sort(function (a, b) { return a.created - b.created; });
      kept.forEach(show);
    });
  }
  // A caption typed just before the page is left may not reach IndexedDB (its write is cut off
  // with the page): the captions go to localStorage at once as the page is left or hidden, and
  // are put back when the visit is opened again. Signing out clears them (Outbox.clear).
  var CAPTIONS = "icv-unsaved:captions:";
  function keepCaptions() {
    var uuid = visit();
    if (!uuid || !kept.length) return;
    var captions = {};
    kept.forEach(function (photo) { captions[photo.id] = photo.caption; });
    try { localStorage.setItem(CAPTIONS + uuid, JSON.stringify(captions)); } catch (error) { /* the IndexedDB copy stands */ }
  }
  function captionsLeft(uuid) {
    var left = {};
    try {
      left = JSON.parse(localStorage.getItem(CAPTIONS + uuid) || "{}") || {};
      localStorage.removeItem(CAPTIONS + uuid);
    } catch (error) { /* nothing was kept */ }
    return left;
  }
  window.addEventListener("pagehide", keepCaptions);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") keepCaptions();
  });

  showKept();
  new MutationObserver(showKept).observe(form, { attributes: true, attributeFilter: ["data-ready", "hidden"] });
})();
