// The SQLite ledger: init, append, hashes, proofs from stored nodes, checkpoints, open errors.
#include "ledger/ledger.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "ledger/merkle.h"
#include "support/ledger_fixture.h"
#include "support/process.h"

using ledger::Code;
using ledger::Hash;
using testsupport::LedgerFixture;
using testsupport::MakeEntries;

namespace {

Hash NaiveRoot(const std::vector<Hash>& leaves) {
  ledger::merkle::RootBuilder b;
  for (const auto& h : leaves) b.Add(h);
  return b.Root();
}

int RawExec(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open(db.c_str(), &raw);
  int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  return rc;
}

}  // namespace

TEST_CASE("init creates the database and a private key beside it, and never overwrites",
          "[ledger]") {
  LedgerFixture f;
  struct stat sb {};
  REQUIRE(stat(ledger::KeyPathFor(f.db).c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  CHECK(f.ledger->origin() == "test.drugtrace/ledger");
  CHECK(f.ledger->verifier().name() == "test.drugtrace/ledger");
  CHECK(testsupport::ReadFile(f.db).find("PRIVATE+KEY") == std::string::npos);

  auto again = ledger::Ledger::Init(f.db, {});
  CHECK(again.status().code() == Code::kAlreadyExists);

  // A key file left without its database is not overwritten either.
  const std::string other = f.dir.file("other.db");
  testsupport::WriteFile(ledger::KeyPathFor(other), "x");
  CHECK(ledger::Ledger::Init(other, {}).status().code() == Code::kAlreadyExists);
  CHECK_FALSE(std::filesystem::exists(other));
}

TEST_CASE("init rejects an origin that cannot be a key name", "[ledger]") {
  testsupport::TempDir dir;
  auto l = ledger::Ledger::Init(dir.file("a.db"), {"has space"});
  CHECK(l.status().code() == Code::kInvalidArgument);
  CHECK_FALSE(std::filesystem::exists(dir.file("a.db")));
}

TEST_CASE("entries store their bytes, leaf hash and chain hash", "[ledger]") {
  LedgerFixture f;
  auto input = MakeEntries(0, 5);
  auto first = f.ledger->Append(input);
  REQUIRE(first.ok());
  CHECK(*first == 0);
  CHECK(f.ledger->size() == 5);
  Hash chain{};
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto e = f.ledger->Get(i);
    REQUIRE(e.ok());
    CHECK(e->bytes == input[i].bytes);
    CHECK(e->institution == input[i].institution);
    CHECK(e->event_time_ms == input[i].event_time_ms);
    CHECK(e->type == 1);
    CHECK(e->leaf == ledger::LeafHash(ledger::AsBytes(input[i].bytes)));
    chain = ledger::ChainHash(chain, e->leaf);
    CHECK(e->chain == chain);
  }
  CHECK(f.ledger->chain_head() == chain);
  CHECK(f.ledger->Get(5).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a failed transaction hook rolls the whole batch back", "[ledger]") {
  LedgerFixture f;
  f.Append(3);
  const Hash head = f.ledger->chain_head();
  auto r = f.ledger->Append(MakeEntries(3, 10),
                            [] { return ledger::Status::IoError("simulated failure"); });
  CHECK_FALSE(r.ok());
  CHECK(f.ledger->size() == 3);
  CHECK(f.ledger->chain_head() == head);
  f.Append(2);
  f.Reopen();
  CHECK(f.ledger->size() == 5);
  auto v = f.ledger->Verify({});
  CHECK(v.ok());
}

TEST_CASE("the database itself refuses UPDATE and DELETE on ledger tables", "[ledger]") {
  LedgerFixture f;
  f.Append(3);
  REQUIRE(f.ledger->SignCheckpoint(1).ok());
  f.ledger.reset();
  CHECK(RawExec(f.db, "UPDATE entries SET body = x'00' WHERE idx = 1") != SQLITE_OK);
  CHECK(RawExec(f.db, "DELETE FROM entries WHERE idx = 2") != SQLITE_OK);
  CHECK(RawExec(f.db, "DELETE FROM checkpoints") != SQLITE_OK);
  CHECK(RawExec(f.db, "UPDATE meta SET value = 'x' WHERE key = 'origin'") != SQLITE_OK);
  f.Reopen();
  CHECK(f.ledger->size() == 3);
  CHECK(f.ledger->Verify({}).ok());
}

TEST_CASE("roots and proofs served from stored nodes match the tree over all leaves", "[ledger]") {
  LedgerFixture f;
  std::vector<Hash> leaves;
  // Several batches of odd sizes, with a reopen in between to exercise restoring the right edge.
  for (std::size_t batch : {1, 2, 5, 13, 1, 31, 7}) {
    auto in = MakeEntries(leaves.size(), batch);
    for (auto& e : in) leaves.push_back(ledger::LeafHash(ledger::AsBytes(e.bytes)));
    REQUIRE(f.ledger->Append(in).ok());
    if (batch == 13) f.Reopen();
  }
  const std::uint64_t n = leaves.size();
  for (std::uint64_t size = 0; size <= n; ++size) {
    std::vector<Hash> prefix(leaves.begin(), leaves.begin() + static_cast<long>(size));
    auto root = f.ledger->Root(size);
    REQUIRE(root.ok());
    CHECK(*root == NaiveRoot(prefix));
    for (std::uint64_t i = 0; i < size; ++i) {
      auto proof = f.ledger->InclusionProof(i, size);
      REQUIRE(proof.ok());
      CHECK(ledger::merkle::VerifyInclusion(leaves[i], i, size, *proof, *root).ok());
    }
    for (std::uint64_t old = 1; old <= size; ++old) {
      auto proof = f.ledger->ConsistencyProof(old, size);
      REQUIRE(proof.ok());
      auto old_root = f.ledger->Root(old);
      CHECK(ledger::merkle::VerifyConsistency(old, size, *old_root, *root, *proof).ok());
    }
  }
  CHECK(f.ledger->InclusionProof(n, n).status().code() == Code::kInvalidArgument);
  CHECK(f.ledger->InclusionProof(0, n + 1).status().code() == Code::kInvalidArgument);
  CHECK(f.ledger->ConsistencyProof(0, n).status().code() == Code::kInvalidArgument);
  CHECK(f.ledger->ConsistencyProof(5, 4).status().code() == Code::kInvalidArgument);
  CHECK(f.ledger->Root(n + 1).status().code() == Code::kInvalidArgument);
}

TEST_CASE("checkpoints are signed, stored, listed, and only when consistent", "[ledger]") {
  LedgerFixture f;
  auto empty = f.ledger->SignCheckpoint(10);
  REQUIRE(empty.ok());
  CHECK(empty->checkpoint.size == 0);
  CHECK(empty->checkpoint.root == ledger::merkle::EmptyRoot());
  f.Append(10);
  auto cp1 = f.ledger->SignCheckpoint(20);
  REQUIRE(cp1.ok());
  CHECK(cp1->seq == 1);
  CHECK(cp1->checkpoint.size == 10);
  CHECK(cp1->checkpoint.chain_head == f.ledger->chain_head());
  auto text = ledger::OpenNote(cp1->note, f.ledger->verifier());
  REQUIRE(text.ok());
  CHECK(text->rfind("test.drugtrace/ledger\n10\n", 0) == 0);

  auto same = f.ledger->SignCheckpoint(30);  // no growth: the same checkpoint back
  REQUIRE(same.ok());
  CHECK(same->seq == 1);
  CHECK(same->note == cp1->note);

  f.Append(7);
  auto cp2 = f.ledger->SignCheckpoint(40);
  REQUIRE(cp2.ok());
  auto all = f.ledger->Checkpoints();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].checkpoint.size == 17);
  CHECK((*all)[2].signed_at_ms == 40);

  // Overwrite the stored hash of the perfect subtree over entries 0..15 (kept in row 15): proofs
  // served from storage no longer lead to the last signed root, so signing is refused.
  f.Tamper("UPDATE entries SET nodes = zeroblob(length(nodes)) WHERE idx = 15;");
  f.Reopen();
  f.Append(1);
  auto refused = f.ledger->SignCheckpoint(50);
  CHECK(refused.status().code() == Code::kFailedPrecondition);
  CHECK(f.ledger->Checkpoints()->size() == 3);
}

