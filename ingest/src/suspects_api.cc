// The suspect-case read routes of the regulator API (docs/api.md, docs/suspects.md):
// GET /v1/suspects and GET /v1/cases/{id}. Case actions (POST) need the writer and are not
// served over HTTP yet; `drugtrace case act` records them.
#include "ingest/suspects_api.h"

#include <charconv>

#include "ingest/suspects.h"

namespace ingest {

namespace {

ApiResult FromStatus(const ledger::Status& st) {
  switch (st.code()) {
    case ledger::Code::kInvalidArgument:
      return ApiResult::Error(400, st.message());
    case ledger::Code::kNotFound:
      return ApiResult::Error(404, st.message());
    default:
      return ApiResult::Error(503, "ledger unavailable: " + st.message());
  }
}

std::optional<std::string> Param(const ApiRequest& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::nullopt;
  return it->second;
}

// The token's region narrows every query; asking for a region outside it is refused.
std::optional<ApiResult> ApplyScope(const ApiRequest& req, SuspectQuery& q) {
  const std::string& scope = req.who.region;
  if (scope.empty()) return std::nullopt;
  if (q.region.empty()) {
    q.region = scope;
  } else if (!RegionContains(scope, q.region)) {
    return ApiResult::Error(403, "region " + q.region + " is outside this token's region " + scope);
  }
  return std::nullopt;
}

ApiResult Suspects(const ApiRequest& req, ReaderContext& ctx) {
  SuspectQuery q;
  auto from = Param(req, "from"), to = Param(req, "to");
  if (from.has_value() != to.has_value()) {
    return ApiResult::Error(400, "from and to must be given together (yyyy-MM-dd)");
  }
  if (from) {
    auto f = ParseQueryDate(*from, "from");
    if (!f.ok()) return FromStatus(f.status());
    auto t = ParseQueryDate(*to, "to");
    if (!t.ok()) return FromStatus(t.status());
    q.from = *f;
    q.to = *t;
  }
  if (auto region = Param(req, "region")) q.region = *region;
  if (auto type = Param(req, "type")) {
    q.type = CaseTypeFromName(*type);
    if (!q.type) return ApiResult::Error(400, "type: unknown case type '" + *type + "'");
  }
  if (auto status = Param(req, "status")) {
    q.status = CaseStatusFromName(*status);
    if (!q.status) return ApiResult::Error(400, "status: unknown case status '" + *status + "'");
  }
  if (auto limit = Param(req, "limit")) {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || p != limit->data() + limit->size()) {
      return ApiResult::Error(400, "limit: must be a non-negative integer, got '" + *limit + "'");
    }
    q.limit = n;
  }
  const std::string format = Param(req, "format").value_or("json");
  if (format != "json" && format != "csv") {
    return ApiResult::Error(400, "format: must be json or csv, got '" + format + "'");
  }
  if (auto refused = ApplyScope(req, q)) return *refused;
  auto cases = BuildCases(ctx.ledger(), q);
  if (!cases.ok()) return FromStatus(cases.status());
  ApiResult r;
  if (format == "csv") {
    r.raw = CasesCsv(*cases);
    r.raw_content_type = "text/csv; charset=utf-8";
    return r;
  }
  r.output = Json::parse(CasesJson(*cases, q));
  return r;
}

ApiResult ShowOne(const ApiRequest& req, ReaderContext& ctx) {
  SuspectQuery q;
  q.region = req.who.region;  // a case outside the token's region is not found
  auto c = ShowCase(ctx.ledger(), req.params.at(0), q);
  if (!c.ok()) return FromStatus(c.status());
  ApiResult r;
  r.output = Json::parse(CaseJson(*c));
  return r;
}

}  // namespace

void AddSuspectRoutes(RegulatorApi& api) {
  api.Add({"GET", "/v1/suspects", Suspects});
  api.Add({"GET", "/v1/cases/{}", ShowOne});
}

}  // namespace ingest
