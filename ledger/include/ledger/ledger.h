// The append-only, hash-chained, Merkle-tree ledger (docs/ledger-format.md). One Ledger object owns
// one SQLite connection; it is not thread-safe: the daemon gives it to a single writer thread and
// opens more Ledger objects read-only for readers (SQLite WAL lets them read while the writer
// appends).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "ledger/status.h"

namespace ledger {

// Entry type numbers are persisted in every ledger: never renumber, only add.
enum class EntryType : std::uint32_t {
  kOpaque = 0,      // tests and tools: bytes with no defined content
  kUploadRow = 1,   // one validated row of a terminal upload (ingest)
  kRefData = 2,     // reference data: catalogue, institutions, policy calendar, tokens' public info
  kCaseAction = 3,  // a regulator's action on a suspect case
  kAudit = 4,       // a regulator's query: who, what, when (ingest/src/regulator_api.cc)
};

struct EntryInput {
  std::uint32_t type = 0;
  std::int64_t event_time_ms = 0;  // milliseconds since the Unix epoch, UTC
  std::string institution;         // fixmedins_code, or "" for entries about no institution
  std::string bytes;               // the exact canonical entry bytes
};

struct Entry {
  std::uint64_t index = 0;
  std::uint32_t type = 0;
  std::int64_t event_time_ms = 0;
  std::string institution;
  std::string bytes;
  Hash leaf{};
  Hash chain{};
};

struct SignedCheckpoint {
  std::uint64_t seq = 0;          // 0-based order of signing
  std::int64_t signed_at_ms = 0;  // wall clock when signed (not part of the signed text)
  Checkpoint checkpoint;
  std::string note;  // the full signed note, exactly as issued
};

struct OpenOptions {
  bool read_only = false;
  // SQLite page cache per connection. Proof and append paths touch only the right edge and O(log n)
  // rows, so a modest cache suffices; raise it for bulk verification.
  int cache_mib = 64;
  // Memory-map up to this much of the database file for reads (0: off). Speeds up full scans such
  // as Verify; used by read-only connections.
  int mmap_mib = 0;
  // Load the signing key (needed only for SignCheckpoint).
  bool load_signer = true;
  // Let SQLite checkpoint the WAL inside commits (its default). A writer that runs a
  // WalCheckpointer beside it turns this off so commits never include that copy.
  bool auto_checkpoint = true;
  // Without auto_checkpoint, the background checkpointer copies the WAL back while commits keep
  // appending to it, so the log never drains by itself and would grow without bound. Once a commit
  // leaves more than this in the WAL, the writer finishes the copy itself between two commits (a
  // PASSIVE checkpoint with no commit racing it), and SQLite restarts the log from its beginning
  // at the next commit. 0 disables the bound.
  // A drain stalls one commit, and its cost grows with the log: at 30k code events/s on a 10M-entry
  // ledger (bench VM), 150-280 ms at 1 GiB, 13-28 ms at 64 MiB (one every ~0.7 s), so the bound
  // is small. The WAL file is cut back to twice the bound after a burst.
  std::int64_t wal_restart_bytes = std::int64_t{64} << 20;
};

// The writer's own WAL drains (OpenOptions::wal_restart_bytes).
struct WalDrainStats {
  std::uint64_t drains = 0;      // checkpoints run by the writer to let the log restart
  std::uint64_t incomplete = 0;  // of those, ones a reader or the checkpointer kept from finishing
  double last_ms = 0, max_ms = 0;  // time spent in them
  std::int64_t wal_frames = 0;     // frames in the WAL after the last commit
  // The last Append: time taking the write lock (BEGIN IMMEDIATE and the size check), inserting
  // the entries, in the caller's writes (`in_transaction`), inside SQLite's COMMIT (the WAL write
  // and fsync), and in its drain.
  double last_begin_ms = 0, last_entries_ms = 0, last_in_transaction_ms = 0;
  double last_commit_ms = 0, last_append_drain_ms = 0;
};

struct InitOptions {
  std::string origin;  // checkpoint origin and key name; default "drugtrace/<db file stem>"
};

struct VerifyReport {
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  Hash root{};
  Hash chain_head{};
  bool external_checkpoint_checked = false;
};

struct VerifyOptions {
  // A checkpoint note kept elsewhere: verified with `key` (or the ledger's own key) and proved to
  // be a prefix of this ledger.
  std::optional<std::string> external_checkpoint;
  std::optional<VerifierKey> key;
  // Called now and then with the number of entries checked so far.
  std::function<void(std::uint64_t)> progress;
};

// Path of the signing key kept beside a ledger database: "<db>.key".
std::string KeyPathFor(const std::string& db_path);
// Path of the secret HMAC key for personal identifiers: "<db>.hmac" (32 random bytes, hex, 0600).
std::string HmacKeyPathFor(const std::string& db_path);
// Reads the HMAC key beside a ledger, creating it (0600) if it does not exist yet and `may_create`.
// A ledger that already holds hashed identifiers must pass false: a new key would silently hash the
// same person differently (e.g. after a restore that left the key behind).
Result<std::string> LoadOrCreateHmacKey(const std::string& db_path, bool may_create = true);

class Ledger {
 public:
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Creates a new ledger database and its Ed25519 signing key (mode 0600) beside it. Refuses if
  // either file exists.
  static Result<std::unique_ptr<Ledger>> Init(const std::string& db_path, const InitOptions& opts);
  static Result<std::unique_ptr<Ledger>> Open(const std::string& db_path,
                                              const OpenOptions& opts = {});

