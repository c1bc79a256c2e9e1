// The regulator API's routes (docs/api.md): matching, role and region checks, the handlers of the
// built-in routes, the response envelope and the audit record.
#include <cctype>

#include "ingest/coverage.h"
#include "ingest/regulator.h"

namespace ingest {

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; `plus_is_space` for query strings. nullopt on a broken escape.
std::optional<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// The request target as recorded in an audit entry: printable ASCII kept, every other byte
// percent-encoded (the entry is canonical JSON and must be valid UTF-8), at most 2 KiB.
std::string AuditTarget(std::string_view target) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : target.substr(0, 2048)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 1;  // past the leading '/'
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Raw (still encoded) path segments matched against a pattern; captures decoded into `params`.
bool MatchPattern(std::string_view pattern, const std::vector<std::string_view>& segs,
                  std::vector<std::string>* params, bool& bad_escape) {
  const auto pat = Segments(pattern);
  if (pat.size() != segs.size()) return false;
  std::vector<std::string> caps;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (pat[i] == "{}") {
      auto d = Decode(segs[i], false);
      if (!d) {
        bad_escape = true;
        return false;
      }
      caps.push_back(std::move(*d));
    } else if (pat[i] != segs[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(caps);
  return true;
}

ApiResult History(const ApiRequest& req, ReaderContext& ctx) {
  return CodeHistory(ctx, req.params.at(0), req.who.region);
}

ApiResult Coverage(const ApiRequest& req, ReaderContext& ctx) {
  auto month_it = req.query.find("month");
  if (month_it == req.query.end()) {
    return ApiResult::Error(400, "month: missing (use ?month=YYYY-MM)");
  }
  std::string error;
  auto month = ParseMonth(month_it->second, error);
  if (!month) return ApiResult::Error(400, "month: " + error);
  std::string region = req.query.count("region") ? req.query.at("region") : "";
  if (!region.empty() &&
      (region.size() > 12 || region.find_first_not_of("0123456789") != std::string::npos)) {
    return ApiResult::Error(400, "region: must be an admin division code of digits, got '" +
                                     region.substr(0, 20) + "'");
  }
  if (!req.who.region.empty()) {
    if (region.empty()) {
      region = req.who.region;
    } else if (!RegionContains(req.who.region, region)) {
      return ApiResult::Error(403, "this token is limited to region " + req.who.region +
                                       "; region " + region + " is outside it");
    }
  }
  const std::string format = req.query.count("format") ? req.query.at("format") : "json";
  if (format != "json" && format != "csv" && format != "html") {
    return ApiResult::Error(
        400, "format: must be json, csv or html, got '" + format.substr(0, 20) + "'");
  }
  if (auto st = ctx.Refresh(); !st.ok()) return ApiResult::Error(503, st.message());
  CoverageQuery q;
  q.month = *month;
  q.region = region;
  auto report = BuildCoverage(ctx.store(), ctx.refdata(), ctx.ledger().size(), q);
  if (!report.ok()) return ApiResult::Error(503, report.status().message());
  ApiResult r;
  if (format == "json") {
    r.output = CoverageJson(*report);
  } else if (format == "csv") {
    r.raw = CoverageCsv(*report);
    r.raw_content_type = "text/csv; charset=utf-8";
  } else {
    r.raw = CoverageHtml(*report);
    r.raw_content_type = "text/html; charset=utf-8";
  }
  return r;
}

// GET /v1/institutions/{code}/month?month=YYYY-MM: one institution's month for the console —
// the verdict mix of its rows, its findings (most frequent first) and the drugs it sold or took
// back without a valid code. Coverage rates are in the coverage report.
ApiResult InstitutionMonth(const ApiRequest& req, ReaderContext& ctx) {
  const std::string& code = req.params.at(0);
  if (code.empty() || code.size() > 64) {
    return ApiResult::Error(400, "institution: must be an institution code of 1 to 64 bytes");
  }
  auto month_it = req.query.find("month");
  if (month_it == req.query.end()) {
    return ApiResult::Error(400, "month: missing (use ?month=YYYY-MM)");
  }
  std::string error;
  auto month = ParseMonth(month_it->second, error);
  if (!month) return ApiResult::Error(400, "month: " + error);
  if (auto st = ctx.Refresh(); !st.ok()) return ApiResult::Error(503, st.message());
  const validator::Institution* inst = ctx.refdata().FindInstitution(code);
  if (!req.who.region.empty() &&
      (inst == nullptr || !RegionContains(req.who.region, inst->region))) {
    return ApiResult::Error(
        403, "institution " + code + " is outside this token's region " + req.who.region);
  }
  auto cells = ctx.store().Coverage(*month, *month);
  if (!cells.ok()) return ApiResult::Error(503, cells.status().message());
  auto findings = ctx.store().FindingCounts(code, *month);
  if (!findings.ok()) return ApiResult::Error(503, findings.status().message());
  auto gaps = ctx.store().MissingCodeDrugs(code, *month);
  if (!gaps.ok()) return ApiResult::Error(503, gaps.status().message());

  // Verdicts of its sale and return rows (row counts; voided rows are netted out as in the
  // coverage report).
  std::int64_t by_verdict[3] = {0, 0, 0};
  for (const ledger::CoverageCell& c : *cells) {
    if (c.institution == code && c.verdict >= 0 && c.verdict <= 2) by_verdict[c.verdict] += c.rows;
  }
  ApiResult r;
  r.output = {
      {"month", FormatMonth(*month)},
      {"institution",
       {{"code", code},
        {"name", inst ? Json(inst->name) : Json(nullptr)},
        {"class",
         inst ? Json(validator::InstitutionClassName(inst->institution_class)) : Json(nullptr)},
        {"region", inst ? Json(inst->region) : Json(nullptr)}}},
      {"verdicts", {{"ok", by_verdict[0]}, {"warn", by_verdict[1]}, {"block", by_verdict[2]}}}};
  Json f = Json::array();
  for (const ledger::FindingCount& x : *findings) f.push_back({{"rule", x.rule}, {"rows", x.rows}});
  r.output["findings"] = std::move(f);
  Json g = Json::array();
  for (const ledger::DrugGap& x : *gaps) {
    const validator::Drug* drug = ctx.refdata().FindDrug(x.drug);
    g.push_back({{"med_list_codg", x.drug},
                 {"name", drug ? Json(drug->name) : Json(nullptr)},
                 {"infno", std::to_string(x.infno)},
                 {"rows", x.rows},
                 {"boxes_milli", x.boxes_milli},
                 {"amount_fen", x.amount_fen}});
  }
  r.output["missing_code_drugs"] = std::move(g);
  return r;
}

}  // namespace

void AddWhoamiRoute(RegulatorApi& api, std::string verifier_key) {
  api.Add(
      {"GET", "/v1/whoami", [key = std::move(verifier_key)](const ApiRequest& req, ReaderContext&) {
         ApiResult r;
         r.output = {{"role", RoleName(req.who.role)},
                     {"label", req.who.label},
                     {"token_id", req.who.token_id},
                     {"region", req.who.region},
                     {"verifier_key", key}};
         return r;
       }});
}

RegulatorApi::RegulatorApi() {
  Add({"GET", "/v1/codes/{}/history", History});
  Add({"GET", "/v1/reports/coverage", Coverage});
  Add({"GET", "/v1/institutions/{}/month", InstitutionMonth});
}

void RegulatorApi::Add(ApiRoute route) {
  routes_.push_back(std::move(route));
}

bool RegulatorApi::Owns(std::string_view path) const {
  const auto segs = Segments(path);
  for (const ApiRoute& r : routes_) {
    bool bad = false;
    if (MatchPattern(r.pattern, segs, nullptr, bad) || bad) return true;
  }
  return false;
}

std::variant<const ApiRoute*, ApiResult> RegulatorApi::Match(const HttpRequest& req,
                                                             const Principal& who,
                                                             ApiRequest& out) const {
  const std::size_t q = req.target.find('?');
  const std::string_view path = std::string_view(req.target).substr(0, q);
  const auto segs = Segments(path);
  const ApiRoute* found = nullptr;
  std::string allowed;  // the methods the path has, for a 405
  bool bad_escape = false;
  for (const ApiRoute& r : routes_) {
    std::vector<std::string> params;
    if (!MatchPattern(r.pattern, segs, &params, bad_escape)) continue;
    if (r.method == req.method) {
      found = &r;
      out.params = std::move(params);
      break;
    }
    allowed += (allowed.empty() ? "" : " or ") + r.method;
  }
  if (bad_escape) return ApiResult::Error(400, "path: malformed percent-escape");
  if (found == nullptr && allowed.empty()) {
    return ApiResult::Error(404, "no such endpoint: " + std::string(path));
  }
  if (found == nullptr) {
    return ApiResult::Error(405, "use " + allowed + " for " + std::string(path));
  }
  if (who.role == Role::kTerminal) {
    return ApiResult::Error(403, "terminal tokens may not use the regulator API");
  }
  out.method = req.method;
  out.path = std::string(path);
  out.who = who;
  out.query.clear();
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(req.target).substr(q + 1);
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      auto key = Decode(pair.substr(0, eq), true);
      auto value = Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return ApiResult::Error(400, "query: malformed percent-escape");
      if (!out.query.emplace(std::move(*key), std::move(*value)).second) {
        return ApiResult::Error(
            400, "query: parameter '" + std::string(pair.substr(0, eq)) + "' given twice");
      }
    }
  }
  return found;
}

