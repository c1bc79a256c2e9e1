// Building suspect cases from row_facts and the evidence entries (docs/suspects.md).
#include "ingest/suspects.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "ingest/json.h"
#include "ingest/refdata_json.h"
#include "suspects_internal.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::RowFact;
using ledger::Status;

constexpr int kReceiptInfnos[] = {3501, 3503, 3504};
constexpr int kSale = 3505;
constexpr int kBlock = 2;
constexpr int kInsured = 1;
constexpr std::int64_t kDoubleScanSeconds = 60;
// A patient's boxes sold again by the counter that sold them: from this many purchases (visits on
// different days), a pattern.
constexpr std::size_t kPatternPurchases = 2;
constexpr std::uint32_t kHugeBoxes = UINT32_MAX;  // over-buy pre-filter: "this row alone is huge"

// The rules suspects are built from, as recorded in row_facts.rules and the entries' findings.
const std::vector<std::string>& SuspectRules() {
  static const std::vector<std::string> kRules = {"CODE_REUSED", "CODE_RESOLD",
                                                  "SPLIT_OVER_CAPACITY", "PRODUCT_MISMATCH",
                                                  "RETURN_WITHOUT_SALE"};
  return kRules;
}

struct ParsedFinding {
  std::string rule;
  std::string identity;
  std::optional<std::uint64_t> prior_entry;
};

// The findings array of an upload-row entry. Entries are canonical JSON with sorted keys, so
// "findings" is the first member: only that array is parsed (the row, usually the larger part, is
// skipped). Anything else falls back to parsing the whole entry.
std::optional<Json> FindingsOf(std::string_view bytes) {
  constexpr std::string_view kPrefix = "{\"findings\":[";
  if (bytes.substr(0, kPrefix.size()) == kPrefix) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = kPrefix.size() - 1; i < bytes.size(); ++i) {
      const char c = bytes[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if ((c == ']' || c == '}') && --depth == 0) {
        Json j = Json::parse(bytes.substr(kPrefix.size() - 1, i + 2 - kPrefix.size()), nullptr,
                             /*allow_exceptions=*/false);
        if (j.is_array()) return j;
        break;
      }
    }
  }
  std::string error;
  auto doc = ParseJson(bytes, error, {.max_depth = 64});
  if (!doc || !doc->is_object() || !doc->contains("findings") || !(*doc)["findings"].is_array()) {
    return std::nullopt;
  }
  return std::move((*doc)["findings"]);
}

bool IsSuspectRule(std::string_view rule) {
  return std::find(SuspectRules().begin(), SuspectRules().end(), rule) != SuspectRules().end();
}

// The fast path of ReadFindings, for the array as ingest writes it (message.cc FindingsText):
// `{"findings":[` then flat objects whose members are strings or integers. Appends the findings
// with a suspect rule; false (out unspecified) for anything else, which the full parser then reads.
bool ScanFindings(std::string_view bytes, std::vector<ParsedFinding>& out) {
  constexpr std::string_view kPrefix = "{\"findings\":[";
  if (bytes.substr(0, kPrefix.size()) != kPrefix) return false;
  std::size_t i = kPrefix.size();
  const auto at = [&](std::size_t k) { return k < bytes.size() ? bytes[k] : '\0'; };
  // A string starting at i (the opening quote); sets `text` and whether it holds an escape.
  const auto string = [&](std::string_view& text, bool& escaped) {
    if (at(i) != '"') return false;
    const std::size_t start = ++i;
    escaped = false;
    while (i < bytes.size() && bytes[i] != '"') {
      if (bytes[i] == '\\') {
        escaped = true;
        ++i;
      }
      ++i;
    }
    if (i >= bytes.size()) return false;
    text = bytes.substr(start, i - start);
    ++i;
    return true;
  };
  if (at(i) == ']') return true;
  while (true) {
    if (at(i++) != '{') return false;
    ParsedFinding p;
    while (true) {
      std::string_view key, text;
      bool escaped = false;
      if (!string(key, escaped) || escaped || at(i++) != ':') return false;
      if (at(i) == '"') {
        if (!string(text, escaped)) return false;
        if (key == "rule" || key == "identity") {
          if (escaped) return false;
          (key == "rule" ? p.rule : p.identity) = std::string(text);
        }
      } else {
        std::int64_t v = 0;
        const char* first = bytes.data() + i;
        auto [end, ec] = std::from_chars(first, bytes.data() + bytes.size(), v);
        if (ec != std::errc() || end == first) return false;
        i += static_cast<std::size_t>(end - first);
        if (key == "prior_entry" && v >= 0) p.prior_entry = static_cast<std::uint64_t>(v);
      }
      const char c = at(i++);
      if (c == '}') break;
      if (c != ',') return false;
    }
    if (IsSuspectRule(p.rule)) out.push_back(std::move(p));
    const char c = at(i++);
    if (c == ']') return true;
    if (c != ',') return false;
  }
}

