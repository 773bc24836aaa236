// A "Copy" button: <button type="button" data-copy="element-id">; copies that element's text.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.value !== undefined ? source.value : source.textContent).then(function () {
    var done = button.getAttribute("data-copied");
    if (done) { var label = button.textContent; button.textContent = done; setTimeout(function () { button.textContent = label; }, 2000); }
  });
});
