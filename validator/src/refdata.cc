#include "validator/refdata.h"

#include <algorithm>
#include <array>

namespace validator {

namespace {

// GTIN-8, GTIN-12 (UPC-A) and GTIN-13 (EAN-13) are GTIN-14 with leading zeros (indicator digit 0):
// the catalogue may list a product as the EAN-13 printed on the box while a GS1 DataMatrix carries
// the GTIN-14 "0" + EAN-13, and the two must find the same drug. Other ids (7-digit 码上放心
// prefixes, GTIN-14, MA product codes) are used as given. Writes the key into `buf` when it pads.
std::string_view ProductKey(std::string_view id, std::array<char, 14>& buf) {
  const std::size_t n = id.size();
  if (n != 8 && n != 12 && n != 13) return id;
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) return id;
  std::fill(buf.begin(), buf.end() - n, '0');
  std::copy(id.begin(), id.end(), buf.end() - n);
  return {buf.data(), buf.size()};
}

}  // namespace

const char* InstitutionClassName(InstitutionClass c) {
  switch (c) {
    case InstitutionClass::kRetailPharmacy:
      return "retail_pharmacy";
    case InstitutionClass::kLevel1:
      return "level1";
    case InstitutionClass::kLevel2:
      return "level2";
    case InstitutionClass::kLevel3:
      return "level3";
  }
  return "retail_pharmacy";
}

std::optional<InstitutionClass> InstitutionClassFromName(std::string_view name) {
  for (auto c : {InstitutionClass::kRetailPharmacy, InstitutionClass::kLevel1,
                 InstitutionClass::kLevel2, InstitutionClass::kLevel3}) {
    if (name == InstitutionClassName(c)) return c;
  }
  return std::nullopt;
}

std::string RefData::CalendarKey(std::string_view region, InstitutionClass c) {
  std::string key(1, static_cast<char>('0' + static_cast<int>(c)));
  key.append(region);
  return key;
}

std::string RefData::PairKey(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back('\x1f');  // unit separator: cannot occur in either code
  key.append(b);
  return key;
}

bool RefData::AddDrug(Drug drug) {
  if (drug.med_list_codg.empty() || drugs_.contains(drug.med_list_codg)) return false;
  std::array<char, 14> buf;
  for (const std::string& p : drug.product_ids) {
    // A product id the drug lists twice (e.g. as EAN-13 and as its GTIN-14) is fine; one that
    // another drug already owns is not.
    if (p.empty() || by_product_.contains(ProductKey(p, buf))) return false;
  }
  std::string key = drug.med_list_codg;
  auto [it, inserted] = drugs_.emplace(std::move(key), std::move(drug));
  for (const std::string& p : it->second.product_ids) {
    by_product_.emplace(std::string(ProductKey(p, buf)), &it->second);
  }
  return inserted;
}

bool RefData::AddInstitution(Institution institution) {
  if (institution.fixmedins_code.empty()) return false;
  std::string key = institution.fixmedins_code;
  return institutions_.emplace(std::move(key), std::move(institution)).second;
}

bool RefData::AddCalendarEntry(const CalendarEntry& entry) {
  if (!IsValidDate(entry.start)) return false;
  return calendar_.emplace(CalendarKey(entry.region, entry.institution_class), entry.start).second;
}

bool RefData::AddNoCodeStock(NoCodeStock stock) {
  if (stock.fixmedins_code.empty() || stock.med_list_codg.empty()) return false;
  std::string key = PairKey(stock.fixmedins_code, stock.med_list_codg);
  return no_code_stock_.emplace(std::move(key), std::move(stock)).second;
}

const Drug* RefData::FindDrug(std::string_view med_list_codg) const {
  auto it = drugs_.find(med_list_codg);
  return it == drugs_.end() ? nullptr : &it->second;
}

const Drug* RefData::FindDrugByProduct(std::string_view product_id) const {
  std::array<char, 14> buf;
  auto it = by_product_.find(ProductKey(product_id, buf));
  return it == by_product_.end() ? nullptr : it->second;
}

const Institution* RefData::FindInstitution(std::string_view fixmedins_code) const {
  auto it = institutions_.find(fixmedins_code);
  return it == institutions_.end() ? nullptr : &it->second;
}

std::optional<Date> RefData::EnforcementStart(std::string_view region, InstitutionClass c) const {
  if (!region.empty()) {
    auto it = calendar_.find(CalendarKey(region, c));
    if (it != calendar_.end()) return it->second;
  }
  auto it = calendar_.find(CalendarKey("", c));
  if (it != calendar_.end()) return it->second;
  return std::nullopt;
}

const NoCodeStock* RefData::FindNoCodeStock(std::string_view fixmedins_code,
                                            std::string_view med_list_codg) const {
  auto it = no_code_stock_.find(PairKey(fixmedins_code, med_list_codg));
  return it == no_code_stock_.end() ? nullptr : &it->second;
}

}  // namespace validator
