// The reads behind suspect-case building (ledger/case_store.h): entry bodies by index in one pass
// or by key, row facts by entry as views, and the filtered scan of a period's facts.
#include "ledger/case_store.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "ledger/ingest_store.h"
#include "support/ledger_fixture.h"

namespace {

using ledger::RowFact;

// 300 entries; entries 100..299 are upload rows with facts of month 202611, of every kind the
// filters tell apart.
struct Fixture {
  testsupport::LedgerFixture fx;
  std::vector<RowFact> facts;

  Fixture() {
    fx.Append(100);
    auto store = ledger::IngestStore::Open(*fx.ledger);
    if (!store.ok()) FAIL(store.status().ToString());
    std::vector<ledger::EntryInput> entries;
    for (std::uint64_t e = 100; e < 300; ++e) {
      RowFact f;
      f.entry = e;
      f.institution = "P" + std::to_string(e % 5);
      f.month = 202611;
      f.time = 1000000 + static_cast<std::int64_t>(e);
      f.infno = e % 4 == 0 ? 3503 : 3505;
      f.verdict = static_cast<int>(e % 3);  // 2: blocked
      f.settle = e % 7 == 0 ? 2 : 1;
      f.boxes_milli = 1000;
      f.amount_fen = 100 * static_cast<std::int64_t>(e);
      f.codes = 1;
      f.drug = "D" + std::to_string(e % 3);
      f.psn_hash = e % 11 == 0 ? "" : "h" + std::to_string(e % 13);
      f.rules = e % 6 == 0 ? "CODE_REUSED" : e % 10 == 0 ? "CODE_MISSING,PRODUCT_MISMATCH" : "";
      facts.push_back(f);
      entries.push_back({1, 1767225600000 + static_cast<std::int64_t>(e), f.institution,
                         "{\"row\":" + std::to_string(e) + "}"});
    }
    ledger::IngestWrites w;
    w.facts = facts;
    auto r = store->get()->Commit(entries, w);
    if (!r.ok()) FAIL(r.status().ToString());
  }
  ledger::Ledger& l() { return *fx.ledger; }
};

std::string BodyOf(ledger::Ledger& l, std::uint64_t e) {
  auto got = l.Get(e);
  REQUIRE(got.ok());
  return std::string(got->bytes);
}

}  // namespace

TEST_CASE("ForEachEntryBody gives each entry's exact bytes in order, dense or sparse") {
  Fixture f;
  // Sparse (by key), dense (one pass over the span), and a single entry.
  const std::vector<std::vector<std::uint64_t>> sets = {
      {3, 150, 299}, {100, 101, 103, 104, 106, 107, 108, 110}, {42}};
  for (const auto& set : sets) {
    std::vector<std::uint64_t> seen;
    auto st = ledger::ForEachEntryBody(f.l(), set, [&](std::uint64_t e, std::string_view body) {
      seen.push_back(e);
      CHECK(body == BodyOf(f.l(), e));
      return ledger::Status::Ok();
    });
    REQUIRE(st.ok());
    CHECK(seen == set);
  }
  // A random dense set of all the rows.
  std::mt19937 rng(5);
  std::vector<std::uint64_t> dense;
  for (std::uint64_t e = 0; e < 300; ++e) {
    if (rng() % 2 == 0) dense.push_back(e);
  }
  std::size_t n = 0;
  REQUIRE(ledger::ForEachEntryBody(f.l(), dense, [&](std::uint64_t e, std::string_view body) {
            CHECK(e == dense[n++]);
            CHECK(body == BodyOf(f.l(), e));
            return ledger::Status::Ok();
          }).ok());
  CHECK(n == dense.size());
}

TEST_CASE("ForEachEntryBody names a missing entry and stops on the callback's error") {
  Fixture f;
  const auto none = [](std::uint64_t, std::string_view) { return ledger::Status::Ok(); };
  for (const std::vector<std::uint64_t>& set :
       {std::vector<std::uint64_t>{5, 300}, std::vector<std::uint64_t>{298, 299, 300, 301}}) {
    auto st = ledger::ForEachEntryBody(f.l(), set, none);
    CHECK(st.code() == ledger::Code::kCorruption);
    CHECK(st.message().find("entry 300 is missing") != std::string::npos);
  }
  CHECK_FALSE(ledger::ForEachEntryBody(f.l(), std::vector<std::uint64_t>{9, 3}, none).ok());
  int calls = 0;
  auto st = ledger::ForEachEntryBody(f.l(), std::vector<std::uint64_t>{1, 2, 3},
                                     [&](std::uint64_t, std::string_view) {
                                       ++calls;
                                       return ledger::Status::InvalidArgument("stop");
                                     });
  CHECK(st.message() == "stop");
  CHECK(calls == 1);
}

TEST_CASE("ForEachRowFact gives the facts of the entries that have them, as RowFactsByEntry") {
  Fixture f;
  const std::vector<std::uint64_t> entries = {7, 100, 150, 151, 299, 305};
  auto want = ledger::RowFactsByEntry(f.l(), entries);
  REQUIRE(want.ok());
  REQUIRE(want->size() == 4);
  std::vector<std::uint64_t> seen;
  REQUIRE(ledger::ForEachRowFact(f.l(), entries, [&](const ledger::RowFactView& v) {
            const RowFact got = v.ToFact();
            const RowFact& w = (*want)[seen.size()];
            CHECK(got.entry == w.entry);
            CHECK(got.institution == w.institution);
            CHECK(got.psn_hash == w.psn_hash);
            CHECK(got.rules == w.rules);
            CHECK(got.amount_fen == w.amount_fen);
            CHECK(got.verdict == w.verdict);
            seen.push_back(v.entry);
            return ledger::Status::Ok();
          }).ok());
  CHECK(seen == std::vector<std::uint64_t>{100, 150, 151, 299});
}

TEST_CASE("ScanRowFacts filters keep exactly the rows they name") {
  Fixture f;
  const ledger::FactRange month{202611, 202611, 0, 99999999};
  const auto scan = [&](ledger::FactFilter filter) {
    std::set<std::uint64_t> out;
    REQUIRE(ledger::ScanRowFacts(
                f.l(), month,
                [&](const ledger::RowFactView& v) {
                  out.insert(v.entry);
                  return ledger::Status::Ok();
                },
                filter)
                .ok());
    return out;
  };
  std::set<std::uint64_t> all, with_rules, for_suspects;
  for (const RowFact& r : f.facts) {
    all.insert(r.entry);
    if (!r.rules.empty()) with_rules.insert(r.entry);
    if (!r.rules.empty() ||
        (r.infno == 3505 && r.settle == 1 && r.verdict != 2 && !r.psn_hash.empty())) {
      for_suspects.insert(r.entry);
    }
  }
  CHECK(scan(ledger::FactFilter::kAll) == all);
  CHECK(scan(ledger::FactFilter::kWithRules) == with_rules);
  CHECK(scan(ledger::FactFilter::kWithRulesOrInsuredPaidSales) == for_suspects);
  CHECK(with_rules.size() < for_suspects.size());
  CHECK(for_suspects.size() < all.size());
}
