#!/usr/bin/python3
"""Independent verifier of a drugtrace ledger export against a signed checkpoint.

Written from docs/ledger-format.md alone; it imports nothing from drugtrace. Needs only the Python
standard library and python3-cryptography (Debian package) for Ed25519.

    verify_export.py --key VERIFIER_KEY --checkpoint CHECKPOINT_FILE EXPORT.ndjson

Recomputes every entry's leaf hash and chain hash from its bytes, the Merkle root over the first
`size` entries (the checkpoint's tree size), checks the checkpoint's Ed25519 signature, root and
chain line. Prints "ok: ..." and exits 0, or prints one line naming the first problem and exits 1.
Usage errors exit 2.
"""

import argparse
import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALG_ED25519 = 0x01  # signed-note signature type byte (docs/ledger-format.md §4)
SIG_PREFIX = "\u2014 "  # em dash and a space begin every signature line (§5)
MAX_NOTE_BYTES = 2 << 20
MAX_NOTE_SIGNATURES = 100
ZERO_HASH = bytes(32)


class VerifyError(Exception):
    """A verification failure: the message is the one line printed."""


# ---- Encodings and hashes (§2) ----


def b64decode_strict(text, what):
    """Standard base64 with padding, canonical (zero padding bits), or VerifyError."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerifyError(f"{what} is not standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerifyError(f"{what} is not canonical standard base64")
    return raw


def hash_from_b64(text, what):
    raw = b64decode_strict(text, what)
    if len(raw) != 32:
        raise VerifyError(f"{what} is {len(raw)} bytes, not 32")
    return raw


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def leaf_hash(entry):
    return sha256(b"\x00", entry)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def chain_hash(previous, leaf):
    return sha256(previous, leaf)


class RootBuilder:
    """RFC 6962 Merkle tree hash over leaves added in order, in O(log n) memory.

    The stack holds the right-edge perfect subtrees, largest first: one per set bit of the size.
    """

    def __init__(self):
        self.size = 0
        self.stack = []

    def add(self, leaf):
        h = leaf
        carry = self.size
        while carry & 1:
            h = node_hash(self.stack.pop(), h)
            carry >>= 1
        self.stack.append(h)
        self.size += 1

    def root(self):
        if not self.stack:
            return sha256(b"")
        acc = self.stack[-1]
        for h in reversed(self.stack[:-1]):
            acc = node_hash(h, acc)
        return acc


# ---- Keys and signed notes (§4, §5) ----

# Unicode White_Space: what key names must not contain.
_SPACES = set(range(0x09, 0x0E)) | {0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F,
                                    0x3000} | set(range(0x2000, 0x200B))


def valid_name(name):
    return bool(name) and all(
        ord(c) >= 0x20 and c != "+" and ord(c) not in _SPACES for c in name)


def key_id(name, public_key):
    digest = sha256(name.encode("utf-8"), b"\n", bytes([ALG_ED25519]), public_key)
    return int.from_bytes(digest[:4], "big")


class VerifierKey:
    def __init__(self, text):
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise VerifyError("verifier key: expected <name>+<8 hex key id>+<base64 key>")
        name, id_hex, data = parts
        if not valid_name(name):
            raise VerifyError("verifier key: invalid key name")
        if len(id_hex) != 8 or any(c not in "0123456789abcdef" for c in id_hex):
            raise VerifyError("verifier key: key id is not 8 lower-case hex digits")
        raw = b64decode_strict(data, "verifier key data")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise VerifyError("verifier key: key data is not 0x01 followed by 32 bytes")
        self.name = name
        self.public_key = raw[1:]
        self.key_id = int(id_hex, 16)
        if key_id(name, self.public_key) != self.key_id:
            raise VerifyError("verifier key: key id does not match name and public key")
        self.ed25519 = Ed25519PublicKey.from_public_bytes(self.public_key)

    def label(self):
        return f"{self.name}+{self.key_id:08x}"


def open_note(note_bytes, key):
    """Checks a signed note and returns its text. Every signature line by `key` must verify."""
    if len(note_bytes) > MAX_NOTE_BYTES:
        raise VerifyError("checkpoint: note too long")
    try:
        note = note_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise VerifyError("checkpoint: note is not valid UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerifyError("checkpoint: note contains a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise VerifyError("checkpoint: no blank line before the signatures")
    text, sigs = note[:split + 1], note[split + 2:]
    if not sigs or not sigs.endswith("\n"):
        raise VerifyError("checkpoint: signature lines missing or not newline-terminated")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise VerifyError(f"checkpoint: more than {MAX_NOTE_SIGNATURES} signatures")
    verified = False
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise VerifyError("checkpoint: signature line does not start with an em dash")
        name, sep, blob_b64 = line[len(SIG_PREFIX):].partition(" ")
        if not sep or not valid_name(name):
            raise VerifyError("checkpoint: malformed signature line")
        blob = b64decode_strict(blob_b64, "checkpoint signature")
        if len(blob) <= 4:
            raise VerifyError("checkpoint: signature too short")
        if name != key.name or int.from_bytes(blob[:4], "big") != key.key_id:
            continue  # another key's signature: not ours to judge
        if len(blob) != 4 + 64:
            raise VerifyError(f"checkpoint: signature by {key.label()} has the wrong length")
        try:
            key.ed25519.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise VerifyError(f"checkpoint: invalid signature by {key.label()}") from None
        verified = True
    if not verified:
        raise VerifyError(f"checkpoint: not signed by {key.label()}")
    return text


class Checkpoint:
    def __init__(self, text):
        lines = text[:-1].split("\n")  # open_note's text always ends in "\n"
        if len(lines) < 3:
            raise VerifyError("checkpoint: needs origin, tree size and root hash lines")
        for i, line in enumerate(lines, 1):
            if not line:
                raise VerifyError(f"checkpoint: line {i} is empty")
        self.origin = lines[0]
        size = lines[1]
        if not size.isascii() or not size.isdigit() or (len(size) > 1 and size[0] == "0"):
            raise VerifyError("checkpoint: tree size is not a decimal without leading zeros")
        self.size = int(size)
        if self.size >= 1 << 64:
            raise VerifyError("checkpoint: tree size does not fit in 64 bits")
        self.root = hash_from_b64(lines[2], "checkpoint root hash")
        self.chain = None
        for line in lines[3:]:
            if line == "chain" or line.startswith("chain "):
                if self.chain is not None:
                    raise VerifyError("checkpoint: more than one chain line")
                self.chain = hash_from_b64(line[len("chain "):], "checkpoint chain head")
            # Other extension lines carry nothing this verifier checks.


# ---- Export (§7) ----


def _reject_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise VerifyError(f"duplicate field '{k}'")
        obj[k] = v
    return obj


def _field(obj, name, kind):
    if name not in obj:
        raise VerifyError(f"missing field '{name}'")
    v = obj[name]
    ok = isinstance(v, int) and not isinstance(v, bool) if kind is int else isinstance(v, kind)
    if not ok:
        raise VerifyError(f"field '{name}' has the wrong JSON type")
    return v


def _hex_hash(obj, name):
    v = _field(obj, name, str)
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise VerifyError(f"field '{name}' is not 64 lower-case hex digits")
    return bytes.fromhex(v)


def check_entry(obj, index, previous_chain):
    """Checks one export record; returns (leaf hash, chain hash)."""
    if not isinstance(obj, dict):
        raise VerifyError("not a JSON object")
    if _field(obj, "index", int) != index:
        raise VerifyError(f"index is {obj['index']}, expected {index} (deleted or reordered)")
    if not 0 <= _field(obj, "type", int) < 1 << 32:
        raise VerifyError("field 'type' is out of range")
    _field(obj, "event_time_ms", int)
    _field(obj, "institution", str)
    entry = b64decode_strict(_field(obj, "entry", str), "field 'entry'")
    leaf = leaf_hash(entry)
    if _hex_hash(obj, "leaf_hash") != leaf:
        raise VerifyError("leaf_hash differs from SHA-256(0x00 || entry bytes)")
    chain = chain_hash(previous_chain, leaf)
    if _hex_hash(obj, "chain_hash") != chain:
        raise VerifyError("chain_hash differs from SHA-256(previous chain hash || leaf hash)")
    return leaf, chain


def verify(key_text, checkpoint_path, export_path):
    key = VerifierKey(key_text)
    try:
        with open(checkpoint_path, "rb") as f:
            note = f.read(MAX_NOTE_BYTES + 1)
    except OSError as e:
        raise VerifyError(f"cannot read {checkpoint_path}: {e.strerror}") from None
    cp = Checkpoint(open_note(note, key))

    tree = RootBuilder()
    chain = ZERO_HASH
    root_at_size = tree.root() if cp.size == 0 else None
    chain_at_size = chain
    n = 0
    try:
        f = open(export_path, "rb")
    except OSError as e:
        raise VerifyError(f"cannot read {export_path}: {e.strerror}") from None
    with f:
        for line_no, raw in enumerate(f, 1):
            try:
                if not raw.endswith(b"\n"):
                    raise VerifyError("record is not newline-terminated (truncated export?)")
                obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates)
                leaf, chain = check_entry(obj, n, chain)
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise VerifyError(f"entry {n} (line {line_no}): not a JSON record: {e}") from None
            except VerifyError as e:
                raise VerifyError(f"entry {n} (line {line_no}): {e}") from None
            if n < cp.size:
                tree.add(leaf)
            n += 1
            if n == cp.size:
                root_at_size, chain_at_size = tree.root(), chain

    if n < cp.size:
        raise VerifyError(f"the checkpoint covers {cp.size} entries but the export holds only {n}; "
                          "entries were removed from the end")
    if root_at_size != cp.root:
        raise VerifyError(f"the Merkle root of the first {cp.size} entries differs from the signed "
                          "checkpoint's root; history was rewritten")
    if cp.chain is not None and chain_at_size != cp.chain:
        raise VerifyError(f"the chain hash of entry {cp.size - 1} differs from the signed "
                          "checkpoint's chain line")
    return key, cp, n, chain


def main():
    parser = argparse.ArgumentParser(
        description="Verify a 'drugtrace export' NDJSON file against a signed checkpoint.")
    parser.add_argument("--key", required=True,
                        help="verifier key, <name>+<8 hex key id>+<base64 key> ('drugtrace key')")
    parser.add_argument("--checkpoint", required=True, help="signed checkpoint note file")
    parser.add_argument("export", help="NDJSON file written by 'drugtrace export'")
    args = parser.parse_args()
    try:
        key, cp, n, chain = verify(args.key, args.checkpoint, args.export)
    except VerifyError as e:
        print(f"verify_export: FAILED: {e}", file=sys.stderr)
        return 1
    root = base64.b64encode(cp.root).decode("ascii")
    chain_note = "" if cp.chain is not None else ", checkpoint has no chain line"
    print(f"ok: {n} entries, root {root} at size {cp.size} signed by {key.label()} "
          f"(origin {cp.origin}{chain_note})")
    if n > cp.size:
        print(f"note: the last {n - cp.size} entries (index {cp.size} to {n - 1}) are "
              f"hash-chained but not covered by this checkpoint; chain head {chain.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
