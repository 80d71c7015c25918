/* PST Desk officer console: three panes (the list, the open conversation, its side panel), live over ws/console/.
 *
 * The socket is only a notification path. The page keeps a cursor (the highest seq it holds without a gap) per
 * open consultation and asks the server to replay everything after it on every (re)connect and whenever an event
 * shows a gap, so a dropped event or a dead connection never loses a message. Messages are keyed by seq: a replay
 * that overlaps what is shown replaces rows in place, never duplicates them.
 *
 * Data is always put in the page with textContent / attributes, never as HTML.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("console-config");
  if (!configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var T = config.text || {};
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // --- small helpers ----------------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "className") { node.className = value; }
      else { node.setAttribute(key, value === true ? "" : String(value)); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function formatTime(iso, tz) {
    if (!iso) { return "—"; }
    var date = new Date(iso);
    try {
      return date.toLocaleString(document.documentElement.lang || "id", {
        timeZone: tz || undefined, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      });
    } catch (err) {
      return date.toLocaleString();
    }
  }

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) { return days + T.days + " " + hours + T.hours; }
    if (hours) { return hours + T.hours + " " + mins + T.minutes; }
    return mins + T.minutes;
  }

  // SLA countdown text and urgency of a due time: ok, soon (< 4 hours), over.
  function countdown(iso) {
    if (!iso) { return { text: T.noDue, level: "none" }; }
    var left = new Date(iso).getTime() - Date.now();
    if (left < 0) { return { text: fill(T.overdue, { time: span(left) }), level: "over" }; }
    return { text: fill(T.dueIn, { time: span(left) }), level: left < 4 * 3600 * 1000 ? "soon" : "ok" };
  }

  function renderCountdown(node) {
    var result = countdown(node.getAttribute("data-due") || "");
    if (node.id === "state-window") {
      // The WhatsApp customer-service window: free text until it closes, templates only after.
      var left = new Date(node.getAttribute("data-due") || 0).getTime() - Date.now();
      result = left > 0
        ? { text: fill(T.windowOpen, { time: span(left) }), level: left < 3600 * 1000 ? "soon" : "ok" }
        : { text: T.windowClosed, level: "over" };
    }
    node.textContent = result.text;
    node.setAttribute("data-level", result.level);
  }

  function tickCountdowns() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-due]"), renderCountdown);
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) { throw new Error(body.error || T.error); }
        return body;
      });
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(T.error); }
        return response.json();
      });
  }

  // --- the socket -------------------------------------------------------------------------------------------
  var connection = document.getElementById("connection");

  function Socket(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.connect();
  }

  Socket.prototype.url = function () {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + this.path;
  };

  Socket.prototype.state = function (state) {
    if (!connection) { return; }
    connection.setAttribute("data-state", state);
    connection.textContent = T[state] || state;
  };

  Socket.prototype.connect = function () {
    var self = this;
    self.timer = null;
    self.state("connecting");
    var ws;
    try {
      ws = new WebSocket(self.url());
    } catch (err) {
      self.retry();
      return;
    }
    self.ws = ws;
    ws.onopen = function () { self.attempt = 0; };
    ws.onmessage = function (frame) {
      var data;
      try { data = JSON.parse(frame.data); } catch (err) { return; }
      if (data.type === "hello") {
        self.state("online");
        self.handlers.open();
      } else {
        self.handlers.frame(data);
      }
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) { return; }
      self.ws = null;
      // The login ended (logout elsewhere, deactivated): reload, which leads to the login page.
      if (event.code === 4401) { window.location.reload(); return; }
      self.state("offline");
      self.retry();
    };
    ws.onerror = function () { /* onclose follows */ };
  };

  // Reconnect with exponential backoff (0.5 s doubling to 10 s) and jitter.
  Socket.prototype.retry = function () {
    var self = this;
    if (self.timer) { return; }
    var delay = Math.min(10000, 500 * Math.pow(2, self.attempt)) * (0.75 + Math.random() * 0.5);
    self.attempt += 1;
    self.timer = window.setTimeout(function () { self.connect(); }, delay);
  };

  Socket.prototype.send = function (data) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(data));
      return true;
    }
    return false;
  };

  // Reconnect at once when the browser comes back online.
  window.addEventListener("online", function () {
    var socket = window.pstConsole && window.pstConsole.socket;
    if (socket && !socket.ws) {
      window.clearTimeout(socket.timer);
      socket.timer = null;
      socket.connect();
    }
  });

  // --- header: duty switch and staffing banner --------------------------------------------------------------
  var staffing = {};
  (config.staffing || []).forEach(function (w) { staffing[w.office] = w.message; });

  function renderStaffing() {
    var banner = document.getElementById("staffing");
    if (!banner) { return; }
    while (banner.firstChild) { banner.removeChild(banner.firstChild); }
    var offices = Object.keys(staffing).filter(function (code) { return staffing[code]; });
    offices.forEach(function (code) {
      banner.appendChild(el("p", { "data-office": code, text: staffing[code] }));
    });
    banner.hidden = offices.length === 0;
  }

  var dutyButton = document.getElementById("duty-toggle");
  function renderDuty(onDuty) {
    if (!dutyButton) { return; }
    dutyButton.setAttribute("aria-pressed", onDuty ? "true" : "false");
    dutyButton.textContent = onDuty ? T.onDuty : T.offDuty;
  }
  if (dutyButton) {
    dutyButton.addEventListener("click", function () {
      var data = new FormData();
      data.append("on_duty", dutyButton.getAttribute("aria-pressed") === "true" ? "0" : "1");
      dutyButton.disabled = true;
      post(config.dutyUrl, data).then(function (body) {
        renderDuty(body.on_duty);
        staffing = {};
        (body.staffing || []).forEach(function (w) { staffing[w.office] = w.message; });
        renderStaffing();
      }).catch(function (err) { window.alert(err.message); })
        .then(function () { dutyButton.disabled = false; });
    });
  }

  function showDeadline(event) {
    var box = document.getElementById("deadlines");
    if (!box) { return; }
    var old = box.querySelector('p[data-consultation="' + event.consultation + '"]');
    if (old) { box.removeChild(old); }
    var line = el("p", { "data-consultation": String(event.consultation), "data-level": event.level });
    line.appendChild(el("a", { href: "/console/" + event.consultation + "/", text: event.message }));
    box.insertBefore(line, box.firstChild);
    box.hidden = false;
  }

  function onCommonEvent(event) {
    if (event.type === "deadline.warning") {
      showDeadline(event);
      return true;
    }
    if (event.type === "staffing.coverage") {
      staffing[event.office] = event.message || "";
      renderStaffing();
      return true;
    }
    if (event.type === "staffing.warning") {
      staffing[event.office] = event.warning || "";
      renderStaffing();
      return true;
    }
    return false;
  }

  // --- the page: one socket, the list, one open conversation ------------------------------------------------
  var prefs = config.prefs || { muted: false, sendKey: "enter" };
  var me = config.user ? Number(config.user.id) : 0;
  var myOffices = (config.offices || []).map(function (o) { return o.code; });
  var rows = {};         // id -> row (server data, plus live unread counts)
  var order = [];        // ids in list order
  var openId = config.open ? Number(config.open) : null;
  var conv = null;       // the open conversation's controller
  var drafts = {};       // id -> {files: [File]}; the text lives in sessionStorage too (survives a reload)
  var listNode = document.getElementById("rows");
  var emptyNode = document.getElementById("empty");
  var paneConv = document.getElementById("pane-conv");
  var baseTitle = (T.title || "Konsol petugas") + " · PST Desk";
  var stats = { notifications: 0, sounds: 0 };

  var CHANNEL_ICONS = { whatsapp: "WA", email: "@", livechat_website: "LC", livechat_pfa: "PFA" };

  function pageVisible() { return !document.hidden; }

  function unreadShown(r) {
    if (Number(r.id) === openId && pageVisible()) { return 0; }  // on screen: read as it arrives
    return Number(r.unread || 0);
  }

  function updateTitle() {
    var total = 0;
    order.forEach(function (id) { total += unreadShown(rows[id]); });
    var title = (openId ? "PST#" + openId + " · " : "") + baseTitle;
    document.title = (total ? "(" + total + ") " : "") + title;
    return total;
  }

  function rowNode(r) {
    var unread = unreadShown(r);
    var waiting = r.waiting_since ? fill(T.waiting, { time: span(Date.now() - new Date(r.waiting_since).getTime()) }) : "";
    var preview = r.preview ? (r.preview_direction === "out" ? "↩ " : "") + r.preview : "—";
    var link = el("a", { className: "conv-link", href: r.url, "data-open": r.id }, [
      el("span", { className: "line1" }, [
        el("span", { className: "channel", "data-channel": r.channel, title: r.channel_label,
          text: CHANNEL_ICONS[r.channel] || r.channel.slice(0, 2).toUpperCase() }),
        el("span", { className: "name", text: r.visitor_name || ("PST#" + r.id) }),
        el("span", { className: "unread", "data-unread": String(unread), text: unread ? String(unread) : "",
          "aria-label": unread ? fill(T.unreadCount, { n: unread }) : null })
      ]),
      el("span", { className: "preview", text: preview }),
      el("span", { className: "line3" }, [
        el("span", { className: "sla", "data-level": r.sla_level, title: r.sla_due || "", text: r.sla_text }),
        waiting ? el("span", { className: "waiting", text: waiting }) : null,
        el("span", { className: "assigned", text: r.assigned_name || T.unassigned })
      ])
    ]);
    return el("li", { "data-id": r.id, "data-status": r.status, "data-sla": r.sla_level,
      "aria-current": Number(r.id) === openId ? "true" : null }, [link]);
  }

  function renderList() {
    while (listNode.firstChild) { listNode.removeChild(listNode.firstChild); }
    order.forEach(function (id) { listNode.appendChild(rowNode(rows[id])); });
    emptyNode.hidden = order.length > 0;
    updateTitle();
  }

  function renderRow(id) {
    var old = listNode.querySelector('li[data-id="' + id + '"]');
    if (old && rows[id]) { listNode.replaceChild(rowNode(rows[id]), old); }
    updateTitle();
  }

  function setRows(list, counts) {
    rows = {};
    order = [];
    list.forEach(function (r) { rows[r.id] = r; order.push(Number(r.id)); });
    renderList();
    Object.keys(counts || {}).forEach(function (queue) {
      var node = document.querySelector('[data-count="' + queue + '"]');
      if (node) { node.textContent = "(" + counts[queue] + ")"; }
    });
  }

  var refreshTimer = null;
  function refreshList() {
    var params = new URLSearchParams(config.filters);
    return getJSON(config.rowsUrl + "?" + params.toString()).then(function (body) {
      setRows(body.rows, body.counts);
    }).catch(function () { /* the next event or reconnect refreshes again */ });
  }
  function scheduleRefresh() {
    if (refreshTimer) { return; }
    refreshTimer = window.setTimeout(function () { refreshTimer = null; refreshList(); }, 250);
  }

  // Filters and order change the list in place; the address keeps them (a reload shows the same list).
  var filtersForm = document.getElementById("filters");
  function applyFilters(changes) {
    Object.keys(changes).forEach(function (k) { config.filters[k] = changes[k]; });
    var params = new URLSearchParams(config.filters);
    var path = openId ? "/console/" + openId + "/" : "/console/";
    window.history.replaceState(window.history.state, "", path + "?" + params.toString());
    Array.prototype.forEach.call(document.querySelectorAll(".queues a"), function (a) {
      a.setAttribute("aria-current", a.getAttribute("data-queue") === config.filters.queue ? "page" : "false");
    });
    refreshList();
  }
  if (filtersForm) {
    filtersForm.addEventListener("change", function (ev) {
      var change = {};
      change[ev.target.name] = ev.target.value;
      applyFilters(change);
    });
    filtersForm.addEventListener("submit", function (ev) { ev.preventDefault(); });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".queues a"), function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      applyFilters({ queue: a.getAttribute("data-queue") });
    });
  });

  // --- attention: sound and desktop notification ------------------------------------------------------------
  var audio = null;
  function beep() {
    stats.sounds += 1;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
    } catch (err) { /* no audio device: the notification still shows */ }
  }

  var lastNotified = {};
  function notify(id, title, body) {
    if (prefs.muted) { return; }
    if (Number(id) === openId && pageVisible() && document.hasFocus()) { return; }  // it is on screen
    var now = Date.now();
    if (now - (lastNotified[id] || 0) < 2000) { return; }  // a new consultation and its first message: once
    lastNotified[id] = now;
    beep();
    if (!("Notification" in window) || window.Notification.permission !== "granted") { return; }
    try {
      var note = new window.Notification(title, { body: body || "", tag: "pst-" + id });
      stats.notifications += 1;
      note.onclick = function () { window.focus(); openConversation(Number(id), true); };
    } catch (err) { /* some browsers allow notifications only from a service worker */ }
  }

  function concernsMe(row) {
    if (!row) { return false; }
    var assigned = row.assigned_to ? Number(row.assigned_to.id) : null;
    return assigned === me || (assigned === null && myOffices.indexOf(String(row.office)) !== -1);
  }

  var notifyButton = document.getElementById("notify-permission");
  function renderNotifyButton() {
    if (!notifyButton) { return; }
    var supported = "Notification" in window;
    notifyButton.hidden = !supported || window.Notification.permission === "granted";
    if (supported && window.Notification.permission === "denied") {
      notifyButton.textContent = T.notifyDenied;
      notifyButton.disabled = true;
    }
  }
  if (notifyButton) {
    notifyButton.addEventListener("click", function () {  // asked once, from the officer's own click
      window.Notification.requestPermission().then(renderNotifyButton);
    });
    renderNotifyButton();
  }

  var muteButton = document.getElementById("mute-toggle");
  function savePrefs(data) {
    return post(config.prefsUrl, data).then(function (body) { prefs = body.prefs; renderPrefs(); })
      .catch(function (err) { window.alert(err.message); });
  }
  function renderPrefs() {
    if (muteButton) {
      muteButton.setAttribute("aria-pressed", prefs.muted ? "true" : "false");
      muteButton.textContent = prefs.muted ? T.muted : T.unmuted;
    }
    var hint = document.getElementById("send-hint");
    if (hint) { hint.textContent = prefs.sendKey === "ctrl_enter" ? "Ctrl+Enter ↵" : "Enter ↵ · Shift+Enter ¶"; }
    var select = document.getElementById("send-key");
    if (select) { select.value = prefs.sendKey; }
  }
  if (muteButton) {
    muteButton.addEventListener("click", function () {
      var data = new FormData();
      data.append("muted", prefs.muted ? "0" : "1");
      savePrefs(data);
    });
  }
  var sendKeySelect = document.getElementById("send-key");
  if (sendKeySelect) {
    sendKeySelect.addEventListener("change", function () {
      var data = new FormData();
      data.append("send_key", sendKeySelect.value);
      savePrefs(data);
    });
  }

  // --- confirmation dialog -----------------------------------------------------------------------------------
  function confirmAction(text) {
    var dialog = document.getElementById("confirm");
    if (!dialog || !dialog.showModal) { return Promise.resolve(window.confirm(text)); }
    document.getElementById("confirm-text").textContent = text;
    return new Promise(function (resolve) {
      function done(answer) {
        yes.removeEventListener("click", onYes);
        no.removeEventListener("click", onNo);
        dialog.removeEventListener("cancel", onNo);
        dialog.close();
        resolve(answer);
      }
      function onYes() { done(true); }
      function onNo() { done(false); }
      var yes = document.getElementById("confirm-yes");
      var no = document.getElementById("confirm-no");
      yes.addEventListener("click", onYes);
      no.addEventListener("click", onNo);
      dialog.addEventListener("cancel", onNo);
      dialog.showModal();
      yes.focus();
    });
  }

  // --- drafts ------------------------------------------------------------------------------------------------
  function draftKey(id) { return "pst.draft." + id; }
  function saveDraftText(id, text) {
    try {
      if (text) { window.sessionStorage.setItem(draftKey(id), text); }
      else { window.sessionStorage.removeItem(draftKey(id)); }
    } catch (err) { /* storage full or disabled: the draft lives in memory only */ }
    drafts[id] = drafts[id] || { files: [], text: "" };
    drafts[id].text = text;
  }
  function draftText(id) {
    var stored = null;
    try { stored = window.sessionStorage.getItem(draftKey(id)); } catch (err) { stored = null; }
    return stored !== null ? stored : ((drafts[id] && drafts[id].text) || "");
  }
  function draftFiles(id) {
    drafts[id] = drafts[id] || { files: [], text: "" };
    return drafts[id].files;
  }

  // --- one conversation --------------------------------------------------------------------------------------
  function Conversation(pane) {
    var id = Number(pane.consultation);
    var transcript = document.getElementById("transcript");
    var errorBox = document.getElementById("action-error");
    var typingNode = document.getElementById("typing");
    var replyForm = document.getElementById("reply-form");
    var replyBody = document.getElementById("reply-body");
    var previews = document.getElementById("file-previews");
    var cannedMenu = document.getElementById("canned-menu");
    var bySeq = {};
    var cursor = 0;
    var state = pane.state;
    var typingTimer = null;
    var lastTypingSent = 0;
    var highestInbound = 0;
    var readUpTo = 0;
    var readTimer = null;
    var alive = true;
    var files = draftFiles(id);

    function deliveryNode(m) {
      if (m.direction !== "out" || m.kind === "note" || !m.delivery_status) { return null; }
      var label = T[m.delivery_status] || m.delivery_status;
      var node = el("span", { className: "delivery", "data-status": m.delivery_status, text: label });
      if (m.delivery_status === "failed") {
        node.textContent = T.failed + (m.delivery_error ? ": " + m.delivery_error : "");
      }
      return node;
    }

    function messageNode(m) {
      var side = m.kind === "note" ? "note" : (m.direction === "in" ? "in" : "out");
      var who = m.kind === "note" ? T.note + (m.author ? " · " + m.author : "")
        : (m.direction === "in" ? T.visitor : (m.author || "PST") + (m.is_automatic ? " · " + T.automatic : ""));
      var attachments = (m.attachments || []).map(function (a) {
        return el("li", {}, [el("a", { href: a.url, text: a.filename, rel: "noopener" })]);
      });
      return el("li", { className: "msg msg-" + side, id: "m" + m.seq, "data-seq": m.seq, "data-kind": m.kind }, [
        el("div", { className: "meta" }, [
          el("span", { className: "who", text: who }),
          " ",
          el("time", { datetime: m.created_at, text: formatTime(m.created_at, state.timezone) }),
          " ",
          deliveryNode(m)
        ]),
        m.body ? el("div", { className: "body", text: m.body }) : null,
        attachments.length ? el("ul", { className: "attachments" }, attachments) : null
      ]);
    }

    function upsert(m) {
      if (!alive || !m || Number(m.consultation) !== id) { return; }
      var node = messageNode(m);
      var existing = bySeq[m.seq];
      var atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
      if (existing) {
        transcript.replaceChild(node, existing);
      } else {
        var next = null;
        Object.keys(bySeq).forEach(function (key) {
          var seq = Number(key);
          if (seq > m.seq && (!next || seq < Number(next.getAttribute("data-seq")))) { next = bySeq[key]; }
        });
        transcript.insertBefore(node, next);
      }
      bySeq[m.seq] = node;
      while (bySeq[cursor + 1]) { cursor += 1; }
      if (!existing && atBottom) { transcript.scrollTop = transcript.scrollHeight; }
      if (m.direction === "in" && m.kind !== "note") {
        highestInbound = Math.max(highestInbound, Number(m.seq));
        markRead();
      }
    }

    // The conversation on screen while the page is visible is read: the office's read receipts and this
    // officer's read cursor (one POST; a GET never marks anything).
    function markRead() {
      if (!alive || document.hidden || highestInbound <= readUpTo) { return; }
      window.clearTimeout(readTimer);
      readTimer = window.setTimeout(function () {
        var upTo = highestInbound;
        var data = new FormData();
        data.append("up_to", String(upTo));
        post(pane.actionUrl + "read/", data).then(function () {
          readUpTo = Math.max(readUpTo, upTo);
          if (rows[id]) { rows[id].unread = 0; renderRow(id); }
        }).catch(function () { /* the next message or visibility change retries */ });
      }, 150);
    }

    function resubscribe() {
      socket.send({ type: "subscribe", consultation: id, after: cursor });
    }

    function showError(message) {
      errorBox.textContent = message || "";
      errorBox.hidden = !message;
    }

    function applyState(next) {
      if (!alive || !next || Number(next.id) !== id) { return; }
      state = next;
      document.getElementById("state-status").textContent = next.status_label;
      document.getElementById("state-channel").textContent = next.channel_label;
      document.getElementById("state-assigned").textContent = next.assigned_name || T.unassigned;
      document.getElementById("state-topic").textContent =
        (next.topic_label || "—") + (next.subject ? " · " + next.subject : "");
      var sla = document.getElementById("state-sla");
      sla.textContent = next.sla_text || "";
      sla.setAttribute("data-level", next.sla_level || "none");
      document.getElementById("state-due").textContent = next.sla_due || "";
      var windowNode = document.getElementById("state-window");
      if (windowNode) {
        windowNode.setAttribute("data-due", next.whatsapp_window_closes_at || "");
        renderCountdown(windowNode);
      }
      var rating = document.getElementById("state-rating");
      if (next.rated_at && rating.getAttribute("data-rated") !== "true") { refreshRating(); }
      rating.textContent = next.rated_at ? T.rated : (next.rating_requested_at ? T.ratingRequested : "—");
      rating.setAttribute("data-rated", next.rated_at ? "true" : "false");
      var allowed = next.allowed || [];
      document.getElementById("consultation").setAttribute("data-status", next.status);
      Array.prototype.forEach.call(paneConv.querySelectorAll("[data-requires]"), function (node) {
        var show = allowed.indexOf(node.getAttribute("data-requires")) !== -1;
        var when = node.getAttribute("data-when");
        if (when === "unassigned" && next.assigned_to) { show = false; }
        if (when === "not-clear" && next.request_clear_at) { show = false; }
        if (when === "unasked" && (next.request_clear_at || next.clarification_asked_at)) { show = false; }
        node.hidden = !show;
      });
      if (rows[id]) {  // keep the list's row in step without waiting for its refresh
        ["status", "status_label", "assigned_to", "assigned_name", "sla_text", "sla_level", "sla_due"].forEach(
          function (k) { rows[id][k] = next[k]; });
        renderRow(id);
      }
    }

    // The rating panel (score, feedback, integrity answers as this officer may see them) is rendered by the
    // server: once the visitor rates, the pane is read again and only its rating slot is swapped in.
    function refreshRating() {
      fetch("/console/" + id + "/pane/", { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(T.error); }
          return response.text();
        }).then(function (html) {
          var slot = document.getElementById("rating-slot");
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("rating-slot");
          if (alive && slot && fresh) { slot.innerHTML = fresh.innerHTML; }  // our own escaped template
        }).catch(function () { /* the next state change or reconnect retries */ });
    }

    function refreshState() {
      getJSON(pane.actionUrl + "state/").then(function (body) { applyState(body.state); })
        .catch(function () { /* next event or reconnect */ });
    }

    function showTyping(event) {
      if (event.user && config.user && event.user.id === config.user.id) { return; }
      typingNode.textContent = event.side === "staff"
        ? fill(T.typingStaff, { name: (event.user && event.user.name) || "" }) : T.typingVisitor;
      typingNode.hidden = false;
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { typingNode.hidden = true; }, 4000);
    }

    function onEvent(event) {
      if (event.type === "typing") { showTyping(event); return; }
      if (event.type === "message.created" || event.type === "message.updated") {
        var seq = Number(event.seq || (event.message && event.message.seq));
        if (event.type === "message.created" && seq > cursor + 1) {
          resubscribe();  // a gap: something was dropped on the way; the replay fills it
        }
        upsert(event.message);
        if (event.type === "message.created" && event.message && event.message.direction === "in") {
          typingNode.hidden = true;
        }
        return;
      }
      if (/^consultation\./.test(event.type)) { refreshState(); }
    }

    function onReplay(data) {
      (data.messages || []).forEach(upsert);
      if (data.state) { applyState(data.state); }
    }

    // --- verbs ---
    function submitVerb(verb, data, form) {
      showError("");
      var controls = form ? form.querySelectorAll("button, textarea, input, select") : [];
      Array.prototype.forEach.call(controls, function (c) { c.disabled = true; });
      return post(pane.actionUrl + verb + "/", data).then(function (body) {
        if (body.message) { upsert(body.message); }
        applyState(body.state);
        if (form && (verb === "note" || verb === "clarify")) { form.reset(); }
        return body;
      }).catch(function (err) {
        showError(err.message);
        throw err;
      }).then(function (body) {
        Array.prototype.forEach.call(controls, function (c) { c.disabled = false; });
        return body;
      }, function (err) {
        Array.prototype.forEach.call(controls, function (c) { c.disabled = false; });
        throw err;
      });
    }

    function sendReply(answer) {
      var text = replyBody.value;
      if (!text.trim() && !files.length) { replyBody.focus(); return Promise.resolve(null); }
      var data = new FormData();
      data.append("body", text);
      files.forEach(function (f) { data.append("files", f, f.name); });
      if (answer) { data.append("answer", "1"); }
      return submitVerb("reply", data, replyForm).then(function (body) {
        replyBody.value = "";
        files.length = 0;
        renderFiles();
        saveDraftText(id, "");
        replyBody.focus();
        return body;
      }).catch(function () { replyBody.focus(); });  // the text and files stay for another try
    }

    Array.prototype.forEach.call(paneConv.querySelectorAll("form[data-verb]"), function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (form === replyForm) { sendReply(false); return; }
        submitVerb(form.getAttribute("data-verb"), new FormData(form), form).catch(function () {});
      });
    });
    document.getElementById("send-answer").addEventListener("click", function () { sendReply(true); });
    Array.prototype.forEach.call(paneConv.querySelectorAll("#verbs button[data-verb]"), function (button) {
      button.addEventListener("click", function () {
        var data = new FormData();
        var extra = button.getAttribute("data-extra");
        if (extra) { data.append(extra, "1"); }
        var ask = button.getAttribute("data-confirm");
        var go = ask ? confirmAction(fill(ask === "reopen" ? T.confirmReopen : T.confirmClose, { id: id }))
          : Promise.resolve(true);
        go.then(function (ok) {
          if (ok) { submitVerb(button.getAttribute("data-verb"), data, null).catch(function () {}); }
        });
      });
    });
    Array.prototype.forEach.call(paneConv.querySelectorAll("#earlier a[data-open]"), function (a) {
      a.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
        ev.preventDefault();
        openConversation(Number(a.getAttribute("data-open")), true);
      });
    });

    // --- files: choose, paste or drop; previewed before sending ---
    function renderFiles() {
      while (previews.firstChild) { previews.removeChild(previews.firstChild); }
      files.forEach(function (f, index) {
        var thumb = /^image\//.test(f.type) ? el("img", { src: URL.createObjectURL(f), alt: "" }) : null;
        var remove = el("button", { type: "button", className: "remove", text: "×", "aria-label": T.remove + " " + f.name });
        remove.addEventListener("click", function () { files.splice(index, 1); renderFiles(); });
        previews.appendChild(el("li", { className: "file-preview", "data-name": f.name }, [
          thumb, el("span", { text: f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)" }), remove
        ]));
      });
    }
    function addFiles(list) {
      Array.prototype.forEach.call(list || [], function (f) { files.push(f); });
      renderFiles();
    }
    var fileInput = document.getElementById("reply-files");
    fileInput.addEventListener("change", function () { addFiles(fileInput.files); fileInput.value = ""; });
    replyBody.addEventListener("paste", function (ev) {
      var pasted = ev.clipboardData && ev.clipboardData.files;
      if (pasted && pasted.length) { ev.preventDefault(); addFiles(pasted); }
    });
    var composer = document.getElementById("composer");
    composer.addEventListener("dragover", function (ev) { ev.preventDefault(); composer.classList.add("drop"); });
    composer.addEventListener("dragleave", function () { composer.classList.remove("drop"); });
    composer.addEventListener("drop", function (ev) {
      ev.preventDefault();
      composer.classList.remove("drop");
      addFiles(ev.dataTransfer && ev.dataTransfer.files);
    });

    // --- canned replies: "/" at the start of a line opens the list, typing filters it ---
    var cannedChoices = [];
    var cannedIndex = 0;
    function cannedQuery() {
      var before = replyBody.value.slice(0, replyBody.selectionStart);
      var match = /(^|\n)\/([^\n]*)$/.exec(before);
      return match ? match[2] : null;
    }
    function closeCanned() { cannedMenu.hidden = true; cannedChoices = []; }
    function renderCanned() {
      var query = cannedQuery();
      if (query === null) { closeCanned(); return; }
      var q = query.toLowerCase();
      cannedChoices = (pane.canned || []).filter(function (c) {
        return !q || c.title.toLowerCase().indexOf(q) !== -1 || c.body.toLowerCase().indexOf(q) !== -1;
      }).slice(0, 8);
      cannedIndex = Math.min(cannedIndex, Math.max(0, cannedChoices.length - 1));
      while (cannedMenu.firstChild) { cannedMenu.removeChild(cannedMenu.firstChild); }
      if (!cannedChoices.length) {
        cannedMenu.appendChild(el("li", { className: "muted", text: T.noCanned }));
      }
      cannedChoices.forEach(function (c, index) {
        var item = el("li", { role: "option", "data-id": c.id, "aria-selected": index === cannedIndex ? "true" : "false" }, [
          el("strong", { text: c.title }), " ", el("span", { className: "muted", text: c.body.slice(0, 80) })
        ]);
        item.addEventListener("mousedown", function (ev) { ev.preventDefault(); pickCanned(index); });
        cannedMenu.appendChild(item);
      });
      cannedMenu.hidden = false;
    }
    function pickCanned(index) {
      var chosen = cannedChoices[index];
      if (!chosen) { closeCanned(); return; }
      var caret = replyBody.selectionStart;
      var before = replyBody.value.slice(0, caret).replace(/(^|\n)\/[^\n]*$/, "$1");
      replyBody.value = before + chosen.body + replyBody.value.slice(caret);
      var at = before.length + chosen.body.length;
      replyBody.setSelectionRange(at, at);
      closeCanned();
      saveDraftText(id, replyBody.value);
    }

    replyBody.addEventListener("keydown", function (ev) {
      if (!cannedMenu.hidden && cannedChoices.length) {
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
          ev.preventDefault();
          cannedIndex = (cannedIndex + (ev.key === "ArrowDown" ? 1 : cannedChoices.length - 1)) % cannedChoices.length;
          renderCanned();
          return;
        }
        if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); pickCanned(cannedIndex); return; }
      }
      if (ev.key === "Escape" && !cannedMenu.hidden) { ev.preventDefault(); closeCanned(); return; }
      if (ev.key !== "Enter" || ev.isComposing) { return; }
      var ctrl = ev.ctrlKey || ev.metaKey;
      if (ctrl || (prefs.sendKey !== "ctrl_enter" && !ev.shiftKey && !ev.altKey)) {
        ev.preventDefault();
        sendReply(false);
      }
    });
    replyBody.addEventListener("input", function () {
      cannedIndex = 0;
      renderCanned();
      saveDraftText(id, replyBody.value);
      var now = Date.now();
      if (now - lastTypingSent > 2000) {
        lastTypingSent = now;
        socket.send({ type: "typing", consultation: id });
      }
    });
    replyBody.addEventListener("blur", function () { window.setTimeout(closeCanned, 150); });

    // start: the draft, the messages the page came with, then the live subscription from their cursor
    replyBody.value = draftText(id);
    renderFiles();
    (pane.messages || []).forEach(upsert);
    applyState(state);
    renderPrefs();
    if (window.location.hash && /^#m\d+$/.test(window.location.hash)) {
      var target = document.getElementById(window.location.hash.slice(1));
      if (target) { target.classList.add("found"); target.scrollIntoView({ block: "center" }); }
    } else {
      transcript.scrollTop = transcript.scrollHeight;
    }
    resubscribe();

    return {
      id: id,
      onEvent: onEvent,
      onReplay: onReplay,
      resubscribe: resubscribe,
      showError: showError,
      markRead: markRead,
      cursor: function () { return cursor; },
      seqs: function () { return Object.keys(bySeq).map(Number).sort(function (a, b) { return a - b; }); },
      claim: function () {
        var button = paneConv.querySelector('#verbs button[data-verb="claim"]');
        if (button && !button.hidden) { button.click(); }
      },
      focusReply: function () { replyBody.focus(); },
      destroy: function () {
        alive = false;
        saveDraftText(id, replyBody.value);
        window.clearTimeout(readTimer);
        socket.send({ type: "unsubscribe", consultation: id });
      }
    };
  }

  function mountPane() {
    var node = document.getElementById("pane-config");
    conv = node ? Conversation(JSON.parse(node.textContent)) : null;
    openId = conv ? conv.id : null;
    Array.prototype.forEach.call(listNode.querySelectorAll("li[data-id]"), function (li) {
      if (Number(li.getAttribute("data-id")) === openId) { li.setAttribute("aria-current", "true"); }
      else { li.removeAttribute("aria-current"); }
    });
    updateTitle();
  }

  // Scripts inserted with innerHTML never run: the side-panel tools (KBLI, BPS data, library) bring their own
  // script, which binds to its panel's elements, so each is re-created to run again for the new pane.
  function runPaneScripts() {
    Array.prototype.forEach.call(paneConv.querySelectorAll("script[src]"), function (old) {
      var script = document.createElement("script");
      script.src = old.src;
      old.parentNode.replaceChild(script, old);
    });
  }

  var loading = 0;
  function openConversation(id, push, hash) {
    if (!id) { return Promise.resolve(); }
    if (id === openId && conv && !hash) { conv.focusReply(); return Promise.resolve(); }  // already open
    var ticket = ++loading;
    paneConv.setAttribute("aria-busy", "true");
    return fetch("/console/" + id + "/pane/", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(T.error); }
        return response.text();
      }).then(function (html) {
        if (ticket !== loading) { return; }  // a later switch won
        if (conv) { conv.destroy(); }
        if (push) {
          var path = "/console/" + id + "/" + window.location.search + (hash || "");
          window.history.pushState({ open: id }, "", path);
        }
        paneConv.innerHTML = html;  // our own template, escaped by Django; data inside it is text
        runPaneScripts();
        mountPane();
      }).catch(function (err) {
        window.alert(err.message);
      }).then(function () { paneConv.removeAttribute("aria-busy"); });
  }

  function move(step) {
    if (!order.length) { return; }
    var index = order.indexOf(openId);
    var next = index === -1 ? (step > 0 ? 0 : order.length - 1) : index + step;
    if (next < 0 || next >= order.length) { return; }
    openConversation(order[next], true).then(function () {
      var li = listNode.querySelector('li[data-id="' + order[next] + '"]');
      if (li && li.scrollIntoView) { li.scrollIntoView({ block: "nearest" }); }
    });
  }

  listNode.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a[data-open]") : null;
    if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) { return; }
    ev.preventDefault();
    openConversation(Number(link.getAttribute("data-open")), true);
  });
  window.addEventListener("popstate", function () {
    var match = /^\/console\/(\d+)\//.exec(window.location.pathname);
    if (match) { openConversation(Number(match[1]), false); }
  });

  // --- search ------------------------------------------------------------------------------------------------
  var searchInput = document.getElementById("search-q");
  var searchBox = document.getElementById("search-results");
  var searchHits = document.getElementById("search-hits");
  var searchTimer = null;
  var KIND_LABELS = { visitor: T.kindVisitor, number: T.kindNumber, message: T.kindMessage, note: T.kindNote };
  function runSearch() {
    var q = searchInput.value.trim();
    if (!q) { searchBox.hidden = true; return; }
    getJSON(config.searchUrl + "?q=" + encodeURIComponent(q)).then(function (body) {
      if (searchInput.value.trim() !== q) { return; }
      while (searchHits.firstChild) { searchHits.removeChild(searchHits.firstChild); }
      if (!body.results.length) { searchHits.appendChild(el("li", { className: "muted", text: T.noResults })); }
      body.results.forEach(function (hit) {
        var link = el("a", { href: hit.url, "data-open": hit.consultation, "data-seq": hit.seq || "" }, [
          el("strong", { text: "PST#" + hit.consultation + " · " + hit.visitor_name }),
          " ",
          el("span", { className: "kind", text: KIND_LABELS[hit.kind] || hit.kind }),
          el("span", { className: "snippet", text: hit.text })
        ]);
        link.addEventListener("click", function (ev) {
          if (ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
          ev.preventDefault();
          openConversation(hit.consultation, true, hit.seq ? "#m" + hit.seq : "");
        });
        searchHits.appendChild(el("li", { "data-consultation": hit.consultation, "data-kind": hit.kind }, [link]));
      });
      searchBox.hidden = false;
    }).catch(function () { /* typing again retries */ });
  }
  if (searchInput) {
    searchInput.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(runSearch, 250);
    });
    document.getElementById("search").addEventListener("submit", function (ev) { ev.preventDefault(); runSearch(); });
    searchInput.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { searchInput.value = ""; searchBox.hidden = true; searchInput.blur(); }
    });
  }

  // --- keyboard shortcuts (listed on "?") --------------------------------------------------------------------
  var shortcuts = document.getElementById("shortcuts");
  var shortcutsOpen = document.getElementById("shortcuts-open");
  if (shortcutsOpen) { shortcutsOpen.addEventListener("click", function () { shortcuts.showModal(); }); }
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
      ev.preventDefault();
      move(ev.key === "ArrowDown" ? 1 : -1);
      return;
    }
    var t = ev.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) { return; }
    var key = ev.key;
    if (key === "j") { move(1); }
    else if (key === "k") { move(-1); }
    else if (key === "c" && conv) { conv.claim(); }
    else if (key === "r" && conv) { conv.focusReply(); }
    else if (key === "s" && searchInput) { searchInput.focus(); }
    else if (key === "?") { shortcuts.showModal(); }
    else { return; }
    ev.preventDefault();
  });

  // --- events ------------------------------------------------------------------------------------------------
  function withRow(id, then) {
    if (rows[id]) { then(rows[id]); return; }
    getJSON("/console/" + id + "/state/").then(function (body) { then(body.state); }).catch(function () {});
  }

  function onEvent(event) {
    if (onCommonEvent(event)) { return; }
    var id = Number(event.consultation);
    if (conv && id === conv.id) { conv.onEvent(event); }
    if (event.type === "message.created" && event.message) {
      var m = event.message;
      if (m.direction === "in" && m.kind !== "note") {
        var onScreen = id === openId && pageVisible();
        if (rows[id] && !onScreen) { rows[id].unread = Number(rows[id].unread || 0) + 1; }
        if (rows[id]) { rows[id].preview = m.body; rows[id].preview_direction = "in"; renderRow(id); }
        withRow(id, function (row) {
          if (concernsMe(row)) { notify(id, fill(T.newMessage, { name: row.visitor_name || "PST#" + id }), m.body); }
        });
      }
      scheduleRefresh();
      return;
    }
    if (event.type === "consultation.created" && event.data) {
      var data = event.data;
      var row = { assigned_to: data.assigned_to, office: data.office };
      if (concernsMe(row)) {
        notify(id, fill(T.newConsultation, { name: (data.visitor && data.visitor.name) || "PST#" + id }), "");
      }
    }
    if (/^(consultation|message|console)\./.test(event.type)) { scheduleRefresh(); }
  }

  var socket = new Socket(config.wsPath, {
    open: function () {
      refreshList();  // whatever happened to the list while disconnected
      if (conv) { conv.resubscribe(); }  // the open conversation replays from its cursor
    },
    frame: function (data) {
      if (data.type === "replay") {
        if (conv && Number(data.consultation) === conv.id) { conv.onReplay(data); }
      } else if (data.type === "event") {
        onEvent(data.event);
      } else if (data.type === "error" && data.code === "not_found") {
        if (conv) { conv.showError(data.message); }
      }
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (conv) { conv.markRead(); }
    updateTitle();
  });

  window.pstConsole = {
    socket: socket,
    refresh: refreshList,
    open: function (id) { return openConversation(Number(id), true); },
    openId: function () { return openId; },
    cursor: function () { return conv ? conv.cursor() : 0; },
    seqs: function () { return conv ? conv.seqs() : []; },
    unread: function () { return updateTitle(); },
    stats: stats
  };

  renderStaffing();
  setRows(config.rows || [], config.counts);
  renderPrefs();
  mountPane();
  window.setInterval(function () { tickCountdowns(); renderList(); }, 60000);
  window.setInterval(refreshList, 300000);  // the SLA words move with the working day
})();
