// The suspect-case routes of the regulator API (docs/api.md, docs/suspects.md): GET /v1/suspects,
// GET /v1/cases/{id}, and POST /v1/cases/{id}/actions, which is validated here on the reader
// thread and recorded by the writer thread (a WriteStep).
#include "ingest/suspects_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "ingest/json.h"
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
  const auto institution = Param(req, "institution");
  if (institution && (institution->empty() || institution->size() > 64)) {
    return ApiResult::Error(400, "institution: must be an institution code of 1 to 64 bytes");
  }
  const auto rule = Param(req, "rule");
  if (rule && (rule->empty() || rule->size() > 64 || rule->find(',') != std::string::npos)) {
    return ApiResult::Error(400, "rule: must be one rule id (docs/rules.md)");
  }
  if (auto refused = ApplyScope(req, q)) return *refused;
  // The totals cover every matching case; the limit only shortens the list.
  const std::size_t limit = q.limit;
  q.limit = 0;
  // The reader's connection sees what the writer committed since its last query.
  if (auto st = ctx.Refresh(); !st.ok()) return FromStatus(st);
  auto cases = BuildCases(ctx.ledger(), q);
  if (!cases.ok()) return FromStatus(cases.status());
  std::erase_if(*cases, [&](const Case& c) {
    if (institution && std::find(c.institutions.begin(), c.institutions.end(), *institution) ==
                           c.institutions.end()) {
      return true;
    }
    if (rule) {
      return std::none_of(c.evidence.begin(), c.evidence.end(), [&](const Evidence& e) {
        return ("," + e.rules + ",").find("," + *rule + ",") != std::string::npos;
      });
    }
    return false;
  });
  std::int64_t at_risk = 0, paid = 0, recovered = 0;
  for (const Case& c : *cases) {
    at_risk += c.amount_at_risk_fen;
    paid += c.amount_paid_fen;
    recovered += c.recovered_fen;
  }
  const std::size_t matching = cases->size();
  if (limit != 0 && cases->size() > limit) cases->resize(limit);
  ApiResult r;
  if (format == "csv") {
    r.raw = CasesCsv(*cases);
    r.raw_content_type = "text/csv; charset=utf-8";
    return r;
  }
  r.output = Json::parse(CasesJson(*cases, q));
  if (limit != 0) r.output["limit"] = limit;
  if (institution) r.output["institution"] = *institution;
  if (rule) r.output["rule"] = *rule;
  r.output["total"] = {{"cases", matching},
                       {"amount_at_risk_fen", at_risk},
                       {"amount_paid_fen", paid},
                       {"recovered_fen", recovered}};
  return r;
}

constexpr std::size_t kMaxCaseCodes = 200;

// The traceability codes each evidence entry names (its row's drugtracinfo, as the terminal sent
// them), so the console can open every involved pack's history: `codes` on each evidence item,
// and the distinct codes of the case in evidence order as `codes` on the case (at most 200).
ledger::Status AddEvidenceCodes(ledger::Ledger& ledger, Json& c) {
  Json all = Json::array();
  std::vector<std::string> seen;
  for (Json& e : c["evidence"]) {
    Json codes = Json::array();
    auto entry = ledger.Get(e["entry"].get<std::uint64_t>());
    if (!entry.ok()) return entry.status();
    std::string error;
    auto doc = ParseJson(entry->bytes, error);
    const Json* info = nullptr;
    if (doc && doc->is_object() && doc->contains("row") && (*doc)["row"].is_object() &&
        (*doc)["row"].contains("drugtracinfo")) {
      info = &(*doc)["row"]["drugtracinfo"];
    }
    if (info != nullptr && info->is_array()) {
      for (const Json& item : *info) {
        if (!item.is_object() || !item.contains("drug_trac_codg") ||
            !item["drug_trac_codg"].is_string()) {
          continue;
        }
        const std::string code = item["drug_trac_codg"].get<std::string>();
        codes.push_back(code);
        if (seen.size() < kMaxCaseCodes &&
            std::find(seen.begin(), seen.end(), code) == seen.end()) {
          seen.push_back(code);
          all.push_back(code);
        }
      }
    }
    e["codes"] = std::move(codes);
  }
  c["codes"] = std::move(all);
  return ledger::Status::Ok();
}

// A region-limited token asked for a case it cannot see: 403 when the case exists outside its
// region (the officer should ask that region), else the 404 as it came.
ApiResult NotInScope(const ApiRequest& req, ReaderContext& ctx, const ledger::Status& not_found) {
  if (req.who.region.empty()) return FromStatus(not_found);
  auto anywhere = ShowCase(ctx.ledger(), req.params.at(0), SuspectQuery{});
  if (!anywhere.ok()) return FromStatus(not_found);
  return ApiResult::Error(
      403, "case " + req.params.at(0) + " is outside this token's region " + req.who.region);
}

