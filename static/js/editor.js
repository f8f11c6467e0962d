// In-place editing for admins: click a block to edit it, a pause autosaves, blocks
// move by drag and drop (the keys and error messages are site.js's). Every action is
// an htmx request to the same URLs that the plain forms post to without JavaScript.
(function () {
  "use strict";

  const AUTOSAVE_MS = 2000;
  // Clicks meant for something else: links, controls, forms a block kind shows inside,
  // and what a kind handles itself or shows live (marked data-own-clicks: its panel,
  // a gallery's pictures, a host tile).
  const IGNORE_CLICKS =
    "a, button, summary, input, select, textarea, label, details, form, .block-tools, [data-own-clicks]";

  // --- click to edit -----------------------------------------------------------
  document.addEventListener("click", (event) => {
    const body = event.target.closest(".block[data-edit-url] .block-body");
    if (!body || event.target.closest(IGNORE_CLICKS) || window.getSelection().toString()) return;
    const block = body.closest(".block");
    htmx.ajax("GET", block.dataset.editUrl, { source: block, target: block, swap: "outerHTML" });
  });

  // An editor takes its block's place at least as tall as the block was, so that the
  // page does not jump under the pointer (a gallery's settings are one field). The rule
  // is in a stylesheet of its own: a style attribute on the form would be copied by
  // htmx's swaps with setAttribute, which the Content-Security-Policy refuses.
  const keptSizes = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, keptSizes];
  const heights = new Map();
  document.addEventListener("htmx:beforeSwap", (event) => {
    const block = event.detail.target;
    if (!block.matches || !block.matches("article.block")) return;
    heights.set(block.id, block.getBoundingClientRect().height);
    keptSizes.replaceSync(Array.from(heights, ([id, height]) =>
      `form#${CSS.escape(id)}.editing { min-height: ${height}px; }`).join("\n"));
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
    // The form shows a moment before this runs: a field clicked meanwhile keeps the focus.
    if (firstField && !form.contains(document.activeElement)) firstField.focus();
    if (form.matches(".block.editing")) {
      form.addEventListener("input", () => scheduleAutosave(form));
      form.addEventListener("change", () => scheduleAutosave(form));
    }
  }

  function scheduleAutosave(form) {
    clearTimeout(form._autosaveTimer);
    form._edits = (form._edits || 0) + 1;
    form.dataset.unsaved = "1";
    setState(form, "Unsaved changes", "dirty");
    form._autosaveTimer = setTimeout(() => autosave(form), AUTOSAVE_MS);
  }

  // The form's own PUT, marked X-Autosave: the server answers 204 with the new version
  // (the editor stays open) or 409 with the current content, which htmx swaps in.
  function autosave(form) {
    if (!form.isConnected) return;
    if (form.classList.contains("htmx-request")) {
      scheduleAutosave(form); // a save is on its way: try again after it
      return;
    }
    form._sentEdits = form._edits;
    htmx.ajax("PUT", form.getAttribute("hx-put"), {
      source: form, target: form, swap: "outerHTML", headers: { "X-Autosave": "1" },
    });
  }

  function isAutosave(detail) {
    return Boolean(detail.requestConfig && detail.requestConfig.headers["X-Autosave"]);
  }

  // An explicit save (or an autosave) stops the pending autosave. A save pressed while
  // an autosave is on its way waits in htmx's queue for the form, so it names the
  // version that autosave answers.
  document.addEventListener("htmx:confirm", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form.block.editing")) return;
    clearTimeout(form._autosaveTimer);
    setState(form, "Saving…", "saving");
  });

  document.addEventListener("htmx:validation:halted", (event) => {
    const form = event.detail.elt;
    if (form.matches && form.matches("form.block.editing")) {
      markFields(form, (event.detail.errors || []).map((e) => [e.elt, e.message]));
      setState(form, "Not saved: fill in the marked fields, then save.", "failed");
    }
  });

  // An autosave's 422 keeps what is being typed: say so instead of swapping the form.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (isAutosave(event.detail) && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const detail = event.detail;
    const form = detail.elt;
    if (!isAutosave(detail) || !form.isConnected) return;
    const status = detail.xhr.status;
    if (status === 204) {
      form.querySelector("input[name=version]").value = detail.xhr.getResponseHeader("X-Block-Version");
      // The first autosave says where the version the editor opened on is kept.
      form._restoreUrl = form._restoreUrl || detail.xhr.getResponseHeader("X-Restore-Url");
      if (form._edits === form._sentEdits) delete form.dataset.unsaved;
      markFields(form, null);
      setState(form, "Saved", "saved");
    } else if (status === 422) {
      markFields(form, refusedFields(form, detail.xhr.responseText));
      setState(form, "Not saved: fix the marked fields, then save.", "failed");
    }
  });

  // A refused autosave marks the fields it names (aria-invalid and the sentence beside
  // the field), as a refused save's form would: `marks` is [field, sentence] pairs,
  // null clears them.
  function markFields(form, marks) {
    form.querySelectorAll("[data-autosave-error]").forEach((el) => el.remove());
    form.querySelectorAll("[data-autosave-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      delete el.dataset.autosaveInvalid;
    });
    for (const [field, sentence] of marks || []) {
      if (!field || !form.contains(field) || field.getAttribute("aria-invalid") === "true") continue;
      const message = document.createElement("p");
      message.className = "field-error";
      message.id = `${field.id || field.name}-autosave-error`;
      message.dataset.autosaveError = "1";
      message.textContent = sentence || "Fix this field, then save.";
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", message.id);
      field.dataset.autosaveInvalid = "1";
      (field.closest(".field") || field.parentNode).appendChild(message);
    }
  }

  // The fields a 422 answer marked, as [field of this form, the server's sentence].
  function refusedFields(form, html) {
    const doc = new DOMParser().parseFromString(html || "", "text/html");
    return [...doc.querySelectorAll("[aria-invalid=true][name]")].map((bad) => {
      const said = doc.getElementById(bad.getAttribute("aria-describedby") || "");
      const field = form.querySelector(`[name="${CSS.escape(bad.getAttribute("name"))}"]`);
      return [field, said ? said.textContent.trim() : ""];
    });
  }

  // Cancel, by Esc or by hand, drops the pending autosave. After an autosave it brings
  // the block back to what it was when the editor opened: that version is restored
  // (a new version, announced like any edit).
  document.addEventListener("click", (event) => {
    const cancel = event.target.closest && event.target.closest("form.editing [data-cancel]");
    if (!cancel) return;
    const form = cancel.closest("form");
    clearTimeout(form._autosaveTimer);
    if (!form._restoreUrl) return;
    event.preventDefault();
    event.stopPropagation();
    delete form.dataset.unsaved;
    htmx.ajax("POST", form._restoreUrl, {
      source: form,
      target: form,
      swap: "outerHTML",
      values: { version: form.querySelector("input[name=version]").value },
    });
  }, true);

  // Leaving the page asks first while an editor holds changes not saved yet.
  window.addEventListener("beforeunload", (event) => {
    const unsaved = [...document.querySelectorAll("form.block.editing[data-unsaved]")];
    if (!unsaved.some((form) => form.isConnected)) return;
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("htmx:load", (event) => {
    const root = event.detail.elt;
    if (!root.querySelectorAll) return;
    const forms = root.matches("form.editing") ? [root] : root.querySelectorAll("form.editing");
    forms.forEach(initForm);
  });

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
    });
  });
})();
