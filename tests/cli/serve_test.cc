// `drugtrace serve` end to end: the real binary on a loopback port, real HTTP, and the ledger read
// back through the CLI (verify, export, checkpoint --list) after the daemon stopped.
//
//  1. happy path with every example message   5. SIGTERM drain under load, restart continues
//  2. bad input: clear 4xx, nothing recorded  6. concurrency: 8 clients x 200 messages, metrics
//  3. authentication and authorisation;        7. background checkpoints (survive SIGKILL)
//     tokens revoked/created beside the daemon
//  4. idempotency by msgid and fixmedins_bchno
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.h"
#include "support/http_client.h"
#include "support/process.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using testsupport::Bearer;
using testsupport::DaemonFixture;
using testsupport::ExportedEntry;
using testsupport::HttpClient;
using testsupport::HttpResult;
using testsupport::kHospital;
using testsupport::kPharmacy;
using testsupport::ReadFile;

// ---------------------------------------------------------------------------------------------
// Messages

Json Example(const std::string& infno) {
  return Json::parse(
      ReadFile(std::string(DRUGTRACE_SOURCE_DIR) + "/schemas/examples/upload-" + infno + ".json"));
}

const char* RowArray(const std::string& infno) {
  if (infno == "3505" || infno == "3506") return "selinfo";
  if (infno == "3503" || infno == "3504") return "purcinfo";
  if (infno == "3501") return "invinfo";
  if (infno == "3502") return "stkinfo";
  return "data";
}

// Unique 码上放心 codes of 阿卡波糖片 (product id 8100001 in the example refdata): 20 digits.
std::string NextCode() {
  static std::atomic<std::uint64_t> serial{1};
  std::string n = std::to_string(serial++);
  return "8100001" + std::string(13 - n.size(), '0') + n;
}

std::string Unique(const std::string& prefix) {
  static std::atomic<std::uint64_t> n{1};
  return prefix + std::to_string(n++);
}

// A 3505 sale from `institution`: one row per entry of `bchnos`, each a self-paid whole-pack sale
// of `boxes` boxes of 阿卡波糖片 with one fresh code per box.
Json SaleMessage(const std::string& msgid, const std::vector<std::string>& bchnos,
                 const std::string& institution = kPharmacy, int boxes = 1) {
  Json rows = Json::array();
  for (const auto& b : bchnos) {
    Json codes = Json::array();
    for (int i = 0; i < boxes; ++i) codes.push_back({{"drug_trac_codg", NextCode()}});
    rows.push_back({{"fixmedins_bchno", b},
                    {"med_list_codg", "XA10BFA001A001010101001"},
                    {"fixmedins_hilist_id", "YP000451"},
                    {"fixmedins_hilist_name", "阿卡波糖片 50mg×30片"},
                    {"rtal_docno", "R-" + msgid},
                    {"sel_retn_cnt", std::to_string(boxes)},
                    {"sel_retn_time", "2025-08-01 09:29:58"},
                    {"trdn_flag", "0"},
                    {"mdtrt_setl_type", "2"},
                    {"finl_trns_pric", "36.50"},
                    {"drugtracinfo", std::move(codes)}});
  }
  return {{"infno", "3505"},
          {"msgid", msgid},
          {"fixmedins_code", institution},
          {"inf_time", "2025-08-01 09:30:15"},
          {"opter", "0017"},
          {"opter_name", "收银台1"},
          {"input", {{"selinfo", std::move(rows)}}}};
}

// A sale of `n` rows with fresh msgid and bchnos.
Json FreshSale(std::size_t n, const std::string& institution = kPharmacy) {
  std::vector<std::string> bchnos;
  for (std::size_t i = 0; i < n; ++i) bchnos.push_back(Unique("S-"));
  return SaleMessage(Unique("M-"), bchnos, institution);
}

