#include "ingest/message.h"

#include <charconv>

#include "validator/date.h"

namespace ingest {

namespace {

using validator::Interface;

std::optional<Interface> ParseInfno(std::string_view s) {
  if (s == "3501") return Interface::kInventory;
  if (s == "3502") return Interface::kStockChange;
  if (s == "3503") return Interface::kReceipt;
  if (s == "3504") return Interface::kPurchaseReturn;
  if (s == "3505") return Interface::kSale;
  if (s == "3506") return Interface::kSaleReturn;
  if (s == "3507") return Interface::kVoid;
  return std::nullopt;
}

// A field as text: strings as they are, integers in decimal; absent or null gives "".
std::string Text(const Json& row, const char* field) {
  auto it = row.find(field);
  if (it == row.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  if (it->is_boolean()) return it->get<bool>() ? "1" : "0";
  return it->dump();
}

struct RowDecoder {
  const Json& row;
  std::string path;
  DecodeError& error;

  bool Fail(const char* field, std::string message) {
    error = {400, path + "/" + field, std::move(message)};
    return false;
  }
  bool Quantity(const char* field, validator::Quantity& out, bool required) {
    std::string t = Text(row, field);
    if (t.empty()) return !required || Fail(field, "is required");
    auto q = validator::Quantity::Parse(t);
    if (!q)
      return Fail(field, "must be a non-negative decimal with at most 3 decimals, got '" + t + "'");
    out = *q;
    return true;
  }
  bool Time(const char* field, validator::CivilSeconds& out, bool required) {
    std::string t = Text(row, field);
    if (t.empty()) return !required || Fail(field, "is required");
    auto v = validator::ParseCivilTime(t);
    if (!v) return Fail(field, "must be a real time as yyyy-MM-dd HH:mm:ss, got '" + t + "'");
    out = *v;
    return true;
  }
  bool DateField(const char* field, std::optional<validator::Date>& out) {
    std::string t = Text(row, field);
    if (t.empty()) return true;
    auto d = validator::ParseDate(t.substr(0, 10));
    if (!d) return Fail(field, "must be a real date as yyyy-MM-dd, got '" + t + "'");
    out = *d;
    return true;
  }
  // Prices may carry up to 6 decimals (NHSA sends 单价 that way); kept as text in the entry, and
  // as whole fen (rounded half up) for amounts at risk.
  bool PriceFen(const char* field, std::int64_t& out) {
    std::string t = Text(row, field);
    if (t.empty()) return true;
    std::int64_t micro = 0;
    std::size_t i = 0, int_digits = 0, frac_digits = 0;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9' && int_digits < 12; ++i, ++int_digits) {
      micro = micro * 10 + (t[i] - '0');
    }
    if (i < t.size() && t[i] == '.') {
      for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9' && frac_digits < 6; ++i) {
        micro = micro * 10 + (t[i] - '0');
        ++frac_digits;
      }
      if (frac_digits == 0) i = 0;  // "12." is not a number
    }
    if (int_digits == 0 || i != t.size()) {
      return Fail(field,
                  "must be a non-negative decimal price with at most 6 decimals, got '" + t + "'");
    }
    for (std::size_t k = frac_digits; k < 6; ++k) micro *= 10;
    out = (micro + 5000) / 10000;
    return true;
  }
  bool Codes(std::vector<std::string>& out) {
    auto it = row.find("drugtracinfo");
    if (it == row.end() || it->is_null()) return true;
    if (!it->is_array()) return Fail("drugtracinfo", "must be an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Json& c = (*it)[i];
      auto code = c.is_object() ? c.find("drug_trac_codg") : c.end();
      if (!c.is_object() || code == c.end() || !code->is_string()) {
        error = {400, path + "/drugtracinfo/" + std::to_string(i) + "/drug_trac_codg",
                 "must be a string"};
        return false;
      }
      out.push_back(code->get<std::string>());
    }
    return true;
  }
};

}  // namespace

const char* RowArrayName(Interface infno) {
  switch (infno) {
    case Interface::kSale:
    case Interface::kSaleReturn:
      return "selinfo";
    case Interface::kReceipt:
    case Interface::kPurchaseReturn:
      return "purcinfo";
    case Interface::kVoid:
      return "data";
    case Interface::kInventory:
      return "invinfo";
    case Interface::kStockChange:
      return "stkinfo";
  }
  return "rows";
}

