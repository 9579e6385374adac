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

  // The same words as the server's (labels.due_text): the largest whole unit.
  var forms = document.body.dataset;
  function dueText(late, m) {
    var n = m, unit = "m";
    if (m >= 1440) { n = Math.floor(m / 1440); unit = "d"; }
    else if (m >= 60) { n = Math.floor(m / 60); unit = "h"; }
    return forms[(late ? "dueLate" : "dueLeft") + unit.toUpperCase()].replace("{n}", n);
  }
  function countDown() {
    document.querySelectorAll(".due[data-due]").forEach(function (due) {
      var seconds = (Date.parse(due.dataset.due) - Date.now()) / 1000;
      due.classList.toggle("late", seconds < 0);
      due.textContent = dueText(seconds < 0, Math.floor(Math.abs(seconds) / 60));
    });
  }
  if (forms.dueLateM) setInterval(countDown, 30000);
})();
