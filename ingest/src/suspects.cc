// Building suspect cases from row_facts and the evidence entries (docs/suspects.md).
//
// Building keeps compact records only (docs/suspects.md, Performance): the rows a case refers to
// as 64-byte facts whose text columns are interned, the findings as 24-byte records, and each
// (case, row, pack) relation as one link; cases are ranked from those, and the Case structs with
// their evidence are made only for the cases returned.
#include "ingest/suspects.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "ingest/json.h"
#include "ingest/refdata_json.h"
#include "suspects_internal.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::Status;

constexpr int kSale = 3505;
constexpr int kBlock = 2;
constexpr int kInsured = 1;
constexpr std::int64_t kDoubleScanSeconds = 60;
// A patient's boxes sold again by the counter that sold them: from this many purchases (visits on
// different days), a pattern.
constexpr std::size_t kPatternPurchases = 2;
constexpr std::uint32_t kHugeBoxes = UINT32_MAX;  // over-buy pre-filter: "this row alone is huge"

bool IsReceipt(int infno) {
  return infno == 3501 || infno == 3503 || infno == 3504;
}

// The rules suspects are built from, as recorded in row_facts.rules and the entries' findings.
enum class Rule : std::uint8_t { kReused, kResold, kSplitOver, kMismatch, kReturnWithoutSale };
constexpr std::string_view kRuleNames[] = {"CODE_REUSED", "CODE_RESOLD", "SPLIT_OVER_CAPACITY",
                                           "PRODUCT_MISMATCH", "RETURN_WITHOUT_SALE"};

std::optional<Rule> SuspectRule(std::string_view rule) {
  for (std::size_t i = 0; i < std::size(kRuleNames); ++i) {
    if (rule == kRuleNames[i]) return static_cast<Rule>(i);
  }
  return std::nullopt;
}

// Whether a comma-separated rules list names a rule suspects are built from.
bool HasSuspectRule(std::string_view rules) {
  while (!rules.empty()) {
    const std::size_t comma = rules.find(',');
    if (SuspectRule(rules.substr(0, comma))) return true;
    if (comma == std::string_view::npos) break;
    rules.remove_prefix(comma + 1);
  }
  return false;
}

// Strings seen while building (institutions, drugs, patients, pack identities, rule lists), each
// stored once in one arena: an id is 4 bytes, and a million pack identities cost about 50 bytes
// each instead of a std::string and a hash node.
class Interner {
 public:
  std::uint32_t Id(std::string_view s) {
    if (2 * (spans_.size() + 1) > slots_.size()) Grow();
    const std::uint32_t h = Hash(s);
    for (std::size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) {
        const auto id = static_cast<std::uint32_t>(spans_.size());
        spans_.push_back({arena_.size(), s.size()});
        hashes_.push_back(h);
        arena_.append(s);
        slots_[i] = id + 1;
        return id;
      }
      if (hashes_[slot - 1] == h && (*this)[slot - 1] == s) return slot - 1;
    }
  }
  std::string_view operator[](std::uint32_t id) const {
    return std::string_view(arena_).substr(spans_[id].first, spans_[id].second);
  }
  std::string Str(std::uint32_t id) const { return std::string((*this)[id]); }

 private:
  static std::uint32_t Hash(std::string_view s) {
    return static_cast<std::uint32_t>(std::hash<std::string_view>()(s) * 0x9E3779B97F4A7C15ull >>
                                      32);
  }
  void Grow() {
    slots_.assign(std::max<std::size_t>(64, slots_.size() * 2), 0);
    for (std::uint32_t id = 0; id < spans_.size(); ++id) {
      std::size_t i = hashes_[id] & (slots_.size() - 1);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = id + 1;
    }
  }
  std::string arena_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // id -> (offset, size) in arena_
  std::vector<std::uint32_t> hashes_;                       // id -> Hash
  std::vector<std::uint32_t> slots_;                        // open addressing: id + 1, 0 free
};

// A row fact as building keeps it: 64 bytes, text columns interned.
struct Fact {
  std::uint64_t entry = 0;
  std::int64_t time = 0;
  std::int64_t amount_fen = 0;
  std::int64_t boxes_milli = 0;
  std::uint32_t institution = 0, drug = 0, psn_hash = 0, rules = 0;
  std::int32_t month = 0;
  std::int32_t codes = 0;
  std::int16_t infno = 0;
  std::int8_t verdict = 0;
  std::int8_t settle = 0;
};

