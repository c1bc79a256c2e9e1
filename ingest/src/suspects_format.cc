// Names, JSON and CSV of suspect cases (docs/suspects.md).
#include <array>

#include "ingest/json.h"
#include "ingest/suspects.h"
#include "suspects_internal.h"

namespace ingest {

namespace {

constexpr std::array<const char*, kCaseTypeCount> kTypeNames = {
    "pack_chain",   "collector",      "resale",           "code_reuse",     "split_over",
    "product_swap", "return_anomaly", "patient_returned", "patient_overbuy"};
constexpr std::array<const char*, 4> kStatusNames = {"open", "investigating", "confirmed",
                                                     "dismissed"};

std::string MonthText(int month) {
  std::string m = std::to_string(month % 100);
  return std::to_string(month / 100) + "-" + (m.size() < 2 ? "0" + m : m);
}

Json EvidenceJson(const Evidence& e) {
  return {{"entry", e.entry},
          {"role", e.role},
          {"institution", e.institution},
          {"infno", std::to_string(e.infno)},
          {"time", e.time},
          {"settle", e.settle},
          {"verdict", e.verdict},
          {"drug", e.drug},
          {"amount_fen", e.amount_fen},
          {"at_risk_fen", e.at_risk_fen},
          {"rules", e.rules}};
}

Json ToJson(const Case& c, bool with_history) {
  Json entries = Json::array(), evidence = Json::array();
  for (const Evidence& e : c.evidence) {
    entries.push_back(e.entry);
    evidence.push_back(EvidenceJson(e));
  }
  Json j = {{"id", c.id},
            {"type", CaseTypeName(c.type)},
            {"key", c.key},
            {"month", MonthText(c.month)},
            {"status", CaseStatusName(c.status)},
            {"assignee", c.assignee},
            {"recovered_fen", c.recovered_fen},
            {"amount_at_risk_fen", c.amount_at_risk_fen},
            {"amount_paid_fen", c.amount_paid_fen},
            {"packs", c.packs},
            {"institutions", c.institutions},
            {"institution_names", c.institution_names},
            {"evidence_entries", entries},
            {"evidence", evidence},
            {"summary_zh", c.summary_zh},
            {"summary_en", c.summary_en}};
  if (with_history) {
    Json h = Json::array();
    for (const CaseAction& a : c.history) {
      h.push_back({{"entry", a.entry},
                   {"action", a.action},
                   {"status_before", a.status_before},
                   {"status_after", a.status_after},
                   {"actor", a.actor},
                   {"reason", a.reason},
                   {"assignee", a.assignee},
                   {"recovered_fen", a.recovered_fen},
                   {"at_ms", a.at_ms}});
    }
    j["history"] = std::move(h);
  }
  return j;
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// RFC 4180 field; a cell a spreadsheet would take for a formula gets a leading apostrophe.
std::string CsvField(std::string s) {
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

template <typename T, typename Fn>
std::string JoinWith(const std::vector<T>& items, Fn&& fn) {
  std::string s;
  for (const T& it : items) {
    if (!s.empty()) s += ';';
    s += fn(it);
  }
  return s;
}

}  // namespace

const char* CaseTypeName(CaseType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<CaseType> CaseTypeFromName(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (name == kTypeNames[i]) return static_cast<CaseType>(i);
  }
  return std::nullopt;
}

const char* CaseStatusName(CaseStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<CaseStatus> CaseStatusFromName(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (name == kStatusNames[i]) return static_cast<CaseStatus>(i);
  }
  return std::nullopt;
}

std::string CasesJson(const std::vector<Case>& cases, const SuspectQuery& query) {
  Json list = Json::array();
  for (const Case& c : cases) list.push_back(ToJson(c, false));
  Json j = {{"count", cases.size()}, {"cases", std::move(list)}};
  if (query.from) j["from"] = validator::FormatDate(*query.from);
  if (query.to) j["to"] = validator::FormatDate(*query.to);
  if (!query.region.empty()) j["region"] = query.region;
  if (query.type) j["type"] = CaseTypeName(*query.type);
  if (query.status) j["status"] = CaseStatusName(*query.status);
  return Dump(j);
}

std::string CaseJson(const Case& c) {
  return Dump(ToJson(c, true));
}

std::string CasesCsvHeader() {
  return "case_id,type,month,status,amount_at_risk_yuan,amount_paid_yuan,recovered_yuan,packs,"
         "institutions,institution_names,evidence_entries,assignee,key,summary_zh,summary_en\r\n";
}

std::string CaseCsvLine(const Case& c) {
  using suspects_internal::Yuan;
  std::string out;
  {
    const std::string fields[] = {
        c.id,
        CaseTypeName(c.type),
        MonthText(c.month),
        CaseStatusName(c.status),
        Yuan(c.amount_at_risk_fen),
        Yuan(c.amount_paid_fen),
        Yuan(c.recovered_fen),
        std::to_string(c.packs),
        JoinWith(c.institutions, [](const std::string& s) { return s; }),
        JoinWith(c.institution_names, [](const std::string& s) { return s; }),
        JoinWith(c.evidence, [](const Evidence& e) { return std::to_string(e.entry); }),
        c.assignee,
        c.key,
        c.summary_zh,
        c.summary_en};
    bool first = true;
    for (const std::string& f : fields) {
      if (!first) out += ',';
      first = false;
      out += CsvField(f);
    }
    out += "\r\n";
  }
  return out;
}

std::string CasesCsv(const std::vector<Case>& cases) {
  std::string out = CasesCsvHeader();
  for (const Case& c : cases) out += CaseCsvLine(c);
  return out;
}

}  // namespace ingest
