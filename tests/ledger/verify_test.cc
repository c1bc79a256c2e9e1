// Verify catches each kind of tampering and names the first bad entry.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "ledger/ledger.h"
#include "support/ledger_fixture.h"
#include "support/process.h"

using ledger::Code;
using testsupport::LedgerFixture;

namespace {

ledger::Status VerifyDb(const std::string& db, const ledger::VerifyOptions& opts = {}) {
  ledger::OpenOptions ro;
  ro.read_only = true;
  ro.load_signer = false;
  auto l = ledger::Ledger::Open(db, ro);
  if (!l.ok()) return l.status();
  auto r = (*l)->Verify(opts);
  return r.ok() ? ledger::Status::Ok() : r.status();
}

void ExpectCorrupt(const ledger::Status& st, const std::string& fragment) {
  INFO(st.ToString());
  CHECK(st.code() == Code::kCorruption);
  CHECK(st.message().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("verify passes on an intact ledger and reports its size and root", "[verify]") {
  LedgerFixture f;
  f.Append(100);
  REQUIRE(f.ledger->SignCheckpoint(1).ok());
  f.Append(23);
  REQUIRE(f.ledger->SignCheckpoint(2).ok());
  auto r = f.ledger->Verify({});
  REQUIRE(r.ok());
  CHECK(r->entries == 123);
  CHECK(r->checkpoints == 2);
  CHECK(r->root == *f.ledger->Root(123));
  CHECK(r->chain_head == f.ledger->chain_head());
}

TEST_CASE("verify catches each way of tampering", "[verify]") {
  LedgerFixture f;
  f.Append(40);
  auto cp = f.ledger->SignCheckpoint(1);
  REQUIRE(cp.ok());

  SECTION("a changed byte in an entry") {
    f.Tamper(
        "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), '\"n\":17', '\"n\":71') AS "
        "BLOB) WHERE idx = 17;");
    ExpectCorrupt(VerifyDb(f.db), "entry 17: leaf hash");
  }
  SECTION("a changed leaf hash") {
    f.Tamper("UPDATE entries SET leaf = zeroblob(32) WHERE idx = 9;");
    ExpectCorrupt(VerifyDb(f.db), "entry 9: leaf hash");
  }
  SECTION("a changed chain hash") {
    f.Tamper("UPDATE entries SET chain = zeroblob(32) WHERE idx = 30;");
    ExpectCorrupt(VerifyDb(f.db), "entry 30: chain hash");
  }
  SECTION("a changed stored tree node") {
    f.Tamper("UPDATE entries SET nodes = zeroblob(64) WHERE idx = 11;");
    ExpectCorrupt(VerifyDb(f.db), "entry 11: stored Merkle tree nodes");
  }
  SECTION("a deleted row") {
    f.Tamper("DELETE FROM entries WHERE idx = 12;");
    ExpectCorrupt(VerifyDb(f.db), "entry 12: missing");
  }
  SECTION("two rows swapped") {
    f.Tamper(
        "UPDATE entries SET idx = -1 WHERE idx = 5; UPDATE entries SET idx = 5 WHERE idx = 6;"
        "UPDATE entries SET idx = 6 WHERE idx = -1;");
    ExpectCorrupt(VerifyDb(f.db), "entry 5: chain hash");
  }
  SECTION("a truncated tail") {
    f.Tamper("DELETE FROM entries WHERE idx >= 35;");
    ExpectCorrupt(VerifyDb(f.db), "entries were removed from the end");
  }
  SECTION("a rewritten entry with every hash recomputed is caught by the signed checkpoint") {
    // An insider rewrites entry 2 and recomputes leaf, chain and nodes consistently by replaying
    // the history into a fresh ledger, then grafts it in place of the original rows.
    LedgerFixture forged;
    auto entries = testsupport::MakeEntries(0, 40);
    entries[2].bytes = "{\"n\":2,\"code\":\"forged\"}";
    REQUIRE(forged.ledger->Append(entries).ok());
    forged.ledger.reset();
    f.Tamper("ATTACH '" + forged.db +
             "' AS forged; DELETE FROM entries; INSERT INTO entries SELECT * FROM forged.entries;");
    ExpectCorrupt(VerifyDb(f.db), "checkpoint 0 (size 40)");
  }
  SECTION("a stored checkpoint note altered") {
    f.Tamper(
        "UPDATE checkpoints SET note = replace(note, char(10) || '40' || char(10), char(10) || "
        "'41' || char(10));");
    ExpectCorrupt(VerifyDb(f.db), "checkpoint 0");
  }
}

TEST_CASE(
    "a ledger rebuilt and re-signed from rewritten history is caught against an old kept "
    "checkpoint",
    "[verify]") {
  LedgerFixture honest;
  honest.Append(50);
  auto kept = honest.ledger->SignCheckpoint(1);  // a regulator keeps this note
  REQUIRE(kept.ok());
  const ledger::VerifierKey key = honest.ledger->verifier();
  honest.Append(10);
  REQUIRE(honest.ledger->SignCheckpoint(2).ok());
  honest.ledger.reset();

  // The operator, holding the signing key, rebuilds the whole ledger with entry 20 rewritten and
  // signs fresh checkpoints with the same key.
  testsupport::TempDir dir;
  const std::string rebuilt = dir.file("rebuilt.db");
  {
    auto l = ledger::Ledger::Init(rebuilt, {"test.drugtrace/ledger"});
    REQUIRE(l.ok());
  }
  std::filesystem::copy_file(ledger::KeyPathFor(honest.db), ledger::KeyPathFor(rebuilt),
                             std::filesystem::copy_options::overwrite_existing);
  {
    sqlite3* raw = nullptr;
    sqlite3_open(rebuilt.c_str(), &raw);
    const std::string sql = "DROP TRIGGER meta_no_update; UPDATE meta SET value = '" +
                            key.ToString() + "' WHERE key = 'verifier_key';";
    REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  auto l = ledger::Ledger::Open(rebuilt);
  REQUIRE(l.ok());
  auto entries = testsupport::MakeEntries(0, 60);
  entries[20].bytes = "{\"n\":20,\"code\":\"rewritten\"}";
  REQUIRE((*l)->Append(entries).ok());
  REQUIRE((*l)->SignCheckpoint(3).ok());
  l->reset();

  // Alone, the rebuilt ledger is self-consistent...
  CHECK(VerifyDb(rebuilt).ok());
  // ...but not against the checkpoint the regulator kept.
  ledger::VerifyOptions opts;
  opts.external_checkpoint = kept->note;
  opts.key = key;
  ExpectCorrupt(VerifyDb(rebuilt, opts), "history was rewritten");
  // The honest ledger passes against it.
  CHECK(VerifyDb(honest.db, opts).ok());
}

TEST_CASE("an external checkpoint with a bad signature or another origin is rejected", "[verify]") {
  LedgerFixture f;
  f.Append(5);
  auto other = ledger::Ledger::Init(f.dir.file("other.db"), {"other.drugtrace/ledger"});
  REQUIRE(other.ok());
  REQUIRE((*other)->Append(testsupport::MakeEntries(0, 5)).ok());
  auto cp = (*other)->SignCheckpoint(1);
  REQUIRE(cp.ok());
  ledger::VerifyOptions opts;
  opts.external_checkpoint = cp->note;  // signed by a key this ledger does not have
  CHECK_FALSE(f.ledger->Verify(opts).ok());
  opts.key = (*other)->verifier();  // right key, but a checkpoint of another log
  auto r = f.ledger->Verify(opts);
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK(r.status().message().find("origin") != std::string::npos);
}
