/* The console's BPS Web API data panel: search the office's domain (or its province, or the nation) for static
   tables, publications and press releases, preview a table, pick a figure and insert title, figure and link into
   the reply box. Every request has its own timeout and its own message; nothing here disables or waits on the
   reply form. */
(function () {
  "use strict";

  function start() {
    var panel = document.getElementById("bps-panel");
    if (!panel) return;
    var form = document.getElementById("bps-form");
    var status = document.getElementById("bps-status");
    var results = document.getElementById("bps-results");
    var preview = document.getElementById("bps-preview");
    var previewTitle = document.getElementById("bps-preview-title");
    var previewMeta = document.getElementById("bps-preview-meta");
    var previewTable = document.getElementById("bps-preview-table");
    var figureHint = document.getElementById("bps-figure");
    var timeoutMs = parseInt(panel.getAttribute("data-timeout-ms"), 10) || 8000;
    var texts = {};
    Array.prototype.forEach.call(document.getElementById("bps-text").content.querySelectorAll("[data-k]"), function (el) {
      texts[el.getAttribute("data-k")] = el.textContent;
    });
    var current = null; // the previewed table
    var figure = null; // {row, column, value}
    var lastSearch = null;
    var searchSeq = 0;

    function say(text, level) {
      status.hidden = !text;
      status.textContent = text || "";
      status.setAttribute("data-level", level || "info");
    }

    function getJson(url) {
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, timeoutMs);
      return fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().catch(function () { return { ok: false, error: texts.network }; });
        }, function (err) {
          return { ok: false, error: err && err.name === "AbortError" ? texts.timeout : texts.network };
        })
        .finally(function () { clearTimeout(timer); });
    }

    function insert(text) {
      var box = document.getElementById("reply-body");
      if (!box) return;
      var start = box.selectionStart != null ? box.selectionStart : box.value.length;
      var end = box.selectionEnd != null ? box.selectionEnd : box.value.length;
      var before = box.value.slice(0, start);
      var after = box.value.slice(end);
      var glue = before && !/\n$/.test(before) ? "\n" : "";
      box.value = before + glue + text + after;
      var caret = (before + glue + text).length;
      box.focus();
      box.setSelectionRange(caret, caret);
      box.dispatchEvent(new Event("input", { bubbles: true }));
      say(texts.inserted, "info");
    }

    function itemText(item) {
      var lines = [item.title];
      if (item.date) lines[0] += " (" + item.date + ")";
      if (item.link) lines.push(item.link);
      return lines.join("\n");
    }

    function button(label, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", onClick);
      return b;
    }

    function render(data) {
      results.textContent = "";
      if (!data.ok) { say(data.error, "error"); return; }
      if (!data.available || !data.items.length) { say(data.message || texts.none, "empty"); return; }
      say(texts.found.replace("{n}", data.total).replace("{pages}", data.pages).replace("{p}", data.page), "info");
      data.items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-id", item.id);
        var title = document.createElement("div");
        title.className = "bps-item-title";
        title.textContent = item.title;
        var meta = document.createElement("p");
        meta.className = "bps-meta";
        meta.textContent = [item.subject, item.date].filter(Boolean).join(" · ");
        li.appendChild(title);
        li.appendChild(meta);
        if (item.previewable) li.appendChild(button(texts.preview, function () { openTable(item.id); }));
        li.appendChild(button(texts.insert, function () { insert(itemText(item)); }));
        results.appendChild(li);
      });
      if (data.page < data.pages) {
        var li = document.createElement("li");
        li.appendChild(button(texts.more, function () { search(data.page + 1); }));
        results.appendChild(li);
      }
    }

    function search(page) {
      var params = new URLSearchParams(new FormData(form));
      params.set("page", String(page || 1));
      lastSearch = params;
      var seq = ++searchSeq;
      say(texts.loading, "info");
      getJson(panel.getAttribute("data-search-url") + "?" + params.toString()).then(function (data) {
        if (seq === searchSeq) render(data);
      });
    }

    function chooseCell(cell) {
      Array.prototype.forEach.call(previewTable.querySelectorAll("td[aria-selected]"), function (td) {
        td.removeAttribute("aria-selected");
      });
      var row = cell.parentNode;
      var index = Array.prototype.indexOf.call(row.children, cell);
      var head = previewTable.querySelector("thead tr") || previewTable.querySelector("tr");
      var column = head && head.children[index] ? head.children[index].textContent.trim() : "";
      var rowLabel = row.children[0] && row.children[0] !== cell ? row.children[0].textContent.trim() : "";
      figure = { row: rowLabel, column: column, value: cell.textContent.trim() };
      cell.setAttribute("aria-selected", "true");
      figureHint.textContent = [figure.row, figure.column].filter(Boolean).join(", ") + ": " + figure.value;
    }

    function openTable(id) {
      var scope = lastSearch ? lastSearch.get("scope") : "office";
      say(texts["loading-table"], "info");
      getJson(panel.getAttribute("data-table-url") + "?scope=" + encodeURIComponent(scope) + "&id=" + encodeURIComponent(id))
        .then(function (data) {
          if (!data.ok) { say(data.error, "error"); return; }
          say("", "info");
          current = data;
          figure = null;
          previewTitle.textContent = data.title;
          previewMeta.textContent = [data.subject, data.date ? texts.updated + " " + data.date : ""].filter(Boolean).join(" · ");
          previewTable.innerHTML = data.html; // sanitised by the server to plain table markup
          figureHint.textContent = figureHint.getAttribute("data-empty");
          preview.hidden = false;
          preview.scrollIntoView({ block: "nearest" });
        });
    }

    previewTable.addEventListener("click", function (event) {
      var cell = event.target.closest("td");
      if (cell && previewTable.contains(cell)) chooseCell(cell);
    });
    document.getElementById("bps-insert").addEventListener("click", function () {
      if (!current) return;
      var lines = [current.title];
      if (figure) lines.push([figure.row, figure.column].filter(Boolean).join(", ") + ": " + figure.value);
      lines.push(texts.source + (current.link ? ", " + current.link : ""));
      insert(lines.join("\n"));
    });
    document.getElementById("bps-close").addEventListener("click", function () {
      preview.hidden = true;
      current = null;
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search(1);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