std::vector<std::string> Bchnos(const Json& message) {
  std::vector<std::string> out;
  for (const auto& row : message["input"][RowArray(message["infno"])]) {
    out.push_back(row["fixmedins_bchno"]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Responses

// The NHSA body of a response; fails the test when it is not {infcode, err_msg, output}.
Json NhsaBody(const HttpResult& r) {
  INFO("status " << r.status << " error '" << r.error << "' body: " << r.body);
  REQUIRE(r.ok());
  Json body = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  REQUIRE(!body.is_discarded());
  REQUIRE(body.is_object());
  REQUIRE(body.contains("infcode"));
  REQUIRE(body["infcode"].is_number_integer());
  REQUIRE(body.contains("err_msg"));
  REQUIRE(body["err_msg"].is_string());
  // Every answer has the NHSA shape, including refusals made by the HTTP layer (output: null).
  CHECK(body.contains("output"));
  auto ct = r.Header("content-type");
  CHECK(ct.value_or("").find("application/json") != std::string::npos);
  return body;
}

// A refusal: `status`, infcode non-zero, an err_msg containing every fragment, no output.
void ExpectRefused(const HttpResult& r, int status, const std::vector<std::string>& fragments) {
  Json body = NhsaBody(r);
  INFO("body: " << r.body);
  CHECK(r.status == status);
  CHECK(body["infcode"] != 0);
  CHECK(body["output"].is_null());
  const std::string msg = body["err_msg"];
  CHECK(!msg.empty());
  for (const auto& f : fragments) {
    INFO("expected in err_msg: " << f);
    CHECK(msg.find(f) != std::string::npos);
  }
}

// An accepted message: 200, infcode 0, one output row per message row, in order, with its bchno,
// a ledger index (consecutive within the message), a verdict and a findings array. Returns the
// ledger index of each row.
std::vector<std::uint64_t> ExpectAccepted(const HttpResult& r, const Json& message) {
  Json body = NhsaBody(r);
  INFO("body: " << r.body);
  REQUIRE(r.status == 200);
  CHECK(body["infcode"] == 0);
  CHECK(body["err_msg"] == "");
  REQUIRE(body["output"].is_object());
  Json& rows = body["output"]["rows"];
  const auto bchnos = Bchnos(message);
  REQUIRE(rows.is_array());
  REQUIRE(rows.size() == bchnos.size());
  std::vector<std::uint64_t> indexes;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Json& row = rows[i];
    CHECK(row["fixmedins_bchno"] == bchnos[i]);
    REQUIRE(row["ledger_index"].is_number_unsigned());
    indexes.push_back(row["ledger_index"].get<std::uint64_t>());
    const std::string verdict = row["verdict"];
    CHECK((verdict == "ok" || verdict == "warn" || verdict == "block"));
    CHECK(row["findings"].is_array());
    if (i > 0) CHECK(indexes[i] == indexes[i - 1] + 1);
  }
  return indexes;
}

std::uint64_t HealthzEntries(HttpClient& c) {
  HttpResult h = c.Get("/healthz");
  INFO("healthz: " << h.status << " " << h.body << " " << h.error);
  REQUIRE(h.status == 200);
  const Json j = Json::parse(h.body);
  CHECK(j["status"] == "ok");
  REQUIRE(j["ledger_entries"].is_number_unsigned());
  return j["ledger_entries"].get<std::uint64_t>();
}

// Sum of a Prometheus counter family ("drugtrace_rows_total") over its labels.
double MetricSum(const std::string& text, const std::string& family) {
  double sum = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// The ledger afterwards

std::vector<const ExportedEntry*> OfKind(const std::vector<ExportedEntry>& all,
                                         const std::string& kind) {
  std::vector<const ExportedEntry*> out;
  for (const auto& e : all) {
    if (e.kind() == kind) out.push_back(&e);
  }
  return out;
}

// Upload rows by fixmedins_bchno (of the row itself; for 3507 the voided row's), all of them.
std::multimap<std::string, const ExportedEntry*> RowsByBchno(
    const std::vector<ExportedEntry>& all) {
  std::multimap<std::string, const ExportedEntry*> out;
  for (const auto* e : OfKind(all, "upload_row")) {
    out.emplace(e->entry["row"].value("fixmedins_bchno", ""), e);
  }
  return out;
}

void ExpectVerifies(const DaemonFixture& d) {
  auto v = d.Verify();
  INFO("verify stdout: " << v.out << "\nstderr: " << v.err);
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("ok: ", 0) == 0);
}

void ExpectIndexesDense(const std::vector<ExportedEntry>& all) {
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].index != i) {
      FAIL("export entry " << i << " has index " << all[i].index);
    }
  }
}

// One upload as a worker thread saw it (workers never call Catch2 assertions).
struct Sent {
  Json message;
  HttpResult response;
};

}  // namespace

