// The regulator console (docs/console.md): sign-in, code lookup with in-browser verification, and
// the month's coverage. Plain ES module, no build step, no inline script (strict CSP).
//
// Rule for this file: everything that came from the server is put on the page with textContent
// (through el() and text nodes), never with innerHTML.

import { verifyHistory } from './verify.js';

const TOKEN_KEY = 'drugtrace.token'; // sessionStorage: gone when the tab closes
const LANG_KEY = 'drugtrace.lang'; // localStorage
const PIN_KEY = 'drugtrace.verifierKey'; // localStorage: the verifier key the officer trusts

// ---- words ----

const WORDS = {
  zh: {
    title: '药品追溯码 · 监管控制台',
    nav_lookup: '查码',
    nav_coverage: '月度采集率',
    sign_out: '退出',
    lang_switch: 'English',
    signin_title: '登录',
    signin_help: '请输入医保局发放的监管令牌。令牌只保存在本标签页中，关闭即清除。',
    token_label: '监管令牌',
    signin_button: '登录',
    signing_in: '正在核对令牌…',
    err_401: '令牌无效、未知或已吊销，请核对后重试。',
    err_403_terminal: '这是定点机构终端的上传令牌，不能用于监管查询。请使用监管令牌。',
    err_403: '无权访问：',
    err_network: '无法连接服务器：',
    err_server: '服务器错误',
    err_busy: '服务器繁忙，请稍后重试。',
    lookup_title: '查询追溯码',
    code_label: '追溯码',
    code_placeholder: '扫码或输入：20位码上放心码、GS1码……',
    lookup_button: '查询',
    looking_up: '正在查询…',
    verifying: '正在浏览器中验证签名与证明…',
    no_events: '该追溯码没有任何记录。',
    withheld: '另有 {0} 条记录发生在您的辖区之外，未显示。',
    unproven: '{0} 条记录尚未纳入签名检查点，约一秒后重新查询即可验证。',
    code_kind: '码型',
    kind_mashangfangxin: '码上放心（20位）',
    kind_gs1: 'GS1',
    kind_iso15459: 'ISO 15459',
    product: '药品',
    entries: '记录',
    key_title: '验证公钥',
    key_pinned: '已固定（由您提供）',
    key_server: '来自服务器 —— 请与医保局线下发布的公钥核对后固定',
    key_fingerprint: '指纹',
    key_pin_label: '固定公钥（粘贴 drugtrace key 的输出）',
    key_pin_button: '固定',
    key_unpin_button: '取消固定',
    key_bad: '公钥格式错误：',
    checkpoint: '签名检查点',
    checkpoint_ok: '签名有效：{0}，共 {1} 条',
    checkpoint_bad: '检查点验证失败：',
    verified: '已验证',
    not_verified: '未通过验证',
    not_verified_why: '原因（技术细节）：',
    mismatch: '服务器给出的字段与已签名条目不一致',
    time: '时间',
    institution: '机构',
    drug: '药品',
    verdict: '结论',
    findings: '问题',
    batch: '单据号',
    ledger_index: '账本序号',
    none: '无',
    unknown_inst: '（参考数据中无此机构）',
    unknown_drug: '（目录中无此药品）',
    split: '拆零',
    ev_inventory: '盘存',
    ev_stock_change: '库存变更',
    ev_receipt: '采购入库',
    ev_purchase_return: '采购退货',
    ev_sale: '销售',
    ev_sale_return: '销售退货',
    ev_void: '撤销',
    ev_unknown: '未知接口',
    cls_retail_pharmacy: '零售药店',
    cls_level1: '一级医院',
    cls_level2: '二级医院',
    cls_level3: '三级医院',
    v_ok: '通过',
    v_warn: '警示',
    v_block: '拦截',
    coverage_title: '月度采集率',
    month_label: '月份',
    coverage_button: '查看',
    loading: '正在加载…',
    coverage_empty: '该月没有销售记录。',
    col_institution: '机构',
    col_class: '类别',
    col_collect: '采集率（盒）',
    col_settle: '结算率（盒）',
    col_rows: '行数',
    col_blocked: '拦截行',
    download_csv: '下载 CSV',
    download_html: '下载报表（HTML）',
    footer:
      '每条记录均在您的浏览器中独立验证：检查点的 Ed25519 签名、条目哈希及其包含证明。机构与药品名称来自参考数据，不在证明范围内。',
  },
  en: {
    title: 'Drug traceability · Regulator console',
    nav_lookup: 'Look up',
    nav_coverage: 'Month coverage',
    sign_out: 'Sign out',
    lang_switch: '中文',
    signin_title: 'Sign in',
    signin_help:
      'Enter the regulator token issued to you. It is kept in this tab only and cleared when the tab closes.',
    token_label: 'Regulator token',
    signin_button: 'Sign in',
    signing_in: 'Checking the token…',
    err_401: 'The token is invalid, unknown or revoked.',
    err_403_terminal:
      'This is an institution terminal\u2019s upload token; it cannot be used for regulator queries. Use a regulator token.',
    err_403: 'Not allowed: ',
    err_network: 'Cannot reach the server: ',
    err_server: 'Server error',
    err_busy: 'The server is busy; try again in a moment.',
    lookup_title: 'Look up a traceability code',
    code_label: 'Code',
    code_placeholder: 'Scan or type: 20-digit 码上放心 code, GS1 code…',
    lookup_button: 'Look up',
    looking_up: 'Looking up…',
    verifying: 'Verifying signature and proofs in the browser…',
    no_events: 'Nothing was ever recorded for this code.',
    withheld: '{0} more entries happened outside your region and are not shown.',
    unproven:
      '{0} entries are not yet covered by a signed checkpoint; look up again in a second to verify them.',
    code_kind: 'Code kind',
    kind_mashangfangxin: '码上放心 (20 digits)',
    kind_gs1: 'GS1',
    kind_iso15459: 'ISO 15459',
    product: 'Product',
    entries: 'Entries',
    key_title: 'Verifier key',
    key_pinned: 'pinned (provided by you)',
    key_server: 'from the server \u2014 compare it with the key published out of band, then pin it',
    key_fingerprint: 'fingerprint',
    key_pin_label: 'Pin a verifier key (the output of drugtrace key)',
    key_pin_button: 'Pin',
    key_unpin_button: 'Unpin',
    key_bad: 'Malformed key: ',
    checkpoint: 'Signed checkpoint',
    checkpoint_ok: 'signature valid: {0}, {1} entries',
    checkpoint_bad: 'Checkpoint failed verification: ',
    verified: 'verified',
    not_verified: 'NOT VERIFIED',
    not_verified_why: 'Reason: ',
    mismatch: 'the server\u2019s fields disagree with the signed entry',
    time: 'Time',
    institution: 'Institution',
    drug: 'Drug',
    verdict: 'Verdict',
    findings: 'Findings',
    batch: 'Document no.',
    ledger_index: 'Ledger index',
    none: 'none',
    unknown_inst: '(not in the reference data)',
    unknown_drug: '(not in the catalogue)',
    split: 'split',
    ev_inventory: 'Inventory count',
    ev_stock_change: 'Stock change',
    ev_receipt: 'Receipt',
    ev_purchase_return: 'Purchase return',
    ev_sale: 'Sale',
    ev_sale_return: 'Sale return',
    ev_void: 'Void',
    ev_unknown: 'Unknown interface',
    cls_retail_pharmacy: 'Retail pharmacy',
    cls_level1: 'Level 1 hospital',
    cls_level2: 'Level 2 hospital',
    cls_level3: 'Level 3 hospital',
    v_ok: 'Accepted',
    v_warn: 'Warning',
    v_block: 'Blocked',
    coverage_title: 'Month coverage',
    month_label: 'Month',
    coverage_button: 'Show',
    loading: 'Loading…',
    coverage_empty: 'No sales were recorded in this month.',
    col_institution: 'Institution',
    col_class: 'Class',
    col_collect: 'Collection (boxes)',
    col_settle: 'Settlement (boxes)',
    col_rows: 'Rows',
    col_blocked: 'Blocked rows',
    download_csv: 'Download CSV',
    download_html: 'Download report (HTML)',
    footer:
      'Every entry is verified in your browser: the checkpoint\u2019s Ed25519 signature, the entry hash and its inclusion proof. Institution and drug names come from reference data and are not covered by the proofs.',
  },
};

