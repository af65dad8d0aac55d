// vigil review console front end.
//
// Every value from the server (names, ids, comments, reasons) comes from agency feeds or from
// users and is treated as hostile: it reaches the page only through textContent / text nodes
// (el() below), never innerHTML. Chart labels are drawn on canvas by ECharts; tooltips use its
// richText mode, which draws on canvas as well, so no data string becomes HTML there either.
'use strict';

const state = { csrf: '', user: '', role: '', charts: [], view: 0 };
// Each render owns the page only while it is the latest: a render still awaiting the server when
// the user moves on (or re-renders) stops instead of drawing into a page that is gone.
const current = (token) => token === state.view;

// ---- DOM helpers (text only) ----
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
const view = () => document.getElementById('view');
function disposeCharts() { for (const c of state.charts) c.dispose(); state.charts = []; }
function chart(container, option) {
  const c = echarts.init(container, null, { renderer: 'canvas' });
  c.setOption(Object.assign({ animation: false }, option));
  state.charts.push(c);
  return c;
}
window.addEventListener('resize', () => state.charts.forEach(c => c.resize()));

// ---- API ----
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== '/api/login') { showLogin('Your session expired. Please log in again.'); }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText);
  return data;
}

// ---- login ----
function showLogin(message) {
  state.csrf = '';
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  disposeCharts();
  clear(view());
  document.getElementById('login-view').hidden = false;
  document.getElementById('login-error').textContent = message || '';
}
function loggedIn(me) {
  state.csrf = me.csrf; state.user = me.user; state.role = me.role;
  document.getElementById('login-view').hidden = true;
  const nav = document.getElementById('nav');
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a[data-roles]')) {
    a.hidden = !a.dataset.roles.split(' ').includes(state.role);
  }
  document.getElementById('who').textContent = `${me.user} (${me.role})`;
  document.getElementById('logout').hidden = false;
  route();
}
document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const user = document.getElementById('login-user').value;
  const password = document.getElementById('login-password').value;
  try {
    const me = await api('POST', '/api/login', { user, password });
    document.getElementById('login-password').value = '';
    loggedIn(me);
  } catch (e) {
    document.getElementById('login-error').textContent =
      e.status === 429 ? 'Too many failed attempts: wait a few minutes.' : 'Wrong user name or password.';
  }
});
document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout'); } catch (e) { /* session may have expired already */ }
  location.hash = '#/queue';
  showLogin('Logged out.');
});

// ---- routing ----
window.addEventListener('hashchange', () => { if (state.csrf) route(); });
function route() {
  state.view += 1;
  disposeCharts();
  const hash = location.hash || '#/queue';
  const [path, query] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.view === (parts[0] || 'queue'));
  }
  const params = new URLSearchParams(query || '');
  const run = {
    queue: () => renderQueue(params),
    case: () => renderCase(parts[1]),
    dashboard: () => renderDashboard(params),
    audit: () => renderAudit(),
    policy: () => renderPolicy(),
  }[parts[0] || 'queue'] || (() => renderQueue(params));
  run().catch(e => { clear(view()); view().append(el('p', { class: 'error' }, String(e.message || e))); });
}

// ---- formatting ----
const PATTERNS = ['DECEASED_PAID', 'CONCEALED_DEATH', 'PRISON_PAID', 'DUPLICATE_RECEIPT',
  'SHARED_ACCOUNT', 'ACCOUNT_HIJACK', 'FAKE_SPECIAL_JOB', 'FAKE_DISABILITY', 'AGE_FALSIFIED',
  'BACKPAY_ABUSE', 'UNEMPLOYED_WHILE_EMPLOYED', 'FORGED_IDENTITY', 'AMOUNT_ANOMALY', 'FACE_REUSE',
  'ANOMALY'];
const STATUSES = ['OPEN', 'CONFIRMED_FRAUD', 'CLEARED', 'NEEDS_ACTIVE', 'RESTORED'];
const ACTIONS = ['PAY', 'HOLD', 'BLOCK'];
const CERTS = ['CERTIFIED', 'NEEDS_ACTIVE', 'SUSPEND'];
// What the page shows for a field the server does not send to the caller's role (auditors get no
// district, birth date, retirement date nor address: with an id's last four characters they would
// spell the id out). Dates that tell a birth date come to auditors as ****-**-** inside texts.
const MASKED = '(masked)';
const isAuditor = () => state.role === 'auditor';
const money = (s) => '¥' + Number(s).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const badge = (text, kind) => el('span', { class: `badge ${kind || ''} b-${String(text).toLowerCase()}` }, text);