// The findings of one upload-row entry that matter here.
Result<std::vector<ParsedFinding>> ReadFindings(ledger::Ledger& ledger, std::uint64_t entry) {
  auto e = ledger.Get(entry);
  if (!e.ok()) return e.status();
  std::vector<ParsedFinding> fast;
  if (ScanFindings(e->bytes, fast)) return fast;
  auto findings = FindingsOf(e->bytes);
  if (!findings) {
    return Status::Corruption("entry " + std::to_string(entry) +
                              " has row facts but is not a readable upload row");
  }
  std::vector<ParsedFinding> out;
  for (const Json& f : *findings) {
    if (!f.is_object()) continue;
    ParsedFinding p;
    p.rule = f.value("rule", std::string());
    if (!IsSuspectRule(p.rule)) continue;
    p.identity = f.value("identity", std::string());
    if (auto it = f.find("prior_entry");
        it != f.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      p.prior_entry = static_cast<std::uint64_t>(it->get<std::int64_t>());
    }
    out.push_back(std::move(p));
  }
  return out;
}

// What a case is assembling: its rows and, per row, the packs of the case on it.
struct Builder {
  CaseType type;
  std::string key;
  int month = 0;
  std::string primary_institution;  // institution cases
  struct Row {
    std::string role;
    std::vector<std::string> identities;  // distinct; a row scans a few codes
    bool row_level = false;               // the whole row is implicated
  };
  std::map<std::uint64_t, Row> rows;
  std::unordered_set<std::string> packs;
  // Patient over-buy: rows whose amount counts (purchases beyond the main institution).
  std::set<std::uint64_t> counted_only;
  bool restrict_counted = false;
  std::int64_t boxes_milli = 0;  // patient over-buy: exact boxes bought in the month

  void Add(std::uint64_t entry, const std::string& role, const std::string& identity) {
    Row& r = rows[entry];
    // "flagged" wins over "prior_sale" when a row is both (a resale that was itself resold).
    if (r.role.empty() || role == "flagged") r.role = role;
    if (identity.empty()) {
      r.row_level = true;
    } else {
      if (std::find(r.identities.begin(), r.identities.end(), identity) == r.identities.end()) {
        r.identities.push_back(identity);
        packs.insert(identity);
      }
    }
  }
};

std::string BuilderKey(CaseType type, const std::string& key, int month) {
  return std::string(CaseTypeName(type)) + '\x1f' + key + '\x1f' + std::to_string(month);
}

struct Period {
  validator::Date from, to;
  ledger::FactRange range;
};

Result<std::optional<Period>> ResolvePeriod(ledger::Ledger& ledger, const SuspectQuery& q) {
  if (q.from.has_value() != q.to.has_value()) {
    return Status::InvalidArgument(q.from ? "--to is missing: give --from and --to together"
                                          : "--from is missing: give --from and --to together");
  }
  Period p;
  if (q.from) {
    p.from = *q.from;
    p.to = *q.to;
    if (p.to < p.from) {
      return Status::InvalidArgument("--from " + validator::FormatDate(p.from) + " is after --to " +
                                     validator::FormatDate(p.to));
    }
  } else {
    auto latest = ledger::LatestFactMonth(ledger);
    if (!latest.ok()) return latest.status();
    if (!*latest) return std::optional<Period>();
    const int y = **latest / 100, m = **latest % 100;
    if (m < 1 || m > 12) {
      return Status::Corruption("row_facts holds an impossible month " + std::to_string(**latest));
    }
    p.from = {y, m, 1};
    p.to = {y, m, validator::DaysInMonth(y, m)};
  }
  p.range.month_from = p.from.year * 100 + p.from.month;
  p.range.month_to = p.to.year * 100 + p.to.month;
  p.range.time_from = validator::DaysFromCivil(p.from) * 86400;
  p.range.time_to = validator::DaysFromCivil(p.to) * 86400 + 86399;
  return std::optional<Period>(p);
}

// Share of a row's amount for `n` packs out of the codes scanned on it.
std::int64_t Share(const RowFact& f, std::size_t n, bool row_level) {
  if (row_level || f.codes <= 0 || n == 0) return f.amount_fen;
  const auto k = static_cast<std::int64_t>(std::min<std::size_t>(n, f.codes));
  return f.amount_fen * k / f.codes;
}

}  // namespace

