// The job page follows its job: status and new log lines, once a second,
// until the job has ended and no new line came.
"use strict";
(function () {
  const log = document.getElementById("log");
  if (!log || !log.dataset.follow) return;
  const status = document.getElementById("job-status");
  const reason = document.getElementById("job-reason");
  const logError = document.getElementById("log-error");
  let next = "";
  let quiet = 0; // empty polls since the job ended
  async function poll() {
    let done = false;
    try {
      const res = await fetch(log.dataset.follow + (next ? "?next=" + encodeURIComponent(next) : ""), { credentials: "same-origin" });
      const body = await res.json();
      if (!res.ok) {
        logError.textContent = body.error || res.statusText;
        logError.hidden = false;
        return;
      }
      status.textContent = body.status;
      reason.textContent = body.statusReason || "";
      if (body.logError) {
        logError.textContent = body.logError;
        logError.hidden = false;
      }
      for (const line of body.events) log.append(line + "\n");
      const ended = body.status === "SUCCEEDED" || body.status === "FAILED";
      quiet = ended && body.events.length === 0 ? quiet + 1 : 0;
      done = quiet >= 2;
      if (body.next) next = body.next;
      if (ended) log.dataset.ended = "true";
    } catch (e) {
      logError.textContent = String(e);
      logError.hidden = false;
    }
    if (!done) setTimeout(poll, 1000);
  }
  poll();
})();
