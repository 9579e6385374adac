// Transcript follows the recording: the word being spoken lights up, a click on a word
// plays from there. Due times count down without reloading the page (the queue itself
// updates in place: queue_live.js).
(function () {
  document.querySelectorAll(".voicemail").forEach(function (section) {
    var audio = section.querySelector("audio");
    var words = Array.prototype.slice.call(section.querySelectorAll(".word"));
    if (!audio || !words.length) return;
    words.forEach(function (word) {
      word.addEventListener("click", function () {
        audio.currentTime = parseFloat(word.dataset.start);
        audio.play();
      });
    });
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime;
      words.forEach(function (word) {
        var on = t >= parseFloat(word.dataset.start) && t < parseFloat(word.dataset.end);
        word.classList.toggle("playing", on);
      });
    });
  });

  var left = document.body.dataset.left, late = document.body.dataset.late;
  function countDown() {
    document.querySelectorAll(".due[data-due]").forEach(function (due) {
      var minutes = Math.floor((Date.parse(due.dataset.due) - Date.now()) / 60000);
      due.classList.toggle("late", minutes < 0);
      due.textContent = minutes < 0
        ? late.replace("{m}", -minutes)
        : left.replace("{h}", Math.floor(minutes / 60)).replace("{m}", minutes % 60);
    });
  }
  if (left && late) setInterval(countDown, 30000);
})();
