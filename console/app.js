// The regulator console (docs/console.md): routing, sign-in, code lookup with in-browser
// verification, and the verifier key. The suspect-case pages are in cases.js, the month and
// institution pages in month.js. Plain ES modules, no build step, no inline script (strict CSP).
//
// Rule for every file here: everything that came from the server is put on the page with
// textContent (through el() and text nodes), never with innerHTML.

import { showCase, showCases, initCases } from './cases.js';
import { initMonth, showCoverage, showInstitution } from './month.js';
import { renderEvent, renderSummary } from './timeline.js';
import {
  $,
  apiJson,
  applyWords,
  describeError,
  el,
  handleAuthError,
  lang,
  onAuthFailure,
  setLang,
  setStatus,
  setToken,
  t,
  token,
} from './ui.js';
import { keyFingerprint, parseVerifierKey, verifyHistory } from './verify.js';

const PIN_KEY = 'drugtrace.verifierKey'; // localStorage: the verifier key the officer trusts
const WHO_KEY = 'drugtrace.whoami'; // sessionStorage: the token's public part, with the token

// ---- who is signed in ----

let whoami = null;
try {
  whoami = JSON.parse(sessionStorage.getItem(WHO_KEY) ?? 'null');
} catch {
  whoami = null;
}

function renderWho() {
  const node = $('who');
  if (!whoami || !token()) {
    node.replaceChildren();
    return;
  }
  const role = t(`role_${whoami.role}`);
  const region = whoami.region || t('region_all');
  node.replaceChildren(t('signed_in_as', `${whoami.label || whoami.token_id} · ${role} · ${region}`));
}

// ---- pages ----

const PAGES = ['signin', 'lookup', 'cases', 'case', 'coverage', 'institution'];
const NAV = { lookup: 'lookup', cases: 'cases', case: 'cases', coverage: 'coverage', institution: 'coverage' };

function showPage(page) {
  for (const p of PAGES) $(`page-${p}`).hidden = p !== page;
  $('nav').hidden = page === 'signin';
  $('sign-out').hidden = page === 'signin';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === NAV[page]);
  }
  renderWho();
}

// "#/case/<id>", "#/cases?status=open", "#/lookup/<code>", "#/coverage/2025-08?class=...",
// "#/institution/<code>/<month>": the page, its path segments (decoded) and its query.
function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const [page, ...rest] = path.split('/');
  let args;
  try {
    args = rest.map((s) => decodeURIComponent(s));
  } catch {
    args = [];
  }
  return { page: PAGES.includes(page) && page !== 'signin' ? page : 'lookup', args, query };
}

function route(message) {
  if (!token()) {
    showPage('signin');
    setStatus('signin-status', message ?? '', message ? 'error' : 'info');
    $('token').focus();
    return;
  }
  const { page, args, query } = parseHash();
  showPage(page);
  if (page === 'lookup') {
    if (args[0] && args[0] !== lastCode) {
      $('code').value = args[0];
      lookup(args[0]);
    }
    $('code').focus();
  } else if (page === 'cases') {
    showCases(query);
  } else if (page === 'case') {
    showCase(args[0] ?? '');
  } else if (page === 'coverage') {
    showCoverage(args[0], query);
  } else if (page === 'institution') {
    showInstitution(args[0] ?? '', args[1]);
  }
}

function toSignIn(message) {
  setToken(null);
  sessionStorage.removeItem(WHO_KEY);
  whoami = null;
  showPage('signin');
  setStatus('signin-status', message ?? '', message ? 'error' : 'info');
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  setToken(value);
  $('token').value = '';
  setStatus('signin-status', t('signing_in'));
  // GET /v1/whoami names the token's role and region; a terminal token gets a 403 saying so.
  try {
    whoami = await apiJson('/v1/whoami');
  } catch (e) {
    toSignIn(describeError(e));
    return;
  }
  sessionStorage.setItem(WHO_KEY, JSON.stringify(whoami));
  setStatus('signin-status', '');
  renderKeyPanel(null);
  if (!location.hash || location.hash === '#/' || location.hash.startsWith('#/signin')) {
    history.replaceState(null, '', '#/lookup');
  }
  route();
}

function signOut() {
  setToken(null);
  sessionStorage.removeItem(WHO_KEY);
  whoami = null;
  lastCode = '';
  lastHistory = null;
  for (const id of ['timeline', 'summary', 'coverage-table', 'cases-table', 'case-body', 'case-evidence', 'case-codes', 'inst-body', 'trend']) {
    $(id).replaceChildren();
  }
  setStatus('lookup-status', '');
  location.hash = '#/lookup';
  toSignIn('');
}