namespace suspects_internal {

Result<validator::RefData> LoadRefDataInForce(ledger::Ledger& ledger) {
  validator::RefData ref;
  auto entry = ledger::LatestRefDataEntry(ledger);
  if (!entry.ok()) return entry.status();
  if (!*entry) return ref;
  auto e = ledger.Get(**entry);
  if (!e.ok()) return e.status();
  std::string error;
  auto doc = ParseJson(e->bytes, error, {.max_depth = 64});
  if (!doc || !doc->contains("document")) {
    return Status::Corruption("reference data entry " + std::to_string(**entry) +
                              " is unreadable: " + error);
  }
  if (!LoadRefData((*doc)["document"], ref, error)) {
    return Status::Corruption("reference data entry " + std::to_string(**entry) + ": " + error);
  }
  return ref;
}

bool RegionContains(std::string_view scope, std::string_view admdvs) {
  if (scope.empty()) return true;
  // Trailing "00" pairs widen the scope: 130800 is the city of 1308xx, 130000 the province 13xxxx.
  std::string_view prefix = scope;
  while (prefix.size() > 2 && prefix.substr(prefix.size() - 2) == "00") {
    prefix.remove_suffix(2);
  }
  return admdvs.substr(0, prefix.size()) == prefix;
}

std::string MakeCaseId(CaseType type, std::string_view key, int month) {
  std::string material = CaseTypeName(type);
  material += '\x1f';
  material += key;
  material += '\x1f';
  material += std::to_string(month);
  const ledger::Hash h = ledger::Sha256(ledger::AsBytes(material));
  return std::string(CaseTypeName(type)) + "-" + std::to_string(month) + "-" +
         ledger::ToHex(ledger::Bytes(h.data(), 6));
}

std::optional<ParsedCaseId> ParseCaseId(std::string_view id) {
  const std::size_t a = id.find('-');
  if (a == std::string_view::npos) return std::nullopt;
  const std::size_t b = id.find('-', a + 1);
  if (b == std::string_view::npos || id.find('-', b + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto type = CaseTypeFromName(id.substr(0, a));
  std::string_view month = id.substr(a + 1, b - a - 1);
  std::string_view hex = id.substr(b + 1);
  if (!type || month.size() != 6 || hex.size() != 12) return std::nullopt;
  int m = 0;
  for (char c : month) {
    if (c < '0' || c > '9') return std::nullopt;
    m = m * 10 + (c - '0');
  }
  if (m % 100 < 1 || m % 100 > 12) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return ParsedCaseId{*type, m};
}

std::string Yuan(std::int64_t fen) {
  const bool neg = fen < 0;
  const std::uint64_t a =
      neg ? 0 - static_cast<std::uint64_t>(fen) : static_cast<std::uint64_t>(fen);
  std::string cents = std::to_string(a % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return (neg ? "-" : "") + std::to_string(a / 100) + "." + cents;
}

}  // namespace suspects_internal

namespace {

using suspects_internal::Yuan;

std::string InstitutionLabel(const validator::RefData& ref, const std::string& code, bool zh) {
  const validator::Institution* inst = ref.FindInstitution(code);
  if (inst == nullptr || inst->name.empty()) return code;
  return zh ? inst->name + "（" + code + "）" : inst->name + " (" + code + ")";
}

std::string DrugLabel(const validator::RefData& ref, const std::string& drug) {
  const validator::Drug* d = ref.FindDrug(drug);
  return d == nullptr || d->name.empty() ? drug : d->name + " " + drug;
}

void Summarize(Case& c, const validator::RefData& ref, std::size_t flagged, std::size_t priors) {
  const std::string amount = Yuan(c.amount_at_risk_fen);
  const std::string packs = std::to_string(c.packs);
  const std::string rows = std::to_string(flagged);
  const std::string inst_zh = c.institutions.empty() ? "" : InstitutionLabel(ref, c.key, true);
  const std::string inst_en = c.institutions.empty() ? "" : InstitutionLabel(ref, c.key, false);
  const std::string where_zh = [&] {
    std::string s;
    for (const auto& i : c.institutions) s += (s.empty() ? "" : "、") + i;
    return s;
  }();
  const std::string where_en = [&] {
    std::string s;
    for (const auto& i : c.institutions) s += (s.empty() ? "" : ", ") + i;
    return s;
  }();
  switch (c.type) {
    case CaseType::kPackChain:
      c.summary_zh = "同一盒药（" + c.key + "）售出后又出现 " + rows + " 次（涉及 " + where_zh +
                     "），疑似回流或重复使用追溯码；涉及医保金额 " + amount + " 元。";
      c.summary_en = "One box (" + c.key + ") reappeared " + rows + " time(s) after it was sold (" +
                     where_en + "): resold or reused code; insured amount at risk " + amount +
                     " yuan.";
      break;
    case CaseType::kCollector:
      c.summary_zh = inst_zh + " 接收了 " + packs + " 盒已在其他机构售出的药品（其中 " +
                     std::to_string(priors) + " 次为医保结算），疑似收购回流药；涉及医保金额 " +
                     amount + " 元。";
      c.summary_en = inst_en + " took in " + packs +
                     " box(es) already sold at other institutions (" + std::to_string(priors) +
                     " insured sale(s)): a collector of 回流药; insured amount at risk " + amount +
                     " yuan.";
      break;
    case CaseType::kResale:
      c.summary_zh = inst_zh + " 销售了 " + packs +
                     " 盒已在其他机构售出的药品，疑似销售回流药；涉及医保金额 " + amount + " 元。";
      c.summary_en =
          inst_en + " sold " + packs +
          " box(es) already sold at other institutions (回流药); insured amount at risk " + amount +
          " yuan.";
      break;
    case CaseType::kCodeReuse:
      c.summary_zh = inst_zh + " 有 " + packs + " 盒已售出未退货的药品追溯码被再次使用（" + rows +
                     " 行）；涉及医保金额 " + amount + " 元。";
      c.summary_en = inst_en + " reused the codes of " + packs + " box(es) it had already sold (" +
                     rows + " row(s)); insured amount at risk " + amount + " yuan.";
      break;
    case CaseType::kSplitOver:
      c.summary_zh = inst_zh + " 有 " + packs + " 盒药拆零销售超出整盒含量或整盒与拆零混售（" +
                     rows + " 行）；涉及医保金额 " + amount + " 元。";
      c.summary_en = inst_en + " sold " + packs + " pack(s) in parts beyond their content (" +
                     rows + " row(s)); insured amount at risk " + amount + " yuan.";
      break;
    case CaseType::kProductSwap:
      c.summary_zh = inst_zh + " 有 " + rows + " 行销售的追溯码与结算药品不符（串换），涉及 " +
                     packs + " 盒；涉及医保金额 " + amount + " 元。";
      c.summary_en = inst_en + " billed " + rows +
                     " row(s) as a drug other than the scanned codes identify (串换, " + packs +
                     " box(es)); insured amount at risk " + amount + " yuan.";
      break;
    case CaseType::kReturnAnomaly:
      c.summary_zh = inst_zh + " 有 " + rows + " 行退货找不到本机构的对应销售（" + packs +
                     " 盒）；涉及医保金额 " + amount + " 元。";
      c.summary_en = inst_en + " recorded " + rows +
                     " sale return row(s) without a matching sale (" + packs +
                     " box(es)); insured amount at risk " + amount + " yuan.";
      break;
    case CaseType::kPatientReturned:
      c.summary_zh = "参保人（" + c.key.substr(0, 12) + "…）医保购买的 " + packs +
                     " 盒药品又回到流通环节（" + where_zh + "），疑似倒卖；涉及医保金额 " + amount +
                     " 元。";
      c.summary_en = "Insured person " + c.key.substr(0, 12) + "…: " + packs +
                     " box(es) bought with insurance came back into the chain (" + where_en +
                     "); insured amount at risk " + amount + " yuan.";
      break;
    case CaseType::kPatientOverbuy: {
      const std::string drug = DrugLabel(ref, c.key.substr(c.key.find('|') + 1));
      c.summary_zh = "参保人（" + c.key.substr(0, 12) + "…）本月在 " +
                     std::to_string(c.institutions.size()) + " 家机构医保购买 " + drug + " 共 " +
                     packs + " 盒，疑似超量配药；主要机构以外的医保金额 " + amount + " 元。";
      c.summary_en = "Insured person " + c.key.substr(0, 12) + "… bought " + packs +
                     " box(es) of " + drug + " with insurance at " +
                     std::to_string(c.institutions.size()) +
                     " institutions in the month: over-buying; insured amount outside the main "
                     "institution " +
                     amount + " yuan.";
      break;
    }
  }
}

struct BuildState {
  ledger::Ledger& ledger;
  const SuspectQuery& q;
  validator::RefData ref;
  std::unordered_map<std::uint64_t, RowFact> facts;   // every row a case refers to
  std::map<std::string, Builder> builders;            // BuilderKey -> case under construction
  std::map<std::string, std::size_t> priors_insured;  // collector: insured prior sales

  Builder& Get(CaseType type, const std::string& key, int month) {
    auto [it, fresh] = builders.try_emplace(BuilderKey(type, key, month));
    if (fresh) {
      it->second.type = type;
      it->second.key = key;
      it->second.month = month;
    }
    return it->second;
  }
  bool Wanted(CaseType t) const { return !q.type || *q.type == t; }

  Status FetchFacts(const std::vector<std::uint64_t>& entries) {
    std::vector<std::uint64_t> missing;
    for (std::uint64_t e : entries) {
      if (!facts.count(e)) missing.push_back(e);
    }
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    auto got = ledger::RowFactsByEntry(ledger, missing);
    if (!got.ok()) return got.status();
    for (RowFact& f : *got) facts.emplace(f.entry, std::move(f));
    return Status::Ok();
  }

  // One insured paid sale as the over-buy grouping needs it (24 bytes: a month may hold
  // millions). `key` hashes (psn_hash, drug, month); equal keys are checked exactly later.
  struct Purchase {
    std::uint64_t key;
    std::uint64_t entry;
    std::uint32_t boxes_milli;  // kHugeBoxes for a row of that many or more
    std::uint32_t institution;  // interned
  };
  std::vector<RowFact> flagged;     // rows with a suspect rule, from Scan
  std::vector<Purchase> purchases;  // over-buy candidates, from Scan

  Status Scan(const ledger::FactRange& range);
  Status FromFindings();
  Status Overbuy();
  Status AddHistory();
  std::vector<Case> Finish();
};

// Whether a comma-separated rules list names a rule suspects are built from.
bool HasSuspectRule(std::string_view rules) {
  while (!rules.empty()) {
    const std::size_t comma = rules.find(',');
    const std::string_view rule = rules.substr(0, comma);
    for (const std::string& r : SuspectRules()) {
      if (rule == r) return true;
    }
    if (comma == std::string_view::npos) break;
    rules.remove_prefix(comma + 1);
  }
  return false;
}

struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
};

// The period's rows, read once: the flagged ones kept whole, the insured paid sales (over-buy)
// kept compact.
Status BuildState::Scan(const ledger::FactRange& range) {
  const bool overbuy = Wanted(CaseType::kPatientOverbuy);
  std::unordered_map<std::string, std::uint32_t, ViewHash, std::equal_to<>> institutions;
  std::string_view last_institution;
  std::uint32_t last_id = 0;
  auto intern = [&](std::string_view institution) {
    if (institution == last_institution && !institutions.empty()) return last_id;
    auto it = institutions.find(institution);
    if (it == institutions.end()) {
      it = institutions
               .emplace(std::string(institution), static_cast<std::uint32_t>(institutions.size()))
               .first;
    }
    last_institution = it->first;  // a view of the map's key: stable
    last_id = it->second;
    return last_id;
  };
  return ledger::ScanRowFacts(ledger, range, [&](const ledger::RowFactView& v) {
    if (!v.rules.empty() && HasSuspectRule(v.rules)) flagged.push_back(v.ToFact());
    if (overbuy && v.infno == kSale && v.settle == kInsured && v.verdict != kBlock &&
        !v.psn_hash.empty()) {
      const std::hash<std::string_view> h;
      const std::uint64_t key = (h(v.psn_hash) * 0x9E3779B97F4A7C15ull) ^ h(v.drug) ^
                                (static_cast<std::uint64_t>(v.month) << 40);
      const std::int64_t boxes = std::clamp<std::int64_t>(v.boxes_milli, 0, kHugeBoxes);
      purchases.push_back({key, v.entry, static_cast<std::uint32_t>(boxes), intern(v.institution)});
    }
    return Status::Ok();
  });
}

Status BuildState::FromFindings() {
  struct Pending {
    std::uint64_t entry;
    std::vector<ParsedFinding> findings;
  };
  std::vector<Pending> pending;
  std::vector<std::uint64_t> priors;
  // In entry order: the entries are read where they lie.
  std::sort(flagged.begin(), flagged.end(),
            [](const RowFact& a, const RowFact& b) { return a.entry < b.entry; });
  for (RowFact& f : flagged) {
    auto findings = ReadFindings(ledger, f.entry);
    if (!findings.ok()) return findings.status();
    for (const auto& pf : *findings) {
      if (pf.prior_entry) priors.push_back(*pf.prior_entry);
    }
    pending.push_back({f.entry, std::move(*findings)});
    facts.emplace(f.entry, std::move(f));
  }
  LEDGER_RETURN_IF_ERROR(FetchFacts(priors));

  struct SameCounter {
    std::uint64_t entry, prior;
    std::string identity, psn_hash;
    int month;
  };
  std::vector<SameCounter> same_counter;
  for (const Pending& p : pending) {
    const RowFact& row = facts.at(p.entry);
    const bool receipt = std::find(std::begin(kReceiptInfnos), std::end(kReceiptInfnos),
                                   row.infno) != std::end(kReceiptInfnos);
    for (const ParsedFinding& f : p.findings) {
      const RowFact* prior = nullptr;
      if (f.prior_entry) {
        auto it = facts.find(*f.prior_entry);
        if (it != facts.end()) prior = &it->second;
      }
      auto add = [&](Builder& b) {
        b.Add(p.entry, "flagged", f.identity);
        if (prior != nullptr) b.Add(prior->entry, "prior_sale", f.identity);
        if (b.primary_institution.empty() && b.type != CaseType::kPackChain &&
            b.type != CaseType::kPatientReturned) {
          b.primary_institution = row.institution;
        }
      };
      const bool pack_rule =
          f.rule == "CODE_REUSED" || f.rule == "CODE_RESOLD" || f.rule == "SPLIT_OVER_CAPACITY";
      if (pack_rule && !f.identity.empty() && Wanted(CaseType::kPackChain)) {
        add(Get(CaseType::kPackChain, f.identity, row.month));
      }
      if (f.rule == "CODE_RESOLD") {
        if (receipt && Wanted(CaseType::kCollector)) {
          add(Get(CaseType::kCollector, row.institution, row.month));
          if (prior != nullptr && prior->settle == kInsured) {
            ++priors_insured[BuilderKey(CaseType::kCollector, row.institution, row.month)];
          }
        } else if (row.infno == kSale && Wanted(CaseType::kResale)) {
          add(Get(CaseType::kResale, row.institution, row.month));
        }
      } else if (f.rule == "CODE_REUSED" && Wanted(CaseType::kCodeReuse)) {
        add(Get(CaseType::kCodeReuse, row.institution, row.month));
      } else if (f.rule == "SPLIT_OVER_CAPACITY" && Wanted(CaseType::kSplitOver)) {
        add(Get(CaseType::kSplitOver, row.institution, row.month));
      } else if (f.rule == "PRODUCT_MISMATCH" && Wanted(CaseType::kProductSwap)) {
        add(Get(CaseType::kProductSwap, row.institution, row.month));
      } else if (f.rule == "RETURN_WITHOUT_SALE" && Wanted(CaseType::kReturnAnomaly)) {
        add(Get(CaseType::kReturnAnomaly, row.institution, row.month));
      }
      // The patient whose insured purchase came back. The box left the counter with the patient
      // when it reappears at another institution (CODE_RESOLD) or back in stock through the
      // supply side at the one that sold it (CODE_REUSED on a receipt, count or purchase return).
      // A code sold again by the institution that sold it (CODE_REUSED on a sale) is that
      // institution's reuse (code_reuse): one such box says nothing about the patient, whose code
      // the counter may simply have kept. Boxes of several of the patient's purchases coming back
      // at the counter are a pattern (a pharmacy buying back its customers' boxes) and open a
      // case; one box only joins a case the patient has anyway.
      if ((f.rule == "CODE_RESOLD" || f.rule == "CODE_REUSED") && prior != nullptr &&
          prior->infno == kSale && prior->settle == kInsured && !prior->psn_hash.empty() &&
          Wanted(CaseType::kPatientReturned)) {
        const bool double_scan = prior->institution == row.institution && row.time >= prior->time &&
                                 row.time - prior->time <= kDoubleScanSeconds;
        const bool left_counter = f.rule == "CODE_RESOLD" || receipt;
        if (left_counter) {
          add(Get(CaseType::kPatientReturned, prior->psn_hash, row.month));
        } else if (!double_scan) {
          same_counter.push_back({p.entry, prior->entry, f.identity, prior->psn_hash, row.month});
        }
      }
    }
  }
  // Same-counter resales of a patient's boxes: a case from kPatternPurchases purchases on. A
  // purchase is a visit: the rows of one transaction (one day at one institution) are one.
  std::map<std::string, std::set<std::pair<std::string, std::int64_t>>> purchases_back;
  for (const SameCounter& sc : same_counter) {
    const RowFact& prior = facts.at(sc.prior);
    purchases_back[BuilderKey(CaseType::kPatientReturned, sc.psn_hash, sc.month)].emplace(
        prior.institution, validator::DaysFromCivil(validator::DateOf(prior.time)));
  }
  for (const SameCounter& sc : same_counter) {
    const std::string key = BuilderKey(CaseType::kPatientReturned, sc.psn_hash, sc.month);
    Builder* b = nullptr;
    if (purchases_back[key].size() >= kPatternPurchases) {
      b = &Get(CaseType::kPatientReturned, sc.psn_hash, sc.month);
    } else if (auto it = builders.find(key); it != builders.end()) {
      b = &it->second;
    }
    if (b == nullptr) continue;
    b->Add(sc.entry, "flagged", sc.identity);
    b->Add(sc.prior, "prior_sale", sc.identity);
  }
  return Status::Ok();
}

Status BuildState::Overbuy() {
  if (!Wanted(CaseType::kPatientOverbuy)) return Status::Ok();
  const std::int64_t min_boxes = std::max<std::int64_t>(q.overbuy_boxes_per_month, 1);
  // Candidates: keys (person, drug, month) with at least two institutions and enough boxes. Voids
  // only lower a sum, hash collisions only merge groups: every group that qualifies is among them,
  // and each is checked exactly below.
  std::sort(purchases.begin(), purchases.end(), [](const Purchase& a, const Purchase& b) {
    return a.key != b.key ? a.key < b.key : a.institution < b.institution;
  });
  std::vector<std::uint64_t> candidates;
  for (std::size_t i = 0; i < purchases.size();) {
    std::size_t j = i;
    std::int64_t total = 0;
    bool huge = false;
    while (j < purchases.size() && purchases[j].key == purchases[i].key) {
      total += purchases[j].boxes_milli;
      huge = huge || purchases[j].boxes_milli == kHugeBoxes;
      ++j;
    }
    if (purchases[i].institution != purchases[j - 1].institution &&
        (huge || total >= min_boxes * 1000)) {
      for (std::size_t k = i; k < j; ++k) candidates.push_back(purchases[k].entry);
    }
    i = j;
  }
  purchases = {};
  std::sort(candidates.begin(), candidates.end());
  // A voided sale was never a purchase.
  auto voided = ledger::VoidedEntries(ledger, candidates);
  if (!voided.ok()) return voided.status();
  std::erase_if(candidates, [&](std::uint64_t e) {
    return std::binary_search(voided->begin(), voided->end(), e);
  });
  LEDGER_RETURN_IF_ERROR(FetchFacts(candidates));
  // Exact groups. row_facts counts boxes (split rows: units over the pack content,
  // docs/reports.md).
  std::map<std::tuple<std::string_view, std::string_view, int>, std::vector<const RowFact*>> groups;
  for (std::uint64_t e : candidates) {
    const RowFact& f = facts.at(e);
    groups[{f.psn_hash, f.drug, f.month}].push_back(&f);
  }
  {
    for (const auto& [group, rows] : groups) {
      const auto& [psn_hash, drug, month] = group;
      std::map<std::string, std::int64_t> per_inst;  // boxes per institution
      std::int64_t total = 0;
      for (const RowFact* f : rows) {
        per_inst[f->institution] += f->boxes_milli;
        total += f->boxes_milli;
      }
      if (per_inst.size() < 2 || total < min_boxes * 1000) continue;
      // The main institution (most boxes; the smaller code on a tie) is not counted at risk.
      std::string main;
      std::int64_t best = -1;
      for (const auto& [inst, boxes] : per_inst) {
        if (boxes > best) {
          best = boxes;
          main = inst;
        }
      }
      Builder& b =
          Get(CaseType::kPatientOverbuy, std::string(psn_hash) + "|" + std::string(drug), month);
      b.restrict_counted = true;
      for (const RowFact* f : rows) {
        b.Add(f->entry, "flagged", "");
        if (f->institution != main) b.counted_only.insert(f->entry);
      }
      b.boxes_milli = total;
    }
  }
  return Status::Ok();
}

Status BuildState::AddHistory() {
  if (!q.pack_history) return Status::Ok();
  for (auto& [k, b] : builders) {
    if (b.type != CaseType::kPackChain) continue;
    auto hist = q.pack_history(b.key);
    if (!hist.ok()) return hist.status();
    LEDGER_RETURN_IF_ERROR(FetchFacts(*hist));
    for (std::uint64_t e : *hist) {
      if (!b.rows.count(e) && facts.count(e)) b.rows[e] = Builder::Row{"history", {}, false};
    }
  }
  return Status::Ok();
}

std::vector<Case> BuildState::Finish() {
  std::vector<Case> out;
  out.reserve(builders.size());
  for (const auto& [bkey, b] : builders) {
    Case c;
    c.type = b.type;
    c.key = b.key;
    c.month = b.month;
    c.id = suspects_internal::MakeCaseId(b.type, b.key, b.month);
    std::set<std::string> insts;
    std::size_t flagged = 0;
    for (const auto& [entry, r] : b.rows) {
      auto it = facts.find(entry);
      if (it == facts.end()) continue;  // a prior entry without facts (not an upload row)
      const RowFact& f = it->second;
      Evidence ev;
      ev.entry = entry;
      ev.role = r.role;
      ev.institution = f.institution;
      ev.infno = f.infno;
      ev.time = validator::FormatCivilTime(f.time);
      ev.settle = f.settle;
      ev.verdict = f.verdict == 0 ? "ok" : f.verdict == 1 ? "warn" : "block";
      ev.drug = f.drug;
      ev.amount_fen = f.amount_fen;
      ev.rules = f.rules;
      const bool counts = r.role != "history" && f.infno == kSale && f.settle == kInsured &&
                          (!b.restrict_counted || b.counted_only.count(entry));
      if (counts) ev.at_risk_fen = Share(f, r.identities.size(), r.row_level);
      c.amount_at_risk_fen += ev.at_risk_fen;
      if (f.verdict != kBlock) c.amount_paid_fen += ev.at_risk_fen;
      if (r.role != "history") insts.insert(f.institution);
      if (r.role == "flagged") ++flagged;
      c.evidence.push_back(std::move(ev));
    }
    if (c.evidence.empty()) continue;
    if (!b.primary_institution.empty()) {
      c.institutions.push_back(b.primary_institution);
      insts.erase(b.primary_institution);
    }
    c.institutions.insert(c.institutions.end(), insts.begin(), insts.end());
    for (const std::string& i : c.institutions) {
      const validator::Institution* inst = ref.FindInstitution(i);
      c.institution_names.push_back(inst != nullptr ? inst->name : "");
    }
    if (b.type == CaseType::kPatientOverbuy) {
      c.packs = static_cast<int>((b.boxes_milli + 999) / 1000);
    } else {
      c.packs = b.packs.empty() ? static_cast<int>(flagged) : static_cast<int>(b.packs.size());
    }
    const auto pi = priors_insured.find(bkey);
    Summarize(c, ref, flagged, pi == priors_insured.end() ? 0 : pi->second);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Result<validator::Date> ParseQueryDate(std::string_view text, std::string_view what) {
  auto d = validator::ParseDate(text);
  if (!d || text.size() != 10) {
    return Status::InvalidArgument(std::string(what) + " \"" + std::string(text) +
                                   "\" is not a date (expected YYYY-MM-DD, e.g. 2025-08-01)");
  }
  return *d;
}

namespace {

Result<std::vector<Case>> BuildCasesInSnapshot(ledger::Ledger& ledger, const SuspectQuery& q) {
  auto period = ResolvePeriod(ledger, q);
  if (!period.ok()) return period.status();
  if (!*period) return std::vector<Case>();
  auto ref = suspects_internal::LoadRefDataInForce(ledger);
  if (!ref.ok()) return ref.status();
  BuildState s{ledger, q, std::move(*ref), {}, {}, {}, {}, {}};
  LEDGER_RETURN_IF_ERROR(s.Scan((*period)->range));
  LEDGER_RETURN_IF_ERROR(s.FromFindings());
  LEDGER_RETURN_IF_ERROR(s.Overbuy());
  LEDGER_RETURN_IF_ERROR(s.AddHistory());
  std::vector<Case> cases = s.Finish();

  // Statuses from the recorded actions.
  auto actions = ledger::AllCaseActions(ledger);
  if (!actions.ok()) return actions.status();
  std::unordered_map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < cases.size(); ++i) by_id[cases[i].id] = i;
  for (const auto& a : *actions) {
    auto it = by_id.find(a.case_id);
    if (it == by_id.end()) continue;
    Case& c = cases[it->second];
    if (auto st = CaseStatusFromName(a.status_after)) c.status = *st;
    if (!a.assignee.empty()) c.assignee = a.assignee;
    c.recovered_fen += a.recovered_fen;
  }

  std::erase_if(cases, [&](const Case& c) {
    if (q.status && c.status != *q.status) return true;
    if (q.region.empty()) return false;
    return std::none_of(c.institutions.begin(), c.institutions.end(), [&](const std::string& i) {
      const validator::Institution* inst = s.ref.FindInstitution(i);
      return inst != nullptr && suspects_internal::RegionContains(q.region, inst->region);
    });
  });
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) {
    if (a.amount_at_risk_fen != b.amount_at_risk_fen) {
      return a.amount_at_risk_fen > b.amount_at_risk_fen;
    }
    if (a.packs != b.packs) return a.packs > b.packs;
    return a.id < b.id;
  });
  if (q.limit > 0 && cases.size() > q.limit) cases.resize(q.limit);
  return cases;
}

}  // namespace

Result<std::vector<Case>> BuildCases(ledger::Ledger& ledger, const SuspectQuery& q) {
  // One snapshot: the period, the rows, the evidence and the statuses agree even while ingest
  // appends, and the thousands of single-entry reads share one read lock.
  std::vector<Case> cases;
  LEDGER_RETURN_IF_ERROR(ledger::InReadSnapshot(ledger, [&]() -> Status {
    auto built = BuildCasesInSnapshot(ledger, q);
    if (!built.ok()) return built.status();
    cases = std::move(*built);
    return Status::Ok();
  }));
  return cases;
}

}  // namespace ingest
