// Live pages: one event stream per page (server-sent events, see statboard/live).
// <body data-live-src> is the stream's signed URL, data-live-last the id of the last
// event when the page was rendered, data-live-channels the channels the token grants.
// - block: a block changed; it is fetched again, unless an editor for it is open,
//   which is never overwritten: it says that saving now would be refused.
// - layout: blocks added, removed, moved or resized; the grid is reconciled in place.
// - page, nav: the page's heading, title, address and the navigation are refreshed.
// - counter: the value of the counters showing that key is set at once.
// - any event: elements whose data-live-on names its channel fetch their hx-get again
//   (swapped as their hx-swap says), at most every data-live-every seconds, and only
//   if the event's data holds the fields of their data-live-match (JSON).
// - resync: the page missed events it cannot be sent; every block is fetched again.
// - renew: the token expired; the page is fetched again for a fresh one.
// While the stream is open, polls (hx-trigger="every …") of elements whose channels
// it carries are skipped; they run again whenever it is not.
(function () {
  "use strict";

  const body = document.body;
  if (!body.dataset.liveSrc || !window.EventSource) return;

  // EventSource hands over only the event types it is told of: every type published.
  const TYPES = ["alert", "block", "layout", "page", "nav", "counter", "host", "hosts", "samples",
    "task", "resync", "renew"];
  const MAX_BACKOFF_S = 30;
  const BUSY_RETRY_MS = 250;
  const NOTICE = "This block was just saved elsewhere; saving now will be refused — " +
    "reload it to see the new version.";
  const STATES = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    offline: "Offline: refreshing every few seconds",
  };

  let src = body.dataset.liveSrc;
  let last = body.dataset.liveLast || "";
  let granted = new Set((body.dataset.liveChannels || "").split(/\s+/).filter(Boolean));
  let source = null;
  let open = false;
  let attempt = 0;
  let timer = null;
  let renewing = false;
  const throttled = new Map(); // element id (or element) -> {at, timer} of its last refresh

  // --- the indicator -------------------------------------------------------------
  function setState(state) {
    const status = document.getElementById("live-status");
    body.dataset.liveState = state;
    if (!status) return;
    status.hidden = false;
    status.dataset.state = state;
    status.textContent = STATES[state];
  }

  // --- the connection ------------------------------------------------------------
  function connect() {
    clearTimeout(timer);
    if (source) source.close();
    const url = new URL(src, location.href);
    if (last) url.searchParams.set("last", last);
    source = new EventSource(url);
    source.onopen = () => {
      open = true;
      renewing = false;
      attempt = 0;
      setState("live");
    };
    source.onerror = () => {
      // CLOSED: the server refused the stream (403: the token expired or is not valid);
      // otherwise the connection broke, and we reconnect ourselves, with backoff.
      const refused = source.readyState === EventSource.CLOSED;
      source.close();
      source = null;
      open = false;
      if (!refused) {
        renewing = false;
        retryLater();
      } else if (renewing) {
        stop(); // even a fresh token is refused: this viewer may not read
      } else {
        renew(true);
      }
    };
    for (const type of TYPES) source.addEventListener(type, received);
  }

  function retryLater() {
    const seconds = Math.min(MAX_BACKOFF_S, 2 ** attempt);
    attempt += 1;
    setState("reconnecting");
    clearTimeout(timer);
    timer = setTimeout(connect, seconds * 1000);
  }

  function stop() {
    clearTimeout(timer);
    if (source) source.close();
    source = null;
    open = false;
    setState("offline");
  }

  // A fresh copy of this page, as the viewer may see it now: null if it is refused
  // (logged out, no longer allowed, gone), undefined if the site cannot answer now.
  async function fetchPage(url) {
    let response;
    try {
      response = await fetch(url || location.href, {
        credentials: "same-origin", redirect: "manual", headers: { Accept: "text/html" },
      });
    } catch (error) {
      return undefined; // unreachable: not a refusal
    }
    if (response.type === "opaqueredirect" || [401, 403, 404, 410].includes(response.status)) {
      return null; // sent to the login form, refused, or gone
    }
    if (!response.ok) return undefined;
    return new DOMParser().parseFromString(await response.text(), "text/html");
  }

  // Take the fresh page's token if this one needs renewing or names other channels
  // (a block added that reads a new counter); true if the stream should reconnect.
  function adopt(doc, renewal) {
    const fresh = doc.body.dataset;
    const channels = fresh.liveChannels || "";
    if (!fresh.liveSrc || (!renewal && channels === body.dataset.liveChannels)) return false;
    granted = new Set(channels.split(/\s+/).filter(Boolean));
    body.dataset.liveChannels = channels;
    src = body.dataset.liveSrc = fresh.liveSrc;
    return true;
  }

  // The token expired (`renew`), or was refused: a new one comes with the page. A
  // refusal of the page, or of its new token, means this viewer may no longer read.
  async function renew(afterRefusal) {
    renewing = afterRefusal;
    if (source) source.close();
    source = null;
    open = false;
    setState("reconnecting");
    const doc = await fetchPage();
    if (doc === undefined) {
      renewing = false;
      retryLater();
    } else if (doc === null || !doc.body.dataset.liveSrc) {
      stop();
    } else {
      adopt(doc, true);
      connect(); // a refusal of this new token is final (see onerror)
    }
  }

  // --- events --------------------------------------------------------------------
  function received(event) {
    let data = {};
    try {
      data = JSON.parse(event.data || "{}");
    } catch (error) {
      data = {};
    }
    if (event.lastEventId) last = event.lastEventId;
    if (data.channel) remember(data, event.lastEventId);
    const handler = HANDLERS[event.type];
    if (handler) handler(data);
    if (data.channel) notify(data.channel, data, event.type);
    document.dispatchEvent(new CustomEvent("statboard:live", { detail: { type: event.type, data } }));
  }

  // --- fragments rendered before events they missed ------------------------------
  // A fragment fetched now (a task's progress, say) is as of its data-live-since id; an
  // event on its channels that came before it was in the page makes it fetch itself.
  const recent = []; // {channel, data, id}, the last RECENT events
  const RECENT = 200;

  function remember(data, id) {
    recent.push({ channel: data.channel, data, id });
    if (recent.length > RECENT) recent.shift();
  }

  function newer(id, since) {
    const [a, b] = [id, since].map((x) => (x || "").split(/-(?=\d+$)/));
    return a.length === 2 && b.length === 2 && a[0] === b[0] && Number(a[1]) > Number(b[1]);
  }

  function catchUp(root) {
    const found = root.matches && root.matches("[data-live-since]") ? [root] : [];
    found.push(...(root.querySelectorAll ? root.querySelectorAll("[data-live-since]") : []));
    for (const el of found) {
      const channels = channelsOf(el);
      const missed = recent.some((e) => channels.includes(e.channel) && matches(el, e.data)
        && newer(e.id, el.dataset.liveSince));
      if (missed) refresh(el);
    }
  }

  document.addEventListener("htmx:load", (event) => catchUp(event.detail.elt));

  const HANDLERS = {
    block: (data) => blockChanged(data.block, data.version),
    layout: () => reconcile(false),
    resync: () => reconcile(true),
    page: (data) => refreshHead(data.slug),
    nav: () => refreshHead(null),
    counter: (data) => setCounter(data.key, data.value),
    renew: () => renew(false),
  };

  function blockUrl(id) {
    return `/blocks/${encodeURIComponent(id)}`;
  }

  // An open editor is never replaced: the block's own form, or one inside it (a
  // gallery item, an account), a field being typed in (the add-a-host form), or an
  // open panel holding something typed and not yet sent.
  function isEditing(el) {
    const focused = document.activeElement;
    return el.matches(".editing") || Boolean(el.querySelector(".editing, .is-editing")) ||
      (el.contains(focused) && focused.matches("input, textarea, select, [contenteditable]")) ||
      Array.from(el.querySelectorAll(".block-panel:popover-open")).some(holdsInput);
  }

  function holdsInput(panel) {
    return Array.from(panel.querySelectorAll("input, textarea")).some((field) => {
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      if (field.type === "file") return field.files.length > 0;
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  function blockChanged(id, version) {
    const el = document.getElementById(`block-${id}`);
    if (!el || !el.closest("#blocks")) return;
    if (busy(el)) {
      // Its own save may be on its way (and be this very version): look once it is back.
      setTimeout(() => blockChanged(id, version), BUSY_RETRY_MS);
      return;
    }
    if (el.matches("form.editing")) {
      const mine = el.querySelector("input[name=version]");
      if (mine && Number(mine.value) < version) showNotice(el, id);
      return;
    }
    if (shownVersion(el) >= version) return;
    if (isEditing(el)) {
      setTimeout(() => blockChanged(id, version), BUSY_RETRY_MS * 4);
      return;
    }
    htmx.ajax("GET", blockUrl(id), { source: el, target: el, swap: "outerHTML" });
  }

  // An htmx request of its own, or of something in it, is on its way; or htmx is still
  // swapping it in: for that moment it wears the classes of what it replaced (htmx copies
  // them so that transitions run), and an editor just opened does not look like one.
  function busy(el) {
    return el.matches(".htmx-request, .htmx-swapping, .htmx-added, .htmx-settling") ||
      Boolean(el.querySelector(".htmx-request"));
  }

  // The version the page shows of a block: a kind's own fragment (a gallery after an
  // upload) may be swapped in without the block around it, with a newer data-version.
  function shownVersion(el) {
    const marked = [el, ...el.querySelectorAll("[data-version]")];
    return Math.max(...marked.map((node) => Number(node.dataset.version || 0)));
  }

  function showNotice(form, id) {
    if (form.querySelector("[data-live-notice]")) return;
    const notice = document.createElement("div");
    notice.className = "live-notice";
    notice.setAttribute("role", "alert");
    notice.dataset.liveNotice = "";
    const text = document.createElement("p");
    text.textContent = NOTICE;
    const reload = document.createElement("button");
    reload.type = "button";
    reload.className = "secondary";
    reload.textContent = "Reload it";
    reload.addEventListener("click", () => {
      clearTimeout(form._autosaveTimer);
      htmx.ajax("GET", blockUrl(id), { source: form, target: form, swap: "outerHTML" });
    });
    notice.append(text, reload);
    form.prepend(notice);
  }

  // Make #blocks what the fresh page has, moving the blocks that stay, keeping any
  // editor that is open; `all` takes every other block anew (after missed events).
  // One at a time: changes during a fetch make one more, so the last one wins.
  let reconciling = null; // null, or {all} of the run still owed after the current one

  async function reconcile(all) {
    if (reconciling) {
      reconciling.again = true;
      reconciling.all = reconciling.all || all;
      return;
    }
    reconciling = { again: false, all: false };
    try {
      while (document.querySelector("#blocks .dragging")) await pause(BUSY_RETRY_MS);
      const doc = await fetchPage();
      if (doc) applyPage(doc, all);
    } finally {
      const owed = reconciling;
      reconciling = null;
      if (owed.again) reconcile(owed.all);
    }
  }

  // The classes that say how a block is laid out, without htmx's passing ones
  // (htmx-added, htmx-settling), which a block just swapped in still carries.
  function sameLayout(a, b) {
    const layout = (el) => Array.from(el.classList).filter((c) => !c.startsWith("htmx-")).sort().join(" ");
    return layout(a) === layout(b);
  }

  function pause(ms) {
    return new Promise((resolve) => { setTimeout(resolve, ms); });
  }

  function applyPage(doc, all) {
    // Moving or re-rendering the block that holds the focus drops it to the page: a
    // keyboard user pressing ↓ again would press nothing. Give it back by id.
    const focusedId = document.activeElement && document.activeElement.id;
    placeBlocks(doc, all);
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focusedId && lost) document.getElementById(focusedId)?.focus();
    refreshHeadFrom(doc);
    if (adopt(doc, false)) connect();
  }

  function placeBlocks(doc, all) {
    const grid = document.getElementById("blocks");
    const fresh = doc.getElementById("blocks");
    if (grid && fresh) {
      let before = grid.firstElementChild;
      for (const next of Array.from(fresh.children)) {
        const current = next.id ? document.getElementById(next.id) : null;
        // A fresh copy may be older than the block shown (fetched before an answer that
        // was swapped in meanwhile): never go back to it. Of one version, the copy wins
        // only if its layout differs (a resize keeps the version).
        const shown = current ? shownVersion(current) : 0;
        const fetched = Number(next.dataset.version || 0);
        const keep = current && current.parentNode === grid && (isEditing(current) || busy(current) ||
          (!all && (shown > fetched || (shown === fetched && sameLayout(current, next)))));
        let node = current;
        if (keep) {
          if (!busy(current)) refreshTools(current, next);
        } else {
          if (current && current === before) before = before.nextElementSibling;
          if (current) current.remove();
          node = document.createElement("div");
        }
        if (node === before) before = before.nextElementSibling;
        else grid.insertBefore(node, before);
        if (!keep) htmx.swap(node, next.outerHTML, { swapStyle: "outerHTML" });
      }
      // What is left after the fresh blocks is gone from the page, bar open editors.
      while (before) {
        const following = before.nextElementSibling;
        if (!isEditing(before)) before.remove();
        before = following;
      }
    }
  }

  // Tools name positions and spans: take the fresh ones for a block kept as it was.
  function refreshTools(current, next) {
    const tools = current.querySelector(":scope > .block-tools");
    const fresh = next.querySelector(":scope > .block-tools");
    if (tools && fresh && tools.outerHTML !== fresh.outerHTML) {
      htmx.swap(tools, fresh.outerHTML, { swapStyle: "outerHTML" });
    }
  }

  function pageUrl(slug) {
    return slug === "home" ? "/" : `/${encodeURIComponent(slug)}`;
  }

  // This tab's own save of the head is answered with the new head, or sent on to the
  // page's new address: its event, which may come first, must not move it meanwhile.
  function savingHead() {
    return Boolean(document.querySelector("#page-head.htmx-request"));
  }

  // A page event names the page's address as of the event. A page shown from the
  // browser's cache replays the events since it was rendered, and a replayed one may
  // name an address the page has left (which now redirects, or is another page's): the
  // address moves only to one that answers with this very page.
  async function refreshHead(slug) {
    if (savingHead()) return;
    const url = slug ? pageUrl(slug) : location.href;
    const doc = await fetchPage(url);
    if (!doc || savingHead() || pageOf(doc) !== pageOf(document)) return;
    if (slug && new URL(url, location.href).pathname !== location.pathname) {
      history.replaceState(history.state, "", url + location.hash);
    }
    refreshHeadFrom(doc);
  }

  function pageOf(doc) {
    const head = doc.getElementById("page-head");
    return head ? head.dataset.page : undefined;
  }

  function refreshHeadFrom(doc) {
    document.title = doc.title;
    for (const id of ["page-head", "site-nav"]) {
      const current = document.getElementById(id);
      const fresh = doc.getElementById(id);
      // Not while edited, nor while a request of its own (opening the menu editor) is
      // on its way: its answer would go to the part this swap takes out of the page.
      if (current && fresh && !current.matches(".editing, .nav-editor") && !busy(current) &&
          current.outerHTML !== fresh.outerHTML) {
        htmx.swap(current, fresh.outerHTML, { swapStyle: "outerHTML" });
      }
    }
  }

  const COUNT = new Intl.NumberFormat("en-US");

  function setCounter(key, value) {
    for (const el of document.querySelectorAll("[data-counter-key]")) {
      if (el.dataset.counterKey !== key) continue;
      const data = el.querySelector(".counter-value data");
      if (data) {
        data.value = String(value);
        data.textContent = COUNT.format(value);
      }
    }
  }

  // Generic: tell the elements that follow this channel, at most every data-live-every s.
  function notify(channel, data, type) {
    const quoted = channel.replace(/["\\]/g, "\\$&");
    for (const el of document.querySelectorAll(`[data-live-on~="${quoted}"]`)) {
      if (!matches(el, data)) continue;
      const every = Number(el.dataset.liveEvery || 0) * 1000;
      const key = el.id || el; // a self-replacing element keeps its id, and its pace
      const seen = throttled.get(key) || { at: 0, timer: null };
      throttled.set(key, seen);
      const wait = seen.at + every - Date.now();
      if (wait <= 0) {
        seen.at = Date.now();
        refresh(el);
      } else if (!seen.timer) {
        seen.timer = setTimeout(() => {
          seen.timer = null;
          seen.at = Date.now();
          const now = typeof key === "string" ? document.getElementById(key) : key;
          if (now && now.isConnected) refresh(now);
        }, wait);
      }
    }
  }

  // The element's own request, as its poll would make it.
  function refresh(el) {
    const url = el.getAttribute("hx-get");
    if (!url) return;
    if (el.classList.contains("htmx-request")) {
      setTimeout(() => { if (el.isConnected) refresh(el); }, BUSY_RETRY_MS);
      return;
    }
    const swap = el.getAttribute("hx-swap") || "outerHTML";
    ownFetches.add(el); // not a poll: the fallback below lets it through
    htmx.ajax("GET", url, { source: el, target: el, swap });
  }

  function channelsOf(el) { // what an element follows: its data-live-on
    return ((el.dataset && el.dataset.liveOn) || "").split(/\s+/).filter(Boolean);
  }

  function matches(el, data) {
    if (!el.dataset.liveMatch) return true;
    try {
      const wanted = JSON.parse(el.dataset.liveMatch);
      return Object.keys(wanted).every((k) => String(data[k]) === String(wanted[k]));
    } catch (error) {
      return true;
    }
  }

  // --- polling, the fallback ---------------------------------------------------------
  const ownFetches = new WeakSet(); // elements refetching themselves for an event
  function followedLive(el) {
    const channels = channelsOf(el);
    return open && channels.length > 0 && channels.every((c) => granted.has(c));
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    const config = event.detail.requestConfig || {};
    const trigger = (elt.getAttribute && elt.getAttribute("hx-trigger")) || "";
    if (ownFetches.delete(elt)) return; // an event's refresh
    if (!config.triggeringEvent && /(^|,)\s*every\s/.test(trigger) && followedLive(elt)) {
      event.preventDefault(); // a poll, with the stream open: events bring the changes
    }
  });

  window.StatboardLive = {
    get state() { return body.dataset.liveState; },
    get last() { return last; },
  };
  setState("connecting");
  connect();
})();