// ---- the verifier key ----

function pinnedKey() {
  return localStorage.getItem(PIN_KEY) || '';
}

// The key checkpoints are checked with: the officer's pinned key, else the key the server was
// configured with (GET /v1/whoami), else the answer's own.
function keyInUse(answerKey) {
  if (pinnedKey()) return { text: pinnedKey(), source: 'pinned' };
  if (whoami?.verifier_key) return { text: whoami.verifier_key, source: 'configured' };
  return { text: answerKey ?? '', source: 'server' };
}

async function renderKeyPanel(answerKey) {
  const key = keyInUse(answerKey);
  let fingerprint;
  try {
    const parsed = await parseVerifierKey(key.text);
    fingerprint = el('div', { className: 'fingerprint', id: 'key-fingerprint' }, `${t('key_fingerprint')} (SHA-256): ${await keyFingerprint(parsed.publicKey)}`);
  } catch (e) {
    fingerprint = key.text ? el('div', { className: 'fingerprint bad' }, t('key_bad') + e.message) : null;
  }
  const sourceWord = { pinned: 'key_pinned', configured: 'key_configured', server: 'key_server' }[key.source];
  $('key-info').replaceChildren(
    ...[el('div', { className: 'key-text' }, key.text), el('div', { className: `key-source ${key.source}` }, t(sourceWord)), fingerprint].filter(Boolean),
  );
}

function pinKey(event) {
  event.preventDefault();
  const v = $('pin-key').value.trim();
  if (v) localStorage.setItem(PIN_KEY, v);
  $('pin-key').value = '';
  renderKeyPanel(lastHistory?.verifier_key);
  if (lastCode) lookup(lastCode);
}

function unpinKey() {
  localStorage.removeItem(PIN_KEY);
  renderKeyPanel(lastHistory?.verifier_key);
  if (lastCode) lookup(lastCode);
}

// ---- code lookup ----

let lastHistory = null;
let lastCode = '';
let lookupSeq = 0;

// Fetches and verifies one code's history: {h, result} (throws the API error).
async function fetchVerified(code) {
  const h = await apiJson(`/v1/codes/${encodeURIComponent(code)}/history`);
  const result = await verifyHistory(h, keyInUse(h.verifier_key).text);
  return { h, result };
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
  performance.clearMarks();
  performance.mark('lookup-request');
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
  // bench/console_bench.py measures from here (the answer parsed) to the timeline on screen.
  performance.mark('lookup-response');
  lastHistory = h;
  setStatus('lookup-status', t('verifying'));
  const result = await verifyHistory(h, keyInUse(h.verifier_key).text);
  if (seq !== lookupSeq) return;
  renderKeyPanel(h.verifier_key);
  $('summary').replaceChildren(...renderSummary(h, result));
  const events = h.events ?? [];
  $('timeline').replaceChildren(...events.map((ev, i) => renderEvent(ev, result.events[i], i)));
  const bad = $('timeline').querySelectorAll('.event.bad').length;
  if (!events.length) setStatus('lookup-status', t('no_events'));
  else if (bad) setStatus('lookup-status', `${bad} × ${t('not_verified')}`, 'error');
  else setStatus('lookup-status', '');
  $('page-lookup').dataset.state = 'done';
  performance.mark('lookup-rendered');
  requestAnimationFrame(() => performance.mark('lookup-painted'));
}

function onLookup(event) {
  event.preventDefault();
  const code = $('code').value.trim();
  if (!code) return;
  lastCode = code;
  // The code goes in the page's own fragment (never sent to a server), so back/forward work.
  history.replaceState(null, '', `#/lookup/${encodeURIComponent(code)}`);
  lookup(code);
  $('code').select();
}

// ---- start ----

function start() {
  applyWords();
  onAuthFailure((message) => toSignIn(message));
  $('lang').addEventListener('click', () => {
    setLang(lang === 'zh' ? 'en' : 'zh');
    applyWords();
    renderKeyPanel(lastHistory?.verifier_key);
    if (!$('page-lookup').hidden) {
      if (lastCode) lookup(lastCode);
    } else if (token()) {
      route(); // the other pages are drawn again in the new language
    }
  });
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('lookup-form').addEventListener('submit', onLookup);
  $('pin-form').addEventListener('submit', pinKey);
  $('unpin').addEventListener('click', unpinKey);
  initCases({ fetchVerified });
  initMonth();
  window.addEventListener('hashchange', () => route());
  renderKeyPanel(null);
  route();
  document.body.dataset.ready = 'true';
}

start();
