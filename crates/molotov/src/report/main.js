// The report page's script, part 3 of 3 (rendering the whole page, live mode): molotov joins page.js, charts.js and main.js
// into one <script> of page.html; the three make one function.
// ---- the whole page
function renderNoData(msg) {
  $('report').hidden = true;
  var box = $('nodata');
  box.hidden = false;
  put(box, [h('h1', null, 'molotov report'), h('p', {'class': 'muted'}, msg)]);
  body.dataset.nodata = 'true';
  document.title = 'molotov report: no data';
}
function render(d) {
  var sx = window.scrollX, sy = window.scrollY;
  if (!d || typeof d !== 'object' || Array.isArray(d)) {
    state.data = null;
    var c = function (x) { return h('code', {style: 'white-space:nowrap'}, x); };
    renderNoData(['No data: this is the report template. molotov writes a run\u2019s figures into it (',
      c('molotov --html FILE'), ', or live with ', c('--web PORT'), ').']);
  } else {
    state.data = d;
    delete body.dataset.nodata;
    $('nodata').hidden = true;
    $('report').hidden = false;
    renderHead(d);
    renderTotals(d);
    renderThresholds(d);
    renderCharts(d);
    renderTable('scenarios', d);
    renderTable('requests', d);
    renderStatuses(d);
    renderErrors(d);
    var m = obj(d.meta);
    put($('foot'), ['Report of ', str(m.tool || 'molotov'), m.version ? ' ' + str(m.version) : '',
      d.live === true ? ' · updated ' + clock(Date.now() / 1000) : '']);
  }
  if (window.scrollX !== sx || window.scrollY !== sy) window.scrollTo(sx, sy);
  state.renders++;
  body.dataset.rendered = String(state.renders);
}

// ---- live mode: poll data.json every second until a document says live: false
var FAILS_BEFORE_GIVING_UP = 3;
function schedule() { setTimeout(poll, 1000); }
function poll() {
  var ctl = typeof AbortController === 'function' ? new AbortController() : null;
  var timer = ctl ? setTimeout(function () { ctl.abort(); }, 4000) : 0;
  fetch('data.json', {cache: 'no-store', signal: ctl ? ctl.signal : undefined})
    .then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (d) {
      clearTimeout(timer);
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new Error('data.json is not a report');
      return d;
    })
    .then(function (d) {
      state.fails = 0;
      state.conn = 'ok';
      try { render(d); } catch (e) { fail(e); }
      if (d.live === true) schedule();
      else { state.polling = false; showStatus(); }
    }, function (e) {
      clearTimeout(timer);
      state.fails++;
      state.conn = 'lost';
      if (state.fails >= FAILS_BEFORE_GIVING_UP) {
        state.polling = false;
        if (window.console) console.warn('molotov report: data.json unreachable, no more updates (' + (e && e.message ? e.message : e) + ')');
      } else schedule();
      showStatus();
    })
    .catch(fail);
}

function boot() {
  var node = $('molotov-data'), d = null;
  // the raw template holds a comment before null: strip a leading /* ... */ before parsing
  var text = node ? node.textContent.replace(/^\s*\/\*[\s\S]*?\*\/\s*/, '').trim() : '';
  if (text) {
    try { d = JSON.parse(text); } catch (e) { fail(new Error('the embedded report data is not JSON: ' + e.message)); }
  }
  render(d);
  if (d && d.live === true && typeof fetch === 'function' && /^https?:$/.test(location.protocol)) {
    state.polling = true;
    schedule();
  }
  showStatus();
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (state.data && chartsWidth() !== state.width) { try { renderCharts(state.data); } catch (e) { fail(e); } }
    }, 150);
  });
}
boot();
})();
