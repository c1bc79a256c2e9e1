// The simulated region (simulate/) fed through the real ingest path in process (Admit +
// ProcessBatch, as `drugtrace ingest` and the daemon's writer do), and the validator's findings
// compared with the injected fraud's ground truth: precision and recall per fraud type, at row
// level and at case level (truth cases found by their rows, and the suspect cases of
// ingest/suspects.h).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/suspects.h"
#include "ledger/ledger.h"
#include "simulate/simulate.h"
#include "support/temp_dir.h"

namespace {

using simulate::FraudType;

struct RowResult {
  std::string verdict;
  std::set<std::string> rules;
  std::uint64_t entry = 0;
};

// (institution, bchno) -> what the validator said. 3507 voids are not rows of their own here.
using Results = std::map<std::pair<std::string, std::string>, RowResult>;

struct Ingested {
  Results rows;
  std::map<std::uint64_t, std::pair<std::string, std::string>> by_entry;
  std::size_t messages = 0, rejected = 0;
  std::string first_rejection;
};

Ingested IngestRegion(const simulate::Region& region, ledger::Ledger& l, ingest::Processor& p) {
  Ingested out;
  std::vector<ingest::Submission> batch;
  std::vector<std::pair<std::string, bool>> meta;  // institution, is a void
  auto flush = [&] {
    auto outcomes = p.ProcessBatch(batch);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].http_status != 200) {
        if (out.rejected++ == 0) out.first_rejection = outcomes[i].body;
        continue;
      }
      if (meta[i].second) continue;
      const auto body = nlohmann::json::parse(outcomes[i].body);
      for (const auto& row : body["output"]["rows"]) {
        RowResult r;
        r.verdict = row["verdict"].get<std::string>();
        r.entry = row["ledger_index"].get<std::uint64_t>();
        for (const auto& f : row["findings"]) r.rules.insert(f["rule"].get<std::string>());
        auto key = std::make_pair(meta[i].first, row["fixmedins_bchno"].get<std::string>());
        out.by_entry[r.entry] = key;
        out.rows.emplace(std::move(key), std::move(r));
      }
    }
    batch.clear();
    meta.clear();
  };
  for (const auto& [t, m] : simulate::UploadOrder(region)) {
    const auto& msg = region.terminals[t].messages[m];
    ingest::Submission s;
    ingest::Outcome rejected;
    ++out.messages;
    if (!p.Admit(msg.json, 1000, s, rejected)) {
      if (out.rejected++ == 0)
        out.first_rejection = rejected.body + " in " + msg.json.substr(0, 300);
      continue;
    }
    batch.push_back(std::move(s));
    meta.emplace_back(region.terminals[t].fixmedins_code,
                      msg.json.compare(0, 16, "{\"infno\":\"3507\"") == 0);
    if (batch.size() >= 256) flush();
  }
  flush();
  (void)l;
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The region the detection test runs on: 30 pharmacies, 10 hospitals, 14 days, seed 20250601,
// unless the environment says otherwise (checks by hand, docs/simulate.md):
//   DRUGTRACE_DETECTION_SEED=N           another seed
//   DRUGTRACE_DETECTION_SIZE=P,H,D       pharmacies, hospitals, days ("default": the CLI default)
simulate::Options DetectionOptions() {
  simulate::Options o;
  o.pharmacies = 30;
  o.hospitals = 10;
  o.days = 14;
  o.seed = 20250601;
  if (const char* seed = std::getenv("DRUGTRACE_DETECTION_SEED"); seed && *seed) {
    o.seed = std::strtoull(seed, nullptr, 10);
  }
  if (const char* size = std::getenv("DRUGTRACE_DETECTION_SIZE"); size && *size) {
    const simulate::Options defaults;
    if (std::string(size) == "default") {
      o.pharmacies = defaults.pharmacies;
      o.hospitals = defaults.hospitals;
      o.days = defaults.days;
    } else if (std::sscanf(size, "%d,%d,%d", &o.pharmacies, &o.hospitals, &o.days) != 3) {
      FAIL("DRUGTRACE_DETECTION_SIZE must be P,H,D or default, not " << size);
    }
  }
  return o;
}

struct Score {
  std::size_t truth = 0, found = 0;    // recall: truth rows flagged with the expected rule
  std::size_t flagged = 0, right = 0;  // precision: rows with the rule that are truth of the type
  double recall() const { return truth ? static_cast<double>(found) / truth : 1; }
  double precision() const { return flagged ? static_cast<double>(right) / flagged : 1; }
};

