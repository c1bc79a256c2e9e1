// The heads file (ledger/src/heads_file.h): an open that adopts it answers every look-up exactly as
// an open that scans the tables, also for rows recorded after the file was written; a file that
// does not describe this ledger (altered, truncated, another ledger, a longer ledger) is refused
// with a reason and the open scans instead. And the daemon's shared pack heads (PackHeads) answer
// the regulator reader as its own index would.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "ledger/backup.h"
#include "ledger/ingest_store.h"
#include "ledger/regulator_store.h"
#include "support/ledger_fixture.h"

namespace {

namespace fs = std::filesystem;

// Deterministic traffic: messages of 1-3 rows, each row one pack event; about a third of the
// events are of packs seen before (their chains must stay linked across the file).
struct Traffic {
  std::mt19937 rng{7};
  std::uint64_t message = 0, row = 0, next_pack = 0;

  std::string Identity(std::uint64_t pack) { return "P" + std::to_string(pack); }

  void Commit(ledger::Ledger& l, ledger::IngestStore& store) {
    std::vector<ledger::EntryInput> entries;
    ledger::IngestWrites w;
    const int rows = 1 + static_cast<int>(rng() % 3);
    const std::string inst = "H" + std::to_string(message % 5);
    w.messages.push_back({inst, "m" + std::to_string(message),
                          ledger::Sha256(ledger::AsBytes(std::to_string(message))),
                          "response " + std::to_string(message)});
    ++message;
    for (int i = 0; i < rows; ++i) {
      const std::uint64_t entry = l.size() + entries.size();
      entries.push_back({1, 1000, inst, "row " + std::to_string(row)});
      w.rows.push_back({inst, "b" + std::to_string(row), entry});
      ++row;
      const std::uint64_t pack = next_pack > 0 && rng() % 3 == 0 ? rng() % next_pack : next_pack++;
      w.code_events.push_back({Identity(pack), entry, "state " + std::to_string(entry)});
    }
    auto first = store.Commit(entries, w);
    REQUIRE(first.ok());
  }
};

std::unique_ptr<ledger::Ledger> OpenLedger(const std::string& db, bool read_only = false) {
  ledger::OpenOptions o;
  o.read_only = read_only;
  auto l = ledger::Ledger::Open(db, o);
  REQUIRE(l.ok());
  return std::move(*l);
}

std::unique_ptr<ledger::IngestStore> OpenStore(ledger::Ledger& l) {
  auto s = ledger::IngestStore::Open(l);
  REQUIRE(s.ok());
  return std::move(*s);
}

// Every pack's history (entries, oldest first), from a writer's or a reader's store.
template <typename Store>
void AddPackHistories(Store& s, const Traffic& t, std::vector<std::string>& out) {
  for (std::uint64_t p = 0; p <= t.next_pack; ++p) {
    auto h = s.PackHistory("P" + std::to_string(p));
    REQUIRE(h.ok());
    std::string line = "pack";
    for (auto e : *h) line += " " + std::to_string(e);
    out.push_back(line);
  }
}

// Everything a writer looks up, for every message, row and pack the traffic made.
std::vector<std::string> Answers(ledger::IngestStore& s, const Traffic& t) {
  std::vector<std::string> out;
  for (std::uint64_t m = 0; m < t.message; ++m) {
    auto r = s.FindMessage("H" + std::to_string(m % 5), "m" + std::to_string(m));
    REQUIRE(r.ok());
    out.push_back(*r ? (*r)->response : "no message");
  }
  for (std::uint64_t i = 0; i < t.row; ++i) {
    bool found = false;
    for (int h = 0; h < 5 && !found; ++h) {
      auto r = s.FindRow("H" + std::to_string(h), "b" + std::to_string(i));
      REQUIRE(r.ok());
      if (*r) {
        out.push_back("row at " + std::to_string(**r));
        found = true;
      }
    }
    if (!found) out.push_back("no row");
  }
  AddPackHistories(s, t, out);
  return out;
}

std::vector<std::string> ReaderAnswers(ledger::RegulatorStore& s, const Traffic& t) {
  std::vector<std::string> out;
  AddPackHistories(s, t, out);
  return out;
}

struct Fixture : testsupport::LedgerFixture {
  Traffic traffic;
  std::string heads = db + ".heads";