// 1
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: every example message is accepted and recorded in order", "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient c = d.Client();
  const std::uint64_t before = HealthzEntries(c);

  std::uint64_t next = before;
  std::vector<std::pair<Json, std::vector<std::uint64_t>>> accepted;
  for (const char* infno : {"3503", "3505", "3506", "3507", "3501"}) {
    INFO("example " << infno);
    const Json m = Example(infno);
    HttpResult r = c.Post("/v1/upload", m.dump(), Bearer(token.secret));
    const auto indexes = ExpectAccepted(r, m);
    REQUIRE(!indexes.empty());
    CHECK(indexes.front() == next);  // consecutive across messages too
    next = indexes.back() + 1;
    accepted.emplace_back(m, indexes);
  }
  CHECK(c.connections_opened() == 1);  // one kept-alive connection for everything
  CHECK(HealthzEntries(c) == next);

  REQUIRE(d.Stop() == 0);
  const std::string err = d.Stderr();
  CHECK(err.find("SIGTERM, draining") != std::string::npos);
  CHECK(err.find("stopped") != std::string::npos);
  CHECK(err.find("failed") == std::string::npos);
  ExpectVerifies(d);

  const auto all = d.Export();
  ExpectIndexesDense(all);
  CHECK(all.size() == next);
  CHECK(OfKind(all, "refdata").size() == 1);
  CHECK(OfKind(all, "token").size() == 1);
  CHECK(OfKind(all, "upload_row").size() == next - before);
  // Each row's entry is where its response said, with its message's envelope.
  for (const auto& [m, indexes] : accepted) {
    const auto bchnos = Bchnos(m);
    for (std::size_t i = 0; i < indexes.size(); ++i) {
      REQUIRE(indexes[i] < all.size());
      const ExportedEntry& e = all[indexes[i]];
      INFO("entry " << indexes[i] << ": " << e.bytes);
      CHECK(e.type == 1);
      CHECK(e.institution == kPharmacy);
      CHECK(e.kind() == "upload_row");
      CHECK(e.entry["msgid"] == m["msgid"]);
      CHECK(e.entry["infno"] == m["infno"]);
      CHECK(e.entry["row_index"] == i);
      CHECK(e.entry["row"]["fixmedins_bchno"] == bchnos[i]);
    }
  }
  // PIPL: psn_no is stored only as a keyed hash.
  for (const auto& e : all) {
    CHECK(e.bytes.find("13000012345678") == std::string::npos);
  }
  const ExportedEntry& sale = all[accepted[1].second[0]];
  CHECK(!sale.entry["row"].contains("psn_no"));
  CHECK(sale.entry["row"].value("psn_hash", "").size() == 64);
  // The drain signed a last checkpoint of the whole ledger.
  const Json cps = d.Checkpoints();
  REQUIRE(!cps.empty());
  CHECK(cps.back()["tree_size"] == all.size());
}

