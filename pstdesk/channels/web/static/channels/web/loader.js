/* PST Desk LiveChat loader: paste
 *   <script src="https://desk.example/widget.js" data-office="5102" async></script>
 * into a page of the office's website. It adds a launcher button and a chat window (an iframe served by PST
 * Desk, so the host page's styles and scripts cannot touch the chat, and the chat cannot touch the page).
 * No framework, no third-party code. Optional attributes: data-lang="id|en", data-position="left|right".
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src*='/widget.js']");
    script = all[all.length - 1];
  }
  if (!script || window.__pstdeskWidgetLoaded) { return; }
  window.__pstdeskWidgetLoaded = true;

  var src = new URL(script.src, document.baseURI);
  var base = src.origin;
  var office = script.getAttribute("data-office") || src.searchParams.get("office") || "";
  var lang = script.getAttribute("data-lang") || src.searchParams.get("lang") || "";
  if (!lang) { lang = (document.documentElement.lang || navigator.language || "id").slice(0, 2).toLowerCase(); }
  if (lang !== "en") { lang = "id"; }
  var position = script.getAttribute("data-position") === "left" ? "left" : "right";
  if (!/^[0-9]{4}$/.test(office)) { return; }

  var TEXT = {
    id: { open: "Buka obrolan dengan PST", close: "Tutup obrolan", title: "Obrolan PST", label: "Chat PST" },
    en: { open: "Open the chat with PST", close: "Close the chat", title: "PST chat", label: "PST chat" }
  }[lang];

  var host = document.createElement("div");
  host.setAttribute("data-pstdesk-widget", office);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var side = position + ": 20px;";
  var style = document.createElement("style");
  style.textContent = [
    ":host { all: initial; }",
    ".launcher { position: fixed; bottom: 20px; " + side + " z-index: 2147483646; display: inline-flex;",
    "  align-items: center; gap: 8px; min-height: 48px; padding: 0 18px; border: 0; border-radius: 24px;",
    "  background: #0b5cad; color: #fff; font: 600 15px/1.2 system-ui, -apple-system, 'Segoe UI', sans-serif;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }",
    ".launcher:hover { background: #094c8f; }",
    ".launcher:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".launcher svg { width: 22px; height: 22px; fill: currentColor; }",
    ".badge { display: none; min-width: 18px; height: 18px; border-radius: 9px; background: #d4351c;",
    "  color: #fff; font-size: 12px; line-height: 18px; text-align: center; padding: 0 4px; }",
    ".badge.on { display: inline-block; }",
    ".frame { position: fixed; bottom: 84px; " + side + " z-index: 2147483647; width: 380px;",
    "  height: min(640px, calc(100vh - 104px)); border: 0; border-radius: 12px; background: #fff;",
    "  box-shadow: 0 8px 30px rgba(0,0,0,.3); display: none; }",
    ".frame.open { display: block; }",
    "@media (max-width: 480px) {",
    "  .frame { inset: 0; width: 100%; height: 100%; border-radius: 0; bottom: 0; left: 0; right: 0; }",
    "  .launcher.hidden { display: none; }",
    "}",
    "@media (prefers-reduced-motion: no-preference) { .frame.open { animation: pst-in .15s ease-out; } }",
    "@keyframes pst-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }"
  ].join("\n");

  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.setAttribute("aria-label", TEXT.open);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "pstdesk-frame");
  button.setAttribute("aria-haspopup", "dialog");
  button.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var label = document.createElement("span");
  label.textContent = TEXT.label;
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.setAttribute("aria-hidden", "true");
  button.appendChild(label);
  button.appendChild(badge);

  var frame = null;
  var isOpen = false;
  var frameReady = false;

  function frameUrl() {
    var url = new URL("/widget/" + office + "/frame/", base);
    url.searchParams.set("lang", lang);
    return url.toString();
  }

  function ensureFrame() {
    if (frame) { return frame; }
    frame = document.createElement("iframe");
    frame.id = "pstdesk-frame";
    frame.className = "frame";
    frame.title = TEXT.title;
    frame.setAttribute("allow", "clipboard-write");
    frame.src = frameUrl();
    root.appendChild(frame);
    return frame;
  }

  function post(message) {
    if (frame && frame.contentWindow) { frame.contentWindow.postMessage(message, base); }
  }

  function open() {
    ensureFrame();
    isOpen = true;
    frame.classList.add("open");
    button.classList.add("hidden");
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-label", TEXT.close);
    badge.classList.remove("on");
    badge.textContent = "";
    frame.focus();
    if (frameReady) { post({ pstdesk: "open" }); }
  }

  function close() {
    if (!frame) { return; }
    isOpen = false;
    frame.classList.remove("open");
    button.classList.remove("hidden");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", TEXT.open);
    post({ pstdesk: "closed" });
    button.focus();
  }

  button.addEventListener("click", function () { if (isOpen) { close(); } else { open(); } });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen) { close(); }
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== base || !frame || event.source !== frame.contentWindow) { return; }
    var data = event.data || {};
    if (data.pstdesk === "ready") {
      frameReady = true;
      if (isOpen) { post({ pstdesk: "open" }); }
    } else if (data.pstdesk === "close") {
      close();
    } else if (data.pstdesk === "unread" && !isOpen) {
      var count = parseInt(data.count, 10) || 0;
      badge.textContent = count > 0 ? String(count) : "";
      badge.classList.toggle("on", count > 0);
    }
  });

  root.appendChild(style);
  root.appendChild(button);
  function mount() { document.body.appendChild(host); }
  // The launcher appears only when the office's service standard offers the website LiveChat (the desk answers
  // 204; 404 otherwise, or when unreachable: then nothing is shown at all).
  function start() {
    if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
    // Open the chat at once when the host page asks for it: <a href="#pst-chat">.
    if (location.hash === "#pst-chat") { open(); }
    window.PSTDesk = { open: open, close: close };
  }
  fetch(new URL("/widget/" + office + "/available/", base).toString(), { credentials: "omit" })
    .then(function (response) { if (response.ok) { start(); } })
    .catch(function () {});
})();
