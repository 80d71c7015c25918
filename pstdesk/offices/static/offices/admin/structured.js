// Add-row buttons of the structured standard fields (offices/admin_forms.py): each click copies the list's blank
// template row with the next free row number. Without JavaScript one blank row is still offered by the server.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const list of document.querySelectorAll(".structured-list")) {
    const button = list.querySelector(".structured-add");
    const template = list.querySelector("template.structured-template");
    const body = list.querySelector("tbody");
    let next = Number(list.querySelector(".structured-count").value) + 1;
    button.hidden = false;
    button.addEventListener("click", () => {
      const row = template.content.firstElementChild.cloneNode(true);
      for (const input of row.querySelectorAll("[name]")) {
        input.name = input.name.replace("__prefix__", String(next));
      }
      next += 1;
      body.appendChild(row);
      const first = row.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  }
});