// ---- queue ----
const FILTERS = ['q', 'pattern', 'status', 'action', 'certification', 'region', 'district', 'assignee'];
function filterQuery(params) {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (params.get(k)) q.set(k, params.get(k));
  return q;
}
// What the data of the last score run means for it (vigil score's data notes: a test the data
// turns off, a feed that looks late): a silent rule is missing data, not missing fraud, and the
// reviewer should know before reading the queue.
function runNotes(notes) {
  if (!notes || notes.length === 0) return '';
  return el('div', { class: 'run-notes', id: 'run-notes', role: 'note' },
    el('b', {}, 'Data notes of this run'),
    el('ul', {}, notes.map(n => el('li', {}, n))));
}
async function renderQueue(params) {
  const token = state.view;
  // The server refuses a page that is not a whole number from 1 up (400): a hand-edited address
  // falls back to page 1.
  const page = Math.max(1, Math.trunc(Number(params.get('page'))) || 1);
  const q = filterQuery(params);
  q.set('page', page); q.set('per_page', 50);
  const data = await api('GET', '/api/cases?' + q.toString());
  if (!current(token)) return;
  const root = view(); clear(root);

  const form = el('form', { class: 'filters', id: 'filters' });
  const select = (name, values, label) => el('label', {}, label,
    el('select', { name }, el('option', { value: '' }, 'any'),
      values.map(v => el('option', { value: v, selected: params.get(name) === v }, v))));
  form.append(
    el('label', {}, 'Search', el('input', { name: 'q', value: params.get('q') || '', placeholder: 'id or name' })),
    select('pattern', PATTERNS, 'Pattern'), select('status', STATUSES, 'Status'),
    select('action', ACTIONS, 'Action'), select('certification', CERTS, 'Certification'),
    el('label', {}, 'Region', el('input', { name: 'region', value: params.get('region') || '', size: 5 })),
    // The server refuses a district filter from an auditor.
    isAuditor() ? '' : el('label', {}, 'District', el('input', { name: 'district', value: params.get('district') || '', size: 7 })),
    el('label', {}, 'Assignee', el('input', { name: 'assignee', value: params.get('assignee') || '', size: 10, placeholder: '- = none' })),
    el('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) p.set(k, v);
    location.hash = '#/queue?' + p.toString();
  });
  root.append(form);

  const tools = el('div', { class: 'toolbar' },
    el('span', { id: 'queue-total' }, `${data.total.toLocaleString()} cases`),
    el('span', { class: 'muted' }, ` · run ${data.run || '?'} · server ${data.server_ms.toFixed(1)} ms`));
  if (state.role === 'supervisor') {
    tools.append(el('a', { class: 'button', href: '/api/export?' + filterQuery(params).toString(), download: 'vigil-cases.csv' }, 'Export CSV'));
  }
  tools.append(el('a', { class: 'button', href: '#/dashboard?' + filterQuery(params).toString() }, 'Dashboard of this filter'));
  root.append(tools, runNotes(data.run_notes));

  const table = el('table', { class: 'queue', id: 'queue-table' },
    el('thead', {}, el('tr', {}, ['#', 'Person', 'Name', 'Region', 'District', 'Patterns', 'Risk',
      'Expected loss', 'Overpaid', 'Action', 'Certification', 'Status', 'Assignee'].map(h => el('th', {}, h)))));
  const body = el('tbody');
  data.items.forEach((c, i) => {
    const open = () => { location.hash = '#/case/' + c.ref; };
    body.append(el('tr', { class: 'row', tabindex: 0, 'data-ref': c.ref, on: { click: open, keydown: (e) => { if (e.key === 'Enter') open(); } } },
      el('td', { class: 'num' }, (page - 1) * 50 + i + 1),
      el('td', { class: 'mono' }, el('a', { href: '#/case/' + c.ref }, c.person_id)),
      el('td', {}, c.name), el('td', {}, c.region), el('td', {}, c.district ?? MASKED),
      el('td', {}, c.patterns.map(p => badge(p, 'pattern'))),
      el('td', { class: 'num' }, c.risk.toFixed(3)),
      el('td', { class: 'num' }, money(c.expected_loss)),
      el('td', { class: 'num' }, money(c.overpaid)),
      el('td', {}, badge(c.action)), el('td', {}, badge(c.certification)),
      el('td', {}, badge(c.status)), el('td', {}, c.assignee)));
  });
  table.append(body);
  root.append(table);

  const pages = Math.max(1, Math.ceil(data.total / 50));
  const nav = (p, label) => {
    const pp = filterQuery(params); pp.set('page', p);
    return el('a', { class: 'button', href: '#/queue?' + pp.toString() }, label);
  };
  root.append(el('div', { class: 'pager' },
    page > 1 ? nav(page - 1, '‹ Previous') : '', ` page ${page} of ${pages} `,
    page < pages ? nav(page + 1, 'Next ›') : ''));
}