// 2
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: bad input gets a clear 4xx and records nothing", "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start({"--body-limit", "65536"});
  HttpClient c = d.Client();
  const std::uint64_t before = HealthzEntries(c);
  const auto auth = Bearer(token.secret);

  const Json good = FreshSale(2);
  auto with = [&](auto edit) {
    Json m = good;
    edit(m);
    return m.dump();
  };
  auto row = [](Json& m, int i) -> Json& { return m["input"]["selinfo"][i]; };

  struct Case {
    std::string name;
    std::string body;
    int status;
    std::vector<std::string> fragments;
  };
  std::vector<Case> cases;
  cases.push_back({"malformed JSON", R"({"infno": "3505", "msgid": )", 400, {"malformed JSON"}});
  cases.push_back({"trailing garbage", good.dump() + "}", 400, {"malformed JSON"}});
  cases.push_back({"empty body", "", 400, {"malformed JSON"}});
  cases.push_back({"duplicate key", R"({"infno":"3505","infno":"3505"})", 400, {"duplicate"}});
  cases.push_back({"infno as a number", with([](Json& m) { m["infno"] = 3505; }), 400, {"/infno"}});
  cases.push_back({"quantity as an object",
                   with([&](Json& m) {
                     row(m, 0)["sel_retn_cnt"] = Json{{"n", 2}};
                   }),
                   400,
                   {"/input/selinfo/0/sel_retn_cnt"}});
  cases.push_back(
      {"input as an array", with([](Json& m) { m["input"] = Json::array(); }), 400, {"/input"}});
  cases.push_back({"the message is an array", "[" + good.dump() + "]", 400, {}});
  cases.push_back({"unknown infno", with([](Json& m) { m["infno"] = "3599"; }), 400, {"/infno"}});
  {
    // Invalid UTF-8 (a lone continuation byte and an overlong form) inside a string.
    std::string b = good.dump();
    const std::string name = "\"收银台1\"";
    b.replace(b.find(name), name.size(), "\"\x80\xC0\xAF\"");
    cases.push_back({"invalid UTF-8 in a string", b, 400, {"malformed JSON"}});
  }
  {
    std::string b = good.dump();
    const std::string cnt = "\"sel_retn_cnt\":\"1\"";
    b.replace(b.find(cnt), cnt.size(), "\"sel_retn_cnt\":123456789012345678901234567890123456789");
    cases.push_back({"huge integer", b, 400, {"/input/selinfo/0/sel_retn_cnt"}});
  }
  cases.push_back({"huge integer as infno", R"({"infno":99999999999999999999999})", 400, {}});
  {
    std::string b = good.dump();
    const std::string input = "\"input\":";
    b.insert(b.find(input) + input.size(),
             std::string(10000, '[') + std::string(10000, ']') + ",\"x\":");
    cases.push_back({"nesting 10000 deep", b, 400, {"nested deeper"}});
    cases.push_back({"bare nesting 10000 deep",
                     std::string(10000, '[') + std::string(10000, ']'),
                     400,
                     {"nested deeper"}});
  }
  {
    // A well-formed message, only too big for --body-limit 65536.
    std::vector<std::string> many;
    for (int i = 0; i < 400; ++i) many.push_back(Unique("BIG-"));
    const std::string big = SaleMessage(Unique("M-"), many).dump();
    REQUIRE(big.size() > 65536);
    cases.push_back({"body over the limit", big, 413, {}});
  }
  cases.push_back({"psn_name",
                   with([&](Json& m) { row(m, 0)["psn_name"] = "张三"; }),
                   400,
                   {"/input/selinfo/0/psn_name", "personal"}});
  cases.push_back({"certno",
                   with([&](Json& m) { row(m, 1)["certno"] = "130802199001011234"; }),
                   400,
                   {"/input/selinfo/1/certno", "personal"}});
  cases.push_back({"missing sel_retn_time",
                   with([&](Json& m) { row(m, 1).erase("sel_retn_time"); }),
                   400,
                   {"/input/selinfo/1/sel_retn_time"}});
  cases.push_back({"missing msgid", with([](Json& m) { m.erase("msgid"); }), 400, {"msgid"}});
  cases.push_back({"unknown field",
                   with([&](Json& m) { row(m, 0)["bogus"] = "1"; }),
                   400,
                   {"/input/selinfo/0"}});
  cases.push_back({"a day that does not exist",
                   with([&](Json& m) { row(m, 1)["sel_retn_time"] = "2025-02-30 10:00:00"; }),
                   400,
                   {"/input/selinfo/1/sel_retn_time"}});
  cases.push_back({"no rows",
                   with([](Json& m) { m["input"]["selinfo"] = Json::array(); }),
                   400,
                   {"/input/selinfo"}});
  cases.push_back(
      {"the same bchno twice in one message",
       with([&](Json& m) { row(m, 1)["fixmedins_bchno"] = row(m, 0)["fixmedins_bchno"]; }),
       409,
       {"/input/selinfo/1/fixmedins_bchno", "twice"}});

  for (const auto& k : cases) {
    INFO("case: " << k.name);
    HttpResult r = c.Post("/v1/upload", k.body, auth);
    ExpectRefused(r, k.status, k.fragments);
  }

  // Wrong method and unknown paths.
  ExpectRefused(c.Get("/v1/upload", auth), 405, {"POST"});
  ExpectRefused(c.Request("PUT", "/v1/upload", good.dump(), auth), 405, {"POST"});
  ExpectRefused(c.Post("/v1/nothing", good.dump(), auth), 404, {"/v1/nothing"});
  ExpectRefused(c.Get("/v2/upload", auth), 404, {});  // "/" is the console (docs/console.md)
  ExpectRefused(c.Post("/v1/upload/", good.dump(), auth), 404, {});

  // Nothing was recorded, and the daemon still works: the good message gets the next index.
  CHECK(HealthzEntries(c) == before);
  HttpClient fresh = d.Client();
  const auto indexes = ExpectAccepted(fresh.Post("/v1/upload", good.dump(), auth), good);
  CHECK(indexes.front() == before);

  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  CHECK(all.size() == before + 2);
  const auto rows = OfKind(all, "upload_row");
  REQUIRE(rows.size() == 2);
  for (const auto* e : rows) CHECK(e->entry["msgid"] == good["msgid"]);
}

// 3
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: uploads need a terminal token of the message's institution", "[serve]") {
  DaemonFixture d;
  const auto pharmacy = d.CreateToken("terminal", kPharmacy);
  const auto hospital = d.CreateToken("terminal", kHospital);
  const auto regulator = d.CreateToken("regulator");
  const auto admin = d.CreateToken("admin");
  d.Start();
  HttpClient c = d.Client();
  const std::uint64_t before = HealthzEntries(c);

  const Json m = FreshSale(1);
  ExpectRefused(c.Post("/v1/upload", m.dump()), 401, {"token"});
  ExpectRefused(c.Post("/v1/upload", m.dump(), Bearer("dt_notatokenatall0123456789")), 401, {});
  ExpectRefused(c.Post("/v1/upload", m.dump(), {{"Authorization", "Basic " + pharmacy.secret}}),
                401, {});
  ExpectRefused(c.Post("/v1/upload", m.dump(), {{"Authorization", "Bearer"}}), 401, {});
  ExpectRefused(c.Post("/v1/upload", m.dump(), Bearer(pharmacy.secret + "x")), 401, {});
  // A terminal of institution B uploading for A, and the other way round.
  ExpectRefused(c.Post("/v1/upload", m.dump(), Bearer(hospital.secret)), 403,
                {kHospital, kPharmacy});
  ExpectRefused(c.Post("/v1/upload", FreshSale(1, kHospital).dump(), Bearer(pharmacy.secret)), 403,
                {});
  ExpectRefused(c.Post("/v1/upload", m.dump(), Bearer(regulator.secret)), 403, {"terminal"});
  ExpectRefused(c.Post("/v1/upload", m.dump(), Bearer(admin.secret)), 403, {"terminal"});
  CHECK(HealthzEntries(c) == before);

  // The rightful terminals.
  const auto a = ExpectAccepted(c.Post("/v1/upload", m.dump(), Bearer(pharmacy.secret)), m);
  CHECK(a.front() == before);
  const Json h = FreshSale(1, kHospital);
  const auto b = ExpectAccepted(c.Post("/v1/upload", h.dump(), Bearer(hospital.secret)), h);
  CHECK(b.front() == before + 1);

  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  const auto rows = OfKind(all, "upload_row");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]->institution == kPharmacy);
  CHECK(rows[1]->institution == kHospital);
  CHECK(OfKind(all, "token").size() == 4);
  for (const auto& e : all) {
    // Only the public part of a token is recorded, never its secret.
    for (const auto* t : {&pharmacy, &hospital, &regulator, &admin}) {
      CHECK(e.bytes.find(t->secret.substr(3)) == std::string::npos);
    }
  }
}