// The fraud types a suspect case claims to show: fixed by its type, and for a pack chain by the
// rules on its flagged rows (resold elsewhere: 回流; reused here; split beyond its content).
// return_anomaly claims none (no fraud of that kind is injected): every such case is a false lead.
std::set<FraudType> Claims(const ingest::Case& c) {
  switch (c.type) {
    case ingest::CaseType::kPackChain: {
      std::set<FraudType> out;
      for (const auto& e : c.evidence) {
        if (e.role != "flagged") continue;
        if (e.rules.find("CODE_RESOLD") != std::string::npos) out.insert(FraudType::kReflux);
        if (e.rules.find("CODE_REUSED") != std::string::npos) out.insert(FraudType::kReuse);
        if (e.rules.find("SPLIT_OVER_CAPACITY") != std::string::npos) {
          out.insert(FraudType::kSplitOver);
        }
      }
      return out;
    }
    case ingest::CaseType::kCollector:
    case ingest::CaseType::kResale:
    case ingest::CaseType::kPatientReturned:
    case ingest::CaseType::kPatientOverbuy:
      return {FraudType::kReflux};
    case ingest::CaseType::kProductSwap:
      return {FraudType::kSwap};
    case ingest::CaseType::kSplitOver:
      return {FraudType::kSplitOver};
    case ingest::CaseType::kCodeReuse:
      return {FraudType::kReuse};
    case ingest::CaseType::kReturnAnomaly:
      return {};
  }
  return {};
}

}  // namespace

TEST_CASE("simulate: a seed gives the same region, another seed another") {
  simulate::Options o;
  o.pharmacies = 6;
  o.hospitals = 3;
  o.days = 7;
  o.seed = 11;
  auto a = simulate::Simulate(o);
  auto b = simulate::Simulate(o);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->refdata_json == b->refdata_json);
  REQUIRE(simulate::TruthJson(*a) == simulate::TruthJson(*b));
  REQUIRE(a->terminals.size() == b->terminals.size());
  for (std::size_t t = 0; t < a->terminals.size(); ++t) {
    REQUIRE(a->terminals[t].messages.size() == b->terminals[t].messages.size());
    for (std::size_t m = 0; m < a->terminals[t].messages.size(); ++m) {
      REQUIRE(a->terminals[t].messages[m].json == b->terminals[t].messages[m].json);
    }
  }
  o.seed = 12;
  auto c = simulate::Simulate(o);
  REQUIRE(c.ok());
  CHECK(c->terminals[0].messages[0].json != a->terminals[0].messages[0].json);
}

TEST_CASE("simulate: bad options are refused with the option's name") {
  simulate::Options o;
  o.start = "2025-02-30";
  auto r = simulate::Simulate(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("--start") != std::string::npos);
  o = {};
  o.pharmacies = 2;
  CHECK(simulate::Simulate(o).status().message().find("--pharmacies") != std::string::npos);
  o = {};
  o.days = 3;
  CHECK(simulate::Simulate(o).status().message().find("--days") != std::string::npos);
}

