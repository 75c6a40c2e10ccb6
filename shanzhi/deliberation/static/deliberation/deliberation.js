// Deliberation pages: no inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  var form = event.target.closest("form[data-autosubmit]");
  if (form) form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