TEST_CASE("serve: a token revoked while the daemon runs is refused within seconds", "[serve]") {
  DaemonFixture d;
  const auto keeper = d.CreateToken("terminal", kPharmacy);
  const auto doomed = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient c = d.Client();
  std::size_t rows_accepted = 0;

  const Json first = FreshSale(1);
  rows_accepted +=
      ExpectAccepted(c.Post("/v1/upload", first.dump(), Bearer(doomed.secret)), first).size();

  // `drugtrace token revoke` runs beside the daemon; tokens are refreshed every 2 s.
  d.RevokeToken(doomed.id);
  const auto revoked_at = Clock::now();
  HttpResult last;
  while (Clock::now() - revoked_at < 15s) {
    const Json probe = FreshSale(1);
    last = c.Post("/v1/upload", probe.dump(), Bearer(doomed.secret));
    if (last.status != 200) break;
    rows_accepted += Bchnos(probe).size();
    std::this_thread::sleep_for(100ms);
  }
  const double waited = std::chrono::duration<double>(Clock::now() - revoked_at).count();
  {
    INFO("revoked token answered " << last.status << " after " << waited << " s: " << last.body
                                   << last.error);
    ExpectRefused(last, 401, {"token"});
  }
  // The daemon goes on recording for the other token of the same institution.
  const Json after = FreshSale(2);
  HttpResult r = c.Post("/v1/upload", after.dump(), Bearer(keeper.secret));
  rows_accepted += ExpectAccepted(r, after).size();

  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  ExpectIndexesDense(all);
  CHECK(OfKind(all, "upload_row").size() == rows_accepted);
  const auto tokens = OfKind(all, "token");
  REQUIRE(tokens.size() == 3);  // two created, one revocation
  CHECK(tokens[2]->entry["id"] == doomed.id);
  CHECK(tokens[2]->entry["revoked"] == true);
}

TEST_CASE("serve: a token created while the daemon runs is accepted within seconds", "[serve]") {
  DaemonFixture d;
  const auto early = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient c = d.Client();
  const auto late = d.CreateToken("terminal", kHospital);
  const auto created_at = Clock::now();
  HttpResult last;
  Json probe;
  while (Clock::now() - created_at < 15s) {
    probe = FreshSale(1, kHospital);
    last = c.Post("/v1/upload", probe.dump(), Bearer(late.secret));
    if (last.status != 401) break;  // not known yet
    std::this_thread::sleep_for(100ms);
  }
  {
    INFO("waited " << std::chrono::duration<double>(Clock::now() - created_at).count() << " s");
    ExpectAccepted(last, probe);
  }
  const Json m = FreshSale(1);
  ExpectAccepted(c.Post("/v1/upload", m.dump(), Bearer(early.secret)), m);
  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  ExpectIndexesDense(all);
  CHECK(OfKind(all, "upload_row").size() == 2);
}

