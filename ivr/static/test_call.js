/* The test call: type 0-9, * or # to press the keypad's key, and keep the latest step in view. */
(function () {
  'use strict';
  var keypad = document.querySelector('.keypad');
  if (keypad) {
    document.addEventListener('keydown', function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
      var buttons = keypad.querySelectorAll('button[data-key]');
      for (var i = 0; i < buttons.length; i++) {
        if (buttons[i].dataset.key === event.key) { event.preventDefault(); buttons[i].click(); return; }
      }
    });
    keypad.dataset.ready = '1'; /* keys typed from now on reach it */
  }
  var latest = document.querySelector('#test-call-action, #test-call-outcome');
  if (latest && latest.scrollIntoView) latest.scrollIntoView({block: 'nearest'});
  var version = document.getElementById('test-call-version');
  if (version && !document.getElementById('transcript')) {
    /* Before a call starts, choosing another version shows whether it can be called. */
    version.addEventListener('change', function () {
      var url = new URL(window.location.href);
      url.searchParams.set('version', version.value);
      window.location.assign(url.toString());
    });
  }
}());