// ---- case page ----
const SOURCE_COLORS = {};
async function renderCase(ref) {
  const token = state.view;
  const d = await api('GET', '/api/cases/' + encodeURIComponent(ref));
  if (!current(token)) return;
  const c = d.case, s = d.scored || {};
  const root = view(); clear(root);
  root.append(el('p', {}, el('a', { href: '#/queue' }, '‹ Back to the queue')));
  root.append(el('h1', { id: 'case-title' }, c.name || '(no name)', ' ', el('span', { class: 'mono muted' }, c.person_id)));
  root.append(el('div', { class: 'summary' },
    badge(c.status), ' ', badge(c.action), ' ', badge(c.certification), ' ',
    c.patterns.map(p => badge(p, 'pattern')),
    el('span', { class: 'kv' }, 'Risk ', el('b', {}, c.risk.toFixed(3))),
    el('span', { class: 'kv' }, 'Expected loss ', el('b', {}, money(c.expected_loss))),
    el('span', { class: 'kv' }, 'Overpaid ', el('b', {}, money(c.overpaid))),
    el('span', { class: 'kv' }, 'Monthly benefit ', el('b', {}, money(c.monthly_benefit))),
    c.assignee ? el('span', { class: 'kv' }, 'Assigned to ', el('b', {}, c.assignee)) : ''));

  const grid = el('div', { class: 'grid' });
  root.append(grid);

  // Profile
  const profile = el('div', { class: 'card o1' }, el('h2', {}, 'Profile'));
  for (const p of d.persons) {
    const dl = el('dl', { class: 'profile' });
    const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
    add('Resident id', p.person_id); add('Name', p.name); add('Birth date', p.birth_date ?? MASKED);
    add('Sex', p.sex); add('Region / district', `${p.region} / ${p.district ?? MASKED}`);
    add('Scheme', `${p.scheme} · ${p.category}`);
    add('Retired', `${p.retirement_date ?? MASKED} (${p.retirement_type})`);
    add('Monthly benefit', money(p.monthly_benefit)); add('Bank account', p.bank_account);
    add('Phone', p.phone); add('Address', p.address ?? MASKED); add('Registry status', p.status);
    if (!p.id_checksum_ok) add('Id check character', 'WRONG');
    profile.append(dl);
  }
  if (!d.persons.length) profile.append(el('p', { class: 'muted' }, 'Not in the pension registry.'));
  grid.append(profile);

  // Certification
  const cert = el('div', { class: 'card o5' }, el('h2', {}, 'Proof of life: ', badge(c.certification)));
  const ev = el('ul', { class: 'evidence', id: 'evidence' });
  for (const e of (s.evidence || [])) ev.append(el('li', {}, el('span', { class: 'mono' }, e.date), ' ', el('b', {}, e.source), e.note ? ` — ${e.note}` : ''));
  cert.append(ev);
  grid.append(cert);

  // Reasons
  const reasons = el('div', { class: 'card wide o3' }, el('h2', {}, 'Why it was flagged'));
  const ol = el('ol', { class: 'reasons', id: 'reasons' });
  for (const h of (s.hits || [])) {
    ol.append(el('li', {}, el('p', {}, h.reason),
      el('p', { class: 'muted' }, badge(h.pattern, 'pattern'), ` strength ${Number(h.strength).toFixed(2)} · ${String(h.clause).startsWith('policy') ? h.clause : 'policy: ' + h.clause}`,
        Number(h.overpaid) > 0 ? ` · overpaid ${money(h.overpaid)}` : '')));
  }
  if (!(s.hits || []).length) for (const r of (s.reasons || [])) ol.append(el('li', {}, r));
  reasons.append(ol);
  grid.append(reasons);

  // Risk contributions: each reason's strength and the anomaly score, scaled to the risk.
  const riskCard = el('div', { class: 'card o4' }, el('h2', {}, 'Risk by reason'));
  const riskChart = el('div', { class: 'chart', id: 'risk-chart' });
  riskCard.append(riskChart, el('p', { class: 'muted small' },
    'Bars: share of the risk attributed to each reason in proportion to its strength (anomaly score included).'));
  grid.append(riskCard);

  // Timeline
  const tl = d.timeline;
  const tlCard = el('div', { class: 'card wide o6' }, el('h2', {}, `Last 24 months (to ${tl.as_of})`));
  const tlChart = el('div', { class: 'chart tall', id: 'timeline-chart' });
  tlCard.append(tlChart);
  const evList = el('ul', { class: 'events' });
  for (const e of tl.events.slice().reverse().slice(0, 40)) {
    evList.append(el('li', {}, el('span', { class: 'mono' }, e.date), ' ', badge(e.kind), ' ', el('b', {}, e.what), ' ', e.detail));
  }
  tlCard.append(evList);
  grid.append(tlCard);

  // Linked people
  const linkCard = el('div', { class: 'card o7' }, el('h2', {}, 'Linked people'));
  const linkChart = el('div', { class: 'chart', id: 'links-chart' });
  linkCard.append(linkChart);
  const linkList = el('ul', { class: 'links' });
  for (const l of d.linked.links) {
    linkList.append(el('li', {}, badge(l.via), ' ',
      l.ref ? el('a', { href: '#/case/' + l.ref }, l.name || l.person_id) : (l.name || l.person_id), ' ',
      el('span', { class: 'mono muted' }, l.person_id), ` via ${l.value} (group of ${l.group_size})`));
  }
  if (!d.linked.links.length) linkList.append(el('li', { class: 'muted' }, 'No shared account, phone, name and birth date, employer or doctor.'));
  if (!d.linked.events_ready) linkList.append(el('li', { class: 'muted' }, 'Employer and doctor links are still being indexed.'));
  linkCard.append(linkList);
  grid.append(linkCard);

  // Decision and history
  const decide = el('div', { class: 'card o2', id: 'decision-card' }, el('h2', {}, 'Decision'));
  if (d.can_decide) {
    const comment = el('textarea', { id: 'decision-comment', rows: 3, maxlength: 2000, placeholder: 'Comment (required): what you checked and why' });
    const msg = el('p', { class: 'error', id: 'decision-error', role: 'alert' });
    const send = async (decision) => {
      msg.textContent = '';
      if (!comment.value.trim()) { msg.textContent = 'A comment is required.'; return; }
      try {
        await api('POST', `/api/cases/${c.ref}/decision`, { decision, comment: comment.value });
        route();  // re-render through the router: new token, old charts disposed
      } catch (e) { msg.textContent = e.message; }
    };
    decide.append(comment, el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'danger', id: 'confirm-fraud', on: { click: () => send('CONFIRM_FRAUD') } }, 'Confirm fraud'),
      el('button', { type: 'button', id: 'clear', on: { click: () => send('CLEAR') } }, 'Clear'),
      el('button', { type: 'button', id: 'needs-active', on: { click: () => send('NEEDS_ACTIVE') } }, 'Send for active certification'),
      el('button', { type: 'button', id: 'restore', on: { click: () => send('RESTORE') } }, 'Restore')), msg);
  } else {
    decide.append(el('p', { class: 'muted' }, 'Read-only: your role cannot decide cases.'));
  }
  if (d.can_assign) {
    const users = await api('GET', '/api/users');
    if (!current(token)) return;
    const sel = el('select', { id: 'assignee' }, el('option', { value: '' }, '(nobody)'),
      users.users.filter(u => u.role !== 'auditor').map(u => el('option', { value: u.name, selected: u.name === c.assignee }, u.name)));
    decide.append(el('div', { class: 'assign' }, el('label', {}, 'Assign to ', sel),
      el('button', { type: 'button', on: { click: async () => { await api('POST', `/api/cases/${c.ref}/assign`, { assignee: sel.value }); route(); } } }, 'Assign')));
  }
  const hist = el('ul', { class: 'history', id: 'case-history' });
  for (const h of d.history.slice().reverse()) {
    hist.append(el('li', {}, el('span', { class: 'mono' }, h.time), ' ', el('b', {}, h.user), ' ',
      h.type === 'decision' ? badge(h.decision) : `assigned to ${h.assignee || 'nobody'}`, h.comment ? ` — ${h.comment}` : ''));
  }
  decide.append(el('h3', {}, 'Case history'), hist);
  grid.append(decide);

  // Charts
  const hits = s.hits || [];
  const parts = hits.map(h => ({ name: h.pattern, v: Math.max(0, Number(h.strength)) }));
  parts.push({ name: 'anomaly score', v: Math.max(0, Number(s.anomaly || 0)) });
  const sum = parts.reduce((a, p) => a + p.v, 0) || 1;
  chart(riskChart, {
    tooltip: { renderMode: 'richText' },
    grid: { left: 150, right: 40, top: 10, bottom: 30 },
    xAxis: { type: 'value', max: 1, name: 'risk' },
    yAxis: { type: 'category', data: parts.map(p => p.name), inverse: true },
    series: [{ type: 'bar', data: parts.map(p => +(c.risk * p.v / sum).toFixed(4)), label: { show: true, position: 'right' } }],
  });
  const series = [];
  for (const [benefit, vals] of Object.entries(tl.payments_yuan)) {
    series.push({ name: `paid ${benefit} (¥)`, type: 'bar', yAxisIndex: 0, data: vals, itemStyle: { opacity: 0.6 } });
  }
  for (const [source, vals] of Object.entries(tl.signals)) {
    series.push({ name: source, type: 'line', yAxisIndex: 1, stack: 'signals', areaStyle: {}, symbol: 'none', data: vals });
  }
  // A masked date (****-**-**) has no month on the axis.
  const marks = tl.events.filter(e => e.kind === 'REGISTRY' && !e.date.startsWith('*')).map(e => ({ xAxis: e.date.slice(0, 7), name: e.what }));
  if (series.length && marks.length) {
    series[0].markLine = { symbol: 'none', label: { formatter: '{b}' }, data: marks, lineStyle: { color: '#b00', width: 2 } };
  }
  chart(tlChart, {
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 60, right: 50, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: tl.months },
    yAxis: [{ type: 'value', name: '¥ paid' }, { type: 'value', name: 'signals' }],
    series,
  });
  const nodes = [{ id: 'self', name: c.name || c.person_id, symbolSize: 34, category: 0 }];
  const edges = [];
  const vias = ['self', 'ACCOUNT', 'PHONE', 'NAME_BIRTH', 'EMPLOYER', 'DOCTOR'];
  d.linked.links.forEach((l, i) => {
    nodes.push({ id: 'n' + i, name: l.name || l.person_id, symbolSize: 18, category: vias.indexOf(l.via) });
    edges.push({ source: 'self', target: 'n' + i, label: { show: true, formatter: l.via } });
  });
  chart(linkChart, {
    tooltip: { renderMode: 'richText' },
    legend: { data: vias.slice(1), bottom: 0 },
    series: [{ type: 'graph', layout: 'force', roam: true, label: { show: true, position: 'right' },
      // Laid out at once: no animation timers keep running into a page the user has left.
      force: { repulsion: 160, edgeLength: 90, layoutAnimation: false }, categories: vias.map(v => ({ name: v })),
      data: nodes, links: edges, edgeLabel: { show: true, fontSize: 9 } }],
  });
}

