// In-browser verification of what the regulator API returns (docs/console.md, docs/ledger-format.md).
//
// Nothing here trusts the server: the checkpoint note's Ed25519 signature is checked with the
// verifier key (WebCrypto), every entry's RFC 6962 leaf hash is recomputed from its bytes, and its
// inclusion proof is folded up to the signed root (WebCrypto SHA-256). Any doubt is a failure with
// a reason; there is no "probably fine".
//
// No DOM access: the functions take and return plain data, so the tests can run them on altered
// fixtures inside the page.

const enc = new TextEncoder();

export class VerifyError extends Error {}

function fail(message) {
  throw new VerifyError(message);
}

// ---- base64 (RFC 4648 §4 with padding; non-canonical encodings rejected, like the ledger's) ----

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function b64decode(text, what = 'base64') {
  if (typeof text !== 'string' || !B64_RE.test(text)) fail(`${what}: not base64`);
  const bin = atob(text);
  if (btoa(bin) !== text) fail(`${what}: non-canonical base64`);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// ---- RFC 6962 hashes (ledger-format §2) ----

export function leafHash(entryBytes) {
  return sha256(concat(Uint8Array.of(0), entryBytes));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function bitLength(x) {
  let n = 0n;
  while (x > 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function popcount(x) {
  let n = 0n;
  while (x > 0n) {
    n += x & 1n;
    x >>= 1n;
  }
  return n;
}

// Exact proof length (RFC 9162 §2.1.3.2): anything longer or shorter is refused.
export function inclusionLength(index, size) {
  const w = bitLength(index ^ (size - 1n));
  return Number(w + popcount(index >> w));
}

// RFC 9162 §2.1.3.2, with BigInt indices (sizes may exceed 2^53 in principle).
export async function rootFromInclusion(leaf, index, size, hashes) {
  if (!(index < size)) fail(`leaf index ${index} is not below tree size ${size}`);
  if (hashes.length !== inclusionLength(index, size)) {
    fail(`proof has ${hashes.length} hashes, expected ${inclusionLength(index, size)}`);
  }
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of hashes) {
    if (sn === 0n) fail('proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while (fn !== 0n && (fn & 1n) === 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail('proof is too short');
  return r;
}

// ---- keys (ledger-format §4) ----

const NAME_RE = /^[^\s+\p{Cc}]+$/u;

export async function keyIdOf(name, keyData) {
  const digest = await sha256(concat(enc.encode(name), Uint8Array.of(0x0a), keyData));
  return digest.slice(0, 4);
}

// "<name>+<8 hex id>+<base64(0x01 || 32-byte public key)>" → {name, id (4 bytes), idHex, key}.
export async function parseVerifierKey(text) {
  if (typeof text !== 'string') fail('verifier key: missing');
  text = text.trim();
  const p1 = text.indexOf('+');
  const p2 = p1 < 0 ? -1 : text.indexOf('+', p1 + 1);
  if (p1 <= 0 || p2 < 0) fail('verifier key: expected name+id+key');
  const name = text.slice(0, p1);
  const idHex = text.slice(p1 + 1, p2);
  if (!NAME_RE.test(name)) fail('verifier key: invalid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) fail('verifier key: id is not 8 lower-case hex digits');
  const data = b64decode(text.slice(p2 + 1), 'verifier key');
  if (data.length !== 33 || data[0] !== 0x01) fail('verifier key: not an Ed25519 key');
  const id = await keyIdOf(name, data);
  if (hex(id) !== idHex) fail('verifier key: id does not match the key');
  let cryptoKey;
  try {
    cryptoKey = await crypto.subtle.importKey('raw', data.slice(1), { name: 'Ed25519' }, false, [
      'verify',
    ]);
  } catch (e) {
    fail(`verifier key: this browser cannot use Ed25519 keys (${e.name})`);
  }
  return { name, id, idHex, publicKey: data.slice(1), cryptoKey, text };
}

// The fingerprint shown beside a key (and printed by `drugtrace serve`): SHA-256 of the raw 32-byte
// Ed25519 public key, lower-case hex in groups of 8.
export async function keyFingerprint(publicKey) {
  return hex(await sha256(publicKey)).replace(/(.{8})(?!$)/g, '$1 ');
}

// ---- signed notes and checkpoints (ledger-format §5) ----

const SIG_PREFIX = '\u2014 ';

// Splits a note into its text and signature lines; no signature is checked here.
export function parseNote(note) {
  if (typeof note !== 'string') fail('checkpoint: missing note');
  if (note.length > 2 * 1024 * 1024) fail('checkpoint: note too large');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note)) fail('checkpoint: control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('checkpoint: no signature block');
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith('\n')) fail('checkpoint: signature block does not end in a newline');
  const sigs = [];
  for (const line of sigBlock.slice(0, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) fail('checkpoint: malformed signature line');
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(' ');
    if (sp <= 0) fail('checkpoint: malformed signature line');
    const name = rest.slice(0, sp);
    if (!NAME_RE.test(name)) fail('checkpoint: invalid signer name');
    const blob = b64decode(rest.slice(sp + 1), 'signature');
    if (blob.length <= 4) fail('checkpoint: signature too short');
    sigs.push({ name, id: blob.slice(0, 4), sig: blob.slice(4) });
  }
  if (sigs.length === 0 || sigs.length > 100) fail('checkpoint: wrong number of signatures');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((l) => l === '')) fail('checkpoint: malformed text');
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) fail('checkpoint: malformed tree size');
  const size = BigInt(sizeText);
  if (size >= 1n << 64n) fail('checkpoint: tree size too large');
  const root = b64decode(rootText, 'checkpoint root');
  if (root.length !== 32) fail('checkpoint: root is not 32 bytes');
  return { text, origin, size, root, rootB64: rootText, extensions: lines.slice(3), sigs };
}

// Opens a note with a parsed verifier key: every signature line with the key's name and id must
// verify, and there must be at least one.
export async function verifyCheckpoint(note, key) {
  const cp = parseNote(note);
  const textBytes = enc.encode(cp.text);
  let verified = 0;
  for (const s of cp.sigs) {
    if (s.name !== key.name || !equalBytes(s.id, key.id)) continue;
    if (s.sig.length !== 64) fail('checkpoint: signature is not 64 bytes');
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key.cryptoKey, s.sig, textBytes);
    if (!ok) fail('checkpoint: signature does not verify with the verifier key');
    verified++;
  }
  if (verified === 0) fail(`checkpoint: not signed by ${key.name}+${key.idHex}`);
  return cp;
}

// ---- one history event (docs/api.md) against a verified checkpoint ----

function safeBigInt(n, what) {
  if (!Number.isSafeInteger(n) || n < 0) fail(`${what}: not a non-negative integer`);
  return BigInt(n);
}

// Returns the entry's bytes once LEAF(bytes) is proved to be in the signed tree.
export async function verifyEvent(event, cp) {
  const proof = event.proof;
  if (!proof) fail('not yet covered by a signed checkpoint');
  if (proof.type !== 'inclusion') fail('proof is not an inclusion proof');
  const index = safeBigInt(proof.leaf_index, 'proof leaf_index');
  if (index !== safeBigInt(event.ledger_index, 'ledger_index')) {
    fail('proof is for another ledger entry');
  }
  if (safeBigInt(proof.tree_size, 'proof tree_size') !== cp.size) {
    fail('proof is for another tree size than the checkpoint');
  }
  const bytes = b64decode(event.entry, 'entry');
  if (proof.entry !== undefined && proof.entry !== null && proof.entry !== event.entry) {
    fail('proof carries other entry bytes');
  }
  const leaf = await leafHash(bytes);
  if (proof.leaf_hash !== undefined && !equalBytes(b64decode(proof.leaf_hash, 'leaf_hash'), leaf)) {
    fail('entry bytes do not hash to the proof\u2019s leaf');
  }
  if (!Array.isArray(proof.hashes)) fail('proof has no hashes');
  const hashes = proof.hashes.map((h) => {
    const b = b64decode(h, 'proof hash');
    if (b.length !== 32) fail('proof hash is not 32 bytes');
    return b;
  });
  const root = await rootFromInclusion(leaf, index, cp.size, hashes);
  if (!equalBytes(root, cp.root)) fail('inclusion proof does not lead to the signed root');
  return bytes;
}

// Verifies a whole history answer. `keyText` is the verifier key to trust (pinned by the officer,
// or the answer's own `verifier_key` when none is pinned). Never throws: failures are reported.
//   → {key: {ok, name, idHex, fingerprint, error}, checkpoint: {ok, origin, size, root, error},
//      events: [{ok, error, doc}]}   (doc: the entry's JSON, parsed from the verified bytes)
export async function verifyHistory(history, keyText) {
  const result = { key: { ok: false }, checkpoint: { ok: false }, events: [] };
  const events = Array.isArray(history?.events) ? history.events : [];
  let key = null;
  let cp = null;
  try {
    key = await parseVerifierKey(keyText);
    result.key = { ok: true, name: key.name, idHex: key.idHex, fingerprint: await keyFingerprint(key.publicKey) };
  } catch (e) {
    result.key = { ok: false, error: e.message };
  }
  if (key) {
    try {
      if (!history?.checkpoint) fail('no signed checkpoint yet');
      cp = await verifyCheckpoint(history.checkpoint.note, key);
      result.checkpoint = { ok: true, origin: cp.origin, size: cp.size, root: cp.rootB64 };
    } catch (e) {
      result.checkpoint = { ok: false, error: e.message };
    }
  }
  for (const ev of events) {
    if (!cp) {
      result.events.push({ ok: false, error: result.key.error || result.checkpoint.error });
      continue;
    }
    try {
      const bytes = await verifyEvent(ev, cp);
      let doc;
      try {
        doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        fail('entry bytes are not JSON');
      }
      result.events.push({ ok: true, doc });
    } catch (e) {
      result.events.push({ ok: false, error: e.message });
    }
  }
  return result;
}
