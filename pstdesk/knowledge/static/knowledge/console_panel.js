/* The console's knowledge panel: suggestions for the visitor's last message (articles, canned replies, similar
   closed consultations of the office) and the KBLI 2020 search. "Sisipkan" appends to the reply box; a failed
   request only shows a message in the panel: the reply box never waits for it. */
(function () {
  "use strict";
  var panel = document.getElementById("kn-panel");
  if (!panel) { return; }
  var text = JSON.parse(document.getElementById("kn-text").textContent);
  var site = panel.getAttribute("data-site");

  function insert(value) {
    var box = document.getElementById("reply-body");
    if (!box) { return; }
    box.value = box.value ? box.value.replace(/\s+$/, "") + "\n\n" + value : value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  }

  function item(label, sub, href, value) {
    var li = document.createElement("li");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = label;
      li.appendChild(a);
    } else {
      var strong = document.createElement("strong");
      strong.textContent = label;
      li.appendChild(strong);
    }
    if (value !== null) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "kn-insert";
      b.textContent = text.insert;
      b.addEventListener("click", function () { insert(value); });
      li.appendChild(b);
    }
    if (sub) {
      var p = document.createElement("p");
      p.className = "kn-small";
      p.textContent = sub;
      li.appendChild(p);
    }
    return li;
  }

  function fill(id, rows) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    rows.forEach(function (li) { ul.appendChild(li); });
  }

  var status = document.getElementById("kn-suggest-status");
  function loadSuggestions() {
    fetch(panel.getAttribute("data-suggest-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        fill("kn-suggest-articles", (data.articles || []).map(function (a) {
          return item(a.title, text.articles + (a.summary ? " · " + a.summary : ""), a.url, a.title + ": " + site + a.url);
        }));
        fill("kn-suggest-canned", (data.canned || []).map(function (c) {
          return item(c.title, text.canned, null, c.body);
        }));
        fill("kn-suggest-similar", (data.similar || []).map(function (s) {
          return item("PST#" + s.id + " · " + s.title, text.similar, s.url, null);
        }));
        var count = (data.articles || []).length + (data.canned || []).length + (data.similar || []).length;
        status.textContent = count ? "" : text.none;
      })
      .catch(function () { status.textContent = text.failed; });
  }
  loadSuggestions();

  var form = document.getElementById("kn-kbli-form");
  var input = document.getElementById("kn-kbli-q");
  var kbliStatus = document.getElementById("kn-kbli-status");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var url = panel.getAttribute("data-kbli-url") + "?limit=10&q=" + encodeURIComponent(input.value);
    kbliStatus.textContent = "…";
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { kbliStatus.textContent = res.body.detail || text.kbliFailed; fill("kn-kbli-results", []); return; }
        var data = res.body;
        kbliStatus.textContent = data.message || (data.count + " " + text.found);
        fill("kn-kbli-results", data.results.map(function (r) {
          var path = r.path.map(function (n) { return n.code; }).join(" › ");
          var under = r.children.length ? " · " + text.under + ": " + r.children.map(function (n) { return n.code; }).join(", ") : "";
          var li = item(r.code + " " + r.title, (path ? path + " › " + r.code : "") + under, r.url, "KBLI 2020 " + r.code + " – " + r.title + ": " + r.summary);
          li.setAttribute("data-code", r.code);
          return li;
        }));
      })
      .catch(function () { kbliStatus.textContent = text.kbliFailed; });
  });
})();
