// Ledger::Impl: the state behind a Ledger, shared by the ledger's source files (and by other stores
// in the ledger module that write in the same SQLite transaction).
#pragma once

#include <optional>
#include <string>

#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "sqlite.h"

namespace ledger {

struct Ledger::Impl {
  sql::DbPtr db;
  bool read_only = false;
  std::string path;
  std::string origin;
  VerifierKey verifier;
  std::optional<SignerKey> signer;

  // Right edge of the tree, kept in memory so appends need no reads.
  std::uint64_t size = 0;
  Hash chain_head{};
  merkle::RootBuilder frontier;

  // OpenOptions::wal_restart_bytes as WAL frames (0: no bound), and the WAL's frame count after
  // the last commit, reported by SQLite's wal hook.
  std::int64_t wal_restart_frames = 0;
  std::int64_t wal_frames = 0;
  std::int64_t wal_retry_frames = 0;  // after an incomplete drain, the next attempt's threshold
  WalDrainStats wal_drains;
  void DrainWalIfOver();

  sql::Stmt insert_entry;
  sql::Stmt select_entry;
  sql::Stmt select_hashes;
  sql::Stmt scan_entries;

  // Reads the stored perfect subtree hash (level, index): O(1) point lookup by rowid.
  Result<Hash> Node(std::uint32_t level, std::uint64_t index);
  merkle::NodeSource Source() {
    return [this](std::uint32_t level, std::uint64_t index) { return Node(level, index); };
  }
  Status Prepare();
  Status LoadState();                  // size, chain head and frontier from the stored rows
  Result<std::uint64_t> StoredSize();  // max(idx) + 1 as stored now
};

}  // namespace ledger