// 4
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: retries are answered from the stored response, conflicts get 409", "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient c = d.Client();
  const auto auth = Bearer(token.secret);

  const Json m = FreshSale(2);
  HttpResult first = c.Post("/v1/upload", m.dump(), auth);
  const auto indexes = ExpectAccepted(first, m);
  const std::uint64_t size = HealthzEntries(c);

  SECTION("the same message again") {
    HttpResult again = c.Post("/v1/upload", m.dump(), auth);
    CHECK(again.status == 200);
    CHECK(again.body == first.body);
    // The same message laid out differently (key order, whitespace) is the same message.
    HttpResult pretty = c.Post("/v1/upload", m.dump(2), auth);
    CHECK(pretty.status == 200);
    CHECK(pretty.body == first.body);
    CHECK(HealthzEntries(c) == size);

    // Retries racing each other in one batch are answered alike and recorded once.
    const Json racing = FreshSale(3);
    std::vector<HttpResult> results(6);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t) {
      threads.emplace_back([&, t] {
        HttpClient tc = d.Client();
        results[t] = tc.Post("/v1/upload", racing.dump(), auth);
      });
    }
    for (auto& t : threads) t.join();
    const auto racing_indexes = ExpectAccepted(results[0], racing);
    for (const auto& r : results) {
      CHECK(r.status == 200);
      CHECK(r.body == results[0].body);
    }
    CHECK(racing_indexes.front() == size);
    CHECK(HealthzEntries(c) == size + 3);

    // And after a restart, from the ledger.
    d.Restart();
    HttpClient c2 = d.Client();
    HttpResult later = c2.Post("/v1/upload", m.dump(), auth);
    CHECK(later.status == 200);
    CHECK(later.body == first.body);
    CHECK(HealthzEntries(c2) == size + 3);
  }

  SECTION("the same msgid with different content") {
    Json changed = m;
    changed["input"]["selinfo"][0]["sel_retn_cnt"] = "2";
    ExpectRefused(c.Post("/v1/upload", changed.dump(), auth), 409,
                  {m["msgid"].get<std::string>(), "different"});
    // Different rows altogether under the same msgid.
    Json other = FreshSale(1);
    other["msgid"] = m["msgid"];
    ExpectRefused(c.Post("/v1/upload", other.dump(), auth), 409, {"different"});
    CHECK(HealthzEntries(c) == size);
    // The original is still answered as before.
    HttpResult again = c.Post("/v1/upload", m.dump(), auth);
    CHECK(again.body == first.body);
  }

  SECTION("a new msgid reusing a recorded fixmedins_bchno") {
    const std::string reused = Bchnos(m)[1];
    const Json dup = SaleMessage(Unique("M-"), {Unique("S-"), reused});
    ExpectRefused(c.Post("/v1/upload", dup.dump(), auth), 409,
                  {"/input/selinfo/1/fixmedins_bchno", reused, "already recorded",
                   std::to_string(indexes[1])});
    CHECK(HealthzEntries(c) == size);
    // The new row of that message was not recorded either: it can be sent on its own.
    const Json alone = SaleMessage(Unique("M-"), {dup["input"]["selinfo"][0]["fixmedins_bchno"]});
    const auto alone_indexes = ExpectAccepted(c.Post("/v1/upload", alone.dump(), auth), alone);
    CHECK(alone_indexes.front() == size);
    // The rejected msgid was not remembered: once fixed, it is accepted.
    const Json fixed = SaleMessage(dup["msgid"], {Unique("S-")});
    ExpectAccepted(c.Post("/v1/upload", fixed.dump(), auth), fixed);
    CHECK(HealthzEntries(c) == size + 2);
  }

  SECTION("different messages racing for one fixmedins_bchno") {
    const std::string contested = Unique("S-");
    std::vector<Json> messages;
    for (int t = 0; t < 6; ++t) messages.push_back(SaleMessage(Unique("M-"), {contested}));
    std::vector<HttpResult> results(messages.size());
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < messages.size(); ++t) {
      threads.emplace_back([&, t] {
        HttpClient tc = d.Client();
        results[t] = tc.Post("/v1/upload", messages[t].dump(), auth);
      });
    }
    for (auto& t : threads) t.join();
    int won = 0;
    for (std::size_t t = 0; t < results.size(); ++t) {
      if (results[t].status == 200) {
        ++won;
        CHECK(ExpectAccepted(results[t], messages[t]).front() == size);
      } else {
        ExpectRefused(results[t], 409, {contested});
      }
    }
    CHECK(won == 1);
    CHECK(HealthzEntries(c) == size + 1);
  }

  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  ExpectIndexesDense(all);
  // Every row recorded once.
  const auto by_bchno = RowsByBchno(all);
  for (const auto& b : Bchnos(m)) CHECK(by_bchno.count(b) == 1);
  std::set<std::string> seen;
  for (const auto& [b, e] : by_bchno) {
    INFO("bchno " << b);
    CHECK(seen.insert(b).second);
  }
}

