// Online backup: a verified, consistent copy; restoring it and continuing the chain; never
// overwriting; keys only on request; a corrupt or busy source.
#include "ledger/backup.h"

#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "support/ledger_fixture.h"
#include "support/process.h"

using ledger::Code;
using ledger::Hash;
using testsupport::LedgerFixture;
using testsupport::MakeEntries;

namespace {

namespace fs = std::filesystem;

std::unique_ptr<ledger::Ledger> OpenReadOnly(const std::string& db) {
  ledger::OpenOptions o;
  o.read_only = true;
  o.load_signer = false;
  auto l = ledger::Ledger::Open(db, o);
  INFO(l.status().ToString());
  REQUIRE(l.ok());
  return std::move(*l);
}

// Nothing named `<path>*` in the directory (no copy, no temporary, no key).
void ExpectNothingAt(const std::string& path) {
  const fs::path p(path);
  for (const auto& e : fs::directory_iterator(p.parent_path())) {
    INFO("left behind: " << e.path());
    CHECK(e.path().filename().string().rfind(p.filename().string(), 0) != 0);
  }
}

std::uint32_t Mode(const std::string& path) {
  struct stat sb {};
  REQUIRE(::stat(path.c_str(), &sb) == 0);
  return sb.st_mode & 0777;
}

}  // namespace

TEST_CASE("backup makes a verified copy, restored with the key, it continues the chain",
          "[backup]") {
  LedgerFixture f;
  f.Append(37);
  auto cp = f.ledger->SignCheckpoint(1);
  REQUIRE(cp.ok());
  f.Append(5);  // entries beyond the last checkpoint are copied too

  const std::string to = f.dir.file("copy.db");
  auto r = ledger::Backup(f.db, to);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->verify.entries == 42);
  CHECK(r->verify.checkpoints == 1);
  CHECK(r->verify.external_checkpoint_checked);
  CHECK(r->source_checkpoint_size == std::optional<std::uint64_t>(37));
  CHECK(r->latest_checkpoint_size == std::optional<std::uint64_t>(37));
  CHECK(r->verify.root == *f.ledger->Root(42));
  CHECK(r->verify.chain_head == f.ledger->chain_head());
  // The secrets stay where they are unless asked for.
  CHECK_FALSE(r->signing_key_copied);
  CHECK_FALSE(fs::exists(ledger::KeyPathFor(to)));
  CHECK_FALSE(fs::exists(ledger::HmacKeyPathFor(to)));
  // One self-contained file: no temporary, journal or WAL left beside it.
  for (const auto& e : fs::directory_iterator(f.dir.path())) {
    const std::string name = e.path().filename().string();
    INFO(name);
    CHECK((name.rfind("ledger.db", 0) == 0 || name == "copy.db"));
  }

  auto copy = OpenReadOnly(to);
  CHECK(copy->size() == 42);
  for (std::uint64_t i = 0; i < 42; ++i) CHECK(copy->Get(i)->bytes == f.ledger->Get(i)->bytes);
  copy.reset();

  // Restore: the copy put back in place of a lost ledger, with the key kept separately.
  const std::string key = testsupport::ReadFile(ledger::KeyPathFor(f.db));
  const Hash root37 = *f.ledger->Root(37);
  f.ledger.reset();
  fs::remove(f.db);
  fs::remove(ledger::KeyPathFor(f.db));
  fs::copy_file(to, f.db);
  testsupport::WriteFile(ledger::KeyPathFor(f.db), key);
  fs::permissions(ledger::KeyPathFor(f.db), fs::perms::owner_read | fs::perms::owner_write);
  f.Reopen();
  CHECK(f.ledger->size() == 42);
  f.Append(10);
  auto next = f.ledger->SignCheckpoint(2);  // refused were it inconsistent with checkpoint 0
  INFO(next.status().ToString());
  REQUIRE(next.ok());
  CHECK(next->seq == 1);
  CHECK(next->checkpoint.size == 52);
  CHECK(*f.ledger->Root(37) == root37);
  auto v = f.ledger->Verify({});
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  CHECK(v->entries == 52);
  CHECK(v->checkpoints == 2);
}

TEST_CASE("backup with keys copies both secrets at mode 0600, the copy opens for writing",
          "[backup]") {
  LedgerFixture f;
  f.Append(3);
  REQUIRE(ledger::LoadOrCreateHmacKey(f.db).ok());
  const std::string to = f.dir.file("copy.db");
  ledger::BackupOptions o;
  o.with_keys = true;
  auto r = ledger::Backup(f.db, to, o);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->signing_key_copied);
  CHECK(r->hmac_key_copied);
  CHECK_FALSE(r->source_checkpoint_size.has_value());  // nothing signed yet
  CHECK(Mode(ledger::KeyPathFor(to)) == 0600);
  CHECK(Mode(ledger::HmacKeyPathFor(to)) == 0600);
  CHECK(testsupport::ReadFile(ledger::KeyPathFor(to)) ==
        testsupport::ReadFile(ledger::KeyPathFor(f.db)));
  CHECK(*ledger::LoadOrCreateHmacKey(to) == *ledger::LoadOrCreateHmacKey(f.db));

  auto copy = ledger::Ledger::Open(to);  // loads and checks the copied signing key
  INFO(copy.status().ToString());
  REQUIRE(copy.ok());
  REQUIRE((*copy)->Append(MakeEntries(3, 2)).ok());
  CHECK((*copy)->SignCheckpoint(1).ok());
}

