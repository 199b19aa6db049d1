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
  // Switching the method drops the stored secrets the new one does not use: say which
  // while choosing, and ask before saving.
  var SECRET_USE = { password: ['basic', 'oauth2_password'], token: ['bearer'],
    client_secret: ['oauth2_password', 'oauth2_client_credentials'], api_key: ['api_key'] };
  var SECRET_LABEL = { password: 'Password', token: 'Token', client_secret: 'Client Secret', api_key: 'API Key' };
  function dropped(select) {
    var w = document.getElementById('auth-drop-warning');
    var stored = w ? (w.getAttribute('data-stored') || '').split(/\s+/).filter(Boolean) : [];
    return stored.filter(function (s) { return SECRET_USE[s] && SECRET_USE[s].indexOf(select.value) < 0; })
      .map(function (s) { return SECRET_LABEL[s]; });
  }
  function showDropWarning(select) {
    var w = document.getElementById('auth-drop-warning');
    if (!w) return;
    var d = dropped(select);
    w.hidden = d.length === 0;
    w.textContent = d.length ? 'Saving with this method deletes the stored ' + d.join(' and ') + '.' : '';
  }
  var authSelect = document.querySelector('select[data-auth-method]');
  if (authSelect) {
    showAuthGroups(authSelect);
    showDropWarning(authSelect);
    authSelect.addEventListener('change', function () { showAuthGroups(authSelect); showDropWarning(authSelect); });
    authSelect.form.addEventListener('submit', function (ev) {
      var d = dropped(authSelect);
      if (d.length && !window.confirm('Saving with this method deletes the stored ' + d.join(' and ') + '. Save anyway?')) ev.preventDefault();
    });
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
  // "Copy" next to the cURL command, with "Copied" said where a screen reader hears it.
  var copies = document.querySelectorAll('[data-copy]');
  for (var k = 0; k < copies.length; k++) {
    copies[k].hidden = false;
    copies[k].addEventListener('click', function (ev) {
      var btn = ev.currentTarget;
      var box = document.getElementById(btn.getAttribute('data-copy'));
      if (!box) return;
      box.select();
      var said = btn.parentNode.querySelector('.copy-status');
      if (!said) {
        said = document.createElement('span');
        said.className = 'copy-status';
        said.setAttribute('role', 'status');
        btn.parentNode.insertBefore(said, btn.nextSibling);
      }
      function done() { said.textContent = 'Copied'; btn.textContent = 'Copied'; setTimeout(function () { btn.textContent = 'Copy'; said.textContent = ''; }, 2000); }
      if (navigator.clipboard) navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand('copy'); done(); });
      else { document.execCommand('copy'); done(); }
    });
  }
  // Import (a connector, or endpoints): a chosen file fills the text box (the form still
  // posts the text; without JavaScript, paste it).
  var file = document.querySelector('input[type="file"][data-fill]');
  if (file && window.FileReader) {
    file.closest('.import-file').hidden = false;
    file.addEventListener('change', function () {
      var box = document.getElementById(file.getAttribute('data-fill'));
      var said = document.getElementById('import-file-status');
      var f = file.files && file.files[0];
      if (!f || !box) return;
      if (f.size > 4 * 1024 * 1024) { if (said) said.textContent = 'This file is larger than 4 MiB.'; return; }
      var r = new FileReader();
      r.onload = function () { box.value = String(r.result); if (said) said.textContent = f.name + ' was read: ' + f.size + ' bytes.'; };
      r.onerror = function () { if (said) said.textContent = f.name + ' could not be read.'; };
      r.readAsText(f);
    });
  }
  // Endpoint editor: empty header, parameter and body panels start closed, and the Request
  // Body stays out of sight for GET and DELETE until asked for (without JavaScript every
  // panel is open).
  var epForm = document.querySelector('form.endpoint-form');
  if (epForm) {
    var panels = epForm.querySelectorAll('details.panel');
    for (var pi = 0; pi < panels.length; pi++) {
      var p = panels[pi];
      if (p.id === 'sample-panel' || p.id === 'test-panel') continue;
      var filled = [].some.call(p.querySelectorAll('input[type="text"], textarea'), function (el) { return el.value.trim() !== ''; });
      var keep = p.querySelector('#keep_bodies_days');
      if (keep) filled = keep.value.trim() !== '' && keep.value.trim() !== '0';
      if (!filled && !p.querySelector('[aria-invalid="true"]')) p.open = false;
    }
    var bodyPanel = document.getElementById('body-panel');
    var methodSel = epForm.querySelector('select[name="method"]');
    var bodyBox = bodyPanel && bodyPanel.querySelector('textarea');
    if (bodyPanel && methodSel && bodyBox && !methodSel.closest('fieldset[disabled]')) {
      var ask = document.createElement('button');
      ask.type = 'button';
      ask.id = 'show-body';
      ask.textContent = 'Add a request body';
      bodyPanel.parentNode.insertBefore(ask, bodyPanel);
      var asked = false;
      var syncBody = function () {
        var quiet = (methodSel.value === 'GET' || methodSel.value === 'DELETE') && bodyBox.value.trim() === '' && !asked;
        bodyPanel.hidden = quiet;
        ask.hidden = !quiet;
      };
      ask.addEventListener('click', function () { asked = true; syncBody(); bodyPanel.open = true; bodyBox.focus(); });
      methodSel.addEventListener('change', function () { syncBody(); if (!bodyPanel.hidden) bodyPanel.open = true; });
      syncBody();
    }
  }
  // ---- lists ----
  // Times are stored and sent in UTC ("YYYY-MM-DD HH:MM:SS"); shown in the browser's time
  // zone, the UTC value kept in the title.
  function localTimes(root) {
    var times = root.querySelectorAll('time[datetime]');
    for (var ti = 0; ti < times.length; ti++) {
      var t = times[ti];
      var m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)Z?$/.exec(t.getAttribute('datetime'));
      if (!m || t.getAttribute('data-local')) continue;
      var d = new Date(Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
      var pad = function (n) { return (n < 10 ? '0' : '') + n; };
      t.title = t.getAttribute('datetime') + ' UTC';
      t.textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
      t.setAttribute('data-local', '1');
    }
    var heads = root.querySelectorAll('th');
    for (var hi = 0; hi < heads.length; hi++) {
      if (/\(UTC\)/.test(heads[hi].textContent)) heads[hi].textContent = heads[hi].textContent.replace('(UTC)', '(local time)');
    }
  }
  localTimes(document);
  // Search lists filter as you type: the list part of the page is fetched and swapped in
  // (the form still works by its button without JavaScript).
  var search = document.querySelector('form[role="search"] input[type="search"]');
  if (search && window.fetch && window.DOMParser) {
    var timer = null;
    var seq = 0;
    search.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var form = search.form;
        var url = form.action.split('?')[0] + '?' + new URLSearchParams(new FormData(form)).toString();
        var mine = ++seq;
        fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (html) {
          if (mine !== seq) return;
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var next = doc.querySelector('main section.card');
          var cur = form.closest('section.card');
          if (!next || !cur) return;
          var kids = [].slice.call(cur.children), fresh = [].slice.call(next.children);
          var at = kids.indexOf(form);
          for (var i = at + 1; i < kids.length; i++) cur.removeChild(kids[i]);
          var fat = -1;
          for (var j = 0; j < fresh.length; j++) if (fresh[j].getAttribute('role') === 'search') fat = j;
          for (var k = fat + 1; k < fresh.length; k++) cur.appendChild(document.importNode(fresh[k], true));
          localTimes(cur);
          window.history.replaceState(null, '', url);
        }, function () {});
      }, 250);
    });
  }
  // Category picker: type to narrow the checkboxes, Enter ticks the first match (the
  // checkboxes stay, and work by keyboard and without JavaScript).
  var catSet = document.querySelector('fieldset.categories');
  var checks = catSet && catSet.querySelector('.checks');
  if (checks && checks.querySelector('input[type="checkbox"]:not([disabled])')) {
    var wrap = document.createElement('div');
    wrap.className = 'category-find';
    var flabel = document.createElement('label');
    flabel.setAttribute('for', 'category-find');
    flabel.textContent = 'Find a category';
    var find = document.createElement('input');
    find.type = 'search';
    find.id = 'category-find';
    find.setAttribute('autocomplete', 'off');
    find.setAttribute('aria-describedby', 'category-find-hint');
    var fhint = document.createElement('p');
    fhint.className = 'hint';
    fhint.id = 'category-find-hint';
    fhint.setAttribute('role', 'status');
    fhint.textContent = 'Type to narrow the list; Enter ticks the first match.';
    wrap.appendChild(flabel);
    wrap.appendChild(find);
    wrap.appendChild(fhint);
    catSet.insertBefore(wrap, checks);
    var labels = [].slice.call(checks.querySelectorAll('label'));
    var visible = function () { return labels.filter(function (l) { return !l.hidden; }); };
    find.addEventListener('input', function () {
      var q = find.value.trim().toLowerCase();
      labels.forEach(function (l) { l.hidden = q !== '' && l.textContent.toLowerCase().indexOf(q) < 0; });
      var n = visible().length;
      fhint.textContent = q === '' ? 'Type to narrow the list; Enter ticks the first match.' : n + (n === 1 ? ' category matches' : ' categories match') + '; Enter ticks the first.';
    });
    find.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter') return;
      ev.preventDefault();
      var first = visible()[0];
      var box = first && first.querySelector('input[type="checkbox"]');
      if (!box || box.disabled) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event('change', { bubbles: true }));
      fhint.textContent = first.textContent.trim() + (box.checked ? ' chosen.' : ' no longer chosen.');
    });
  }
  // ---- a Test in progress (/data-connector-logs/{id}) ----
  // Without JavaScript the page refreshes itself; with it, the elapsed time counts and the
  // page is fetched in the background until the result is there, then shown.
  var log = document.querySelector('#log-detail[data-state="running"]');
  if (log) {
    var t0 = Date.now() - Number(log.getAttribute('data-elapsed') || 0) * 1000;
    var shown = document.getElementById('test-elapsed');
    var tick = setInterval(function () {
      if (shown) shown.textContent = ((Date.now() - t0) / 1000).toFixed(1) + ' s';
    }, 100);
    var poll = function () {
      fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
        return r.text();
      }).then(function (html) {
        if (html.indexOf('data-state="running"') < 0) { clearInterval(tick); window.location.replace(window.location.href); }
        else setTimeout(poll, 300);
      }, function () { setTimeout(poll, 1000); });
    };
    setTimeout(poll, 200);
  }
  // ---- forms ----
  // After a failed submit, focus moves to the first field with an error.
  var firstBad = document.querySelector('form [aria-invalid="true"]');
  if (firstBad) firstBad.focus();
  else {
    var formErr = document.querySelector('main .error[role="alert"], main .flash-error[role="alert"]');
    if (formErr) { formErr.setAttribute('tabindex', '-1'); formErr.focus(); }
  }
  // Leaving an editor with unsaved edits asks first (nothing is ever discarded by itself
  // without JavaScript either: the form stays as it was).
  var dirty = null;
  document.addEventListener('input', function (ev) {
    var f = ev.target.form;
    if (f && f.method === 'post' && f.classList.contains('form')) dirty = f;
  });
  document.addEventListener('change', function (ev) {
    var f = ev.target.form;
    if (f && f.method === 'post' && f.classList.contains('form')) dirty = f;
  });
  document.addEventListener('submit', function (ev) { if (!ev.defaultPrevented) dirty = null; });
  window.addEventListener('beforeunload', function (ev) {
    if (!dirty) return undefined;
    ev.preventDefault();
    ev.returnValue = '';
    return '';
  });
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
