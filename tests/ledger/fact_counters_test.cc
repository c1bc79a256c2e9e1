// The report counters (ledger/src/fact_counters.h) against a plain re-summing of the facts: equal
// whatever the flush points, with voids of rows on either side of the watermark, with a second
// writer on the same file, and after the counters are rebuilt from the facts.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <stdexcept>
#include <tuple>

#include "ledger/ingest_store.h"
#include "ledger/regulator_store.h"
#include "support/ledger_fixture.h"

namespace {

using ledger::CoverageClass;
using ledger::RowFact;

// Random facts over 4 institutions, 3 months, every interface that matters to the counters.
class FactMaker {
 public:
  explicit FactMaker(unsigned seed) : rng_(seed) {}

  // A batch of facts for entries [first, first + n); voids name earlier sales or returns.
  std::vector<RowFact> Batch(std::uint64_t first, std::size_t n) {
    std::vector<RowFact> out;
    for (std::size_t i = 0; i < n; ++i) {
      RowFact f;
      f.entry = first + i;
      f.institution = "H" + std::to_string(Pick(4));
      f.month = 202609 + static_cast<int>(Pick(3));
      f.time = 1000 + static_cast<std::int64_t>(f.entry);
      const int kinds[] = {3505, 3505, 3505, 3506, 3503, 3507};
      f.infno = kinds[Pick(6)];
      f.verdict = static_cast<int>(Pick(3));
      f.settle = static_cast<int>(Pick(2));
      f.coverage = static_cast<CoverageClass>(Pick(5));
      f.boxes_milli = 500 + static_cast<std::int64_t>(Pick(3000));
      f.amount_fen = 100 + static_cast<std::int64_t>(Pick(90000));
      f.drug = "D" + std::to_string(Pick(5));
      const char* rules[] = {"", "", "CODE_MISSING", "CODE_REUSED,REFLUX", "SPLIT_OVER"};
      f.rules = rules[Pick(5)];
      if (f.infno == 3507) {
        if (coverage_rows_.empty()) {
          f.infno = 3505;
        } else {
          // Each row is voided at most once, as the validator allows.
          const std::size_t k = Pick(coverage_rows_.size());
          f.target_entry = coverage_rows_[k];
          if (f.verdict < 2) coverage_rows_.erase(coverage_rows_.begin() + static_cast<long>(k));
        }
      }
      if (f.infno == 3505 || f.infno == 3506) coverage_rows_.push_back(f.entry);
      out.push_back(f);
    }
    return out;
  }

