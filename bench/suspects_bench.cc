// Suspect-case building (issue #5: a month's cases on a 10M-entry ledger in < 30 s).
//
//   build/bench/suspects_bench [--db PATH] [--sizes 100000,300000,1000000] [--institutions I]
//                              [--ring-every N] [--runs R] [--flag-share F] [--reuse]
//
// Grows one ledger through the real Processor, with a 回流 ring injected every N messages (a
// pharmacy sells two fresh boxes with insurance, another receives them, a third sells one again:
// CODE_RESOLD findings). Every row falls in one month (2026-11), so "the month" is the whole
// ledger: the worst case for the month filter. At each size it builds the month's cases (R runs,
// the best and the median printed) and shows the top case, and prints how the time grows with the
// size. "evidence" sums the evidence items over all cases (an entry in several cases counts in
// each); "flagged" counts the rows with a rule suspects are built from.
//
// Workloads:
// - default: bench/workload.h terminals (receipts and insured sales, as the ingest bench): a sale
//   row takes the oldest boxes in stock whatever their drug, so multi-code rows mix drugs and
//   about a quarter of all rows are flagged PRODUCT_MISMATCH — far more than any real region.
// - --flag-share F: terminals whose sale rows take boxes of the billed drug, and a share F of sale
//   rows carry one injected finding, in turn PRODUCT_MISMATCH (another drug billed), CODE_REUSED
//   (a code the pharmacy sold before) and CODE_RESOLD (a code sold at another pharmacy).
//   The simulated region (docs/simulate.md) flags well under 1% of its rows: F = 0.005 is
//   realistic, F = 0.5 a heavy worst case (about a quarter of all rows).
//
// --reuse measures an existing ledger at --db (built by an earlier run) without adding to it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/suspects.h"
#include "ledger/case_store.h"
#include "ledger/ledger.h"
#include "machine.h"
#include "workload.h"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Args {
  std::string db = "/tmp/drugtrace-suspects-bench/ledger.db";
  std::vector<std::uint64_t> sizes = {100000, 300000, 1000000};
  int institutions = 200;
  int ring_every = 200;
  int runs = 3;
  double flag_share = -1;  // < 0: the bench/workload.h terminals
  bool reuse = false;
};

// Codes sold lately, for injected CODE_REUSED (the terminal's own) and CODE_RESOLD (any
// terminal's) findings.
class SoldCodes {
 public:
  void Add(const std::string& code) {
    if (codes_.size() < kKeep) {
      codes_.push_back(code);
    } else {
      codes_[next_++ % kKeep] = code;
    }
  }
  bool empty() const { return codes_.empty(); }
  const std::string& Pick(std::uint64_t r) const { return codes_[r % codes_.size()]; }

 private:
  static constexpr std::size_t kKeep = 4096;
  std::vector<std::string> codes_;
  std::size_t next_ = 0;
};

int DrugOf(const std::string& code) {
  return std::stoi(code.substr(1, 6)) - 100000;
}

// A terminal whose clean sale rows take boxes of the drug they bill, and whose sale rows carry an
// injected finding with probability `flag_share` (see the file comment).
class FlagTerminal {
 public:
  FlagTerminal(int institution, std::uint64_t seed, std::uint64_t serial_base, double flag_share,
               SoldCodes* everyone)
      : inst_(institution),
        code_inst_(bench::Institution(institution)),
        rng_(seed),
        serial_(serial_base),
        flag_share_(flag_share),
        stock_(bench::kDrugs),
        everyone_(everyone) {}

