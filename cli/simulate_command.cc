// `drugtrace simulate`: writes a simulated region (docs/simulate.md): reference data, one NDJSON
// message file per terminal, the ground truth of the injected fraud, and a manifest.
#include <chrono>
#include <iostream>

#include "common.h"
#include "simulate/simulate.h"

namespace cli {

namespace {

struct SimulateArgs {
  std::string out;
  simulate::Options options;
};

int RunSimulate(const SimulateArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto region = simulate::Simulate(a.options);
  if (!region.ok()) return Fail("simulate", region.status());
  const auto t1 = std::chrono::steady_clock::now();
  if (auto st = simulate::WriteRegion(*region, a.out); !st.ok()) return Fail("simulate", st);
  const auto t2 = std::chrono::steady_clock::now();
  const auto& s = region->stats;
  std::size_t fraud = 0;
  for (std::size_t f : s.fraud_rows) fraud += f;
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "simulated " << region->terminals.size() << " terminals over " << a.options.days
            << " days from " << a.options.start << " (seed " << a.options.seed
            << "): " << s.messages << " messages, " << s.rows << " rows, " << s.code_events
            << " code events, " << fraud << " fraud rows in " << region->truth.cases.size()
            << " cases\n";
  std::printf("generated in %.2f s, written in %.2f s\n", secs(t1 - t0), secs(t2 - t1));
  std::cout << "files: " << a.out << "/refdata.json, " << a.out << "/terminals/*.ndjson, " << a.out
            << "/truth.json, " << a.out << "/manifest.json\n";
  return 0;
}

}  // namespace

void RegisterSimulateCommand(CLI::App& app, int& exit_code) {
  static SimulateArgs a;
  auto* s = app.add_subcommand(
      "simulate", "Write a simulated region: refdata, terminals' messages, fraud ground truth");
  s->add_option("--out", a.out, "Directory to write (created if missing)")->required();
  s->add_option("--pharmacies", a.options.pharmacies, "Retail pharmacies (4..20000)")
      ->capture_default_str();
  s->add_option("--hospitals", a.options.hospitals, "Hospitals of level 1-3 and clinics (0..5000)")
      ->capture_default_str();
  s->add_option("--days", a.options.days, "Days to simulate (7..92)")->capture_default_str();
  s->add_option("--seed", a.options.seed, "Seed; the same seed gives the same region")
      ->capture_default_str();
  s->add_option("--start", a.options.start, "First day, yyyy-MM-dd")->capture_default_str();
  s->add_option("--volume", a.options.volume, "Scale of daily sales (1 = default)")
      ->capture_default_str();
  s->callback([&] { exit_code = RunSimulate(a); });
}

}  // namespace cli