bool DecodeStoredRow(const Json& row, Interface infno, const std::string& institution,
                     validator::Row& out, std::string& error) {
  DecodeError err;
  RowDecoder d{row, "", err};
  out = validator::Row{};
  out.infno = infno;
  out.fixmedins_code = institution;
  out.fixmedins_bchno = Text(row, "fixmedins_bchno");
  out.med_list_codg = Text(row, "med_list_codg");
  out.trdn_flag = Text(row, "trdn_flag") == "1";
  std::string setl = Text(row, "mdtrt_setl_type");
  out.mdtrt_setl_type = setl == "1"   ? validator::SettlementType::kInsured
                        : setl == "2" ? validator::SettlementType::kSelfPay
                                      : validator::SettlementType::kUnknown;
  out.setl_id = Text(row, "setl_id");
  out.psn_hash = Text(row, "psn_hash");
  out.medins_prod_sel_no = Text(row, "medins_prod_sel_no");
  bool ok = true;
  switch (infno) {
    case Interface::kSale:
    case Interface::kSaleReturn:
      ok = d.Quantity("sel_retn_cnt", out.count, true) && d.Time("sel_retn_time", out.time, true);
      break;
    case Interface::kReceipt:
    case Interface::kPurchaseReturn:
      ok = d.Quantity("purc_retn_cnt", out.count, true) &&
           d.Time("purc_retn_stoin_time", out.time, true);
      break;
    case Interface::kInventory:
      ok = d.Quantity("inv_cnt", out.count, false) && d.Time("inv_time", out.time, false);
      break;
    case Interface::kVoid:
      out.target_bchno = out.fixmedins_bchno;
      out.fixmedins_bchno.clear();
      break;
    case Interface::kStockChange:
      break;
  }
  ok = ok && d.PriceFen("finl_trns_pric", out.unit_price_fen) &&
       d.DateField("expy_end", out.expy_end) && d.Codes(out.codes);
  if (!ok) error = err.ToString();
  return ok;
}

bool DecodeMessage(Json message, const PersonHasher& hash_person, DecodedMessage& out,
                   DecodeError& error) {
  if (!message.is_object()) {
    error = {400, "", "the message must be a JSON object"};
    return false;
  }
  Envelope& env = out.envelope;
  env.infno = Text(message, "infno");
  env.msgid = Text(message, "msgid");
  env.fixmedins_code = Text(message, "fixmedins_code");
  env.inf_time = Text(message, "inf_time");
  env.opter = Text(message, "opter");
  env.opter_name = Text(message, "opter_name");
  auto infno = ParseInfno(env.infno);
  if (!infno) {
    error = {400, "/infno", "unknown interface '" + env.infno + "' (expected 3501..3507)"};
    return false;
  }
  out.interface = *infno;
  if (env.msgid.empty()) {
    error = {400, "/msgid", "is required"};
    return false;
  }
  if (env.fixmedins_code.empty()) {
    error = {400, "/fixmedins_code", "is required"};
    return false;
  }
  const char* array = RowArrayName(*infno);
  auto input = message.find("input");
  if (input == message.end() || !input->is_object() || !input->contains(array) ||
      !(*input)[array].is_array() || (*input)[array].empty()) {
    error = {400, std::string("/input/") + array, "must be a non-empty array of rows"};
    return false;
  }
  Json& rows = (*input)[array];
  out.rows.clear();
  out.raw_rows.clear();
  out.canonical_rows.clear();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Json row = std::move(rows[i]);  // rows move out; MessageDigest covers them canonically
    const std::string path = std::string("/input/") + array + "/" + std::to_string(i);
    if (!row.is_object()) {
      error = {400, path, "must be an object"};
      return false;
    }
    for (const char* personal : {"psn_name", "certno", "psn_cert_type"}) {
      if (row.contains(personal)) {
        error = {400, path + "/" + personal,
                 "personal information is not accepted (drugtrace never stores names or ID "
                 "numbers)"};
        return false;
      }
    }
    // Identity numbers never reach the ledger: the insured person's psn_no and the pharmacist's ID
    // number are replaced by keyed hashes, enough to link one person's rows.
    for (auto [field, hashed_field] :
         {std::pair{"psn_no", "psn_hash"}, std::pair{"phar_certno", "phar_cert_hash"}}) {
      auto it = row.find(field);
      if (it == row.end()) continue;
      std::string hashed = it->is_string() && !it->get<std::string>().empty()
                               ? hash_person(it->get<std::string>())
                               : "";
      row.erase(field);
      if (!hashed.empty()) row[hashed_field] = hashed;
    }
    validator::Row decoded;
    std::string why;
    if (!DecodeStoredRow(row, *infno, env.fixmedins_code, decoded, why)) {
      auto colon = why.find(": ");
      error = {400, path + (colon == std::string::npos ? "" : why.substr(0, colon)),
               colon == std::string::npos ? why : why.substr(colon + 2)};
      return false;
    }
    if (*infno != validator::Interface::kVoid && decoded.fixmedins_bchno.empty()) {
      error = {400, path + "/fixmedins_bchno", "is required"};
      return false;
    }
    if (*infno == validator::Interface::kVoid && decoded.target_bchno.empty()) {
      error = {400, path + "/fixmedins_bchno", "is required (the row to void)"};
      return false;
    }
    out.rows.push_back(std::move(decoded));
    out.canonical_rows.push_back(CanonicalJson(row));
    out.raw_rows.push_back(std::move(row));
  }
  // What is left once the rows moved out: the envelope (and any other member of input).
  input->erase(array);
  out.canonical_rest = CanonicalJson(message);
  return true;
}

