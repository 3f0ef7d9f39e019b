// The report page's script, part 2 of 3 (the SVG charts): molotov joins page.js, charts.js and main.js
// into one <script> of page.html; the three make one function.
// ---- charts (SVG drawn here)
function niceStep(raw, integer) {
  if (!(raw > 0)) return 1;
  var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / p;
  var n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 && !integer ? 2.5 : f <= 5 ? 5 : 10;
  var st = n * p;
  return integer ? Math.max(1, Math.round(st)) : st;
}
function yTicks(max, integer, unit) {
  if (!(max > 0)) max = unit === 'dur' ? 1000 : 1;
  var step = niceStep(max / 4, integer), top = Math.ceil(max / step - 1e-9) * step, out = [];
  for (var k = 0; k * step <= top + step * 1e-9; k++) out.push(Math.round(k * step * 1e9) / 1e9);
  return out;
}
var TSTEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
function r1(v) { return Math.round(v * 10) / 10; }

function chartDefs(iv, open, busy) {
  // A point's rate is over the seconds it covered (the first and last may be partial).
  var per = function (f) { return function (p) { var s = isNum(p.seconds) && p.seconds > 0.25 ? p.seconds : iv; return isNum(p[f]) ? p[f] / s : null; }; };
  var raw = function (f) { return function (p) { return numOr(p[f]); }; };
  var defs = [
    {key: 'throughput', title: 'Scenario runs per second', unit: 'rate', extra: true, series: [
      {name: 'runs/s', color: 'blue', get: per('runs')}, {name: 'failures/s', color: 'red', get: per('failures')}]},
    {key: 'latency', title: 'Scenario latency (successful runs)', unit: 'dur', series: [
      {name: 'p50', color: 'green', get: raw('p50_us')}, {name: 'p90', color: 'blue', get: raw('p90_us')},
      {name: 'p99', color: 'purple', get: raw('p99_us')}, {name: 'max', color: 'orange', get: raw('max_us')}]},
    {key: 'workers', title: 'Workers', unit: 'count', integer: true, series: [
      {name: 'workers', color: 'teal', get: raw('workers')}]}
  ];
  if (open) defs.push({key: 'arrivals', title: 'Open model: arrivals per second', unit: 'rate', series: [
    {name: 'target', color: 'gray', dash: true, get: raw('target_rate')}, {name: 'achieved', color: 'blue', get: raw('achieved_rate')},
    {name: 'late/s', color: 'amber', get: per('late')}, {name: 'dropped/s', color: 'red', get: per('dropped')}]});
  if (busy) defs.push({key: 'generator', title: 'Load generator: its thread busy (90 % and more: it is the bottleneck)',
    unit: 'pct', series: [{name: 'busy', color: 'red', get: function (p) { return isNum(p.generator_busy) ? p.generator_busy * 100 : null; }}]});
  return defs;
}

function fmtFor(unit) {
  if (unit === 'pct') return function (v) { return isNum(v) ? Math.round(v) + ' %' : '\u2014'; };
  return unit === 'dur' ? function (v) { return dur(v); } : unit === 'count' ? int : rate;
}

// one line: every point when they fit, else per pixel column the lowest and the highest value
// in index order (so peaks, the max included, stay visible). null values break the line.
function linePath(xs, vals, Y, plotW) {
  var n = xs.length, d = [], seg = 0;
  function vertex(x, y) { d.push((seg ? 'L' : 'M') + r1(x) + ' ' + r1(y)); seg++; }
  function end() { if (seg === 1) d.push('h0'); seg = 0; } // a lone point: a round dot
  if (n <= plotW * 2) {
    for (var i = 0; i < n; i++) { if (vals[i] === null) end(); else vertex(xs[i], Y(vals[i])); }
  } else {
    var col = null, lo = null, hi = null, li = 0, hiI = 0, any = false;
    var flush = function () {
      if (col === null) return;
      if (!any) { end(); return; }
      var cx = col + 0.5;
      if (li === hiI) vertex(cx, Y(lo));
      else if (li < hiI) { vertex(cx, Y(lo)); vertex(cx, Y(hi)); } else { vertex(cx, Y(hi)); vertex(cx, Y(lo)); }
    };
    for (var j = 0; j < n; j++) {
      var c = Math.floor(xs[j]);
      if (c !== col) { flush(); col = c; any = false; lo = hi = null; }
      var v = vals[j];
      if (v === null) continue;
      if (!any || v < lo) { lo = v; li = j; }
      if (!any || v > hi) { hi = v; hiI = j; }
      any = true;
    }
    flush();
  }
  end();
  return d.join('');
}

