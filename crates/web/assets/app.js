// Firebreak's pages: keyboard shortcuts, live updates over Server-Sent
// Events, and drafts that survive an expired session. Written for Firebreak;
// no libraries. Loaded with `defer`, so the document is parsed when it runs.
"use strict";

(function () {
  const body = document.body;

  // Drafts: every textarea with data-draft keeps its text in localStorage
  // until the server confirms it was used (data-clear-draft on the page).
  const clear = body.dataset.clearDraft;
  if (clear) { localStorage.removeItem("draft:" + clear); }
  for (const area of document.querySelectorAll("textarea[data-draft]")) {
    const key = "draft:" + area.dataset.draft;
    const saved = localStorage.getItem(key);
    if (saved && !area.value) { area.value = saved; area.classList.add("restored"); }
    area.addEventListener("input", () => {
      if (area.value) { localStorage.setItem(key, area.value); } else { localStorage.removeItem(key); }
    });
  }

  // Forms that ask before they act (merge, erase, bulk resolve).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) { e.preventDefault(); }
    });
  }

  // Live updates: a page that names regions in data-live (ids, space
  // separated) re-reads itself when the server says something changed, and
  // swaps those regions in.
  const live = body.dataset.live;
  if (live && window.EventSource) {
    let timer = null;
    const refresh = () => {
      timer = null;
      fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((text) => {
          const doc = new DOMParser().parseFromString(text, "text/html");
          const selected = current();
          for (const id of live.split(" ")) {
            const fresh = doc.getElementById(id);
            const old = document.getElementById(id);
            if (!fresh || !old) { continue; }
            const checked = new Set([...old.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value));
            old.replaceWith(fresh);
            for (const c of fresh.querySelectorAll("input[type=checkbox]")) { c.checked = checked.has(c.value); }
          }
          select(selected ? Math.max(0, rows().findIndex((r) => r.dataset.id === selected.dataset.id)) : 0, false);
          const stamp = document.getElementById("live-status");
          if (stamp) { stamp.textContent = "Updated " + new Date().toLocaleTimeString(); }
        })
        .catch(() => {});
    };
    // Start after the last event the page was drawn with: whatever happened
    // between drawing it and connecting arrives at once.
    const after = body.dataset.eventsAfter;
    const source = new EventSource("/api/v1/events" + (after ? "?after=" + encodeURIComponent(after) : ""));
    source.onmessage = () => { if (!timer) { timer = setTimeout(refresh, 250); } };
    for (const kind of ["case.created", "case.updated", "case.reopened", "case.csat", "sla.warning", "sla.breach",
      "promise.created", "promise.settled", "customer.merged", "customer.unmerged", "reply.sent", "reply.failed"]) {
      source.addEventListener(kind, source.onmessage);
    }
  }

  // Keyboard: j/k move through a list, Enter or o opens, x selects,
  // e resolves, a assigns to me, r replies, / searches, ? shows the keys.
  const rows = () => [...document.querySelectorAll("[data-row]")];
  const current = () => document.querySelector("[data-row].selected");
  function select(i, focus = true) {
    const all = rows();
    if (!all.length) { return; }
    i = Math.max(0, Math.min(all.length - 1, i));
    for (const r of all) { r.classList.remove("selected"); r.removeAttribute("aria-current"); }
    all[i].classList.add("selected");
    all[i].setAttribute("aria-current", "true");
    if (focus) { all[i].querySelector("a")?.focus(); }
  }
  select(0, false);

  function submitAction(name) {
    // A case page has one form per action; the inbox acts on the selected row.
    const scope = body.dataset.page === "case" ? document : current();
    const form = scope && scope.querySelector('form[data-action="' + name + '"]');
    if (form) { form.requestSubmit(); return true; }
    return false;
  }

  document.addEventListener("keydown", (e) => {
    const t = e.target;
    // Ctrl+Enter (or Cmd+Enter) in a text box sends its form.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t instanceof HTMLTextAreaElement && t.form) {
      e.preventDefault();
      t.form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) {
      if (e.key === "Escape") { t.blur(); }
      return;
    }
    const all = rows();
    const i = all.indexOf(current());
    switch (e.key) {
      case "j": select(i + 1); break;
      case "k": select(i - 1); break;
      case "Enter": case "o": {
        const link = current()?.querySelector("a");
        if (link && e.key === "o") { link.click(); } else { return; }
        break;
      }
      case "x": {
        const box = current()?.querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; }
        break;
      }
      case "e": if (!submitAction("resolve")) { return; } break;
      case "a": if (!submitAction("assign")) { return; } break;
      case "r": {
        const reply = document.getElementById("reply-text");
        if (reply) { reply.focus(); } else {
          const link = current()?.querySelector("a");
          if (link) { window.location.href = link.href + "#reply"; } else { return; }
        }
        break;
      }
      case "/": {
        const q = document.querySelector("input[type=search]");
        if (q) { q.focus(); } else { return; }
        break;
      }
      case "?": document.getElementById("keys")?.toggleAttribute("hidden"); break;
      default: return;
    }
    e.preventDefault();
  });

  // Arriving at a case with #reply puts the cursor in the reply box.
  if (window.location.hash === "#reply") { document.getElementById("reply-text")?.focus(); }
})();
