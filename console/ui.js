// Shared by the console's pages (docs/console.md): words in both languages, DOM helpers that only
// ever create text (never innerHTML), the API client and number formats.

const TOKEN_KEY = 'drugtrace.token'; // sessionStorage: gone when the tab closes
const LANG_KEY = 'drugtrace.lang'; // localStorage

// ---- words ----

export const WORDS = {
  zh: {
    nav_cases: '疑点案件',
    signed_in_as: '当前身份：{0}',
    region_all: '全部辖区',
    role_regulator: '监管',
    role_admin: '管理员',
    err_404: '未找到：',
    err_409: '当前状态不允许此操作：',
    err_400: '请求有误：',
    cases_title: '疑点案件',
    f_type: '疑点类型',
    f_rule: '规则',
    f_institution: '机构编码',
    f_month: '月份',
    f_status: '状态',
    f_all: '全部',
    f_apply: '筛选',
    cases_empty: '没有符合条件的疑点案件。',
    cases_total: '共 {0} 件，涉及风险金额 {1} 元，其中基金已支付 {2} 元，已追回 {3} 元。',
    cases_shown: '按风险金额排序，显示前 {0} 件。',
    col_case: '案件',
    col_type: '类型',
    col_month: '月份',
    col_status: '状态',
    col_at_risk: '风险金额（元）',
    col_paid: '基金已付（元）',
    col_packs: '涉及盒数',
    col_institutions: '涉及机构',
    col_assignee: '承办人',
    type_pack_chain: '同一盒码链条异常',
    type_collector: '回收已售药品',
    type_resale: '转售已售药品',
    type_code_reuse: '重复使用追溯码',
    type_split_over: '拆零超量',
    type_product_swap: '串换药品',
    type_return_anomaly: '异常退货',
    type_patient_returned: '参保人药品回流',
    type_patient_overbuy: '参保人超量购药',
    st_open: '待处理',
    st_investigating: '调查中',
    st_confirmed: '已确认',
    st_dismissed: '已排除',
    case_title: '案件 {0}',
    case_back: '← 返回案件列表',
    case_summary: '概述',
    case_amounts: '风险金额 {0} 元 · 基金已付 {1} 元 · 已追回 {2} 元',
    evidence_title: '证据条目',
    ev_role_flagged: '疑点记录',
    ev_role_prior_sale: '此前销售',
    ev_role_history: '该盒其他记录',
    col_entry: '账本序号',
    col_role: '作用',
    col_time: '时间',
    col_drug: '药品',
    col_amount: '金额（元）',
    col_rules: '规则',
    col_codes: '追溯码',
    codes_title: '涉及追溯码的完整记录',
    codes_more: '另有 {0} 个追溯码未展开，可点击链接逐个查询。',
    open_lookup: '在查码页打开',
    history_title: '处理记录',
    history_empty: '尚无处理记录。',
    act_title: '处理',
    act_reason: '理由 / 备注',
    act_assignee: '承办人',
    act_recovered: '追回金额（元，可选）',
    act_investigate: '开始调查',
    act_assign: '指派',
    act_annotate: '添加备注',
    act_confirm: '确认属实',
    act_dismiss: '排除',
    act_sending: '正在提交并写入账本…',
    act_done: '已记录（账本序号 {0}）。',
    act_bad_amount: '追回金额格式错误：请填写元，最多两位小数，例如 1234.50',
    a_investigate: '开始调查',
    a_assign: '指派',
    a_annotate: '备注',
    a_confirm: '确认属实',
    a_dismiss: '排除',
    by: '操作人',
    coverage_filter_class: '机构类别',
    coverage_trend: '近几个月趋势',
    trend_collect: '采集率（盒）',
    trend_settle: '结算率（盒）',
    trend_empty: '没有可画的趋势数据。',
    col_codes_boxes: '有码盒数',
    col_required: '应采盒数',
    sort_hint: '点击表头排序',
    inst_title: '机构月度：{0}',
    inst_back: '← 返回月度采集率',
    inst_figures: '本月指标',
    inst_verdicts: '结论分布（行）',
    inst_findings: '主要问题',
    inst_missing: '未采码药品',
    inst_cases: '本月疑点案件',
    inst_not_found: '该机构本月没有销售记录。',
    inst_no_findings: '本月无问题记录。',
    inst_no_missing: '本月没有未采码的销售。',
    m_sales_rows: '销售行',
    m_return_rows: '退货行',
    m_blocked_rows: '拦截行',
    m_coded: '有码（盒）',
    m_missing: '缺码（盒）',
    m_exempt: '免采（盒）',
    m_no_code_stock: '无码库（盒）',
    m_collect_amount: '采集率（金额）',
    m_settle_amount: '结算率（金额）',
    col_interface: '接口',
    col_boxes: '盒数',
    key_configured: '来自服务器配置（serve --console-public-key 或账本自身公钥）—— 请与医保局线下发布的指纹核对',
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
    nav_cases: 'Suspect cases',
    signed_in_as: 'Signed in as {0}',
    region_all: 'all regions',
    role_regulator: 'regulator',
    role_admin: 'admin',
    err_404: 'Not found: ',
    err_409: 'Not allowed in the case\u2019s current status: ',
    err_400: 'Bad request: ',
    cases_title: 'Suspect cases',
    f_type: 'Case type',
    f_rule: 'Rule',
    f_institution: 'Institution code',
    f_month: 'Month',
    f_status: 'Status',
    f_all: 'All',
    f_apply: 'Filter',
    cases_empty: 'No suspect cases match.',
    cases_total: '{0} cases, {1} yuan at risk, {2} yuan paid by the fund, {3} yuan recovered.',
    cases_shown: 'Ranked by amount at risk; the first {0} are shown.',
    col_case: 'Case',
    col_type: 'Type',
    col_month: 'Month',
    col_status: 'Status',
    col_at_risk: 'At risk (yuan)',
    col_paid: 'Paid by fund (yuan)',
    col_packs: 'Packs',
    col_institutions: 'Institutions',
    col_assignee: 'Assignee',
    type_pack_chain: 'Pack chain anomaly',
    type_collector: 'Collector of dispensed boxes',
    type_resale: 'Resale of dispensed boxes',
    type_code_reuse: 'Code reuse',
    type_split_over: 'Split sales over content',
    type_product_swap: 'Product swap',
    type_return_anomaly: 'Return anomaly',
    type_patient_returned: 'Patient\u2019s boxes came back',
    type_patient_overbuy: 'Patient over-buying',
    st_open: 'Open',
    st_investigating: 'Investigating',
    st_confirmed: 'Confirmed',
    st_dismissed: 'Dismissed',
    case_title: 'Case {0}',
    case_back: '\u2190 Back to the cases',
    case_summary: 'Summary',
    case_amounts: '{0} yuan at risk · {1} yuan paid by the fund · {2} yuan recovered',
    evidence_title: 'Evidence',
    ev_role_flagged: 'Flagged row',
    ev_role_prior_sale: 'Earlier sale',
    ev_role_history: 'Other event of the pack',
    col_entry: 'Ledger index',
    col_role: 'Role',
    col_time: 'Time',
    col_drug: 'Drug',
    col_amount: 'Amount (yuan)',
    col_rules: 'Rules',
    col_codes: 'Codes',
    codes_title: 'Full history of the codes involved',
    codes_more: '{0} more codes are not expanded; open them one by one with their links.',
    open_lookup: 'Open in Look up',
    history_title: 'Case history',
    history_empty: 'No actions yet.',
    act_title: 'Act',
    act_reason: 'Reason / note',
    act_assignee: 'Assignee',
    act_recovered: 'Recovered (yuan, optional)',
    act_investigate: 'Start investigating',
    act_assign: 'Assign',
    act_annotate: 'Add note',
    act_confirm: 'Confirm',
    act_dismiss: 'Dismiss',
    act_sending: 'Sending and recording in the ledger…',
    act_done: 'Recorded (ledger index {0}).',
    act_bad_amount: 'Recovered amount: yuan with at most 2 decimals, e.g. 1234.50',
    a_investigate: 'Investigation started',
    a_assign: 'Assigned',
    a_annotate: 'Note',
    a_confirm: 'Confirmed',
    a_dismiss: 'Dismissed',
    by: 'By',
    coverage_filter_class: 'Institution class',
    coverage_trend: 'Trend over the last months',
    trend_collect: 'Collection (boxes)',
    trend_settle: 'Settlement (boxes)',
    trend_empty: 'No trend to draw.',
    col_codes_boxes: 'Boxes with code',
    col_required: 'Boxes requiring a code',
    sort_hint: 'Click a column header to sort',
    inst_title: 'Institution month: {0}',
    inst_back: '\u2190 Back to month coverage',
    inst_figures: 'This month',
    inst_verdicts: 'Verdict mix (rows)',
    inst_findings: 'Top findings',
    inst_missing: 'Drugs sold without codes',
    inst_cases: 'Suspect cases this month',
    inst_not_found: 'This institution recorded no sales in this month.',
    inst_no_findings: 'No findings this month.',
    inst_no_missing: 'No sales without codes this month.',
    m_sales_rows: 'Sale rows',
    m_return_rows: 'Return rows',
    m_blocked_rows: 'Blocked rows',
    m_coded: 'Coded (boxes)',
    m_missing: 'Missing code (boxes)',
    m_exempt: 'Exempt (boxes)',
    m_no_code_stock: 'No-code stock (boxes)',
    m_collect_amount: 'Collection (amount)',
    m_settle_amount: 'Settlement (amount)',
    col_interface: 'Interface',
    col_boxes: 'Boxes',
    key_configured: 'configured at the server (serve --console-public-key, or the log\u2019s own key) \u2014 compare its fingerprint with the one published out of band',
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


export let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';

export function setLang(l) {
  lang = l;
  localStorage.setItem(LANG_KEY, l);
}

export function t(key, ...args) {
  const s = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));
}