 private:
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  std::mt19937 rng_;
  std::vector<std::uint64_t> coverage_rows_;
};

using CellKey = std::tuple<std::string, int, int, int, int, int>;
struct Sum {
  std::int64_t rows = 0, boxes = 0, fen = 0;
  bool operator==(const Sum&) const = default;
};

// The definition, summed the slow way.
std::map<CellKey, Sum> NaiveCoverage(const std::vector<RowFact>& facts) {
  std::map<std::uint64_t, const RowFact*> by_entry;
  for (const RowFact& f : facts) by_entry[f.entry] = &f;
  std::map<CellKey, Sum> out;
  auto add = [&](const RowFact& f, int sign) {
    if (f.infno != 3505 && f.infno != 3506) return;
    Sum& s =
        out[{f.institution, f.month, f.infno, f.verdict, f.settle, static_cast<int>(f.coverage)}];
    s.rows += sign;
    s.boxes += sign * f.boxes_milli;
    s.fen += sign * f.amount_fen;
  };
  for (const RowFact& f : facts) {
    add(f, 1);
    if (f.infno == 3507 && f.verdict < 2 && f.target_entry) add(*by_entry.at(*f.target_entry), -1);
  }
  std::erase_if(out, [](const auto& kv) { return kv.second.rows == 0; });
  return out;
}

std::map<CellKey, Sum> StoredCoverage(ledger::Ledger& l) {
  auto store = ledger::RegulatorStore::Open(l);
  REQUIRE(store.ok());
  auto cells = (*store)->Coverage(202601, 202612);
  if (!cells.ok()) FAIL(cells.status().ToString());
  std::map<CellKey, Sum> out;
  for (const ledger::CoverageCell& c : *cells) {
    out[{c.institution, c.month, c.infno, c.verdict, c.settle, static_cast<int>(c.coverage)}] =
        Sum{c.rows, c.boxes_milli, c.amount_fen};
  }
  return out;
}

std::map<std::string, std::int64_t> NaiveFindings(const std::vector<RowFact>& facts,
                                                  const std::string& inst, int month) {
  std::map<std::string, std::int64_t> out;
  for (const RowFact& f : facts) {
    if (f.institution != inst || f.month != month || f.rules.empty()) continue;
    std::size_t start = 0;
    while (start <= f.rules.size()) {
      std::size_t comma = f.rules.find(',', start);
      if (comma == std::string::npos) comma = f.rules.size();
      ++out[f.rules.substr(start, comma - start)];
      start = comma + 1;
    }
  }
  return out;
}

// Missing-code drug boxes per (drug, infno), net of effective voids.
std::map<std::pair<std::string, int>, std::int64_t> NaiveMissingDrugs(
    const std::vector<RowFact>& facts, const std::string& inst, int month) {
  std::map<std::uint64_t, const RowFact*> by_entry;
  for (const RowFact& f : facts) by_entry[f.entry] = &f;
  std::map<std::pair<std::string, int>, std::int64_t> out;
  auto add = [&](const RowFact& f, int sign) {
    if ((f.infno != 3505 && f.infno != 3506) || f.coverage != CoverageClass::kMissing) return;
    if (f.institution != inst || f.month != month) return;
    out[{f.drug, f.infno}] += sign * f.boxes_milli;
  };
  for (const RowFact& f : facts) {
    add(f, 1);
    if (f.infno == 3507 && f.verdict < 2 && f.target_entry) add(*by_entry.at(*f.target_entry), -1);
  }
  std::erase_if(out, [](const auto& kv) { return kv.second == 0; });
  return out;
}

void CheckAgainstNaive(ledger::Ledger& l, const std::vector<RowFact>& facts) {
  CHECK(StoredCoverage(l) == NaiveCoverage(facts));
  auto store = ledger::RegulatorStore::Open(l);
  REQUIRE(store.ok());
  for (const std::string inst : {"H0", "H3"}) {
    auto findings = (*store)->FindingCounts(inst, 202610);
    REQUIRE(findings.ok());
    std::map<std::string, std::int64_t> got;
    for (const auto& f : *findings) got[f.rule] = f.rows;
    CHECK(got == NaiveFindings(facts, inst, 202610));
    auto drugs = (*store)->MissingCodeDrugs(inst, 202610);
    REQUIRE(drugs.ok());
    std::map<std::pair<std::string, int>, std::int64_t> got_drugs;
    for (const auto& g : *drugs) got_drugs[{g.drug, g.infno}] = g.boxes_milli;
    CHECK(got_drugs == NaiveMissingDrugs(facts, inst, 202610));
  }
}

// Commits `facts` (one entry per fact) through the store.
void CommitFacts(ledger::Ledger& l, ledger::IngestStore& store, const std::vector<RowFact>& facts) {
  std::vector<ledger::EntryInput> entries;
  for (const RowFact& f : facts) {
    entries.push_back({1, 1767225600000 + static_cast<std::int64_t>(f.entry), f.institution,
                       "{\"fact\":" + std::to_string(f.entry) + "}"});
  }
  ledger::IngestWrites w;
  w.facts = facts;
  REQUIRE(l.size() == facts.front().entry);
  auto r = store.Commit(entries, w);
  if (!r.ok()) FAIL(r.status().ToString());
}

void RawExec(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(raw);
  if (rc != SQLITE_OK) FAIL(msg);
}

}  // namespace