Json FindingsJson(const std::vector<validator::Finding>& findings) {
  Json out = Json::array();
  for (const auto& f : findings) {
    Json j = {{"rule", validator::RuleName(f.rule)},
              {"severity", validator::SeverityName(f.severity)},
              {"message", f.message_zh},
              {"message_en", f.message_en}};
    if (!f.code.empty()) j["code"] = f.code;
    if (!f.identity.empty()) j["identity"] = f.identity;
    if (!f.prior_institution.empty()) {
      j["prior_institution"] = f.prior_institution;
      j["prior_time"] = validator::FormatCivilTime(f.prior_time);
      j["prior_entry"] = f.prior_entry;
    }
    out.push_back(std::move(j));
  }
  return out;
}

ledger::Hash MessageDigest(const DecodedMessage& m) {
  std::string text = m.canonical_rest;
  text += '\x1e';
  text += RowArrayName(m.interface);
  for (const std::string& row : m.canonical_rows) {
    text += '\x1e';
    text += row;
  }
  return ledger::Sha256(ledger::AsBytes(text));
}

std::string FindingsText(const std::vector<validator::Finding>& findings) {
  // Written by hand in CanonicalJson's key order (code, identity, message, message_en,
  // prior_entry, prior_institution, prior_time, rule, severity); a test holds it equal to
  // CanonicalJson(FindingsJson(findings)).
  if (findings.empty()) return "[]";
  std::string out = "[";
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const validator::Finding& f = findings[i];
    out += i == 0 ? "{" : ",{";
    if (!f.code.empty()) {
      out += "\"code\":";
      AppendJsonString(out, f.code);
      out += ',';
    }
    if (!f.identity.empty()) {
      out += "\"identity\":";
      AppendJsonString(out, f.identity);
      out += ',';
    }
    out += "\"message\":";
    AppendJsonString(out, f.message_zh);
    out += ",\"message_en\":";
    AppendJsonString(out, f.message_en);
    if (!f.prior_institution.empty()) {
      out += ",\"prior_entry\":" + std::to_string(f.prior_entry);
      out += ",\"prior_institution\":";
      AppendJsonString(out, f.prior_institution);
      out += ",\"prior_time\":";
      AppendJsonString(out, validator::FormatCivilTime(f.prior_time));
    }
    out += ",\"rule\":";
    AppendJsonString(out, validator::RuleName(f.rule));
    out += ",\"severity\":";
    AppendJsonString(out, validator::SeverityName(f.severity));
    out += '}';
  }
  out += ']';
  return out;
}

std::string EncodeRowEntry(const RowEntry& e) {
  // Written member by member in sorted key order (the canonical form), so the row, the largest
  // part, is spliced in as already-canonical text instead of being serialised again.
  std::string out;
  out.reserve(e.row->size() + e.findings->size() + 256);
  out += "{\"findings\":";
  out += *e.findings;
  out += ",\"fixmedins_code\":";
  AppendJsonString(out, e.envelope->fixmedins_code);
  out += ",\"infno\":";
  AppendJsonString(out, e.envelope->infno);
  out += ",\"kind\":\"upload_row\",\"msgid\":";
  AppendJsonString(out, e.envelope->msgid);
  if (e.no_code_draw_milli != 0) {
    out += ",\"no_code_draw_milli\":" + std::to_string(e.no_code_draw_milli);
  }
  out += ",\"opter\":";
  AppendJsonString(out, e.envelope->opter);
  out += ",\"received_ms\":" + std::to_string(e.received_ms);
  out += ",\"row\":";
  out += *e.row;
  out += ",\"row_index\":" + std::to_string(e.row_index);
  out += ",\"rule_set\":";
  AppendJsonString(out, validator::kRuleSetVersion);
  out += ",\"verdict\":";
  AppendJsonString(out, validator::VerdictName(e.verdict));
  out += '}';
  return out;
}

}  // namespace ingest
