// The simulated region's fixed parts: catalogue, institutions, calendar, 无码库 declarations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulate/random.h"
#include "validator/date.h"

namespace simulate::internal {

struct DrugInfo {
  std::string med_list_codg;
  std::string name;       // with spec and maker, e.g. "阿卡波糖片 50mg×30片(拜耳)"
  std::string hilist_id;  // institutions' own catalogue id (the same everywhere here)
  bool codes_required = true;
  std::string exempt_category;
  int pack_content = 0;        // minimum units per box
  bool gs1 = false;            // imported: GS1 DataMatrix codes
  std::string prefix7;         // 码上放心 product id (domestic)
  std::string ean13;           // the product barcode on the box
  std::string gtin14;          // GS1 GTIN (imported)
  std::int64_t price_fen = 0;  // per box (per gram for exempt 饮片)
  double weight = 1;           // popularity
  bool chronic = false;
  bool hospital_only = false;  // injections, infusions
  bool splittable = false;     // tablets/capsules a pharmacy may sell by the unit
  std::string atc;
  std::vector<int> dearer;  // drugs of the same ATC group that cost more (串换 targets)
};

enum class Kind { kPharmacy, kHospital, kClinic };

struct InstInfo {
  std::string code, name, admdvs, cls;  // cls: refdata institution_class
  Kind kind = Kind::kPharmacy;
  int level = 0;  // 1..3 for hospitals, 1 for clinics, 0 for pharmacies
};

struct NoCodeDecl {
  int inst = 0, drug = 0, boxes = 0;
  validator::Date sunset;
};

struct CalendarRow {
  std::string admdvs, cls, start;
};

struct Catalogue {
  std::vector<DrugInfo> drugs;
  std::vector<InstInfo> insts;
  std::vector<CalendarRow> calendar;
  std::vector<NoCodeDecl> no_code;
};

Catalogue BuildCatalogue(int pharmacies, int hospitals, const validator::Date& start, Rng& rng);
std::string RefDataJson(const Catalogue& c, const std::string& version);

// GS1 mod-10 check digit of the digits in `body` (weights 3,1,3,... from the right).
char Gs1CheckDigit(const std::string& body);

// JSON string literal of `s` (UTF-8 passes through; quotes, backslashes, controls escaped).
void AppendJsonString(std::string& out, const std::string& s);

}  // namespace simulate::internal
