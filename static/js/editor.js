// In-place editing for admins: click a block to edit it, Ctrl+Enter saves, Esc
// cancels, a pause autosaves, blocks move by drag and drop. Every action is an htmx
// request to the same URLs that the plain forms post to without JavaScript.
(function () {
  "use strict";

  const AUTOSAVE_MS = 2000;
  // Clicks meant for something else: links, controls, and forms a block kind shows inside.
  const IGNORE_CLICKS = "a, button, summary, input, select, textarea, label, details, form, .block-tools";

  function csrfToken() {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  }

  // --- click to edit -----------------------------------------------------------
  document.addEventListener("click", (event) => {
    const body = event.target.closest(".block[data-edit-url] .block-body");
    if (!body || event.target.closest(IGNORE_CLICKS) || window.getSelection().toString()) return;
    const block = body.closest(".block");
    htmx.ajax("GET", block.dataset.editUrl, { source: block, target: block, swap: "outerHTML" });
  });

  // --- edit forms: focus, keys, autosave ------------------------------------------
  function setState(form, text, kind) {
    const state = form.querySelector("[data-save-state]");
    if (!state) return;
    state.textContent = text;
    state.dataset.state = kind;
  }

  function initForm(form) {
    if (form.dataset.editorReady) return;
    form.dataset.editorReady = "1";
    let firstField = null;
    for (const textarea of form.querySelectorAll("textarea[data-rich-text]")) {
      const area = window.RichText.attach(textarea);
      firstField = firstField || area;
    }
    firstField = firstField || form.querySelector("input:not([type=hidden]), textarea, select");
    if (firstField) firstField.focus();
    if (form.matches(".block.editing")) {
      form.addEventListener("input", () => scheduleAutosave(form));
      form.addEventListener("change", () => scheduleAutosave(form));
    }
  }

  function scheduleAutosave(form) {
    clearTimeout(form._autosaveTimer);
    setState(form, "Unsaved changes", "dirty");
    form._autosaveTimer = setTimeout(() => autosave(form), AUTOSAVE_MS);
  }

  function autosave(form) {
    if (!form.isConnected) return Promise.resolve();
    setState(form, "Saving…", "saving");
    const request = fetch(form.getAttribute("hx-put"), {
      method: "PUT",
      body: new FormData(form),
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true", "X-Autosave": "1" },
      credentials: "same-origin",
    })
      .then(async (response) => {
        if (response.status === 204) {
          form.querySelector("input[name=version]").value = response.headers.get("X-Block-Version");
          setState(form, "Saved", "saved");
        } else if (response.status === 409) {
          // Someone else saved: show their version instead of overwriting it.
          const html = await response.text();
          htmx.swap(form, html, { swapStyle: "outerHTML" });
        } else if (response.status === 422) {
          setState(form, "Not saved: fix the marked fields, then save.", "failed");
        } else {
          setState(form, `Not saved (error ${response.status}); try the Save button.`, "failed");
        }
      })
      .catch(() => setState(form, "Not saved: the site did not answer; try again.", "failed"))
      .finally(() => { form._autosaving = null; });
    form._autosaving = request;
    return request;
  }

  // An explicit save waits for a running autosave, so it names the newest version.
  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form.block.editing")) return;
    clearTimeout(form._autosaveTimer);
    setState(form, "Saving…", "saving");
    if (form._autosaving) {
      event.preventDefault();
      form._autosaving.then(() => event.detail.issueRequest(true));
    }
  });

  document.addEventListener("keydown", (event) => {
    const form = event.target.closest && event.target.closest("form.editing");
    if (!form) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      clearTimeout(form._autosaveTimer);
      form.querySelector("[data-cancel]").click();
    }
  });

  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (!root.querySelectorAll) return;
    const forms = root.matches("form.editing") ? [root] : root.querySelectorAll("form.editing");
    forms.forEach(initForm);
  });

  // --- errors the server explains -------------------------------------------------
  document.addEventListener("htmx:responseError", (event) => {
    const doc = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    const message = doc.body.textContent.trim() || "Something went wrong; reload the page.";
    const form = event.detail.elt.closest && event.detail.elt.closest("form.editing");
    if (form) setState(form, message, "failed");
    else showToast(message);
  });
  document.addEventListener("htmx:sendError", () => showToast("The site did not answer; check the connection and try again."));

  function showToast(message) {
    let toast = document.getElementById("toast");
    if (!toast) {
      toast = document.createElement("div");
      toast.id = "toast";
      toast.setAttribute("role", "alert");
      document.body.appendChild(toast);
    }
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(toast._timer);
    toast._timer = setTimeout(() => { toast.hidden = true; }, 6000);
  }

  // --- drag and drop ----------------------------------------------------------------
  let dragged = null;
  document.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (handle) handle.closest(".block").draggable = true;
  });
  document.addEventListener("dragstart", (event) => {
    // Only the block itself, made draggable by its handle; things dragged inside a
    // block (gallery items, say) are the block kind's own business.
    const block = event.target.closest && event.target.closest(".block[data-move-url]");
    if (!block || event.target !== block) return;
    dragged = block;
    block.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", block.id);
  });
  document.addEventListener("dragover", (event) => {
    const over = event.target.closest && event.target.closest("#blocks > .block");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    // Past the diagonal of the block we hover over: drop after it, else before it.
    const after = (event.clientY - box.top) / box.height + (event.clientX - box.left) / box.width > 1;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  document.addEventListener("drop", (event) => { if (dragged) event.preventDefault(); });
  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const block = dragged;
    dragged = null;
    block.draggable = false;
    block.classList.remove("dragging");
    const position = [...document.querySelectorAll("#blocks > .block")].indexOf(block);
    htmx.ajax("POST", block.dataset.moveUrl, {
      source: block,
      target: "#blocks",
      swap: "outerHTML",
      values: { position: String(position) },
      headers: { "X-CSRFToken": csrfToken() },
    });
  });
})();
