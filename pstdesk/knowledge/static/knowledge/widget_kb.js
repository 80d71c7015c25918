/* The widget's knowledge-base block: as the visitor types in its search box (or in the chat composer, before
   sending), up to three published articles of the office are shown ("Mungkin ini menjawab pertanyaan Anda"). */
(function () {
  "use strict";
  var box = document.getElementById("pc-kb");
  if (!box) { return; }
  var list = document.getElementById("pc-kb-list");
  var results = document.getElementById("pc-kb-results");
  var none = document.getElementById("pc-kb-none");
  var input = document.getElementById("pc-kb-q");
  var timer = null;
  var asked = "";

  function show(articles) {
    list.textContent = "";
    articles.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = a.title;
      li.appendChild(link);
      if (a.summary) {
        var p = document.createElement("p");
        p.textContent = a.summary;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    none.hidden = articles.length > 0;
    results.hidden = false;
  }

  function ask(text, fromComposer) {
    var q = (text || "").trim().slice(0, 200);
    if (q.length < 3 || q === asked) { return; }
    asked = q;
    var url = box.getAttribute("data-url") + "?lang=" + encodeURIComponent(box.getAttribute("data-lang") || "id") +
      "&q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (data) {
        if (q !== asked) { return; }
        var found = data.articles || [];
        if (fromComposer && !found.length) { return; }  // stay quiet while the visitor writes to us
        if (found.length) { box.open = true; }
        show(found);
      })
      .catch(function () { /* the chat works without suggestions */ });
  }

  function later(text, fromComposer) {
    clearTimeout(timer);
    timer = setTimeout(function () { ask(text, fromComposer); }, 300);
  }

  document.getElementById("pc-kb-form").addEventListener("submit", function (e) {
    e.preventDefault();
    asked = "";
    ask(input.value, false);
  });
  input.addEventListener("input", function () { later(input.value, false); });
  var composer = document.getElementById("pc-input");
  if (composer) { composer.addEventListener("input", function () { later(composer.value, true); }); }
})();
