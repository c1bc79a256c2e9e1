#include "simulate/simulate.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "model.h"
#include "validator/date.h"
#include "world.h"

namespace simulate {

const char* FraudTypeName(FraudType type) {
  switch (type) {
    case FraudType::kReflux:
      return "reflux";
    case FraudType::kSwap:
      return "swap";
    case FraudType::kSplitOver:
      return "split_over";
    case FraudType::kReuse:
      return "reuse";
  }
  return "unknown";
}

const char* ExpectedRule(FraudType type) {
  switch (type) {
    case FraudType::kReflux:
      return "CODE_RESOLD";
    case FraudType::kSwap:
      return "PRODUCT_MISMATCH";
    case FraudType::kSplitOver:
      return "SPLIT_OVER_CAPACITY";
    case FraudType::kReuse:
      return "CODE_REUSED";
  }
  return "";
}

ledger::Status CheckOptions(const Options& o) {
  if (o.pharmacies < 4 || o.pharmacies > 20000)
    return ledger::Status::InvalidArgument("--pharmacies must be between 4 and 20000");
  if (o.hospitals < 0 || o.hospitals > 5000)
    return ledger::Status::InvalidArgument("--hospitals must be between 0 and 5000");
  if (o.days < 7 || o.days > 92)
    return ledger::Status::InvalidArgument("--days must be between 7 and 92");
  if (!(o.volume > 0 && o.volume <= 20))
    return ledger::Status::InvalidArgument("--volume must be above 0 and at most 20");
  const auto d = validator::ParseDate(o.start);
  if (!d || o.start.size() != 10)
    return ledger::Status::InvalidArgument("--start must be a date yyyy-MM-dd, got '" + o.start +
                                           "'");
  if (d->year < 2024 || d->year > 2040)
    return ledger::Status::InvalidArgument("--start must be in 2024..2040");
  return ledger::Status::Ok();
}

ledger::Result<Region> Simulate(const Options& options) {
  LEDGER_RETURN_IF_ERROR(CheckOptions(options));
  Region region;
  region.options = options;
  internal::World world(options, *validator::ParseDate(options.start));
  world.Run(region);
  return region;
}

namespace {

void Str(std::string& s, const std::string& v) {
  internal::AppendJsonString(s, v);
}

void StrList(std::string& s, const std::vector<std::string>& v) {
  s += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    Str(s, v[i]);
  }
  s += ']';
}

std::string OptionsJson(const Options& o) {
  std::string s = "{\"pharmacies\":" + std::to_string(o.pharmacies) +
                  ",\"hospitals\":" + std::to_string(o.hospitals) +
                  ",\"days\":" + std::to_string(o.days) + ",\"seed\":" + std::to_string(o.seed) +
                  ",\"start\":";
  Str(s, o.start);
  char v[32];
  std::snprintf(v, sizeof v, "%.3f", o.volume);
  s += ",\"volume\":";
  s += v;
  s += '}';
  return s;
}

ledger::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return ledger::Status::IoError("cannot write " + path + ": " + std::strerror(errno));
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  if (!f) return ledger::Status::IoError("cannot write " + path);
  return ledger::Status::Ok();
}

ledger::Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return ledger::Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return ledger::Status::IoError(dir + " is not a directory");
  return ledger::Status::Ok();
}

}  // namespace

std::string TruthJson(const Region& region) {
  std::string s = "{\"options\":" + OptionsJson(region.options) + ",\n\"fraud_types\":{";
  for (int t = 0; t < kFraudTypeCount; ++t) {
    const auto type = static_cast<FraudType>(t);
    if (t) s += ',';
    s += "\"";
    s += FraudTypeName(type);
    s += "\":{\"expected_rule\":\"";
    s += ExpectedRule(type);
    s += "\",\"fraud_rows\":" + std::to_string(region.stats.fraud_rows[t]) + "}";
  }
  s += "},\n\"rows\":[";
  const auto& rows = region.truth.rows;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TruthRow& r = rows[i];
    s += i ? ",\n{\"fixmedins_code\":" : "\n{\"fixmedins_code\":";
    Str(s, r.institution);
    s += ",\"fixmedins_bchno\":";
    Str(s, r.bchno);
    s += ",\"infno\":\"" + r.infno + "\",\"type\":\"" + FraudTypeName(r.type) + "\",\"case\":";
    Str(s, r.case_id);
    s += r.fraud ? ",\"role\":\"fraud\"}" : ",\"role\":\"origin\"}";
  }
  s += "],\n\"cases\":[";
  const auto& cases = region.truth.cases;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const TruthCase& c = cases[i];
    s += i ? ",\n{\"id\":" : "\n{\"id\":";
    Str(s, c.id);
    s += ",\"type\":\"";
    s += FraudTypeName(c.type);
    s += "\",\"institutions\":";
    StrList(s, c.institutions);
    s += ",\"psn_nos\":";
    StrList(s, c.psn_nos);
    s += ",\"codes\":";
    StrList(s, c.codes);
    s += ",\"description\":";
    Str(s, c.description);
    s += '}';
  }
  s += "]}\n";
  return s;
}

