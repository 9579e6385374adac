// Transcript follows the recording: the word being spoken lights up, a click on a word
// plays from there. Due times count down without reloading the page.
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

  var refresh = document.getElementById("refresh");
  if (refresh) setTimeout(function () { window.location.href = refresh.href; }, 60000);
})();
