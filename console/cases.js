// The suspect-case pages (docs/console.md): the ranked list with filters, and one case with its
// evidence, the verified histories of the codes it involves, its action history and the action
// buttons. Every action is a POST /v1/cases/{id}/actions; the page shows what the ledger recorded.

import { renderEvent, renderSummary } from './timeline.js';
import {
  $,
  apiJson,
  describeError,
  el,
  handleAuthError,
  parseYuan,
  setStatus,
  t,
  tOr,
  yuan,
  dateTime,
} from './ui.js';

const TYPES = [
  'pack_chain',
  'collector',
  'resale',
  'code_reuse',
  'split_over',
  'product_swap',
  'return_anomaly',
  'patient_returned',
  'patient_overbuy',
];
const STATUSES = ['open', 'investigating', 'confirmed', 'dismissed'];
const LIST_LIMIT = 200;
const CODES_EXPANDED = 10; // histories fetched on the case page; the rest are links

let fetchVerified = null;
let currentCase = null;
let caseSeq = 0;

// ---- the list ----

function monthRange(month) {
  const m = /^(\d{4})-(\d{2})$/.exec(month ?? '');
  if (!m) return null;
  const last = new Date(Number(m[1]), Number(m[2]), 0).getDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

function fillSelect(select, values, prefix) {
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('f_all')),
    ...values.map((v) => el('option', { value: v }, tOr(prefix, v))),
  );
  select.value = chosen;
}

function filtersToForm(query) {
  fillSelect($('f-type'), TYPES, 'type_');
  fillSelect($('f-status'), STATUSES, 'st_');
  $('f-type').value = query.get('type') ?? '';
  $('f-status').value = query.get('status') ?? '';
  $('f-rule').value = query.get('rule') ?? '';
  $('f-institution').value = query.get('institution') ?? '';
  $('f-month').value = query.get('month') ?? '';
}

function onFilter(event) {
  event.preventDefault();
  const q = new URLSearchParams();
  for (const [name, id] of [
    ['type', 'f-type'],
    ['status', 'f-status'],
    ['rule', 'f-rule'],
    ['institution', 'f-institution'],
    ['month', 'f-month'],
  ]) {
    const v = $(id).value.trim();
    if (v) q.set(name, v);
  }
  const s = q.toString();
  location.hash = `#/cases${s ? `?${s}` : ''}`;
}

function statusBadge(status) {
  return el('span', { className: `case-status st-${status}` }, tOr('st_', status));
}

function caseLink(id) {
  return el('a', { href: `#/case/${encodeURIComponent(id)}`, className: 'case-id' }, id);
}

function institutionCell(c) {
  const names = c.institution_names ?? [];
  return el(
    'td',
    {},
    ...(c.institutions ?? []).map((code, i) =>
      el('div', {}, el('span', {}, names[i] || code), names[i] ? el('span', { className: 'code' }, code) : null),
    ),
  );
}

let listSeq = 0;

