// pbxd dashboard: plain JavaScript, no build step, no third-party code.
//
// Security notes:
// - The token lives in sessionStorage (gone when the tab closes) and is sent
//   only in the Authorization header, never in a URL: the event stream is
//   read with fetch() rather than EventSource (which cannot set headers), and
//   voicemail audio is fetched with the header and played from a blob: URL.
// - Everything from the PBX (caller ID names come from outside callers) is
//   put in the page with textContent, never as HTML.
'use strict';

(() => {
  const FOLDERS = ['INBOX', 'Old', 'Work', 'Family', 'Friends', 'Urgent'];
  const $ = (sel) => document.querySelector(sel);
  let token = sessionStorage.getItem('pbxd.token') || '';
  let stream = null;        // AbortController of the event stream
  let retryTimer = 0;
  let player = { url: '', id: '' };
  let me = { ext: '', dnd: false };

  // ---- helpers ------------------------------------------------------------

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  function toast(msg, bad) {
    const t = $('#toast');
    t.textContent = msg;
    t.className = bad ? 'bad' : '';
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  class APIError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + token };
    const opts = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    if (!res.ok) {
      let code = 'http_' + res.status, msg = res.statusText;
      try { const j = await res.json(); code = j.error.code; msg = j.error.message; } catch (_) { /* not JSON */ }
      if (res.status === 401) logout('Your token is not valid (any more). Sign in again.');
      throw new APIError(res.status, code, msg);
    }
    return res;
  }
  const getJSON = async (path) => (await api('GET', path)).json();

  function fillTable(id, rows) {
    const tbody = $('#' + id + ' tbody');
    tbody.replaceChildren(...rows);
    const empty = document.querySelector('.empty[data-for="' + id + '"]');
    if (empty) empty.hidden = rows.length > 0;
  }

  function party(p) {
    if (!p) return '';
    if (p.name && p.number) return p.name + ' <' + p.number + '>';
    return p.name || p.number || '';
  }

  const parseHMS = (s) => s.split(':').reduce((acc, x) => acc * 60 + Number(x), 0);
  const hms = (n) => [Math.floor(n / 3600), Math.floor(n / 60) % 60, n % 60].map((x) => String(x).padStart(2, '0')).join(':');

  // ---- sections -----------------------------------------------------------

  async function loadMe() {
    const d = await getJSON('/extensions/me');
    me.ext = d.extensionId;
    $('#ext-number').textContent = d.extensionId;
    $('#ext-name').textContent = d.user.name;
    $('#ext-dial').textContent = d.coreDevice.dial || '—';
    $('#ext-tech').textContent = d.coreDevice.tech;
  }

  async function loadDeviceStatus() {
    const d = await getJSON('/extensions/me/devicestatus');
    const pill = $('#device-state');
    pill.textContent = d.deviceState;
    pill.className = 'pill state-' + d.deviceState.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-$/, '');
    $('#active-channels').textContent = d.activeChannels || 'none';
  }

  function showDND(on) {
    me.dnd = on;
    $('#dnd-state').textContent = on ? 'on' : 'off';
    $('#dnd-toggle').textContent = on ? 'Turn DND off' : 'Turn DND on';
  }

  async function loadDND() { showDND((await getJSON('/extensions/me/dnd')).dndStatus); }

  async function loadEndpoints() {
    const list = await getJSON('/extensions/me/endpoint');
    fillTable('endpoints', list.map((d) => el('tr', {},
      el('td', { class: 'mono', text: d.uri }),
      el('td', { text: d.useragent }),
      el('td', { class: 'mono', text: d.ip + (d.port ? ':' + d.port : '') }),
      el('td', { text: d.pingMs ? d.pingMs + ' ms' : '—' }))));
  }

  let knownCalls = new Set();
  async function loadCalls() {
    const list = await getJSON('/extensions/me/calls');
    const now = Date.now();
    const seen = new Set();
    fillTable('calls', list.map((c) => {
      seen.add(c.uniqueId);
      const dur = el('td', { class: 'mono duration', text: c.duration,
        dataset: { since: String(now - parseHMS(c.duration) * 1000), state: c.state } });
      return el('tr', { class: knownCalls.has(c.uniqueId) ? '' : 'new', dataset: { id: c.uniqueId } },
        el('td', { class: 'mono', text: c.channel }),
        el('td', { text: party(c.caller) }),
        el('td', { text: party(c.connectedLine) }),
        el('td', { text: c.state }),
        dur,
        el('td', { text: c.application + (c.applicationData ? '(' + c.applicationData + ')' : '') }));
    }));
    knownCalls = seen;
    $('#hangup-all').disabled = list.length === 0;
  }

  function tickDurations() {
    const now = Date.now();
    for (const td of document.querySelectorAll('#calls td.duration')) {
      td.textContent = hms(Math.max(0, Math.floor((now - Number(td.dataset.since)) / 1000)));
    }
  }

  async function playVoicemail(id, button) {
    button.disabled = true;
    try {
      const blob = await (await api('GET', '/extensions/me/voicemails/' + encodeURIComponent(id) + '/download')).blob();
      if (player.url) URL.revokeObjectURL(player.url);
      player = { url: URL.createObjectURL(blob), id };
      const audio = $('#player');
      audio.src = player.url;
      audio.dataset.message = id;
      audio.hidden = false;
      audio.play().catch(() => { /* autoplay may be refused; the controls remain */ });
    } catch (e) { toast('Playback failed: ' + e.message, true); } finally { button.disabled = false; }
  }

  function voicemailRow(v) {
    const select = el('select', { 'aria-label': 'Target folder' },
      ...FOLDERS.filter((f) => f !== v.folder).map((f) => el('option', { value: f, text: f })));
    const del = el('button', { type: 'button', class: 'small danger', text: 'Delete' });
    del.addEventListener('click', async () => {
      if (del.dataset.armed !== '1') { del.dataset.armed = '1'; del.textContent = 'Really delete?'; return; }
      try {
        const r = await (await api('DELETE', '/extensions/me/voicemails/' + encodeURIComponent(v.messageId))).json();
        toast(r.message);
        loadVoicemails();
      } catch (e) { toast('Delete failed: ' + e.message, true); }
    });
    const play = el('button', { type: 'button', class: 'small', text: '▶ Play' });
    play.addEventListener('click', () => playVoicemail(v.messageId, play));
    return el('tr', { dataset: { id: v.messageId } },
      el('td', { text: v.date }),
      el('td', { text: party({ name: v.callerIdName, number: v.callerIdNum }) }),
      el('td', { text: Math.round(v.duration) + ' s' }),
      el('td', { text: v.folder }),
      el('td', {}, el('div', { class: 'vm-actions' },
        v.hasAudio ? play : null,
        select,
        el('button', { type: 'button', class: 'small ghost', text: 'Move', onclick: async () => {
          try {
            const r = await (await api('PATCH', '/extensions/me/voicemails/' + encodeURIComponent(v.messageId) + '/move',
              { targetFolder: select.value })).json();
            toast(r.message);
            loadVoicemails();
          } catch (e) { toast('Move failed: ' + e.message, true); }
        } }),
        del)));
  }

  async function loadVoicemails() {
    try {
      const list = await getJSON('/extensions/me/voicemails');
      fillTable('voicemails', list.map(voicemailRow));
    } catch (e) {
      if (e.code !== 'not_found') throw e;
      fillTable('voicemails', []);
    }
  }

  async function connectMe(room) {
    try {
      const r = await (await api('POST', '/conferences/' + encodeURIComponent(room) + '/connectme')).json();
      toast(r.message);
    } catch (e) { toast('Connect failed: ' + e.message, true); }
  }

  async function toggleParticipants(row, room) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains('participants')) { next.remove(); return; }
    const res = await fetch('/conferences/' + encodeURIComponent(room), { cache: 'no-store' });
    const list = res.ok ? await res.json() : [];
    const text = list.map((p) => party({ name: p.callerIdName, number: p.callerIdNum }) +
      (p.admin ? ' (admin)' : '') + (p.muted ? ' (muted)' : '')).join(', ') || 'nobody';
    row.after(el('tr', { class: 'participants' }, el('td', { colspan: '4', text: text })));
  }

  async function loadConferences() {
    const res = await fetch('/conferences', { cache: 'no-store' }); // public
    const list = res.ok ? await res.json() : [];
    fillTable('conferences', list.map((c) => {
      const row = el('tr', { dataset: { id: c.conferenceId } });
      row.append(
        el('td', { class: 'mono', text: c.conferenceId }),
        el('td', { text: String(c.parties) }),
        el('td', { text: c.locked ? 'yes' : 'no' }),
        el('td', {}, el('div', { class: 'vm-actions' },
          el('button', { type: 'button', class: 'small ghost', text: 'Who?', onclick: () => toggleParticipants(row, c.conferenceId) }),
          el('button', { type: 'button', class: 'small', text: 'Connect me', onclick: () => connectMe(c.conferenceId) }))));
      return row;
    }));
  }

  // Debounced refreshes: a burst of events causes one reload per section.
  const loaders = { me: loadMe, device: loadDeviceStatus, dnd: loadDND, endpoints: loadEndpoints,
    calls: loadCalls, voicemails: loadVoicemails, conferences: loadConferences };
  const pending = {};
  function refresh(...names) {
    for (const n of names) {
      if (pending[n]) continue;
      pending[n] = setTimeout(() => {
        delete pending[n];
        loaders[n]().catch((e) => { if (e.status !== 401) toast(n + ': ' + e.message, true); });
      }, 80);
    }
  }
  const refreshAll = () => refresh(...Object.keys(loaders));

  // ---- the event stream ---------------------------------------------------

  function setStreamStatus(text, cls) {
    const s = $('#stream-status');
    s.textContent = text;
    s.className = 'pill ' + cls;
  }

  function logEvent(kind, data) {
    const log = $('#event-log');
    let what = '';
    if (data.call) what = data.call.channel + ' ' + (data.call.state || '');
    else if ('enabled' in data) what = data.enabled ? 'on' : 'off';
    else if (data.state) what = data.state;
    else if (data.mailbox) what = 'mailbox ' + data.mailbox;
    else if (data.conference) what = 'room ' + data.conference;
    else if (data.participant) what = 'room ' + data.participant.conference + ' ' + party(data.participant.caller);
    const time = data.time ? new Date(data.time).toLocaleTimeString() : new Date().toLocaleTimeString();
    log.prepend(el('li', { text: time + '  ' + kind + '  ' + what }));
    while (log.children.length > 50) log.lastElementChild.remove();
  }

  function onEvent(kind, data) {
    switch (kind) {
      case 'hello':
        setStreamStatus('live', 'live');
        refreshAll(); // whatever happened while the stream was down
        return;
      case 'bye':
        setStreamStatus(data.reason === 'shutdown' ? 'server stopped' : 'reconnecting', 'off');
        return;
    }
    logEvent(kind, data);
    if (kind.startsWith('call.')) refresh('calls', 'device');
    else if (kind === 'device.state') refresh('device');
    else if (kind.startsWith('contact.')) refresh('endpoints', 'device');
    else if (kind === 'dnd.changed') showDND(Boolean(data.enabled));
    else if (kind === 'voicemail.received' || kind === 'mailbox.changed') refresh('voicemails');
    else if (kind.startsWith('conference.')) refresh('conferences');
    else if (kind.startsWith('extension.')) refresh('me');
    else if (kind === 'events.dropped' || kind === 'backend.reconnected') refreshAll();
  }

  function parseBlock(block) {
    let kind = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // heartbeat
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') kind = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let parsed = {};
    try { parsed = JSON.parse(data.join('\n')); } catch (_) { return; }
    onEvent(kind, parsed);
  }

  async function connectStream() {
    clearTimeout(retryTimer);
    if (stream) stream.abort();
    const ctrl = new AbortController();
    stream = ctrl;
    setStreamStatus('connecting', 'off');
    try {
      const res = await fetch('/extensions/me/events', {
        headers: { Authorization: 'Bearer ' + token, Accept: 'text/event-stream' },
        cache: 'no-store', signal: ctrl.signal,
      });
      if (res.status === 401) { logout('Your token is not valid (any more). Sign in again.'); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          parseBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (ctrl.signal.aborted) return;
    }
    if (stream !== ctrl || !token) return;
    if ($('#stream-status').textContent === 'live') setStreamStatus('reconnecting', 'off');
    retryTimer = setTimeout(connectStream, 3000);
  }

  // ---- sign in and out ----------------------------------------------------

  async function start() {
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#logout').hidden = false;
    await Promise.all(Object.values(loaders).map((f) => f().catch((e) => {
      if (e.status !== 401) toast(e.message, true);
    })));
    connectStream();
  }

  function logout(msg) {
    token = '';
    sessionStorage.removeItem('pbxd.token');
    if (stream) { stream.abort(); stream = null; }
    clearTimeout(retryTimer);
    if (player.url) { URL.revokeObjectURL(player.url); player = { url: '', id: '' }; }
    $('#app').hidden = true;
    $('#logout').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = msg || '';
    setStreamStatus('offline', 'off');
  }

  async function login(candidate) {
    token = candidate.trim();
    try {
      await getJSON('/extensions/me');
    } catch (e) {
      if (e.status !== 401) logout('Sign-in failed: ' + e.message);
      return;
    }
    sessionStorage.setItem('pbxd.token', token);
    $('#login-error').textContent = '';
    $('#token').value = '';
    start();
  }

  // ---- wiring -------------------------------------------------------------

  function bind() {
    $('#login-form').addEventListener('submit', (ev) => { ev.preventDefault(); login($('#token').value); });
    $('#logout').addEventListener('click', () => logout(''));
    const callMe = (mode) => async () => {
      try { toast((await (await api('POST', '/extensions/me/callme?mode=' + mode)).json()).message); } catch (e) { toast('Call me failed: ' + e.message, true); }
    };
    $('#callme-hold').addEventListener('click', callMe('hold'));
    $('#callme-echo').addEventListener('click', callMe('echo'));
    $('#dnd-toggle').addEventListener('click', async () => {
      try {
        const r = await (await api('POST', '/extensions/me/dnd', { dndStatus: !me.dnd })).json();
        showDND(r.dndStatus);
      } catch (e) { toast('DND failed: ' + e.message, true); }
    });
    $('#hangup-all').addEventListener('click', async () => {
      try { toast((await (await api('DELETE', '/extensions/me/calls')).json()).message); } catch (e) { toast('Hang-up failed: ' + e.message, true); }
    });
    const reset = $('#reset-secret');
    reset.addEventListener('click', async () => {
      if (reset.dataset.armed !== '1') { reset.dataset.armed = '1'; reset.textContent = 'Really reset? The phone must be reconfigured'; return; }
      reset.dataset.armed = '';
      reset.textContent = 'Reset SIP secret';
      try {
        const r = await (await api('POST', '/extensions/me/resetsecret')).json();
        $('#new-secret').textContent = r.newSecret;
        $('#secret-box').hidden = false;
      } catch (e) { toast('Reset failed: ' + e.message, true); }
    });
    $('#secret-hide').addEventListener('click', () => { $('#new-secret').textContent = ''; $('#secret-box').hidden = true; });
    $('#join-form').addEventListener('submit', (ev) => { ev.preventDefault(); connectMe($('#join-room').value.trim()); });
    setInterval(tickDurations, 1000);
  }

  function init() {
    bind();
    // The Discord login ends on /#token=<token>: take it, and drop it from the
    // address bar and history.
    const m = /^#token=([0-9A-Za-z-]{16,256})$/.exec(location.hash);
    if (m) {
      token = m[1];
      sessionStorage.setItem('pbxd.token', token);
      history.replaceState(null, '', location.pathname);
    }
    if (token) login(token); else logout('');
  }

  init();
})();
