// The coverage report against small cases computed by hand (docs/reports.md): boxes and amounts,
// exempt drugs, 无码库, partial lines, split sales, returns, voids, blocked lines, the trend, the
// region filter and empty months.
#include "ingest/coverage.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "regulator_fixture.h"

namespace {

using regtest::Code;
using regtest::Fixture;
using regtest::Json;
using regtest::Row;

constexpr char kValsartan[] = "XC09CAV119A001010104532";  // codes required, no 无码库
constexpr char kFeb[] = "2025-02-10 10:00:00";            // before the pharmacy's enforcement

// The pharmacy's February (hand-computed figures in the test below).
void February(Fixture& f) {
  const std::string p = regtest::kPharmacy;
  // Coded, insured: 2 boxes x 10.00.
  f.Send(p, {{.bchno = "S1", .count = "2", .codes = {Code(1), Code(2)}, .time = kFeb}});
  // No code, self-pay, before enforcement: missing (warn), 1 box x 20.00.
  f.Send(p, {{.bchno = "S2", .drug = kValsartan, .settle = 2, .time = kFeb, .price = "20.00"}});
  // 3 boxes, 1 code: a short line counts as missing whole, 3 x 5.00, insured.
  f.Send(p, {{.bchno = "S3",
              .drug = kValsartan,
              .count = "3",
              .codes = {"(01)12345678901231(21)A1"},
              .time = kFeb,
              .price = "5.00"}});
  // Exempt 中药饮片: 2 x 3.00.
  f.Send(p, {{.bchno = "S4", .drug = regtest::kHerb, .count = "2", .time = kFeb, .price = "3.00"}});
  // No code but 无码库 covers it: 1 x 10.00.
  auto s5 = f.Send(p, {{.bchno = "S5", .time = kFeb}});
  REQUIRE(s5[0]["findings"][0]["rule"] == "NO_CODE_STOCK");
  // Coded sale, then its return: nets to nothing.
  f.Send(p, {{.bchno = "S6", .codes = {Code(6)}, .time = kFeb}});
  f.Send(p, {{.infno = "3506", .bchno = "T6", .codes = {Code(6)}, .time = kFeb, .returns = "S6"}});
  // Coded sale, then voided: as if never uploaded.
  f.Send(p, {{.bchno = "S7", .codes = {Code(7)}, .time = kFeb}});
  f.Send(p, {{.infno = "3507", .bchno = "S7"}});
  // Split sale of 15 of 30 tablets at 0.50: half a box, 7.50.
  f.Send(p, {{.bchno = "S8",
              .count = "15",
              .codes = {Code(8)},
              .time = kFeb,
              .price = "0.50",
              .split = true}});
}

// The hospital's August, after its enforcement date: one blocked uncoded line, one coded line.
void August(Fixture& f) {
  auto blocked = f.Send(regtest::kHospital, {{.bchno = "B1"}});
  REQUIRE(blocked[0]["verdict"] == "block");
  f.Send(regtest::kHospital, {{.bchno = "B2", .count = "2", .codes = {Code(20), Code(21)}}});
}

ingest::CoverageReport Report(Fixture& f, int month, const std::string& region = "",
                              int trend = 6) {
  auto ctx = f.Reader();
  ingest::CoverageQuery q;
  q.month = month;
  q.region = region;
  q.trend_months = trend;
  auto r = ingest::BuildCoverage(ctx->store(), ctx->refdata(), ctx->ledger().size(), q);
  REQUIRE(r.ok());
  return *r;
}

const Json& Institution(const Json& report, const std::string& code) {
  for (const Json& i : report["institutions"]) {
    if (i["fixmedins_code"] == code) return i;
  }
  FAIL("institution " << code << " not in the report");
  throw std::logic_error("unreachable");
}

Json M(std::int64_t rows, std::int64_t boxes_milli, std::int64_t amount_fen) {
  return {{"rows", rows}, {"boxes_milli", boxes_milli}, {"amount_fen", amount_fen}};
}

}  // namespace

TEST_CASE("coverage: boxes, amounts, exempt, 无码库, short lines, split, returns, voids",
          "[coverage]") {
  Fixture f;
  February(f);
  const Json r = ingest::CoverageJson(Report(f, 202502));
  CHECK(r["empty"] == false);
  const Json& p = Institution(r, regtest::kPharmacy);
  // coded: S1 2 boxes 2000 + S6 1 box 1000 - T6 1 box 1000 + S8 0.5 box 750 (lines net of returns)
  CHECK(p["all"]["coded"] == M(2, 2500, 2750));
  // missing: S2 1 box 2000 (self-pay) + S3 3 boxes 1500
  CHECK(p["all"]["missing"] == M(2, 4000, 3500));
  CHECK(p["all"]["required"] == M(4, 6500, 6250));
  CHECK(p["all"]["exempt"] == M(1, 2000, 600));
  CHECK(p["all"]["no_code_stock"] == M(1, 1000, 1000));
  CHECK(p["insured"]["coded"] == M(2, 2500, 2750));
  CHECK(p["insured"]["missing"] == M(1, 3000, 1500));
  CHECK(p["sales"]["rows"] == 7);  // S1..S8 without the voided S7
  CHECK(p["returns"] == M(1, 1000, 1000));
  CHECK(p["blocked"]["rows"] == 0);
  CHECK(p["collection_rate_boxes"].get<double>() == Approx(2.5 / 6.5).margin(1e-4));
  CHECK(p["collection_rate_amount"].get<double>() == Approx(2750.0 / 6250.0).margin(1e-4));
  CHECK(p["settlement_rate_boxes"].get<double>() == Approx(2.5 / 5.5).margin(1e-4));
  CHECK(p["settlement_rate_amount"].get<double>() == Approx(2750.0 / 4250.0).margin(1e-4));
  // The hospitals uploaded nothing: listed, with no rate.
  CHECK(Institution(r, regtest::kHospital)["collection_rate_boxes"].is_null());
  CHECK(r["total"]["all"]["required"] == M(4, 6500, 6250));
  REQUIRE(r["lowest"].size() == 1);
  CHECK(r["lowest"][0]["fixmedins_code"] == regtest::kPharmacy);
}