let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';

function t(key, ...args) {
  const s = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));
}

// ---- DOM helpers (text only) ----

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function setStatus(id, text, kind = 'info') {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${kind}`;
  node.hidden = !text;
}

function applyWords() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
}

// ---- the API ----

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function apiFetch(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let res;
  try {
    res = await fetch(path, {
      headers: { Authorization: `Bearer ${token ?? ''}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new ApiError(0, e.message);
  }
  return res;
}

async function apiJson(path) {
  const res = await apiFetch(path);
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok || !body || body.infcode !== 0) {
    throw new ApiError(res.status, body?.err_msg || res.statusText);
  }
  return body.output;
}

function describeError(e) {
  if (!(e instanceof ApiError)) return `${t('err_server')}: ${e.message}`;
  if (e.status === 0) return t('err_network') + e.message;
  if (e.status === 401) return t('err_401');
  if (e.status === 403 && /terminal/i.test(e.message)) return t('err_403_terminal');
  if (e.status === 403) return t('err_403') + e.message;
  if (e.status === 503) return t('err_busy');
  return `${t('err_server')} (${e.status}): ${e.message}`;
}

// An unusable token sends the officer back to sign-in with the reason.
function handleAuthError(e) {
  if (e instanceof ApiError && (e.status === 401 || (e.status === 403 && /terminal/i.test(e.message)))) {
    sessionStorage.removeItem(TOKEN_KEY);
    route('signin', describeError(e));
    return true;
  }
  return false;
}