  std::uint64_t size() const;
  const std::string& origin() const;
  const VerifierKey& verifier() const;
  // Chain hash of the last entry (32 zero bytes when empty).
  Hash chain_head() const;

  // Re-reads the head if another process appended since this object last looked (the CLI writing
  // reference data or tokens while the daemon runs). Returns true when the ledger had moved.
  Result<bool> Refresh();

  // Appends entries atomically and durably (synchronous=FULL); returns the index of the first.
  // `in_transaction`, when given, runs inside the same transaction after the entries are inserted
  // (ingest writes its code states there); a non-ok status rolls everything back. Fails with kBusy,
  // changing nothing, if another process appended since the last Open/Refresh/Append.
  Result<std::uint64_t> Append(std::span<const EntryInput> entries,
                               const std::function<Status()>& in_transaction = {});
  WalDrainStats wal_drain_stats() const;

  Result<Entry> Get(std::uint64_t index);
  // Calls `fn` for entries [from, to) in order; stops early and returns its status if not ok.
  Status Scan(std::uint64_t from, std::uint64_t to, const std::function<Status(const Entry&)>& fn);

  // Merkle root of the first `tree_size` entries (tree_size <= size()).
  Result<Hash> Root(std::uint64_t tree_size);
  Result<std::vector<Hash>> InclusionProof(std::uint64_t index, std::uint64_t tree_size);
  Result<std::vector<Hash>> ConsistencyProof(std::uint64_t old_size, std::uint64_t new_size);

  // Signs a checkpoint of the current tree, after proving it consistent with the last one signed.
  // When the tree has not grown since, returns the last checkpoint unchanged.
  Result<SignedCheckpoint> SignCheckpoint(std::int64_t now_ms);
  Result<std::vector<SignedCheckpoint>> Checkpoints();
  Result<std::optional<SignedCheckpoint>> LatestCheckpoint();

  // Recomputes everything from the entry bytes: each leaf hash, each chain link, every stored tree
  // node and the root; checks every stored checkpoint's signature and their mutual consistency.
  // The first discrepancy is returned as kCorruption naming the entry index and what differs.
  Result<VerifyReport> Verify(const VerifyOptions& opts);

  // The SQLite connection for other ledger-module stores that must write in the same transaction
  // (opaque here so that no SQLite header leaks into public headers).
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