// 5
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: SIGTERM drains, what was answered 200 is recorded once, and a restart continues",
          "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  const auto auth = Bearer(token.secret);

  constexpr int kThreads = 6;
  std::atomic<int> answered{0};
  std::atomic<bool> signalled{false};
  std::vector<std::vector<Sent>> sent(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = d.Client(20s);
      int failures_after_signal = 0;
      for (int i = 0; i < 5000 && failures_after_signal < 3; ++i) {
        Sent s{FreshSale(1 + (i + t) % 3), {}};
        s.response = c.Post("/v1/upload", s.message.dump(), auth);
        if (s.response.status == 200) ++answered;
        if (s.response.status != 200 && signalled) ++failures_after_signal;
        sent[t].push_back(std::move(s));
      }
    });
  }
  // Mid-stream: once a good number of uploads were answered.
  const auto deadline = Clock::now() + 60s;
  while (answered < 150 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const int answered_at_signal = answered;
  d.Signal(SIGTERM);
  signalled = true;
  const int rc = d.Wait(60s);
  for (auto& t : threads) t.join();
  CHECK(rc == 0);
  INFO("daemon stderr:\n" << d.Stderr());
  ExpectVerifies(d);

  std::size_t ok = 0, refused = 0, lost = 0;
  const auto all = d.Export();
  ExpectIndexesDense(all);
  const auto by_bchno = RowsByBchno(all);
  // Rows recorded per msgid, to check that no message is half-recorded.
  std::map<std::string, std::size_t> rows_by_msgid;
  for (const auto* e : OfKind(all, "upload_row")) rows_by_msgid[e->entry["msgid"]]++;

  for (const auto& thread : sent) {
    for (const auto& s : thread) {
      const auto bchnos = Bchnos(s.message);
      const std::string msgid = s.message["msgid"];
      INFO("msgid " << msgid << " status " << s.response.status << " error '" << s.response.error
                    << "' body " << s.response.body);
      if (s.response.status == 200) {
        ++ok;
        const auto indexes = ExpectAccepted(s.response, s.message);
        for (std::size_t i = 0; i < bchnos.size(); ++i) {
          REQUIRE(by_bchno.count(bchnos[i]) == 1);
          const ExportedEntry* e = by_bchno.find(bchnos[i])->second;
          CHECK(e->index == indexes[i]);
          CHECK(e->entry["msgid"] == msgid);
        }
      } else if (s.response.ok()) {
        // Refused while shutting down (503) or connection-level answers: not recorded at all.
        ++refused;
        CHECK((s.response.status == 503 || s.response.status >= 500));
        for (const auto& b : bchnos) CHECK(by_bchno.count(b) == 0);
      } else {
        // No answer (connection refused or closed): recorded whole or not at all.
        ++lost;
        const std::size_t n = rows_by_msgid.count(msgid) ? rows_by_msgid[msgid] : 0;
        CHECK((n == 0 || n == bchnos.size()));
        for (const auto& b : bchnos) CHECK(by_bchno.count(b) == (n == 0 ? 0u : 1u));
      }
    }
  }
  // Every recorded message is whole.
  std::map<std::string, std::size_t> expected_rows;
  for (const auto& thread : sent) {
    for (const auto& s : thread) expected_rows[s.message["msgid"]] = Bchnos(s.message).size();
  }
  for (const auto& [msgid, n] : rows_by_msgid) {
    INFO("msgid " << msgid);
    REQUIRE(expected_rows.count(msgid) == 1);
    CHECK(n == expected_rows[msgid]);
  }
  INFO("answered 200: " << ok << " (" << answered_at_signal
                        << " before SIGTERM), refused: " << refused << ", no answer: " << lost);
  CHECK(ok >= 150);

  // The drain signed a checkpoint of everything.
  const Json cps = d.Checkpoints();
  REQUIRE(!cps.empty());
  CHECK(cps.back()["tree_size"] == all.size());

  // A restarted daemon continues the same chain, its indexes read from the heads file the clean
  // shutdown left (not rebuilt by a scan).
  d.Start();
  HttpClient c = d.Client();
  CHECK(HealthzEntries(c) == all.size());
  INFO("daemon stderr:\n" << d.Stderr());
  CHECK(d.Stderr().find("heads file written") != std::string::npos);
  CHECK(d.Stderr().find("(heads file at " + std::to_string(all.size()) + " entries") !=
        std::string::npos);
  const Json next = FreshSale(2);
  const auto indexes = ExpectAccepted(c.Post("/v1/upload", next.dump(), auth), next);
  CHECK(indexes.front() == all.size());
  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto after = d.Export();
  ExpectIndexesDense(after);
  CHECK(after.size() == all.size() + 2);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(after[i].bytes == all[i].bytes);
}

