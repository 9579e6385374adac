// The referral target: a filter box over the grouped station list. Without this script the
// grouped <select> still works (type a station's first character to jump to it).
(function () {
  var filter = document.getElementById("station-filter");
  var select = document.getElementById("station-select");
  var count = document.getElementById("station-count");
  if (!filter || !select) return;
  filter.closest("label").hidden = false;
  var options = Array.prototype.slice.call(select.querySelectorAll("option[data-search]"));
  function apply() {
    var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = [];
    options.forEach(function (option) {
      var text = option.dataset.search.toLowerCase();
      var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
      option.hidden = !hit;
      option.disabled = !hit;
      if (hit) shown.push(option);
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    if (select.selectedOptions.length && select.selectedOptions[0].hidden) select.value = "";
    if (words.length && shown.length === 1) select.value = shown[0].value;
    if (count) {
      count.hidden = !words.length;
      count.textContent = (count.dataset.template || "{n}").replace("{n}", shown.length);
    }
  }
  filter.addEventListener("input", apply);
  filter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); select.focus(); }
  });
})();
