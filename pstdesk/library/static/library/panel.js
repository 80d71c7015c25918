/* The console's library panel: send a stamped copy of a publication to the visitor of this consultation. The copy
   arrives in the transcript like any reply; this script only posts the choice and shows the answer. */
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("library-form");
    if (!form) return;
    var status = document.getElementById("library-status");
    var select = document.getElementById("library-publication");
    var sendButton = document.getElementById("library-send");
    var texts = {};
    Array.prototype.forEach.call(document.getElementById("library-text").content.querySelectorAll("[data-k]"), function (el) {
      texts[el.getAttribute("data-k")] = el.textContent;
    });
    var csrf = document.querySelector('meta[name="csrf-token"]');

    function say(text, level) {
      status.hidden = !text;
      status.textContent = text || "";
      status.setAttribute("data-level", level || "info");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var option = select.options[select.selectedIndex];
      if (!option) return;
      var body = new FormData();
      body.set("consultation", form.getAttribute("data-consultation"));
      sendButton.disabled = true;
      say(texts.sending, "info");
      fetch(option.getAttribute("data-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.getAttribute("content") : "", Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (data) { say(data.ok ? data.message : data.error, data.ok ? "info" : "error"); },
              function () { say(texts.network, "error"); })
        .finally(function () { sendButton.disabled = false; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