export async function showCases(query) {
  filtersToForm(query);
  const seq = ++listSeq;
  const params = new URLSearchParams({ limit: String(LIST_LIMIT) });
  for (const name of ['type', 'status', 'rule', 'institution']) {
    if (query.get(name)) params.set(name, query.get(name));
  }
  const range = monthRange(query.get('month'));
  if (range) {
    params.set('from', range.from);
    params.set('to', range.to);
  }
  $('cases-table').replaceChildren();
  $('cases-total').replaceChildren();
  $('page-cases').dataset.state = 'loading';
  setStatus('cases-status', t('loading'));
  let out;
  try {
    out = await apiJson(`/v1/suspects?${params}`);
  } catch (e) {
    if (seq !== listSeq) return;
    $('page-cases').dataset.state = 'error';
    if (handleAuthError(e)) return;
    setStatus('cases-status', describeError(e), 'error');
    return;
  }
  if (seq !== listSeq) return;
  const cases = Array.isArray(out?.cases) ? out.cases : [];
  const total = out?.total ?? {};
  $('page-cases').dataset.state = 'done';
  if (!cases.length) {
    setStatus('cases-status', t('cases_empty'));
    return;
  }
  setStatus('cases-status', '');
  $('cases-total').replaceChildren(
    el(
      'p',
      { className: 'money' },
      t('cases_total', total.cases ?? cases.length, yuan(total.amount_at_risk_fen), yuan(total.amount_paid_fen), yuan(total.recovered_fen)),
    ),
    ...((total.cases ?? 0) > cases.length ? [el('p', { className: 'muted' }, t('cases_shown', cases.length))] : []),
  );
  const head = el(
    'tr',
    {},
    ...['col_case', 'col_type', 'col_month', 'col_status', 'col_at_risk', 'col_paid', 'col_packs', 'col_institutions', 'col_assignee'].map((k) =>
      el('th', { scope: 'col' }, t(k)),
    ),
  );
  const rows = cases.map((c) =>
    el(
      'tr',
      { 'data-case': c.id },
      el('td', {}, caseLink(c.id)),
      el('td', {}, tOr('type_', c.type)),
      el('td', {}, c.month ?? ''),
      el('td', {}, statusBadge(c.status)),
      el('td', { className: 'num at-risk' }, yuan(c.amount_at_risk_fen)),
      el('td', { className: 'num' }, yuan(c.amount_paid_fen)),
      el('td', { className: 'num' }, String(c.packs ?? '')),
      institutionCell(c),
      el('td', {}, c.assignee ?? ''),
    ),
  );
  $('cases-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
}

// ---- one case ----

function evidenceTable(c) {
  const names = new Map((c.institutions ?? []).map((code, i) => [code, c.institution_names?.[i] ?? '']));
  const head = el(
    'tr',
    {},
    ...['col_entry', 'col_role', 'col_institution', 'col_time', 'col_drug', 'verdict', 'col_amount', 'col_at_risk', 'col_rules', 'col_codes'].map((k) =>
      el('th', { scope: 'col' }, t(k)),
    ),
  );
  const rows = (c.evidence ?? []).map((e) =>
    el(
      'tr',
      {},
      el('td', { className: 'num' }, String(e.entry ?? '')),
      el('td', {}, tOr('ev_role_', e.role)),
      el('td', {}, el('span', {}, names.get(e.institution) || e.institution || ''), el('span', { className: 'code' }, e.institution ?? '')),
      el('td', { className: 'nowrap' }, e.time ?? ''),
      el('td', { className: 'code' }, e.drug ?? ''),
      el('td', {}, tOr('v_', e.verdict)),
      el('td', { className: 'num' }, yuan(e.amount_fen)),
      el('td', { className: 'num' }, yuan(e.at_risk_fen)),
      el('td', { className: 'code' }, e.rules ?? ''),
      el(
        'td',
        {},
        ...(e.codes ?? []).map((code) =>
          el('div', {}, el('a', { href: `#/lookup/${encodeURIComponent(code)}`, className: 'code-link' }, code)),
        ),
      ),
    ),
  );
  return el('div', { className: 'table-wrap' }, el('table', { className: 'evidence' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function historyList(c) {
  const items = c.history ?? [];
  if (!items.length) return el('p', { className: 'muted', id: 'case-history-empty' }, t('history_empty'));
  return el(
    'ol',
    { className: 'case-history', id: 'case-history' },
    ...items.map((a) =>
      el(
        'li',
        { 'data-action': a.action, 'data-entry': String(a.entry ?? '') },
        el(
          'div',
          { className: 'event-head' },
          el('span', { className: 'event-kind' }, tOr('a_', a.action)),
          el('span', {}, `${tOr('st_', a.status_before)} → ${tOr('st_', a.status_after)}`),
          el('span', { className: 'event-time' }, dateTime(a.at_ms)),
        ),
        el('div', {}, `${t('by')}: `, el('span', { className: 'actor' }, a.actor ?? '')),
        a.assignee ? el('div', {}, `${t('act_assignee')}: `, el('span', {}, a.assignee)) : null,
        a.reason ? el('div', { className: 'reason' }, a.reason) : null,
        a.recovered_fen ? el('div', {}, `${t('act_recovered')}: ${yuan(a.recovered_fen)}`) : null,
        el('div', { className: 'code' }, `${t('ledger_index')} ${a.entry ?? ''}`),
      ),
    ),
  );
}

// Which buttons the case's status allows (the server decides; this only avoids dead buttons).
function allowed(status) {
  return {
    investigate: status === 'open',
    assign: status === 'open' || status === 'investigating',
    annotate: true,
    confirm: status === 'investigating',
    dismiss: status === 'investigating',
  };
}

function renderCase(c) {
  currentCase = c;
  const summary = document.documentElement.lang === 'en' ? c.summary_en : c.summary_zh;
  $('case-title').textContent = t('case_title', c.id);
  $('case-body').replaceChildren(
    el(
      'dl',
      { className: 'case-facts' },
      el('dt', {}, t('col_type')),
      el('dd', {}, tOr('type_', c.type)),
      el('dt', {}, t('col_month')),
      el('dd', {}, c.month ?? ''),
      el('dt', {}, t('col_status')),
      el('dd', { id: 'case-status' }, statusBadge(c.status)),
      el('dt', {}, t('col_assignee')),
      el('dd', {}, c.assignee ?? ''),
      el('dt', {}, t('col_institutions')),
      el('dd', {}, ...(c.institutions ?? []).map((code, i) => el('div', {}, el('span', {}, c.institution_names?.[i] || code), el('span', { className: 'code' }, code)))),
      el('dt', {}, t('case_summary')),
      el('dd', {}, summary ?? ''),
    ),
    el('p', { className: 'money' }, t('case_amounts', yuan(c.amount_at_risk_fen), yuan(c.amount_paid_fen), yuan(c.recovered_fen))),
    el('h3', {}, t('history_title')),
    historyList(c),
  );
  $('case-evidence').replaceChildren(el('h3', {}, t('evidence_title')), evidenceTable(c));
  const ok = allowed(c.status);
  for (const [action, enabled] of Object.entries(ok)) $(`act-${action}`).disabled = !enabled;
  $('page-case').dataset.status = c.status;
}

async function renderCodes(c, seq) {
  const codes = c.codes ?? [];
  const box = $('case-codes');
  box.replaceChildren();
  if (!codes.length) return;
  box.append(el('h3', {}, t('codes_title')));
  for (const code of codes.slice(0, CODES_EXPANDED)) {
    const section = el(
      'section',
      { className: 'case-code', 'data-code': code },
      el('h4', {}, el('a', { href: `#/lookup/${encodeURIComponent(code)}`, className: 'code-link' }, code), ' ', el('span', { className: 'muted' }, t('open_lookup'))),
    );
    box.append(section);
    try {
      const { h, result } = await fetchVerified(code);
      if (seq !== caseSeq) return;
      section.append(...renderSummary(h, result), el('ol', { className: 'timeline' }, ...(h.events ?? []).map((ev, i) => renderEvent(ev, result.events[i], i))));
    } catch (e) {
      if (seq !== caseSeq) return;
      if (handleAuthError(e)) return;
      section.append(el('p', { className: 'status error' }, describeError(e)));
    }
  }
  if (codes.length > CODES_EXPANDED) box.append(el('p', { className: 'note' }, t('codes_more', codes.length - CODES_EXPANDED)));
}

export async function showCase(id) {
  const seq = ++caseSeq;
  currentCase = null;
  $('case-title').textContent = t('case_title', id);
  $('case-body').replaceChildren();
  $('case-evidence').replaceChildren();
  $('case-codes').replaceChildren();
  $('case-actions').hidden = true;
  setStatus('act-status', '');
  $('page-case').dataset.state = 'loading';
  setStatus('case-status-line', t('loading'));
  let c;
  try {
    c = await apiJson(`/v1/cases/${encodeURIComponent(id)}`);
  } catch (e) {
    if (seq !== caseSeq) return;
    $('page-case').dataset.state = 'error';
    if (handleAuthError(e)) return;
    setStatus('case-status-line', describeError(e), 'error');
    return;
  }
  if (seq !== caseSeq) return;
  setStatus('case-status-line', '');
  renderCase(c);
  $('case-actions').hidden = false;
  $('page-case').dataset.state = 'done';
  await renderCodes(c, seq);
}

async function act(action) {
  if (!currentCase) return;
  const body = { action };
  const reason = $('act-reason').value.trim();
  if (reason) body.reason = reason;
  if (action === 'assign') body.assignee = $('act-assignee').value.trim();
  if (action === 'confirm' || action === 'annotate') {
    const fen = parseYuan($('act-recovered').value);
    if (Number.isNaN(fen)) {
      setStatus('act-status', t('act_bad_amount'), 'error');
      return;
    }
    if (fen !== null) body.recovered_fen = fen;
  }
  const id = currentCase.id;
  setStatus('act-status', t('act_sending'));
  for (const b of document.querySelectorAll('#case-actions button')) b.disabled = true;
  let out;
  try {
    out = await apiJson(`/v1/cases/${encodeURIComponent(id)}/actions`, { method: 'POST', body });
  } catch (e) {
    if (handleAuthError(e)) return;
    setStatus('act-status', describeError(e), 'error');
    renderCase(currentCase);
    return;
  }
  $('act-reason').value = '';
  $('act-assignee').value = '';
  $('act-recovered').value = '';
  // The case as the ledger now has it: its history shows the action just recorded.
  let c;
  try {
    c = await apiJson(`/v1/cases/${encodeURIComponent(id)}`);
  } catch (e) {
    setStatus('act-status', describeError(e), 'error');
    return;
  }
  renderCase(c);
  setStatus('act-status', t('act_done', out.entry), 'ok');
}

export function initCases(options) {
  fetchVerified = options.fetchVerified;
  $('cases-form').addEventListener('submit', onFilter);
  for (const action of ['investigate', 'assign', 'annotate', 'confirm', 'dismiss']) {
    $(`act-${action}`).addEventListener('click', () => act(action));
  }
  $('case-actions').addEventListener('submit', (e) => e.preventDefault());
}
