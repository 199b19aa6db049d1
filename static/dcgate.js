// dcgate: small progressive enhancements; every page works without this file.
(function () {
  'use strict';
  // Confirm dialogs for delete forms that carry data-confirm.
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
  // Delete links (data-confirm-post) open a confirm page without JavaScript; with it, a
  // dialog asks instead and the delete is POSTed with the page's CSRF token.
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[data-confirm-post]');
    var token = document.querySelector('input[name="_csrf"]');
    if (!a || !token || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    if (!window.confirm(a.getAttribute('data-confirm-post'))) return;
    var f = document.createElement('form');
    f.method = 'post';
    f.action = a.getAttribute('href');
    var i = document.createElement('input');
    i.type = 'hidden';
    i.name = '_csrf';
    i.value = token.value;
    f.appendChild(i);
    document.body.appendChild(f);
    f.submit();
  });
  // Import: a chosen file is read into the text box (without JavaScript, paste it).
  var importFile = document.getElementById('import-file');
  if (importFile && window.FileReader) {
    document.getElementById('import-file-field').hidden = false;
    importFile.addEventListener('change', function () {
      var file = importFile.files && importFile.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () { document.getElementById(importFile.getAttribute('data-fill')).value = String(reader.result); };
      reader.readAsText(file);
    });
  }
  // ---- authorization tab and endpoints ----
  // Authorization: only the settings groups of the chosen method show.
  function showAuthGroups(select) {
    var form = select.form;
    var groups = form.querySelectorAll('.auth-group[data-auth-methods]');
    for (var i = 0; i < groups.length; i++) {
      var methods = groups[i].getAttribute('data-auth-methods').split(' ');
      groups[i].hidden = methods.indexOf(select.value) < 0;
    }
    var hints = form.querySelectorAll('.auth-nojs-hint');
    for (var j = 0; j < hints.length; j++) hints[j].hidden = true;
  }
  var authSelect = document.querySelector('select[data-auth-method]');
  if (authSelect) {
    showAuthGroups(authSelect);
    authSelect.addEventListener('change', function () { showAuthGroups(authSelect); });
  }
  // Endpoint rows: "+Header"/"+Parameter" and "Remove" work in place instead of submitting.
  function renumberRow(tr, prefix, n) {
    var re1 = new RegExp(prefix + '-\\d+-', 'g');
    var re2 = new RegExp(prefix + '\\[\\d+\\]', 'g');
    var els = tr.querySelectorAll('[id],[for],[name],[aria-describedby]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      ['id', 'for', 'name', 'aria-describedby'].forEach(function (a) {
        var v = el.getAttribute(a);
        if (v) el.setAttribute(a, v.replace(re1, prefix + '-' + n + '-').replace(re2, prefix + '[' + n + ']'));
      });
      if (el.tagName === 'LABEL') el.textContent = el.textContent.replace(/\d+/, String(n + 1));
      if (el.tagName === 'BUTTON') el.value = String(n);
    }
    tr.setAttribute('data-n', String(n));
  }
  function clearRow(tr) {
    var inputs = tr.querySelectorAll('input');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].type === 'checkbox') inputs[i].checked = false; else inputs[i].value = '';
      inputs[i].removeAttribute('aria-invalid');
      inputs[i].removeAttribute('aria-describedby');
    }
    var msgs = tr.querySelectorAll('.field-msg');
    for (var j = 0; j < msgs.length; j++) msgs[j].parentNode.removeChild(msgs[j]);
  }
  document.addEventListener('click', function (ev) {
    var add = ev.target.closest && ev.target.closest('[data-add-row]');
    var rm = ev.target.closest && ev.target.closest('[data-remove-row]');
    if (add) {
      var prefix = add.getAttribute('data-add-row');
      var body = add.form && add.form.querySelector('table[data-rows="' + prefix + '"] tbody');
      var rows = body ? body.querySelectorAll('tr') : [];
      if (!rows.length) return;
      ev.preventDefault();
      var next = 0;
      for (var i = 0; i < rows.length; i++) next = Math.max(next, Number(rows[i].getAttribute('data-n')) + 1);
      var tr = rows[rows.length - 1].cloneNode(true);
      clearRow(tr);
      renumberRow(tr, prefix, next);
      body.appendChild(tr);
      var first = tr.querySelector('input[type="text"]');
      if (first) first.focus();
    } else if (rm) {
      var row = rm.closest('tr');
      if (!row) return;
      ev.preventDefault();
      if (row.parentNode.querySelectorAll('tr').length > 1) row.parentNode.removeChild(row);
      else clearRow(row);
    }
  });
  // "Copy" next to the cURL command.
  var copies = document.querySelectorAll('[data-copy]');
  for (var k = 0; k < copies.length; k++) {
    copies[k].hidden = false;
    copies[k].addEventListener('click', function (ev) {
      var box = document.getElementById(ev.currentTarget.getAttribute('data-copy'));
      if (!box) return;
      box.select();
      if (navigator.clipboard) navigator.clipboard.writeText(box.value).catch(function () {});
      else document.execCommand('copy');
    });
  }
  // ---- accounts ----
  // Permission editor: any box of a group ticks its View, Create ticks Edit; clearing View
  // clears the rest of the group (the server adds View and Edit by the same rule).
  document.addEventListener('change', function (ev) {
    var box = ev.target;
    var group = box.closest && box.closest('[data-perm-group]');
    var action = box.getAttribute && box.getAttribute('data-perm-action');
    if (!group || !action) return;
    function set(act, on) {
      var boxes = group.querySelectorAll('input[data-perm-action' + (act ? '="' + act + '"' : '') + ']');
      for (var i = 0; i < boxes.length; i++) if (!boxes[i].disabled) boxes[i].checked = on;
    }
    if (box.checked && action !== 'view') set('view', true);
    if (box.checked && action === 'create') set('edit', true);
    if (!box.checked && action === 'view') set('', false);
  });
})();
