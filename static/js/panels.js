// Block panels (pages/_panel.html) are popovers that open and close without this file.
// A form in a panel is answered with the part of the block that holds the panel, which
// htmx swaps in closed: open it again, and put the focus back in it (on the field the
// answer marks invalid, else on the panel), so that the result or the error shows.
(function () {
  "use strict";

  // id -> {panel, focused}: an open panel a swap is replacing, and whether it had the focus
  const replacing = new Map();

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!event.detail.shouldSwap || !target) return;
    for (const panel of document.querySelectorAll(".block-panel:popover-open")) {
      // A swap elsewhere (the host list refreshing itself) leaves the panel as it is:
      // one closed by the user meanwhile stays closed.
      if (!target.contains(panel)) continue;
      const focused = panel.contains(document.activeElement) || Boolean(replacing.get(panel.id)?.focused);
      replacing.set(panel.id, { panel, focused });
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    for (const [id, { panel: old, focused }] of replacing) {
      if (old.isConnected) {
        if (!old.matches(":popover-open")) replacing.delete(id); // closed, not replaced
        continue; // its swap is still to come
      }
      replacing.delete(id);
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