  // Scans the tables (no heads file) for the reference answers.
  std::vector<std::string> ScannedAnswers() {
    const std::string aside = heads + ".aside";
    const bool had = fs::exists(heads);
    if (had) fs::rename(heads, aside);
    auto l = OpenLedger(db, /*read_only=*/true);
    auto s = OpenStore(*l);
    CHECK_FALSE(s->stats().heads_from_file);
    auto a = Answers(*s, traffic);
    if (had) fs::rename(aside, heads);
    return a;
  }
};

void Flip(const std::string& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("heads file: an open adopts it and answers as a scan does, rows after it included",
          "[heads]") {
  Fixture f;
  {
    auto s = OpenStore(*f.ledger);
    CHECK_FALSE(s->stats().heads_from_file);
    CHECK(s->stats().heads_file_note == "no heads file");
    for (int i = 0; i < 3000; ++i) f.traffic.Commit(*f.ledger, *s);
    REQUIRE(s->SaveHeads().ok());
    // Rows after the file: the next open adopts the file and scans only these.
    for (int i = 0; i < 700; ++i) f.traffic.Commit(*f.ledger, *s);
  }
  const auto expected = f.ScannedAnswers();
  f.Reopen();
  auto s = OpenStore(*f.ledger);
  const auto st = s->stats();
  CHECK(st.heads_from_file);
  CHECK(st.messages == 3700);
  CHECK(st.rows == f.traffic.row);
  CHECK(Answers(*s, f.traffic) == expected);
  // And the store keeps working: new rows link to heads that came from the file.
  for (int i = 0; i < 300; ++i) f.traffic.Commit(*f.ledger, *s);
  CHECK(Answers(*s, f.traffic) == f.ScannedAnswers());

  // A regulator's one-shot reader takes the packs from the file too.
  REQUIRE(s->SaveHeads().ok());
  auto ro = OpenLedger(f.db, /*read_only=*/true);
  auto reader = ledger::RegulatorStore::Open(*ro);
  REQUIRE(reader.ok());
  CHECK(ReaderAnswers(**reader, f.traffic) == ReaderAnswers(**reader, f.traffic));
  std::vector<std::string> from_writer;
  for (const auto& a : Answers(*s, f.traffic)) {
    if (a.rfind("pack", 0) == 0) from_writer.push_back(a);
  }
  CHECK(ReaderAnswers(**reader, f.traffic) == from_writer);
}

TEST_CASE("heads file: a file that does not describe this ledger is refused, and the open scans",
          "[heads]") {
  Fixture f;
  {
    auto s = OpenStore(*f.ledger);
    for (int i = 0; i < 500; ++i) f.traffic.Commit(*f.ledger, *s);
    REQUIRE(s->SaveHeads().ok());
  }
  const auto expected = f.ScannedAnswers();
  const auto size = fs::file_size(f.heads);
  const std::string good = f.heads + ".good";
  fs::copy_file(f.heads, good);
  auto reopen_expect = [&](const std::string& why) {
    f.Reopen();
    auto s = OpenStore(*f.ledger);
    CHECK_FALSE(s->stats().heads_from_file);
    CHECK(s->stats().heads_file_note == why);
    CHECK(Answers(*s, f.traffic) == expected);
    fs::copy_file(good, f.heads, fs::copy_options::overwrite_existing);
  };
  SECTION("a slot altered") {
    Flip(f.heads, size - 100);
    reopen_expect("heads file checksum differs");
  }
  SECTION("the header altered") {
    Flip(f.heads, 20);
    reopen_expect("heads file header checksum differs");
  }
  SECTION("truncated") {
    fs::resize_file(f.heads, size - 16);
    reopen_expect("heads file is truncated");
  }
  SECTION("empty") {
    fs::resize_file(f.heads, 0);
    reopen_expect("heads file shorter than its header");
  }
  SECTION("another ledger's file") {
    testsupport::LedgerFixture other;
    Traffic t;
    t.rng.seed(99);  // other rows: the same traffic would make the same ledger, a valid match
    t.row = 1000000;
    {
      auto s = OpenStore(*other.ledger);
      for (int i = 0; i < 300; ++i) t.Commit(*other.ledger, *s);
      REQUIRE(s->SaveHeads().ok());
    }
    fs::copy_file(other.db + ".heads", f.heads, fs::copy_options::overwrite_existing);
    reopen_expect("heads file describes another ledger (chain differs)");
  }
  SECTION("a file from further on than this copy of the ledger (a restored backup)") {
    const std::string backup = f.dir.file("backup.db");
    ledger::BackupOptions bo;
    bo.with_keys = true;
    REQUIRE(ledger::Backup(f.db, backup, bo).ok());
    {
      auto s = OpenStore(*f.ledger);
      for (int i = 0; i < 50; ++i) f.traffic.Commit(*f.ledger, *s);
      REQUIRE(s->SaveHeads().ok());
    }
    f.ledger.reset();
    fs::copy_file(f.heads, backup + ".heads");
    auto l = OpenLedger(backup);
    auto s = OpenStore(*l);
    CHECK_FALSE(s->stats().heads_from_file);
    CHECK(s->stats().heads_file_note == "heads file describes a longer ledger");
  }
}

TEST_CASE("heads file: the daemon's readers share the writer's pack heads", "[heads]") {
  Fixture f;
  auto s = OpenStore(*f.ledger);
  for (int i = 0; i < 800; ++i) f.traffic.Commit(*f.ledger, *s);
  auto ro = OpenLedger(f.db, /*read_only=*/true);
  auto own = ledger::RegulatorStore::Open(*ro);
  auto shared = ledger::RegulatorStore::Open(*ro);
  REQUIRE(own.ok());
  REQUIRE(shared.ok());
  (*shared)->UseSharedPacks(s->pack_heads());
  CHECK(ReaderAnswers(**shared, f.traffic) == ReaderAnswers(**own, f.traffic));
  // Commits after the reader opened are seen at once: heads are published after each commit.
  for (int i = 0; i < 200; ++i) f.traffic.Commit(*f.ledger, *s);
  CHECK(ReaderAnswers(**shared, f.traffic) == ReaderAnswers(**own, f.traffic));
  CHECK(s->pack_heads()->next_event_seq() == f.traffic.row + 1);
}
