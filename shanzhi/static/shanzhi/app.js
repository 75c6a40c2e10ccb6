// Small behaviours for every page. No inline scripts: the Content-Security-Policy forbids them.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.matches && target.matches("select[data-autosubmit]")) {
    target.form.submit();
  }
});
