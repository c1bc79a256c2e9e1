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

TEST_CASE("the writer drains the WAL so it restarts instead of growing without bound", "[wal]") {
  testsupport::TempDir dir;
  const std::string db = dir.file("ledger.db");
  REQUIRE(ledger::Ledger::Init(db, {"test.drugtrace/wal"}).ok());
  ledger::OpenOptions open;
  open.auto_checkpoint = false;
  open.wal_restart_bytes = 512 * 1024;
  auto l = ledger::Ledger::Open(db, open);
  REQUIRE(l.ok());
  // The background checkpointer alone never lets a log that is appended to without pause restart;
  // run one as the daemon does, with commits back to back.
  auto cp = ledger::WalCheckpointer::Start(db, 10);
  REQUIRE(cp.ok());
  std::uint64_t next = 0;
  std::uintmax_t largest = 0;
  for (int batch = 0; batch < 400; ++batch) {
    auto entries = testsupport::MakeEntries(next, 200);
    REQUIRE((*l)->Append(entries).ok());
    next += entries.size();
    largest = std::max(largest, std::filesystem::file_size(db + "-wal"));
  }
  const ledger::WalDrainStats drains = (*l)->wal_drain_stats();
  CHECK(drains.drains > 0);
  CHECK(drains.drains > drains.incomplete);
  // 400 x 200 entries write about 17 MiB of log; restarted logs stay near the bound (one batch
  // past it, and journal_size_limit's truncation only happens at a restart).
  CHECK(largest < 4u * 1024 * 1024);
  cp->reset();
  auto verified = (*l)->Verify({});
  CHECK(verified.ok());
  CHECK((*l)->size() == next);
}