HttpResponse RegulatorApi::ToHttp(const ApiResult& r) {
  HttpResponse h;
  h.status = r.status;
  if (r.status == 200 && !r.raw_content_type.empty()) {
    h.content_type = r.raw_content_type;
    h.body = r.raw;
    return h;
  }
  Json body = {{"infcode", r.status == 200 ? 0 : -1},
               {"err_msg", r.status == 200 ? "" : r.error},
               {"output", r.status == 200 ? r.output : Json(nullptr)}};
  h.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (r.status == 503) h.headers.emplace_back("Retry-After", "1");
  return h;
}

ledger::EntryInput AuditEntry(const Principal& who, const HttpRequest& req, std::string_view route,
                              int status, std::int64_t now_ms) {
  Json j = {{"kind", "audit"},
            {"time_ms", now_ms},
            {"token_id", who.token_id},
            {"label", who.label},
            {"role", RoleName(who.role)},
            {"region", who.region},
            {"method", req.method},
            {"target", AuditTarget(req.target)},
            {"route", std::string(route)},
            {"status", status},
            {"remote", AuditTarget(req.remote)}};
  ledger::EntryInput e;
  e.type = static_cast<std::uint32_t>(ledger::EntryType::kAudit);
  e.event_time_ms = now_ms;
  e.bytes = CanonicalJson(j);
  return e;
}

}  // namespace ingest
