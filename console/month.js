// The month pages (docs/console.md): the coverage report of a month as a table sortable and
// filterable by institution class, the trend chart, the CSV and HTML downloads; and one
// institution's month.

import {
  $,
  apiFetch,
  apiJson,
  boxes,
  currentMonth,
  describeError,
  el,
  handleAuthError,
  pct,
  setStatus,
  svg,
  t,
  tOr,
  yuan,
} from './ui.js';

const CLASSES = ['retail_pharmacy', 'level1', 'level2', 'level3'];

let report = null; // the last coverage answer
let sortKey = 'collection_rate_boxes';
let sortAsc = true;
let coverageSeq = 0;

// The table's columns: a word, how to read the value from one institution, how to show it.
const COLUMNS = [
  { key: 'name', word: 'col_institution', value: (r) => r.name ?? r.fixmedins_code ?? '' },
  { key: 'class', word: 'col_class', value: (r) => r.class ?? '' },
  { key: 'collection_rate_boxes', word: 'col_collect', value: (r) => r.collection_rate_boxes, show: pct, num: true },
  { key: 'settlement_rate_boxes', word: 'col_settle', value: (r) => r.settlement_rate_boxes, show: pct, num: true },
  { key: 'rows', word: 'col_rows', value: (r) => (r.sales?.rows ?? 0) + (r.returns?.rows ?? 0), show: String, num: true },
  { key: 'required', word: 'col_required', value: (r) => r.all?.required?.boxes_milli, show: boxes, num: true },
  { key: 'coded', word: 'col_codes_boxes', value: (r) => r.all?.coded?.boxes_milli, show: boxes, num: true },
  { key: 'blocked', word: 'col_blocked', value: (r) => r.blocked?.rows ?? 0, show: String, num: true },
];

function monthOr(month) {
  return /^\d{4}-\d{2}$/.test(month ?? '') ? month : $('month').value || currentMonth();
}

function compare(a, b) {
  // Missing values (no code-required sales: no rate) sort last either way.
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  const d = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), 'zh');
  return sortAsc ? d : -d;
}

function renderTable() {
  const table = $('coverage-table');
  if (!report) return;
  const cls = $('class-filter').value;
  const rows = (Array.isArray(report.institutions) ? report.institutions : []).filter((r) => !cls || r.class === cls);
  const col = COLUMNS.find((c) => c.key === sortKey) ?? COLUMNS[2];
  rows.sort((a, b) => compare(col.value(a), col.value(b)) || String(a.fixmedins_code).localeCompare(String(b.fixmedins_code)));
  const month = report.month;
  const head = el(
    'tr',
    {},
    ...COLUMNS.map((c) => {
      const th = el(
        'th',
        { scope: 'col', 'data-sort': c.key, 'aria-sort': c.key === sortKey ? (sortAsc ? 'ascending' : 'descending') : 'none' },
        el('button', { type: 'button', className: 'sort' }, t(c.word), c.key === sortKey ? (sortAsc ? ' ▲' : ' ▼') : ''),
      );
      th.firstChild.addEventListener('click', () => {
        if (sortKey === c.key) sortAsc = !sortAsc;
        else {
          sortKey = c.key;
          sortAsc = true;
        }
        renderTable();
      });
      return th;
    }),
  );
  const body = rows.map((r) =>
    el(
      'tr',
      { 'data-inst': r.fixmedins_code ?? '' },
      el(
        'td',
        {},
        el('a', { href: `#/institution/${encodeURIComponent(r.fixmedins_code ?? '')}/${month}` }, r.name ?? r.fixmedins_code ?? ''),
        el('span', { className: 'code' }, r.fixmedins_code ?? ''),
      ),
      el('td', {}, r.class ? tOr('cls_', r.class) : ''),
      ...COLUMNS.slice(2).map((c) => el('td', { className: 'num' }, c.show(c.value(r)))),
    ),
  );
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
}

// The trend of the report (previous months and this one): collection and settlement rate by
// boxes, as an SVG line chart drawn with DOM calls (no markup parsing, no inline style).
function renderTrend(trend) {
  const box = $('trend');
  const points = (Array.isArray(trend) ? trend : []).filter((p) => p && typeof p.month === 'string');
  if (!points.some((p) => typeof p.collection_rate_boxes === 'number' || typeof p.settlement_rate_boxes === 'number')) {
    box.replaceChildren(el('p', { className: 'muted' }, t('trend_empty')));
    return;
  }
  const W = 640;
  const H = 220;
  const L = 44;
  const R = 36;
  const T = 12;
  const B = 34;
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const y = (v) => T + (1 - v) * (H - T - B);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'trend-chart', role: 'img', 'aria-label': t('coverage_trend') });
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    chart.append(svg('line', { x1: L, x2: W - R, y1: y(g), y2: y(g), class: 'grid' }));
    chart.append(svg('text', { x: L - 6, y: y(g) + 4, 'text-anchor': 'end', class: 'axis' }, `${g * 100}%`));
  }
  points.forEach((p, i) => chart.append(svg('text', { x: x(i), y: H - 10, 'text-anchor': 'middle', class: 'axis' }, p.month)));
  for (const [key, cls] of [
    ['collection_rate_boxes', 'line1'],
    ['settlement_rate_boxes', 'line2'],
  ]) {
    const pts = [];
    points.forEach((p, i) => {
      if (typeof p[key] !== 'number') return;
      pts.push(`${x(i)},${y(p[key])}`);
      chart.append(svg('circle', { cx: x(i), cy: y(p[key]), r: 3.5, class: cls }, svg('title', {}, `${p.month} ${pct(p[key])}`)));
    });
    if (pts.length > 1) chart.append(svg('polyline', { points: pts.join(' '), class: cls }));
  }
  box.replaceChildren(
    el('h3', {}, t('coverage_trend')),
    el('div', { className: 'legend' }, el('span', { className: 'key1' }, `■ ${t('trend_collect')}`), ' ', el('span', { className: 'key2' }, `■ ${t('trend_settle')}`)),
    chart,
  );
}