// ---- dashboard ----
async function renderDashboard(params) {
  const token = state.view;
  const q = filterQuery(params);
  const d = await api('GET', '/api/dashboard?' + q.toString());
  if (!current(token)) return;
  const root = view(); clear(root);
  root.append(el('h1', {}, 'Dashboard', q.toString() ? el('span', { class: 'muted small' }, ' (filter: ' + q.toString() + ')') : ''));
  root.append(runNotes(d.run_notes));
  root.append(el('div', { class: 'tiles', id: 'tiles' },
    el('div', { class: 'tile' }, el('b', {}, Number(d.cases).toLocaleString()), 'cases'),
    el('div', { class: 'tile' }, el('b', {}, money(d.expected_loss)), 'expected loss'),
    el('div', { class: 'tile' }, el('b', {}, money(d.overpaid)), 'overpaid found'),
    el('div', { class: 'tile' }, el('b', {}, money(d.confirmed_overpaid)), 'overpaid in confirmed fraud (to recover)'),
    el('div', { class: 'tile' }, el('b', {}, money(d.confirmed_monthly_stopped)), 'monthly payments stopped'),
    el('div', { class: 'tile' }, el('b', {}, `${d.decided} / ${d.cases}`), 'decided')));
  const grid = el('div', { class: 'grid' });
  root.append(grid);
  const card = (title, id) => {
    const div = el('div', { class: 'chart', id });
    grid.append(el('div', { class: 'card' }, el('h2', {}, title), div));
    return div;
  };
  const bars = (node, rows, field, horizontal) => chart(node, {
    tooltip: { renderMode: 'richText' },
    grid: { left: horizontal ? 190 : 60, right: 30, top: 10, bottom: 30 },
    xAxis: horizontal ? { type: 'value' } : { type: 'category', data: rows.map(r => r.key) },
    yAxis: horizontal ? { type: 'category', data: rows.map(r => r.key), inverse: true } : { type: 'value' },
    series: [{ type: 'bar', data: rows.map(r => field === 'cases' ? r.cases : Number(r[field])) }],
  });
  bars(card('Cases by pattern', 'chart-pattern'), d.by_pattern, 'cases', true);
  bars(card('Overpaid by pattern (¥)', 'chart-pattern-amount'), d.by_pattern, 'overpaid', true);
  bars(card('Cases by region', 'chart-region'), d.by_region, 'cases', false);
  if (d.by_district) bars(card('Cases by district (top 20)', 'chart-district'), d.by_district, 'cases', true);
  chart(card('Certification outcome of the cases', 'chart-cert'), {
    tooltip: { renderMode: 'richText' },
    series: [{ type: 'pie', radius: ['40%', '70%'], data: d.by_certification.map(r => ({ name: r.key, value: r.cases })), label: { formatter: '{b}: {d}%' } }],
  });
  chart(card('Review status', 'chart-status'), {
    tooltip: { renderMode: 'richText' },
    series: [{ type: 'pie', radius: ['40%', '70%'], data: d.by_status.map(r => ({ name: r.key, value: r.cases })), label: { formatter: '{b}: {c}' } }],
  });
  chart(card('Risk distribution', 'chart-risk'), {
    tooltip: { renderMode: 'richText' },
    grid: { left: 50, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'category', data: d.risk_histogram.map(b => b.from.toFixed(2)) },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', data: d.risk_histogram.map(b => b.cases) }],
  });
}

