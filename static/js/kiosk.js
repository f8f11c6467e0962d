// The kiosk view (?kiosk=1): a clock in the viewer's own time, and, when the page
// names a next one (?cycle=N), that page after N seconds, in the kiosk view too.
// A next page that does not answer is tried again after another N seconds, so a
// wall screen never ends on an error page while the site restarts.
(function () {
  "use strict";

  function startClock(clock) {
    const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
    const day = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
    function tick() {
      const now = new Date();
      clock.dateTime = now.toISOString();
      clock.textContent = time.format(now);
      clock.title = day.format(now);
      setTimeout(tick, 1000 - now.getMilliseconds() + 5);
    }
    tick();
  }

  function startCycle(next, seconds) {
    async function go() {
      try {
        const answer = await fetch(next, { method: "HEAD", credentials: "same-origin" });
        if (answer.ok) {
          location.assign(next);
          return;
        }
      } catch (error) {
        // the site is unreachable for now: stay, and try again
      }
      setTimeout(go, seconds * 1000);
    }
    setTimeout(go, seconds * 1000);
  }

  function start() {
    const bar = document.querySelector("[data-kiosk]");
    if (!bar) return;
    const clock = bar.querySelector("[data-kiosk-clock]");
    if (clock) startClock(clock);
    const seconds = Number(bar.dataset.kioskCycle);
    if (bar.dataset.kioskNext && seconds > 0) startCycle(bar.dataset.kioskNext, seconds);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
