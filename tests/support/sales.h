// Upload messages for tests that drive the daemon: 3505 sales of 阿卡波糖片 (product 8100001 of
// schemas/examples/refdata.example.json) with fresh codes, msgids and fixmedins_bchnos.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace testsupport {

// A fresh 20-digit 码上放心 code of product 8100001, unique within this process.
std::string NextSaleCode();
// `prefix` followed by a number unique within this process.
std::string UniqueId(const std::string& prefix);

// A 3505 sale from `institution` with one row per entry of `bchnos`: a self-paid whole-pack sale
// of one box with a fresh code.
nlohmann::json SaleMessage(const std::string& msgid, const std::vector<std::string>& bchnos,
                           const std::string& institution);
// A sale of `rows` rows with a fresh msgid and fresh bchnos.
nlohmann::json FreshSale(std::size_t rows, const std::string& institution);

// An upload envelope from `institution` carrying the single `row`: purcinfo for a 3503 receipt,
// selinfo otherwise.
nlohmann::json UploadMessage(const std::string& infno, const std::string& msgid,
                             const std::string& institution, nlohmann::json row);
// The drugtracinfo array of `codes`.
nlohmann::json TraceCodes(const std::vector<std::string>& codes);

// A 3503 receipt row of 阿卡波糖片, one box per code, received 2025-08-01.
nlohmann::json ReceiptRow(const std::string& bchno, const std::vector<std::string>& codes);
// A 3505 insured sale row of 阿卡波糖片 to patient PSN-A, one box per code, at `time`.
nlohmann::json InsuredSaleRow(const std::string& bchno, const std::vector<std::string>& codes,
                              const std::string& time = "2025-08-02 10:00:00");

// The fixmedins_bchno of every row of a 3505 message, in order.
std::vector<std::string> SaleBchnos(const nlohmann::json& message);

}  // namespace testsupport
