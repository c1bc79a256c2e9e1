// The processor end to end in process: admit, judge, record, idempotency, restart.
#include "ingest/processor.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "ingest/json.h"
#include "ledger/ledger.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using ingest::Json;

std::string Example(const std::string& name) {
  return testsupport::ReadFile(std::string(DRUGTRACE_SOURCE_DIR) + "/schemas/examples/" + name);
}

struct Fixture {
  testsupport::TempDir dir;
  std::string db = dir.file("l.db");
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ingest::Processor> p;

  Fixture() {
    REQUIRE(ledger::Ledger::Init(db, {}).ok());
    Open();
    std::string err;
    auto doc = ingest::ParseJson(Example("refdata.example.json"), err, {.max_depth = 32});
    REQUIRE(doc);
    REQUIRE(p->ImportRefData(*doc, 1).ok());
  }
  void Open() {
    p.reset();
    ledger.reset();
    auto l = ledger::Ledger::Open(db);
    REQUIRE(l.ok());
    ledger = std::move(*l);
    auto proc = ingest::Processor::Open(*ledger, db);
    REQUIRE(proc.ok());
    p = std::move(*proc);
  }
  // Sends messages in one batch; rejected ones are answered without reaching the batch.
  std::vector<ingest::Outcome> Send(const std::vector<std::string>& bodies) {
    std::vector<ingest::Submission> batch;
    std::vector<ingest::Outcome> out(bodies.size());
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      ingest::Submission s;
      if (p->Admit(bodies[i], 1000, s, out[i])) {
        batch.push_back(std::move(s));
        where.push_back(i);
      }
    }
    auto done = p->ProcessBatch(batch);
    for (std::size_t k = 0; k < done.size(); ++k) out[where[k]] = done[k];
    return out;
  }
};

// A sale or receipt of the given codes at P13080200001, drug 阿卡波糖片 (prefix 8100001).
std::string Message(const std::string& infno, const std::string& msgid, const std::string& bchno,
                    const std::vector<std::string>& codes) {
  Json codes_json = Json::array();
  for (const auto& c : codes) codes_json.push_back({{"drug_trac_codg", c}});
  Json row = {{"fixmedins_bchno", bchno},
              {"med_list_codg", "XA10BFA001A001010101001"},
              {"fixmedins_hilist_id", "YP1"},
              {"fixmedins_hilist_name", "阿卡波糖片"},
              {"drugtracinfo", codes_json}};
  std::string array;
  if (infno == "3503") {
    array = "purcinfo";
    row["spler_name"] = "supplier";
    row["purc_retn_cnt"] = std::to_string(codes.size());
    row["purc_retn_stoin_time"] = "2025-08-01 08:00:00";
  } else {
    array = "selinfo";
    row["rtal_docno"] = "R1";
    row["sel_retn_cnt"] = std::to_string(codes.size());
    row["sel_retn_time"] = "2025-08-02 10:00:00";
    row["trdn_flag"] = "0";
    row["mdtrt_setl_type"] = 1;
    row["setl_id"] = "SET" + bchno;
    row["psn_no"] = "13000012345678";
  }
  Json m = {{"infno", infno},
            {"msgid", msgid},
            {"fixmedins_code", "P13080200001"},
            {"inf_time", "2025-08-02 10:00:00"},
            {"opter", "01"},
            {"opter_name", "收银台"},
            {"input", {{array, Json::array({row})}}}};
  return m.dump();
}

Json Rows(const ingest::Outcome& o) {
  return Json::parse(o.body)["output"]["rows"];
}

}  // namespace

TEST_CASE("processor: receipt then sale is ok, a second sale of the box is blocked",
          "[processor]") {
  Fixture f;
  auto out = f.Send({Message("3503", "m1", "R1", {"81000010000000000001"}),
                     Message("3505", "m2", "S1", {"81000010000000000001"})});
  REQUIRE(out[0].http_status == 200);
  REQUIRE(out[1].http_status == 200);
  CHECK(Rows(out[0])[0]["verdict"] == "ok");
  CHECK(Rows(out[1])[0]["verdict"] == "ok");
  // Across a restart: the pack's state comes back from the store.
  f.Open();
  auto again = f.Send({Message("3505", "m3", "S2", {"81000010000000000001"})});
  REQUIRE(again[0].http_status == 200);
  auto row = Rows(again[0])[0];
  CHECK(row["verdict"] == "block");
  CHECK(row["findings"][0]["rule"] == "CODE_REUSED");
}

