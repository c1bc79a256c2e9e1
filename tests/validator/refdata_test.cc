// Reference data look-ups, the enforcement calendar, and Quantity.
#include <catch2/catch.hpp>

#include "validator_fixture.h"

using namespace vt;

TEST_CASE("Drugs are found by med_list_codg and by each product id", "[refdata]") {
  const RefData ref = MakeRef();
  REQUIRE(ref.FindDrug(kDrugA) != nullptr);
  CHECK(ref.FindDrug(kDrugA)->pack_content == 24);
  CHECK(ref.FindDrug("nope") == nullptr);
  CHECK(ref.FindDrugByProduct("8100001") == ref.FindDrug(kDrugA));
  CHECK(ref.FindDrugByProduct(kEanA) == ref.FindDrug(kDrugA));
  CHECK(ref.FindDrugByProduct("12345678901231") == ref.FindDrug(kDrugB));
  CHECK(ref.FindDrugByProduct("8100002") == nullptr);
  CHECK_FALSE(ref.FindDrug(kHerb)->codes_required);
  CHECK(ref.drug_count() == 3);
}

TEST_CASE("Duplicate keys and shared product ids are refused", "[refdata]") {
  RefData ref = MakeRef();
  CHECK_FALSE(ref.AddDrug({kDrugA, "dup", true, "", 1, {}}));
  CHECK_FALSE(ref.AddDrug({"NEW", "steals A's prefix", true, "", 1, {"8100001"}}));
  CHECK(ref.FindDrug("NEW") == nullptr);
  CHECK(ref.AddDrug({"NEW", "fine", true, "", 1, {"8100009"}}));
  CHECK_FALSE(ref.AddDrug({"", "no key", true, "", 1, {}}));
  CHECK_FALSE(ref.AddInstitution({kP1, "dup", InstitutionClass::kLevel1, ""}));
  CHECK_FALSE(ref.AddCalendarEntry({"130800", InstitutionClass::kLevel3, {2025, 1, 1}}));
  CHECK_FALSE(ref.AddCalendarEntry({"999999", InstitutionClass::kLevel3, {2025, 2, 30}}));
  CHECK_FALSE(ref.AddNoCodeStock({kP2, kDrugA, Quantity::Whole(1), {2026, 1, 1}}));
  CHECK(ref.institution_count() == 4);
}

TEST_CASE("Enforcement start: region first, then the national default", "[refdata]") {
  const RefData ref = MakeRef();
  CHECK(ref.EnforcementStart("130800", InstitutionClass::kRetailPharmacy) == Date{2025, 3, 21});
  CHECK(ref.EnforcementStart("130800", InstitutionClass::kLevel2) == Date{2025, 6, 1});
  CHECK(ref.EnforcementStart("440100", InstitutionClass::kRetailPharmacy) == Date{2025, 7, 1});
  CHECK(ref.EnforcementStart("", InstitutionClass::kRetailPharmacy) == Date{2025, 7, 1});
  CHECK_FALSE(ref.EnforcementStart("440100", InstitutionClass::kLevel3).has_value());
}

TEST_CASE("Institutions and 无码库 declarations", "[refdata]") {
  const RefData ref = MakeRef();
  REQUIRE(ref.FindInstitution(kH3) != nullptr);
  CHECK(ref.FindInstitution(kH3)->institution_class == InstitutionClass::kLevel3);
  CHECK(ref.FindInstitution("nope") == nullptr);
  const NoCodeStock* s = ref.FindNoCodeStock(kP2, kDrugA);
  REQUIRE(s != nullptr);
  CHECK(s->boxes == Quantity::Whole(10));
  CHECK(ref.FindNoCodeStock(kP1, kDrugA) == nullptr);
  CHECK(ref.FindNoCodeStock(kP2, kDrugB) == nullptr);
  for (auto c : {InstitutionClass::kRetailPharmacy, InstitutionClass::kLevel1,
                 InstitutionClass::kLevel2, InstitutionClass::kLevel3}) {
    CHECK(InstitutionClassFromName(InstitutionClassName(c)) == c);
  }
  CHECK_FALSE(InstitutionClassFromName("level4").has_value());
}

TEST_CASE("Quantity parses decimal counts", "[refdata]") {
  CHECK(Quantity::Parse("2")->milli == 2000);
  CHECK(Quantity::Parse("0.5")->milli == 500);
  CHECK(Quantity::Parse("12.125")->milli == 12125);
  CHECK(Quantity::Parse("12.125")->ToString() == "12.125");
  CHECK(Quantity::Parse("3.50")->ToString() == "3.5");
  CHECK(Quantity::Parse("7")->ToString() == "7");
  for (const char* bad :
       {"", "-1", "1.", ".5", "1.2345", "1e3", "1,5", "abc", "1234567890123456"}) {
    CHECK_FALSE(Quantity::Parse(bad).has_value());
  }
  CHECK(Quantity::Parse("1.5")->CeilWhole() == 2);
  CHECK(Quantity::Whole(3).is_whole());
}
