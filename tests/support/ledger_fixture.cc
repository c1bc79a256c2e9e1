#include "support/ledger_fixture.h"

#include <sqlite3.h>

#include <stdexcept>

namespace testsupport {

std::vector<ledger::EntryInput> MakeEntries(std::uint64_t first, std::size_t n) {
  std::vector<ledger::EntryInput> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t k = first + i;
    out.push_back(
        {1, 1767225600000 + static_cast<std::int64_t>(k), "P" + std::to_string(k % 7),
         "{\"n\":" + std::to_string(k) + ",\"code\":\"8" + std::to_string(1000000 + k) + "\"}"});
  }
  return out;
}

LedgerFixture::LedgerFixture() {
  auto l = ledger::Ledger::Init(db, {"test.drugtrace/ledger"});
  if (!l.ok()) throw std::runtime_error(l.status().ToString());
  ledger = std::move(*l);
}

void LedgerFixture::Append(std::size_t n) {
  auto r = ledger->Append(MakeEntries(ledger->size(), n));
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
}

void LedgerFixture::Reopen() {
  ledger.reset();
  auto l = ledger::Ledger::Open(db);
  if (!l.ok()) throw std::runtime_error(l.status().ToString());
  ledger = std::move(*l);
}

void LedgerFixture::Tamper(const std::string& sql) {
  ledger.reset();
  sqlite3* raw = nullptr;
  if (sqlite3_open(db.c_str(), &raw) != SQLITE_OK) throw std::runtime_error("open for tamper");
  std::string all =
      "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete;"
      "DROP TRIGGER IF EXISTS checkpoints_no_update; DROP TRIGGER IF EXISTS "
      "checkpoints_no_delete;" +
      sql;
  char* err = nullptr;
  int rc = sqlite3_exec(raw, all.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(raw);
  if (rc != SQLITE_OK) throw std::runtime_error("tamper: " + msg);
}

}  // namespace testsupport