// A word for a value from the server, or the value itself when there is no word for it.
export function tOr(prefix, value) {
  const key = `${prefix}${value}`;
  return WORDS[lang][key] ?? WORDS.zh[key] ?? String(value ?? '');
}

// ---- DOM helpers (text only) ----

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
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

// SVG elements (the trend chart); attributes are set, never markup parsed.
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function setStatus(id, text, kind = 'info') {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${kind}`;
  node.hidden = !text;
}

export function applyWords() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
}

// ---- formats ----

// Fen (integer) as yuan with two decimals, without floating point.
export function yuan(fen) {
  if (typeof fen !== 'number' || !Number.isSafeInteger(fen)) return '-';
  const neg = fen < 0;
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  return `${neg ? '-' : ''}${whole}.${String(abs % 100).padStart(2, '0')}`;
}

// "1234.5" yuan → 123450 fen; null for an empty field; NaN when malformed.
export function parseYuan(text) {
  const s = String(text ?? '').trim();
  if (!s) return null;
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

export function pct(x) {
  return typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '-';
}

export function boxes(milli) {
  return typeof milli === 'number' ? (milli / 1000).toLocaleString('en-US', { maximumFractionDigits: 3 }) : '-';
}

export function dateTime(ms) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function currentMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

// ---- the API ----

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// The token goes in the Authorization header only: never in a URL, never in a cookie.
export async function apiFetch(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${token() ?? ''}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new ApiError(0, e.message);
  }
}

export async function apiJson(path, options) {
  const res = await apiFetch(path, options);
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

export function isTerminalRefusal(e) {
  return e instanceof ApiError && e.status === 403 && /terminal/i.test(e.message);
}

export function describeError(e) {
  if (!(e instanceof ApiError)) return `${t('err_server')}: ${e.message}`;
  if (e.status === 0) return t('err_network') + e.message;
  if (e.status === 401) return t('err_401');
  if (isTerminalRefusal(e)) return t('err_403_terminal');
  if (e.status === 403) return t('err_403') + e.message;
  if (e.status === 404) return t('err_404') + e.message;
  if (e.status === 409) return t('err_409') + e.message;
  if (e.status === 400) return t('err_400') + e.message;
  if (e.status === 503) return t('err_busy');
  return `${t('err_server')} (${e.status}): ${e.message}`;
}

// Set by app.js: an unusable token sends the officer back to sign-in with the reason.
let authFailure = () => false;
export function onAuthFailure(fn) {
  authFailure = fn;
}
export function handleAuthError(e) {
  if (e instanceof ApiError && (e.status === 401 || isTerminalRefusal(e))) {
    authFailure(describeError(e));
    return true;
  }
  return false;
}