TEST_CASE("report counters equal a plain sum of the facts whatever the flush points") {
  testsupport::LedgerFixture fx;
  auto store = ledger::IngestStore::Open(*fx.ledger);
  REQUIRE(store.ok());
  FactMaker maker(7);
  std::vector<RowFact> all;
  std::mt19937 rng(11);
  for (int batch = 0; batch < 60; ++batch) {
    auto facts = maker.Batch(fx.ledger->size(), 1 + rng() % 40);
    CommitFacts(*fx.ledger, **store, facts);
    all.insert(all.end(), facts.begin(), facts.end());
    if (rng() % 5 == 0) REQUIRE((*store)->FlushCounters().ok());
    if (batch % 15 == 14) CheckAgainstNaive(*fx.ledger, all);  // some facts past the watermark
  }
  REQUIRE((*store)->FlushCounters().ok());
  CheckAgainstNaive(*fx.ledger, all);  // all folded in
  // Voids of rows on both sides of the watermark, then a reopened writer.
  auto more = maker.Batch(fx.ledger->size(), 50);
  CommitFacts(*fx.ledger, **store, more);
  all.insert(all.end(), more.begin(), more.end());
  store->reset();
  fx.Reopen();
  auto reopened = ledger::IngestStore::Open(*fx.ledger);
  REQUIRE(reopened.ok());
  CheckAgainstNaive(*fx.ledger, all);
}

TEST_CASE("report counters count a second writer's facts") {
  testsupport::LedgerFixture fx;
  auto other_ledger = ledger::Ledger::Open(fx.db);
  REQUIRE(other_ledger.ok());
  auto a = ledger::IngestStore::Open(*fx.ledger);
  auto b = ledger::IngestStore::Open(**other_ledger);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  FactMaker maker(3);
  std::vector<RowFact> all;
  for (int round = 0; round < 12; ++round) {
    ledger::Ledger& l = round % 2 == 0 ? *fx.ledger : **other_ledger;
    ledger::IngestStore& s = round % 2 == 0 ? **a : **b;
    auto moved = l.Refresh();
    REQUIRE(moved.ok());
    if (*moved) REQUIRE(s.Refresh().ok());
    auto facts = maker.Batch(l.size(), 25);
    CommitFacts(l, s, facts);
    all.insert(all.end(), facts.begin(), facts.end());
    if (round % 3 == 2) REQUIRE(s.FlushCounters().ok());
  }
  CheckAgainstNaive(*fx.ledger, all);
  REQUIRE((*a)->FlushCounters().ok());
  CheckAgainstNaive(**other_ledger, all);
}

TEST_CASE("report counters are rebuilt from the facts when reset") {
  testsupport::LedgerFixture fx;
  FactMaker maker(5);
  std::vector<RowFact> all;
  {
    auto store = ledger::IngestStore::Open(*fx.ledger);
    REQUIRE(store.ok());
    for (int i = 0; i < 10; ++i) {
      auto facts = maker.Batch(fx.ledger->size(), 30);
      CommitFacts(*fx.ledger, **store, facts);
      all.insert(all.end(), facts.begin(), facts.end());
    }
    REQUIRE((*store)->FlushCounters().ok());
  }
  fx.ledger.reset();
  // As a ledger migrated to schema 4 starts: empty tables, watermark -1.
  RawExec(fx.db,
          "DELETE FROM coverage_cells; DELETE FROM finding_cells; DELETE FROM missing_drug_cells; "
          "UPDATE fact_counters_state SET through_entry = -1");
  fx.Reopen();
  CheckAgainstNaive(*fx.ledger, all);  // a reader alone sums the whole tail
  auto store = ledger::IngestStore::Open(*fx.ledger);
  REQUIRE(store.ok());  // the writer folds it in at open
  CheckAgainstNaive(*fx.ledger, all);
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(fx.db.c_str(), &raw) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT through_entry FROM fact_counters_state", -1, &st,
                             nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int64(st, 0) == static_cast<std::int64_t>(all.back().entry));
  sqlite3_finalize(st);
  sqlite3_close(raw);
}
