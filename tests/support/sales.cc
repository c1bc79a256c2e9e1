#include "support/sales.h"

#include <atomic>
#include <cstdint>

namespace testsupport {

std::string NextSaleCode() {
  static std::atomic<std::uint64_t> serial{1};
  const std::string n = std::to_string(serial++);
  return "8100001" + std::string(13 - n.size(), '0') + n;
}

std::string UniqueId(const std::string& prefix) {
  static std::atomic<std::uint64_t> n{1};
  return prefix + std::to_string(n++);
}

nlohmann::json SaleMessage(const std::string& msgid, const std::vector<std::string>& bchnos,
                           const std::string& institution) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& b : bchnos) {
    rows.push_back({{"fixmedins_bchno", b},
                    {"med_list_codg", "XA10BFA001A001010101001"},
                    {"fixmedins_hilist_id", "YP000451"},
                    {"fixmedins_hilist_name", "阿卡波糖片 50mg×30片"},
                    {"rtal_docno", "R-" + msgid},
                    {"sel_retn_cnt", "1"},
                    {"sel_retn_time", "2025-08-01 09:29:58"},
                    {"trdn_flag", "0"},
                    {"mdtrt_setl_type", "2"},
                    {"finl_trns_pric", "36.50"},
                    {"drugtracinfo", {{{"drug_trac_codg", NextSaleCode()}}}}});
  }
  return {{"infno", "3505"},
          {"msgid", msgid},
          {"fixmedins_code", institution},
          {"inf_time", "2025-08-01 09:30:15"},
          {"opter", "0017"},
          {"opter_name", "收银台1"},
          {"input", {{"selinfo", std::move(rows)}}}};
}

nlohmann::json FreshSale(std::size_t rows, const std::string& institution) {
  std::vector<std::string> bchnos;
  for (std::size_t i = 0; i < rows; ++i) bchnos.push_back(UniqueId("S-"));
  return SaleMessage(UniqueId("M-"), bchnos, institution);
}

std::vector<std::string> SaleBchnos(const nlohmann::json& message) {
  std::vector<std::string> out;
  for (const auto& row : message.at("input").at("selinfo")) {
    out.push_back(row.at("fixmedins_bchno").get<std::string>());
  }
  return out;
}

nlohmann::json UploadMessage(const std::string& infno, const std::string& msgid,
                             const std::string& institution, nlohmann::json row) {
  const bool receipt = infno == "3503";
  return {{"infno", infno},
          {"msgid", msgid},
          {"fixmedins_code", institution},
          {"inf_time", "2025-08-05 10:00:00"},
          {"opter", "01"},
          {"opter_name", "t"},
          {"input", {{receipt ? "purcinfo" : "selinfo", nlohmann::json::array({std::move(row)})}}}};
}

nlohmann::json TraceCodes(const std::vector<std::string>& codes) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : codes) a.push_back({{"drug_trac_codg", c}});
  return a;
}

nlohmann::json ReceiptRow(const std::string& bchno, const std::vector<std::string>& codes) {
  return {{"fixmedins_bchno", bchno},
          {"med_list_codg", "XA10BFA001A001010101001"},
          {"fixmedins_hilist_id", "H1"},
          {"fixmedins_hilist_name", "阿卡波糖片"},
          {"spler_name", "s"},
          {"purc_retn_cnt", std::to_string(codes.size())},
          {"purc_retn_stoin_time", "2025-08-01 09:00:00"},
          {"drugtracinfo", TraceCodes(codes)}};
}

nlohmann::json InsuredSaleRow(const std::string& bchno, const std::vector<std::string>& codes,
                              const std::string& time) {
  return {{"fixmedins_bchno", bchno},
          {"med_list_codg", "XA10BFA001A001010101001"},
          {"fixmedins_hilist_id", "H1"},
          {"fixmedins_hilist_name", "阿卡波糖片"},
          {"rtal_docno", "D" + bchno},
          {"sel_retn_cnt", std::to_string(codes.size())},
          {"sel_retn_time", time},
          {"trdn_flag", "0"},
          {"mdtrt_setl_type", 1},
          {"setl_id", "SET" + bchno},
          {"psn_no", "PSN-A"},
          {"finl_trns_pric", "36.50"},
          {"drugtracinfo", TraceCodes(codes)}};
}

}  // namespace testsupport