TEST_CASE("opening reports missing, foreign and corrupt files and wrong keys", "[ledger]") {
  testsupport::TempDir dir;
  CHECK(ledger::Ledger::Open(dir.file("none.db")).status().code() == Code::kNotFound);

  testsupport::WriteFile(dir.file("junk.db"), std::string(4096, 'x'));
  CHECK(ledger::Ledger::Open(dir.file("junk.db")).status().code() == Code::kCorruption);

  REQUIRE(RawExec(dir.file("other.db"), "CREATE TABLE t(x)") == SQLITE_OK);
  auto foreign = ledger::Ledger::Open(dir.file("other.db"));
  CHECK(foreign.status().code() == Code::kCorruption);
  CHECK(foreign.status().message().find("not a drugtrace ledger") != std::string::npos);

  LedgerFixture a, b;
  a.ledger.reset();
  // b's key beside a's database: refused with the expected key named.
  std::filesystem::copy_file(ledger::KeyPathFor(b.db), ledger::KeyPathFor(a.db),
                             std::filesystem::copy_options::overwrite_existing);
  auto wrong = ledger::Ledger::Open(a.db);
  CHECK(wrong.status().code() == Code::kFailedPrecondition);
  // A key readable by others is refused.
  chmod(ledger::KeyPathFor(b.db).c_str(), 0644);
  b.ledger.reset();
  CHECK(ledger::Ledger::Open(b.db).status().code() == Code::kFailedPrecondition);
  // Garbage in the key file.
  testsupport::WriteFile(ledger::KeyPathFor(a.db), "not a key\n");
  chmod(ledger::KeyPathFor(a.db).c_str(), 0600);
  CHECK(ledger::Ledger::Open(a.db).status().code() == Code::kInvalidArgument);
  // Read-only opening needs no key.
  ledger::OpenOptions ro;
  ro.read_only = true;
  ro.load_signer = false;
  CHECK(ledger::Ledger::Open(a.db, ro).ok());
}