TEST_CASE("processor: a retry gets the original response, a changed message with the same id 409",
          "[processor]") {
  Fixture f;
  const std::string m = Message("3503", "m1", "R1", {"81000010000000000002"});
  auto first = f.Send({m});
  const auto size = f.ledger->size();
  auto retry = f.Send({m});
  CHECK(retry[0].http_status == 200);
  CHECK(retry[0].replayed);
  CHECK(retry[0].body == first[0].body);
  CHECK(f.ledger->size() == size);
  auto changed = f.Send({Message("3503", "m1", "R9", {"81000010000000000003"})});
  CHECK(changed[0].http_status == 409);
  auto reused_row = f.Send({Message("3503", "m7", "R1", {"81000010000000000004"})});
  CHECK(reused_row[0].http_status == 409);
  CHECK(Json::parse(reused_row[0].body)["err_msg"].get<std::string>().find("R1") !=
        std::string::npos);
  CHECK(f.ledger->size() == size);
  // The same within one batch.
  auto batch = f.Send({Message("3503", "m8", "R8", {"81000010000000000005"}),
                       Message("3503", "m8", "R8", {"81000010000000000005"})});
  CHECK(batch[1].replayed);
  CHECK(batch[1].body == batch[0].body);
  CHECK(f.ledger->size() == size + 1);
}

TEST_CASE("processor: entries hold the row as received with psn_no replaced by a keyed hash",
          "[processor]") {
  Fixture f;
  auto out = f.Send({Message("3505", "m1", "S1", {"81000010000000000009"})});
  REQUIRE(out[0].http_status == 200);
  const auto index = Rows(out[0])[0]["ledger_index"].get<std::uint64_t>();
  auto e = f.ledger->Get(index);
  REQUIRE(e.ok());
  CHECK(e->bytes.find("13000012345678") == std::string::npos);
  auto j = Json::parse(e->bytes);
  CHECK(j["kind"] == "upload_row");
  CHECK(j["row"]["psn_hash"].get<std::string>().size() == 64);
  CHECK(j["row"]["fixmedins_bchno"] == "S1");
  CHECK(j["rule_set"].is_string());
  CHECK(j.dump() == e->bytes);  // canonical: sorted keys, no whitespace
  CHECK(e->institution == "P13080200001");
}

TEST_CASE("processor: bad messages are rejected with the field path and record nothing",
          "[processor]") {
  Fixture f;
  const auto size = f.ledger->size();
  auto good = Json::parse(Message("3505", "m1", "S1", {"81000010000000000010"}));
  auto bad_count = good;
  bad_count["input"]["selinfo"][0]["sel_retn_cnt"] = "-1";
  auto personal = good;
  personal["input"]["selinfo"][0]["psn_name"] = "张三";
  auto no_bchno = good;
  no_bchno["input"]["selinfo"][0].erase("fixmedins_bchno");
  auto bad_time = good;
  bad_time["input"]["selinfo"][0]["sel_retn_time"] = "2025-02-30 10:00:00";
  auto out = f.Send({"{not json", bad_count.dump(), personal.dump(), no_bchno.dump(),
                     bad_time.dump(), std::string(100, '[') + std::string(100, ']')});
  for (const auto& o : out) {
    INFO(o.body);
    CHECK(o.http_status == 400);
    CHECK(Json::parse(o.body)["infcode"] != 0);
  }
  CHECK(Json::parse(out[1].body)["err_msg"].get<std::string>().find(
            "/input/selinfo/0/sel_retn_cnt") != std::string::npos);
  CHECK(Json::parse(out[4].body)["err_msg"].get<std::string>().find("sel_retn_time") !=
        std::string::npos);
  CHECK(f.ledger->size() == size);
}

TEST_CASE("processor: a missing HMAC key is created only while no row is recorded", "[processor]") {
  Fixture f;
  // Reference data alone hashes nobody: a lost key may still be replaced.
  std::filesystem::remove(ledger::HmacKeyPathFor(f.db));
  f.Open();
  CHECK(std::filesystem::exists(ledger::HmacKeyPathFor(f.db)));

  auto out = f.Send({Message("3503", "M1", "R1", {"81000010000000000001"})});
  REQUIRE(out[0].http_status == 200);
  // Now rows exist: a new key would hash the same person differently. Refuse, and say what to do.
  std::filesystem::remove(ledger::HmacKeyPathFor(f.db));
  f.p.reset();
  f.ledger.reset();
  auto l = ledger::Ledger::Open(f.db);
  REQUIRE(l.ok());
  auto proc = ingest::Processor::Open(**l, f.db);
  REQUIRE_FALSE(proc.ok());
  CHECK(proc.status().code() == ledger::Code::kFailedPrecondition);
  CHECK_THAT(proc.status().message(), Catch::Contains(".hmac") && Catch::Contains("restore"));
  CHECK_FALSE(std::filesystem::exists(ledger::HmacKeyPathFor(f.db)));
}
