/* Shanzhi field app: screens, the offline queue (IndexedDB) and its sync.
 *
 * Every record the worker saves becomes an action in IndexedDB with its own
 * Idempotency-Key, made once when it is saved and kept until the server answers. Sending
 * runs the queue in order; a retry (after a dropped connection, a closed page or a new
 * login) sends the same key and the same bytes, so the server applies it exactly once and
 * replays its first answer. A 409/422 keeps the action as a "conflict" the worker can edit
 * or discard; a 401 keeps everything and asks for a new login. Strings come from the
 * server's translations (config.strings); no inline script, no network at run time. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("field-config").textContent);
  var S = config.strings;
  var USER = config.user;
  // Answers that mean "sign in again" (a stale CSRF token included): the record stays queued.
  var AUTH_CODES = ["unauthenticated", "session_expired", "csrf_failed", "otp_required", "password_change_required",
    "otp_enrolment_required"];
  var PHOTO_MAX_SIDE = 1280;
  var PHOTO_QUALITY = 0.8;
  var MAX_PHOTOS = 3;

  function t(key, vars) {
    var text = S[key] || key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(vars[name]));
    });
    return text;
  }

  // --- DOM --------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") el.textContent = value;
      else if (name === "class") el.className = value;
      else if (name.indexOf("on") === 0) el.addEventListener(name.slice(2), value);
      else if (value === true) el.setAttribute(name, "");
      else el.setAttribute(name, value);
    });
    (Array.isArray(children) ? children : children ? [children] : []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }
  var $ = function (selector, root) { return (root || document).querySelector(selector); };

  function toast(text) {
    var el = $("#toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 4000);
  }

  function when(ms) {
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // --- IndexedDB ----------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("shanzhi-field", 1);
        request.onupgradeneeded = function () {
          var base = request.result;
          if (!base.objectStoreNames.contains("actions")) base.createObjectStore("actions", { keyPath: "key" });
          if (!base.objectStoreNames.contains("snapshot")) base.createObjectStore("snapshot", { keyPath: "user" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(name, mode, work) {
    return db().then(function (base) {
      return new Promise(function (resolve, reject) {
        var tx = base.transaction(name, mode);
        var result;
        var request = work(tx.objectStore(name));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var Queue = {
    all: function () {
      return store("actions", "readonly", function (s) { return s.getAll(); }).then(function (rows) {
        return (rows || []).filter(function (a) { return a.user === USER; })
          .sort(function (a, b) { return a.created - b.created; });
      });
    },
    get: function (key) { return store("actions", "readonly", function (s) { return s.get(key); }); },
    put: function (action) { return store("actions", "readwrite", function (s) { return s.put(action); }); },
    remove: function (key) { return store("actions", "readwrite", function (s) { return s.delete(key); }); }
  };

  function saveSnapshot(data) {
    return store("snapshot", "readwrite", function (s) { return s.put({ user: USER, data: data, saved: Date.now() }); });
  }
  function loadSnapshot() {
    return store("snapshot", "readonly", function (s) { return s.get(USER); });
  }
  /* A phone shared by two workers keeps only the current one's households; the other's
   * unsent records stay in the queue (they are sent when that worker logs in again). */
  function forgetOtherSnapshots() {
    return store("snapshot", "readwrite", function (s) {
      return s.delete(IDBKeyRange.lowerBound(USER, true));
    }).then(function () {
      return store("snapshot", "readwrite", function (s) { return s.delete(IDBKeyRange.upperBound(USER, true)); });
    });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "field-" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- state ------------------------------------------------------------------------
  var state = { snapshot: null, savedAt: null, actions: [], authLost: false, syncing: false, retryIn: 0 };

  function households() { return (state.snapshot && state.snapshot.households) || []; }
  function household(id) {
    id = Number(id);
    return households().filter(function (row) { return row.id === id; })[0] || null;
  }
  function householdLabel(row) { return row ? row.number + " " + (row.head || "") : ""; }

  function refreshSnapshot() {
    if (!navigator.onLine) return Promise.resolve(false);
    return fetch(config.urls.snapshot, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            if (response.status === 401 || AUTH_CODES.indexOf(body.code) !== -1) loseAuth();
            return false;
          });
        }
        if (!response.ok) return false;
        return response.json().then(function (data) {
          state.snapshot = data;
          state.savedAt = Date.now();
          return saveSnapshot(data).then(function () { return true; });
        });
      })
      .catch(function () { return false; });
  }

  // --- the queue and its sync ----------------------------------------------------------
  var URLS = {
    case: function () { return config.urls.cases; },
    visit: function () { return config.urls.visits; },
    points: function () { return config.urls.points; },
    case_photo: function (a) { return config.urls.casePhotos.replace("{id}", String(a.caseId)); }
  };

  function formData(action) {
    var form = new FormData();
    Object.keys(action.fields).forEach(function (name) {
      var value = action.fields[name];
      if (value === null || value === undefined || value === "") return;
      (Array.isArray(value) ? value : [value]).forEach(function (item) { form.append(name, String(item)); });
    });
    (action.photos || []).forEach(function (blob, i) {
      form.append(action.photoField || "photos", blob, "photo-" + (i + 1) + ".jpg");
    });
    return form;
  }

  function enqueue(type, fields, photos, extra) {
    var action = {
      key: newKey(), user: USER, type: type, created: Date.now(), status: "pending",
      fields: fields, photos: photos || [], attempts: 0, error: null
    };
    Object.keys(extra || {}).forEach(function (name) { action[name] = extra[name]; });
    return Queue.put(action).then(function () { return action; });
  }

  /* Store the action's new state unless the worker discarded it meanwhile. */
  function keep(action, outcome) {
    return Queue.get(action.key).then(function (current) {
      return current ? Queue.put(action) : null;
    }).then(function () { return outcome; });
  }

  function send(queued) {
    var action;
    // Read it again: the worker may have discarded or edited it since this round began.
    return Queue.get(queued.key).then(function (current) {
      if (!current || (current.status !== "pending" && current.status !== "sending")) return null;
      action = current;
      action.status = "sending";
      action.attempts += 1;
      return Queue.put(action).then(function () { return action; });
    }).then(function (current) {
      if (!current) return "skip";
      return post(current);
    });
  }

  function post(action) {
    return Promise.resolve().then(function () {
      return fetch(URLS[action.type](action), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Idempotency-Key": action.key, "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: formData(action)
      });
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        return { status: response.status, body: body };
      });
    }).then(function (answer) {
      var body = answer.body || {};
      // Only the API's own answer counts as done (a captive portal's page does not).
      if ((answer.status === 200 || answer.status === 201) && answer.body && answer.body.id !== undefined) {
        action.status = "done";
        action.result = body;
        action.sent = Date.now();
        action.photos = [];
        action.error = null;
        return keep(action, "ok");
      }
      if (answer.status === 401 || (answer.status === 403 && AUTH_CODES.indexOf(body.code) !== -1)) {
        action.status = "pending";
        return keep(action, "auth");
      }
      if (body.code && answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        action.status = "conflict";
        action.error = { status: answer.status, code: body.code, message: body.message, fields: body.fields || {} };
        return keep(action, "conflict");
      }
      action.status = "pending";
      action.error = { message: t("server_busy") };
      return keep(action, "retry");
    }, function () {
      action.status = "pending";
      return keep(action, "retry");
    });
  }

  var retryTimer = null;
  function scheduleRetry() {
    clearTimeout(retryTimer);
    state.retryIn = Math.min((state.retryIn || 2500) * 2, 60000);
    retryTimer = setTimeout(sync, state.retryIn);
  }

  function sync() {
    if (state.syncing) { state.syncAgain = true; return Promise.resolve(); }
    state.syncAgain = false;
    if (!navigator.onLine || state.authLost) { return refreshQueue(); }
    state.syncing = true;
    document.body.setAttribute("data-syncing", "1");
    var conflicts = 0;
    var sent = 0;
    return Queue.all().then(function (list) {
      var todo = list.filter(function (a) { return a.status === "pending" || a.status === "sending"; });
      function next(i) {
        if (i >= todo.length) return "done";
        return send(todo[i]).then(function (outcome) {
          if (outcome === "ok") { sent += 1; return next(i + 1); }
          if (outcome === "conflict") { conflicts += 1; return next(i + 1); }
          if (outcome === "skip") return next(i + 1);
          return outcome;
        });
      }
      return next(0);
    }).then(function (outcome) {
      state.syncing = false;
      document.body.removeAttribute("data-syncing");
      if (outcome === "auth") loseAuth();
      else if (outcome === "retry") scheduleRetry();
      else state.retryIn = 0;
      if (sent) toast(t("sent_n", { n: sent }));
      if (conflicts) toast(t("conflicts_n", { n: conflicts }));
      var refresh = (sent || conflicts) ? refreshSnapshot() : Promise.resolve();
      return refresh.then(refreshQueue).then(function () {
        if (sent || conflicts) route();
        // Saved while this round was running: send it now rather than at the next trigger.
        if (state.syncAgain && outcome === "done") return sync();
      });
    }, function () {
      state.syncing = false;
      document.body.removeAttribute("data-syncing");
      scheduleRetry();
      return refreshQueue();
    });
  }

  function loseAuth() {
    state.authLost = true;
    var banner = $("#banner");
    banner.textContent = "";
    banner.appendChild(h("p", { text: t("session_lost") }));
    banner.appendChild(h("a", { class: "button", href: config.urls.login, text: t("log_in_again") }));
    banner.hidden = false;
  }

  function refreshQueue() {
    return Queue.all().then(function (list) {
      // Keep the last 20 sent records as a receipt; older ones are dropped.
      var done = list.filter(function (a) { return a.status === "done"; });
      var drop = done.slice(0, Math.max(done.length - 20, 0));
      return Promise.all(drop.map(function (a) { return Queue.remove(a.key); })).then(function () {
        state.actions = list.filter(function (a) { return drop.indexOf(a) === -1; });
        var waiting = state.actions.filter(function (a) { return a.status !== "done"; }).length;
        var count = $("#queue-count");
        count.textContent = String(waiting);
        count.hidden = waiting === 0;
        document.body.setAttribute("data-pending", String(
          state.actions.filter(function (a) { return a.status === "pending" || a.status === "sending"; }).length));
        document.body.setAttribute("data-conflicts", String(
          state.actions.filter(function (a) { return a.status === "conflict"; }).length));
        showNet();
      });
    });
  }

  function showNet() {
    var net = $("#net");
    net.textContent = navigator.onLine ? t("online") : t("offline");
    net.className = "net " + (navigator.onLine ? "on" : "off");
  }

  // --- photos and location ---------------------------------------------------------------
  function loadImage(file) {
    var viaElement = function () {
      return new Promise(function (resolve, reject) {
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("image")); };
        img.src = url;
      });
    };
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(viaElement);
    }
    return viaElement();
  }

  /* The photo as a JPEG at most PHOTO_MAX_SIDE pixels on its long side: a 4 MB camera
   * photo becomes about 150-300 KB, which a weak signal can carry. */
  function resizePhoto(file) {
    return loadImage(file).then(function (img) {
      var width = img.width, height = img.height;
      var scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) img.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("encode")); },
          "image/jpeg", PHOTO_QUALITY);
      });
    });
  }

  function photoField(initial, options) {
    var photos = (initial || []).slice();
    var max = (options && options.max) || MAX_PHOTOS;
    var list = h("div", { class: "thumbs" });
    var input = h("input", { type: "file", accept: "image/*", capture: "environment", class: "file",
      id: "photo-input" });
    var pick = h("input", { type: "file", accept: "image/*", class: "file", id: "photo-pick", multiple: max > 1 });
    var status = h("p", { class: "hint" });
    function draw() {
      list.textContent = "";
      photos.forEach(function (blob, i) {
        var url = URL.createObjectURL(blob);
        list.appendChild(h("figure", { class: "thumb" }, [
          h("img", { src: url, alt: t("photo_n", { n: i + 1 }) }),
          h("button", { type: "button", class: "small", text: t("remove"), onclick: function () {
            photos.splice(i, 1); draw();
          } })
        ]));
      });
      input.disabled = pick.disabled = photos.length >= max;
    }
    function added(event) {
      var source = event.target;
      var files = Array.prototype.slice.call(source.files || [], 0, max - photos.length);
      status.textContent = t("resizing");
      Promise.all(files.map(resizePhoto)).then(function (blobs) {
        photos = photos.concat(blobs);
        status.textContent = "";
        source.value = "";
        draw();
      }, function () { status.textContent = t("photo_unreadable"); source.value = ""; });
    }
    input.addEventListener("change", added);
    pick.addEventListener("change", added);
    draw();
    return {
      el: h("div", { class: "field", "data-field": options && options.name || "photos" }, [
        h("div", { class: "photo-buttons" }, [
          h("label", { for: "photo-input", class: "button ghost", text: (options && options.label) || t("take_photo") }),
          h("label", { for: "photo-pick", class: "button ghost", text: t("choose_from_album") })
        ]),
        input, pick, status, list, h("p", { class: "err" })
      ]),
      value: function () { return photos.slice(); }
    };
  }

  function locationField(initial) {
    var value = initial && initial.lat ? { lat: initial.lat, lng: initial.lng } : null;
    var text = h("span", { class: "hint", text: value ? t("location_set") : "" });
    var button = h("button", { type: "button", class: "ghost", text: t("add_location"), onclick: function () {
      if (!navigator.geolocation) { text.textContent = t("location_failed"); return; }
      text.textContent = t("locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        value = { lat: pos.coords.latitude.toFixed(6), lng: pos.coords.longitude.toFixed(6) };
        text.textContent = t("location_set") + " (" + value.lat + ", " + value.lng + ")";
      }, function () { text.textContent = t("location_failed"); }, { timeout: 15000, maximumAge: 120000 });
    } });
    return { el: h("div", { class: "field" }, [button, " ", text]), value: function () { return value; } };
  }

  // --- form pieces --------------------------------------------------------------------
  function field(name, label, control, hint) {
    if (!control.id) control.id = "f-" + name;
    control.name = name;
    return h("div", { class: "field", "data-field": name }, [
      h("label", { for: control.id, text: label }), control,
      hint ? h("p", { class: "hint", text: hint }) : null, h("p", { class: "err" })
    ]);
  }

  function select(options, selected, blank) {
    var el = h("select");
    if (blank !== undefined) el.appendChild(h("option", { value: "", text: blank }));
    options.forEach(function (option) {
      el.appendChild(h("option", { value: String(option[0]), text: option[1],
        selected: String(option[0]) === String(selected === undefined || selected === null ? "" : selected) }));
    });
    return el;
  }

  function householdPicker(selected, onchange, optional) {
    var search = h("input", { type: "search", placeholder: t("search_household"), class: "search",
      "aria-label": t("search_household") });
    var el = h("select", { id: "f-household" });
    function fill() {
      var q = search.value.trim();
      var current = el.value || (selected ? String(selected) : "");
      el.textContent = "";
      el.appendChild(h("option", { value: "", text: optional ? t("no_household") : t("choose_household") }));
      households().forEach(function (row) {
        var label = householdLabel(row) + " · " + row.address;
        if (q && label.indexOf(q) === -1 && String(row.id) !== current) return;
        el.appendChild(h("option", { value: String(row.id), text: label, selected: String(row.id) === current }));
      });
    }
    search.addEventListener("input", fill);
    el.addEventListener("change", function () { if (onchange) onchange(household(el.value)); });
    fill();
    var wrapper = field("household", t("household"), el);
    wrapper.insertBefore(search, el);
    return { el: wrapper, value: function () { return el.value ? Number(el.value) : null; } };
  }

  function showErrors(form, error) {
    Array.prototype.forEach.call(form.querySelectorAll(".err"), function (p) { p.textContent = ""; });
    var general = [];
    Object.keys((error && error.fields) || {}).forEach(function (name) {
      var messages = [].concat(error.fields[name]).join(" ");
      var target = form.querySelector('[data-field="' + name.split(".")[0] + '"] .err');
      if (target) target.textContent = messages;
      else general.push(messages);
    });
    var top = form.querySelector(".form-error");
    top.textContent = [error && error.message].concat(general).filter(Boolean).join(" ");
  }

  function requireFields(checks) {
    var fields = {};
    checks.forEach(function (check) { if (!check[1]) fields[check[0]] = [check[2] || t("required")]; });
    return Object.keys(fields).length ? { message: t("check_fields"), fields: fields } : null;
  }

  function saved(action, editing) {
    var done = editing ? Queue.remove(editing.key) : Promise.resolve();
    return done.then(refreshQueue).then(function () {
      toast(navigator.onLine ? t("saved_sending") : t("saved_offline"));
      location.hash = "#home";
      sync();
    });
  }

  function formShell(title, children, onsubmit) {
    var form = h("form", { class: "form", novalidate: true }, [h("h1", { text: title }),
      h("p", { class: "form-error", role: "alert" })].concat(children).concat([
      h("div", { class: "actions" }, [
        h("button", { type: "submit", class: "primary", id: "save", text: t("save") }),
        h("a", { class: "button ghost", href: "#home", text: t("cancel") })
      ])
    ]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      onsubmit(form);
    });
    return form;
  }

  function conflictNote(editing) {
    if (!editing || !editing.error) return null;
    return h("div", { class: "conflict" }, [h("p", { text: editing.error.message || t("conflict") })]);
  }

  // --- screens ------------------------------------------------------------------------
  function params(query) {
    var out = {};
    (query || "").split("&").forEach(function (pair) {
      if (!pair) return;
      var parts = pair.split("=");
      out[decodeURIComponent(parts[0])] = decodeURIComponent(parts[1] || "");
    });
    return out;
  }

  function homeScreen() {
    var snap = state.snapshot;
    var can = snap.can;
    var waiting = state.actions.filter(function (a) { return a.status !== "done"; }).length;
    var items = [
      h("h1", { text: t("hello", { name: snap.worker ? snap.worker.name : snap.user.name }) }),
      h("p", { class: "hint", id: "snapshot-age", text: t("data_of", { time: when(state.savedAt || Date.now()) }) }),
      waiting ? h("p", { class: "notice" }, [h("a", { href: "#queue", text: t("waiting_n", { n: waiting }) })]) : null,
      h("div", { class: "big-buttons" }, [
        can.visit ? h("a", { class: "button big", href: "#visit", id: "go-visit", text: t("log_visit") }) : null,
        can.case ? h("a", { class: "button big", href: "#case", id: "go-case", text: t("report_case") }) : null,
        can.points ? h("a", { class: "button big", href: "#points", id: "go-points", text: t("record_points") }) : null,
        can.case ? h("a", { class: "button big ghost", href: "#cases", text: t("my_cases") }) : null
      ])
    ];
    if (can.visit) {
      items.push(h("h2", { text: t("care_due") }));
      if (!snap.care_due.length) items.push(h("p", { class: "hint", text: t("care_none") }));
      items.push(h("ul", { class: "list", id: "care-due" }, snap.care_due.map(function (item) {
        var row = household(item.household);
        var late = item.days_overdue === null ? t("never_visited") : t("days_overdue", { n: item.days_overdue });
        return h("li", {}, [
          h("div", {}, [h("strong", { text: householdLabel(row) }), h("p", { class: "hint", text: late + " · " + item.tags.join("、") })]),
          h("a", { class: "button small", href: "#visit?household=" + item.household + "&purpose=elderly_care", text: t("visit") })
        ]);
      })));
    }
    if (snap.duties_due.length) {
      items.push(h("details", { class: "duties" }, [
        h("summary", {}, [t("duties_today") + " ", h("b", { class: "count", text: String(snap.duties_due.length) })]),
        h("ul", { class: "list", id: "duties-due" }, snap.duties_due.map(function (d) {
          return h("li", {}, [h("span", { text: d.name }), h("b", { class: "count", text: String(d.remaining) })]);
        }))
      ]));
    }
    return items;
  }

  function visitScreen(query, editing) {
    var snap = state.snapshot;
    var f = editing ? editing.fields : {};
    var kind = f.kind || "household";
    var kindSelect = select([["household", t("household_visit")], ["patrol", t("patrol")]], kind);
    var picker = householdPicker(f.household || query.household);
    var gridSelect = select(snap.grids.map(function (g) { return [g.id, g.name]; }), f.grid);
    var gridField = field("grid", t("grid"), gridSelect);
    var purpose = select(snap.purposes.map(function (p) { return [p.value, p.label]; }),
      f.purpose || query.purpose || (kind === "patrol" ? "routine_patrol" : ""), t("choose"));
    var notes = h("textarea", { rows: 4, maxlength: 2000 });
    notes.value = f.notes || "";
    var chosen = (f.duties || []).map(String);
    var duties = h("div", { class: "checks", "data-field": "duties" }, snap.duties.map(function (d) {
      return h("label", { class: "check" }, [
        h("input", { type: "checkbox", name: "duties", value: String(d.id), checked: chosen.indexOf(String(d.id)) !== -1 }),
        " " + d.name
      ]);
    }).concat([h("p", { class: "err" })]));
    var photos = photoField(editing && editing.photos);
    var where = locationField(f);
    function toggle() {
      var patrol = kindSelect.value === "patrol";
      picker.el.hidden = patrol;
      gridField.hidden = !patrol || snap.grids.length < 2;
    }
    kindSelect.addEventListener("change", toggle);
    toggle();
    return formShell(t("log_visit"), [
      conflictNote(editing),
      field("kind", t("kind"), kindSelect), picker.el, gridField,
      field("purpose", t("purpose"), purpose), field("notes", t("notes"), notes),
      snap.duties.length ? h("details", {}, [h("summary", { text: t("duties_done") }), duties]) : null,
      photos.el, where.el
    ], function (form) {
      var patrol = kindSelect.value === "patrol";
      var error = requireFields([
        ["household", patrol || picker.value(), t("choose_household")],
        ["purpose", purpose.value, t("choose_purpose")]
      ]);
      if (error) return showErrors(form, error);
      var row = household(picker.value());
      var pos = where.value();
      enqueue("visit", {
        kind: kindSelect.value,
        household: patrol ? null : picker.value(),
        household_grid: patrol || !row ? null : row.grid,
        grid: patrol && snap.grids.length > 1 ? gridSelect.value : null,
        purpose: purpose.value,
        notes: notes.value.trim(),
        // Kept from the first save (the visit happened then), unless the server refused that time.
        visited_at: f.visited_at && !(editing.error && editing.error.fields && editing.error.fields.visited_at)
          ? f.visited_at : new Date().toISOString(),
        duties: Array.prototype.map.call(duties.querySelectorAll("input:checked"), function (i) { return i.value; }),
        lat: pos && pos.lat, lng: pos && pos.lng
      }, photos.value(), { label: (patrol ? t("patrol") : t("visit_to", { who: householdLabel(row) })) })
        .then(function (action) { return saved(action, editing); });
    });
  }

  function caseScreen(query, editing) {
    var snap = state.snapshot;
    var f = editing ? editing.fields : {};
    var picker = householdPicker(f.household || query.household, null, true);
    var gridSelect = select(snap.grids.map(function (g) { return [g.id, g.name]; }), f.grid);
    var category = select(snap.categories.map(function (c) { return [c.code, c.name]; }), f.category, t("choose"));
    var title = h("input", { type: "text", maxlength: 100 });
    title.value = f.title || "";
    var description = h("textarea", { rows: 5, maxlength: 4000 });
    description.value = f.description || "";
    var address = h("input", { type: "text", maxlength: 200 });
    address.value = f.address || "";
    var photos = photoField(editing && editing.photos);
    var where = locationField(f);
    return formShell(t("report_case"), [
      conflictNote(editing),
      field("category", t("category"), category), field("title", t("title"), title, t("title_hint")),
      field("description", t("description"), description),
      picker.el,
      snap.grids.length > 1 ? field("grid", t("grid_if_no_household"), gridSelect) : null,
      field("address", t("address"), address),
      photos.el, where.el
    ], function (form) {
      var error = requireFields([
        ["category", category.value, t("choose_category")],
        ["description", description.value.trim(), t("describe_problem")]
      ]);
      if (error) return showErrors(form, error);
      var row = household(picker.value());
      var pos = where.value();
      enqueue("case", {
        household: picker.value(),
        household_grid: row ? row.grid : null,
        grid: row ? null : (snap.grids.length ? gridSelect.value || snap.grids[0].id : null),
        category: category.value,
        title: title.value.trim(),
        description: description.value.trim(),
        address: address.value.trim(),
        lat: pos && pos.lat, lng: pos && pos.lng
      }, photos.value(), { label: t("case_label", { title: title.value.trim() || description.value.trim().slice(0, 20) }) })
        .then(function (action) { return saved(action, editing); });
    });
  }

  function pointsScreen(query, editing) {
    var snap = state.snapshot;
    var f = editing ? editing.fields : {};
    var ruleSelect = h("select", { id: "f-rule" });
    function fillRules(row) {
      var current = ruleSelect.value || f.rule;
      ruleSelect.textContent = "";
      ruleSelect.appendChild(h("option", { value: "", text: t("choose_rule") }));
      snap.rules.forEach(function (r) {
        if (row && r.village !== row.village) return;
        ruleSelect.appendChild(h("option", { value: String(r.id), selected: String(r.id) === String(current),
          text: (r.points > 0 ? "+" : "") + r.points + " " + r.text }));
      });
    }
    var picker = householdPicker(f.household || query.household, fillRules);
    fillRules(household(f.household || query.household));
    var note = h("textarea", { rows: 3, maxlength: 300 });
    note.value = f.note || "";
    var photos = photoField(editing && editing.photos, { max: 1, name: "evidence", label: t("evidence_photo") });
    return formShell(t("record_points"), [
      conflictNote(editing),
      picker.el, field("rule", t("rule"), ruleSelect), field("note", t("note"), note, t("note_hint")), photos.el
    ], function (form) {
      var rule = snap.rules.filter(function (r) { return String(r.id) === ruleSelect.value; })[0];
      var error = requireFields([
        ["household", picker.value(), t("choose_household")],
        ["rule", rule, t("choose_rule")],
        ["note", !rule || !rule.deduction || note.value.trim(), t("deduction_note")],
        ["evidence", !rule || !rule.evidence || photos.value().length, t("evidence_required")]
      ]);
      if (error) return showErrors(form, error);
      var row = household(picker.value());
      enqueue("points", {
        household: picker.value(), household_grid: row ? row.grid : null, rule: rule.id,
        note: note.value.trim(), occurred_on: f.occurred_on || snap.today
      }, photos.value(), {
        photoField: "evidence",
        label: t("points_label", { who: householdLabel(row), points: (rule.points > 0 ? "+" : "") + rule.points })
      }).then(function (action) { return saved(action, editing); });
    });
  }

  function casePhotoScreen(caseId, editing) {
    var found = state.snapshot.recent_cases.filter(function (c) { return String(c.id) === String(caseId); })[0];
    var f = editing ? editing.fields : {};
    var note = h("textarea", { rows: 3, maxlength: 2000 });
    note.value = f.note || "";
    var photos = photoField(editing && editing.photos);
    var label = found ? found.number + " " + found.title : "#" + caseId;
    return formShell(t("add_photos"), [conflictNote(editing), h("p", { text: label }),
      field("note", t("note"), note), photos.el], function (form) {
      var error = requireFields([["photos", photos.value().length, t("choose_photo")]]);
      if (error) return showErrors(form, error);
      enqueue("case_photo", { note: note.value.trim() }, photos.value(),
        { caseId: Number(caseId), label: t("photos_for", { case: label }) })
        .then(function (action) { return saved(action, editing); });
    });
  }

  function casesScreen() {
    var rows = state.snapshot.recent_cases;
    return [h("h1", { text: t("my_cases") }),
      rows.length ? null : h("p", { class: "hint", text: t("no_cases") }),
      h("ul", { class: "list" }, rows.map(function (c) {
        return h("li", {}, [
          h("div", {}, [h("strong", { text: c.number + " " + c.title }), h("p", { class: "hint", text: c.status })]),
          h("a", { class: "button small", href: "#case-photo/" + c.id, text: t("add_photos") })
        ]);
      }))];
  }

  function householdsScreen() {
    var search = h("input", { type: "search", placeholder: t("search_household"), class: "search", id: "household-search",
      "aria-label": t("search_household") });
    var list = h("ul", { class: "list", id: "household-list" });
    var can = state.snapshot.can;
    function draw() {
      var q = search.value.trim();
      list.textContent = "";
      households().filter(function (row) {
        return !q || (householdLabel(row) + row.address + row.tags.join("")).indexOf(q) !== -1;
      }).slice(0, 200).forEach(function (row) {
        list.appendChild(h("li", { "data-household": row.id }, [
          h("div", {}, [
            h("strong", { text: householdLabel(row) }),
            h("p", { class: "hint", text: [row.address, row.grid_name, row.phone].filter(Boolean).join(" · ") }),
            row.tags.length ? h("p", { class: "tags", text: row.tags.join("、") }) : null
          ]),
          h("div", { class: "row-actions" }, [
            can.visit ? h("a", { class: "button small", href: "#visit?household=" + row.id, text: t("visit") }) : null,
            can.case ? h("a", { class: "button small ghost", href: "#case?household=" + row.id, text: t("report") }) : null,
            can.points ? h("a", { class: "button small ghost", href: "#points?household=" + row.id, text: t("points") }) : null
          ])
        ]));
      });
    }
    search.addEventListener("input", draw);
    draw();
    var total = state.snapshot.households_total;
    return [h("h1", { text: t("households") }),
      h("p", { class: "hint", text: t("households_offline", { n: households().length, total: total }) }),
      search, list];
  }

  var STATUS = { pending: "status_pending", sending: "status_sending", conflict: "status_conflict", done: "status_done" };

  function queueScreen() {
    var waiting = state.actions.filter(function (a) { return a.status !== "done"; });
    var done = state.actions.filter(function (a) { return a.status === "done"; }).reverse();
    function row(action) {
      var error = action.error && action.status === "conflict" ? action.error : null;
      // A 409 says it all in its message; a 422 names the fields that need correcting.
      var fieldErrors = error && error.status !== 409 ? Object.keys(error.fields || {}).map(function (k) {
        return [].concat(error.fields[k]).join(" ");
      }) : [];
      return h("li", { class: "action " + action.status, "data-key": action.key, "data-type": action.type }, [
        h("div", {}, [
          h("strong", { text: action.label || action.type }),
          h("p", { class: "hint", text: when(action.created) + " · " + t(STATUS[action.status]) +
            (action.photos && action.photos.length ? " · " + t("photo_count", { n: action.photos.length }) : "") +
            (action.result && action.result.number ? " · " + action.result.number : "") }),
          error ? h("p", { class: "conflict-message", text: [error.message].concat(fieldErrors).join(" ") }) : null
        ]),
        action.status === "done" ? null : h("div", { class: "row-actions" }, [
          action.status === "conflict" ? h("a", { class: "button small", href: "#edit/" + action.key, text: t("edit") }) : null,
          h("button", { type: "button", class: "small ghost", text: t("discard"), onclick: function () {
            if (!window.confirm(t("discard_confirm"))) return;
            Queue.remove(action.key).then(refreshQueue).then(route);
          } })
        ])
      ]);
    }
    return [h("h1", { text: t("to_send") }),
      h("p", { class: "hint", text: navigator.onLine ? t("queue_online") : t("queue_offline") }),
      waiting.length ? h("ul", { class: "list", id: "queue-list" }, waiting.map(row)) : h("p", { text: t("queue_empty") }),
      navigator.onLine && waiting.some(function (a) { return a.status !== "conflict"; }) ? h("button", { type: "button", class: "primary", id: "send-now", text: t("send_now"),
        onclick: function () { state.authLost = false; $("#banner").hidden = true; sync(); } }) : null,
      done.length ? h("h2", { text: t("sent_recently") }) : null,
      done.length ? h("ul", { class: "list", id: "sent-list" }, done.map(row)) : null];
  }

  var FONT_SIZES = [["normal", "font_normal"], ["large", "font_large"], ["larger", "font_larger"]];
  function applyFont() {
    document.documentElement.setAttribute("data-font", localStorage.getItem("field-font") || "normal");
  }

  function settingsScreen() {
    var current = localStorage.getItem("field-font") || "normal";
    return [h("h1", { text: t("settings") }),
      h("fieldset", { class: "choices" }, [h("legend", { text: t("font_size") })].concat(FONT_SIZES.map(function (size) {
        return h("label", { class: "check big-check" }, [
          h("input", { type: "radio", name: "font", value: size[0], checked: size[0] === current, onchange: function () {
            localStorage.setItem("field-font", size[0]);
            applyFont();
          } }), " " + t(size[1])
        ]);
      }))),
      h("button", { type: "button", class: "ghost", id: "refresh-data", text: t("refresh_data"), onclick: function () {
        refreshSnapshot().then(function (ok) { toast(ok ? t("data_refreshed") : t("refresh_failed")); route(); });
      } }),
      h("p", {}, [h("a", { href: config.urls.home, text: t("full_site") })]),
      h("p", { class: "hint", text: t("signed_in_as", { name: config.userName }) })];
  }

  function route() {
    var view = $("#view");
    var hash = (location.hash || "#home").slice(1);
    var parts = hash.split("?");
    var path = parts[0] || "home";
    var query = params(parts[1]);
    Array.prototype.forEach.call(document.querySelectorAll(".tabs a"), function (a) {
      a.classList.toggle("active", path === a.getAttribute("data-tab"));
    });
    if (!state.snapshot) {
      view.textContent = "";
      view.appendChild(h("p", { class: "notice", text: navigator.onLine ? t("loading") : t("no_data_offline") }));
      return Promise.resolve();
    }
    var build;
    if (path.indexOf("edit/") === 0) {
      build = Queue.get(path.slice(5)).then(function (action) {
        if (!action) return homeScreen();
        var screen = action.type === "visit" ? visitScreen({}, action)
          : action.type === "case" ? caseScreen({}, action)
            : action.type === "points" ? pointsScreen({}, action) : casePhotoScreen(action.caseId, action);
        if (action.error && action.error.fields) showErrors(screen, { fields: action.error.fields });
        return screen;
      });
    } else if (path.indexOf("case-photo/") === 0) {
      build = Promise.resolve(casePhotoScreen(path.slice(11)));
    } else {
      var screens = { home: homeScreen, visit: visitScreen, case: caseScreen, points: pointsScreen, cases: casesScreen,
        households: householdsScreen, queue: queueScreen, settings: settingsScreen };
      build = Promise.resolve((screens[path] || homeScreen)(query));
    }
    return build.then(function (content) {
      view.textContent = "";
      [].concat(content).forEach(function (node) { if (node) view.appendChild(node); });
      document.body.setAttribute("data-screen", path.split("/")[0]);
      window.scrollTo(0, 0);
    });
  }

  // --- start --------------------------------------------------------------------------
  applyFont();
  // Ask the browser not to evict the queue when the phone runs short of space.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () { return false; });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", function () { showNet(); sync(); refreshSnapshot().then(route); });
  window.addEventListener("offline", function () { showNet(); route(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) sync(); });
  setInterval(function () {
    if (state.actions.some(function (a) { return a.status === "pending"; })) sync();
  }, 30000);

  if ("serviceWorker" in navigator) {
    var markControlled = function () {
      if (navigator.serviceWorker.controller) document.body.setAttribute("data-offline-ready", "1");
    };
    navigator.serviceWorker.addEventListener("controllerchange", markControlled);
    markControlled();
    navigator.serviceWorker.register(config.urls.serviceWorker, { scope: "/field/" }).catch(function () { return null; });
  }

  var ready = forgetOtherSnapshots().then(loadSnapshot).then(function (row) {
    if (row) { state.snapshot = row.data; state.savedAt = row.saved; }
    return refreshQueue();
  }).then(route).then(function () {
    return refreshSnapshot();
  }).then(function (fresh) {
    if (fresh && !/^#?(visit|case|points|edit|case-photo)/.test(location.hash.slice(1))) route();
    document.body.setAttribute("data-ready", "1");
    return sync();
  });

  // For the browser tests and for support staff looking at a phone: the queue, read-only.
  window.shanzhiField = { ready: ready, actions: function () { return Queue.all(); }, sync: sync };
})();
