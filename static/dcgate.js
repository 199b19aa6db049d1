// dcgate: small progressive enhancements; every page works without this file.
(function () {
  'use strict';
  // Confirm dialogs for delete forms that carry data-confirm.
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
