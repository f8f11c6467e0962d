// Block panels (pages/_panel.html) are popovers that open and close without this file.
// A form in a panel is answered with the part of the block that holds the panel, which
// htmx swaps in closed: open it again, and put the focus back in it (on the field the
// answer marks invalid, else on the panel), so that the result or the error shows.
(function () {
  "use strict";

  const open = new Map(); // panel id -> whether the focus was in it

  document.addEventListener("htmx:beforeSwap", () => {
    for (const panel of document.querySelectorAll(".block-panel:popover-open")) {
      open.set(panel.id, open.get(panel.id) || panel.contains(document.activeElement));
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    for (const [id, focused] of open) {
      open.delete(id);
      const panel = document.getElementById(id);
      if (!panel || panel.matches(":popover-open")) continue;
      // Opened from its Manage…, as by hand: Esc then gives the focus back to it.
      const source = document.querySelector(`[popovertarget="${id}"]`);
      if (focused && source) source.focus({ preventScroll: true });
      panel.showPopover(source ? { source } : undefined);
      if (focused && !panel.contains(document.activeElement)) {
        (panel.querySelector("[aria-invalid=true]") || panel).focus({ preventScroll: true });
      }
    }
  });
})();