// Entry -> index of its fact: open addressing, so that a lookup is about one cache miss.
class EntryIndex {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t Find(std::uint64_t entry) const {
    if (slots_.empty()) return kNone;
    for (std::size_t i = Slot(entry);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].second == kNone) return kNone;
      if (slots_[i].first == entry) return slots_[i].second;
    }
  }
  // `entry` must not be present yet.
  void Insert(std::uint64_t entry, std::uint32_t value) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    std::size_t i = Slot(entry);
    while (slots_[i].second != kNone) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = {entry, value};
    ++size_;
  }

 private:
  std::size_t Slot(std::uint64_t entry) const {
    return static_cast<std::size_t>((entry * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void Grow() {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> old = std::move(slots_);
    const std::size_t capacity = std::max<std::size_t>(1024, old.size() * 2);
    slots_.assign(capacity, {0, kNone});
    shift_ = 64 - std::countr_zero(capacity);
    size_ = 0;
    for (const auto& [entry, value] : old) {
      if (value != kNone) Insert(entry, value);
    }
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> slots_;
  std::size_t size_ = 0;
  int shift_ = 64;
};

// One finding of a flagged row with a suspect rule.
struct Finding {
  static constexpr std::uint64_t kNoPrior = UINT64_MAX;
  std::uint64_t entry = 0;
  std::uint64_t prior = kNoPrior;  // prior_entry
  std::uint32_t identity = 0;      // interned pack identity + 1; 0: the finding names no pack
  Rule rule = Rule::kReused;
};

// The fast path of ReadFindings, for the array as ingest writes it (message.cc FindingsText):
// `{"findings":[` then flat objects whose members are strings or integers. Calls `add(rule,
// identity, prior)` for the findings with a suspect rule; false for anything else (some findings
// may have been added), which the full parser then reads.
template <typename Add>
bool ScanFindings(std::string_view bytes, Add&& add) {
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
    std::string_view rule, identity;
    std::optional<std::uint64_t> prior;
    while (true) {
      std::string_view key, text;
      bool escaped = false;
      if (!string(key, escaped) || escaped || at(i++) != ':') return false;
      if (at(i) == '"') {
        if (!string(text, escaped)) return false;
        if (key == "rule" || key == "identity") {
          if (escaped) return false;
          (key == "rule" ? rule : identity) = text;
        }
      } else {
        std::int64_t v = 0;
        const char* first = bytes.data() + i;
        auto [end, ec] = std::from_chars(first, bytes.data() + bytes.size(), v);
        if (ec != std::errc() || end == first) return false;
        i += static_cast<std::size_t>(end - first);
        if (key == "prior_entry" && v >= 0) prior = static_cast<std::uint64_t>(v);
      }
      const char c = at(i++);
      if (c == '}') break;
      if (c != ',') return false;
    }
    if (auto r = SuspectRule(rule)) add(*r, identity, prior);
    const char c = at(i++);
    if (c == ']') return true;
    if (c != ',') return false;
  }
}

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

// Appends the findings with a suspect rule of one upload-row entry.
Status ReadFindings(std::uint64_t entry, std::string_view bytes, Interner& text,
                    std::vector<Finding>& out) {
  const std::size_t mark = out.size();
  const auto add = [&](Rule rule, std::string_view identity, std::optional<std::uint64_t> prior) {
    Finding f;
    f.entry = entry;
    f.rule = rule;
    if (!identity.empty()) f.identity = text.Id(identity) + 1;
    if (prior) f.prior = *prior;
    out.push_back(f);
  };
  if (ScanFindings(bytes, add)) return Status::Ok();
  out.resize(mark);
  auto findings = FindingsOf(bytes);
  if (!findings) {
    return Status::Corruption("entry " + std::to_string(entry) +
                              " has row facts but is not a readable upload row");
  }
  for (const Json& f : *findings) {
    if (!f.is_object()) continue;
    std::optional<std::uint64_t> prior;
    if (auto it = f.find("prior_entry");
        it != f.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      prior = static_cast<std::uint64_t>(it->get<std::int64_t>());
    }
    const std::string rule = f.value("rule", std::string());
    if (auto r = SuspectRule(rule)) add(*r, f.value("identity", std::string()), prior);
  }
  return Status::Ok();
}

// validator::FormatCivilTime, for one evidence item after another: the date part of the last day
// is kept (a month's rows share 31 dates) and the time of day written digit by digit.
class TimeFormatter {
 public:
  std::string operator()(std::int64_t t) {
    // Up to 9999-12-31 23:59:59; other times (never a real row's) take the general path.
    if (t < 0 || t > 253402300799) return validator::FormatCivilTime(t);
    const std::int64_t day = t / 86400;
    if (day != day_) {
      day_ = day;
      date_ = validator::FormatCivilTime(day * 86400);
      date_.resize(date_.size() - 8);  // "yyyy-MM-dd "
    }
    const auto secs = static_cast<int>(t - day * 86400);
    std::string out = date_;
    const int parts[] = {secs / 3600, secs / 60 % 60, secs % 60};
    for (int i = 0; i < 3; ++i) {
      if (i > 0) out += ':';
      out += static_cast<char>('0' + parts[i] / 10);
      out += static_cast<char>('0' + parts[i] % 10);
    }
    return out;
  }

 private:
  std::int64_t day_ = -1;
  std::string date_;
};

// Share of a row's amount for `n` packs out of the codes scanned on it.
std::int64_t Share(const Fact& f, std::size_t n, bool row_level) {
  if (row_level || f.codes <= 0 || n == 0) return f.amount_fen;
  const auto k = static_cast<std::int64_t>(std::min<std::size_t>(n, f.codes));
  return f.amount_fen * k / f.codes;
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

// A case under construction: its identity and what ranking needs. Its rows are the links that
// name it.
struct Builder {
  CaseType type = CaseType::kPackChain;
  std::uint32_t key = 0;  // interned grouping key
  int month = 0;
  bool restrict_counted = false;   // patient over-buy: only links marked `counted` are at risk
  std::int64_t boxes_milli = 0;    // patient over-buy: exact boxes bought in the month
  std::size_t priors_insured = 0;  // collector: findings whose earlier sale was insured
  // Filled by Rank.
  std::size_t links_begin = 0, links_end = 0;  // its run of the sorted links
  std::int64_t amount_at_risk_fen = 0, amount_paid_fen = 0;
  int packs = 0;
  std::size_t flagged = 0;                  // rows in the role "flagged"
  std::size_t rows = 0;                     // evidence items; a case without any is dropped
  std::vector<std::uint32_t> institutions;  // interned, the case's own first
  std::string id;
  // From the recorded actions.
  CaseStatus status = CaseStatus::kOpen;
  std::string assignee;
  std::int64_t recovered_fen = 0;
};

// One row of one case, for one of its packs (or for the whole row).
enum class Role : std::uint8_t { kFlagged, kPriorSale, kHistory };  // the first present wins
struct Link {
  std::uint32_t builder = 0;
  std::uint32_t identity = 0;  // interned pack identity + 1; 0: the whole row
  std::uint64_t entry = 0;
  std::uint32_t fact = 0;  // index in BuildState::facts
  Role role = Role::kFlagged;
  bool counted = false;  // patient over-buy: a purchase outside the main institution
};

const char* RoleName(Role r) {
  return r == Role::kFlagged ? "flagged" : r == Role::kPriorSale ? "prior_sale" : "history";
}

struct BuilderId {
  CaseType type;
  std::uint32_t key;
  int month;
  bool operator==(const BuilderId&) const = default;
};
struct BuilderIdHash {
  std::size_t operator()(const BuilderId& b) const {
    return std::hash<std::uint64_t>()(
        (std::uint64_t{b.key} << 32 | static_cast<std::uint32_t>(b.month)) * 0x9E3779B97F4A7C15ull ^
        static_cast<std::uint64_t>(b.type));
  }
};

struct BuildState {
  BuildState(ledger::Ledger& l, const SuspectQuery& query, validator::RefData r)
      : ledger(l), q(query), ref(std::move(r)) {}
  ledger::Ledger& ledger;
  const SuspectQuery& q;
  validator::RefData ref;
  Interner text;
  std::vector<Fact> facts;  // every row a case refers to
  EntryIndex fact_index;
  std::vector<Finding> findings;
  std::vector<Builder> builders;
  std::unordered_map<BuilderId, std::uint32_t, BuilderIdHash> builder_ids;
  std::vector<Link> links;

  // One insured paid sale as the over-buy grouping needs it (24 bytes: a month may hold
  // millions). `key` hashes (psn_hash, drug, month); equal keys are checked exactly later.
  struct Purchase {
    std::uint64_t key;
    std::uint64_t entry;
    std::uint32_t boxes_milli;  // kHugeBoxes for a row of that many or more
    std::uint32_t institution;  // interned
  };
  std::vector<Purchase> purchases;  // over-buy candidates, from Scan

  bool Wanted(CaseType t) const { return !q.type || *q.type == t; }

  std::uint32_t Get(CaseType type, std::uint32_t key, int month) {
    auto [it, fresh] = builder_ids.try_emplace(BuilderId{type, key, month},
                                               static_cast<std::uint32_t>(builders.size()));
    if (fresh) {
      Builder& b = builders.emplace_back();
      b.type = type;
      b.key = key;
      b.month = month;
    }
    return it->second;
  }
  const Builder* Find(CaseType type, std::uint32_t key, int month) const {
    auto it = builder_ids.find(BuilderId{type, key, month});
    return it == builder_ids.end() ? nullptr : &builders[it->second];
  }
  void Add(std::uint32_t builder, const Fact& f, Role role, std::uint32_t identity,
           bool counted = false) {
    links.push_back(
        {builder, identity, f.entry, static_cast<std::uint32_t>(&f - facts.data()), role, counted});
  }

  const Fact* FactOf(std::uint64_t entry) const {
    const std::uint32_t i = fact_index.Find(entry);
    return i == EntryIndex::kNone ? nullptr : &facts[i];
  }
  Fact Compact(const ledger::RowFactView& v) {
    Fact f;
    f.entry = v.entry;
    f.time = v.time;
    f.amount_fen = v.amount_fen;
    f.boxes_milli = v.boxes_milli;
    f.institution = text.Id(v.institution);
    f.drug = text.Id(v.drug);
    f.psn_hash = text.Id(v.psn_hash);
    f.rules = text.Id(v.rules);
    f.month = v.month;
    f.codes = v.codes;
    f.infno = static_cast<std::int16_t>(v.infno);
    f.verdict = static_cast<std::int8_t>(v.verdict);
    f.settle = static_cast<std::int8_t>(v.settle);
    return f;
  }
  // Reads the facts of those of `entries` not yet known (by primary key) and merges them in.
  Status FetchFacts(std::vector<std::uint64_t> entries) {
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    std::erase_if(entries, [&](std::uint64_t e) { return FactOf(e) != nullptr; });
    return ledger::ForEachRowFact(ledger, entries, [&](const ledger::RowFactView& v) {
      fact_index.Insert(v.entry, static_cast<std::uint32_t>(facts.size()));
      facts.push_back(Compact(v));
      return Status::Ok();
    });
  }

  Status Scan(const ledger::FactRange& range);
  Status FromFindings();
  Status Overbuy();
  Status AddHistory();
  void Rank();
  Case Materialize(const Builder& b);
  TimeFormatter format_time;
};

// The period's rows, read once: the flagged ones kept as facts, the insured paid sales (over-buy)
// kept as purchases.
Status BuildState::Scan(const ledger::FactRange& range) {
  const bool overbuy = Wanted(CaseType::kPatientOverbuy);
  // Uploads come in messages of one institution: the last one interned is usually the next.
  std::string last_institution;
  std::uint32_t last_id = UINT32_MAX;
  auto intern = [&](std::string_view institution) {
    if (last_id == UINT32_MAX || institution != last_institution) {
      last_id = text.Id(institution);
      last_institution.assign(institution);
    }
    return last_id;
  };
  LEDGER_RETURN_IF_ERROR(ledger::ScanRowFacts(
      ledger, range,
      [&](const ledger::RowFactView& v) {
        if (!v.rules.empty() && HasSuspectRule(v.rules)) facts.push_back(Compact(v));
        if (overbuy && v.infno == kSale && v.settle == kInsured && v.verdict != kBlock &&
            !v.psn_hash.empty()) {
          const std::hash<std::string_view> h;
          const std::uint64_t key = (h(v.psn_hash) * 0x9E3779B97F4A7C15ull) ^ h(v.drug) ^
                                    (static_cast<std::uint64_t>(v.month) << 40);
          const std::int64_t boxes = std::clamp<std::int64_t>(v.boxes_milli, 0, kHugeBoxes);
          purchases.push_back(
              {key, v.entry, static_cast<std::uint32_t>(boxes), intern(v.institution)});
        }
        return Status::Ok();
      },
      overbuy ? ledger::FactFilter::kWithRulesOrInsuredPaidSales : ledger::FactFilter::kWithRules));
  // In entry order: the entries are read where they lie.
  std::sort(facts.begin(), facts.end(),
            [](const Fact& a, const Fact& b) { return a.entry < b.entry; });
  for (std::uint32_t i = 0; i < facts.size(); ++i) fact_index.Insert(facts[i].entry, i);
  return Status::Ok();
}

Status BuildState::FromFindings() {
  {
    std::vector<std::uint64_t> flagged;
    flagged.reserve(facts.size());
    for (const Fact& f : facts) flagged.push_back(f.entry);
    LEDGER_RETURN_IF_ERROR(
        ledger::ForEachEntryBody(ledger, flagged, [&](std::uint64_t entry, std::string_view body) {
          return ReadFindings(entry, body, text, findings);
        }));
  }
  {
    std::vector<std::uint64_t> priors;
    for (const Finding& f : findings) {
      if (f.prior != Finding::kNoPrior) priors.push_back(f.prior);
    }
    LEDGER_RETURN_IF_ERROR(FetchFacts(std::move(priors)));
  }

  struct SameCounter {
    std::uint64_t entry, prior;
    std::uint32_t identity, psn_hash;
    int month;
  };
  std::vector<SameCounter> same_counter;
  for (const Finding& f : findings) {
    const Fact& row = *FactOf(f.entry);
    const bool receipt = IsReceipt(row.infno);
    const Fact* prior = f.prior == Finding::kNoPrior ? nullptr : FactOf(f.prior);
    auto add = [&](std::uint32_t b) {
      Add(b, row, Role::kFlagged, f.identity);
      if (prior != nullptr) Add(b, *prior, Role::kPriorSale, f.identity);
    };
    const bool pack_rule =
        f.rule == Rule::kReused || f.rule == Rule::kResold || f.rule == Rule::kSplitOver;
    if (pack_rule && f.identity != 0 && Wanted(CaseType::kPackChain)) {
      add(Get(CaseType::kPackChain, f.identity - 1, row.month));
    }
    if (f.rule == Rule::kResold) {
      if (receipt && Wanted(CaseType::kCollector)) {
        const std::uint32_t b = Get(CaseType::kCollector, row.institution, row.month);
        add(b);
        if (prior != nullptr && prior->settle == kInsured) ++builders[b].priors_insured;
      } else if (row.infno == kSale && Wanted(CaseType::kResale)) {
        add(Get(CaseType::kResale, row.institution, row.month));
      }
    } else if (f.rule == Rule::kReused && Wanted(CaseType::kCodeReuse)) {
      add(Get(CaseType::kCodeReuse, row.institution, row.month));
    } else if (f.rule == Rule::kSplitOver && Wanted(CaseType::kSplitOver)) {
      add(Get(CaseType::kSplitOver, row.institution, row.month));
    } else if (f.rule == Rule::kMismatch && Wanted(CaseType::kProductSwap)) {
      add(Get(CaseType::kProductSwap, row.institution, row.month));
    } else if (f.rule == Rule::kReturnWithoutSale && Wanted(CaseType::kReturnAnomaly)) {
      add(Get(CaseType::kReturnAnomaly, row.institution, row.month));
    }
    // The patient whose insured purchase came back. The box left the counter with the patient
    // when it reappears at another institution (CODE_RESOLD) or back in stock through the supply
    // side at the one that sold it (CODE_REUSED on a receipt, count or purchase return). A code
    // sold again by the institution that sold it (CODE_REUSED on a sale) is that institution's
    // reuse (code_reuse): one such box says nothing about the patient, whose code the counter may
    // simply have kept. Boxes of several of the patient's purchases coming back at the counter
    // are a pattern (a pharmacy buying back its customers' boxes) and open a case; one box only
    // joins a case the patient has anyway.
    if ((f.rule == Rule::kResold || f.rule == Rule::kReused) && prior != nullptr &&
        prior->infno == kSale && prior->settle == kInsured && !text[prior->psn_hash].empty() &&
        Wanted(CaseType::kPatientReturned)) {
      const bool double_scan = prior->institution == row.institution && row.time >= prior->time &&
                               row.time - prior->time <= kDoubleScanSeconds;
      const bool left_counter = f.rule == Rule::kResold || receipt;
      if (left_counter) {
        add(Get(CaseType::kPatientReturned, prior->psn_hash, row.month));
      } else if (!double_scan) {
        same_counter.push_back({f.entry, prior->entry, f.identity, prior->psn_hash, row.month});
      }
    }
  }
  findings = {};
  // Same-counter resales of a patient's boxes: a case from kPatternPurchases purchases on. A
  // purchase is a visit: the rows of one transaction (one day at one institution) are one.
  std::map<std::pair<std::uint32_t, int>, std::set<std::pair<std::uint32_t, std::int64_t>>>
      purchases_back;
  for (const SameCounter& sc : same_counter) {
    const Fact& prior = *FactOf(sc.prior);
    purchases_back[{sc.psn_hash, sc.month}].emplace(
        prior.institution, validator::DaysFromCivil(validator::DateOf(prior.time)));
  }
  for (const SameCounter& sc : same_counter) {
    std::uint32_t b = 0;
    if (purchases_back[{sc.psn_hash, sc.month}].size() >= kPatternPurchases) {
      b = Get(CaseType::kPatientReturned, sc.psn_hash, sc.month);
    } else if (const Builder* found = Find(CaseType::kPatientReturned, sc.psn_hash, sc.month)) {
      b = static_cast<std::uint32_t>(found - builders.data());
    } else {
      continue;
    }
    Add(b, *FactOf(sc.entry), Role::kFlagged, sc.identity);
    Add(b, *FactOf(sc.prior), Role::kPriorSale, sc.identity);
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
  std::map<std::tuple<std::string_view, std::string_view, int>, std::vector<const Fact*>> groups;
  for (std::uint64_t e : candidates) {
    const Fact* f = FactOf(e);
    if (f == nullptr) continue;  // cannot happen: candidates come from row_facts
    groups[{text[f->psn_hash], text[f->drug], f->month}].push_back(f);
  }
  for (const auto& [group, rows] : groups) {
    const auto& [psn_hash, drug, month] = group;
    std::map<std::string_view, std::int64_t> per_inst;  // boxes per institution
    std::int64_t total = 0;
    for (const Fact* f : rows) {
      per_inst[text[f->institution]] += f->boxes_milli;
      total += f->boxes_milli;
    }
    if (per_inst.size() < 2 || total < min_boxes * 1000) continue;
    // The main institution (most boxes; the smaller code on a tie) is not counted at risk.
    std::string_view main;
    std::int64_t best = -1;
    for (const auto& [inst, boxes] : per_inst) {
      if (boxes > best) {
        best = boxes;
        main = inst;
      }
    }
    const std::string key = std::string(psn_hash) + "|" + std::string(drug);
    const std::uint32_t b = Get(CaseType::kPatientOverbuy, text.Id(key), month);
    builders[b].restrict_counted = true;
    builders[b].boxes_milli = total;
    for (const Fact* f : rows) {
      Add(b, *f, Role::kFlagged, 0, text[f->institution] != main);
    }
  }
  return Status::Ok();
}

Status BuildState::AddHistory() {
  if (!q.pack_history) return Status::Ok();
  for (std::uint32_t b = 0; b < builders.size(); ++b) {
    if (builders[b].type != CaseType::kPackChain) continue;
    auto hist = q.pack_history(text[builders[b].key]);
    if (!hist.ok()) return hist.status();
    LEDGER_RETURN_IF_ERROR(FetchFacts(*hist));
    // A history link never outranks the row's other roles (Role order), so the rows already in
    // the case keep theirs; rows without facts are dropped when ranking.
    for (std::uint64_t e : *hist) {
      if (const Fact* f = FactOf(e)) Add(b, *f, Role::kHistory, 0);
    }
  }
  return Status::Ok();
}

// One row of a case: its links [begin, end) in the sorted links.
struct RowLinks {
  Role role = Role::kFlagged;  // the first present
  std::size_t packs = 0;       // distinct packs of the case named on the row
  bool row_level = false;      // a finding on it names no pack: the whole row is implicated
  bool counted = false;        // patient over-buy: outside the main institution
};

RowLinks SummarizeRow(const std::vector<Link>& links, std::size_t begin, std::size_t end,
                      std::vector<std::uint32_t>& identities) {
  RowLinks r;
  r.role = links[begin].role;
  const std::size_t mark = identities.size();
  for (std::size_t k = begin; k < end; ++k) {
    if (links[k].role == Role::kHistory) continue;  // never counted, names no pack
    r.counted = r.counted || links[k].counted;
    if (links[k].identity == 0) {
      r.row_level = true;
    } else {
      identities.push_back(links[k].identity);
    }
  }
  std::sort(identities.begin() + static_cast<std::ptrdiff_t>(mark), identities.end());
  identities.erase(
      std::unique(identities.begin() + static_cast<std::ptrdiff_t>(mark), identities.end()),
      identities.end());
  r.packs = identities.size() - mark;
  return r;
}

// Groups the links by case and row and computes what ranking and filtering need.
void BuildState::Rank() {
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return std::tie(a.builder, a.entry, a.role, a.identity) <
           std::tie(b.builder, b.entry, b.role, b.identity);
  });
  std::vector<std::uint32_t> packs, insts;
  for (std::size_t i = 0; i < links.size();) {
    const std::uint32_t bi = links[i].builder;
    Builder& b = builders[bi];
    b.links_begin = i;
    packs.clear();
    insts.clear();
    while (i < links.size() && links[i].builder == bi) {
      const std::size_t row_begin = i;
      while (i < links.size() && links[i].builder == bi &&
             links[i].entry == links[row_begin].entry) {
        ++i;
      }
      const Fact* f = &facts[links[row_begin].fact];
      const RowLinks r = SummarizeRow(links, row_begin, i, packs);
      const bool counts = r.role != Role::kHistory && f->infno == kSale && f->settle == kInsured &&
                          (!b.restrict_counted || r.counted);
      const std::int64_t at_risk = counts ? Share(*f, r.packs, r.row_level) : 0;
      b.amount_at_risk_fen += at_risk;
      if (f->verdict != kBlock) b.amount_paid_fen += at_risk;
      if (r.role != Role::kHistory) insts.push_back(f->institution);
      if (r.role == Role::kFlagged) ++b.flagged;
      ++b.rows;
    }
    b.links_end = i;
    // The case's own institution first (institution cases: their key), the others by code.
    const bool own = b.type != CaseType::kPackChain && b.type != CaseType::kPatientReturned &&
                     b.type != CaseType::kPatientOverbuy;
    if (own) {
      b.institutions.push_back(b.key);
      std::erase(insts, b.key);
    }
    std::sort(insts.begin(), insts.end(),
              [&](std::uint32_t x, std::uint32_t y) { return text[x] < text[y]; });
    insts.erase(std::unique(insts.begin(), insts.end()), insts.end());
    b.institutions.insert(b.institutions.end(), insts.begin(), insts.end());
    if (b.type == CaseType::kPatientOverbuy) {
      b.packs = static_cast<int>((b.boxes_milli + 999) / 1000);
    } else {
      std::sort(packs.begin(), packs.end());
      packs.erase(std::unique(packs.begin(), packs.end()), packs.end());
      b.packs = packs.empty() ? static_cast<int>(b.flagged) : static_cast<int>(packs.size());
    }
    b.id = suspects_internal::MakeCaseId(b.type, text[b.key], b.month);
  }
}

// The case with its evidence (after Rank).
Case BuildState::Materialize(const Builder& b) {
  Case c;
  c.type = b.type;
  c.key = text.Str(b.key);
  c.month = b.month;
  c.id = b.id;
  c.status = b.status;
  c.assignee = b.assignee;
  c.recovered_fen = b.recovered_fen;
  c.amount_at_risk_fen = b.amount_at_risk_fen;
  c.amount_paid_fen = b.amount_paid_fen;
  c.packs = b.packs;
  for (std::uint32_t i : b.institutions) {
    c.institutions.push_back(text.Str(i));
    const validator::Institution* inst = ref.FindInstitution(c.institutions.back());
    c.institution_names.push_back(inst != nullptr ? inst->name : "");
  }
  c.evidence.reserve(b.rows);
  std::vector<std::uint32_t> identities;
  for (std::size_t i = b.links_begin; i < b.links_end;) {
    const std::size_t row_begin = i;
    while (i < b.links_end && links[i].entry == links[row_begin].entry) ++i;
    const Fact* f = &facts[links[row_begin].fact];
    identities.clear();
    const RowLinks r = SummarizeRow(links, row_begin, i, identities);
    Evidence ev;
    ev.entry = f->entry;
    ev.role = RoleName(r.role);
    ev.institution = text.Str(f->institution);
    ev.infno = f->infno;
    ev.time = format_time(f->time);
    ev.settle = f->settle;
    ev.verdict = f->verdict == 0 ? "ok" : f->verdict == 1 ? "warn" : "block";
    ev.drug = text.Str(f->drug);
    ev.amount_fen = f->amount_fen;
    ev.rules = text.Str(f->rules);
    const bool counts = r.role != Role::kHistory && f->infno == kSale && f->settle == kInsured &&
                        (!b.restrict_counted || r.counted);
    if (counts) ev.at_risk_fen = Share(*f, r.packs, r.row_level);
    c.evidence.push_back(std::move(ev));
  }
  Summarize(c, ref, b.flagged, b.priors_insured);
  return c;
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

Status EachCaseInSnapshot(ledger::Ledger& ledger, const SuspectQuery& q,
                          const std::function<Status(Case&&)>& fn) {
  auto period = ResolvePeriod(ledger, q);
  if (!period.ok()) return period.status();
  if (!*period) return Status::Ok();
  auto ref = suspects_internal::LoadRefDataInForce(ledger);
  if (!ref.ok()) return ref.status();
  BuildState s(ledger, q, std::move(*ref));
  LEDGER_RETURN_IF_ERROR(s.Scan((*period)->range));
  LEDGER_RETURN_IF_ERROR(s.FromFindings());
  LEDGER_RETURN_IF_ERROR(s.Overbuy());
  LEDGER_RETURN_IF_ERROR(s.AddHistory());
  s.Rank();

  std::vector<std::uint32_t> ranked;  // builders with evidence
  std::unordered_map<std::string_view, std::uint32_t> by_id;
  for (std::uint32_t b = 0; b < s.builders.size(); ++b) {
    if (s.builders[b].rows == 0) continue;
    ranked.push_back(b);
    by_id.emplace(s.builders[b].id, b);
  }
  // Statuses from the recorded actions.
  auto actions = ledger::AllCaseActions(ledger);
  if (!actions.ok()) return actions.status();
  for (const auto& a : *actions) {
    auto it = by_id.find(a.case_id);
    if (it == by_id.end()) continue;
    Builder& b = s.builders[it->second];
    if (auto st = CaseStatusFromName(a.status_after)) b.status = *st;
    if (!a.assignee.empty()) b.assignee = a.assignee;
    b.recovered_fen += a.recovered_fen;
  }

  std::erase_if(ranked, [&](std::uint32_t bi) {
    const Builder& b = s.builders[bi];
    if (q.status && b.status != *q.status) return true;
    if (q.region.empty()) return false;
    return std::none_of(b.institutions.begin(), b.institutions.end(), [&](std::uint32_t i) {
      const validator::Institution* inst = s.ref.FindInstitution(s.text.Str(i));
      return inst != nullptr && suspects_internal::RegionContains(q.region, inst->region);
    });
  });
  const auto before = [&](std::uint32_t x, std::uint32_t y) {
    const Builder& a = s.builders[x];
    const Builder& b = s.builders[y];
    if (a.amount_at_risk_fen != b.amount_at_risk_fen) {
      return a.amount_at_risk_fen > b.amount_at_risk_fen;
    }
    if (a.packs != b.packs) return a.packs > b.packs;
    return a.id < b.id;
  };
  // Only the cases returned get their evidence.
  if (q.limit > 0 && ranked.size() > q.limit) {
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(q.limit),
                      ranked.end(), before);
    ranked.resize(q.limit);
  } else {
    std::sort(ranked.begin(), ranked.end(), before);
  }
  for (std::uint32_t b : ranked) LEDGER_RETURN_IF_ERROR(fn(s.Materialize(s.builders[b])));
  return Status::Ok();
}

}  // namespace

Result<std::vector<Case>> BuildCases(ledger::Ledger& ledger, const SuspectQuery& q) {
  // One snapshot: the period, the rows, the evidence and the statuses agree even while ingest
  // appends, and the thousands of single-entry reads share one read lock.
  std::vector<Case> cases;
  LEDGER_RETURN_IF_ERROR(ForEachCase(ledger, q, [&](Case&& c) {
    cases.push_back(std::move(c));
    return Status::Ok();
  }));
  return cases;
}

Status ForEachCase(ledger::Ledger& ledger, const SuspectQuery& q,
                   const std::function<Status(Case&&)>& fn) {
  return ledger::InReadSnapshot(ledger, [&]() { return EachCaseInSnapshot(ledger, q, fn); });
}

}  // namespace ingest