  std::string Next() {
    const int rows = 1 + static_cast<int>(rng_() % 5);
    const bool sale = in_stock_ >= 16 && rng_() % 2 == 0;
    ++msg_;
    char head[256];
    std::snprintf(head, sizeof head,
                  "{\"infno\":\"%s\",\"msgid\":\"F%s-%llu\",\"fixmedins_code\":\"%s\","
                  "\"inf_time\":\"2026-11-01 10:00:00\",\"opter\":\"01\",\"opter_name\":\"t\","
                  "\"input\":{\"%s\":[",
                  sale ? "3505" : "3503", code_inst_.c_str(), static_cast<unsigned long long>(msg_),
                  code_inst_.c_str(), sale ? "selinfo" : "purcinfo");
    std::string m = head;
    for (int r = 0; r < rows; ++r) {
      const int want = 1 + static_cast<int>(rng_() % 3);
      std::vector<std::string> codes;
      int billed = static_cast<int>(rng_() % bench::kDrugs);
      if (sale) {
        while (stock_[billed].empty()) billed = (billed + 1) % bench::kDrugs;
        auto& s = stock_[billed];
        for (int k = 0; k < want && !s.empty(); ++k) {
          codes.push_back(std::move(s.front()));
          s.pop_front();
          --in_stock_;
        }
        if (std::uniform_real_distribution<double>(0, 1)(rng_) < flag_share_) {
          switch (flags_++ % 3) {
            case 0:  // 串换: another drug billed than the codes identify
              billed = (billed + 1) % bench::kDrugs;
              break;
            case 1:  // a code this pharmacy sold before, scanned again
              if (!own_.empty()) {
                codes = {own_.Pick(rng_())};
                billed = DrugOf(codes[0]);
              }
              break;
            default:  // a code sold at another pharmacy
              if (!everyone_->empty()) {
                const std::string& c = everyone_->Pick(rng_());
                if (c.substr(c.size() - 4) != code_inst_.substr(code_inst_.size() - 4)) {
                  codes = {c};
                  billed = DrugOf(codes[0]);
                }
              }
              break;
          }
        }
      } else {
        for (int k = 0; k < want; ++k) {
          char c[32];
          std::snprintf(c, sizeof c, "8%06d%09llu%04d", 100000 + billed,
                        static_cast<unsigned long long>(serial_++ % 1000000000), inst_ % 10000);
          codes.emplace_back(c);
          stock_[billed].push_back(codes.back());
          ++in_stock_;
        }
      }
      char row[512];
      ++row_;
      if (sale) {
        std::snprintf(
            row, sizeof row,
            "%s{\"fixmedins_bchno\":\"FS%llu\",\"med_list_codg\":\"XB%08d\","
            "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"drug\","
            "\"rtal_docno\":\"RD1\",\"sel_retn_cnt\":\"%zu\",\"sel_retn_time\":\"2026-11-"
            "01 10:00:00\",\"trdn_flag\":\"0\",\"mdtrt_setl_type\":1,\"setl_id\":\"ST%llu\","
            "\"psn_no\":\"PSN%llu\",\"finl_trns_pric\":\"12.50\",\"drugtracinfo\":[",
            r ? "," : "", static_cast<unsigned long long>(row_), billed, codes.size(),
            static_cast<unsigned long long>(msg_),
            static_cast<unsigned long long>(rng_() % 100000));
        for (const auto& c : codes) {
          own_.Add(c);
          everyone_->Add(c);
        }
      } else {
        std::snprintf(row, sizeof row,
                      "%s{\"fixmedins_bchno\":\"FR%llu\",\"med_list_codg\":\"XB%08d\","
                      "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"drug\","
                      "\"spler_name\":\"supplier\",\"purc_retn_cnt\":\"%zu\",\"purc_retn_stoin_"
                      "time\":\"2026-11-01 09:00:00\",\"dynt_no\":\"D%llu\",\"drugtracinfo\":[",
                      r ? "," : "", static_cast<unsigned long long>(row_), billed, codes.size(),
                      static_cast<unsigned long long>(msg_));
      }
      m += row;
      bench::AppendCodes(m, codes);
      m += "]}";
    }
    m += "]}}";
    return m;
  }

