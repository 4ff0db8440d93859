// Admin pages: confirmations, the public/private toggle of the stream form, copy buttons and the stream tail.
// Loaded as a file (the CSP forbids inline script); every page works without it, minus these comforts.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const done = () => { button.textContent = "Copied"; button.dataset.copied = "true"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(button.dataset.copy).then(done, () => { button.textContent = "Copy failed"; });
    return;
  }
  const area = document.createElement("textarea");
  area.value = button.dataset.copy;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  if (document.execCommand("copy")) done(); else button.textContent = "Copy failed";
  document.body.removeChild(area);
});

function publicToggle() {
  const box = document.getElementById("s-public");
  if (!box) return;
  const sync = () => {
    document.getElementById("public-options").hidden = !box.checked;
    document.getElementById("private-options").hidden = box.checked;
  };
  box.addEventListener("change", sync);
  sync();
}

function tail() {
  const list = document.getElementById("tail");
  if (!list || !window.EventSource) return;
  const state = document.getElementById("tail-state");
  const source = new EventSource(list.dataset.url);
  const add = (kind, event) => {
    const item = document.createElement("li");
    item.className = "ev-" + kind;
    const head = document.createElement("strong");
    head.textContent = kind + " " + (event.lastEventId || "");
    item.appendChild(head);
    const body = document.createElement("span");
    try {
      const data = JSON.parse(event.data);
      body.textContent = " " + (data.message || "") + (data.data && data.data.id ? " — " + data.data.id : "");
    } catch (_) {
      body.textContent = " " + event.data;
    }
    item.appendChild(body);
    list.appendChild(item);
    while (list.children.length > 500) list.removeChild(list.firstChild);
  };
  source.addEventListener("connected", () => { state.textContent = "connected"; });
  for (const kind of ["create", "update", "delete", "merge"]) {
    source.addEventListener(kind, (e) => add(kind, e));
  }
  source.addEventListener("heartbeat", () => { state.textContent = "connected (heartbeat " + new Date().toLocaleTimeString() + ")"; });
  source.onerror = () => { state.textContent = "disconnected (stopped stream, or no access) — retrying"; };
}

document.addEventListener("DOMContentLoaded", () => {
  publicToggle();
  tail();
});