std::string ManifestJson(const Region& region) {
  const Stats& st = region.stats;
  std::string s = "{\"options\":" + OptionsJson(region.options) + ",\n\"stats\":{";
  s += "\"messages\":" + std::to_string(st.messages) + ",\"rows\":" + std::to_string(st.rows) +
       ",\"code_events\":" + std::to_string(st.code_events);
  static constexpr const char* kInf[] = {"3501", "3502", "3503", "3504", "3505", "3506", "3507"};
  s += ",\"rows_by_infno\":{";
  for (int i = 0; i < 7; ++i) {
    if (i) s += ',';
    s += "\"" + std::string(kInf[i]) + "\":" + std::to_string(st.rows_by_infno[i]);
  }
  s += "},\"missing_scans\":" + std::to_string(st.missing_scans) +
       ",\"ean_scans\":" + std::to_string(st.ean_scans) +
       ",\"double_scans\":" + std::to_string(st.double_scans) +
       ",\"gs_dropped\":" + std::to_string(st.gs_dropped) +
       ",\"offline_days\":" + std::to_string(st.offline_days) +
       ",\"no_code_stock_sales\":" + std::to_string(st.no_code_stock_sales) + "},\n\"terminals\":[";
  for (std::size_t i = 0; i < region.terminals.size(); ++i) {
    const Terminal& t = region.terminals[i];
    std::size_t codes = 0;
    for (const Message& m : t.messages) codes += m.codes;
    s += i ? ",\n{\"fixmedins_code\":" : "\n{\"fixmedins_code\":";
    Str(s, t.fixmedins_code);
    s += ",\"fixmedins_name\":";
    Str(s, t.name);
    s += ",\"institution_class\":\"" + t.institution_class + "\",\"kind\":\"" + t.kind +
         "\",\"file\":\"terminals/" + t.fixmedins_code +
         ".ndjson\",\"messages\":" + std::to_string(t.messages.size()) +
         ",\"code_events\":" + std::to_string(codes) +
         ",\"token\":\"drugtrace token create --db LEDGER --role terminal --institution " +
         t.fixmedins_code + "\"}";
  }
  s += "]}\n";
  return s;
}

ledger::Status WriteRegion(const Region& region, const std::string& dir) {
  LEDGER_RETURN_IF_ERROR(MakeDir(dir));
  LEDGER_RETURN_IF_ERROR(MakeDir(dir + "/terminals"));
  LEDGER_RETURN_IF_ERROR(WriteFile(dir + "/refdata.json", region.refdata_json));
  LEDGER_RETURN_IF_ERROR(WriteFile(dir + "/truth.json", TruthJson(region)));
  LEDGER_RETURN_IF_ERROR(WriteFile(dir + "/manifest.json", ManifestJson(region)));
  std::string text;
  for (const Terminal& t : region.terminals) {
    text.clear();
    for (const Message& m : t.messages) {
      text += m.json;
      text += '\n';
    }
    LEDGER_RETURN_IF_ERROR(WriteFile(dir + "/terminals/" + t.fixmedins_code + ".ndjson", text));
  }
  return ledger::Status::Ok();
}

std::vector<std::pair<std::size_t, std::size_t>> UploadOrder(const Region& region) {
  std::vector<std::pair<std::size_t, std::size_t>> order;
  std::vector<std::size_t> next(region.terminals.size(), 0);
  for (int day = 0; day <= region.options.days; ++day) {
    for (std::size_t t = 0; t < region.terminals.size(); ++t) {
      const auto& msgs = region.terminals[t].messages;
      while (next[t] < msgs.size() && msgs[next[t]].upload_day <= day)
        order.emplace_back(t, next[t]++);
    }
  }
  return order;
}

}  // namespace simulate