// 6
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: 8 concurrent terminals x 200 messages are all recorded exactly once", "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  const auto auth = Bearer(token.secret);
  HttpClient probe = d.Client();
  const std::uint64_t before = HealthzEntries(probe);

  constexpr int kThreads = 8;
  constexpr int kMessages = 200;
  std::vector<std::vector<Sent>> sent(kThreads);
  std::vector<int> connections(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = d.Client(60s);
      for (int i = 0; i < kMessages; ++i) {
        Sent s{FreshSale(1 + (i * 7 + t) % 5), {}};
        s.response = c.Post("/v1/upload", s.message.dump(), auth);
        sent[t].push_back(std::move(s));
      }
      connections[t] = c.connections_opened();
    });
  }
  for (auto& t : threads) t.join();

  std::size_t rows = 0;
  std::set<std::uint64_t> indexes;
  std::map<std::string, std::uint64_t> index_of;  // bchno -> ledger index
  for (const auto& thread : sent) {
    REQUIRE(thread.size() == kMessages);
    for (const auto& s : thread) {
      INFO("msgid " << s.message["msgid"]);
      const auto got = ExpectAccepted(s.response, s.message);
      const auto bchnos = Bchnos(s.message);
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(indexes.insert(got[i]).second);
        index_of[bchnos[i]] = got[i];
      }
      rows += got.size();
    }
  }
  for (int t = 0; t < kThreads; ++t) CHECK(connections[t] == 1);  // keep-alive held throughout
  REQUIRE(!indexes.empty());
  CHECK(*indexes.begin() == before);
  CHECK(*indexes.rbegin() == before + rows - 1);  // dense: no gaps, no doubles

  CHECK(HealthzEntries(probe) == before + rows);
  HttpResult metrics = probe.Get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.Header("content-type").value_or("").find("text/plain") != std::string::npos);
  CHECK(MetricSum(metrics.body, "drugtrace_rows_total") == Approx(rows));
  CHECK(MetricSum(metrics.body, "drugtrace_ledger_entries") == Approx(before + rows));
  // The writer's WAL holds the commits since the last restart (never drained at this size).
  CHECK(MetricSum(metrics.body, "drugtrace_wal_frames") > 0);
  CHECK(MetricSum(metrics.body, "drugtrace_wal_drains_total") == 0);
  CHECK(metrics.body.find("drugtrace_http_requests_total{status=\"200\"} ") != std::string::npos);
  CHECK(MetricSum(metrics.body, "drugtrace_replays_total") == 0);

  REQUIRE(d.Stop() == 0);
  ExpectVerifies(d);
  const auto all = d.Export();
  ExpectIndexesDense(all);
  CHECK(all.size() == before + rows);
  const auto by_bchno = RowsByBchno(all);
  CHECK(by_bchno.size() == rows);
  for (const auto& [bchno, index] : index_of) {
    INFO("bchno " << bchno);
    REQUIRE(by_bchno.count(bchno) == 1);
    CHECK(by_bchno.find(bchno)->second->index == index);
  }
}

// 7
// ------------------------------------------------------------------------------------------------

TEST_CASE("serve: checkpoints are signed in the background and survive SIGKILL", "[serve]") {
  DaemonFixture d;
  const auto token = d.CreateToken("terminal", kPharmacy);
  d.Start();
  HttpClient c = d.Client();
  for (int i = 0; i < 5; ++i) {
    const Json m = FreshSale(2);
    ExpectAccepted(c.Post("/v1/upload", m.dump(), Bearer(token.secret)), m);
  }
  const std::uint64_t size = HealthzEntries(c);
  const auto uploaded_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

  // The writer signs about once a second when the tree grew; wait well past that.
  std::this_thread::sleep_for(1600ms);
  const auto deadline = Clock::now() + 20s;
  bool covered = false;
  while (!covered && Clock::now() < deadline) {
    // Read beside the running daemon; a busy database only means: look again.
    auto list = testsupport::Drugtrace({"checkpoint", "--db", d.db(), "--list"});
    const Json cps = Json::parse(list.out, nullptr, /*allow_exceptions=*/false);
    if (list.exit_code == 0 && cps.is_array()) {
      for (const auto& cp : cps) {
        if (cp["tree_size"] == size) covered = true;
      }
    }
    if (!covered) std::this_thread::sleep_for(250ms);
  }
  // No drain: only a background checkpoint can cover the uploads.
  CHECK(d.Kill() == 128 + SIGKILL);
  const Json cps = d.Checkpoints();
  INFO("checkpoints: " << cps.dump(2));
  const Json* found = nullptr;
  for (const auto& cp : cps) {
    if (cp["tree_size"] == size) found = &cp;
  }
  REQUIRE(found != nullptr);
  CHECK(covered);
  CHECK((*found)["signed_at_ms"].get<std::int64_t>() >= uploaded_ms - 60000);
  ExpectVerifies(d);  // a SIGKILL leaves a consistent ledger

  // Restarted after the crash, the daemon carries on from the same size.
  d.Start();
  HttpClient c2 = d.Client();
  CHECK(HealthzEntries(c2) == size);
  REQUIRE(d.Stop(SIGINT) == 0);  // SIGINT drains like SIGTERM
  CHECK(d.Stderr().find("SIGINT, draining") != std::string::npos);
  ExpectVerifies(d);
}
