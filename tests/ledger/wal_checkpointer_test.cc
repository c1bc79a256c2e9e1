// The background WAL checkpointer: with SQLite's in-commit checkpoints off, it copies the log back
// into the database while a writer keeps appending, and the ledger stays whole.
#include "ledger/wal_checkpointer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "ledger/ledger.h"
#include "support/ledger_fixture.h"
#include "support/temp_dir.h"

TEST_CASE("WAL checkpointer copies the log back while the writer appends", "[wal]") {
  testsupport::TempDir dir;
  const std::string db = dir.file("ledger.db");
  REQUIRE(ledger::Ledger::Init(db, {"test.drugtrace/wal"}).ok());
  ledger::OpenOptions open;
  open.auto_checkpoint = false;
  auto l = ledger::Ledger::Open(db, open);
  REQUIRE(l.ok());
  auto cp = ledger::WalCheckpointer::Start(db, 20);
  REQUIRE(cp.ok());
  std::uint64_t next = 0;
  for (int batch = 0; batch < 40; ++batch) {
    auto entries = testsupport::MakeEntries(next, 500);
    auto first = (*l)->Append(entries);
    REQUIRE(first.ok());
    next += entries.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Give it a few periods after the last commit to catch up.
  const auto after_writes = (*cp)->stats().checkpoints;
  for (int i = 0; i < 200 && (*cp)->stats().checkpoints < after_writes + 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto stats = (*cp)->stats();
  CHECK(stats.checkpoints > 0);
  CHECK(stats.frames_copied > 0);
  CHECK(stats.failures == 0);
  cp->reset();
  // Without the checkpointer SQLite would not have copied anything back: the database file itself
  // now holds the entries (a read-only open sees them all, and verification passes).
  l->reset();
  auto ro = ledger::Ledger::Open(db, {.read_only = true});
  REQUIRE(ro.ok());
  CHECK((*ro)->size() == next);
  auto verified = (*ro)->Verify({});
  CHECK(verified.ok());
}

TEST_CASE("WAL checkpointer reports a missing database", "[wal]") {
  testsupport::TempDir dir;
  auto cp = ledger::WalCheckpointer::Start(dir.file("absent.db"));
  CHECK_FALSE(cp.ok());
}