// ---- pages ----

const PAGES = ['signin', 'lookup', 'coverage'];

function currentMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function route(page, message) {
  if (!sessionStorage.getItem(TOKEN_KEY)) page = 'signin';
  for (const p of PAGES) $(`page-${p}`).hidden = p !== page;
  $('nav').hidden = page === 'signin';
  $('sign-out').hidden = page === 'signin';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === page);
  }
  if (page === 'signin') {
    setStatus('signin-status', message ?? '', message ? 'error' : 'info');
    $('token').focus();
  } else if (page === 'lookup') {
    $('code').focus();
  }
}

function pageFromHash() {
  const h = location.hash.replace(/^#\/?/, '');
  return PAGES.includes(h) && h !== 'signin' ? h : 'lookup';
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  setStatus('signin-status', t('signing_in'));
  // The token is checked with one cheap query the officer may read anyway: this month's coverage.
  try {
    await apiJson(`/v1/reports/coverage?month=${currentMonth()}&format=json`);
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    setStatus('signin-status', describeError(e), 'error');
    return;
  }
  setStatus('signin-status', '');
  location.hash = '#/lookup';
  route('lookup');
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  $('timeline').replaceChildren();
  $('summary').replaceChildren();
  $('coverage-table').replaceChildren();
  setStatus('lookup-status', '');
  route('signin');
}

// ---- the verifier key panel ----

function pinnedKey() {
  return localStorage.getItem(PIN_KEY) || '';
}

function renderKeyPanel(serverKey, keyResult) {
  const pinned = pinnedKey();
  const box = $('key-info');
  const text = pinned || serverKey || '';
  box.replaceChildren(
    el('div', { className: 'key-text', text }),
    el(
      'div',
      { className: pinned ? 'key-source pinned' : 'key-source server' },
      pinned ? t('key_pinned') : t('key_server'),
    ),
    keyResult?.ok
      ? el('div', { className: 'fingerprint' }, `${t('key_fingerprint')}: ${keyResult.name}+${keyResult.idHex}`)
      : keyResult
        ? el('div', { className: 'fingerprint bad' }, t('key_bad') + (keyResult.error ?? ''))
        : null,
  );
}

function pinKey(event) {
  event.preventDefault();
  const v = $('pin-key').value.trim();
  if (v) localStorage.setItem(PIN_KEY, v);
  $('pin-key').value = '';
  renderKeyPanel(lastHistory?.verifier_key, null);
  if (lastCode) lookup(lastCode);
}

function unpinKey() {
  localStorage.removeItem(PIN_KEY);
  renderKeyPanel(lastHistory?.verifier_key, null);
  if (lastCode) lookup(lastCode);
}

// ---- code lookup ----

let lastHistory = null;
let lastCode = '';
let lookupSeq = 0;

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

function renderEvent(ev, check, position) {
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

function renderSummary(h, result) {
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
  $('summary').replaceChildren(...parts.filter(Boolean));
}

async function lookup(code) {
  code = code.trim();
  if (!code) return;
  const seq = ++lookupSeq;
  lastCode = code;
  $('timeline').replaceChildren();
  $('summary').replaceChildren();
  $('page-lookup').dataset.state = 'loading';
  setStatus('lookup-status', t('looking_up'));
  let h;
  try {
    h = await apiJson(`/v1/codes/${encodeURIComponent(code)}/history`);
  } catch (e) {
    if (seq !== lookupSeq) return;
    $('page-lookup').dataset.state = 'error';
    if (handleAuthError(e)) return;
    setStatus('lookup-status', describeError(e), 'error');
    return;
  }
  if (seq !== lookupSeq) return;
  lastHistory = h;
  setStatus('lookup-status', t('verifying'));
  const result = await verifyHistory(h, pinnedKey() || h.verifier_key);
  if (seq !== lookupSeq) return;
  renderKeyPanel(h.verifier_key, result.key);
  renderSummary(h, result);
  const events = h.events ?? [];
  $('timeline').replaceChildren(...events.map((ev, i) => renderEvent(ev, result.events[i], i)));
  const bad = $('timeline').querySelectorAll('.event.bad').length;
  if (!events.length) setStatus('lookup-status', t('no_events'));
  else if (bad) setStatus('lookup-status', `${bad} × ${t('not_verified')}`, 'error');
  else setStatus('lookup-status', '');
  $('page-lookup').dataset.state = 'done';
}

function onLookup(event) {
  event.preventDefault();
  lookup($('code').value);
  $('code').select();
}

// ---- month coverage ----

function pct(x) {
  return typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '-';
}

async function loadCoverage(event) {
  event?.preventDefault();
  const month = $('month').value || currentMonth();
  const table = $('coverage-table');
  table.replaceChildren();
  $('coverage-downloads').hidden = true;
  setStatus('coverage-status', t('loading'));
  let out;
  try {
    out = await apiJson(`/v1/reports/coverage?month=${encodeURIComponent(month)}&format=json`);
  } catch (e) {
    if (handleAuthError(e)) return;
    setStatus('coverage-status', describeError(e), 'error');
    return;
  }
  const rows = Array.isArray(out?.institutions) ? out.institutions : [];
  if (out?.empty || rows.length === 0) {
    setStatus('coverage-status', out?.message || t('coverage_empty'));
    return;
  }
  setStatus('coverage-status', '');
  const head = el(
    'tr',
    {},
    ...['col_institution', 'col_class', 'col_collect', 'col_settle', 'col_rows', 'col_blocked'].map((k) =>
      el('th', { scope: 'col' }, t(k)),
    ),
  );
  const body = rows.map((r) =>
    el(
      'tr',
      {},
      el('td', {}, el('span', {}, r.name ?? ''), el('span', { className: 'code' }, r.fixmedins_code ?? '')),
      el('td', {}, r.class ? t(`cls_${r.class}`) : ''),
      el('td', { className: 'num' }, pct(r.collection_rate_boxes)),
      el('td', { className: 'num' }, pct(r.settlement_rate_boxes)),
      el('td', { className: 'num' }, String((r.sales?.rows ?? 0) + (r.returns?.rows ?? 0))),
      el('td', { className: 'num' }, String(r.blocked?.rows ?? 0)),
    ),
  );
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
  $('coverage-downloads').hidden = false;
}

// Reports are fetched with the bearer header and handed to the browser as a file.
async function download(format) {
  const month = $('month').value || currentMonth();
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

// ---- start ----

function start() {
  applyWords();
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem(LANG_KEY, lang);
    applyWords();
    if (lastHistory && !$('page-lookup').hidden && lastCode) lookup(lastCode);
  });
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('lookup-form').addEventListener('submit', onLookup);
  $('pin-form').addEventListener('submit', pinKey);
  $('unpin').addEventListener('click', unpinKey);
  $('coverage-form').addEventListener('submit', loadCoverage);
  $('dl-csv').addEventListener('click', () => download('csv'));
  $('dl-html').addEventListener('click', () => download('html'));
  $('month').value = currentMonth();
  window.addEventListener('hashchange', () => route(pageFromHash()));
  renderKeyPanel('', null);
  route(pageFromHash());
  document.body.dataset.ready = 'true';
}

start();
