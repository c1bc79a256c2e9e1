// Helpers for ledger tests: a fresh ledger in a temporary directory, entries, and raw SQLite access
// for tampering (as an insider with database access would).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "support/temp_dir.h"

namespace testsupport {

std::vector<ledger::EntryInput> MakeEntries(std::uint64_t first, std::size_t n);

struct LedgerFixture {
  TempDir dir;
  std::string db = dir.file("ledger.db");
  std::unique_ptr<ledger::Ledger> ledger;

  LedgerFixture();
  void Append(std::size_t n);
  void Reopen();
  // Runs SQL directly on the database file with the append-only triggers dropped.
  void Tamper(const std::string& sql);
};

}  // namespace testsupport
