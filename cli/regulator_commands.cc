// The regulators' view from the command line: code histories with proofs, the coverage report and
// the audit trail of regulator queries (issue #5; HTTP equivalents in docs/api.md).
#include <ctime>
#include <fstream>
#include <iostream>

#include "common.h"
#include "ingest/coverage.h"
#include "ingest/json.h"
#include "ingest/regulator.h"
#include "validator/date.h"

namespace cli {

namespace {

using ingest::Json;

std::optional<std::unique_ptr<ingest::ReaderContext>> OpenReader(const std::string& db,
                                                                 const std::string& context) {
  auto ctx = ingest::ReaderContext::Open(db);
  if (!ctx.ok()) {
    Fail(context, ctx.status());
    return std::nullopt;
  }
  return std::move(*ctx);
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string("-");
}

void PrintHistory(const Json& h) {
  std::cout << "code " << Text(h, "code") << " (" << Text(h, "kind") << "), pack "
            << Text(h, "identity") << "\n";
  const Json& cp = h["checkpoint"];
  if (cp.is_null()) {
    std::cout << "no signed checkpoint yet: events have no proofs (run 'drugtrace checkpoint')\n";
  } else {
    std::cout << "proofs against the signed checkpoint of size " << cp["tree_size"] << "\n";
  }
  if (h["events"].empty()) std::cout << "no events recorded for this pack\n";
  for (const Json& e : h["events"]) {
    std::string rules;
    for (const Json& f : e["findings"]) {
      if (!rules.empty()) rules += ",";
      rules += Text(f, "rule");
    }
    const Json& inst = e["institution"];
    const Json& drug = e["drug"];
    std::cout << "  #" << e["ledger_index"].get<std::uint64_t>() << "  " << Text(e, "time") << "  "
              << Text(e, "event") << "  " << Text(inst, "code") << " " << Text(inst, "name") << " ("
              << Text(inst, "class") << ")  "
              << (drug.is_object() ? Text(drug, "name") : std::string("-")) << "  "
              << Text(e, "verdict") << (rules.empty() ? "" : " " + rules)
              << (e["proof"].is_null() ? "  [not yet in a signed checkpoint]" : "") << "\n";
  }
  if (h["unproven_events"].get<std::size_t>() > 0) {
    std::cout << h["unproven_events"] << " event(s) recorded after the latest checkpoint\n";
  }
}

int RunHistory(const std::string& db, const std::string& code, bool as_json) {
  auto ctx = OpenReader(db, "history");
  if (!ctx) return kExitFailure;
  ingest::ApiResult r = ingest::CodeHistory(**ctx, code, "");
  if (r.status != 200) return Fail("history: " + r.error);
  if (as_json) {
    std::cout << r.output.dump(2) << "\n";
  } else {
    PrintHistory(r.output);
  }
  return 0;
}

int RunCoverage(const std::string& db, const std::string& month_text, const std::string& region,
                const std::string& format, const std::string& out_path, int trend) {
  std::string error;
  auto month = ingest::ParseMonth(month_text, error);
  if (!month) return Fail("report coverage: --month: " + error);
  auto ctx = OpenReader(db, "report coverage");
  if (!ctx) return kExitFailure;
  ingest::CoverageQuery q;
  q.month = *month;
  q.region = region;
  q.trend_months = trend;
  auto report =
      ingest::BuildCoverage((*ctx)->store(), (*ctx)->refdata(), (*ctx)->ledger().size(), q);
  if (!report.ok()) return Fail("report coverage", report.status());
  std::string text;
  if (format == "json") {
    text = ingest::CoverageJson(*report).dump(2) + "\n";
  } else if (format == "csv") {
    text = ingest::CoverageCsv(*report);
  } else if (format == "html") {
    text = ingest::CoverageHtml(*report);
  } else {
    text = ingest::CoverageTable(*report);
  }
  if (out_path.empty() || out_path == "-") {
    std::cout << text;
  } else {
    std::ofstream f(out_path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return Fail("report coverage: cannot write " + out_path);
  }
  if (report->empty()) {
    std::cerr << "report coverage: no sales or sale returns recorded for " << month_text
              << (region.empty() ? "" : " in region " + region) << "\n";
  }
  return 0;
}

std::string UtcTime(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC) or milliseconds since the epoch.
std::optional<std::int64_t> ParseSince(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(text);
  }
  auto t = validator::ParseCivilTime(text);
  if (!t) return std::nullopt;
  return *t * 1000;
}

int RunAudit(const std::string& db, const std::string& since_text, std::size_t limit,
             bool as_json) {
  std::int64_t since = 0;
  if (!since_text.empty()) {
    auto s = ParseSince(since_text);
    if (!s) {
      return Fail("audit: --since must be YYYY-MM-DD, 'YYYY-MM-DD HH:MM:SS' (UTC) or ms, got '" +
                  since_text + "'");
    }
    since = *s;
  }
  auto ctx = OpenReader(db, "audit");
  if (!ctx) return kExitFailure;
  auto rows = (*ctx)->store().AuditEntries(since, limit);
  if (!rows.ok()) return Fail("audit", rows.status());
  Json all = Json::array();
  for (const ledger::AuditIndexRow& row : *rows) {
    auto e = (*ctx)->ledger().Get(row.entry);
    if (!e.ok()) return Fail("audit: entry " + std::to_string(row.entry), e.status());
    std::string error;
    auto doc = ingest::ParseJson(e->bytes, error);
    if (!doc || !doc->is_object() || Text(*doc, "kind") != "audit") {
      return Fail("audit: entry " + std::to_string(row.entry) + " is not an audit record");
    }
    (*doc)["ledger_index"] = row.entry;
    if (as_json) {
      all.push_back(std::move(*doc));
      continue;
    }
    std::cout << UtcTime(row.time_ms) << "  #" << row.entry << "  " << Text(*doc, "token_id") << " "
              << Text(*doc, "role") << ((*doc)["region"] == "" ? "" : "@" + Text(*doc, "region"))
              << " (" << Text(*doc, "label") << ")  " << (*doc)["status"] << "  "
              << Text(*doc, "method") << " " << Text(*doc, "target") << "\n";
  }
  if (as_json) std::cout << all.dump(2) << "\n";
  return 0;
}

}  // namespace

void RegisterRegulatorCommands(CLI::App& app, int& exit_code) {
  static std::string db, code, month, region, format = "table", out, since;
  static bool as_json = false;
  static int trend = 6;
  static std::size_t limit = 1000;

  auto* history = app.add_subcommand(
      "history", "Every event of a pack, with inclusion proofs against the latest checkpoint");
  history->add_option("--db", db, "Ledger database")->required();
  history->add_option("code", code, "The code in any scanned form")->required();
  history->add_flag("--json", as_json, "The API's JSON (entries, proofs, checkpoint, key)");
  history->callback([&] { exit_code = RunHistory(db, code, as_json); });

  auto* report = app.add_subcommand("report", "Regulators' reports");
  report->require_subcommand(1);
  auto* coverage = report->add_subcommand("coverage", "Monthly 采集率 / 结算率 per institution");
  coverage->add_option("--db", db, "Ledger database")->required();
  coverage->add_option("--month", month, "YYYY-MM")->required();
  coverage->add_option("--region", region,
                       "Admin division code (a city or province covers its parts)");
  coverage->add_option("--format", format, "table, csv, json or html")
      ->check(CLI::IsMember({"table", "csv", "json", "html"}));
  coverage->add_option("--out", out, "Write to this file instead of standard output");
  coverage->add_option("--trend", trend, "Months in the trend, ending with --month")
      ->check(CLI::Range(1, 120));
  coverage->callback([&] { exit_code = RunCoverage(db, month, region, format, out, trend); });

  auto* audit = app.add_subcommand("audit", "The recorded regulator queries: who, what, when");
  audit->add_option("--db", db, "Ledger database")->required();
  audit->add_option("--since", since, "YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS' (UTC), or ms");
  audit->add_option("--limit", limit, "At most this many records")->check(CLI::Range(1, 10000000));
  audit->add_flag("--json", as_json, "JSON array of the audit entries");
  audit->callback([&] { exit_code = RunAudit(db, since, limit, as_json); });
}

}  // namespace cli
