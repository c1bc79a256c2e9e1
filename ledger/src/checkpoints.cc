// Signing, storing and listing checkpoints.
#include <string>

#include "ledger/ledger.h"
#include "ledger_impl.h"

namespace ledger {

namespace {

Result<SignedCheckpoint> ReadCheckpointRow(const sql::Stmt& st, const VerifierKey& key) {
  SignedCheckpoint c;
  c.seq = static_cast<std::uint64_t>(st.Int(0));
  c.signed_at_ms = st.Int(1);
  c.note = std::string(st.Text(2));
  const std::string where = "checkpoint " + std::to_string(c.seq);
  auto text = OpenNote(c.note, key);
  if (!text.ok()) return Status::Corruption(where + ": " + text.status().message());
  auto parsed = Checkpoint::Parse(*text);
  if (!parsed.ok()) return Status::Corruption(where + ": " + parsed.status().message());
  c.checkpoint = std::move(*parsed);
  return c;
}

}  // namespace

Result<std::vector<SignedCheckpoint>> Ledger::Checkpoints() {
  auto st = sql::Stmt::Prepare(impl_->db.get(),
                               "SELECT seq, signed_at, note FROM checkpoints ORDER BY seq");
  if (!st.ok()) return st.status();
  std::vector<SignedCheckpoint> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto c = ReadCheckpointRow(*st, impl_->verifier);
    if (!c.ok()) return c.status();
    out.push_back(std::move(*c));
  }
  return out;
}

Result<std::optional<SignedCheckpoint>> Ledger::LatestCheckpoint() {
  auto st = sql::Stmt::Prepare(
      impl_->db.get(), "SELECT seq, signed_at, note FROM checkpoints ORDER BY seq DESC LIMIT 1");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<SignedCheckpoint>();
  auto c = ReadCheckpointRow(*st, impl_->verifier);
  if (!c.ok()) return c.status();
  return std::optional<SignedCheckpoint>(std::move(*c));
}

Result<SignedCheckpoint> Ledger::SignCheckpoint(std::int64_t now_ms) {
  Impl& d = *impl_;
  if (!d.signer) return Status::FailedPrecondition("the signing key is not loaded");
  // One write transaction: two signers racing cannot both take the next sequence number.
  sql::Transaction txn(d.db.get());
  LEDGER_RETURN_IF_ERROR(txn.Begin());
  auto last = LatestCheckpoint();
  if (!last.ok()) return last.status();
  const std::uint64_t size = d.size;
  auto root = Root(size);
  if (!root.ok()) return root.status();

  if (*last) {
    const Checkpoint& prev = (*last)->checkpoint;
    if (prev.size > size) {
      return Status::FailedPrecondition("last signed checkpoint has size " +
                                        std::to_string(prev.size) + " but the ledger has only " +
                                        std::to_string(size) + " entries");
    }
    if (prev.size == size) {
      if (prev.root != *root) {
        return Status::FailedPrecondition("ledger root at size " + std::to_string(size) +
                                          " differs from the last signed checkpoint");
      }
      return std::move(**last);
    }
    // Prove, from stored hashes, that the new tree extends the one last signed.
    if (prev.size > 0) {
      auto proof = ConsistencyProof(prev.size, size);
      if (!proof.ok()) return proof.status();
      Status ok = merkle::VerifyConsistency(prev.size, size, prev.root, *root, *proof);
      if (!ok.ok()) {
        return Status::FailedPrecondition("refusing to sign: tree of size " + std::to_string(size) +
                                          " is not consistent with the last signed checkpoint (" +
                                          ok.message() + ")");
      }
    }
  }

  Checkpoint cp;
  cp.origin = d.origin;
  cp.size = size;
  cp.root = *root;
  cp.chain_head = d.chain_head;
  auto note = SignNote(cp.ToNoteText(), *d.signer);
  if (!note.ok()) return note.status();

  SignedCheckpoint out;
  out.seq = *last ? (*last)->seq + 1 : 0;
  out.signed_at_ms = now_ms;
  out.checkpoint = cp;
  out.note = *note;
  auto ins = sql::Stmt::Prepare(d.db.get(),
                                "INSERT INTO checkpoints(seq, tree_size, root, chain, signed_at, "
                                "note) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, static_cast<std::int64_t>(out.seq))
      .Bind(2, static_cast<std::int64_t>(size))
      .BindBlob(3, Bytes(cp.root))
      .BindBlob(4, Bytes(d.chain_head))
      .Bind(5, now_ms)
      .Bind(6, out.note);
  LEDGER_RETURN_IF_ERROR(ins->Run());
  LEDGER_RETURN_IF_ERROR(txn.Commit());
  return out;
}

}  // namespace ledger
