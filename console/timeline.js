// A pack's history as the console shows it (docs/console.md): one entry per event, its facts read
// from the verified entry bytes, and 已验证 / NOT VERIFIED on each. Used by the lookup page and by
// the case page for every code a case involves. Text only: el() never parses markup.

import { el, lang, t } from './ui.js';

function eventTime(doc, ev) {
  const row = doc?.row ?? {};
  return (
    row.sel_retn_time || row.purc_retn_stoin_time || row.inv_time || row.inv_chg_time || ev.time || ''
  );
}

const INFNO_EVENT = {
  3501: 'inventory',
  3502: 'stock_change',
  3503: 'receipt',
  3504: 'purchase_return',
  3505: 'sale',
  3506: 'sale_return',
  3507: 'void',
};

// The facts shown for one event: from the verified entry bytes when verification passed (the
// server's own summary fields are then only checked against them), else the server's claims.
function factsOf(ev, check) {
  const doc = check.ok ? check.doc : null;
  if (!doc) {
    return {
      infno: ev.infno,
      instCode: ev.institution?.code ?? '',
      drugCode: ev.drug?.med_list_codg ?? '',
      verdict: ev.verdict,
      findings: Array.isArray(ev.findings) ? ev.findings : [],
      time: ev.time ?? '',
      batch: ev.fixmedins_bchno ?? '',
      split: ev.row?.trdn_flag,
    };
  }
  const row = doc.row ?? {};
  return {
    infno: doc.infno,
    instCode: doc.fixmedins_code ?? '',
    drugCode: row.med_list_codg ?? '',
    verdict: doc.verdict,
    findings: Array.isArray(doc.findings) ? doc.findings : [],
    time: eventTime(doc, ev),
    batch: row.fixmedins_bchno ?? '',
    split: row.trdn_flag,
  };
}

// The names next to a verified entry come from reference data; they must at least name the codes
// the signed entry names, or the server is attaching one pack's story to another.
function annotationsAgree(ev, f) {
  return (
    (ev.institution?.code ?? '') === f.instCode &&
    (ev.drug?.med_list_codg ?? '') === f.drugCode &&
    String(ev.infno ?? '') === String(f.infno ?? '') &&
    (ev.verdict ?? null) === (f.verdict ?? null)
  );
}

function verdictBadge(verdict) {
  const v = ['ok', 'warn', 'block'].includes(verdict) ? verdict : 'unknown';
  return el('span', { className: `verdict v-${v}` }, v === 'unknown' ? String(verdict ?? '?') : t(`v_${v}`));
}

export function renderEvent(ev, check, position) {
  const f = factsOf(ev, check);
  let ok = check.ok;
  let reason = check.error ?? '';
  if (ok && !annotationsAgree(ev, f)) {
    ok = false;
    reason = t('mismatch');
  }
  const kind = INFNO_EVENT[f.infno] ?? 'unknown';
  const split = String(f.split) === '1' ? ` · ${t('split')}` : '';
  const inst = ev.institution ?? {};
  const drug = ev.drug ?? {};
  const findings = f.findings.length
    ? el(
        'ul',
        { className: 'findings' },
        ...f.findings.map((x) =>
          el(
            'li',
            { className: `sev-${x.severity ?? 'info'}` },
            (lang === 'en' ? x.message_en : x.message) || x.message || x.rule || '',
            el('span', { className: 'rule' }, ` ${x.rule ?? ''}`),
          ),
        ),
      )
    : el('span', { className: 'muted' }, t('none'));

  const badge = ok
    ? el('span', { className: 'badge ok', 'data-verified': 'true' }, `✓ ${t('verified')}`)
    : el('span', { className: 'badge bad', 'data-verified': 'false' }, `✗ ${t('not_verified')}`);

  return el(
    'li',
    { className: ok ? 'event ok' : 'event bad', 'data-index': String(ev.ledger_index), 'data-position': String(position) },
    el(
      'div',
      { className: 'event-head' },
      el('span', { className: 'event-kind' }, t(`ev_${kind}`) + split),
      el('span', { className: 'event-time' }, f.time),
      badge,
    ),
    ok ? null : el('div', { className: 'why' }, t('not_verified_why') + reason),
    el(
      'dl',
      {},
      el('dt', {}, t('institution')),
      el(
        'dd',
        { className: 'inst' },
        el('span', { className: 'inst-name' }, inst.name ?? t('unknown_inst')),
        inst.class ? el('span', { className: 'tag' }, t(`cls_${inst.class}`)) : null,
        el('span', { className: 'code' }, f.instCode),
      ),
      el('dt', {}, t('drug')),
      el(
        'dd',
        {},
        el('span', { className: 'drug-name' }, drug.name ?? t('unknown_drug')),
        el('span', { className: 'code' }, f.drugCode),
      ),
      el('dt', {}, t('verdict')),
      el('dd', {}, verdictBadge(f.verdict)),
      el('dt', {}, t('findings')),
      el('dd', {}, findings),
      el('dt', {}, t('batch')),
      el('dd', { className: 'code' }, f.batch),
      el('dt', {}, t('ledger_index')),
      el('dd', { className: 'code' }, String(ev.ledger_index ?? '')),
    ),
  );
}

export function renderSummary(h, result) {
  const cp = result.checkpoint;
  const items = [
    [t('code_label'), h.code],
    [t('code_kind'), t(`kind_${h.kind}`) === `kind_${h.kind}` ? h.kind : t(`kind_${h.kind}`)],
    [t('product'), h.product_drug?.name ?? h.product ?? ''],
    [t('entries'), String(h.events?.length ?? 0)],
  ];
  const parts = [
    el('dl', {}, ...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '')])),
    cp.ok
      ? el('div', { className: 'checkpoint ok' }, `${t('checkpoint')}: ${t('checkpoint_ok', cp.origin, String(cp.size))}`)
      : h.events?.length
        ? el('div', { className: 'checkpoint bad' }, t('checkpoint_bad') + (cp.error ?? result.key.error ?? ''))
        : null,
    h.withheld_events ? el('div', { className: 'note' }, t('withheld', h.withheld_events)) : null,
    h.unproven_events ? el('div', { className: 'note' }, t('unproven', h.unproven_events)) : null,
  ];
  return parts.filter(Boolean);
}

