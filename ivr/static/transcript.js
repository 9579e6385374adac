// Correcting a transcript while listening: in the correction box, Alt+K plays or pauses the
// voicemail's recording and Alt+J goes back 3 seconds, so the hands stay on the keyboard.
// Without this script the form works the same; the player's own controls remain.
(function () {
  document.querySelectorAll(".voicemail .correct-form textarea").forEach(function (box) {
    var audio = box.closest(".voicemail").querySelector("audio");
    if (!audio) return;
    box.addEventListener("keydown", function (event) {
      if (!event.altKey) return;
      var key = (event.code || "").replace("Key", "").toLowerCase();
      if (key === "k") {
        event.preventDefault();
        if (audio.paused) { audio.play(); } else { audio.pause(); }
      } else if (key === "j") {
        event.preventDefault();
        audio.currentTime = Math.max(0, audio.currentTime - 3);
      }
    });
  });
})();