TEST_CASE("backup without an HMAC key copies the signing key only", "[backup]") {
  LedgerFixture f;
  f.Append(1);
  ledger::BackupOptions o;
  o.with_keys = true;
  const std::string to = f.dir.file("copy.db");
  auto r = ledger::Backup(f.db, to, o);
  REQUIRE(r.ok());
  CHECK(r->signing_key_copied);
  CHECK_FALSE(r->hmac_key_copied);
  CHECK_FALSE(fs::exists(ledger::HmacKeyPathFor(to)));
}

TEST_CASE("backup never overwrites the copy or its keys", "[backup]") {
  LedgerFixture f;
  f.Append(2);
  const std::string to = f.dir.file("copy.db");
  testsupport::WriteFile(to, "precious");
  auto r = ledger::Backup(f.db, to);
  CHECK(r.status().code() == Code::kAlreadyExists);
  CHECK(r.status().message().find(to) != std::string::npos);
  CHECK(testsupport::ReadFile(to) == "precious");

  const std::string to2 = f.dir.file("copy2.db");
  testsupport::WriteFile(ledger::KeyPathFor(to2), "precious");
  ledger::BackupOptions o;
  o.with_keys = true;
  CHECK(ledger::Backup(f.db, to2, o).status().code() == Code::kAlreadyExists);
  CHECK_FALSE(fs::exists(to2));
  CHECK(testsupport::ReadFile(ledger::KeyPathFor(to2)) == "precious");
  // Without --with-keys the stray key file does not matter.
  CHECK(ledger::Backup(f.db, to2).ok());
}

TEST_CASE("backup of a tampered ledger fails verification and leaves nothing", "[backup]") {
  LedgerFixture f;
  f.Append(20);
  REQUIRE(f.ledger->SignCheckpoint(1).ok());
  f.Tamper("UPDATE entries SET body = 'forged' WHERE idx = 7");
  const std::string to = f.dir.file("copy.db");
  ledger::BackupOptions o;
  o.with_keys = true;
  auto r = ledger::Backup(f.db, to, o);
  CHECK(r.status().code() == Code::kCorruption);
  CHECK(r.status().message().find("entry 7") != std::string::npos);
  ExpectNothingAt(to);
}

TEST_CASE("backup refuses what is not a ledger, and a signing key of another ledger", "[backup]") {
  testsupport::TempDir dir;
  const std::string none = dir.file("none.db");
  CHECK(ledger::Backup(none, dir.file("copy.db")).status().code() == Code::kNotFound);
  ExpectNothingAt(dir.file("copy.db"));

  LedgerFixture a, b;
  a.Append(2);
  // a's key swapped for b's: the copy would be unusable, so the backup refuses it.
  fs::remove(ledger::KeyPathFor(a.db));
  fs::copy_file(ledger::KeyPathFor(b.db), ledger::KeyPathFor(a.db));
  ledger::BackupOptions o;
  o.with_keys = true;
  const std::string to = a.dir.file("copy.db");
  auto r = ledger::Backup(a.db, to, o);
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK(r.status().message().find("does not belong") != std::string::npos);
  ExpectNothingAt(to);

  // A key others may read is refused too, naming the file.
  fs::remove(ledger::KeyPathFor(a.db));
  fs::copy_file(ledger::KeyPathFor(b.db), ledger::KeyPathFor(a.db));
  fs::permissions(ledger::KeyPathFor(a.db), fs::perms::group_read, fs::perm_options::add);
  r = ledger::Backup(a.db, to, o);
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK(r.status().message().find(ledger::KeyPathFor(a.db)) != std::string::npos);
  ExpectNothingAt(to);
}

TEST_CASE("backups taken while another connection appends and signs are each consistent",
          "[backup]") {
  LedgerFixture f;
  f.Append(100);
  REQUIRE(f.ledger->SignCheckpoint(1).ok());
  const std::string db = f.db;
  f.ledger.reset();

  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  std::atomic<bool> writer_failed{false};
  std::string writer_error;  // read after join
  std::thread writer([&] {
    auto l = ledger::Ledger::Open(db);
    if (!l.ok()) {
      writer_error = l.status().ToString();
      writer_failed = true;
      return;
    }
    while (!stop) {
      auto r = (*l)->Append(MakeEntries((*l)->size(), 25));
      if (r.ok() && ++commits % 4 == 0) {
        auto cp = (*l)->SignCheckpoint(commits);
        if (!cp.ok()) r = cp.status();
      }
      if (!r.ok() && r.status().code() != Code::kBusy) {
        writer_error = r.status().ToString();
        writer_failed = true;
        return;
      }
    }
  });

  std::uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    const int before = commits;
    while (commits < before + 3 && !writer_failed) std::this_thread::yield();
    const std::string to = f.dir.file("copy" + std::to_string(i) + ".db");
    auto r = ledger::Backup(db, to);
    INFO("backup " << i << ": " << r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->verify.entries % 25 == 0);  // whole commits only
    CHECK(r->verify.entries >= last);
    REQUIRE(r->source_checkpoint_size.has_value());
    CHECK(*r->source_checkpoint_size <= r->verify.entries);
    last = r->verify.entries;
  }
  stop = true;
  writer.join();
  INFO(writer_error);
  CHECK(writer_error.empty());
  CHECK(last > 100);
}
