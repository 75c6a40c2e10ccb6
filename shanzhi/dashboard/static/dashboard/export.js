// The Export button of a list page sends the list's current filter (htmx may have changed it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.matches && form.matches("form[data-export-list]")) {
    var input = form.querySelector("[data-export-query]");
    if (input) { input.value = window.location.search.replace(/^\?/, ""); }
  }
});
