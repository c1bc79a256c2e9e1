// Regulators' queries as the ledger grows: code history with proofs, and the monthly coverage
// report over 1,000 institutions.
//
//   build/bench/regulator_bench --db /tmp/rb/l.db --sizes 1000000,3000000,10000000
//
// Fills (or continues) a ledger through the ingest Processor in process with a steady volume per
// month (--per-month entries, default 1M: receipts, then sales of received boxes, 5 % of sale lines
// without codes, 1 % returned, 70 % insured), then at each size signs a checkpoint, opens a fresh
// read-only reader (timing the pack index load from the heads file a clean writer leaves) and
// measures:
//   - history: CodeHistory of random sold packs (entries, proofs against the checkpoint),
//   p50/p95/max
//   - coverage: BuildCoverage of the latest month with a 6-month trend, and its JSON rendering.
// The ledger is kept, so a later run with larger sizes continues it. Figures never decide a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ingest/coverage.h"
#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/regulator.h"
#include "ledger/ledger.h"
#include "machine.h"
#include "workload.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Options {
  std::string db = "/tmp/rb/l.db";
  std::vector<std::uint64_t> sizes = {1000000, 3000000, 10000000};
  int institutions = 1000;
  std::uint64_t per_month = 1000000;
  int queries = 200;
};

// Terminals of `institutions` pharmacies; message k of the whole run is deterministic.
class Generator {
 public:
  // `base` keeps ids and serials of a run apart from those of an earlier run on the same ledger.
  Generator(int institutions, std::uint64_t per_month, std::uint64_t base)
      : institutions_(institutions),
        per_month_(per_month),
        tag_(std::to_string(base) + "-"),
        serial_(base * 4 + 1),
        stock_(institutions),
        sold_(institutions) {}

  // The next message, for a ledger that holds `entries` so far (its month follows from that).
  std::string Next(std::uint64_t entries) {
    const int inst = static_cast<int>(rng_() % institutions_);
    const int month = 1 + static_cast<int>(std::min<std::uint64_t>(entries / per_month_, 11));
    char when[32];
    std::snprintf(when, sizeof when, "2025-%02d-%02d %02d:%02d:00", month,
                  1 + static_cast<int>(rng_() % 28), 8 + static_cast<int>(rng_() % 12),
                  static_cast<int>(rng_() % 60));
    const std::string code_inst = bench::Institution(inst);
    auto& stock = stock_[inst];
    auto& sold = sold_[inst];
    const int kind = stock.size() < 16 ? 0 : static_cast<int>(rng_() % 100);
    const bool receipt = kind < 45;
    const bool ret = !receipt && kind < 46 && !sold.empty();
    std::string m = "{\"infno\":\"";
    m += receipt ? "3503" : ret ? "3506" : "3505";
    m += "\",\"msgid\":\"M" + tag_ + std::to_string(++msg_) + "\",\"fixmedins_code\":\"" +
         code_inst + "\",\"inf_time\":\"" + when +
         "\",\"opter\":\"01\",\"opter_name\":\"t\",\"input\":{\"";
    m += receipt ? "purcinfo" : "selinfo";
    m += "\":[";
    const int rows = ret ? 1 : 1 + static_cast<int>(rng_() % 5);
    for (int r = 0; r < rows; ++r) {
      std::vector<std::string> codes;
      std::string sale_bchno;
      int drug = static_cast<int>(rng_() % bench::kDrugs);
      if (ret) {
        auto [code, bchno] = sold.back();
        sold.pop_back();
        codes.push_back(code);
        sale_bchno = bchno;
        drug = std::stoi(code.substr(1, 6)) - 100000;
      } else {
        const int n = 1 + static_cast<int>(rng_() % 3);
        for (int k = 0; k < n; ++k) {
          if (!receipt && !stock.empty()) {
            codes.push_back(std::move(stock.front()));
            stock.erase(stock.begin());
          } else {
            char c[32];
            std::snprintf(c, sizeof c, "8%06d%09llu%04d", 100000 + drug,
                          static_cast<unsigned long long>(serial_++ % 1000000000), inst % 10000);
            codes.emplace_back(c);
            if (receipt) stock.push_back(codes.back());
          }
        }
        if (!receipt) drug = std::stoi(codes[0].substr(1, 6)) - 100000;
      }
      const std::string bchno = "B" + tag_ + std::to_string(++row_);
      const std::size_t boxes = codes.size();
      const bool uncoded = !receipt && !ret && rng_() % 100 < 5;
      const bool insured = rng_() % 100 < 70;
      char head[512];
      if (receipt) {
        std::snprintf(
            head, sizeof head,
            "%s{\"fixmedins_bchno\":\"%s\",\"med_list_codg\":\"XB%08d\","
            "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"d\","
            "\"spler_name\":\"s\",\"purc_retn_cnt\":\"%zu\",\"purc_retn_stoin_time\":\"%s\","
            "\"drugtracinfo\":[",
            r ? "," : "", bchno.c_str(), drug, boxes, when);
      } else {
        std::snprintf(head, sizeof head,
                      "%s{\"fixmedins_bchno\":\"%s\",\"med_list_codg\":\"XB%08d\","
                      "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"d\","
                      "\"rtal_docno\":\"RD\",\"sel_retn_cnt\":\"%zu\",\"sel_retn_time\":\"%s\","
                      "\"trdn_flag\":\"0\",\"mdtrt_setl_type\":%d,%s%s\"finl_trns_pric\":\"%d.50\","
                      "\"drugtracinfo\":[",
                      r ? "," : "", bchno.c_str(), drug, boxes, when, insured ? 1 : 2,
                      insured ? "\"setl_id\":\"ST1\",\"psn_no\":\"PSN1\"," : "",
                      ret ? ("\"medins_prod_sel_no\":\"" + sale_bchno + "\",").c_str() : "",
                      5 + static_cast<int>(rng_() % 40));
      }
      m += head;
      if (!uncoded) {
        bench::AppendCodes(m, codes);
      }
      m += "]}";
      if (!receipt && !ret && !uncoded) {
        if (rng_() % 100 < 2 && sold.size() < 64) sold.emplace_back(codes[0], bchno);
      }
    }
    m += "]}}";
    return m;
  }