// ---- audit ----
async function renderAudit() {
  const token = state.view;
  const d = await api('GET', '/api/audit?limit=200');
  if (!current(token)) return;
  const root = view(); clear(root);
  root.append(el('h1', {}, 'Audit log'), el('p', { class: 'muted' }, `${d.total} entries; newest first. Hash-chained: run "vigil audit verify" to check it.`));
  const table = el('table', { class: 'audit', id: 'audit-table' },
    el('thead', {}, el('tr', {}, ['#', 'Time', 'User', 'Role', 'Type', 'Case', 'Decision / detail', 'Comment'].map(h => el('th', {}, h)))));
  const body = el('tbody');
  for (const e of d.items) {
    const detail = e.type === 'decision' ? e.decision : e.type === 'assign' ? `to ${e.assignee || 'nobody'}` :
      e.type === 'export' ? `${e.rows} rows` : e.type === 'policy' ? e.version : (e.address || '');
    body.append(el('tr', {}, el('td', { class: 'num' }, e.n), el('td', { class: 'mono' }, e.time),
      el('td', {}, e.user), el('td', {}, e.role || ''), el('td', {}, e.type),
      el('td', { class: 'mono' }, e.case ? el('a', { href: '#/case/' + e.case }, e.person_id || e.case) : ''),
      el('td', {}, detail), el('td', {}, e.comment || '')));
  }
  table.append(body);
  root.append(table);
}

