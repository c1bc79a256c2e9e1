#include "ingest/refdata_json.h"

namespace ingest {

namespace {

std::string Str(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return it->dump();
}

const Json& Array(const Json& doc, const char* name) {
  static const Json kEmpty = Json::array();
  auto it = doc.find(name);
  return it != doc.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace

bool LoadRefData(const Json& doc, validator::RefData& out, std::string& error) {
  if (!doc.is_object()) {
    error = "reference data must be a JSON object";
    return false;
  }
  auto fail = [&](const std::string& path, const std::string& why) {
    error = path + ": " + why;
    return false;
  };
  const Json& drugs = Array(doc, "drugs");
  for (std::size_t i = 0; i < drugs.size(); ++i) {
    const Json& d = drugs[i];
    const std::string path = "/drugs/" + std::to_string(i);
    validator::Drug drug;
    drug.med_list_codg = Str(d, "med_list_codg");
    drug.name = Str(d, "name");
    drug.codes_required = d.value("codes_required", true);
    drug.exempt_category = Str(d, "exempt_category");
    drug.pack_content = d.value("pack_content", std::int64_t{0});
    for (const auto& p : Array(d, "product_ids")) {
      if (p.is_string()) drug.product_ids.push_back(p.get<std::string>());
    }
    if (drug.med_list_codg.empty()) return fail(path + "/med_list_codg", "is required");
    if (!out.AddDrug(std::move(drug))) {
      return fail(path, "duplicate med_list_codg, or a product id already mapped to another drug");
    }
  }
  const Json& insts = Array(doc, "institutions");
  for (std::size_t i = 0; i < insts.size(); ++i) {
    const Json& j = insts[i];
    const std::string path = "/institutions/" + std::to_string(i);
    validator::Institution inst;
    inst.fixmedins_code = Str(j, "fixmedins_code");
    inst.name = Str(j, "fixmedins_name");
    inst.region = Str(j, "admdvs");
    auto cls = validator::InstitutionClassFromName(Str(j, "institution_class"));
    if (!cls) return fail(path + "/institution_class", "unknown class");
    inst.institution_class = *cls;
    if (inst.fixmedins_code.empty()) return fail(path + "/fixmedins_code", "is required");
    if (!out.AddInstitution(std::move(inst))) return fail(path, "duplicate fixmedins_code");
  }
  const Json& cal = Array(doc, "policy_calendar");
  for (std::size_t i = 0; i < cal.size(); ++i) {
    const Json& j = cal[i];
    const std::string path = "/policy_calendar/" + std::to_string(i);
    validator::CalendarEntry e;
    e.region = Str(j, "admdvs");
    auto cls = validator::InstitutionClassFromName(Str(j, "institution_class"));
    if (!cls) return fail(path + "/institution_class", "unknown class");
    e.institution_class = *cls;
    auto start = validator::ParseDate(Str(j, "start_date"));
    if (!start) return fail(path + "/start_date", "not a real yyyy-MM-dd date");
    e.start = *start;
    if (!out.AddCalendarEntry(e)) return fail(path, "duplicate region and class");
  }
  const Json& stock = Array(doc, "no_code_stock");
  for (std::size_t i = 0; i < stock.size(); ++i) {
    const Json& j = stock[i];
    const std::string path = "/no_code_stock/" + std::to_string(i);
    validator::NoCodeStock s;
    s.fixmedins_code = Str(j, "fixmedins_code");
    s.med_list_codg = Str(j, "med_list_codg");
    auto boxes = validator::Quantity::Parse(Str(j, "box_count"));
    if (!boxes) return fail(path + "/box_count", "must be a non-negative decimal");
    s.boxes = *boxes;
    auto sunset = validator::ParseDate(Str(j, "sunset_date"));
    if (!sunset) return fail(path + "/sunset_date", "not a real yyyy-MM-dd date");
    s.sunset = *sunset;
    if (!out.AddNoCodeStock(std::move(s))) return fail(path, "duplicate institution and drug");
  }
  return true;
}

}  // namespace ingest
