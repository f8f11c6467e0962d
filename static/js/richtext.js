// A small rich-text editor: a contenteditable area with a toolbar, kept in sync
// with the form's textarea (which is the editor when JavaScript is off).
// The server sanitizes whatever arrives; this only makes the markup pleasant to write.
(function () {
  "use strict";

  const BUTTONS = [
    { label: "B", title: "Bold", run: () => document.execCommand("bold") },
    { label: "I", title: "Italic", run: () => document.execCommand("italic") },
    { label: "H", title: "Heading", run: () => toggleBlock("h2") },
    { label: "• List", title: "Bulleted list", run: () => document.execCommand("insertUnorderedList") },
    { label: "❝ Quote", title: "Quote", run: () => toggleBlock("blockquote") },
    { label: "Link", title: "Link the selected text", run: addLink },
  ];

  function toggleBlock(tag) {
    const current = String(document.queryCommandValue("formatBlock")).toLowerCase();
    document.execCommand("formatBlock", false, current === tag ? "p" : tag);
  }

  function addLink() {
    const url = window.prompt("Link to (https://…, mailto:…):", "https://");
    if (!url) return;
    if (!/^(https?:\/\/|mailto:)/i.test(url.trim())) {
      window.alert("Links start with http://, https:// or mailto:.");
      return;
    }
    document.execCommand("createLink", false, url.trim());
  }

  function attach(textarea) {
    if (textarea.dataset.richTextReady) return;
    textarea.dataset.richTextReady = "1";
    const toolbar = document.createElement("div");
    toolbar.className = "rt-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Text formatting");
    const area = document.createElement("div");
    area.className = "rt-area rich-text";
    area.contentEditable = "true";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-label", "Text");
    area.innerHTML = textarea.value;
    for (const spec of BUTTONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "tool";
      button.textContent = spec.label;
      button.title = spec.title;
      button.setAttribute("aria-label", spec.title);
      // Keep the selection in the text while the button is pressed.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        area.focus();
        spec.run();
        sync();
      });
      toolbar.appendChild(button);
    }
    function sync() {
      textarea.value = area.innerHTML;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.addEventListener("input", sync);
    textarea.hidden = true;
    textarea.after(toolbar, area);
    document.execCommand("defaultParagraphSeparator", false, "p");
    return area;
  }

  window.RichText = { attach };
})();
