// Live response clocks: every [data-deadline] shows the time left (or over),
// counted in the browser between the server's own refreshes.
(function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  const units = new Intl.RelativeTimeFormat(lang, { numeric: "always" });

  function describe(ms) {
    const minutes = Math.round(ms / 60000);
    if (Math.abs(minutes) < 60) return units.format(minutes, "minute");
    const hours = Math.round(minutes / 60);
    if (Math.abs(hours) < 48) return units.format(hours, "hour");
    return units.format(Math.round(hours / 24), "day");
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (clock) {
      const due = Date.parse(clock.dataset.deadline);
      if (!Number.isNaN(due)) clock.textContent = "(" + describe(due - now) + ")";
    });
  }

  tick();
  setInterval(tick, 15000);
  document.addEventListener("htmx:afterSwap", tick);
})();
