/* PST Desk chat: the widget frame and the PST From Anywhere page.
 *
 * Rules this file keeps:
 * - Text from the network is only ever put in the page with textContent (never innerHTML): a message
 *   "<script>…" is shown as those characters.
 * - Every message the visitor writes gets a client id (a UUID) before it leaves; it is kept in localStorage until
 *   the server acknowledges it, and resent with the same id after a reconnect or a reload. The server stores a
 *   client id once, so a resend never duplicates.
 * - Messages are placed by their server sequence number (seq); one element per seq. The socket replays every
 *   seq after the last one seen on each (re)connect, so a dropped connection loses nothing.
 */
(function () {
  "use strict";

  var root = document.getElementById("pstchat");
  if (!root) { return; }
  var config = JSON.parse(document.getElementById("pstchat-config").textContent);
  var T = JSON.parse(document.getElementById("pstchat-text").textContent);
  var KEY = "pstdesk:" + config.office + ":";
  var memory = {};

  var store = {
    get: function (name) {
      try { return JSON.parse(window.localStorage.getItem(KEY + name)); } catch (e) { return memory[name] || null; }
    },
    set: function (name, value) {
      memory[name] = value;
      try { window.localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
    },
    del: function (name) {
      delete memory[name];
      try { window.localStorage.removeItem(KEY + name); } catch (e) { /* private mode */ }
    }
  };

  function $(id) { return document.getElementById(id); }
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k] === undefined ? "" : String(values[k]); });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var token = store.get("token");
  var state = null;           // the last answer of api/state
  var visible = !!config.inline || window.parent === window;
  var views = root.querySelectorAll("[data-view]");

  // --- views ---------------------------------------------------------------------------------------------------

  function show(name) {
    var target = null;
    Array.prototype.forEach.call(views, function (view) {
      var on = view.getAttribute("data-view") === name;
      view.hidden = !on;
      if (on) { target = view; }
    });
    $("pc-forget").hidden = !token;
    if (target && visible && name !== "chat" && name !== "loading") {
      var heading = target.querySelector("h3");
      if (heading) { heading.focus(); }
    }
    if (name === "chat" && visible) { $("pc-input").focus(); }
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (p) {
      p.hidden = true; p.textContent = "";
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
  }

  function showErrors(form, answer) {
    clearErrors(form);
    var errors = answer.errors || {};
    var first = null;
    Object.keys(errors).forEach(function (field) {
      var slot = form.querySelector('[data-error-for="' + field + '"]');
      if (!slot) { slot = form.querySelector('[data-error-for="__all__"]'); }
      if (!slot) { return; }
      slot.textContent = (slot.hidden ? "" : slot.textContent + " ") + errors[field];
      slot.hidden = false;
      var box = form.querySelector('[data-field="' + field + '"]');
      var input = box ? box.querySelector("input, select, textarea") : null;
      if (input) {
        if (!slot.id) { slot.id = "err-" + form.id + "-" + field; }
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", slot.id);
        if (!first) { first = input; }
      }
    });
    if (!Object.keys(errors).length) {
      var summary = form.querySelector('[data-error-for="__all__"]');
      if (summary) { summary.textContent = answer.error || T.error; summary.hidden = false; }
    }
    if (first) { first.focus(); }
  }

  // --- HTTP -----------------------------------------------------------------------------------------------------

  function api(path, body) {
    var headers = { "X-Widget-Lang": config.lang, "X-Widget-Channel": config.channel };
    if (token) { headers["X-Widget-Token"] = token; }
    var payload = body;
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(Object.assign({ channel: config.channel }, body || {}));
    } else {
      body.set("channel", config.channel);
    }
    return fetch(config.api + path, { method: "POST", headers: headers, body: payload, credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false, error: T.error }; }).then(function (data) {
          data.status = response.status;
          if (response.status === 401 && data.code === "unauthorized") { forgetToken(); }
          return data;
        });
      }, function () { return { ok: false, status: 0, error: T.network_error }; });
  }

  function forgetToken() {
    token = null;
    store.del("token");
    store.del("pending");
    closeSocket();
  }

  function start() {
    show("loading");
    api("state/", {}).then(function (answer) {
      if (!answer.ok) { setConn(answer.error || T.error); setTimeout(start, 5000); return; }
      applyState(answer);
    });
  }

  function applyState(answer) {
    state = answer;
    var visitor = answer.visitor || {};
    if (answer.step === "prechat") {
      if (!answer.open && !token) {
        $("pc-offline-when").textContent = answer.next_opening_text ?
          fmt(T.next_opening || "", { when: answer.next_opening_text }) || answer.next_opening_text : "";
        show("offline");
      } else {
        prefill("pc-prechat", { name: visitor.name, email: visitor.email, whatsapp: visitor.whatsapp });
        show("prechat");
      }
    } else if (answer.step === "verify") {
      $("ver_email").value = visitor.email || "";
      show("verify");
    } else {
      show("chat");
      updateConsultation(answer.consultation);
      connect();
    }
  }

  function prefill(formId, values) {
    var form = $(formId);
    Object.keys(values).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input && !input.value && values[name]) { input.value = values[name]; }
    });
  }

  function submitting(form, busy) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = busy; });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  $("pc-prechat").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    submitting(form, true);
    api("prechat/", new FormData(form)).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      if (answer.token) { token = answer.token; store.set("token", token); }
      applyState(answer);
    });
  });

  $("pc-offline").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var data = new FormData(form);
    data.set("client_id", uuid());
    submitting(form, true);
    api("offline/", data).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      form.reset();
      if (answer.token) { token = answer.token; store.set("token", token); }
      state = answer;
      $("pc-offline-done-text").textContent = answer.next_opening_text ?
        fmt(T.offline_done, { when: answer.next_opening_text }) : T.offline_done_soon;
      show("offline_done");
    });
  });
  $("pc-offline-guestbook").addEventListener("click", function () { show("prechat"); });
  $("pc-offline-continue").addEventListener("click", function () { start(); });

  $("pc-send-code").addEventListener("click", function () {
    var form = $("pc-verify");
    submitting(form, true);
    api("verify/start/", { email: $("ver_email").value }).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      $("pc-code-sent").textContent = fmt(T.code_sent, { email: answer.email });
      $("ver_code").focus();
    });
  });

  $("pc-verify").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    submitting(form, true);
    api("verify/", { code: $("ver_code").value }).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      applyState(answer);
    });
  });

  $("pc-forget").addEventListener("click", function () {
    api("forget/", {}).then(function () { forgetToken(); resetLog(); start(); });
  });

  // --- the conversation -----------------------------------------------------------------------------------------

  var log = $("pc-log");
  var consultation = null;     // {id, status, rating_due, rated, skm_due, closed, ...}
  var skmSkipped = null;       // the consultation whose SKM questionnaire the visitor chose to skip
  var cursor = 0;              // the highest seq shown
  var officerReadSeq = 0;      // the office has read the visitor's messages up to here
  var lastOutSeq = 0;          // the highest seq of the office's messages
  var ackedDelivered = 0;
  var ackedRead = 0;
  var unread = 0;
  var bySeq = {};
  var byClient = {};
  var pending = store.get("pending") || [];   // [{client_id, body}] not yet acknowledged

  function savePending() { store.set("pending", pending); }

  function resetLog() {
    while (log.firstChild) { log.removeChild(log.firstChild); }
    bySeq = {}; byClient = {}; cursor = 0; lastOutSeq = 0; ackedDelivered = 0; ackedRead = 0; officerReadSeq = 0;
  }

  function timeOf(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + "." + ("0" + d.getMinutes()).slice(-2);
  }

  function bubble(direction) {
    var item = el("li", "pc-msg pc-msg-" + direction);
    item.appendChild(el("span", "pc-who"));
    item.appendChild(el("p", "pc-text"));
    item.appendChild(el("div", "pc-files"));
    item.appendChild(el("p", "pc-meta"));
    return item;
  }

  function fillBubble(item, msg) {
    var outbound = msg.direction === "out";
    item.className = "pc-msg pc-msg-" + (outbound ? "out" : "in") + (msg.is_automatic ? " pc-msg-auto" : "");
    item.setAttribute("data-seq", String(msg.seq));
    if (msg.client_id) { item.setAttribute("data-client-id", msg.client_id); }
    item.removeAttribute("data-pending");
    item.querySelector(".pc-who").textContent =
      outbound ? (msg.is_automatic ? T.system : (msg.author || T.officer)) : T.you;
    var text = item.querySelector(".pc-text");
    text.textContent = msg.body || "";
    text.hidden = !msg.body;
    var files = item.querySelector(".pc-files");
    while (files.firstChild) { files.removeChild(files.firstChild); }
    (msg.attachments || []).forEach(function (file) {
      var link = el("a", "pc-file", file.filename);
      link.href = file.url;
      link.setAttribute("download", "");
      link.setAttribute("rel", "noopener");
      files.appendChild(link);
    });
    item.setAttribute("data-created", msg.created_at || "");
    updateMeta(item, msg.direction);
  }

  function updateMeta(item, direction) {
    var meta = item.querySelector(".pc-meta");
    var seq = parseInt(item.getAttribute("data-seq"), 10) || 0;
    var when = timeOf(item.getAttribute("data-created"));
    if (item.getAttribute("data-pending") === "failed") { return; }
    if (item.getAttribute("data-pending")) { meta.textContent = T.sending; return; }
    if (direction === "in") {
      meta.textContent = when + " · " + (seq <= officerReadSeq ? T.read : T.sent);
    } else {
      meta.textContent = when;
    }
  }

  function place(item, seq) {
    var children = log.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      var otherSeq = parseInt(other.getAttribute("data-seq"), 10);
      if (other.getAttribute("data-pending") || (otherSeq && otherSeq > seq)) {
        if (other !== item) { log.insertBefore(item, other); }
        return;
      }
    }
    log.appendChild(item);
  }

  function render(msg) {
    if (!msg || msg.kind === "note" || !msg.seq) { return; }
    var seq = msg.seq;
    var item = bySeq[seq];
    if (!item && msg.client_id && byClient[msg.client_id]) {
      item = byClient[msg.client_id];          // our pending bubble: it becomes the stored message
    }
    var fresh = !item;
    if (!item) { item = bubble(msg.direction); }
    fillBubble(item, msg);
    bySeq[seq] = item;
    if (msg.client_id) { byClient[msg.client_id] = item; dropPending(msg.client_id); }
    place(item, seq);
    cursor = Math.max(cursor, seq);
    if (msg.direction === "out") {
      if (seq > lastOutSeq) {
        lastOutSeq = seq;
        if (fresh && !isSeen()) { unread += 1; tellParent({ pstdesk: "unread", count: unread }); }
      }
      acknowledge();
    }
    if (fresh) { scrollDown(); }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function dropPending(clientId) {
    var before = pending.length;
    pending = pending.filter(function (p) { return p.client_id !== clientId; });
    if (pending.length !== before) { savePending(); }
  }

  function pendingBubble(clientId, body, label) {
    var item = bubble("in");
    item.setAttribute("data-pending", "sending");
    item.setAttribute("data-client-id", clientId);
    item.querySelector(".pc-who").textContent = T.you;
    item.querySelector(".pc-text").textContent = body || label || "";
    item.querySelector(".pc-meta").textContent = T.sending;
    byClient[clientId] = item;
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function failBubble(clientId, reason, canRetry) {
    var item = byClient[clientId];
    if (!item || !item.getAttribute("data-pending")) { return; }
    item.setAttribute("data-pending", "failed");
    var meta = item.querySelector(".pc-meta");
    meta.textContent = T.failed + " " + (reason || "");
    if (canRetry) {
      var retry = el("button", "pc-link pc-retry", T.retry);
      retry.type = "button";
      retry.addEventListener("click", function () {
        item.setAttribute("data-pending", "sending");
        meta.textContent = T.sending;
        var entry = pending.filter(function (p) { return p.client_id === clientId; })[0];
        if (entry) { sendFrame(entry); }
      });
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(retry);
    }
  }

  function isSeen() { return visible && document.visibilityState === "visible"; }

  function acknowledge() {
    if (!consultation || !socketReady) { return; }
    if (lastOutSeq > ackedDelivered) {
      ackedDelivered = lastOutSeq;
      send({ type: "delivered", seq: lastOutSeq });
    }
    if (isSeen() && lastOutSeq > ackedRead) {
      ackedRead = lastOutSeq;
      send({ type: "read", seq: lastOutSeq });
    }
  }

  function setOfficerRead(seq) {
    officerReadSeq = Math.max(officerReadSeq, seq || 0);
    Object.keys(bySeq).forEach(function (key) {
      var item = bySeq[key];
      if (item.classList.contains("pc-msg-in")) { updateMeta(item, "in"); }
    });
  }

  function updateConsultation(next) {
    if (next && consultation && next.id !== consultation.id) {
      // a new consultation began (the old one was closed): start its log afresh, keep unsent bubbles
      var keep = Array.prototype.filter.call(log.children, function (c) { return c.getAttribute("data-pending"); });
      resetLog();
      keep.forEach(function (c) { log.appendChild(c); byClient[c.getAttribute("data-client-id")] = c; });
    }
    consultation = next;
    var rating = $("pc-rating");
    var ended = $("pc-ended");
    var ratingDue = !!(next && next.rating_due);
    if (ratingDue && rating.hidden) {
      rating.hidden = false;
      if (visible) { rating.querySelector("h3").focus(); }
    }
    rating.hidden = !ratingDue;
    // the SKM questionnaire follows the rating (optional: "skip" hides it for this consultation)
    var skm = $("pc-skm");
    var skmDue = !!(next && next.skm_due && !ratingDue && skmSkipped !== next.id);
    if (skmDue && skm.hidden && visible) { skm.hidden = false; skm.querySelector("h3").focus(); }
    skm.hidden = !skmDue;
    ended.hidden = !(next && next.closed && !ratingDue);
    $("pc-ended-rated").hidden = !(next && next.rated);
    $("pc-transcript").hidden = !(state && state.visitor && state.visitor.email_verified);
  }

  // --- the socket -----------------------------------------------------------------------------------------------

  var socket = null;
  var socketReady = false;
  var retryDelay = 500;
  var retryTimer = null;
  var stopped = false;
  var everConnected = false;

  // The connection line; `state` "reconnecting" marks it (styled) while the socket or the server's live bus is
  // down: messages are still sent and acknowledged, replies may come a few seconds late.
  function setConn(text, state) {
    var line = $("pc-conn");
    line.textContent = text;
    line.setAttribute("data-state", state || "");
  }

  function closeSocket() {
    stopped = true;
    socketReady = false;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (socket) { try { socket.close(); } catch (e) { /* already closed */ } socket = null; }
  }

  function connect() {
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) { return; }
    stopped = false;
    if (!everConnected) { setConn(T.connecting); }  // after a drop, "reconnecting" stays until we are back
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + config.socket);
    socket = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({
        type: "hello", token: token, channel: config.channel,
        consultation: consultation ? consultation.id : null, cursor: cursor
      }));
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (socket !== ws) { return; }
      socket = null;
      socketReady = false;
      if (event.code === 4401) { forgetToken(); start(); return; }
      // The identity behind the token changed (merged into another): start again from the session's state.
      if (event.code === 4409) { start(); return; }
      if (stopped) { return; }
      setConn(navigator.onLine === false ? T.offline_network : T.reconnecting, "reconnecting");
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  function send(frame) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function sendFrame(entry) {
    return send({ type: "message", client_id: entry.client_id, body: entry.body });
  }

  function handle(frame) {
    if (frame.type === "ready") {
      socketReady = true;
      everConnected = true;
      retryDelay = 500;
      if (frame.reconnecting) { setConn(T.reconnecting, "reconnecting"); } else { setConn(T.connected); }
      if (frame.consultation && consultation && frame.consultation.id !== consultation.id) {
        updateConsultation(frame.consultation);
      } else if (frame.consultation) {
        updateConsultation(frame.consultation);
      }
      setOfficerRead(frame.officer_read_seq);
      pending.forEach(function (entry) {
        if (!byClient[entry.client_id]) { pendingBubble(entry.client_id, entry.body); }
        sendFrame(entry);
      });
      acknowledge();
    } else if (frame.type === "message") {
      render(frame.message);
    } else if (frame.type === "ack") {
      dropPending(frame.client_id);
    } else if (frame.type === "consultation") {
      updateConsultation(frame.consultation);
    } else if (frame.type === "status") {
      // the server's live bus (Redis) lost or back: the socket itself stays open
      if (frame.state === "reconnecting") { setConn(T.reconnecting, "reconnecting"); } else { setConn(T.connected); }
    } else if (frame.type === "typing") {
      showTyping(frame.on);
    } else if (frame.type === "read") {
      setOfficerRead(frame.seq);
    } else if (frame.type === "error") {
      if (frame.client_id) {
        if (frame.code === "rate_limited") {
          failBubble(frame.client_id, frame.message, true);
        } else {
          dropPending(frame.client_id);
          failBubble(frame.client_id, frame.message, false);
        }
      } else if (frame.message) {
        setConn(frame.message);
      }
    }
  }

  var typingTimer = null;
  function showTyping(on) {
    var line = $("pc-typing");
    line.textContent = on ? T.typing : "";
    line.hidden = !on;
    if (typingTimer) { clearTimeout(typingTimer); }
    if (on) { typingTimer = setTimeout(function () { showTyping(false); }, 6000); }
  }

  // --- composing ------------------------------------------------------------------------------------------------

  var input = $("pc-input");
  var typingSentAt = 0;
  var typingStop = null;

  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - typingSentAt > 3000 && input.value) {
      typingSentAt = now;
      send({ type: "typing", on: true });
    }
    if (typingStop) { clearTimeout(typingStop); }
    typingStop = setTimeout(function () { typingSentAt = 0; send({ type: "typing", on: false }); }, 4000);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("pc-composer").requestSubmit();
    }
  });

  $("pc-composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    var problem = $("pc-composer-error");
    problem.hidden = true;
    if (!body) { return; }
    if (body.length > config.max_chars) {
      problem.textContent = T.too_long;
      problem.hidden = false;
      return;
    }
    var entry = { client_id: uuid(), body: body };
    pending.push(entry);
    savePending();
    pendingBubble(entry.client_id, body);
    input.value = "";
    if (typingStop) { clearTimeout(typingStop); typingStop = null; }
    typingSentAt = 0;
    send({ type: "typing", on: false });
    if (socketReady) { sendFrame(entry); }
  });

  $("pc-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    event.target.value = "";
    if (!file) { return; }
    var problem = $("pc-composer-error");
    problem.hidden = true;
    var clientId = uuid();
    pendingBubble(clientId, "", T.attachment + ": " + file.name + " (" + T.uploading + ")");
    var data = new FormData();
    data.set("file", file);
    data.set("client_id", clientId);
    data.set("body", "");
    api("upload/", data).then(function (answer) {
      if (!answer.ok) {
        failBubble(clientId, answer.error || T.error, false);
        return;
      }
      if (answer.consultation) { updateConsultation(answer.consultation); }
      if (!socketReady) { connect(); }
    });
  });

  $("pc-rating").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var data = new FormData(form);
    var body = { consultation: consultation ? consultation.id : null };
    data.forEach(function (value, key) { body[key] = value; });
    submitting(form, true);
    api("rate/", body).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      form.reset();
      updateConsultation(answer.consultation);
      setConn(T.rating_thanks);
    });
  });

  $("pc-skm").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var data = new FormData(form);
    var body = { consultation: consultation ? consultation.id : null };
    data.forEach(function (value, key) { body[key] = value; });
    submitting(form, true);
    api("skm/", body).then(function (answer) {
      submitting(form, false);
      if (!answer.ok) { showErrors(form, answer); return; }
      clearErrors(form);
      form.reset();
      updateConsultation(answer.consultation);
      setConn(T.skm_thanks);
    });
  });

  $("pc-skm-skip").addEventListener("click", function () {
    skmSkipped = consultation ? consultation.id : null;
    updateConsultation(consultation);
  });

  $("pc-transcript").addEventListener("click", function () {
    var status = $("pc-transcript-status");
    api("transcript/", { consultation: consultation ? consultation.id : null }).then(function (answer) {
      status.textContent = answer.ok ? fmt(T.transcript_sent, { email: answer.email }) : (answer.error || T.error);
    });
  });

  // --- the frame in the host page ---------------------------------------------------------------------------------

  function tellParent(message) {
    if (window.parent !== window) { window.parent.postMessage(message, "*"); }
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) { return; }
    var data = event.data || {};
    if (data.pstdesk === "open") {
      visible = true;
      unread = 0;
      var current = root.querySelector("[data-view]:not([hidden])");
      var focusable = current ? current.querySelector("h3, textarea, input, button") : null;
      if (current && current.getAttribute("data-view") === "chat") { focusable = input; }
      if (focusable) { focusable.focus(); }
      acknowledge();
    } else if (data.pstdesk === "closed") {
      visible = false;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !config.inline) { tellParent({ pstdesk: "close" }); }
  });
  var closeButton = $("pc-close");
  if (closeButton) {
    closeButton.hidden = window.parent === window;
    closeButton.addEventListener("click", function () { tellParent({ pstdesk: "close" }); });
  }
  document.addEventListener("visibilitychange", acknowledge);
  window.addEventListener("focus", acknowledge);
  window.addEventListener("online", function () { if (token && !socket && !stopped) { connect(); } });

  // For tests and the host page: what is on screen, in order.
  window.PSTChat = {
    transcript: function () {
      return Array.prototype.map.call(log.querySelectorAll(".pc-msg[data-seq] .pc-text"), function (p) {
        return p.textContent;
      });
    },
    socket: function () { return socket; }
  };

  tellParent({ pstdesk: "ready" });
  start();
})();
