// A ledger with the example reference data and a Processor in process, plus a builder of upload
// messages, for the regulators' view tests (history_test.cc, coverage_test.cc).
//
// Example reference data: P13080200001 康宁大药房 (retail, 130802, 无码库 40 boxes of 阿卡波糖片
// until 2026-01-01), H13080200003 (level3, 130802), H13082100011 (level2, 130821). Drugs:
// 阿卡波糖片 XA10BFA001A001010101001 (prefix 8100001, 30 per pack), 缬沙坦胶囊 (8200002),
// 黄芪饮片 T000700093 (exempt 中药饮片).
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/regulator.h"
#include "ledger/ledger.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace regtest {

using ingest::Json;

inline constexpr char kPharmacy[] = "P13080200001";
inline constexpr char kHospital[] = "H13080200003";
inline constexpr char kCounty[] = "H13082100011";
inline constexpr char kAcarbose[] = "XA10BFA001A001010101001";
inline constexpr char kHerb[] = "T000700093";

// A 码上放心 code of 阿卡波糖片 with serial `n`.
inline std::string Code(int n) {
  std::string s = std::to_string(n);
  return "8100001" + std::string(13 - s.size(), '0') + s;
}

// Every member has an initializer, so designated initializers may leave any of them out.
struct Row {
  std::string infno = "3505";
  std::string bchno = {};
  std::string drug = kAcarbose;
  std::string count = "1";
  std::vector<std::string> codes = {};
  int settle = 1;  // 1 insured, 2 self-pay
  std::string time = "2025-08-02 10:00:00";
  std::string price = "10.00";  // yuan per unit sold
  bool split = false;
  std::string returns = {};  // 3506: the sale's bchno
};

inline std::string Message(const std::string& inst, const std::string& msgid,
                           const std::vector<Row>& rows) {
  Json arr = Json::array();
  std::string infno = rows.empty() ? "3505" : rows[0].infno;
  for (const Row& r : rows) {
    Json codes = Json::array();
    for (const auto& c : r.codes) codes.push_back({{"drug_trac_codg", c}});
    Json row = {{"fixmedins_bchno", r.bchno}};
    if (r.infno == "3507") {
      row["inv_data_type"] = "4";
      arr.push_back(row);
      continue;
    }
    row["med_list_codg"] = r.drug;
    row["fixmedins_hilist_id"] = "H1";
    row["fixmedins_hilist_name"] = "drug";
    row["drugtracinfo"] = codes;
    if (r.infno == "3503") {
      row["spler_name"] = "supplier";
      row["purc_retn_cnt"] = r.count;
      row["purc_retn_stoin_time"] = r.time;
    } else {
      row["rtal_docno"] = "RD" + r.bchno;
      row["sel_retn_cnt"] = r.count;
      row["sel_retn_time"] = r.time;
      row["trdn_flag"] = r.split ? "1" : "0";
      row["mdtrt_setl_type"] = r.settle;
      row["finl_trns_pric"] = r.price;
      if (r.settle == 1) {
        row["setl_id"] = "SET" + r.bchno;
        row["psn_no"] = "13000012345678";
      }
      if (r.infno == "3506") row["medins_prod_sel_no"] = r.returns;
    }
    arr.push_back(row);
  }
  const char* array = infno == "3503" ? "purcinfo" : infno == "3507" ? "data" : "selinfo";
  Json m = {{"infno", infno},         {"msgid", msgid},
            {"fixmedins_code", inst}, {"inf_time", "2025-08-02 10:00:00"},
            {"opter", "01"},          {"opter_name", "t"},
            {"input", {{array, arr}}}};
  return m.dump();
}

struct Fixture {
  testsupport::TempDir dir;
  std::string db = dir.file("l.db");
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ingest::Processor> p;
  int msg = 0;

  Fixture() {
    REQUIRE(ledger::Ledger::Init(db, {}).ok());
    auto l = ledger::Ledger::Open(db);
    REQUIRE(l.ok());
    ledger = std::move(*l);
    auto proc = ingest::Processor::Open(*ledger, db);
    REQUIRE(proc.ok());
    p = std::move(*proc);
    std::string err;
    auto doc = ingest::ParseJson(testsupport::ReadFile(std::string(DRUGTRACE_SOURCE_DIR) +
                                                       "/schemas/examples/refdata.example.json"),
                                 err, {.max_depth = 32});
    REQUIRE(doc);
    REQUIRE(p->ImportRefData(*doc, 1).ok());
  }

  // One message of `rows` from `inst`; returns the response rows (verdicts, ledger indexes).
  Json Send(const std::string& inst, const std::vector<Row>& rows) {
    ingest::Submission s;
    ingest::Outcome rejected;
    const std::string body = Message(inst, "m" + std::to_string(++msg), rows);
    INFO(body);
    REQUIRE(p->Admit(body, 1000, s, rejected));
    std::vector<ingest::Submission> batch;
    batch.push_back(std::move(s));
    auto out = p->ProcessBatch(batch);
    INFO(out[0].body);
    REQUIRE(out[0].http_status == 200);
    return Json::parse(out[0].body)["output"]["rows"];
  }

  void Checkpoint() { REQUIRE(ledger->SignCheckpoint(2000).ok()); }

  std::unique_ptr<ingest::ReaderContext> Reader() {
    auto ctx = ingest::ReaderContext::Open(db);
    REQUIRE(ctx.ok());
    return std::move(*ctx);
  }
};

}  // namespace regtest