TEST_CASE("simulate: validator detection of injected fraud against the ground truth") {
  const simulate::Options o = DetectionOptions();
  const auto sim_start = std::chrono::steady_clock::now();
  auto region = simulate::Simulate(o);
  REQUIRE(region.ok());
  const double sim_s = Seconds(sim_start);

  testsupport::TempDir dir;
  const std::string db = dir.file("ledger.db");
  auto l = ledger::Ledger::Init(db, {"test.drugtrace/simulate"});
  REQUIRE(l.ok());
  auto p = ingest::Processor::Open(**l, db);
  REQUIRE(p.ok());
  std::string error;
  auto doc =
      ingest::ParseJson(region->refdata_json, error, {.max_depth = 32, .max_string = 1 << 20});
  REQUIRE(doc);
  auto imported = (*p)->ImportRefData(*doc, 1000);
  INFO(imported.status().ToString());
  REQUIRE(imported.ok());

  const auto ingest_start = std::chrono::steady_clock::now();
  const Ingested got = IngestRegion(*region, **l, **p);
  const double ingest_s = Seconds(ingest_start);
  INFO("first rejection: " << got.first_rejection);
  REQUIRE(got.rejected == 0);  // every generated message is valid against the upload schema

  // Truth by row; every truth row must have been recorded.
  std::map<std::pair<std::string, std::string>, const simulate::TruthRow*> truth;
  for (const auto& r : region->truth.rows) truth[{r.institution, r.bchno}] = &r;
  Score score[simulate::kFraudTypeCount];
  std::map<std::string, std::vector<std::string>> missed;  // type -> examples
  for (const auto& r : region->truth.rows) {
    auto it = got.rows.find({r.institution, r.bchno});
    INFO("truth row " << r.institution << " " << r.bchno);
    REQUIRE(it != got.rows.end());
    if (!r.fraud) continue;
    Score& s = score[static_cast<int>(r.type)];
    ++s.truth;
    if (it->second.rules.count(simulate::ExpectedRule(r.type))) {
      ++s.found;
    } else if (missed[simulate::FraudTypeName(r.type)].size() < 3) {
      std::string rules;
      for (const auto& x : it->second.rules) rules += x + " ";
      missed[simulate::FraudTypeName(r.type)].push_back(r.institution + " " + r.bchno + " (" +
                                                        it->second.verdict + ": " + rules + ")");
    }
  }
  // The simulator scans nothing malformed: every GS1 scan without its GS has one reading.
  std::size_t malformed = 0;
  for (const auto& [key, res] : got.rows) malformed += res.rules.count("CODE_MALFORMED");
  CHECK(malformed == 0);
  std::map<std::string, std::vector<std::string>> false_alarms;
  for (const auto& [key, res] : got.rows) {
    for (int t = 0; t < simulate::kFraudTypeCount; ++t) {
      const auto type = static_cast<FraudType>(t);
      if (!res.rules.count(simulate::ExpectedRule(type))) continue;
      ++score[t].flagged;
      auto it = truth.find(key);
      if (it != truth.end() && it->second->fraud && it->second->type == type) {
        ++score[t].right;
      } else if (false_alarms[simulate::FraudTypeName(type)].size() < 3) {
        false_alarms[simulate::FraudTypeName(type)].push_back(key.first + " " + key.second);
      }
    }
  }

  // Case level, from the rows: a truth case is found when one of its fraud rows is flagged.
  std::map<std::string, FraudType> case_type;
  std::map<std::string, bool> case_found;
  for (const auto& c : region->truth.cases) case_type[c.id] = c.type;
  for (const auto& r : region->truth.rows) {
    if (!r.fraud) continue;
    case_found.try_emplace(r.case_id, false);
    if (got.rows.at({r.institution, r.bchno}).rules.count(simulate::ExpectedRule(r.type))) {
      case_found[r.case_id] = true;
    }
  }
  std::size_t cases_total[simulate::kFraudTypeCount] = {},
              cases_found[simulate::kFraudTypeCount] = {};
  for (const auto& [id, found] : case_found) {
    const int t = static_cast<int>(case_type[id]);
    ++cases_total[t];
    if (found) ++cases_found[t];
  }

  std::printf(
      "detection on %zu messages, %zu rows (seed %llu, %d pharmacies, %d hospitals, %d "
      "days; simulated in %.2f s, ingested in %.2f s)\n",
      got.messages, got.rows.size(), static_cast<unsigned long long>(o.seed), o.pharmacies,
      o.hospitals, o.days, sim_s, ingest_s);
  std::printf("%-11s %-20s %6s %6s %9s %6s %6s %9s %12s\n", "type", "rule", "truth", "found",
              "recall", "flagged", "right", "precision", "cases found");
  for (int t = 0; t < simulate::kFraudTypeCount; ++t) {
    const auto type = static_cast<FraudType>(t);
    const Score& s = score[t];
    std::printf("%-11s %-20s %6zu %6zu %9.3f %6zu %6zu %9.3f %6zu/%zu\n",
                simulate::FraudTypeName(type), simulate::ExpectedRule(type), s.truth, s.found,
                s.recall(), s.flagged, s.right, s.precision(), cases_found[t], cases_total[t]);
    for (const auto& e : missed[simulate::FraudTypeName(type)])
      std::printf("  missed: %s\n", e.c_str());
    for (const auto& e : false_alarms[simulate::FraudTypeName(type)])
      std::printf("  false alarm: %s\n", e.c_str());
  }

  // Suspect cases (ingest/suspects.h). A suspect case is right for a fraud type it claims (see
  // Claims) when one of its evidence rows is a truth row of that type, and then finds that row's
  // truth case; a case right for none of its claims is a false lead.
  ingest::SuspectQuery q;
  q.from = validator::ParseDate(o.start);
  q.to = validator::CivilFromDays(validator::DaysFromCivil(*q.from) + o.days - 1);
  const auto build_start = std::chrono::steady_clock::now();
  auto cases = ingest::BuildCases(**l, q);
  const double build_s = Seconds(build_start);
  INFO(cases.status().ToString());
  REQUIRE(cases.ok());
  std::set<std::string> suspect_found;
  std::size_t claimed[simulate::kFraudTypeCount] = {},
              claimed_right[simulate::kFraudTypeCount] = {};
  std::map<std::string, std::pair<std::size_t, std::size_t>> leads;  // case type: cases, right
  std::size_t lead_total = 0, lead_right = 0;
  for (const auto& c : *cases) {
    const std::set<FraudType> claims = Claims(c);
    std::set<FraudType> right_for;
    for (const auto& e : c.evidence) {
      auto k = got.by_entry.find(e.entry);
      if (k == got.by_entry.end()) continue;
      auto tr = truth.find(k->second);
      if (tr == truth.end() || !claims.count(tr->second->type)) continue;
      right_for.insert(tr->second->type);
      suspect_found.insert(tr->second->case_id);
    }
    for (FraudType t : claims) {
      ++claimed[static_cast<int>(t)];
      if (right_for.count(t)) ++claimed_right[static_cast<int>(t)];
    }
    const bool right = right_for.size() == claims.size() && !claims.empty();
    auto& n = leads[ingest::CaseTypeName(c.type)];
    if (!right && n.first - n.second < 2) {
      std::printf("  false lead %s (%s):", c.id.c_str(), c.summary_en.c_str());
      for (const auto& e : c.evidence) {
        auto k = got.by_entry.find(e.entry);
        std::printf(" [%s %s %s %s]", e.role.c_str(), e.institution.c_str(),
                    k == got.by_entry.end() ? "?" : k->second.second.c_str(), e.rules.c_str());
      }
      std::printf("\n");
    }
    ++n.first;
    ++lead_total;
    if (right) {
      ++n.second;
      ++lead_right;
    }
  }
  std::size_t suspect_cases_found[simulate::kFraudTypeCount] = {};
  for (const auto& [id, found] : case_found) {
    if (suspect_found.count(id)) ++suspect_cases_found[static_cast<int>(case_type[id])];
  }
  std::printf("suspect cases (ingest::BuildCases, %.2f s): %zu, of which %zu right\n", build_s,
              lead_total, lead_right);
  for (const auto& [name, n] : leads) {
    std::printf("  %-16s %4zu cases, %4zu right\n", name.c_str(), n.first, n.second);
  }
  std::printf("%-11s %12s %8s %14s %9s\n", "truth type", "cases found", "recall", "claiming right",
              "precision");
  auto case_recall = [&](int t) {
    return cases_total[t] ? static_cast<double>(suspect_cases_found[t]) / cases_total[t] : 1.0;
  };
  auto case_precision = [&](int t) {
    return claimed[t] ? static_cast<double>(claimed_right[t]) / claimed[t] : 1.0;
  };
  for (int t = 0; t < simulate::kFraudTypeCount; ++t) {
    std::printf("%-11s %6zu/%-5zu %8.3f %7zu/%-6zu %9.3f\n",
                simulate::FraudTypeName(static_cast<FraudType>(t)), suspect_cases_found[t],
                cases_total[t], case_recall(t), claimed_right[t], claimed[t], case_precision(t));
  }
  const double lead_precision = lead_total ? static_cast<double>(lead_right) / lead_total : 1.0;
  std::printf("suspect case precision (all cases): %.3f\n", lead_precision);
  std::fflush(stdout);

  CHECK(lead_precision >= 0.90);
  for (int t = 0; t < simulate::kFraudTypeCount; ++t) {
    INFO(simulate::FraudTypeName(static_cast<FraudType>(t)));
    CHECK(score[t].truth >= 3);  // the seeded region injects every type
    CHECK(score[t].recall() >= 0.95);
    CHECK(score[t].precision() >= 0.90);
    CHECK(cases_found[t] * 100 >= cases_total[t] * 95);
    CHECK(case_recall(t) >= 0.95);
    CHECK(case_precision(t) >= 0.90);
  }
}
