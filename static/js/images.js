// Image and gallery blocks for admins: drop a file on an image to replace it, drop
// files on a gallery to add them, drag gallery items to reorder them, click a picture
// of a gallery to edit it. The forms and links in the partials work without this file;
// it only adds dropping, dragging and the click.
(function () {
  "use strict";

  function say(root, message, isError) {
    const status = root.querySelector(".image-status");
    if (!status) return;
    status.textContent = message;
    status.dataset.state = isError ? "failed" : "";
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

  // A dropped file goes into the block's own upload form, which htmx sends as it
  // sends a file chosen by hand; the server's answer (the block again, 409 or 422
  // with the reason) is swapped by htmx.
  document.addEventListener("drop", (event) => {
    const root = dropTarget(event);
    if (!root || !hasFiles(event)) return;
    event.preventDefault();
    root.classList.remove("is-drop-target");
    const files = event.dataTransfer.files;
    if (!files.length || tooLarge(root, files)) return;
    const form = root.querySelector(".image-upload, .gallery-add");
    form.querySelector("input[type=file]").files = files;
    if (root.dataset.needsAlt === "1") {
      // An image needs its alt text first: keep the file in the form and ask for it.
      form.querySelector("input[name=alt]").focus();
      say(root, "Describe the image in the alt text field, then press Upload.");
      return;
    }
    form.requestSubmit();
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

  // While htmx sends an upload: say what is happening and dim the block.
  function uploading(event) {
    // A swap's event is on its target; the form that asked is in its request.
    const config = event.detail.requestConfig;
    const form = (config && config.elt) || event.detail.elt;
    if (!form.matches || !form.matches(".image-upload, .gallery-add")) return null;
    return form.closest(".image-block, .gallery-block");
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const root = uploading(event);
    if (!root) return;
    const count = event.detail.elt.querySelector("input[type=file]").files.length;
    say(root, root.matches(".image-block") ? "Uploading…" : `Adding ${count} image(s)…`);
    root.classList.add("is-busy");
  });

  // Undimmed before the swap as well as after the request: htmx lends the old block's
  // attributes to the new one until it settles, so a class left on until afterRequest
  // would dim the new pictures for that moment.
  function doneUploading(event) {
    const root = uploading(event);
    if (root) root.classList.remove("is-busy");
  }
  document.addEventListener("htmx:beforeSwap", doneUploading);
  document.addEventListener("htmx:afterRequest", doneUploading);

  // --- A click on a gallery picture opens its editor ----------------------------------
  // The item's own Edit (its title and caption), in place of that item only; the rest of
  // the block stays as it is.

  document.addEventListener("click", (event) => {
    const item = event.target.closest(".gallery-block[data-order-url] .gallery-item:not(.is-editing)");
    if (!item || event.target.closest("a, button, form, .gallery-controls")) return;
    if (window.getSelection().toString()) return;
    const edit = item.querySelector(".gallery-controls a[hx-get]");
    if (!edit) return;
    event.preventDefault();
    htmx.ajax("GET", edit.getAttribute("hx-get"), { source: item, target: item, swap: "outerHTML" });
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
    const order = Array.from(root.querySelectorAll(".gallery-item[data-item-id]"), (li) => li.dataset.itemId);
    say(root, "Saving the new order…");
    htmx.ajax("PUT", root.dataset.orderUrl, {
      source: root,
      target: root.closest(".block") || root,
      swap: "outerHTML",
      values: { version: root.dataset.version, order: order },
    });
  });
})();