 private:
  int inst_;
  std::string code_inst_;
  std::mt19937_64 rng_;
  std::uint64_t serial_;
  double flag_share_;
  std::vector<std::deque<std::string>> stock_;  // per drug
  std::size_t in_stock_ = 0;
  std::uint64_t msg_ = 0, row_ = 0, flags_ = 0;
  SoldCodes own_;
  SoldCodes* everyone_;
};

std::string RingCode(std::uint64_t n, int drug) {
  char c[32];
  std::snprintf(c, sizeof c, "8%06d%09llu9999", 100000 + drug,
                static_cast<unsigned long long>(990000000 + n % 10000000));
  return c;
}

std::string Message(const char* infno, const std::string& inst, const std::string& msgid,
                    const std::string& bchno, int drug, const std::vector<std::string>& codes,
                    const char* time, std::uint64_t psn) {
  std::string codes_json;
  bench::AppendCodes(codes_json, codes);
  char drug_code[16];
  std::snprintf(drug_code, sizeof drug_code, "XB%08d", drug);
  const bool sale = std::strcmp(infno, "3505") == 0;
  std::string row = "{\"fixmedins_bchno\":\"" + bchno + "\",\"med_list_codg\":\"" + drug_code +
                    "\",\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"drug\",";
  if (sale) {
    row += "\"rtal_docno\":\"RD\",\"sel_retn_cnt\":\"" + std::to_string(codes.size()) +
           "\",\"sel_retn_time\":\"" + time +
           "\",\"trdn_flag\":\"0\",\"mdtrt_setl_type\":1,\"setl_id\":\"ST" + bchno +
           "\",\"psn_no\":\"RING" + std::to_string(psn) + "\",\"finl_trns_pric\":\"25.00\",";
  } else {
    row += "\"spler_name\":\"s\",\"purc_retn_cnt\":\"" + std::to_string(codes.size()) +
           "\",\"purc_retn_stoin_time\":\"" + time + "\",";
  }
  row += "\"drugtracinfo\":[" + codes_json + "]}";
  return std::string("{\"infno\":\"") + infno + "\",\"msgid\":\"" + msgid +
         "\",\"fixmedins_code\":\"" + inst +
         "\",\"inf_time\":\"2026-11-02 10:00:00\",\"opter\":\"01\",\"opter_name\":\"t\","
         "\"input\":{\"" +
         (sale ? "selinfo" : "purcinfo") + "\":[" + row + "]}}";
}

// The messages of one 回流 ring number n.
std::vector<std::string> Ring(std::uint64_t n, int institutions) {
  const int drug = static_cast<int>(n % bench::kDrugs);
  const auto i = [&](int k) {
    return bench::Institution(static_cast<int>((n * 7 + static_cast<std::uint64_t>(k) * 13) %
                                               static_cast<std::uint64_t>(institutions)));
  };
  const std::vector<std::string> codes = {RingCode(2 * n, drug), RingCode(2 * n + 1, drug)};
  const std::string tag = "RING" + std::to_string(n) + "-";
  return {Message("3503", i(0), tag + "1", tag + "R1", drug, codes, "2026-11-02 09:00:00", n),
          Message("3505", i(0), tag + "2", tag + "S1", drug, codes, "2026-11-02 10:00:00", n),
          Message("3503", i(1), tag + "3", tag + "R2", drug, codes, "2026-11-03 09:00:00", n),
          Message("3505", i(2), tag + "4", tag + "S2", drug, {codes[0]}, "2026-11-04 10:00:00",
                  n + 1000000)};
}

