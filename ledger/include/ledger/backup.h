// Online backup of a ledger (`drugtrace backup`): a consistent copy of the database made with
// SQLite's backup API while a writer (the daemon) keeps appending, then verified in full.
//
// What a backup holds and how to restore it: docs/ledger-format.md §10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ledger/ledger.h"
#include "ledger/status.h"

namespace ledger {

struct BackupOptions {
  // Also copy the secrets beside the ledger, the signing key `<db>.key` and the HMAC key
  // `<db>.hmac` (when it exists), to `<to>.key` and `<to>.hmac` (mode 0600). Off by default: a
  // backup often goes where the secrets must not (off-site storage, another administrator), and
  // the keys never change, so they are better kept once, separately.
  bool with_keys = false;
};

struct BackupReport {
  // `Verify` of the copy: every hash, link, node and stored checkpoint recomputed.
  VerifyReport verify;
  // The source's latest signed checkpoint when the backup started (proved a prefix of the copy),
  // or nullopt when the source had none yet.
  std::optional<std::uint64_t> source_checkpoint_size;
  // The latest checkpoint stored in the copy, or nullopt when there is none.
  std::optional<std::uint64_t> latest_checkpoint_size;
  bool signing_key_copied = false;
  bool hmac_key_copied = false;
};

// Copies the ledger at `db_path` to `to_path`, which must not exist (nor, with `with_keys`,
// `<to>.key` / `<to>.hmac`). The copy is one read snapshot of the source (a writer in WAL mode is
// never blocked by it), written under a temporary name, verified with Ledger::Verify against the
// source's latest signed checkpoint, synced, and only then given its name: on any failure nothing
// is left at `to_path`.
Result<BackupReport> Backup(const std::string& db_path, const std::string& to_path,
                            const BackupOptions& opts = {});

}  // namespace ledger
