// Reference data the rules consult (issue #3 point 2): the drug catalogue with its 三码合一 product
// mapping, institutions, the enforcement calendar and the 无码库 declarations. Loaded by ingest
// from a file matching schemas/refdata.schema.json; every look-up is one hash probe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "validator/date.h"
#include "validator/row.h"

namespace validator {

// std::hash over string_view, so maps keyed by std::string can be probed with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct Drug {
  std::string med_list_codg;
  std::string name;
  bool codes_required = true;
  std::string exempt_category;    // e.g. "中药饮片" when codes are not required
  std::int64_t pack_content = 0;  // minimum units per pack; 0 = unknown (split capacity unchecked)
  // 三码合一: product identifiers that identify this drug (7-digit 码上放心 prefixes, GTIN-14,
  // EAN-13). An EAN-13 (also GTIN-8, GTIN-12) and its GTIN-14 "0" + EAN-13 are the same product:
  // FindDrugByProduct finds the drug by either form, whichever form the catalogue lists.
  std::vector<std::string> product_ids;
};

// Persisted in reference-data files by name (schema enum); never renumber.
enum class InstitutionClass : std::uint8_t {
  kRetailPharmacy = 0,
  kLevel1 = 1,  // level-1 and below medical institutions
  kLevel2 = 2,
  kLevel3 = 3,
};
const char* InstitutionClassName(InstitutionClass c);  // "retail_pharmacy", "level1", ...
std::optional<InstitutionClass> InstitutionClassFromName(std::string_view name);

struct Institution {
  std::string fixmedins_code;
  std::string name;
  InstitutionClass institution_class = InstitutionClass::kRetailPharmacy;
  std::string region;  // admin division code, e.g. "130800"
};

// From `start`, a code-required line without codes blocks instead of warning. An empty region is
// the national default for the class.
struct CalendarEntry {
  std::string region;
  InstitutionClass institution_class = InstitutionClass::kRetailPharmacy;
  Date start;
};

// A 无码库 declaration: uncoded boxes bought before enforcement that may still be settled until
// (excluding) `sunset`.
struct NoCodeStock {
  std::string fixmedins_code;
  std::string med_list_codg;
  Quantity boxes;
  Date sunset;
};

class RefData {
 public:
  // Each Add returns false (and changes nothing) when its key is already present, or for a drug
  // when one of its product ids already maps to another drug.
  bool AddDrug(Drug drug);
  bool AddInstitution(Institution institution);
  bool AddCalendarEntry(const CalendarEntry& entry);
  bool AddNoCodeStock(NoCodeStock stock);

  const Drug* FindDrug(std::string_view med_list_codg) const;
  // By 7-digit prefix, GTIN-14, EAN-13 (= GTIN-14 "0" + EAN-13), EAN-8, UPC-A or MA product code.
  const Drug* FindDrugByProduct(std::string_view product_id) const;
  const Institution* FindInstitution(std::string_view fixmedins_code) const;
  // Every institution, in no particular order (reports list institutions with no uploads too).
  void ForEachInstitution(const std::function<void(const Institution&)>& fn) const {
    for (const auto& [code, inst] : institutions_) fn(inst);
  }
  // Regional entry, else the national default for the class; nullopt when neither exists.
  std::optional<Date> EnforcementStart(std::string_view region, InstitutionClass c) const;
  const NoCodeStock* FindNoCodeStock(std::string_view fixmedins_code,
                                     std::string_view med_list_codg) const;

  std::size_t drug_count() const { return drugs_.size(); }
  std::size_t institution_count() const { return institutions_.size(); }

 private:
  static std::string CalendarKey(std::string_view region, InstitutionClass c);
  static std::string PairKey(std::string_view a, std::string_view b);

  StringMap<Drug> drugs_;  // node-based: pointers stay valid as it grows
  StringMap<const Drug*> by_product_;
  StringMap<Institution> institutions_;
  StringMap<Date> calendar_;
  StringMap<NoCodeStock> no_code_stock_;
};

}  // namespace validator
