// The report page's script, part 1 of 3 (helpers, formats, the sections): molotov joins
// page.js, charts.js and main.js into one <script> of page.html; the three make one function.
(function () {
'use strict';
var body = document.body;

// ---- errors: recorded on <body data-error> (for tests) and still logged by the browser
function note(msg) { try { body.dataset.error = String(msg); } catch (e) { /* nothing to do */ } }
window.onerror = function (msg, src, line, col) {
  note(String(msg) + (line ? ' (' + line + ':' + col + ')' : ''));
  return false;
};
window.addEventListener('unhandledrejection', function (ev) {
  var r = ev.reason;
  note('unhandled rejection: ' + (r && r.message ? r.message : String(r)));
});
function fail(e) {
  note(e && e.message ? e.message : String(e));
  if (window.console) console.error(e);
}

// ---- DOM helpers: text only ever goes in as text nodes or attribute values
var SVGNS = 'http://www.w3.org/2000/svg';
function attrs(e, a) {
  if (a) Object.keys(a).forEach(function (k) {
    var v = a[k];
    if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  });
}
function kids(e, c) {
  if (c === null || c === undefined) return e;
  (Array.isArray(c) ? c : [c]).forEach(function (k) {
    if (k === null || k === undefined || k === false) return;
    e.appendChild(k instanceof Node ? k : document.createTextNode(String(k)));
  });
  return e;
}
function h(tag, a, c) { var e = document.createElement(tag); attrs(e, a); return kids(e, c); }
function s(tag, a, c) { var e = document.createElementNS(SVGNS, tag); attrs(e, a); return kids(e, c); }
function $(id) { return document.getElementById(id); }
function put(node, c) { node.textContent = ''; kids(node, c); }

// ---- values and formats
function isNum(v) { return typeof v === 'number' && isFinite(v); }
function numOr(v) { return isNum(v) ? v : null; }
function arr(v) { return Array.isArray(v) ? v : []; }
function obj(v) { return v && typeof v === 'object' && !Array.isArray(v) ? v : {}; }
function str(v) { return v === null || v === undefined ? '' : String(v); }
function group(n) { return Math.round(n).toLocaleString('en-US'); }
function int(n) { return isNum(n) ? group(n) : '—'; }
// three significant digits for 0 <= v < 999.5
function sig3(v) { return v >= 99.95 ? v.toFixed(0) : v >= 9.995 ? v.toFixed(1) : v.toFixed(2); }
function trim0(t) { return t.indexOf('.') < 0 ? t : t.replace(/0+$/, '').replace(/\.$/, ''); }
// a duration in microseconds: 410 µs, 2.10 ms, 12.3 ms, 1.20 s
function dur(us, short) {
  if (!isNum(us)) return '—';
  if (us < 0) return '-' + dur(-us, short);
  if (us < 999.5) return Math.round(us) + ' µs';
  var v = us / 1000, u = 'ms';
  if (v >= 999.5) { v = us / 1e6; u = 's'; }
  var t = v >= 999.5 ? group(v) : sig3(v);
  return (short ? trim0(t) : t) + ' ' + u;
}
function rate(v) {
  if (!isNum(v)) return '—';
  if (v === 0) return '0';
  return v >= 999.5 ? group(v) : sig3(v);
}
function compact(v) {
  var a = Math.abs(v);
  if (a >= 1e6) return trim0((v / 1e6).toFixed(2)) + 'M';
  if (a >= 1e4) return trim0((v / 1e3).toFixed(1)) + 'k';
  return String(parseFloat(v.toPrecision(4)));
}
function pct(part, whole) {
  if (!isNum(part) || !isNum(whole) || whole <= 0) return null;
  var p = 100 * part / whole;
  if (p > 0 && p < 0.01) return '<0.01 %';
  return (p >= 99.995 || p === 0 ? p.toFixed(0) : p.toFixed(2)) + ' %';
}
function elapsed(sec) {
  if (!isNum(sec)) return '—';
  if (sec < 60) return sec.toFixed(sec < 10 ? 2 : 1) + ' s';
  var t = Math.round(sec), hh = Math.floor(t / 3600), mm = Math.floor(t % 3600 / 60), ss = t % 60;
  return (hh ? hh + ' h ' : '') + mm + ' min ' + ss + ' s';
}
function clock(sec, withDate) {
  if (!isNum(sec)) return null;
  var o = {hour: '2-digit', minute: '2-digit', second: '2-digit'};
  if (withDate) { o.year = 'numeric'; o.month = 'short'; o.day = 'numeric'; o.timeZoneName = 'short'; }
  try { return new Date(sec * 1000).toLocaleString(undefined, o); } catch (e) { return new Date(sec * 1000).toString(); }
}
function iso(sec) { try { return new Date(sec * 1000).toISOString(); } catch (e) { return null; } }
// elapsed seconds on a time axis: 0:05, 12:30, 1:02:03
function mss(sec) {
  var neg = sec < 0, t = Math.round(Math.abs(sec)), hh = Math.floor(t / 3600), mm = Math.floor(t % 3600 / 60), ss = t % 60;
  var two = function (n) { return (n < 10 ? '0' : '') + n; };
  return (neg ? '-' : '') + (hh ? hh + ':' + two(mm) : mm) + ':' + two(ss);
}
var STOPS = {
  'deadline': 'the duration (-d) was reached',
  'interrupted': 'interrupted (Ctrl-C or SIGTERM)',
  'fail-fast': 'stopped at the first failure (-x)',
  'fixture-failed': 'a fixture failed',
  'sizing': 'the sizing tolerance was reached',
  'threshold': 'a threshold aborted the run'
};

// ---- state
var state = {data: null, renders: 0, sort: {}, hover: null, shows: {}, fails: 0, conn: 'ok', polling: false, width: 0};

function status() {
  var d = state.data;
  if (state.conn === 'lost') return 'disconnected';
  if (d && d.live === true) return state.polling ? 'live' : 'snapshot';
  return 'final';
}
function showStatus() {
  var st = status(), b = $('status'), c = $('conn');
  body.dataset.status = st;
  body.dataset.polling = String(state.polling);
  if (b) {
    b.className = 'badge ' + (st === 'live' ? 'live' : st === 'disconnected' ? 'lost' : 'final');
    b.setAttribute('data-status', st);
    b.textContent = st;
    b.title = st === 'live' ? 'the run is going on: this page updates every second'
      : st === 'final' ? 'the run is over: these are its final figures'
        : st === 'snapshot' ? 'figures of a run that was going on; this copy does not update (open it from molotov --web)'
          : 'molotov does not answer any more';
  }
  if (c) c.hidden = state.conn === 'ok';
}

// ---- sections
function renderHead(d) {
  var m = obj(d.meta), live = d.live === true, th = arr(d.thresholds);
  document.title = (d.title ? str(d.title) + ' · ' : '') + 'molotov report';
  var row = h('div', {'class': 'titlerow'}, [h('h1', null, d.title ? str(d.title) : 'molotov run')]);
  if (th.length) {
    var passed = th.every(function (t) { return t && t.passed === true; });
    row.appendChild(h('span', {id: 'verdict', 'class': 'badge ' + (passed ? 'pass' : 'fail'), 'data-passed': String(passed),
      title: 'the thresholds (-t)'}, passed ? 'PASSED' : 'FAILED'));
    if (live) row.appendChild(h('span', {'class': 'muted'}, 'so far'));
  }
  var items = [];
  function item(label, value, title, cls) {
    if (value === null || value === undefined || value === '') value = '—';
    items.push(h('div', {'class': cls || null}, [h('dt', null, label), h('dd', {title: title || null}, value)]));
  }
  item('Tool', [str(m.tool || 'molotov'), m.version ? ' ' + str(m.version) : '']);
  item('Started', clock(m.started_at, true), iso(m.started_at));
  item('Finished', isNum(m.finished_at) ? clock(m.finished_at, true) : live ? 'running…' : null, iso(m.finished_at));
  item('Elapsed', elapsed(m.elapsed_seconds));
  item('Processes', int(m.processes));
  var w = int(m.workers);
  if (isNum(m.max_workers) && m.max_workers !== m.workers) w += ' (max ' + int(m.max_workers) + ')';
  item('Workers', w);
  var ended = m.open_model ? 'the schedule ended' : 'the workers ran out of work';
  var stop = m.stop === null || m.stop === undefined ? (live ? null : ended)
    : STOPS[str(m.stop)] ? str(m.stop) + ': ' + STOPS[str(m.stop)] : str(m.stop);
  item('Stop', stop);
  item('Seed', m.seed === null || m.seed === undefined ? null : str(m.seed));
  var om = m.open_model;
  if (om && typeof om === 'object') {
    var parts = [
      ['target rate', isNum(om.target_rate) ? rate(om.target_rate) + '/s' : '—'],
      ['scheduled', int(om.scheduled)], ['started', int(om.started)],
      ['late', int(om.late)], ['dropped', int(om.dropped)], ['start lag p99', dur(om.p99_lag_us)],
      ['max start lag', dur(om.max_lag_us)]
    ];
    var om_dd = [];
    parts.forEach(function (p, i) {
      if (i) om_dd.push(' · ');
      om_dd.push(h('span', {'class': 'muted'}, p[0] + ' '), h('strong', {'data-field': p[0].replace(/ /g, '_')}, p[1]));
    });
    items.push(h('div', {'class': 'wide', id: 'open-model'}, [h('dt', null, 'Open model'), h('dd', null, om_dd)]));
  }
  var g = m.generator;
  if (g && typeof g === 'object') {
    var busy = isNum(g.busy) ? Math.round(g.busy * 100) + ' %' : '—';
    var peak = isNum(g.peak) ? Math.round(g.peak * 100) + ' %' : '—';
    var said = g.warning ? str(g.warning).replace(/^Load generator: /, '')
      : 'busy ' + busy + ' of the run (busiest second ' + peak + ')';
    items.push(h('div', {'class': 'wide'}, [h('dt', null, 'Load generator'),
      h('dd', {id: 'generator', 'class': g.warning ? 'warned' : null,
        title: 'the share of the time its thread ran on a core or waited for one'}, said)]));
  }
  if (m.command !== null && m.command !== undefined)
    items.push(h('div', {'class': 'wide'}, [h('dt', null, 'Command'), h('dd', null, h('code', {'class': 'cmd', id: 'command'}, str(m.command)))]));
  put($('sec-head'), [
    h('div', {'class': 'brand'}, ['molotov report', h('span', {id: 'status', 'class': 'badge'}),
      h('span', {id: 'conn', hidden: true}, 'disconnected: showing the last data')]),
    row,
    h('dl', {'class': 'meta'}, items)
  ]);
  showStatus();
}

function renderTotals(d) {
  var t = obj(d.totals);
  function card(label, field, value, text, sub) {
    return h('div', {'class': 'total'}, [h('div', {'class': 'label'}, label),
      h('div', {'class': 'big', 'data-field': field, 'data-value': String(value === undefined ? null : value)}, text),
      h('div', {'class': 'sub'}, sub || ' ')]);
  }
  var fr = pct(t.failures, t.runs);
  put($('sec-totals'), h('div', {'class': 'totals card', id: 'totals', style: 'background:none;border:0;padding:0'}, [
    card('Scenario runs', 'runs', t.runs, int(t.runs), [int(t.successes), ' succeeded']),
    card('Failed runs', 'failures', t.failures, int(t.failures), fr ? fr + ' of the runs' : null),
    card('Runs per second', 'rate', t.rate, rate(t.rate)),
    card('Requests', 'requests', t.requests, int(t.requests), [int(t.request_failures), ' failed',
      pct(t.request_failures, t.requests) ? ' (' + pct(t.request_failures, t.requests) + ')' : '']),
    card('Requests per second', 'request_rate', t.request_rate, rate(t.request_rate))
  ]));
  var big = $('totals').querySelectorAll('.big');
  if (isNum(t.failures) && t.failures > 0) big[1].classList.add('bad');
}

function renderThresholds(d) {
  var th = arr(d.thresholds).filter(function (t) { return t && typeof t === 'object'; }), box = $('sec-thresholds');
  box.hidden = !th.length;
  if (!th.length) { box.textContent = ''; return; }
  var ok = th.filter(function (t) { return t.passed === true; }).length;
  var rows = th.map(function (t) {
    var pass = t.passed === true, nod = t.no_data === true;
    return h('tr', {'data-passed': String(pass), 'data-no-data': String(nod), 'data-expression': str(t.expression)}, [
      h('td', {'class': 'mark ' + (pass ? 'ok' : 'bad'), title: pass ? 'passed' : nod ? 'no data' : 'failed'}, pass ? '✓' : '✗'),
      h('td', {'class': 'l'}, h('code', null, str(t.expression))),
      h('td', {'class': 'num' + (nod ? ' nodata' : '')}, nod ? 'no data' : t.value === null || t.value === undefined ? '—' : str(t.value)),
      h('td', {'class': 'num'}, t.limit === null || t.limit === undefined ? '—' : str(t.limit)),
      h('td', {'class': 'l muted'}, t.abort === true ? 'aborts the run' : '')
    ]);
  });
  put(box, [
    h('h2', null, ['Thresholds', h('small', null, ok + ' of ' + th.length + ' passed' + (state.data && state.data.live ? ' so far' : ''))]),
    h('div', {'class': 'scroll'}, h('table', {id: 'thresholds'}, [
      h('thead', null, h('tr', null, [h('th', null, ''), h('th', {'class': 'l'}, 'Threshold'), h('th', null, 'Value'),
        h('th', null, 'Limit'), h('th', {'class': 'l'}, '')])),
      h('tbody', null, rows)]))
  ]);
}

var COLS = [
  ['count', 'Count', int], ['rate', 'Rate/s', rate], ['failures', 'Failures', int],
  ['p50_us', 'p50', dur], ['p90_us', 'p90', dur], ['p95_us', 'p95', dur], ['p99_us', 'p99', dur], ['max_us', 'Max', dur]
];
function sortRows(rows, sort) {
  if (!sort) return rows;
  var f = sort.f, dir = sort.dir;
  return rows.slice().sort(function (a, b) {
    var x = a[f], y = b[f];
    if (f === 'name') return dir * str(x).localeCompare(str(y));
    var nx = isNum(x), ny = isNum(y);
    if (!nx || !ny) return nx === ny ? 0 : nx ? -1 : 1; // empty cells last
    return dir * (x - y);
  });
}
function renderTable(id, d) {
  var isScen = id === 'scenarios';
  var rows = arr(d[id]).filter(function (r) { return r && typeof r === 'object'; });
  var sort = state.sort[id];
  var cols = [['name', isScen ? 'Scenario' : 'Request']].concat(COLS);
  var head = cols.map(function (c) {
    var on = sort && sort.f === c[0];
    var label = (c[0] === 'count' ? (isScen ? 'Runs' : 'Requests') : c[1]) + (on ? (sort.dir > 0 ? ' ▲' : ' ▼') : '');
    var b = h('button', {type: 'button', title: 'sort'}, label);
    b.addEventListener('click', function () {
      var cur = state.sort[id];
      state.sort[id] = {f: c[0], dir: cur && cur.f === c[0] ? -cur.dir : c[0] === 'name' ? 1 : -1};
      renderTable(id, state.data);
    });
    return h('th', {'class': c[0] === 'name' ? 'l' : null, 'aria-sort': on ? (sort.dir > 0 ? 'ascending' : 'descending') : null}, b);
  });
  var body_ = sortRows(rows, sort).map(function (r) {
    return h('tr', {'data-name': str(r.name)}, [h('td', {'class': 'l name'}, str(r.name))].concat(COLS.map(function (c) {
      var v = r[c[0]], td = h('td', {'class': 'num', 'data-field': c[0], 'data-value': String(v === undefined ? null : v)}, c[2](v));
      if (c[0] === 'failures' && isNum(v) && v > 0) {
        td.classList.add('bad');
        var p = pct(v, r.count);
        if (p) td.appendChild(h('span', {'class': 'pct'}, '(' + p + ')'));
      }
      return td;
    })));
  });
  if (!body_.length)
    body_ = [h('tr', {'class': 'empty-row'}, h('td', {colspan: cols.length}, isScen ? 'no scenario has run yet' : 'no request has been sent'))];
  put($('sec-' + id), [
    h('h2', null, [isScen ? 'Scenarios' : 'Requests', h('small', null, rows.length + (rows.length === 1 ? ' entry' : ' entries') +
      (rows.length ? ' · latencies of the successful ' + (isScen ? 'runs' : 'requests') : ''))]),
    h('div', {'class': 'scroll'}, h('table', {id: id}, [h('thead', null, h('tr', null, head)), h('tbody', null, body_)]))
  ]);
}

function renderStatuses(d) {
  var st = arr(d.statuses).filter(function (r) { return r && typeof r === 'object'; });
  var total = st.reduce(function (a, r) { return a + (isNum(r.count) ? r.count : 0); }, 0);
  var max = st.reduce(function (a, r) { return Math.max(a, isNum(r.count) ? r.count : 0); }, 0);
  var rows = st.map(function (r) {
    var code = str(r.status), k = /^[1-5]/.test(code) ? code[0] : '0';
    var col = k === '2' ? 'ok' : k === '4' || k === '5' ? 'bad' : '';
    return h('tr', {'data-status': code}, [
      h('td', {'class': 'l name ' + col}, code),
      h('td', {'class': 'num', 'data-field': 'count', 'data-value': String(isNum(r.count) ? r.count : null)}, int(r.count)),
      h('td', {'class': 'num muted'}, pct(r.count, total) || '—'),
      h('td', {'class': 'barcell'}, h('div', {'class': 'bar s' + k,
        style: 'width:' + (max > 0 && isNum(r.count) ? Math.max(0.5, 100 * r.count / max).toFixed(2) : 0) + '%'}))
    ]);
  });
  if (!rows.length) rows = [h('tr', {'class': 'empty-row'}, h('td', {colspan: 4}, 'no HTTP response yet'))];
  put($('sec-statuses'), [h('h2', null, ['Status codes', h('small', null, int(total) + ' responses')]),
    h('div', {'class': 'scroll'}, h('table', {id: 'statuses'}, [
      h('thead', null, h('tr', null, [h('th', {'class': 'l'}, 'Status'), h('th', null, 'Count'), h('th', null, 'Share'), h('th', {'class': 'l'}, '')])),
      h('tbody', null, rows)]))]);
}

function renderErrors(d) {
  var er = arr(d.errors).filter(function (r) { return r && typeof r === 'object'; });
  var more = isNum(d.errors_left_off) ? d.errors_left_off : 0;
  var rows = er.map(function (r) {
    return h('tr', {'data-where': str(r.where), 'data-kind': str(r.kind)}, [
      h('td', {'class': 'l name'}, str(r.where)),
      h('td', {'class': 'l'}, str(r.kind)),
      h('td', {'class': 'num bad', 'data-field': 'count', 'data-value': String(isNum(r.count) ? r.count : null)}, int(r.count)),
      h('td', {'class': 'l'}, h('pre', {'class': 'sample'}, str(r.sample)))
    ]);
  });
  if (more > 0) rows.push(h('tr', {'class': 'empty-row', id: 'errors-left-off', 'data-value': String(more)},
    h('td', {colspan: 4}, '… and ' + int(more) + ' more')));
  if (!rows.length) rows = [h('tr', {'class': 'empty-row'}, h('td', {colspan: 4}, [h('span', {'class': 'ok'}, '✓ '), 'no errors']))];
  put($('sec-errors'), [h('h2', null, ['Errors', h('small', null, er.length ? 'the most frequent, with a sample message' : '')]),
    h('div', {'class': 'scroll'}, h('table', {id: 'errors'}, [
      h('thead', null, h('tr', null, [h('th', {'class': 'l'}, 'Where'), h('th', {'class': 'l'}, 'Kind'), h('th', null, 'Count'),
        h('th', {'class': 'l', style: 'width:50%'}, 'Sample')])),
      h('tbody', null, rows)]))]);
}