function drawChart(def, pts, iv, W) {
  var H = 230, ML = 62, MR = 14, MT = 10, MB = 30, pw = W - ML - MR, ph = H - MT - MB, n = pts.length;
  var fmt = fmtFor(def.unit);
  var svg = s('svg', {'class': 'chart', 'data-chart': def.key, 'data-points': n, viewBox: '0 0 ' + W + ' ' + H,
    width: W, height: H, role: 'img', 'aria-label': def.title});
  svg.appendChild(s('title', null, def.title));
  var t0 = n ? pts[0].t : 0, span = n ? Math.max(pts[n - 1].t + iv - t0, iv) : 10;
  var X = function (sec) { return ML + sec / span * pw; };
  var xs = pts.map(function (p) { return X(p.t - t0 + iv / 2); });
  var vals = def.series.map(function (se) { return pts.map(function (p) { var v = se.get(p); return isNum(v) ? v : null; }); });
  var max = 0, some = false;
  vals.forEach(function (a) { a.forEach(function (v) { if (v !== null) { some = true; if (v > max) max = v; } }); });
  var log = def.unit === 'dur' && state.log, yt, Y;
  if (log) { // decades from the lowest positive value to the highest
    var minPos = Infinity;
    vals.forEach(function (a) { a.forEach(function (v) { if (v !== null && v > 0 && v < minPos) minPos = v; }); });
    var e0 = isFinite(minPos) ? Math.floor(Math.log10(minPos)) : 0, e1 = Math.max(e0 + 1, Math.ceil(Math.log10(Math.max(max, 1))));
    yt = [];
    for (var e = e0; e <= e1; e++) [1, 2, 5].forEach(function (m) {
      var v = m * Math.pow(10, e);
      if ((m === 1 || e1 - e0 <= 3) && v <= Math.pow(10, e1)) yt.push(v);
    });
    Y = function (v) { return MT + ph - (Math.log10(Math.max(v, Math.pow(10, e0))) - e0) / (e1 - e0) * ph; };
  } else {
    yt = yTicks(max, def.integer, def.unit);
    var top = yt[yt.length - 1];
    Y = function (v) { return MT + ph - v / top * ph; };
  }
  var g = s('g');
  if (!n) yt = [0];
  yt.forEach(function (v) {
    var y = Math.round(Y(v)) + 0.5;
    g.appendChild(s('line', {'class': v && (!log || v !== yt[0]) ? 'gl' : 'ax', x1: ML, x2: ML + pw, y1: y, y2: y}));
    if (n) g.appendChild(s('text', {x: ML - 6, y: y + 4, 'text-anchor': 'end'}, !v ? '0' : def.unit === 'dur' ? dur(v, true) : compact(v)));
  });
  var step = TSTEPS[TSTEPS.length - 1], maxTicks = Math.max(2, Math.floor(pw / 70));
  for (var i = 0; i < TSTEPS.length; i++) if (span / TSTEPS[i] <= maxTicks) { step = TSTEPS[i]; break; }
  for (var tv = 0; n && tv <= span + 1e-9; tv += step) {
    var x = Math.round(X(tv)) + 0.5;
    g.appendChild(s('line', {'class': 'ax', x1: x, x2: x, y1: MT + ph, y2: MT + ph + 4}));
    g.appendChild(s('text', {x: x, y: MT + ph + 17, 'text-anchor': tv === 0 ? 'start' : 'middle'}, mss(tv)));
  }
  g.appendChild(s('line', {'class': 'ax', x1: ML + 0.5, x2: ML + 0.5, y1: MT, y2: MT + ph}));
  if (n) g.appendChild(s('text', {x: ML + pw, y: H - 1, 'text-anchor': 'end'}, 'time since the first interval (' + (span >= 3600 ? 'h:mm:ss' : 'm:ss') + ')'));
  svg.appendChild(g);
  if (!n || !some) {
    svg.appendChild(s('text', {'class': 'empty', x: ML + pw / 2, y: MT + ph / 2, 'text-anchor': 'middle'},
      !n ? 'no data yet' : def.key === 'latency' ? 'no successful run yet' : 'no data yet'));
  }
  var lines = s('g');
  def.series.forEach(function (se, k) {
    var d = n ? linePath(xs, vals[k], Y, pw) : '';
    lines.appendChild(s('path', {'class': 'series' + (se.dash ? ' dash' : ''), 'data-series': se.name, d: d || null,
      style: 'stroke:var(--' + se.color + ')'}, s('title', null, se.name)));
  });
  svg.appendChild(lines);
  if (n && n <= 120) { // few points: a dot each, with its value as a tooltip
    var dots = s('g');
    def.series.forEach(function (se, k) {
      vals[k].forEach(function (v, j) {
        if (v === null) return;
        dots.appendChild(s('circle', {cx: r1(xs[j]), cy: r1(Y(v)), r: n <= 3 ? 3.5 : 2.5, style: 'fill:var(--' + se.color + ')'},
          s('title', null, mss(pts[j].t - t0) + '  ' + se.name + ': ' + fmt(v))));
      });
    });
    svg.appendChild(dots);
  }
  var legend = h('div', {'class': 'legend'}, def.series.map(function (se) {
    return h('span', null, [h('span', {'class': 'sw' + (se.dash ? ' dash' : ''), style: 'background:var(--' + se.color + ');color:var(--' + se.color + ')'}), se.name]);
  }));
  if (def.unit === 'dur') {
    var box = h('input', {type: 'checkbox', checked: !!state.log});
    box.addEventListener('change', function () { state.log = box.checked; renderCharts(state.data); });
    legend.appendChild(h('label', {'class': 'toggle'}, [box, ' log scale']));
  }
  var tip = h('div', {'class': 'tip', hidden: true});
  var plot = h('div', {'class': 'plot'}, [svg, tip]);
  var card = h('figure', {'class': 'card chart-card', id: 'chart-' + def.key}, [h('h3', null, def.title), legend, plot]);
  if (!n) return card;
  // hover: a crosshair on the nearest interval and a tooltip with its figures
  var cross = s('line', {'class': 'cross', y1: MT, y2: MT + ph, visibility: 'hidden'});
  var hdots = def.series.map(function (se) {
    return s('circle', {r: 4, style: 'fill:var(--' + se.color + ');stroke:var(--bg);stroke-width:1.5', visibility: 'hidden'});
  });
  var hov = s('g', null, [cross].concat(hdots));
  svg.insertBefore(s('rect', {x: ML, y: MT, width: pw, height: ph, fill: 'transparent', 'pointer-events': 'all'}), lines);
  svg.appendChild(hov);
  function show(px) {
    var lo = 0, hi = n - 1;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (xs[mid] < px) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(xs[lo - 1] - px) <= Math.abs(xs[lo] - px)) lo--;
    var p = pts[lo], x = r1(xs[lo]);
    cross.setAttribute('x1', x); cross.setAttribute('x2', x); cross.setAttribute('visibility', 'visible');
    var rows = [h('div', {'class': 'th'}, [clock(p.t) + ' ', h('span', {'class': 'muted'}, '+' + mss(p.t - t0) + (iv !== 1 ? ' (' + iv + ' s)' : ''))])];
    def.series.forEach(function (se, k) {
      var v = vals[k][lo];
      if (v === null) hdots[k].setAttribute('visibility', 'hidden');
      else { hdots[k].setAttribute('cx', x); hdots[k].setAttribute('cy', r1(Y(v))); hdots[k].setAttribute('visibility', 'visible'); }
      rows.push(h('div', {'class': 'row'}, [h('span', null, [h('span', {'class': 'sw', style: 'background:var(--' + se.color + ')'}), se.name]),
        h('strong', null, fmt(v))]));
    });
    if (def.extra) {
      var ex = [];
      if (isNum(p.requests)) ex.push('requests: ' + int(p.requests));
      var sc = obj(p.statuses), ek = obj(p.errors);
      var list = function (o) { return Object.keys(o).map(function (k2) { return k2 + ' ' + int(o[k2]); }).join(', '); };
      if (Object.keys(sc).length) ex.push('statuses: ' + list(sc));
      if (Object.keys(ek).length) ex.push('errors: ' + list(ek));
      if (ex.length) rows.push(h('div', {'class': 'extra'}, ex.join(' · ')));
    }
    put(tip, rows);
    tip.hidden = false;
    var scale = (svg.getBoundingClientRect().width || W) / W, left = xs[lo] * scale + 14, tw = tip.offsetWidth;
    if (left + tw > plot.clientWidth) left = Math.max(0, xs[lo] * scale - tw - 14);
    tip.style.left = left + 'px';
  }
  function hide() {
    tip.hidden = true; cross.setAttribute('visibility', 'hidden');
    hdots.forEach(function (c) { c.setAttribute('visibility', 'hidden'); });
  }
  svg.addEventListener('pointermove', function (ev) {
    var r = svg.getBoundingClientRect(), px = (ev.clientX - r.left) * W / (r.width || W);
    if (px < ML - 10 || px > ML + pw + 10) { state.hover = null; hide(); return; }
    state.hover = {key: def.key, px: px};
    show(px);
  });
  svg.addEventListener('pointerleave', function () { state.hover = null; hide(); });
  state.shows[def.key] = show;
  return card;
}

