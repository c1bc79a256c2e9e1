// The regulator API's router without sockets: route matching, percent-decoding, query parsing,
// roles, 404/405, the envelope, the audit record; and region containment.
#include <catch2/catch.hpp>

#include "ingest/regulator.h"

namespace {

using ingest::ApiRequest;
using ingest::ApiResult;
using ingest::Json;

ingest::HttpRequest Get(const std::string& target) {
  ingest::HttpRequest r;
  r.method = "GET";
  r.target = target;
  r.remote = "127.0.0.1:5000";
  return r;
}

ingest::Principal Regulator(const std::string& region = "") {
  return {ingest::Role::kRegulator, "1a2b3c4d", "", region, "稽查一组"};
}

// The status Match refuses with, or 0 when it matched a route.
int Refused(const ingest::RegulatorApi& api, const ingest::HttpRequest& req,
            const ingest::Principal& who, ApiRequest& out) {
  auto m = api.Match(req, who, out);
  if (auto* r = std::get_if<ApiResult>(&m)) return r->status;
  return 0;
}

}  // namespace

TEST_CASE("regulator api: routes, decoding, roles", "[regulator_api]") {
  ingest::RegulatorApi api;
  ApiRequest out;
  CHECK(api.Owns("/v1/codes/123/history"));
  CHECK(api.Owns("/v1/reports/coverage"));
  CHECK_FALSE(api.Owns("/v1/upload"));
  CHECK_FALSE(api.Owns("/v1/codes/123"));

  REQUIRE(Refused(api, Get("/v1/codes/%2801%2912345678901231%2821%29A%2B1/history"), Regulator(),
                  out) == 0);
  REQUIRE(out.params.size() == 1);
  CHECK(out.params[0] == "(01)12345678901231(21)A+1");
  CHECK(out.who.token_id == "1a2b3c4d");

  REQUIRE(Refused(api, Get("/v1/reports/coverage?month=2025-08&region=130821&format=csv"),
                  Regulator(), out) == 0);
  CHECK(out.query.at("month") == "2025-08");
  CHECK(out.query.at("region") == "130821");
  CHECK(out.query.at("format") == "csv");

  CHECK(Refused(api, Get("/v1/reports/coverage?month=1&month=2"), Regulator(), out) == 400);
  CHECK(Refused(api, Get("/v1/codes/%zz/history"), Regulator(), out) == 400);
  CHECK(Refused(api, Get("/v1/codes/8/history/x"), Regulator(), out) == 404);
  ingest::HttpRequest post = Get("/v1/reports/coverage?month=2025-08");
  post.method = "POST";
  CHECK(Refused(api, post, Regulator(), out) == 405);
  ingest::Principal terminal{ingest::Role::kTerminal, "00000000", "P13080200001", "", ""};
  CHECK(Refused(api, Get("/v1/reports/coverage?month=2025-08"), terminal, out) == 403);
  ingest::Principal admin{ingest::Role::kAdmin, "00000001", "", "", ""};
  CHECK(Refused(api, Get("/v1/reports/coverage?month=2025-08"), admin, out) == 0);
}

TEST_CASE("regulator api: a route added later is served like the built-in ones",
          "[regulator_api]") {
  ingest::RegulatorApi api;
  api.Add({"GET", "/v1/suspects/{}", [](const ApiRequest& req, ingest::ReaderContext&) {
             ApiResult r;
             r.output = {{"id", req.params.at(0)}};
             return r;
           }});
  ApiRequest out;
  auto m = api.Match(Get("/v1/suspects/C42"), Regulator(), out);
  REQUIRE(std::holds_alternative<const ingest::ApiRoute*>(m));
  CHECK(std::get<const ingest::ApiRoute*>(m)->pattern == "/v1/suspects/{}");
  CHECK(out.params.at(0) == "C42");
}

TEST_CASE("regulator api: envelope and audit entry", "[regulator_api]") {
  ApiResult ok;
  ok.output = {{"x", 1}};
  const Json body = Json::parse(ingest::RegulatorApi::ToHttp(ok).body);
  CHECK(body["infcode"] == 0);
  CHECK(body["output"]["x"] == 1);
  const ingest::HttpResponse refused = ingest::RegulatorApi::ToHttp(ApiResult::Error(403, "no"));
  CHECK(refused.status == 403);
  CHECK(Json::parse(refused.body)["err_msg"] == "no");
  ApiResult csv;
  csv.raw = "a,b\r\n";
  csv.raw_content_type = "text/csv; charset=utf-8";
  CHECK(ingest::RegulatorApi::ToHttp(csv).body == "a,b\r\n");

  // Bytes that are not printable ASCII are percent-encoded, so the entry stays valid UTF-8.
  const ledger::EntryInput e = ingest::AuditEntry(
      Regulator("130800"), Get("/v1/codes/\x1d\xff/history"), "/v1/codes/{}/history", 400, 77);
  CHECK(e.type == static_cast<std::uint32_t>(ledger::EntryType::kAudit));
  CHECK(e.event_time_ms == 77);
  const Json a = Json::parse(e.bytes);
  CHECK(a["kind"] == "audit");
  CHECK(a["target"] == "/v1/codes/%1D%FF/history");
  CHECK(a["label"] == "稽查一组");
  CHECK(a["region"] == "130800");
  CHECK(a["status"] == 400);
}

TEST_CASE("regulator api: region containment follows admin division codes", "[regulator_api]") {
  CHECK(ingest::RegionContains("", "130821"));
  CHECK(ingest::RegionContains("130000", "130821"));  // province
  CHECK(ingest::RegionContains("130800", "130821"));  // city
  CHECK_FALSE(ingest::RegionContains("130800", "130921"));
  CHECK(ingest::RegionContains("130821", "130821"));
  CHECK_FALSE(ingest::RegionContains("130821", "130802"));
  CHECK_FALSE(ingest::RegionContains("130821", ""));
}