export async function showCoverage(month, query) {
  month = monthOr(month);
  $('month').value = month;
  const cls = query?.get('class') ?? '';
  $('class-filter').value = CLASSES.includes(cls) ? cls : '';
  const seq = ++coverageSeq;
  report = null;
  $('coverage-table').replaceChildren();
  $('trend').replaceChildren();
  $('coverage-downloads').hidden = true;
  $('page-coverage').dataset.state = 'loading';
  setStatus('coverage-status', t('loading'));
  let out;
  try {
    out = await apiJson(`/v1/reports/coverage?month=${encodeURIComponent(month)}&format=json`);
  } catch (e) {
    if (seq !== coverageSeq) return;
    $('page-coverage').dataset.state = 'error';
    if (handleAuthError(e)) return;
    setStatus('coverage-status', describeError(e), 'error');
    return;
  }
  if (seq !== coverageSeq) return;
  $('page-coverage').dataset.state = 'done';
  const rows = Array.isArray(out?.institutions) ? out.institutions : [];
  renderTrend(out?.trend);
  if (out?.empty || rows.length === 0) {
    setStatus('coverage-status', t('coverage_empty'));
    return;
  }
  setStatus('coverage-status', t('sort_hint'));
  report = out;
  renderTable();
  $('coverage-downloads').hidden = false;
}

function onMonth(event) {
  event.preventDefault();
  const month = monthOr($('month').value);
  const cls = $('class-filter').value;
  const target = `#/coverage/${month}${cls ? `?class=${cls}` : ''}`;
  if (location.hash === target) showCoverage(month, new URLSearchParams(cls ? `class=${cls}` : ''));
  else location.hash = target;
}

function onClass() {
  const month = report?.month ?? monthOr($('month').value);
  const cls = $('class-filter').value;
  history.replaceState(null, '', `#/coverage/${month}${cls ? `?class=${cls}` : ''}`);
  renderTable();
}

