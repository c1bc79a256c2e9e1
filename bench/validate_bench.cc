// State-machine throughput on one core for a realistic mix of code events: receipts of 10 boxes per
// row, whole-pack sales, split sales, sale returns and resales, purchase returns and re-receipts
// elsewhere, a few resold (回流) and double-scanned packs, and some uncoded 无码库 sales.
// Prints the command line and the machine load, then: codes parsed per second (Prepare), code
// events judged per second with hot inputs (the figure: the row was just parsed, as in
// ingest) and cold inputs, and the whole ingest loop with an in-memory overlay. Usage:
// validate_bench [repeats, default 5] [hot|cold|parse|ingest: run only that pass, for perf]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "machine.h"
#include "validator/validator.h"

using namespace validator;

namespace {

constexpr int kDrugs = 2000;
constexpr int kInstitutions = 500;
constexpr int kLots = 20000;  // 10 packs each
constexpr int kPacksPerLot = 10;

std::string Pad(long n, int width) {
  std::string s = std::to_string(n);
  return std::string(static_cast<std::size_t>(width) - s.size(), '0') + s;
}
std::string DrugCode(int d) {
  return "XD" + Pad(d, 8);
}
std::string Institution(int i) {
  return "P1308" + Pad(i, 7);
}
std::string PackCode(int d, long serial) {
  return "8" + Pad(d, 6) + Pad(serial, 9) + "1234";
}

RefData MakeRef() {
  RefData ref;
  for (int d = 0; d < kDrugs; ++d) {
    ref.AddDrug({DrugCode(d), "drug", true, "", 10 + d % 20, {"8" + Pad(d, 6)}});
  }
  for (int i = 0; i < kInstitutions; ++i) {
    ref.AddInstitution({Institution(i), "inst", static_cast<InstitutionClass>(i % 4), "130800"});
    for (int d = i % 20; d < kDrugs; d += 20) {
      ref.AddNoCodeStock({Institution(i), DrugCode(d), Quantity::Whole(1000000), {2026, 1, 1}});
    }
  }
  for (int c = 0; c < 4; ++c)
    ref.AddCalendarEntry({"", static_cast<InstitutionClass>(c), {2025, 7, 1}});
  return ref;
}

Row MakeRow(Interface infno, int inst, int drug, std::int64_t count_milli, bool split,
            std::vector<std::string> codes, CivilSeconds t) {
  Row r;
  r.infno = infno;
  r.fixmedins_code = Institution(inst);
  r.med_list_codg = DrugCode(drug);
  r.count = Quantity{count_milli};
  r.trdn_flag = split;
  r.mdtrt_setl_type = SettlementType::kInsured;
  r.psn_hash = "0f3c9a5e77d1b2c4e6a8f0d2b4c6e8a0";
  r.time = t;
  r.codes = std::move(codes);
  return r;
}

// Per-pack after-receipt histories, interleaved so each pack keeps its own order.
std::vector<Row> MakeWorkload(std::mt19937& rng) {
  std::vector<Row> receipts;
  std::vector<std::vector<Row>> lives;
  const CivilSeconds t0 = 1754042400;  // 2025-08-01 10:00:00
  long serial = 0;
  for (int lot = 0; lot < kLots; ++lot) {
    const int drug = static_cast<int>(rng() % kDrugs);
    const int inst = static_cast<int>(rng() % kInstitutions);
    const int content = 10 + drug % 20;
    std::vector<std::string> codes;
    for (int k = 0; k < kPacksPerLot; ++k) codes.push_back(PackCode(drug, ++serial));
    receipts.push_back(
        MakeRow(Interface::kReceipt, inst, drug, kPacksPerLot * 1000, false, codes, t0));
    for (const std::string& code : codes) {
      std::vector<Row>& life = lives.emplace_back();
      const int other = (inst + 1 + static_cast<int>(rng() % (kInstitutions - 1))) % kInstitutions;
      const unsigned roll = rng() % 100;
      auto at = [&](Interface i, int where, std::int64_t milli, bool split) {
        life.push_back(MakeRow(i, where, drug, milli, split, {code},
                               t0 + 3600 * static_cast<CivilSeconds>(life.size() + 1)));
      };
      if (roll < 70) {
        at(Interface::kSale, inst, 1000, false);
      } else if (roll < 82) {
        for (int s = 0; s < 3; ++s) at(Interface::kSale, inst, content / 3 * 1000, true);
      } else if (roll < 88) {
        at(Interface::kSale, inst, 1000, false);
        at(Interface::kSaleReturn, inst, 1000, false);
        at(Interface::kSale, inst, 1000, false);
      } else if (roll < 93) {
        at(Interface::kPurchaseReturn, inst, 1000, false);
        at(Interface::kReceipt, other, 1000, false);
        at(Interface::kSale, other, 1000, false);
      } else if (roll < 96) {
        at(Interface::kSale, inst, 1000, false);
        at(Interface::kSale, other, 1000, false);  // 回流: blocked
      } else if (roll < 98) {
        at(Interface::kSale, inst, 1000, false);
        at(Interface::kSale, inst, 1000, false);  // double scan: blocked
      } else {
        life.push_back(MakeRow(Interface::kSale, inst, drug - drug % 20 + inst % 20, 1000, false,
                               {}, t0));  // 无码库
        at(Interface::kSale, inst, 1000, false);
      }
    }
  }
  std::vector<int> bag;
  for (std::size_t i = 0; i < lives.size(); ++i)
    bag.insert(bag.end(), lives[i].size(), static_cast<int>(i));
  std::shuffle(bag.begin(), bag.end(), rng);
  std::vector<std::size_t> next(lives.size(), 0);
  std::vector<Row> rows = std::move(receipts);
  for (int i : bag) rows.push_back(std::move(lives[i][next[i]++]));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].entry_index = i + 1;
    rows[i].fixmedins_bchno = "B" + std::to_string(i + 1);
  }
  return rows;
}

