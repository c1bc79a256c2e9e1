// Ledger benchmark: append throughput (synchronous=FULL) by batch size and growth, verify speed,
// and proof latency; with a raw-SQLite baseline measured in the same run.
//
//   build/bench/ledger_bench [--entries N] [--batch B] [--dir DIR] [--baseline] [--skip-verify]
//
// Prints one line per million entries so that flatness over growth is visible.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "raw_sqlite.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// ~200-byte entries shaped like ingest rows, with a random 20-digit code.
std::string MakeEntry(std::mt19937_64& rng, std::uint64_t i) {
  char buf[256];
  unsigned long long code = rng() % 10000000000000000000ull;
  std::snprintf(buf, sizeof buf,
                "{\"codes\":[\"8%019llu\"],\"fixmedins_bchno\":\"B%012llu\",\"fixmedins_code\":"
                "\"P33010600%03llu\",\"infno\":\"3505\",\"med_list_codg\":\"XA01BAA0001\","
                "\"msgid\":\"M%llu\",\"sel_retn_cnt\":\"1\",\"verdict\":\"ok\"}",
                code, static_cast<unsigned long long>(i), static_cast<unsigned long long>(i % 997),
                static_cast<unsigned long long>(i / 3));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t entries = 1000000;
  std::size_t batch = 1000;
  std::string dir = "/tmp/drugtrace-bench";
  bool baseline = false, verify = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--entries")
      entries = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--batch")
      batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--dir")
      dir = next();
    else if (a == "--baseline")
      baseline = true;
    else if (a == "--skip-verify")
      verify = false;
    else {
      std::fprintf(stderr,
                   "usage: %s [--entries N] [--batch B] [--dir DIR] [--baseline] [--skip-verify]\n",
                   argv[0]);
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  if (baseline) {
    const std::uint64_t rows = std::min<std::uint64_t>(entries, 1000000);
    std::printf("raw sqlite (text index, batch 1000, sync=FULL): %llu rows at %.0f rows/s\n",
                static_cast<unsigned long long>(rows),
                bench::RawSqliteRowsPerSecond(dir + "/raw.db", rows, 1000));
  }

  const std::string db = dir + "/bench.db";
  for (const auto& f : {db, db + "-wal", db + "-shm", ledger::KeyPathFor(db)})
    std::filesystem::remove(f);
  auto l = ledger::Ledger::Init(db, {"bench.drugtrace/ledger"});
  if (!l.ok()) {
    std::fprintf(stderr, "init: %s\n", l.status().ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(42);
  std::vector<ledger::EntryInput> buf(batch);
  auto t0 = Clock::now(), tick = t0;
  std::uint64_t done = 0, tick_done = 0;
  const std::uint64_t report_every = std::max<std::uint64_t>(entries / 10, batch);
  while (done < entries) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, entries - done));
    buf.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      buf[k].type = 1;
      buf[k].event_time_ms = 1767225600000 + static_cast<std::int64_t>(done + k);
      buf[k].institution = "P33010600" + std::to_string((done + k) % 997);
      buf[k].bytes = MakeEntry(rng, done + k);
    }
    auto r = (*l)->Append(buf);
    if (!r.ok()) {
      std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
      return 1;
    }
    done += n;
    if (done - tick_done >= report_every || done == entries) {
      auto now = Clock::now();
      std::printf("append batch %zu: %9llu entries, last interval %.0f entries/s, overall %.0f/s\n",
                  batch, static_cast<unsigned long long>(done),
                  (done - tick_done) / Seconds(tick, now), done / Seconds(t0, now));
      std::fflush(stdout);
      tick = now;
      tick_done = done;
    }
  }

  // Proof latency at the final size: averaged over many random indexes.
  std::uniform_int_distribution<std::uint64_t> pick(0, entries - 1);
  const int proofs = 2000;
  auto p0 = Clock::now();
  for (int i = 0; i < proofs; ++i) {
    auto p = (*l)->InclusionProof(pick(rng), entries);
    if (!p.ok()) return 1;
  }
  auto p1 = Clock::now();
  for (int i = 0; i < proofs; ++i) {
    auto p = (*l)->ConsistencyProof(1 + pick(rng), entries);
    if (!p.ok()) return 1;
  }
  auto p2 = Clock::now();
  std::printf("at %llu entries: inclusion proof %.1f us, consistency proof %.1f us (avg of %d)\n",
              static_cast<unsigned long long>(entries), 1e6 * Seconds(p0, p1) / proofs,
              1e6 * Seconds(p1, p2) / proofs, proofs);
  auto c0 = Clock::now();
  auto cp = (*l)->SignCheckpoint(0);
  std::printf("sign checkpoint: %.2f ms\n", 1e3 * Seconds(c0, Clock::now()));
  if (!cp.ok()) return 1;
  l->reset();

  if (verify) {
    ledger::OpenOptions ro;
    ro.read_only = true;
    ro.load_signer = false;
    ro.cache_mib = 256;
    ro.mmap_mib = 16384;
    auto r = ledger::Ledger::Open(db, ro);
    if (!r.ok()) return 1;
    auto v0 = Clock::now();
    auto rep = (*r)->Verify({});
    double s = Seconds(v0, Clock::now());
    if (!rep.ok()) {
      std::fprintf(stderr, "verify: %s\n", rep.status().ToString().c_str());
      return 1;
    }
    std::printf("verify: %llu entries in %.2f s = %.0f entries/s\n",
                static_cast<unsigned long long>(rep->entries), s, rep->entries / s);
  }
  return 0;
}