TEST_CASE("coverage: blocked lines apart, roll-ups, trend, region filter", "[coverage]") {
  Fixture f;
  February(f);
  August(f);
  const Json r = ingest::CoverageJson(Report(f, 202508, "", 7));
  const Json& h = Institution(r, regtest::kHospital);
  CHECK(h["all"]["coded"] == M(1, 2000, 2000));
  CHECK(h["all"]["missing"] == M(0, 0, 0));
  CHECK(h["blocked"] == M(1, 1000, 1000));
  CHECK(h["collection_rate_boxes"] == 1.0);
  // Roll-ups by class: level3 has the hospital's figures; retail_pharmacy had no August sales.
  bool level3 = false;
  for (const Json& c : r["by_class"]) {
    if (c["class"] == "level3") {
      level3 = true;
      CHECK(c["all"]["coded"]["boxes_milli"] == 2000);
      CHECK(c["institutions"] == 1);
    }
    if (c["class"] == "retail_pharmacy") CHECK(c["collection_rate_boxes"].is_null());
  }
  CHECK(level3);
  // Trend: February to August, oldest first.
  REQUIRE(r["trend"].size() == 7);
  CHECK(r["trend"][0]["month"] == "2025-02");
  CHECK(r["trend"][0]["collection_rate_boxes"].get<double>() == Approx(2.5 / 6.5).margin(1e-4));
  CHECK(r["trend"][3]["collection_rate_boxes"].is_null());
  CHECK(r["trend"][6]["month"] == "2025-08");
  CHECK(r["trend"][6]["collection_rate_boxes"] == 1.0);
  // By region: the city 130800 covers both districts; the county 130821 had no sales.
  const Json city = ingest::CoverageJson(Report(f, 202508, "130800"));
  CHECK(city["institutions"].size() == 3);
  const Json county = ingest::CoverageJson(Report(f, 202508, "130821"));
  CHECK(county["empty"] == true);
  CHECK_THAT(county["message"].get<std::string>(), Catch::Contains("130821"));
  REQUIRE(county["institutions"].size() == 1);
  CHECK(county["institutions"][0]["fixmedins_code"] == regtest::kCounty);
}

TEST_CASE("coverage: empty month says so in every format, months parse strictly", "[coverage]") {
  Fixture f;
  const ingest::CoverageReport r = Report(f, 202401);
  CHECK(r.empty());
  CHECK_THAT(ingest::CoverageTable(r), Catch::Contains("no sales or sale returns"));
  CHECK_THAT(ingest::CoverageHtml(r), Catch::Contains("no sales or sale returns"));
  std::string error;
  CHECK(ingest::ParseMonth("2025-08", error) == 202508);
  CHECK_FALSE(ingest::ParseMonth("2025-13", error));
  CHECK_THAT(error, Catch::Contains("01..12"));
  CHECK_FALSE(ingest::ParseMonth("2025-8", error));
  CHECK_THAT(error, Catch::Contains("YYYY-MM"));
  CHECK_FALSE(ingest::ParseMonth("202508", error));
}

TEST_CASE("coverage: CSV and HTML carry the figures, HTML is self-contained", "[coverage]") {
  Fixture f;
  February(f);
  const ingest::CoverageReport r = Report(f, 202502);
  const std::string csv = ingest::CoverageCsv(r);
  CHECK(csv.rfind("\xEF\xBB\xBFmonth,fixmedins_code,", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("2025-02,P13080200001,康宁大药房,retail_pharmacy,130802,0.3846,"
                                  "0.4400,0.4545,0.6471,6.5,2.5,4,2,1,0,62.50,27.50"));
  const std::string html = ingest::CoverageHtml(r);
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("康宁大药房"));
  CHECK_THAT(html, Catch::Contains("38.5%"));
  for (const char* external : {"<script", "src=", "href=", "url(", "@import"}) {
    INFO(external);
    CHECK(html.find(external) == std::string::npos);
  }
  CHECK_THAT(ingest::CoverageTable(r), Catch::Contains("38.5%"));
}