struct Tally {
  std::size_t code_events = 0;
  std::size_t verdicts[3] = {0, 0, 0};
  std::size_t rules[kRuleCount] = {};
};

void Count(const Row& row, const Judgement& j, Tally& t) {
  t.code_events += std::max<std::size_t>(row.codes.size(), 1);
  ++t.verdicts[static_cast<int>(j.verdict)];
  for (const Finding& f : j.findings) ++t.rules[static_cast<int>(f.rule)];
}

// The input states of one row, captured during an untimed replay, so the judge-only passes see
// exactly what ingest would hand in.
struct Snapshot {
  std::vector<CodeState> states;
  std::vector<KnownState> known;
};

struct Workload {
  RefData ref;
  std::vector<Row> rows;
  std::vector<PreparedRow> prepared;
  std::vector<Snapshot> snapshots;
  Tally tally;
  std::size_t codes = 0;  // scanned strings, for the parse figure
};

void Replay(Workload& w, Context& ctx) {
  StateMap states;
  w.prepared.reserve(w.rows.size());
  w.snapshots.resize(w.rows.size());
  for (std::size_t i = 0; i < w.rows.size(); ++i) {
    w.codes += w.rows[i].codes.size();
    const PreparedRow& p = w.prepared.emplace_back(Prepare(w.rows[i]));
    Snapshot& snap = w.snapshots[i];
    for (const KnownState& k : GatherStates(p, states)) snap.states.push_back(*k.state);
    std::size_t n = 0;
    for (const std::string& id : p.identities) {
      if (states.contains(id)) snap.known.push_back({id, &snap.states[n++]});
    }
    ctx.states = snap.known;
    Judgement j = Validate(p, w.ref, ctx);
    Count(w.rows[i], j, w.tally);
    ApplyUpdates(std::move(j), states);
  }
}

// Prepare (ParseCode of every scanned code, distinct identities) alone.
double ParsePass(const Workload& w) {
  std::size_t sink = 0;
  const double start = bench::ThreadCpuSeconds();
  for (const Row& row : w.rows) sink += Prepare(row).identities.size();
  const double t = bench::ThreadCpuSeconds() - start;
  if (sink == 0) std::printf("(no identities)\n");
  return t;
}