 private:
  int institutions_;
  std::uint64_t per_month_;
  std::mt19937_64 rng_{42};
  std::string tag_;
  std::uint64_t serial_, msg_ = 0, row_ = 0;
  std::vector<std::vector<std::string>> stock_;
  std::vector<std::vector<std::pair<std::string, std::string>>> sold_;
};

// Codes sold, picked from random upload rows of the ledger (so a run that only measures an
// existing ledger has its sample too).
std::vector<std::string> SampleCodes(ledger::Ledger& l, std::size_t n) {
  std::vector<std::string> out;
  std::mt19937_64 pick(11);
  for (std::size_t tries = 0; out.size() < n && tries < n * 50 && l.size() > 0; ++tries) {
    auto e = l.Get(pick() % l.size());
    if (!e.ok() || e->type != 1) continue;
    std::string err;
    auto doc = ingest::ParseJson(e->bytes, err, {.max_depth = 64});
    if (!doc || (*doc)["infno"] != "3505") continue;
    const ingest::Json& codes = (*doc)["row"]["drugtracinfo"];
    if (codes.is_array() && !codes.empty()) out.push_back(codes[0]["drug_trac_codg"]);
  }
  return out;
}

std::vector<std::uint64_t> ParseSizes(const char* text) {
  std::vector<std::uint64_t> out;
  for (const char* p = text; *p;) {
    out.push_back(std::strtoull(p, const_cast<char**>(&p), 10));
    if (*p == ',') ++p;
  }
  return out;
}