// Reports are fetched with the bearer header and handed to the browser as a file.
async function download(format) {
  const month = report?.month ?? monthOr($('month').value);
  const res = await apiFetch(`/v1/reports/coverage?month=${encodeURIComponent(month)}&format=${format}`);
  if (!res.ok) {
    setStatus('coverage-status', `${t('err_server')} (${res.status})`, 'error');
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: `coverage-${month}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- one institution's month ----

function figureList(r) {
  const items = [
    ['col_collect', pct(r.collection_rate_boxes)],
    ['m_collect_amount', pct(r.collection_rate_amount)],
    ['col_settle', pct(r.settlement_rate_boxes)],
    ['m_settle_amount', pct(r.settlement_rate_amount)],
    ['m_sales_rows', String(r.sales?.rows ?? 0)],
    ['m_return_rows', String(r.returns?.rows ?? 0)],
    ['m_blocked_rows', String(r.blocked?.rows ?? 0)],
    ['m_coded', boxes(r.all?.coded?.boxes_milli)],
    ['m_missing', boxes(r.all?.missing?.boxes_milli)],
    ['m_exempt', boxes(r.all?.exempt?.boxes_milli)],
    ['m_no_code_stock', boxes(r.all?.no_code_stock?.boxes_milli)],
  ];
  return el('dl', { className: 'figures' }, ...items.flatMap(([k, v]) => [el('dt', {}, t(k)), el('dd', { className: 'num' }, v)]));
}

let instSeq = 0;

function lastDay(month) {
  return String(new Date(Number(month.slice(0, 4)), Number(month.slice(5)), 0).getDate()).padStart(2, '0');
}

function verdictMix(v) {
  const total = (v?.ok ?? 0) + (v?.warn ?? 0) + (v?.block ?? 0);
  return el(
    'dl',
    { className: 'figures verdict-mix' },
    ...['ok', 'warn', 'block'].flatMap((k) => [
      el('dt', {}, el('span', { className: `verdict v-${k}` }, t(`v_${k}`))),
      el('dd', { className: 'num' }, `${v?.[k] ?? 0}${total ? ` (${pct((v?.[k] ?? 0) / total)})` : ''}`),
    ]),
  );
}

function findingList(findings) {
  if (!findings.length) return el('p', { className: 'muted' }, t('inst_no_findings'));
  return el(
    'table',
    { className: 'findings-table', id: 'inst-findings' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('col_rules')), el('th', { scope: 'col' }, t('col_rows')))),
    el('tbody', {}, ...findings.slice(0, 10).map((f) => el('tr', {}, el('td', { className: 'code' }, f.rule ?? ''), el('td', { className: 'num' }, String(f.rows ?? 0))))),
  );
}

function missingList(drugs) {
  if (!drugs.length) return el('p', { className: 'muted' }, t('inst_no_missing'));
  const head = el('tr', {}, ...['col_drug', 'col_interface', 'col_rows', 'col_boxes', 'col_amount'].map((k) => el('th', { scope: 'col' }, t(k))));
  const rows = drugs.map((d) =>
    el(
      'tr',
      {},
      el('td', {}, el('span', {}, d.name ?? t('unknown_drug')), el('span', { className: 'code' }, d.med_list_codg ?? '')),
      el('td', {}, d.infno === '3506' ? t('ev_sale_return') : t('ev_sale')),
      el('td', { className: 'num' }, String(d.rows ?? 0)),
      el('td', { className: 'num' }, boxes(d.boxes_milli)),
      el('td', { className: 'num' }, yuan(d.amount_fen)),
    ),
  );
  return el('div', { className: 'table-wrap' }, el('table', { id: 'inst-missing' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}

export async function showInstitution(code, month) {
  month = monthOr(month);
  const seq = ++instSeq;
  $('inst-title').textContent = t('inst_title', code);
  $('inst-back').setAttribute('href', `#/coverage/${month}`);
  $('inst-body').replaceChildren();
  $('page-institution').dataset.state = 'loading';
  setStatus('inst-status', t('loading'));
  let cov;
  let inst;
  let cases;
  try {
    [cov, inst, cases] = await Promise.all([
      apiJson(`/v1/reports/coverage?month=${encodeURIComponent(month)}&format=json`),
      apiJson(`/v1/institutions/${encodeURIComponent(code)}/month?month=${encodeURIComponent(month)}`),
      apiJson(`/v1/suspects?institution=${encodeURIComponent(code)}&from=${month}-01&to=${month}-${lastDay(month)}&limit=10`),
    ]);
  } catch (e) {
    if (seq !== instSeq) return;
    $('page-institution').dataset.state = 'error';
    if (handleAuthError(e)) return;
    setStatus('inst-status', describeError(e), 'error');
    return;
  }
  if (seq !== instSeq) return;
  $('page-institution').dataset.state = 'done';
  const r = (cov?.institutions ?? []).find((x) => x.fixmedins_code === code);
  const info = inst?.institution ?? {};
  $('inst-title').textContent = t('inst_title', `${info.name ?? code} · ${month}`);
  setStatus('inst-status', r ? '' : t('inst_not_found'));
  const list = Array.isArray(cases?.cases) ? cases.cases : [];
  $('inst-body').replaceChildren(
    el('p', {}, el('span', {}, info.name ?? ''), info.class ? el('span', { className: 'tag' }, tOr('cls_', info.class)) : null, el('span', { className: 'code' }, code)),
    el(
      'div',
      { className: 'inst-grid' },
      el('section', {}, el('h3', {}, t('inst_figures')), r ? figureList(r) : el('p', { className: 'muted' }, t('inst_not_found'))),
      el('section', {}, el('h3', {}, t('inst_verdicts')), verdictMix(inst?.verdicts)),
      el('section', {}, el('h3', {}, t('inst_findings')), findingList(Array.isArray(inst?.findings) ? inst.findings : [])),
    ),
    el('h3', {}, t('inst_missing')),
    missingList(Array.isArray(inst?.missing_code_drugs) ? inst.missing_code_drugs : []),
    el('h3', {}, t('inst_cases')),
    list.length
      ? el(
          'ul',
          { className: 'inst-cases' },
          ...list.map((c) =>
            el('li', {}, el('a', { href: `#/case/${encodeURIComponent(c.id)}` }, c.id), ` · ${tOr('type_', c.type)} · ${tOr('st_', c.status)} · ${yuan(c.amount_at_risk_fen)}`),
          ),
        )
      : el('p', { className: 'muted' }, t('cases_empty')),
  );
}

export function initMonth() {
  $('coverage-form').addEventListener('submit', onMonth);
  $('class-filter').addEventListener('change', onClass);
  $('dl-csv').addEventListener('click', () => download('csv'));
  $('dl-html').addEventListener('click', () => download('html'));
  $('class-filter').replaceChildren(
    el('option', { value: '', 'data-i18n': 'f_all' }, t('f_all')),
    ...CLASSES.map((c) => el('option', { value: c, 'data-i18n': `cls_${c}` }, tOr('cls_', c))),
  );
  $('month').value = currentMonth();
}