ApiResult ShowOne(const ApiRequest& req, ReaderContext& ctx) {
  SuspectQuery q;
  q.region = req.who.region;
  if (auto st = ctx.Refresh(); !st.ok()) return FromStatus(st);
  auto c = ShowCase(ctx.ledger(), req.params.at(0), q);
  if (!c.ok() && c.status().code() == ledger::Code::kNotFound) {
    return NotInScope(req, ctx, c.status());
  }
  if (!c.ok()) return FromStatus(c.status());
  ApiResult r;
  r.output = Json::parse(CaseJson(*c));
  if (auto st = AddEvidenceCodes(ctx.ledger(), r.output); !st.ok()) return FromStatus(st);
  return r;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kMaxActionBody = 16 << 10;

// The body of POST /v1/cases/{id}/actions: {"action", "reason", "assignee", "recovered_fen"};
// anything else, or a field of the wrong type, is a 400 naming it.
std::optional<ApiResult> ParseActionBody(const std::string& body, CaseActionRequest& out) {
  if (body.size() > kMaxActionBody) {
    return ApiResult::Error(413, "body: a case action is at most " +
                                     std::to_string(kMaxActionBody) + " bytes, got " +
                                     std::to_string(body.size()));
  }
  std::string error;
  auto j = ParseJson(body, error);
  if (!j) return ApiResult::Error(400, "body: not JSON: " + error);
  if (!j->is_object()) return ApiResult::Error(400, "body: must be a JSON object");
  for (const auto& [key, value] : j->items()) {
    if (key == "action" || key == "reason" || key == "assignee") {
      if (!value.is_string()) return ApiResult::Error(400, key + ": must be a string");
      std::string& field =
          key == "action" ? out.action : (key == "reason" ? out.reason : out.assignee);
      field = value.get<std::string>();
    } else if (key == "recovered_fen") {
      if (value.is_null()) continue;
      if (!value.is_number_integer()) {
        return ApiResult::Error(400, "recovered_fen: must be a whole number of fen (分)");
      }
      out.recovered_fen = value.get<std::int64_t>();
    } else {
      return ApiResult::Error(400, "body: unknown field \"" + key.substr(0, 40) +
                                       "\" (action, reason, assignee, recovered_fen)");
    }
  }
  if (out.action.empty()) {
    return ApiResult::Error(400,
                            "action: missing (investigate, confirm, dismiss, annotate, assign)");
  }
  return std::nullopt;
}

// Who acts, as recorded in the case_action entry: the token's label and its id.
std::string Actor(const Principal& who) {
  std::string label = who.label.substr(0, 150);
  return (label.empty() ? std::string() : label + " ") + "(token " + who.token_id + ")";
}

ApiResult Act(const ApiRequest& req, ReaderContext& ctx) {
  CaseActionRequest a;
  a.case_id = req.params.at(0);
  if (auto bad = ParseActionBody(req.body, a)) return *bad;
  a.actor = Actor(req.who);
  a.scope_region = req.who.region;
  if (auto st = ctx.Refresh(); !st.ok()) return FromStatus(st);
  auto prepared = PrepareCaseAction(ctx.ledger(), a, NowMs());
  if (!prepared.ok()) {
    const ledger::Status& st = prepared.status();
    if (st.code() == ledger::Code::kNotFound) return NotInScope(req, ctx, st);
    if (st.code() == ledger::Code::kFailedPrecondition) return ApiResult::Error(409, st.message());
    return FromStatus(st);
  }
  ApiResult r;
  r.write = [p = std::move(*prepared)](ledger::Ledger& writer) -> ledger::Result<ApiResult> {
    auto entry = RecordCaseAction(writer, p);
    if (!entry.ok()) {
      if (entry.status().code() == ledger::Code::kFailedPrecondition) {
        return ApiResult::Error(409, entry.status().message());
      }
      return entry.status();  // a ledger failure: the writer retries kBusy, else 503
    }
    const ledger::CaseActionRecord& rec = p.record;
    ApiResult done;
    done.output = {{"case_id", rec.case_id},
                   {"entry", *entry},
                   {"action", rec.action},
                   {"status_before", rec.status_before},
                   {"status_after", rec.status_after},
                   {"actor", rec.actor},
                   {"reason", rec.reason},
                   {"assignee", rec.assignee},
                   {"recovered_fen", rec.recovered_fen},
                   {"at_ms", rec.at_ms}};
    return done;
  };
  return r;
}

}  // namespace

void AddSuspectRoutes(RegulatorApi& api) {
  api.Add({"GET", "/v1/suspects", Suspects});
  api.Add({"GET", "/v1/cases/{}", ShowOne});
  api.Add({"POST", "/v1/cases/{}/actions", Act});
}

}  // namespace ingest