// ---- policy ----
async function renderPolicy() {
  const token = state.view;
  const d = await api('GET', '/api/policy');
  if (!current(token)) return;
  const root = view(); clear(root);
  root.append(el('h1', {}, 'Policy'), el('p', { class: 'muted' }, `Source: ${d.source}. Version ${d.policy.version}.`));
  const text = el('textarea', { id: 'policy-text', rows: 30, class: 'mono wide', readonly: !d.can_edit });
  text.value = JSON.stringify(d.policy, null, 2);
  root.append(text);
  if (d.can_edit) {
    const comment = el('input', { id: 'policy-comment', maxlength: 2000, placeholder: 'Why (required)', size: 60 });
    const msg = el('p', { class: 'error', role: 'alert' });
    root.append(el('div', {}, comment, el('button', { type: 'button', on: { click: async () => {
      msg.textContent = '';
      try {
        const policy = JSON.parse(text.value);
        const r = await api('PUT', '/api/policy', { policy, comment: comment.value });
        msg.textContent = `Saved version ${r.version} (audit entry ${r.audit_seq}).`;
      } catch (e) { msg.textContent = e.message; }
    } } }, 'Save policy')), msg);
  }
}

// ---- start ----
(async () => {
  try { loggedIn(await api('GET', '/api/me')); } catch (e) { showLogin(''); }
})();
