(function () {
  "use strict";
  // The desk's one script. Every change goes to the server as a POST carrying this run's token and
  // the version of the draft on screen; the answer carries the draft and the list as HTML the server
  // escaped, put in place with DOMParser (nothing here ever turns feed text into markup).
  var desk = document.getElementById("desk");
  if (!desk) return;
  var token = desk.dataset.token;
  var base = "/" + desk.dataset.week + "/" + desk.dataset.style + "/desk";
  var sections = JSON.parse(desk.dataset.sections);
  var leadKey = desk.dataset.lead;
  var regions = JSON.parse(desk.dataset.regions);
  var themes = JSON.parse(desk.dataset.themes);
  var filters = document.getElementById("filters");
  var toastEl = document.getElementById("toast");
  var queue = [], busy = false, toastTimer = 0;
  var column = "cands", chosen = { cands: null, draft: null };

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function make(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function version() { var d = $("#draft"); return d ? d.dataset.version : ""; }
  function shown() { return $$("#cand-list .cand").length; }

  function listQuery(offset, limit) {
    var params = new URLSearchParams(new FormData(filters));
    params.set("offset", String(offset || 0));
    if (limit) params.set("limit", String(limit));
    return params.toString();
  }

  // -- putting server HTML in place ------------------------------------------------------------
  function parse(html, id) {
    return new DOMParser().parseFromString(html, "text/html").getElementById(id);
  }
  function swap(id, html) {
    var fresh = parse(html, id), old = document.getElementById(id);
    if (!fresh || !old) return null;
    old.replaceWith(document.adoptNode(fresh));
    return fresh;
  }
  function listKey() { var l = $("#cand-list"); return l ? l.dataset.key : ""; }
  function setList(html) {
    // A list the page shows already (same ranking, draft, filters and page) is left alone, so a
    // live refresh after the desk's own action never closes the menu the editor just opened.
    var fresh = html && parse(html, "cand-list"), old = $("#cand-list");
    if (!fresh || !old || (fresh.dataset.key && fresh.dataset.key === old.dataset.key)) return;
    old.replaceWith(document.adoptNode(fresh));
    counted();
  }
  function setRows(rows, key) {
    if (!rows) return;
    Object.keys(rows).forEach(function (story) {
      var old = $('#cand-list .cand[data-story="' + CSS.escape(story) + '"]');
      var fresh = new DOMParser().parseFromString(rows[story], "text/html").body.firstElementChild;
      if (old && fresh) old.replaceWith(document.adoptNode(fresh));
    });
    var list = $("#cand-list");
    if (list) list.dataset.key = key || "";  // the list now is what that key names
  }
  function counted() { var l = $("#cand-list"); $("#cand-count").textContent = l ? l.dataset.count : ""; }
  function setDraft(html, saved) {
    // saved: the action went through, so an open editor's words are in the file; otherwise (a refusal,
    // a reload from disk) they are not, and the editor opens again with them on the new draft.
    if (!html) return;
    var editing = saved ? null : $("#draft .entry.editing"), kept = null;
    if (editing) kept = { item: editing.dataset.item, text: $("textarea.src", editing).value };
    var front = !saved && $("#front .form:not([hidden])") ? frontValues() : null;
    swap("draft", html);
    wireLinks();
    if (kept) {  // the editor's words survive a reload: the editor is opened again with them
      var again = $('#draft .entry[data-item="' + CSS.escape(kept.item) + '"]');
      if (again) startEdit(again, kept.text);
    }
    if (front) { openFront(); Object.keys(front).forEach(function (k) { $('#front [name="' + k + '"]').value = front[k]; }); }
  }
  function wireLinks() {
    $$("#draft .body a[href]").forEach(function (a) { a.target = "_blank"; a.rel = "noopener noreferrer"; });
  }

  // -- messages --------------------------------------------------------------------------------
  function toast(message, error, notes) {
    toastEl.textContent = message || "";
    if (notes && notes.length) {
      var ul = make("ul");
      notes.forEach(function (n) { ul.appendChild(make("li", {}, n)); });
      toastEl.appendChild(ul);
    }
    toastEl.className = "on" + (error ? " err" : "");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toastEl.className = ""; }, error || (notes && notes.length) ? 9000 : 3500);
  }

  // -- actions ---------------------------------------------------------------------------------
  function act(payload) {
    queue.push({ payload: payload, t0: performance.now() });
    if (!busy) next();
  }
  function next() {
    var job = queue.shift();
    if (!job) { busy = false; return; }
    busy = true;
    var payload = job.payload;
    payload.base = version();
    payload.list = listQuery(0, Math.max(shown(), 100));
    fetch(base + "/action", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Desk-Token": token },
      body: JSON.stringify(payload),
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().then(function (data) { data.status = r.status; return data; });
    }).then(function (data) {
      closePopups();
      setDraft(data.draft, data.ok);
      setList(data.list);
      setRows(data.rows, data.list_key);
      reselect();
      if (data.ok) toast(data.message, false, data.notes);
      else { toast(data.error || "That did not work", true); queue = []; }
      requestAnimationFrame(function () {
        document.dispatchEvent(new CustomEvent("desk:done", {
          detail: { action: payload.action, ok: !!data.ok, ms: performance.now() - job.t0 },
        }));
      });
    }).catch(function () {
      queue = [];
      toast("The preview is not answering: is `newsletter preview` still running?", true);
    }).then(next);
  }

  function itemOf(el) { var row = el && el.closest("[data-item]"); return row ? row.dataset.item : ""; }

  document.addEventListener("click", function (ev) {
    var more = ev.target.closest("#cand-list .more");
    if (more) { loadMore(more); return; }
    if (ev.target.closest(".edit-front")) { openFront(); return; }
    if (ev.target.closest("#front .cancel")) { closeFront(); return; }
    if (ev.target.closest(".entry .cancel")) { stopEdit(ev.target.closest(".entry")); return; }
    var row = ev.target.closest(".cand, .entry");
    if (row && !ev.target.closest("a, details, textarea, input, select, .pop")) select(row);
    var btn = ev.target.closest("[data-action]");
    if (!btn || !desk.contains(btn) && btn.dataset.action !== "undo") {
      if (!ev.target.closest(".menu, .pop")) closePopups();
      return;
    }
    ev.preventDefault();
    run(btn.dataset.action, btn);
  });

  function run(action, btn) {
    var row = btn ? btn.closest("[data-item]") : chosenRow();
    var item = itemOf(row);
    if (action === "undo") return act({ action: "undo" });
    if (action === "edit" && btn && btn.closest("#front")) return saveFront();
    if (!item) return;
    if (action === "move" && btn && btn.dataset.section) return act({ action: "move", item: item, section: btn.dataset.section });
    if (action === "move") return openMenu(row);
    if (action === "relabel" && btn && btn.dataset.apply) return applyRelabel(row, btn.dataset.apply === "clear");
    if (action === "relabel") return openRelabel(row);
    if (action === "edit") {
      if (row.classList.contains("editing")) return act({ action: "edit", item: item, text: $("textarea.src", row).value });
      return startEdit(row);
    }
    if (action === "add" && btn && btn.dataset.section) return act({ action: "add", item: item, section: btn.dataset.section });
    if (["add", "drop", "up", "down", "lead"].indexOf(action) >= 0) return act({ action: action, item: item });
  }

  // -- the move menu and the relabel popover --------------------------------------------------
  function closePopups() { $$(".menu, .pop").forEach(function (el) { el.remove(); }); }

  function openMenu(row) {
    closePopups();
    var current = row.classList.contains("entry") ? row.closest("[data-section]").dataset.section : "";
    var menu = make("div", { class: "menu", role: "menu" });
    menu.appendChild(make("div", { class: "title" }, row.classList.contains("entry") ? "Move to" : "Add to"));
    sections.forEach(function (s, n) {
      var b = make("button", { type: "button", role: "menuitem", "data-action": "move", "data-section": s[0] });
      b.appendChild(make("kbd", {}, String(n + 1)));
      b.appendChild(document.createTextNode(s[1] || (s[0] === leadKey ? "Lead stories" : s[0])));
      if (s[0] === current) { b.setAttribute("aria-current", "true"); b.disabled = true; }
      menu.appendChild(b);
    });
    row.appendChild(menu);
    var first = $("button:not([disabled])", menu);
    if (first) first.focus({ preventScroll: true });
    menu.scrollIntoView({ block: "nearest" });
  }

  function openRelabel(row) {
    closePopups();
    var pop = make("div", { class: "pop", role: "dialog", "aria-label": "relabel" });
    var region = row.dataset.region || "", mine = (row.dataset.themes || "").split(",").filter(Boolean);
    if (!row.dataset.region) {  // a draft entry: its candidate row knows its labels, when it is listed
      var twin = $('#cand-list [data-item="' + CSS.escape(row.dataset.item) + '"]');
      if (twin) { region = twin.dataset.region; mine = (twin.dataset.themes || "").split(",").filter(Boolean); }
    }
    pop.appendChild(make("label", { for: "relabel-region" }, "Region"));
    var sel = make("select", { id: "relabel-region" });
    sel.appendChild(make("option", { value: "" }, "(keep)"));
    regions.forEach(function (r) {
      var o = make("option", { value: r[0] }, r[1]);
      if (r[0] === region) o.selected = true;
      sel.appendChild(o);
    });
    sel.dataset.was = region;
    pop.appendChild(sel);
    pop.appendChild(make("label", {}, "Themes"));
    var box = make("div", { class: "themes" });
    themes.forEach(function (t) {
      var on = mine.indexOf(t[0]) >= 0;
      box.appendChild(make("button", { type: "button", "aria-pressed": on ? "true" : "false", "data-theme": t[0] }, t[1]));
    });
    box.dataset.was = mine.slice().sort().join(",");
    box.addEventListener("click", function (ev) {
      var b = ev.target.closest("button");
      if (b) { ev.stopPropagation(); b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true"); }
    });
    pop.appendChild(box);
    var actions = make("div", { class: "row" });
    actions.appendChild(make("button", { type: "button", class: "primary", "data-action": "relabel", "data-apply": "set" }, "Apply"));
    actions.appendChild(make("button", { type: "button", "data-action": "relabel", "data-apply": "clear" }, "Clear my label"));
    actions.appendChild(make("span", { class: "note" }, "as `newsletter label`"));
    pop.appendChild(actions);
    row.appendChild(pop);
    sel.focus({ preventScroll: true });
    pop.scrollIntoView({ block: "nearest" });
  }

  function applyRelabel(row, clear) {
    var pop = $(".pop", row);
    if (!pop) return;
    var sel = $("select", pop), box = $(".themes", pop);
    var picked = $$("button[aria-pressed=true]", box).map(function (b) { return b.dataset.theme; });
    var payload = { action: "relabel", item: row.dataset.item };
    if (clear) payload.clear = true;
    else {
      if (sel.value && sel.value !== sel.dataset.was) payload.region = sel.value;
      if (picked.slice().sort().join(",") !== box.dataset.was && picked.length) payload.themes = picked;
      if (!payload.region && !payload.themes) { toast("Choose another region or other themes first", true); return; }
    }
    act(payload);
  }

  // -- editing in place ------------------------------------------------------------------------
  function startEdit(row, text) {
    if (!row.classList.contains("entry")) return;
    closePopups();
    var src = $("textarea.src", row);
    row.classList.add("editing");
    $(".body", row).hidden = true;
    src.hidden = false;
    if (text !== undefined) src.value = text;
    if (!$(".row", row)) {
      var bar = make("div", { class: "row" });
      bar.appendChild(make("button", { type: "button", class: "primary", "data-action": "edit" }, "Save"));
      bar.appendChild(make("button", { type: "button", class: "cancel" }, "Cancel"));
      bar.appendChild(make("small", {}, "Markdown · Ctrl+Enter saves · Esc cancels"));
      src.after(bar);
    }
    src.focus();
  }
  function stopEdit(row) {
    if (!row) return;
    var src = $("textarea.src", row);
    row.classList.remove("editing");
    src.value = src.defaultValue;
    src.hidden = true;
    $(".body", row).hidden = false;
    var bar = $(".row", row);
    if (bar) bar.remove();
    row.focus();
  }

  function openFront() {
    var form = $("#front .form");
    form.hidden = false;
    $("#front .show").hidden = true;
    $("input, textarea", form).focus();
  }
  function closeFront() {
    var form = $("#front .form");
    $$("input, textarea", form).forEach(function (el) { el.value = el.defaultValue; });
    form.hidden = true;
    $("#front .show").hidden = false;
  }
  function frontValues() {
    var out = {};
    $$("#front input, #front textarea").forEach(function (el) { if (el.value !== el.defaultValue) out[el.name] = el.value; });
    return out;
  }
  function saveFront() {
    var fields = frontValues();
    if (!Object.keys(fields).length) { closeFront(); return; }
    act({ action: "edit", fields: fields });
  }
  document.addEventListener("submit", function (ev) { ev.preventDefault(); if (ev.target.closest("#front")) saveFront(); });

  // -- the candidates list: filters and more ---------------------------------------------------
  var filterTimer = 0, asked = 0;
  function refilter() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      var mine = ++asked;  // typing fast sends several: only the last answer counts
      fetch(base + "/candidates?" + listQuery(0), { cache: "no-store" })
        .then(function (r) { return r.text(); }).then(function (html) {
          if (mine === asked) { setList(html); reselect(); }
        });
    }, 120);
  }
  filters.addEventListener("input", refilter);
  filters.addEventListener("change", refilter);

  function loadMore(button) {
    fetch(base + "/candidates?" + listQuery(button.dataset.offset), { cache: "no-store" })
      .then(function (r) { return r.text(); }).then(function (html) {
        var page = parse(html, "cand-list");
        if (!page) return;
        button.replaceWith.apply(button, Array.prototype.slice.call(page.childNodes).map(function (n) { return document.adoptNode(n); }));
        $("#cand-list").dataset.key = "";  // longer than one page now: the next refresh sends it whole
      });
  }

  // -- live: another save (the editor's own editor, a redraft) reloads what changed -------------
  function refresh() {
    fetch(base + "/state?" + listQuery(0, Math.max(shown(), 100)), { cache: "no-store" })
      .then(function (r) { return r.json(); }).then(function (data) {
        if (data.version && data.version !== version()) {
          setDraft(data.draft, false);
          toast("The draft changed on disk: the desk shows it as saved");
        }
        setList(data.list);
        reselect();
      }).catch(function () {});
  }
  var lost = false, events = new EventSource("/__events");
  events.onmessage = refresh;
  events.onerror = function () { lost = true; };
  events.onopen = function () { if (lost) { lost = false; refresh(); } };

  // -- selection and keys ----------------------------------------------------------------------
  function rows(col) { return $$(col === "cands" ? "#cand-list .cand" : "#draft .entry"); }
  function chosenRow() {
    var id = chosen[column];
    return id ? $((column === "cands" ? "#cand-list" : "#draft") + ' [data-item="' + CSS.escape(id) + '"]') : null;
  }
  function select(row, focus) {
    if (!row) return;
    $$(".cand.sel, .entry.sel").forEach(function (el) { el.classList.remove("sel"); });
    column = row.classList.contains("cand") ? "cands" : "draft";
    chosen[column] = row.dataset.item;
    row.classList.add("sel");
    if (focus !== false) row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function reselect() {
    var row = chosenRow();
    if (row) select(row, document.activeElement === document.body || document.activeElement === null);
  }
  function step(delta) {
    var list = rows(column), row = chosenRow(), at = row ? list.indexOf(row) : -1;
    var target = list[Math.min(list.length - 1, Math.max(0, at + delta))];
    if (target) select(target);
  }
  function switchTo(col) {
    column = col;
    var row = chosenRow() || rows(col)[0];
    if (row) select(row);
  }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target, typing = t.matches && t.matches("input, textarea, select");
    var menu = $(".menu");
    if (ev.key === "Escape") {
      if (menu || $(".pop")) { var owner = (menu || $(".pop")).closest("[data-item]"); closePopups(); if (owner) owner.focus(); }
      else if (t.closest && t.closest(".entry.editing")) stopEdit(t.closest(".entry"));
      else if (t.closest && t.closest("#front")) closeFront();
      else if (typing) t.blur();
      return;
    }
    if (typing && t.closest(".pop") && ev.key === "Enter") {
      ev.preventDefault();
      applyRelabel(t.closest("[data-item]"), false);
      return;
    }
    if (typing) {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
        ev.preventDefault();
        if (t.closest(".entry.editing")) run("edit", $("[data-action=edit]", t.closest(".entry .row") || t.closest(".entry")));
        else if (t.closest("#front")) saveFront();
        else if (t.closest(".pop")) applyRelabel(t.closest("[data-item]"), false);
      }
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z") { ev.preventDefault(); act({ action: "undo" }); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (menu) {  // the move menu: a digit picks, arrows walk, Enter takes the focused one
      var items = $$("button:not([disabled])", menu), at = items.indexOf(document.activeElement);
      if (/^[1-9]$/.test(ev.key)) {
        var pick = $$("button", menu)[Number(ev.key) - 1];
        if (pick && !pick.disabled) pick.click();
      } else if (ev.key === "ArrowDown" || ev.key === "j") {
        (items[at + 1] || items[0]).focus();
      } else if (ev.key === "ArrowUp" || ev.key === "k") {
        (items[at - 1] || items[items.length - 1]).focus();
      } else if (ev.key === "Enter" || ev.key === " " || ev.key === "Tab") {
        return;  // the browser's own: press the focused button, or move on
      }
      ev.preventDefault();
      return;
    }
    if ($(".pop")) {  // the relabel popover: its own controls take the keys; Enter applies
      if (ev.key === "Enter" && !t.matches("button")) {
        ev.preventDefault();
        applyRelabel(t.closest("[data-item]"), false);
      }
      return;
    }
    var handled = true, row = chosenRow();
    switch (ev.key) {
      case "/": $("input[name=q]", filters).focus(); break;
      case "j": step(1); break;
      case "k": step(-1); break;
      case "ArrowDown": if (ev.shiftKey) { if (column === "draft") run("down"); } else step(1); break;
      case "ArrowUp": if (ev.shiftKey) { if (column === "draft") run("up"); } else step(-1); break;
      case "J": if (column === "draft") run("down"); break;
      case "K": if (column === "draft") run("up"); break;
      case "ArrowLeft": case "h": switchTo("cands"); break;
      case "ArrowRight": switchTo("draft"); break;
      case "a": if (row && column === "cands" && !row.classList.contains("placed")) run("add"); break;
      case "l": run("lead"); break;
      case "m": run("move"); break;
      case "e": case "Enter": if (row && column === "draft") startEdit(row); else if (row) toggleWhy(row); break;
      case "r": run("relabel"); break;
      case "d": case "Delete": if (column === "draft") run("drop"); break;
      case "x": if (row) toggleWhy(row); break;
      case "o": var a = row && $("a.open", row); if (a) a.click(); break;
      case "u": act({ action: "undo" }); break;
      case "i": openFront(); break;
      case "?": toast("Keys: j/k select · ←/→ column · a add · l lead · m move · ⇧↑/⇧↓ reorder · e edit · r relabel · d drop · x why · u undo · / search · i details"); break;
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });
  function toggleWhy(row) { var d = $("details", row); if (d) d.open = !d.open; }
  // "Why" is fetched when first opened: the gate's verdict, the score's parts, each label's evidence.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.matches || !d.matches("details.explain") || !d.open || d.dataset.loaded) return;
    d.dataset.loaded = "1";
    fetch(base + "/why?item=" + encodeURIComponent(itemOf(d)), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(); })
      .then(function (html) {
        var list = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
        if (list) d.appendChild(document.adoptNode(list));
      }).catch(function () { delete d.dataset.loaded; });
  }, true);

  counted();
  wireLinks();
  var first = rows("cands")[0];
  if (first) { column = "cands"; chosen.cands = first.dataset.item; first.classList.add("sel"); }
})();
