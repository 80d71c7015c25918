/* PST Desk officer console: queues and one consultation, live over ws/console/.
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

  // --- the queues -------------------------------------------------------------------------------------------
  function initInbox() {
    var tbody = document.getElementById("rows");
    var empty = document.getElementById("empty");
    var refreshTimer = null;

    function row(r) {
      var sla = el("td", { className: "sla", "data-due": r.due_at || "" });
      renderCountdown(sla);
      return el("tr", { "data-id": r.id, "data-status": r.status }, [
        el("td", {}, [el("a", { href: r.url, text: r.visitor_name || ("PST#" + r.id) })]),
        el("td", { text: r.channel_label }),
        el("td", { text: r.status_label }),
        el("td", { text: r.topic_label || "—" }),
        el("td", { className: "assigned", text: r.assigned_name || T.unassigned }),
        sla,
        el("td", { text: formatTime(r.last_message_at, r.timezone) })
      ]);
    }

    function render(rows, counts) {
      while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
      rows.forEach(function (r) { tbody.appendChild(row(r)); });
      empty.hidden = rows.length > 0;
      Object.keys(counts || {}).forEach(function (queue) {
        var node = document.querySelector('[data-count="' + queue + '"]');
        if (node) { node.textContent = "(" + counts[queue] + ")"; }
      });
    }

    function refresh() {
      var params = new URLSearchParams(config.filters);
      getJSON(config.rowsUrl + "?" + params.toString()).then(function (body) {
        render(body.rows, body.counts);
      }).catch(function () { /* the next event or reconnect refreshes again */ });
    }

    function scheduleRefresh() {
      if (refreshTimer) { return; }
      refreshTimer = window.setTimeout(function () { refreshTimer = null; refresh(); }, 200);
    }

    render(config.rows, config.counts);
    var socket = new Socket(config.wsPath, {
      open: function () { refresh(); },  // whatever happened while disconnected
      frame: function (data) {
        if (data.type !== "event") { return; }
        var event = data.event;
        if (onCommonEvent(event)) { return; }
        if (/^(consultation|message)\./.test(event.type)) { scheduleRefresh(); }
      }
    });
    window.pstConsole = { socket: socket, refresh: refresh };
  }

  // --- one consultation -------------------------------------------------------------------------------------
  function initConsultation() {
    var id = config.consultation;
    var transcript = document.getElementById("transcript");
    var errorBox = document.getElementById("action-error");
    var typingNode = document.getElementById("typing");
    var bySeq = {};      // seq -> <li>
    var cursor = 0;      // every seq <= cursor is shown
    var state = config.state;
    var typingTimer = null;
    var lastTypingSent = 0;

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
      return el("li", { className: "msg msg-" + side, "data-seq": m.seq, "data-kind": m.kind }, [
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

    // Insert or replace one message, in seq order.
    function upsert(m) {
      if (!m || Number(m.consultation) !== Number(id)) { return; }
      var node = messageNode(m);
      var existing = bySeq[m.seq];
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
      if (m.direction === "in" && m.kind !== "note") {
        highestInbound = Math.max(highestInbound, Number(m.seq));
        markRead();
      }
    }

    // Read receipts: the visitor's messages on screen while the page is visible are read by the office.
    var highestInbound = 0;
    var readUpTo = 0;
    var readTimer = null;
    function markRead() {
      if (document.hidden || highestInbound <= readUpTo) { return; }
      window.clearTimeout(readTimer);
      readTimer = window.setTimeout(function () {
        var upTo = highestInbound;
        var data = new FormData();
        data.append("up_to", String(upTo));
        post(config.actionUrl + "read/", data).then(function () {
          readUpTo = Math.max(readUpTo, upTo);
        }).catch(function () { /* the next message or visibility change retries */ });
      }, 300);
    }
    document.addEventListener("visibilitychange", markRead);

    function resubscribe() {
      socket.send({ type: "subscribe", consultation: id, after: cursor });
    }

    function showError(message) {
      errorBox.textContent = message || "";
      errorBox.hidden = !message;
    }

    function applyState(next) {
      if (!next || Number(next.id) !== Number(id)) { return; }
      state = next;
      document.getElementById("state-status").textContent = next.status_label;
      document.getElementById("state-channel").textContent = next.channel_label;
      document.getElementById("state-assigned").textContent = next.assigned_name || T.unassigned;
      document.getElementById("state-topic").textContent =
        (next.topic_label || "—") + (next.subject ? " · " + next.subject : "");
      var sla = document.getElementById("state-sla");
      sla.setAttribute("data-due", next.due_at || "");
      renderCountdown(sla);
      var windowNode = document.getElementById("state-window");
      if (windowNode) {
        windowNode.setAttribute("data-due", next.whatsapp_window_closes_at || "");
        renderCountdown(windowNode);
      }
      var rating = document.getElementById("state-rating");
      rating.textContent = next.rated_at ? T.rated : (next.rating_requested_at ? T.ratingRequested : "—");
      rating.setAttribute("data-rated", next.rated_at ? "true" : "false");
      var allowed = next.allowed || [];
      document.getElementById("consultation").setAttribute("data-status", next.status);
      Array.prototype.forEach.call(document.querySelectorAll("[data-requires]"), function (node) {
        var show = allowed.indexOf(node.getAttribute("data-requires")) !== -1;
        var when = node.getAttribute("data-when");
        if (when === "unassigned" && next.assigned_to) { show = false; }
        if (when === "not-clear" && next.request_clear_at) { show = false; }
        if (when === "unasked" && (next.request_clear_at || next.clarification_asked_at)) { show = false; }
        node.hidden = !show;
      });
    }

    function refreshState() {
      getJSON(config.actionUrl + "state/").then(function (body) { applyState(body.state); })
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
      if (onCommonEvent(event)) { return; }
      if (Number(event.consultation) !== Number(id)) { return; }
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

    (config.messages || []).forEach(upsert);
    applyState(state);

    var socket = new Socket(config.wsPath, {
      open: resubscribe,
      frame: function (data) {
        if (data.type === "replay" && Number(data.consultation) === Number(id)) {
          (data.messages || []).forEach(upsert);
          if (data.state) { applyState(data.state); }
        } else if (data.type === "event") {
          onEvent(data.event);
        } else if (data.type === "error" && data.code === "not_found") {
          showError(data.message);
        }
      }
    });

    // Forms and buttons: one POST per verb; the answer carries the new state (and the new message).
    function submitVerb(verb, data, form) {
      showError("");
      var controls = form ? form.querySelectorAll("button, textarea, input, select") : [];
      Array.prototype.forEach.call(controls, function (c) { c.disabled = true; });
      return post(config.actionUrl + verb + "/", data).then(function (body) {
        if (body.message) { upsert(body.message); }
        applyState(body.state);
        if (form && (verb === "reply" || verb === "note" || verb === "clarify")) { form.reset(); }
      }).catch(function (err) {
        showError(err.message);
      }).then(function () {
        Array.prototype.forEach.call(controls, function (c) { c.disabled = false; });
      });
    }

    Array.prototype.forEach.call(document.querySelectorAll("form[data-verb]"), function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        submitVerb(form.getAttribute("data-verb"), new FormData(form), form);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("#verbs button[data-verb]"), function (button) {
      button.addEventListener("click", function () {
        var data = new FormData();
        var extra = button.getAttribute("data-extra");
        if (extra) { data.append(extra, "1"); }
        submitVerb(button.getAttribute("data-verb"), data, null);
      });
    });

    var canned = document.getElementById("canned");
    var replyBody = document.getElementById("reply-body");
    if (canned) {
      canned.addEventListener("change", function () {
        var chosen = (config.canned || []).filter(function (c) { return String(c.id) === canned.value; })[0];
        if (chosen) {
          replyBody.value = replyBody.value ? replyBody.value + "\n" + chosen.body : chosen.body;
          replyBody.focus();
        }
        canned.value = "";
      });
    }
    replyBody.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2000) {
        lastTypingSent = now;
        socket.send({ type: "typing", consultation: id });
      }
    });

    window.pstConsole = {
      socket: socket,
      cursor: function () { return cursor; },
      seqs: function () { return Object.keys(bySeq).map(Number).sort(function (a, b) { return a - b; }); }
    };
  }

  renderStaffing();
  if (config.page === "inbox") { initInbox(); }
  if (config.page === "consultation") { initConsultation(); }
  window.setInterval(tickCountdowns, 30000);
})();