int Run(const Options& o) {
  std::filesystem::create_directories(std::filesystem::path(o.db).parent_path());
  const bool fresh = !std::filesystem::exists(o.db);
  if (fresh && !ledger::Ledger::Init(o.db, {}).ok()) {
    std::fprintf(stderr, "cannot create %s\n", o.db.c_str());
    return 1;
  }
  auto l = ledger::Ledger::Open(o.db);
  if (!l.ok()) {
    std::fprintf(stderr, "open: %s\n", l.status().ToString().c_str());
    return 1;
  }
  auto p = ingest::Processor::Open(**l, o.db);
  if (!p.ok()) {
    std::fprintf(stderr, "processor: %s\n", p.status().ToString().c_str());
    return 1;
  }
  if (fresh) {
    std::string err;
    auto doc = ingest::ParseJson(bench::RefDataJson(o.institutions), err, {.max_depth = 32});
    if (!doc || !(*p)->ImportRefData(*doc, 1).ok()) {
      std::fprintf(stderr, "refdata: %s\n", err.c_str());
      return 1;
    }
  }
  // Ids and serials start from the ledger's size, so a continued ledger gets fresh messages.
  Generator gen(o.institutions, o.per_month, (*l)->size());
  std::printf("# regulator_bench db=%s institutions=%d per_month=%llu\n", o.db.c_str(),
              o.institutions, static_cast<unsigned long long>(o.per_month));
  // hist_*: wall ms of one code history with proofs (p50/p95/max); cpu_*: the measuring thread's
  // CPU ms for it (what the query costs, without the waits of a shared machine); report: wall and
  // CPU ms of the month's coverage report (6-month trend) rendered as JSON.
  std::printf("%10s %8s %9s %8s %8s %8s %8s %8s %8s %7s %9s %8s %6s\n", "entries", "fill_s",
              "index_ms", "index_MB", "hist_p50", "hist_p95", "hist_max", "cpu_p50", "cpu_p95",
              "events", "report_ms", "rep_cpu", "insts");
  for (std::uint64_t target : o.sizes) {
    const auto t_fill = Clock::now();
    std::vector<ingest::Submission> batch;
    while ((*l)->size() < target) {
      batch.clear();
      for (int i = 0; i < 512; ++i) {
        ingest::Submission s;
        ingest::Outcome rejected;
        const std::string m = gen.Next((*l)->size());
        if ((*p)->Admit(m, 0, s, rejected)) batch.push_back(std::move(s));
      }
      (*p)->ProcessBatch(batch);
    }
    const double fill_s = std::chrono::duration<double>(Clock::now() - t_fill).count();
    if (auto cp = (*l)->SignCheckpoint(1); !cp.ok()) {
      std::fprintf(stderr, "checkpoint: %s\n", cp.status().ToString().c_str());
      return 1;
    }
    // The heads file a writer leaves when it closes cleanly; then a fresh reader, as the CLI would
    // open it (the daemon's readers share the writer's pack heads and load nothing).
    if (auto st = (*p)->store().SaveHeads(); !st.ok()) {
      std::fprintf(stderr, "heads file: %s\n", st.ToString().c_str());
      return 1;
    }
    const auto t_index = Clock::now();
    auto ctx = ingest::ReaderContext::Open(o.db);
    if (!ctx.ok() || !(*ctx)->store().RefreshPacks().ok()) {
      std::fprintf(stderr, "reader failed\n");
      return 1;
    }
    const double index_ms = Ms(Clock::now() - t_index);
    std::vector<double> lat, cpu;
    std::size_t events = 0;
    std::mt19937_64 pick(7);
    const std::vector<std::string> sample = SampleCodes(**l, 1000);
    for (int q = 0; q < o.queries && !sample.empty(); ++q) {
      const std::string& code = sample[pick() % sample.size()];
      const auto t = Clock::now();
      const double c0 = bench::ThreadCpuSeconds();
      ingest::ApiResult r = ingest::CodeHistory(**ctx, code, "");
      const std::string body = r.output.dump();
      cpu.push_back((bench::ThreadCpuSeconds() - c0) * 1000.0);
      lat.push_back(Ms(Clock::now() - t));
      if (r.status != 200) {
        std::fprintf(stderr, "history %s: %d %s\n", code.c_str(), r.status, r.error.c_str());
        return 1;
      }
      events += r.output["events"].size();
    }
    std::sort(lat.begin(), lat.end());
    std::sort(cpu.begin(), cpu.end());
    auto pct = [](const std::vector<double>& v, double f) {
      return v.empty() ? 0.0 : v[static_cast<std::size_t>(f * (v.size() - 1))];
    };
    ingest::CoverageQuery q;
    const int months =
        1 + static_cast<int>(std::min<std::uint64_t>((target - 1) / o.per_month, 11));
    q.month = 202500 + months;
    const auto t_report = Clock::now();
    const double report_c0 = bench::ThreadCpuSeconds();
    auto report =
        ingest::BuildCoverage((*ctx)->store(), (*ctx)->refdata(), (*ctx)->ledger().size(), q);
    if (!report.ok()) {
      std::fprintf(stderr, "report: %s\n", report.status().ToString().c_str());
      return 1;
    }
    const std::string json = ingest::CoverageJson(*report).dump();
    const double report_ms = Ms(Clock::now() - t_report);
    const double report_cpu = (bench::ThreadCpuSeconds() - report_c0) * 1000.0;
    std::printf("%10llu %8.1f %9.0f %8.1f %8.2f %8.2f %8.2f %8.2f %8.2f %7.1f %9.0f %8.0f %6zu\n",
                static_cast<unsigned long long>((*l)->size()), fill_s, index_ms,
                (*ctx)->store().pack_index_bytes() / 1048576.0, pct(lat, 0.5), pct(lat, 0.95),
                pct(lat, 1.0), pct(cpu, 0.5), pct(cpu, 0.95),
                lat.empty() ? 0.0 : static_cast<double>(events) / lat.size(), report_ms, report_cpu,
                report->institutions.size());
    std::fflush(stdout);
  }
  std::printf("# load average %s, measuring thread cpu %.1f s\n", bench::LoadAverage().c_str(),
              bench::ThreadCpuSeconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--db") {
      o.db = argv[i + 1];
    } else if (k == "--sizes") {
      o.sizes = ParseSizes(argv[i + 1]);
    } else if (k == "--institutions") {
      o.institutions = std::atoi(argv[i + 1]);
    } else if (k == "--per-month") {
      o.per_month = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (k == "--queries") {
      o.queries = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  return Run(o);
}
