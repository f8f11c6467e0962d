// Image and gallery blocks for admins: drop a file on an image to replace it, drop
// files on a gallery to add them, drag gallery items to reorder them. The forms in
// the partials work without this file; it only adds dropping and dragging.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(root, message, isError) {
    const status = root.querySelector(".image-status");
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("is-error", Boolean(isError));
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1);
  }

  function tooLarge(root, files) {
    const limit = Number(root.dataset.maxBytes || 0);
    const total = Array.from(files).reduce((sum, file) => sum + file.size, 0);
    if (limit && total > limit) {
      say(root, `That is ${megabytes(total)} MB; this site takes at most ${megabytes(limit)} MB ` +
        "at once. Choose a smaller file.", true);
      return true;
    }
    return false;
  }

  function errorText(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const message = doc.querySelector(".error-message, [role=alert]");
    return message ? message.textContent.trim() : "";
  }

  // The server answers the whole block (the pages engine's wrapper): swap it for ours.
  function swap(root, html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    if (!fresh) return;
    (root.closest(".block") || root).replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  }

  // Send a form body the way htmx would, and swap the block the server answers.
  async function send(root, url, method, body, busy) {
    say(root, busy);
    root.classList.add("is-busy");
    let response;
    try {
      response = await fetch(url, {
        method: method,
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
    } catch (error) {
      root.classList.remove("is-busy");
      say(root, "The site could not be reached; check the connection and try again.", true);
      return;
    }
    const html = await response.text();
    root.classList.remove("is-busy");
    if (response.ok || response.status === 409 || response.status === 422) {
      swap(root, html);
    } else {
      say(root, errorText(html) || `That did not work (error ${response.status}); try again.`, true);
    }
  }

  function hasFiles(event) {
    return event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
  }

  function dropTarget(event) {
    return event.target.closest(".image-block[data-upload-url], .gallery-block[data-add-url]");
  }

  // --- Dropping files -----------------------------------------------------------

  document.addEventListener("dragover", (event) => {
    const root = dropTarget(event);
    if (!root || !hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    root.classList.add("is-drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const root = dropTarget(event);
    if (root && !root.contains(event.relatedTarget)) root.classList.remove("is-drop-target");
  });

  document.addEventListener("drop", (event) => {
    const root = dropTarget(event);
    if (!root || !hasFiles(event)) return;
    event.preventDefault();
    root.classList.remove("is-drop-target");
    const files = event.dataTransfer.files;
    if (!files.length || tooLarge(root, files)) return;
    const body = new FormData();
    body.append("version", root.dataset.version);
    if (root.matches(".image-block")) {
      if (root.dataset.needsAlt === "1") {
        // An image needs its alt text first: keep the file in the form and ask for it.
        const form = root.querySelector(".image-upload");
        form.querySelector("input[type=file]").files = files;
        form.querySelector("input[name=alt]").focus();
        say(root, "Describe the image in the alt text field, then press Upload.");
        return;
      }
      body.append("file", files[0]);
      send(root, root.dataset.uploadUrl, "POST", body, "Uploading…");
    } else {
      Array.from(files).forEach((file) => body.append("files", file));
      send(root, root.dataset.addUrl, "POST", body, `Adding ${files.length} image(s)…`);
    }
  });

  // Choosing a file uploads it at once when the form is otherwise complete.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches(".image-upload input[type=file], .gallery-add input[type=file]")) return;
    const root = input.closest(".image-block, .gallery-block");
    if (tooLarge(root, input.files)) {
      input.value = "";
      return;
    }
    const form = input.form;
    if (form.checkValidity()) form.requestSubmit();
  });

  // Forms posted by htmx that fail with an error htmx does not swap: say why.
  document.addEventListener("htmx:responseError", (event) => {
    const root = event.detail.elt.closest(".image-block, .gallery-block");
    if (!root) return;
    const xhr = event.detail.xhr;
    say(root, errorText(xhr.responseText) || `That did not work (error ${xhr.status}); try again.`, true);
  });

  // --- Reordering gallery items ------------------------------------------------------

  let dragged = null;

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest(".gallery-block[data-order-url] .gallery-item");
    if (!item) return;
    dragged = item;
    item.classList.add("is-dragged");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.itemId);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = event.target.closest(".gallery-item");
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientX > box.left + box.width / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    const item = dragged;
    dragged = null;
    item.classList.remove("is-dragged");
    const root = item.closest(".gallery-block");
    const body = new URLSearchParams({ version: root.dataset.version });
    root.querySelectorAll(".gallery-item[data-item-id]").forEach((li) => {
      body.append("order", li.dataset.itemId);
    });
    send(root, root.dataset.orderUrl, "PUT", body, "Saving the new order…");
  });

  // --- Keyboard in an item's edit form: Esc cancels, Ctrl+Enter saves ------------------

  document.addEventListener("keydown", (event) => {
    const form = event.target.closest && event.target.closest(".gallery-item-edit");
    if (!form) return;
    if (event.key === "Escape") {
      event.preventDefault();
      form.querySelector(".cancel").click();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
