/* The visit form on a phone: show the fields that fit the choice, attach the location, one submit. */
(function () {
  var form = document.getElementById("visit-form");
  if (!form) { return; }
  function field(name) { return form.querySelector("[data-field=" + name + "]"); }
  function sync() {
    var kind = form.querySelector("input[name=kind]:checked");
    var patrol = kind && kind.value === "patrol";
    if (field("household")) { field("household").hidden = patrol; }
    if (field("grid")) { field("grid").hidden = !patrol; }
    var box = form.querySelector("input[name=report_case]");
    var caseOn = box && box.checked;
    form.querySelectorAll("[data-case]").forEach(function (el) { el.hidden = !caseOn; });
  }
  form.addEventListener("change", sync);
  sync();
  var lat = form.querySelector("input[name=location_lat]");
  var lng = form.querySelector("input[name=location_lng]");
  var status = document.getElementById("location-status");
  if (navigator.geolocation && lat && !lat.value) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      if (status) { status.textContent = status.getAttribute("data-attached"); }
    }, function () {}, {timeout: 8000, maximumAge: 600000});
  }
  form.addEventListener("submit", function () {
    var button = document.getElementById("save-visit");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
})();
