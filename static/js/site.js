// What every page shares, loaded before the other scripts:
// - the CSRF token, for the few requests a script builds itself;
// - the editing keys: in a form marked data-edit-keys, Ctrl/Cmd+Enter saves and Esc
//   presses its [data-cancel];
// - errors: an htmx request that fails says why, in the status line ([data-status]) of
//   the block it came from, or else in the page's one toast (#toast);
// - polling (hx-trigger="every Ns") pauses while the page is hidden: done here, since
//   an htmx filter ("[document.visibilityState ...]") is eval, which the CSP forbids.
(function () {
  "use strict";

  const UNREACHABLE = "Could not reach the site; check your connection and try again.";
  const TOAST_MS = 8000;
  const MAX_SENTENCE = 300;
  let token = null;

  function csrfToken() {
    if (token === null) {
      try {
        token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
      } catch (error) {
        token = "";
      }
    }
    return token;
  }

  // The sentence the server gave with an error: JSON's message, or the text of
  // errors/_error.html.
  function errorText(xhr) {
    let text = "";
    if ((xhr.getResponseHeader("Content-Type") || "").includes("json")) {
      try {
        text = String(JSON.parse(xhr.responseText).message || "");
      } catch (error) {
        text = "";
      }
    } else {
      const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      const alerts = Array.from(doc.querySelectorAll("[role=alert]"));
      const message = doc.querySelector(".error-message") ||
        alerts.find((el) => el.textContent.trim()) || doc.body;
      text = message.textContent;
    }
    text = text.trim().replace(/\s+/g, " ");
    // A whole page (from a proxy, say) is no sentence: fall back to the status.
    if (text && text.length <= MAX_SENTENCE) return text;
    return `That did not work (error ${xhr.status}); reload the page and try again.`;
  }

  function toast(message) {
    const region = document.getElementById("toast");
    if (!region) return;
    region.textContent = message;
    clearTimeout(region._timer);
    region._timer = setTimeout(() => { region.textContent = ""; }, TOAST_MS);
  }

  // Where an error about `elt`'s request is said: its block's status line, else the toast.
  function say(elt, message) {
    const scope = elt && elt.closest && elt.closest(".block, [data-status-scope]");
    const status = scope && scope.querySelector("[data-status]");
    if (status) {
      status.textContent = message;
      status.dataset.state = "failed";
    } else {
      toast(message);
    }
  }

  document.addEventListener("htmx:responseError", (event) => {
    say(event.detail.elt, errorText(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", (event) => say(event.detail.elt, UNREACHABLE));

  document.addEventListener("htmx:beforeRequest", (event) => {
    const trigger = (event.detail.elt.getAttribute && event.detail.elt.getAttribute("hx-trigger")) || "";
    if (document.visibilityState !== "visible" && /^\s*every\s/.test(trigger)) {
      event.preventDefault();
    }
  });

  // htmx wires the forms of a swap when it settles: a submit in between (Enter on a
  // button that kept the focus) would leave the page. Wiring it first lets htmx take
  // this very submit; wiring twice does nothing.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (window.htmx && form.matches("[hx-post], [hx-put], [hx-get], [hx-delete], [hx-patch]")) {
      htmx.process(form);
    }
  }, true);

  document.addEventListener("keydown", (event) => {
    const form = event.target.closest && event.target.closest("[data-edit-keys]");
    if (!form) return;
    const save = event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.requestSubmit;
    const cancel = event.key === "Escape" && form.querySelector("[data-cancel]");
    if (!save && !cancel) return;
    event.preventDefault();
    if (save) {
      form.requestSubmit(); // wired by htmx at its submit, if not yet (above)
      return;
    }
    // An editor just swapped in is wired by htmx when the swap settles, and the browser
    // may focus its autofocus field before that: Esc in between would follow Cancel's
    // link without htmx. Wiring it twice does nothing.
    if (window.htmx) htmx.process(form);
    cancel.click();
  });

  // A control marked data-keep-focus (the ↑/↓ of blocks and of the navigation editor)
  // keeps the focus when its request swaps it for a new copy: pressing Enter again
  // moves again. Tied to its own request: a poll or a live refresh settling first
  // must not use it up.
  let keepFocus = null; // {id, xhr}
  document.addEventListener("htmx:beforeRequest", (event) => {
    const focused = document.activeElement;
    if (focused && focused.id && focused.matches("[data-keep-focus]") &&
        event.detail.elt.contains(focused)) {
      keepFocus = { id: focused.id, xhr: event.detail.xhr };
    }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!keepFocus || event.detail.xhr !== keepFocus.xhr) return;
    const again = document.getElementById(keepFocus.id);
    keepFocus = null;
    if (again && again !== document.activeElement) again.focus();
  });

  window.Statboard = { csrfToken, errorText, say, toast, UNREACHABLE };
})();