bool ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--reuse") {
      a.reuse = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (k == "--db") {
      a.db = v;
    } else if (k == "--sizes") {
      a.sizes.clear();
      std::size_t at = 0;
      while (at <= v.size()) {
        const std::size_t comma = v.find(',', at);
        a.sizes.push_back(std::stoull(v.substr(at, comma - at)));
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
      std::sort(a.sizes.begin(), a.sizes.end());
    } else if (k == "--institutions") {
      a.institutions = std::stoi(v);
    } else if (k == "--ring-every") {
      a.ring_every = std::max(1, std::stoi(v));
    } else if (k == "--runs") {
      a.runs = std::max(1, std::stoi(v));
    } else if (k == "--flag-share") {
      a.flag_share = std::stod(v);
      if (a.flag_share < 0 || a.flag_share > 1) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rows of the month carrying a rule suspects are built from, and all rows (untimed).
std::pair<std::uint64_t, std::uint64_t> FlaggedRows(ledger::Ledger& l) {
  ledger::FactRange range{202611, 202611, 0, INT64_MAX};
  std::uint64_t flagged = 0, rows = 0;
  const auto st = ledger::ScanRowFacts(l, range, [&](const ledger::RowFactView& v) {
    ++rows;
    for (const char* rule : {"CODE_REUSED", "CODE_RESOLD", "SPLIT_OVER_CAPACITY",
                             "PRODUCT_MISMATCH", "RETURN_WITHOUT_SALE"}) {
      if (v.rules.find(rule) != std::string_view::npos) {
        ++flagged;
        break;
      }
    }
    return ledger::Status::Ok();
  });
  if (!st.ok()) std::fprintf(stderr, "scan: %s\n", st.ToString().c_str());
  return {flagged, rows};
}

struct Measured {
  std::uint64_t size = 0;
  double best = 0;
};

// Builds the month's cases `runs` times on a fresh read-only connection each and prints a line.
bool Measure(const Args& a, Measured& m) {
  std::vector<double> times;
  double cpu = 0;
  std::size_t cases = 0, evidence = 0;
  std::string top;
  std::uint64_t flagged = 0, rows = 0;
  for (int r = 0; r < a.runs; ++r) {
    ledger::OpenOptions ro;
    ro.read_only = true;
    ro.load_signer = false;
    auto reader = ledger::Ledger::Open(a.db, ro);
    if (!reader.ok()) {
      std::fprintf(stderr, "open: %s\n", reader.status().ToString().c_str());
      return false;
    }
    m.size = (*reader)->size();
    const double c0 = bench::ThreadCpuSeconds();
    const auto t0 = Clock::now();
    auto built = ingest::BuildCases(**reader, {});
    times.push_back(Since(t0));
    cpu = bench::ThreadCpuSeconds() - c0;
    if (!built.ok()) {
      std::fprintf(stderr, "build: %s\n", built.status().ToString().c_str());
      return false;
    }
    cases = built->size();
    evidence = 0;
    for (const auto& c : *built) evidence += c.evidence.size();
    if (!built->empty()) top = (*built)[0].id + " " + (*built)[0].summary_en;
    if (r == 0) std::tie(flagged, rows) = FlaggedRows(**reader);
  }
  std::sort(times.begin(), times.end());
  m.best = times.front();
  const double median = times[times.size() / 2];
  std::printf("%10llu %10llu %10llu %10zu %8zu %10.3f %10.3f %10.3f %10.3f\n",
              static_cast<unsigned long long>(m.size), static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(flagged), evidence, cases, m.best, median, cpu,
              m.best * 1e6 / static_cast<double>(m.size));
  std::printf("           (top case: %s)\n", top.c_str());
  std::fflush(stdout);
  return true;
}

void PrintHeader() {
  std::printf("%10s %10s %10s %10s %8s %10s %10s %10s %10s\n", "entries", "rows", "flagged",
              "evidence", "cases", "best s", "median s", "cpu s", "us/entry");
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: suspects_bench [--db PATH] [--sizes N,N,...] [--institutions I] "
                 "[--ring-every N] [--runs R] [--flag-share 0..1] [--reuse]\n");
    return 2;
  }
  if (a.reuse) {
    std::printf("suspects_bench: measuring %s as it is; load average %s\n", a.db.c_str(),
                bench::LoadAverage().c_str());
    PrintHeader();
    Measured m;
    return Measure(a, m) ? 0 : 1;
  }
  std::filesystem::remove_all(std::filesystem::path(a.db).parent_path());
  std::filesystem::create_directories(std::filesystem::path(a.db).parent_path());
  {
    auto l = ledger::Ledger::Init(a.db, {"bench.drugtrace/suspects"});
    if (!l.ok()) return std::fprintf(stderr, "init: %s\n", l.status().ToString().c_str()), 1;
  }
  auto l = ledger::Ledger::Open(a.db);
  if (!l.ok()) return std::fprintf(stderr, "open: %s\n", l.status().ToString().c_str()), 1;
  auto p = ingest::Processor::Open(**l, a.db);
  if (!p.ok()) return std::fprintf(stderr, "processor: %s\n", p.status().ToString().c_str()), 1;
  std::string err;
  auto doc = ingest::ParseJson(bench::RefDataJson(a.institutions), err, {.max_depth = 32});
  if (auto r = (*p)->ImportRefData(*doc, NowMs()); !r.ok()) {
    return std::fprintf(stderr, "refdata: %s\n", r.status().ToString().c_str()), 1;
  }
  std::vector<bench::Terminal> terms;
  std::vector<FlagTerminal> flag_terms;
  SoldCodes everyone;
  for (int i = 0; i < a.institutions; ++i) {
    const std::uint64_t serials = 1000 + static_cast<std::uint64_t>(i) * 5000000000ull;
    if (a.flag_share < 0) {
      terms.emplace_back(i, 7000 + i, serials, "B-");
    } else {
      flag_terms.emplace_back(i, 7000 + i, serials, a.flag_share, &everyone);
    }
  }
  auto next_message = [&, next = std::size_t{0}]() mutable {
    const std::size_t t = next++ % static_cast<std::size_t>(a.institutions);
    return a.flag_share < 0 ? terms[t].Next() : flag_terms[t].Next();
  };
  std::printf(
      "suspects_bench: %d institutions, a 回流 ring every %d messages, %s, all rows in "
      "2026-11; load average %s\n",
      a.institutions, a.ring_every,
      a.flag_share < 0
          ? "workload.h terminals (drug-mixing sale rows)"
          : ("a share " + std::to_string(a.flag_share) + " of sale rows flagged").c_str(),
      bench::LoadAverage().c_str());
  PrintHeader();
  std::uint64_t messages = 0, rings = 0;
  Measured prev;
  for (std::uint64_t target : a.sizes) {
    const auto fill = Clock::now();
    while ((*l)->size() < target) {
      std::vector<ingest::Submission> batch;
      for (int k = 0; k < 500; ++k) {
        std::vector<std::string> bodies;
        if (++messages % static_cast<std::uint64_t>(a.ring_every) == 0) {
          bodies = Ring(rings++, a.institutions);
        } else {
          bodies.push_back(next_message());
        }
        for (const auto& body : bodies) {
          ingest::Submission s;
          ingest::Outcome rej;
          if (!(*p)->Admit(body, NowMs(), s, rej)) {
            return std::fprintf(stderr, "admit: %s\n", rej.body.c_str()), 1;
          }
          batch.push_back(std::move(s));
        }
      }
      auto out = (*p)->ProcessBatch(batch);
      for (const auto& o : out) {
        if (o.http_status != 200) return std::fprintf(stderr, "batch: %s\n", o.body.c_str()), 1;
      }
    }
    const double fill_s = Since(fill);
    Measured m;
    if (!Measure(a, m)) return 1;
    if (prev.size > 0) {
      std::printf("           growth: size x%.2f -> time x%.2f\n",
                  static_cast<double>(m.size) / static_cast<double>(prev.size), m.best / prev.best);
    }
    std::printf("           (filled in %.1f s, %llu rings)\n", fill_s,
                static_cast<unsigned long long>(rings));
    std::fflush(stdout);
    prev = m;
  }
  const double per_entry = prev.best / static_cast<double>(prev.size);
  std::printf("linear extrapolation to a 10M-entry month: %.1f s (issue #5 budget: 30 s)\n",
              per_entry * 1e7);
  return 0;
}
