// The Export button of a list page sends the list's current filter (htmx may have changed it),
// plus what the page itself fixes (data-fixed, e.g. the village of a village's ledger).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.matches && form.matches("form[data-export-list]")) {
    var input = form.querySelector("[data-export-query]");
    if (input) {
      input.value = [window.location.search.replace(/^\?/, ""), input.getAttribute("data-fixed") || ""]
        .filter(function (part) { return part; }).join("&");
    }
  }
});
