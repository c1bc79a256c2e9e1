// Suspect-case building (issue #5: a month's cases on a 10M-entry ledger in < 30 s).
//
//   build/bench/suspects_bench [--db PATH] [--sizes 100000,300000,1000000] [--institutions I]
//                              [--ring-every N] [--runs R]
//
// Grows one ledger through the real Processor (bench/workload.h terminals: receipts and insured
// sales), with a 回流 ring injected every N messages (a pharmacy sells two fresh boxes with
// insurance, another receives them, a third sells one again: CODE_RESOLD findings). Every row
// falls in one month (2026-11), so "the month" is the whole ledger: the worst case for the month
// filter. At each size it builds the month's cases (R runs, the best and the median printed) and
// shows the top case, and prints how the time grows with the size. "evidence" sums the evidence
// items over all cases (an entry in several cases counts in each).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/suspects.h"
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
  for (const auto& c : codes) {
    codes_json +=
        (codes_json.empty() ? "{\"drug_trac_codg\":\"" : ",{\"drug_trac_codg\":\"") + c + "\"}";
  }
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

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: suspects_bench [--db PATH] [--sizes N,N,...] [--institutions I] "
                 "[--ring-every N] [--runs R]\n");
    return 2;
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
  for (int i = 0; i < a.institutions; ++i) {
    terms.emplace_back(i, 7000 + i, 1000 + static_cast<std::uint64_t>(i) * 5000000000ull, "B-");
  }
  std::printf(
      "suspects_bench: %d institutions, a 回流 ring every %d messages, all rows in "
      "2026-11; load average %s\n",
      a.institutions, a.ring_every, bench::LoadAverage().c_str());
  std::printf("%10s %10s %8s %8s %10s %10s %10s %12s\n", "entries", "evidence", "cases", "rings",
              "best s", "median s", "cpu s", "us/entry");
  std::uint64_t messages = 0, rings = 0;
  std::size_t next = 0;
  double prev_time = 0;
  std::uint64_t prev_size = 0;
  for (std::uint64_t target : a.sizes) {
    const auto fill = Clock::now();
    while ((*l)->size() < target) {
      std::vector<ingest::Submission> batch;
      for (int k = 0; k < 500; ++k) {
        std::vector<std::string> bodies;
        if (++messages % static_cast<std::uint64_t>(a.ring_every) == 0) {
          bodies = Ring(rings++, a.institutions);
        } else {
          bodies.push_back(terms[next++ % terms.size()].Next());
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

    std::vector<double> times;
    double cpu = 0;
    std::size_t cases = 0, flagged = 0;
    std::string top;
    for (int r = 0; r < a.runs; ++r) {
      ledger::OpenOptions ro;
      ro.read_only = true;
      ro.load_signer = false;
      auto reader = ledger::Ledger::Open(a.db, ro);
      if (!reader.ok())
        return std::fprintf(stderr, "open: %s\n", reader.status().ToString().c_str()), 1;
      const double c0 = bench::ThreadCpuSeconds();
      const auto t0 = Clock::now();
      auto built = ingest::BuildCases(**reader, {});
      times.push_back(Since(t0));
      cpu = bench::ThreadCpuSeconds() - c0;
      if (!built.ok()) {
        return std::fprintf(stderr, "build: %s\n", built.status().ToString().c_str()), 1;
      }
      cases = built->size();
      flagged = 0;
      for (const auto& c : *built) flagged += c.evidence.size();
      if (!built->empty()) top = (*built)[0].id + " " + (*built)[0].summary_en;
    }
    std::sort(times.begin(), times.end());
    const double best = times.front(), median = times[times.size() / 2];
    std::printf("%10llu %10zu %8zu %8llu %10.3f %10.3f %10.3f %12.3f\n",
                static_cast<unsigned long long>((*l)->size()), flagged, cases,
                static_cast<unsigned long long>(rings), best, median, cpu,
                best * 1e6 / static_cast<double>((*l)->size()));
    if (prev_size > 0) {
      std::printf("           growth: size x%.2f -> time x%.2f\n",
                  static_cast<double>((*l)->size()) / static_cast<double>(prev_size),
                  best / prev_time);
    }
    std::printf("           (filled in %.1f s; top case: %s)\n", fill_s, top.c_str());
    std::fflush(stdout);
    prev_time = best;
    prev_size = (*l)->size();
  }
  const double per_entry = prev_time / static_cast<double>(prev_size);
  std::printf("linear extrapolation to a 10M-entry month: %.1f s (issue #5 budget: 30 s)\n",
              per_entry * 1e7);
  return 0;
}
