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

// The settlement form's discount, live: (total balance - amount) / total balance, beside the role's limit.
// Only a hint: the form works without it, and the workflow's validator decides.
function showDiscount(input) {
  var out = document.getElementById("settlement-discount");
  if (!out || !out.dataset.balance) { return; }
  var balance = parseFloat(out.dataset.balance);
  var amount = parseFloat(String(input.value).replace(/,/g, ""));
  if (!(balance > 0) || !(amount > 0)) { return; }
  var percent = (balance - amount) * 100 / balance;
  var text = out.dataset.label + ": " + percent.toFixed(2) + "%";
  if (out.dataset.limit) {
    var above = percent > parseFloat(out.dataset.limit);
    text += " (" + (above ? out.dataset.above : out.dataset.within) + " " + out.dataset.limit + "%)";
    out.classList.toggle("bad", above);
  }
  out.textContent = text;
}
document.addEventListener("input", function (event) {
  if (event.target.id === "settlement-amount") { showDiscount(event.target); }
});
document.addEventListener("DOMContentLoaded", function () {
  var amount = document.getElementById("settlement-amount");
  if (amount && amount.value) { showDiscount(amount); }
});

// An evidence file above the store's cap is refused before it is sent (the server refuses it too).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (input.type === "file" && input.dataset.maxBytes) {
    var big = Array.prototype.some.call(input.files, function (f) { return f.size > Number(input.dataset.maxBytes); });
    input.setCustomValidity(big ? "larger than " + input.dataset.maxBytes + " bytes" : "");
  }
});
