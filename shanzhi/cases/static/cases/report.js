// The phone report form: camera previews, the phone's location, the household picker.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var photos = form.querySelector("input[type=file]");
  var previews = document.getElementById("previews");
  if (photos && previews) {
    photos.addEventListener("change", function () {
      previews.textContent = "";
      Array.prototype.forEach.call(photos.files, function (file) {
        if (!file.type || file.type.indexOf("image/") !== 0) {
          var span = document.createElement("span");
          span.className = "file";
          span.textContent = file.name;
          previews.appendChild(span);
          return;
        }
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        previews.appendChild(img);
      });
    });
  }
  var locate = document.getElementById("locate");
  var label = document.getElementById("location-label");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { label.textContent = locate.dataset.failed; return; }
      label.textContent = locate.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=location_lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=location_lng]").value = pos.coords.longitude.toFixed(6);
        label.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
      }, function () { label.textContent = locate.dataset.failed; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
  var results = document.getElementById("household-results");
  var picked = document.getElementById("picked");
  var pickedLabel = document.getElementById("picked-label");
  var hidden = form.querySelector("[name=household]");
  var address = form.querySelector("[name=address]");
  if (results) {
    results.addEventListener("click", function (event) {
      var button = event.target.closest("button.pick");
      if (!button) { return; }
      hidden.value = button.dataset.id;
      pickedLabel.textContent = button.dataset.label;
      picked.hidden = false;
      if (address && !address.value) { address.value = button.dataset.address; }
      results.textContent = "";
      document.getElementById("household-q").value = "";
    });
  }
  var unpick = document.getElementById("unpick");
  if (unpick) {
    unpick.addEventListener("click", function () { hidden.value = ""; picked.hidden = true; });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    window.setTimeout(function () { button.disabled = true; }, 0);
  });
})();