// The validator with hot inputs, as in ingest where the row was just parsed and its states just
// loaded: each block of 64 rows is judged once untimed to bring it into cache, then `repeats` times
// timed; the block's best time counts, which filters out preemption by other processes on a busy
// machine. The sum over all blocks is the figure.
double HotPass(const Workload& w, Context& ctx, int repeats) {
  constexpr std::size_t kBlock = 64;
  double hot = 0;
  std::size_t blocks = 0;
  for (std::size_t b = 0; b < w.prepared.size(); b += kBlock) {
    const std::size_t e = std::min(w.prepared.size(), b + kBlock);
    double best = 1e300;
    for (int pass = 0; pass <= repeats; ++pass) {
      const double t = bench::ThreadCpuSeconds();
      for (std::size_t i = b; i < e; ++i) {
        ctx.states = w.snapshots[i].known;
        blocks += Validate(w.prepared[i], w.ref, ctx).verdict == Verdict::kBlock;
      }
      if (pass > 0) best = std::min(best, bench::ThreadCpuSeconds() - t);
    }
    hot += best;
  }
  if (blocks == 0) std::printf("(no blocks)\n");
  return hot;
}

// The validator with cold inputs: rows streamed from memory, mostly cache misses.
double ColdPass(const Workload& w, Context& ctx) {
  std::size_t blocks = 0;
  const double start = bench::ThreadCpuSeconds();
  for (std::size_t i = 0; i < w.prepared.size(); ++i) {
    ctx.states = w.snapshots[i].known;
    blocks += Validate(w.prepared[i], w.ref, ctx).verdict == Verdict::kBlock;
  }
  const double t = bench::ThreadCpuSeconds() - start;
  if (blocks == 0) std::printf("(no blocks)\n");
  return t;
}

// What ingest does per row: parse, gather states from an in-memory overlay of every pack, judge,
// apply the updates.
double IngestPass(const Workload& w, Context& ctx) {
  StateMap states;
  states.reserve(kLots * kPacksPerLot);
  const double start = bench::ThreadCpuSeconds();
  for (const Row& row : w.rows) {
    const PreparedRow p = Prepare(row);
    const std::vector<KnownState> known = GatherStates(p, states);
    ctx.states = known;
    ApplyUpdates(Validate(p, w.ref, ctx), states);
  }
  return bench::ThreadCpuSeconds() - start;
}

template <typename F>
double Best(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) best = std::min(best, f());
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const std::string only = argc > 2 ? argv[2] : "";
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  std::printf("validate_bench: rule set %.*s\n", static_cast<int>(kRuleSetVersion.size()),
              kRuleSetVersion.data());
  std::printf("command: %s\n", command.c_str());
  std::printf("machine: %u CPUs, load average %s (at start); times are thread CPU time\n",
              std::thread::hardware_concurrency(), bench::LoadAverage().c_str());

  std::mt19937 rng(20251101);
  Workload w{MakeRef(), MakeWorkload(rng), {}, {}, {}, 0};
  Context ctx;
  ctx.uploads_receipts = true;
  Replay(w, ctx);
  const Tally& tally = w.tally;
  std::printf("rows %zu, scanned codes %zu, code events %zu, packs %d\n", w.rows.size(), w.codes,
              tally.code_events, kLots * kPacksPerLot);
  std::printf("verdicts: ok %zu, warn %zu, block %zu\n", tally.verdicts[0], tally.verdicts[1],
              tally.verdicts[2]);
  for (int i = 0; i < kRuleCount; ++i) {
    if (tally.rules[i] > 0)
      std::printf("  %-24s %zu\n", RuleName(static_cast<RuleId>(i)), tally.rules[i]);
  }
  const double events = static_cast<double>(tally.code_events);
  auto report = [&](const char* what, double secs, double n, const char* unit) {
    std::printf("%-58s %.3f s CPU, %.2f M %s/s\n", what, secs, n / secs / 1e6, unit);
  };
  if (only.empty() || only == "parse") {
    report("parse (Prepare: ParseCode + identities), best of N:",
           Best(repeats, [&] { return ParsePass(w); }), static_cast<double>(w.codes), "codes");
  }
  if (only.empty() || only == "hot") {
    report("validate, hot inputs (as in ingest), best of N per block:", HotPass(w, ctx, repeats),
           events, "code events");
  }
  if (only.empty() || only == "cold") {
    report("validate, cold inputs (rows streamed), best of N:",
           Best(repeats, [&] { return ColdPass(w, ctx); }), events, "code events");
  }
  if (only.empty() || only == "ingest") {
    report("ingest loop (parse, overlay, judge, apply), best of N:",
           Best(repeats, [&] { return IngestPass(w, ctx); }), events, "code events");
  }
  return 0;
}
