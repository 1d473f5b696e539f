/* The monitoring site's pages, drawn from window.DEI_DATA (assets/data.js) with ECharts.
   Static text carries both languages (.l-zh / .l-en, hidden by CSS); charts and tables drawn here are
   redrawn in the other language when the toggle is pressed. window.__charts exposes the charts to tests. */
(function () {
  'use strict';
  var D = window.DEI_DATA;
  var charts = (window.__charts = {});
  var html = document.documentElement;
  var page = document.body.getAttribute('data-page');
  var ROOT = page === 'league' || page === 'county' ? '../' : '';
  var PALETTE = ['#0b4f8a', '#e07b39', '#2a9d8f', '#c0392b', '#8e6bbf', '#6a994e', '#d4a017', '#3d85c6',
    '#b5517b', '#4f6d7a', '#a0522d', '#17becf', '#444444'];
  var LANG = html.getAttribute('data-default-lang') || 'zh';
  try {
    var saved = window.localStorage.getItem('dei-lang');
    if (saved === 'zh' || saved === 'en') { LANG = saved; }
  } catch (e) { /* storage may be disabled; the build's default language stays */ }

  // ------------------------------------------------------------ helpers
  function lab(key) { var pair = D.labels[key]; return pair ? pair[LANG === 'en' ? 1 : 0] : key; }
  var NODES = {};
  D.nodes.forEach(function (n) { NODES[n.node_id] = n; });
  var LEAGUES = {};
  D.leagues.forEach(function (l) { LEAGUES[l.code] = l; });
  var COUNTIES = {};
  (D.counties || []).forEach(function (c) { COUNTIES[c.code] = c; });
  function nodeName(id) { var n = NODES[id]; return n ? (LANG === 'en' ? n.name_en || n.name_zh : n.name_zh) : id; }
  function leagueName(code) {
    if (Number(code) === D.region_code) { return lab('region_row'); }
    var l = LEAGUES[code] || COUNTIES[code]; return l ? (LANG === 'en' ? l.en : l.zh) : String(code);
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    var d = digits === undefined ? 2 : digits;
    return Number(v).toFixed(d);
  }
  function signed(v, digits) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    return (v > 0 ? '+' : '') + fmt(v, digits);
  }
  // A gap that rounds to zero at one decimal still has a sign: show enough digits to see it (-0.03, not -0.0).
  function signedGap(v) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    var d = 1;
    while (d < 4 && Number(Math.abs(v).toFixed(d)) === 0) { d += 1; }
    return signed(v, d);
  }
  // Long English axis names on lines of about n characters (Chinese names are short and have no spaces).
  function wrapWords(text, n) {
    var lines = [''];
    String(text).split(' ').forEach(function (w) {
      var last = lines[lines.length - 1];
      if (last && (last + ' ' + w).length > n) { lines.push(w); } else { lines[lines.length - 1] = last ? last + ' ' + w : w; }
    });
    return lines.join('\n');
  }
  function cls(v) { return v > 0 ? 'up' : (v < 0 ? 'down' : ''); }
  function rankArrow(v) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    if (v > 0) { return '<span class="up">↑' + v + '</span>'; }
    if (v < 0) { return '<span class="down">↓' + (-v) + '</span>'; }
    return '=';
  }
  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }
  function score(node, code, year) {
    var byLeague = D.scores[node] || {}; var byYear = byLeague[code] || {}; return byYear[year] || null;
  }
  function leagueCodes() { return D.leagues.map(function (l) { return l.code; }); }
  function countyCodes() { return (D.counties || []).map(function (c) { return c.code; }); }
  function mean(list) {
    var xs = list.filter(function (x) { return x !== null && x !== undefined && !isNaN(x); });
    return xs.length ? xs.reduce(function (a, b) { return a + b; }, 0) / xs.length : null;
  }
  function chart(id, renderer) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var existing = echarts.getInstanceByDom(el);
    return existing || echarts.init(el, null, renderer ? { renderer: renderer } : undefined);
  }
  // Label anchors (lng, lat) for the small 盟市 in the crowded middle of the map, so 乌海, 呼和浩特, 包头 and
  // 鄂尔多斯 do not print over one another; ECharts uses a feature's properties.cp as its label point.
  var LABEL_AT = { 150300: [106.8, 39.5], 150100: [111.75, 40.85], 150200: [110.0, 41.9], 150600: [108.9, 39.2] };
  function mapGeo() {
    var geo = JSON.parse(JSON.stringify(window.NMG_GEO));
    geo.features.forEach(function (f) { var at = LABEL_AT[f.properties.code]; if (at) { f.properties.cp = at; } });
    return geo;
  }
  function table(id, head, rows) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.innerHTML = '<thead><tr>' + head.map(function (h) {
      return '<th' + (h.num ? ' class="num"' : '') + '>' + h.label + '</th>';
    }).join('') + '</tr></thead><tbody>' + rows.map(function (r) {
      return '<tr>' + r.map(function (cell, i) {
        return '<td' + (head[i] && head[i].num ? ' class="num"' : '') + '>' + cell + '</td>';
      }).join('') + '</tr>';
    }).join('') + '</tbody>';
  }
  function kpis(items) {
    var el = document.getElementById('kpis');
    if (!el) { return; }
    el.innerHTML = items.map(function (k) {
      return '<div class="kpi"><div class="k">' + k.k + '</div><div class="v">' + k.v + '</div><div class="d">' + (k.d || '') + '</div></div>';
    }).join('');
  }
  function dimLabel(id) { return nodeName(id); }
  // Units as readers write them (build.py maps the framework's units): "45.2%", "1.19" (a ratio has no unit word).
  function unitOf(n) { return (n && (LANG === 'en' ? n.unit_en : n.unit_zh)) || ''; }
  function withUnit(v, n, digits) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    var u = unitOf(n);
    return fmt(v, digits) + (u ? (u === '%' ? '%' : ' ' + esc(u)) : '');
  }
  function targetNote(n) {
    if (!n || !n.target_note) { return ''; }
    if (LANG !== 'en') { return esc(n.target_note); }
    return n.target_note_translated ? esc(n.target_note_en) : lab('chinese_original') + ': ' + esc(n.target_note);
  }
  function timeText(key) { var t = (D.times || {})[key]; return t ? t[LANG === 'en' ? 'en' : 'zh'] : ''; }
  function targetCounts(code) { return (D.target_counts || {})[code] || { total: 0, judged: 0, on: 0 }; }
  function countsText(t) {
    return fill(lab(t.total === t.judged ? 'targets_counts_all' : 'targets_counts'), { on: t.on, judged: t.judged, total: t.total, nj: t.total - t.judged });
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  // Point a table's CSV/XLSX links at the file for what the table shows now (year, indicator, measure).
  function setDownload(id, stem) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.querySelector('.dl-csv').setAttribute('href', ROOT + 'downloads/' + stem + '.csv');
    el.querySelector('.dl-xlsx').setAttribute('href', ROOT + 'downloads/' + stem + '.xlsx');
  }
  // The root's full name is long; tables and legends use a short one.
  function shortName(id) { return id === D.root ? (LANG === 'en' ? 'DEI' : '总指数') : nodeName(id); }

  // ------------------------------------------------------------ uncertainty (rank intervals, Sobol indices)
  // D.uncertainty is null for a release published before the analysis existed; the pages then show a note.
  var U = D.uncertainty;
  function intervalCell(code, node, year) {
    // a 旗县's interval (rank among all 旗县) sits apart from the 盟市'
    var byLeague = ((U && U.ranks[node]) || {})[code] || ((U && U.county_ranks && U.county_ranks[node]) || {})[code] || {};
    return byLeague[year] || null;
  }
  // Whole ranks containing the interval (a quantile between two ranks rounds outwards), as the sentences do.
  function rankRange(cell) {
    if (!cell || cell[1] === null || cell[2] === null) { return '—'; }
    var lo = Math.floor(cell[1] + 1e-9), hi = Math.ceil(cell[2] - 1e-9);
    return lo === hi ? String(lo) : lo + '–' + hi;
  }
  function bandText() { return U ? (U.interval[0] * 100) + '–' + (U.interval[1] * 100) + '%' : ''; }
  // A horizontal bar from value(0) to value(1) on category row value(2); a zero-width interval keeps a short mark.
  function intervalBar(params, api) {
    var a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), api.value(2)]);
    var h = Math.max(6, api.size([0, 1])[1] * 0.45);
    var w = Math.max(b[0] - a[0], 6);
    var cs = params.coordSys;
    var rect = echarts.graphic.clipRectByRect({ x: (a[0] + b[0]) / 2 - w / 2, y: a[1] - h / 2, width: w, height: h },
      { x: cs.x, y: cs.y, width: cs.width, height: cs.height });
    return rect && { type: 'rect', shape: rect, style: api.style() };
  }
  // A whisker from value(0) to value(1) beside bar `side` (-1 first, +1 second) of category row value(2).
  function whisker(params, api) {
    var band = api.size([0, 1])[1];
    var dy = api.value(3) * band * 0.15;
    var a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), api.value(2)]);
    var y = a[1] + dy, cap = 4;
    var style = { stroke: '#333', lineWidth: 1.2 };
    return { type: 'group', children: [
      { type: 'line', shape: { x1: a[0], y1: y, x2: b[0], y2: y }, style: style },
      { type: 'line', shape: { x1: a[0], y1: y - cap, x2: a[0], y2: y + cap }, style: style },
      { type: 'line', shape: { x1: b[0], y1: y - cap, x2: b[0], y2: y + cap }, style: style }
    ] };
  }

  function drawIntervals(year) {
    if (!U || !document.getElementById('rank-intervals')) { return; }
    var rows = leagueCodes().map(function (c) { return { code: c, cell: intervalCell(c, D.root, year) }; })
      .filter(function (r) { return r.cell && r.cell[0] !== null; })
      .sort(function (a, b) { return a.cell[0] - b.cell[0] || a.code - b.code; });
    var yearLabel = document.getElementById('interval-year');
    if (yearLabel) { yearLabel.textContent = String(year); }
    setDownload('dl-intervals', 'intervals_' + year);
    var n = D.leagues.length;
    var bandName = lab('rank_interval') + ' ' + bandText();
    var ch = charts.rankIntervals = chart('rank-intervals');
    ch.setOption({
      tooltip: { trigger: 'item', formatter: function (p) {
        var r = rows[p.dataIndex];
        return esc(leagueName(r.code)) + '<br>' + lab('nominal_rank') + ' ' + r.cell[0] + '<br>' + esc(bandName) + ' ' + rankRange(r.cell)
          + '<br>' + lab('share_kept') + ' ' + fmt(r.cell[3] * 100, 0) + '%';
      } },
      legend: { top: 0, data: [lab('nominal_rank'), bandName] },
      grid: { left: 8, right: 24, top: 36, bottom: 40, containLabel: true },
      xAxis: { type: 'value', min: 0, max: n + 1, interval: 1, name: lab('rank'), nameLocation: 'middle', nameGap: 26,
        axisLabel: { formatter: function (v) { return v >= 1 && v <= n ? String(v) : ''; } } },
      yAxis: { type: 'category', inverse: true, data: rows.map(function (r) { return leagueName(r.code); }) },
      series: [
        { name: bandName, type: 'custom', renderItem: intervalBar, encode: { x: [0, 1], y: 2 }, itemStyle: { color: '#9ec5e8' },
          data: rows.map(function (r, i) { return [r.cell[1], r.cell[2], i]; }), z: 1 },
        { name: lab('nominal_rank'), type: 'scatter', symbolSize: 11, itemStyle: { color: '#0b4f8a' },
          data: rows.map(function (r, i) { return [r.cell[0], i]; }), z: 2 }
      ]
    }, true);
    var lines = (U.lines || {})[year] || {};
    var list = document.getElementById('interval-lines');
    if (list) {
      list.innerHTML = rows.map(function (r) {
        var pair = lines[r.code]; return pair ? '<li data-league="' + r.code + '">' + esc(pair[LANG === 'en' ? 1 : 0]) + '</li>' : '';
      }).join('');
    }
  }

  function drawLeagueIntervals(code, year) {
    if (!U || !document.getElementById('rank-intervals-table')) { return; }
    var pair = ((U.lines || {})[year] || {})[code] || ((U.county_lines || {})[year] || {})[code];
    var line = document.getElementById('league-interval-line');
    if (line) { line.textContent = pair ? pair[LANG === 'en' ? 1 : 0] : ''; }
    table('rank-intervals-table', [{ label: lab('dimension') }, { label: lab('nominal_rank'), num: true },
      { label: lab('rank_interval') + ' ' + bandText(), num: true }, { label: lab('share_kept'), num: true }],
    [D.root].concat(D.dims).map(function (d) {
      var c = intervalCell(code, d, year);
      return [esc(shortName(d)), c && c[0] !== null ? c[0] : '—', rankRange(c), c && c[3] !== null ? fmt(c[3] * 100, 0) + '%' : '—'];
    }));
  }

  function drawMethodology() {
    var rows = U && U.sobol ? U.sobol.rows : [];
    if (!rows.length || !document.getElementById('sobol')) { return; }
    var names = rows.map(function (r) { return r.name[LANG === 'en' ? 1 : 0]; });
    var ci = lab('confidence');
    var ch = charts.sobol = chart('sobol');
    ch.setOption({
      color: ['#6fa8dc', '#0b4f8a', '#333'],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: function (ps) {
        var r = rows[ps[0].dataIndex];
        return esc(names[ps[0].dataIndex]) + '<br>' + lab('first_order') + ' ' + fmt(r.first) + ' [' + fmt(r.first_low) + ', ' + fmt(r.first_high) + ']'
          + '<br>' + lab('total_order') + ' ' + fmt(r.total) + ' [' + fmt(r.total_low) + ', ' + fmt(r.total_high) + ']';
      } },
      legend: { top: 0, data: [lab('first_order'), lab('total_order'), ci] },
      grid: { left: 8, right: 32, top: 36, bottom: 40, containLabel: true },
      xAxis: { type: 'value', name: 'Sobol', nameLocation: 'middle', nameGap: 26,
        min: function (v) { return Math.min(0, Math.floor(v.min * 10) / 10); },
        max: function (v) { return Math.max(1, Math.ceil(v.max * 10) / 10); } },
      yAxis: { type: 'category', inverse: true, data: names, axisLabel: { width: 180, overflow: 'truncate' } },
      series: [
        { name: lab('first_order'), type: 'bar', barWidth: '30%', barGap: '0%', data: rows.map(function (r) { return r.first; }) },
        { name: lab('total_order'), type: 'bar', barWidth: '30%', barGap: '0%', data: rows.map(function (r) { return r.total; }) },
        { name: ci, type: 'custom', renderItem: whisker, encode: { x: [0, 1], y: 2 }, z: 3,
          data: rows.map(function (r, i) { return [r.first_low, r.first_high, i, -1]; })
            .concat(rows.map(function (r, i) { return [r.total_low, r.total_high, i, 1]; }))
            .filter(function (d) { return d[0] !== null && d[1] !== null; }) }
      ]
    }, true);
  }

  // ------------------------------------------------------------ overview
  var overviewYear = D.latest;

  function drawOverview() {
    var select = document.getElementById('year-select');
    if (select && !select.options.length) {
      D.years.slice().reverse().forEach(function (y) {
        var o = document.createElement('option'); o.value = y; o.textContent = y; select.appendChild(o);
      });
      select.value = String(overviewYear);
      select.addEventListener('change', function () { overviewYear = Number(select.value); drawOverview(); });
    }
    var year = overviewYear;
    var codes = leagueCodes();
    drawIntervals(year);
    // the release's disparity table (index/analyses/disparity.py): the index, 蒙东 against 蒙西, every year
    if (document.getElementById('disparity') && D.disparity) {
      var pct = function (v) { return v === null ? '—' : fmt(100 * v, 1) + '%'; };
      table('disparity', [{ label: lab('year') }, { label: lab('gini'), num: true }, { label: lab('share_within'), num: true },
        { label: lab('share_between'), num: true }, { label: lab('share_transvariation'), num: true },
        { label: lab('theil'), num: true }, { label: lab('cv'), num: true }],
      D.disparity.map(function (r) {
        return [r.year, fmt(r.gini, 3), pct(r.share_within), pct(r.share_between), pct(r.share_transvariation),
          fmt(r.theil, 3), fmt(r.cv, 3)];
      }));
    }
    var rows = codes.map(function (c) { var s = score(D.root, c, year); return { code: c, s: s }; })
      .filter(function (r) { return r.s; })
      .sort(function (a, b) { return a.s[1] - b.s[1]; });

    // KPIs
    var region = (D.region_trend[D.root] || {});
    var prev = region[year - 1];
    var top = rows[0];
    var improved = rows.slice().filter(function (r) { return r.s[2] !== null; })
      .sort(function (a, b) { return b.s[2] - a.s[2]; })[0];
    kpis([
      { k: lab('kpi_region') + ' · ' + year + ' <span class="muted">(' + lab(D.region_kind === 'row' ? 'region_row' : 'region_mean') + ')</span>',
        v: fmt(region[year]), d: prev !== undefined ? '<span class="' + cls(region[year] - prev) + '">' + signed(region[year] - prev) + '</span> ' + lab('score_change') : '' },
      { k: lab('kpi_top'), v: top ? esc(leagueName(top.code)) : '—', d: top ? fmt(top.s[0]) : '' },
      { k: lab('kpi_most_improved'), v: improved ? esc(leagueName(improved.code)) : '—', d: improved ? '<span class="up">' + signed(improved.s[2]) + '</span>' : '' },
      { k: lab('kpi_release'), v: '<code>' + esc(D.release.id) + '</code>', d: esc(timeText('published_at') || timeText('created_at')) }
    ]);

    // Map: colours span the selected year by default (one year's differences stay visible); pooled on request.
    var pooled = document.getElementById('scale-pooled');
    if (pooled && !pooled.__dei) {
      document.querySelectorAll('input[name="map-scale"]').forEach(function (r) { r.addEventListener('change', drawOverview); });
      pooled.__dei = true;
    }
    var usePooled = !!(pooled && pooled.checked);
    var all = [];
    codes.forEach(function (c) {
      (usePooled ? D.years : [year]).forEach(function (y) { var s = score(D.root, c, y); if (s) { all.push(s[0]); } });
    });
    var scaleNote = document.getElementById('scale-note');
    if (scaleNote) { scaleNote.textContent = lab(usePooled ? 'scale_note_pooled' : 'scale_note_year') + '：' + fmt(Math.min.apply(null, all), 1) + ' – ' + fmt(Math.max.apply(null, all), 1); }
    if (!echarts.getMap('nmg')) { echarts.registerMap('nmg', mapGeo()); }
    var map = charts.map = chart('map', 'svg');
    map.setOption({
      tooltip: { trigger: 'item', formatter: function (p) {
        var s = score(D.root, Number(p.name), year);
        return esc(leagueName(p.name)) + '<br>' + lab('score') + ' ' + fmt(p.value) + (s ? '<br>' + lab('rank') + ' ' + s[1] : '');
      } },
      visualMap: { min: Math.floor(Math.min.apply(null, all)), max: Math.ceil(Math.max.apply(null, all)), left: 10, bottom: 10,
        calculable: true, text: [lab('score'), ''], inRange: { color: ['#e8f1fa', '#6fa8dc', '#0b4f8a'] } },
      series: [{
        type: 'map', map: 'nmg', roam: true, name: nodeName(D.root), aspectScale: 0.85,
        top: 10, bottom: 10, left: 90, right: 10,
        label: { show: true, fontSize: 11, color: '#1d2733', formatter: function (p) { return leagueName(p.name); } },
        labelLayout: { moveOverlap: 'shiftY' },
        emphasis: { label: { show: true } },
        data: rows.map(function (r) { return { name: String(r.code), value: r.s[0] }; })
      }]
    }, true);
    if (!map.__deiClick) {
      map.on('click', function (p) { if (LEAGUES[p.name]) { window.location.href = ROOT + 'league/' + p.name + '.html'; } });
      map.__deiClick = true;
    }

    // Ranking
    var ry = document.getElementById('ranking-year'); if (ry) { ry.textContent = year; }
    var head = [{ label: lab('rank'), num: true }, { label: lab('league') }, { label: shortName(D.root), num: true },
      { label: lab('score_change'), num: true }, { label: lab('rank_change'), num: true }];
    D.dims.forEach(function (d) { head.push({ label: esc(dimLabel(d)), num: true }); });
    head.push({ label: lab('targets_on_track') + ' (' + D.latest + ')', num: true });
    setDownload('dl-ranking', 'ranking_' + year);
    table('ranking', head, rows.map(function (r) {
      var t = targetCounts(r.code);
      var cells = [r.s[1], '<a href="' + ROOT + 'league/' + r.code + '.html">' + esc(leagueName(r.code)) + '</a>', fmt(r.s[0]),
        '<span class="' + cls(r.s[2]) + '">' + signed(r.s[2]) + '</span>', rankArrow(r.s[3])];
      D.dims.forEach(function (d) { var s = score(d, r.code, year); cells.push(s ? fmt(s[0], 1) : '—'); });
      cells.push(t.judged ? '<span title="' + esc(countsText(t)) + '">'
        + t.on + '/' + t.judged + (t.total !== t.judged ? '<sup>*</sup>' : '') + '</span>' : '—');
      return cells;
    }));

    // 自治区 trend
    var kind = document.getElementById('region-kind');
    if (kind) { kind.textContent = '(' + lab(D.region_kind === 'row' ? 'region_row' : 'region_mean') + ')'; }
    var trend = charts.regionTrend = chart('region-trend');
    var nodes = [D.root].concat(D.dims);
    trend.setOption({
      color: PALETTE, tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v); } },
      legend: { top: 0, type: 'scroll' }, grid: { left: 48, right: 24, top: 60, bottom: 30 },
      xAxis: { type: 'category', data: D.years.map(String) }, yAxis: { type: 'value', name: lab('score') },
      series: nodes.map(function (n, i) {
        var byYear = D.region_trend[n] || {};
        return { name: shortName(n), type: 'line', smooth: false, symbolSize: i === 0 ? 8 : 5,
          lineStyle: { width: i === 0 ? 4 : 2 }, data: D.years.map(function (y) { return byYear[y] === undefined ? null : byYear[y]; }) };
      })
    }, true);
  }

  // ------------------------------------------------------------ league page
  // A 盟市 page compares the 盟市 with the 12 盟市; a county page (county/<code>.html) the county with all 旗县市区.
  function drawLeague() {
    var code = Number(document.body.getAttribute('data-league'));
    drawLeagueIntervals(code, D.latest);
    drawCountyMap(code);
    drawCountyRanking(code);
    drawUnit(code, leagueCodes(), false);
  }

  function drawCounty() {
    var code = Number(document.body.getAttribute('data-county'));
    drawLeagueIntervals(code, D.latest);
    drawUnit(code, countyCodes(), true);
  }

  function countiesOf(code) { return (D.counties || []).filter(function (c) { return c.parent === code; }); }

  function drawCountyMap(code) {
    if (!document.getElementById('county-map') || !window.NMG_COUNTY_GEO) { return; }
    var year = D.latest;
    var mapName = 'nmg-' + code;
    if (!echarts.getMap(mapName)) { echarts.registerMap(mapName, window.NMG_COUNTY_GEO); }
    var data = countiesOf(code).map(function (c) { var s = score(D.root, c.code, year); return { name: String(c.code), value: s ? s[0] : null }; });
    var vals = data.map(function (d) { return d.value; }).filter(function (v) { return v !== null; });
    var map = charts.countyMap = chart('county-map', 'svg');
    map.setOption({
      tooltip: { trigger: 'item', formatter: function (p) {
        var s = score(D.root, Number(p.name), year);
        return esc(leagueName(p.name)) + '<br>' + lab('score') + ' ' + fmt(p.value) + (s ? '<br>' + lab('rank_in_league') + ' ' + s[4] : '');
      } },
      visualMap: { min: vals.length ? Math.floor(Math.min.apply(null, vals)) : 0, max: vals.length ? Math.ceil(Math.max.apply(null, vals)) : 100,
        left: 10, bottom: 10, calculable: true, text: [lab('score'), ''], inRange: { color: ['#e8f1fa', '#6fa8dc', '#0b4f8a'] } },
      series: [{
        type: 'map', map: mapName, roam: true, name: nodeName(D.root), top: 10, bottom: 10, left: 90, right: 10,
        label: { show: true, fontSize: 10, color: '#1d2733', formatter: function (p) { return leagueName(p.name); } },
        labelLayout: { hideOverlap: true }, emphasis: { label: { show: true } },
        data: data
      }]
    }, true);
    if (!map.__deiClick) {
      map.on('click', function (p) { if (COUNTIES[p.name]) { window.location.href = ROOT + 'county/' + p.name + '.html'; } });
      map.__deiClick = true;
    }
  }

  function drawCountyRanking(code) {
    if (!document.getElementById('county-ranking')) { return; }
    var rows = ((D.county_rankings || {})[code] || []);
    table('county-ranking', [{ label: lab('rank_in_league'), num: true }, { label: lab('county') }, { label: shortName(D.root), num: true },
      { label: lab('region_rank'), num: true }, { label: lab('rank_in_league_change'), num: true }],
    rows.map(function (r) {
      return [r.rank_in_parent === null ? '—' : r.rank_in_parent, '<a href="' + ROOT + 'county/' + r.code + '.html">' + esc(leagueName(r.code)) + '</a>',
        fmt(r.score), r.rank === null ? '—' : r.rank + ' / ' + countyCodes().length, rankArrow(r.change)];
    }));
  }

  function drawUnit(code, codes, county) {
    var year = D.latest;
    var meanLabel = lab(county ? 'county_mean' : 'league_mean');
    var dei = score(D.root, code, year) || [null, null, null, null];
    var t = targetCounts(code);
    var items = [
      { k: nodeName(D.root) + ' · ' + year, v: fmt(dei[0]), d: '<span class="' + cls(dei[2]) + '">' + signed(dei[2]) + '</span> ' + lab('score_change') },
      { k: lab(county ? 'region_rank' : 'rank'), v: (dei[1] || '—') + ' / ' + codes.length, d: lab('rank_change') + ' ' + rankArrow(dei[3]) },
      { k: lab('targets_on_track') + ' (' + lab('on_track') + ' / ' + lab('targets_kpi_judged') + ')', v: t.judged ? t.on + ' / ' + t.judged : '—',
        d: fill(lab(t.total === t.judged ? 'targets_kpi_sub_all' : 'targets_kpi_sub'), { total: t.total, nj: t.total - t.judged }) },
      { k: lab('kpi_release'), v: '<code>' + esc(D.release.id) + '</code>', d: '' }
    ];
    if (county) {
      var parent = (COUNTIES[code] || {}).parent;
      items.splice(2, 0, { k: lab('rank_in_league'), v: (dei[4] || '—') + ' / ' + countiesOf(parent).length, d: esc(leagueName(parent)) });
    }
    kpis(items);

    var radar = charts.radar = chart('radar');
    radar.setOption({
      color: ['#0b4f8a', '#e07b39'], tooltip: {}, legend: { bottom: 0 },
      radar: { radius: '60%', clockwise: true, axisName: { formatter: function (name) { return wrapWords(name, 18); } },
        indicator: D.dims.map(function (d) { return { name: dimLabel(d), max: 100 }; }) },
      series: [{ type: 'radar', data: [
        { name: leagueName(code), value: D.dims.map(function (d) { var s = score(d, code, year); return s ? Number(fmt(s[0])) : 0; }), areaStyle: { opacity: 0.25 } },
        { name: meanLabel, value: D.dims.map(function (d) { return Number(fmt(mean(codes.map(function (c) { var s = score(d, c, year); return s ? s[0] : null; })))); }), lineStyle: { type: 'dashed' } }
      ] }]
    }, true);

    var trend = charts.trend = chart('trend');
    trend.setOption({
      color: ['#0b4f8a', '#e07b39', '#888'], tooltip: { trigger: 'axis' }, legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: D.years.map(String) },
      yAxis: [{ type: 'value', name: lab('score') }, { type: 'value', name: lab('rank'), inverse: true, min: 1, max: codes.length, interval: county ? undefined : 1, splitLine: { show: false } }],
      series: [
        { name: leagueName(code), type: 'line', lineStyle: { width: 3 }, data: D.years.map(function (y) { var s = score(D.root, code, y); return s ? s[0] : null; }) },
        { name: meanLabel, type: 'line', lineStyle: { type: 'dashed' }, data: D.years.map(function (y) { return mean(codes.map(function (c) { var s = score(D.root, c, y); return s ? s[0] : null; })); }) },
        { name: lab('rank'), type: 'line', step: 'middle', yAxisIndex: 1, symbol: 'diamond', data: D.years.map(function (y) { var s = score(D.root, code, y); return s ? s[1] : null; }) }
      ]
    }, true);

    table('dimensions', [{ label: lab('dimension') }, { label: lab('score'), num: true }, { label: lab('score_change'), num: true },
      { label: lab('rank'), num: true }, { label: lab('rank_change'), num: true }, { label: meanLabel, num: true }],
    [D.root].concat(D.dims).map(function (d) {
      var s = score(d, code, year) || [null, null, null, null];
      return [esc(shortName(d)), fmt(s[0]), '<span class="' + cls(s[2]) + '">' + signed(s[2]) + '</span>', s[1] || '—', rankArrow(s[3]),
        fmt(mean(codes.map(function (c) { var x = score(d, c, year); return x ? x[0] : null; })))];
    }));

    var sw = D.strengths[code] || { best: [], worst: [] };
    var swHead = [{ label: lab('indicator') }, { label: lab('value'), num: true }, { label: lab('normalised'), num: true },
      { label: meanLabel, num: true }, { label: lab('gap'), num: true }, { label: lab('indicator_rank'), num: true }];
    function swRows(list) {
      return list.map(function (r) {
        var n = NODES[r.indicator_id] || {};
        var value = r.denominated_value === null ? (r.imputed ? '<span class="imputed">' + lab('imputed') + '</span>' : '—') : withUnit(r.denominated_value, n);
        return ['<a href="' + ROOT + 'indicators.html#' + r.indicator_id + '">' + esc(nodeName(r.indicator_id)) + '</a>', value,
          fmt(r.normalised, 1), fmt(r.league_mean, 1), '<span class="' + cls(r.gap) + '">' + signedGap(r.gap) + '</span>', r.indicator_rank + ' / ' + (r.peers || codes.length)];
      });
    }
    [['strengths', sw.best], ['weaknesses', sw.worst]].forEach(function (pair) {
      table(pair[0], swHead, swRows(pair[1]));
      var empty = document.getElementById(pair[0] + '-empty');
      if (empty) { empty.hidden = pair[1].length > 0; }
      document.getElementById(pair[0]).hidden = pair[1].length === 0;
    });

    // the release's obstacles table (index/analyses/obstacles.py): the three largest, already ranked
    if (document.getElementById('obstacles')) {
      var obstacles = (D.obstacles || {})[code] || [];
      table('obstacles', [{ label: lab('rank'), num: true }, { label: lab('indicator') }, { label: lab('dimension') },
        { label: lab('obstacle_share'), num: true }],
      obstacles.map(function (r) {
        return [r.rank, '<a href="' + ROOT + 'indicators.html#' + r.indicator_id + '">' + esc(nodeName(r.indicator_id)) + '</a>',
          r.dimension ? esc(shortName(r.dimension)) : '—', r.obstacle === null ? '—' : fmt(100 * r.obstacle, 1) + '%'];
      }));
    }

    // build.py orders targets (share reached, highest first); the bar chart lists bottom-up, so it is reversed.
    var targets = (D.targets[code] || []).slice();
    var chartRows = targets.slice().reverse();
    var counts = document.getElementById('targets-counts');
    if (counts) { counts.textContent = t.total ? countsText(t) : ''; }
    var tgt = charts.targets = chart('targets');
    var note = document.getElementById('targets-note');
    if (note) { note.textContent = lab(D.target_source === 'table' ? 'targets_source_table' : 'targets_source_absent'); }
    if (!targets.length) {
      tgt.setOption({ title: { text: lab(county ? 'no_targets_county' : 'no_targets'), left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#6b7785' } } }, true);
    } else {
      document.getElementById('targets').style.height = Math.max(220, 40 + targets.length * 30) + 'px';
      tgt.resize();
      tgt.setOption({
        tooltip: { trigger: 'item', formatter: function (p) { return esc(p.name) + '<br>' + lab('share_reached') + ' ' + fmt(p.value, 1) + '%'; } },
        grid: { left: 8, right: 40, top: 24, bottom: 24, containLabel: true },
        xAxis: { type: 'value', name: '%', max: function (v) { return Math.max(120, Math.ceil(v.max / 10) * 10); } },
        yAxis: { type: 'category', data: chartRows.map(function (r) { return nodeName(r.indicator_id); }), axisLabel: { width: 220, overflow: 'truncate' } },
        series: [{ type: 'bar', barMaxWidth: 18,
          label: { show: true, position: 'right', formatter: function (p) { return fmt(p.value, 0) + '%'; } },
          data: chartRows.map(function (r) {
            return { value: r.share === null ? 0 : r.share * 100, itemStyle: { color: r.on_track === false ? '#c0392b' : (r.on_track ? '#1a8a4a' : '#6b7785') } };
          }),
          markLine: { silent: true, symbol: 'none', lineStyle: { color: '#333', type: 'dashed' }, data: [{ xAxis: 100 }], label: { formatter: '100%' } }
        }]
      }, true);
    }
    table('targets-table', [{ label: lab('indicator') }, { label: lab('year'), num: true }, { label: lab('value'), num: true },
      { label: lab('target'), num: true }, { label: lab('share_reached'), num: true }, { label: lab('on_track') }, { label: lab('target_note') }],
    targets.map(function (r) {
      var n = NODES[r.indicator_id] || {};
      var badge = r.on_track === null || r.on_track === undefined ? '<span class="badge na">' + lab('not_judged') + '</span>'
        : '<span class="badge ' + (r.on_track ? 'ok">' + lab('on_track') : 'no">' + lab('off_track')) + '</span>';
      return ['<a href="' + ROOT + 'indicators.html#' + r.indicator_id + '">' + esc(nodeName(r.indicator_id)) + '</a>', r.year,
        withUnit(r.value, n), withUnit(r.target, n), r.share === null ? '—' : fmt(r.share * 100, 1) + '%',
        badge, targetNote(n)];
    }));
  }

  // ------------------------------------------------------------ indicator explorer
  function indicatorIds() {
    return D.nodes.filter(function (n) { return n.node_type === 'Indicator' && D.values[n.node_id]; }).map(function (n) { return n.node_id; });
  }

  function drawIndicators() {
    var select = document.getElementById('indicator-select');
    var measureSel = document.getElementById('measure-select');
    var wanted = select.value || decodeURIComponent((window.location.hash || '').slice(1)) || indicatorIds()[0];
    select.innerHTML = '';
    D.dims.forEach(function (d) {
      var group = document.createElement('optgroup');
      group.label = dimLabel(d);
      D.nodes.forEach(function (n) {
        if (n.parent_id === d && n.node_type === 'Indicator' && D.values[n.node_id]) {
          var o = document.createElement('option'); o.value = n.node_id; o.textContent = nodeName(n.node_id); group.appendChild(o);
        }
      });
      select.appendChild(group);
    });
    select.value = D.values[wanted] ? wanted : indicatorIds()[0];
    Array.prototype.forEach.call(measureSel.options, function (o) { o.textContent = o.getAttribute('data-' + LANG); });
    if (!select.__dei) {
      select.addEventListener('change', function () {
        if (window.history && window.history.replaceState) { window.history.replaceState(null, '', '#' + select.value); }
        drawExplorer();
      });
      measureSel.addEventListener('change', drawExplorer);
      window.addEventListener('hashchange', function () {
        var id = decodeURIComponent(window.location.hash.slice(1));
        if (D.values[id] && select.value !== id) { select.value = id; drawExplorer(); }
      });
      select.__dei = true;
    }
    drawExplorer();
  }

  function drawExplorer() {
    var id = document.getElementById('indicator-select').value;
    var measure = document.getElementById('measure-select').value;
    var n = NODES[id] || {};
    var pos = { raw: 0, value: 1, normalised: 2 }[measure];
    var unit = measure === 'normalised' ? '0–100' : (measure === 'raw' ? (LANG === 'en' ? n.raw_unit_en : n.raw_unit_zh) || '' : (LANG === 'en' ? n.unit_long_en : n.unit_long_zh) || '');
    setDownload('dl-explorer', 'explorer_' + id + '_' + measure);
    var info = [
      [lab('indicator'), LANG === 'en' ? esc(n.name_en || n.name_zh) + ' <span class="zh-beside">' + esc(n.name_zh) + '</span>' : esc(n.name_zh)],
      [lab('dimension'), esc(nodeName(n.parent_id))],
      [lab('unit'), esc(LANG === 'en' ? n.unit_long_en : n.unit_long_zh) + (n.raw_unit && n.raw_unit !== n.unit ? '（' + lab('raw_unit') + ' ' + esc(LANG === 'en' ? n.raw_unit_en : n.raw_unit_zh) + '）' : '')],
      [lab('polarity'), n.polarity > 0 ? '↑ ' + lab('polarity_pos') : (n.polarity < 0 ? '↓ ' + lab('polarity_neg') : '—')],
      [lab('weight'), fmt(n.weight, 3) + ' · ' + lab('effective_weight') + ' ' + fmt(n.effective_weight, 4)],
      [lab('target'), (n.target_2025 === null || n.target_2025 === undefined ? '—' : withUnit(n.target_2025, n)) + (n.target_note ? (LANG === 'en' ? ' (' + targetNote(n) + ')' : '（' + targetNote(n) + '）') : '')],
      // The framework has these in Chinese only: English pages say so rather than pass them off as translated.
      [lab('department'), esc(n.department || '—')],
      [lab('clause'), esc(n.source_clause || '—')],
      [lab('definition') + (LANG === 'en' ? ' <span class="muted">(' + lab('chinese_original') + ')</span>' : ''), esc(n.definition || '—')]
    ];
    document.getElementById('indicator-info').innerHTML = info.map(function (r) { return '<dt>' + r[0] + '</dt><dd>' + r[1] + '</dd>'; }).join('');

    var byLeague = D.values[id] || {};
    var codes = leagueCodes();
    if (D.region_values && byLeague[D.region_code]) { codes = codes.concat([D.region_code]); }
    var ex = charts.explorer = chart('explorer');
    ex.setOption({
      color: PALETTE,
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v) + ' ' + unit; } },
      legend: { type: 'scroll', top: 0 }, grid: { left: 56, right: 24, top: 48, bottom: 30 },
      xAxis: { type: 'category', data: D.years.map(String) },
      yAxis: { type: 'value', name: unit, scale: true },
      series: codes.map(function (c) {
        var cells = byLeague[c] || {};
        return { name: leagueName(c), type: 'line', connectNulls: false,
          lineStyle: Number(c) === D.region_code ? { width: 4, type: 'dashed' } : { width: 2 },
          data: D.years.map(function (y) {
            var cell = cells[y];
            if (!cell) { return null; }
            var v = cell[pos];
            if (cell[3]) { return { value: v, symbol: 'emptyCircle', symbolSize: 11, itemStyle: { borderWidth: 2.5 }, imputed: true }; }
            return v;
          }) };
      })
    }, true);

    var head = [{ label: lab('league') }].concat(D.years.map(function (y) { return { label: String(y), num: true }; }));
    table('explorer-table', head, codes.map(function (c) {
      var cells = byLeague[c] || {};
      var link = LEAGUES[c] ? '<a href="league/' + c + '.html">' + esc(leagueName(c)) + '</a>' : esc(leagueName(c));
      return [link].concat(D.years.map(function (y) {
        var cell = cells[y];
        if (!cell) { return '—'; }
        var shown = cell[pos] === null ? '' : fmt(cell[pos]);
        return cell[3] ? '<span class="imputed" title="' + lab('imputed') + ': ' + esc(cell[4] || '') + '">' + (shown || lab('imputed')) + '*</span>' : (shown || '—');
      }));
    }));
  }

  // ------------------------------------------------------------ 区域差异 (disparity.html; index/report/disparity.py)
  // D.disparity_page holds the release's analysis tables; a part is null when the release has no such table.
  var V = D.disparity_page || {};
  function pick(el) { return el ? el.value : null; }
  // Point a download at the file for the selection, or hide it when the build wrote none (no rows for it).
  function setDownloadIf(id, stem) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var there = (D.downloads || []).indexOf(stem) >= 0;
    el.hidden = !there;
    if (there) { setDownload(id, stem); }
  }
  function groupName(g) { return LANG === 'en' ? ((V.group_names || {})[g] || g) : g; }
  function pairName(p) { return p.split(' – ').map(groupName).join(' – '); }

  function drawDisparity() {
    if (!V.available) { return; }
    var gSel = document.getElementById('grouping-select');
    var nSel = document.getElementById('node-select');
    var sSel = document.getElementById('system-select');
    [gSel, sSel].forEach(function (sel) {
      if (sel) { Array.prototype.forEach.call(sel.options, function (o) { o.textContent = o.getAttribute('data-' + LANG); }); }
    });
    var wanted = pick(nSel) || (V.nodes.indexOf(D.root) >= 0 ? D.root : V.nodes[0]);
    if (nSel) {
      nSel.innerHTML = '';
      V.nodes.forEach(function (n) { var o = document.createElement('option'); o.value = n; o.textContent = shortName(n); nSel.appendChild(o); });
      nSel.value = wanted;
    }
    if (gSel && !gSel.__dei) {
      [gSel, nSel, sSel].forEach(function (sel) { if (sel) { sel.addEventListener('change', drawDisparity); } });
      gSel.__dei = true;
    }
    var g = pick(gSel), node = pick(nSel) || D.root;
    var years = D.years.map(String);
    var note = lab('no_data');

    // (a) Dagum: within + between + transvariation stacked, the overall Gini as a line
    if (document.getElementById('dagum')) {
      var rows = ((V.decomposition || {})[g] || {})[node] || [];
      setDownloadIf('dl-dagum', 'dagum_' + g + '_' + node);
      var at = {}; rows.forEach(function (r) { at[r.year] = r; });
      function col(k) { return D.years.map(function (y) { return at[y] ? at[y][k] : null; }); }
      var dg = charts.dagum = chart('dagum');
      dg.setOption({
        color: ['#6fa8dc', '#0b4f8a', '#e07b39', '#333'],
        title: rows.length ? undefined : { text: note, left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#6b7785' } },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: function (v) { return fmt(v, 3); } },
        legend: { top: 0 }, grid: { left: 48, right: 24, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: years }, yAxis: { type: 'value', name: lab('gini') },
        series: [
          { name: lab('gini_within'), type: 'bar', stack: 'gini', barMaxWidth: 48, data: col('gini_within') },
          { name: lab('gini_between'), type: 'bar', stack: 'gini', barMaxWidth: 48, data: col('gini_between') },
          { name: lab('gini_transvariation'), type: 'bar', stack: 'gini', barMaxWidth: 48, data: col('gini_transvariation') },
          { name: lab('gini_overall'), type: 'line', symbolSize: 7, data: col('gini'),
            label: { show: true, position: 'top', formatter: function (p) { return fmt(p.value, 3); } } }
        ]
      }, true);
      table('dagum-table', [{ label: lab('year') }, { label: lab('gini'), num: true }, { label: lab('gini_within'), num: true },
        { label: lab('gini_between'), num: true }, { label: lab('gini_transvariation'), num: true },
        { label: lab('theil'), num: true }, { label: lab('cv'), num: true }],
      rows.map(function (r) {
        return [r.year, fmt(r.gini, 3), fmt(r.gini_within, 3), fmt(r.gini_between, 3), fmt(r.gini_transvariation, 3),
          fmt(r.theil, 3), fmt(r.cv, 3)];
      }));
    }

    // (b) each group's own Gini, and the Gini between each pair of groups
    function lines(id, key, byName, nameOf, stem) {
      if (!document.getElementById(id)) { return; }
      setDownloadIf(stem[0], stem[1]);
      var names = Object.keys(byName || {});
      var ch = charts[key] = chart(id);
      ch.setOption({
        color: PALETTE,
        title: names.length ? undefined : { text: note, left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#6b7785' } },
        tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 3); } },
        legend: { top: 0, type: 'scroll' }, grid: { left: 48, right: 24, top: 40, bottom: 30 },
        xAxis: { type: 'category', data: years }, yAxis: { type: 'value', name: lab('gini') },
        series: names.map(function (n) {
          var at = {}; byName[n].forEach(function (r) { at[r[0]] = r[1]; });
          return { name: nameOf(n), type: 'line', symbolSize: 7, data: D.years.map(function (y) { return at[y] === undefined ? null : at[y]; }) };
        })
      }, true);
    }
    lines('group-gini', 'groupGini', ((V.groups || {})[g] || {})[node], groupName, ['dl-groupgini', 'groupgini_' + g + '_' + node]);
    lines('pair-gini', 'pairGini', ((V.pairs || {})[g] || {})[node], pairName, ['dl-pairgini', 'pairgini_' + g + '_' + node]);

    // (c) density ridges: one curve per year, each lifted above the one before
    if (document.getElementById('density')) {
      var byYear = (V.distribution || {})[node] || {};
      setDownloadIf('dl-density', 'density_' + node);
      var ys = Object.keys(byYear).sort();
      var peak = 0;
      ys.forEach(function (y) { byYear[y].forEach(function (p) { if (p[1] > peak) { peak = p[1]; } }); });
      var step = peak * 0.55 || 1;
      var ridge = charts.density = chart('density');
      ridge.setOption({
        color: PALETTE,
        title: ys.length ? undefined : { text: note, left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#6b7785' } },
        tooltip: { trigger: 'item', formatter: function (p) {
          return esc(p.seriesName) + '<br>' + lab('score') + ' ' + fmt(p.value[0], 1) + '<br>' + lab('density') + ' ' + fmt(p.value[2], 4);
        } },
        grid: { left: 56, right: 24, top: 16, bottom: 40 },
        xAxis: { type: 'value', name: lab('score'), nameLocation: 'middle', nameGap: 26, scale: true, axisLine: { onZero: false } },
        yAxis: { type: 'value', min: 0, axisLine: { show: false }, axisTick: { show: false }, max: step * (ys.length - 1) + peak * 1.05, interval: step, splitLine: { show: false },
          axisLabel: { formatter: function (v) { var i = Math.round(v / step); return Math.abs(v - i * step) < step * 1e-6 && ys[i] ? ys[i] : ''; } } },
        series: ys.map(function (y, i) {
          var off = i * step;
          return { name: y, type: 'line', showSymbol: false, smooth: true, z: ys.length - i,
            lineStyle: { width: 1.5 }, areaStyle: { opacity: 0.35, origin: off },
            data: byYear[y].map(function (p) { return [p[0], p[1] + off, p[1]]; }) };
        })
      }, true);
    }

    // (d) coupling coordination: 盟市 × year, coloured by the ten classes
    if (document.getElementById('coupling') && V.coupling) {
      var si = Number(pick(sSel) || 0);
      var system = V.systems[si];
      setDownloadIf('dl-coupling', 'coupling_' + si);
      var byUnit = V.coupling[system] || {};
      var codes = leagueCodes().filter(function (c) { return byUnit[c]; });
      var cells = [];
      codes.forEach(function (c, row) {
        D.years.forEach(function (y, colIndex) { var v = byUnit[c][y]; if (v && v[0] !== null) { cells.push([colIndex, row, v[0], c, y]); } });
      });
      var classes = V.classes || [];
      var colours = ['#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac', '#053061'];
      var heat = charts.coupling = chart('coupling');
      heat.setOption({
        tooltip: { trigger: 'item', formatter: function (p) {
          var v = byUnit[p.value[3]][p.value[4]];
          return esc(leagueName(p.value[3])) + ' · ' + p.value[4] + '<br>' + lab('coupling_d') + ' ' + fmt(v[0], 3)
            + '<br>' + lab('coupling_class') + ' ' + esc(LANG === 'en' ? v[2] : v[1])
            + '<br>' + lab('coupling_c') + ' ' + fmt(v[3], 3) + ' · ' + lab('coupling_t') + ' ' + fmt(v[4], 3);
        } },
        grid: { left: 8, right: 16, top: 8, bottom: 90, containLabel: true },
        xAxis: { type: 'category', data: years, splitArea: { show: true } },
        yAxis: { type: 'category', inverse: true, data: codes.map(leagueName), splitArea: { show: true } },
        visualMap: { type: 'piecewise', dimension: 2, orient: 'horizontal', left: 'center', bottom: 0, itemGap: 6,
          pieces: classes.map(function (c, i) {
            return { gte: c[0], lt: i === classes.length - 1 ? 1.0000001 : c[1], label: c[0].toFixed(1) + '–' + c[1].toFixed(1) + ' ' + (LANG === 'en' ? c[3] : c[2]),
              color: colours[i] };
          }), textStyle: { fontSize: 10 } },
        series: [{ type: 'heatmap', data: cells, label: { show: true, fontSize: 10, formatter: function (p) { return fmt(p.value[2], 2); } },
          emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }]
      }, true);
    }

    // (e) σ convergence (cv by year) and the β regression in words
    if (document.getElementById('sigma')) {
      var sig = (V.sigma || {})[node] || [];
      setDownloadIf('dl-sigma', 'sigma_' + node);
      var atS = {}; sig.forEach(function (r) { atS[r[0]] = r[1]; });
      var sc = charts.sigma = chart('sigma');
      sc.setOption({
        color: ['#0b4f8a'],
        title: sig.length ? undefined : { text: note, left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#6b7785' } },
        tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 3); } },
        grid: { left: 48, right: 24, top: 24, bottom: 30 },
        xAxis: { type: 'category', data: years }, yAxis: { type: 'value', name: lab('cv'), scale: true },
        series: [{ name: lab('cv'), type: 'line', symbolSize: 8, data: D.years.map(function (y) { return atS[y] === undefined ? null : atS[y]; }),
          label: { show: true, position: 'top', formatter: function (p) { return fmt(p.value, 3); } } }]
      }, true);
    }
    var betaLine = document.getElementById('beta-line');
    if (betaLine) {
      var b = (V.beta || {})[node];
      betaLine.textContent = b && b.sentence ? b.sentence[LANG === 'en' ? 1 : 0] : lab('no_beta_node');
    }
  }

  // ------------------------------------------------------------ language and start-up
  function draw() {
    if (page === 'overview') { drawOverview(); }
    else if (page === 'league') { drawLeague(); }
    else if (page === 'county') { drawCounty(); }
    else if (page === 'indicators') { drawIndicators(); }
    else if (page === 'methodology') { drawMethodology(); }
    else if (page === 'disparity') { drawDisparity(); }
  }

  function setLang(lang) {
    LANG = lang;
    html.className = html.className.replace(/\blang-(zh|en)\b/g, '').trim() + ' lang-' + lang;
    html.setAttribute('lang', lang === 'en' ? 'en' : 'zh-CN');
    document.title = document.title.replace(/· .*$/, '· ' + lab('site_title'));
    try { window.localStorage.setItem('dei-lang', lang); } catch (e) { /* not persisted; still switched */ }
    draw();
  }

  document.getElementById('lang-toggle').addEventListener('click', function () { setLang(LANG === 'en' ? 'zh' : 'en'); });
  // A chart follows its own box (a resized window, a folded panel, a wider language); the window event is the
  // fallback for browsers without ResizeObserver.
  function resizeCharts() { Object.keys(charts).forEach(function (k) { if (charts[k]) { charts[k].resize(); } }); }
  if (window.ResizeObserver) {
    var seen = new ResizeObserver(resizeCharts);
    Array.prototype.forEach.call(document.querySelectorAll('.chart'), function (el) { seen.observe(el); });
  } else {
    window.addEventListener('resize', resizeCharts);
  }
  setLang(LANG);
})();
