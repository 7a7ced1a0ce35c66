// The console's one script (served from the package; nothing inline, nothing from elsewhere).
// A form is sent once: its buttons are disabled while the page waits for the answer. The server does
// not rely on it: every form carries an idempotency key, and a second submit of the same key does nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.method && form.method.toLowerCase() === "post") {
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  }
});