function chartsWidth() { return $('sec-charts').clientWidth || 960; }
function renderCharts(d) {
  var tl = obj(d.timeline), iv = isNum(tl.interval_seconds) && tl.interval_seconds > 0 ? tl.interval_seconds : 1;
  var pts = arr(tl.points).filter(function (p) { return p && typeof p === 'object' && isNum(p.t); });
  for (var i = 1; i < pts.length; i++) if (pts[i].t < pts[i - 1].t) { pts = pts.slice().sort(function (a, b) { return a.t - b.t; }); break; }
  var open = !!(obj(d.meta).open_model) || pts.some(function (p) { return isNum(p.target_rate); });
  var busy = pts.some(function (p) { return isNum(p.generator_busy); });
  var W = chartsWidth(), two = W >= 900;
  state.width = W;
  var cw = Math.floor(two ? (W - 16) / 2 : W) - 26;
  state.shows = {};
  var grid = h('div', {'class': 'charts' + (two ? ' two' : '')}, chartDefs(iv, open, busy).map(function (def) {
    return drawChart(def, pts, iv, Math.max(240, cw));
  }));
  put($('sec-charts'), [grid]);
  $('sec-charts').style.marginBottom = '16px';
  if (state.hover && state.shows[state.hover.key]) state.shows[state.hover.key](state.hover.px);
}

