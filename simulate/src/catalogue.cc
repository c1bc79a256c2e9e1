// The catalogue (common chronic and acute drugs from several makers, imported originals with GS1
// codes, exempt 中药饮片), institutions of every class across eight districts of 承德, the regional
// policy calendar (after seed 004: pharmacies, then level 1, 2, 3) and 无码库 declarations.
#include <algorithm>
#include <cstdio>

#include "model.h"

namespace simulate::internal {

namespace {

struct BaseDrug {
  const char* name;
  const char* spec;
  int content;
  double price;  // yuan per box of the cheapest generic
  const char* atc;
  bool chronic;
  bool hospital_only;
  const char* original;  // maker of the imported original, or nullptr
};

// clang-format off
constexpr BaseDrug kBaseDrugs[] = {
  {"阿卡波糖片", "50mg×30片", 30, 36.5, "A10BF", true, false, "拜耳"},
  {"二甲双胍缓释片", "0.5g×30片", 30, 18.0, "A10BA", true, false, nullptr},
  {"格列美脲片", "2mg×30片", 30, 28.0, "A10BB", true, false, nullptr},
  {"达格列净片", "10mg×14片", 14, 98.0, "A10BK", true, false, "阿斯利康"},
  {"西格列汀片", "100mg×7片", 7, 65.0, "A10BH", true, false, "默沙东"},
  {"甘精胰岛素注射液", "3ml:300单位×1支", 1, 168.0, "A10AE", true, false, "赛诺菲"},
  {"门冬胰岛素注射液", "3ml:300单位×1支", 1, 78.0, "A10AB", true, false, "诺和诺德"},
  {"缬沙坦胶囊", "80mg×7粒", 7, 25.0, "C09CA", true, false, "诺华"},
  {"厄贝沙坦片", "150mg×7片", 7, 22.0, "C09CA", true, false, nullptr},
  {"氨氯地平片", "5mg×28片", 28, 32.0, "C08CA", true, false, "辉瑞"},
  {"硝苯地平控释片", "30mg×12片", 12, 40.0, "C08CA", true, false, "拜耳"},
  {"美托洛尔缓释片", "47.5mg×7片", 7, 26.0, "C07AB", true, false, "阿斯利康"},
  {"阿托伐他汀钙片", "20mg×7片", 7, 45.0, "C10AA", true, false, "辉瑞"},
  {"瑞舒伐他汀钙片", "10mg×28片", 28, 58.0, "C10AA", true, false, "阿斯利康"},
  {"氯吡格雷片", "75mg×7片", 7, 118.0, "B01AC", true, false, "赛诺菲"},
  {"阿司匹林肠溶片", "100mg×30片", 30, 15.0, "B01AC", true, false, "拜耳"},
  {"利伐沙班片", "10mg×5片", 5, 120.0, "B01AF", true, false, "拜耳"},
  {"奥美拉唑肠溶胶囊", "20mg×14粒", 14, 24.0, "A02BC", false, false, "阿斯利康"},
  {"雷贝拉唑钠肠溶片", "10mg×7片", 7, 56.0, "A02BC", false, false, nullptr},
  {"阿莫西林胶囊", "0.25g×24粒", 24, 12.0, "J01CA", false, false, nullptr},
  {"头孢呋辛酯片", "0.25g×12片", 12, 35.0, "J01DC", false, false, nullptr},
  {"左氧氟沙星片", "0.5g×4片", 4, 28.0, "J01MA", false, false, nullptr},
  {"布洛芬缓释胶囊", "0.3g×20粒", 20, 16.0, "M01AE", false, false, nullptr},
  {"塞来昔布胶囊", "0.2g×6粒", 6, 48.0, "M01AH", false, false, "辉瑞"},
  {"孟鲁司特钠片", "10mg×5片", 5, 42.0, "R03DC", true, false, "默沙东"},
  {"沙美特罗替卡松粉吸入剂", "50μg/250μg×60吸", 1, 198.0, "R03AK", true, false, "葛兰素史克"},
  {"恩替卡韦分散片", "0.5mg×7片", 7, 88.0, "J05AF", true, false, "百时美施贵宝"},
  {"他克莫司胶囊", "1mg×50粒", 50, 450.0, "L04AD", true, false, "安斯泰来"},
  {"奥氮平片", "10mg×7片", 7, 80.0, "N05AH", true, false, "礼来"},
  {"艾司西酞普兰片", "10mg×7片", 7, 55.0, "N06AB", true, false, "灵北"},
  {"坦索罗辛缓释胶囊", "0.2mg×10粒", 10, 38.0, "G04CA", true, false, nullptr},
  {"非那雄胺片", "5mg×10片", 10, 45.0, "G04CB", true, false, "默沙东"},
  {"左甲状腺素钠片", "50μg×100片", 100, 30.0, "H03AA", true, false, "默克"},
  {"复方丹参滴丸", "27mg×180丸", 180, 26.0, "C01EB", true, false, nullptr},
  {"连花清瘟胶囊", "0.35g×24粒", 24, 14.8, "R05XA", false, false, nullptr},
  {"蒙脱石散", "3g×10袋", 10, 12.0, "A07BC", false, false, nullptr},
  {"氯化钠注射液", "0.9% 250ml×1袋", 1, 3.5, "B05XA", false, true, nullptr},
  {"葡萄糖注射液", "5% 250ml×1袋", 1, 3.8, "B05BA", false, true, nullptr},
  {"头孢曲松钠注射剂", "1g×1瓶", 1, 8.5, "J01DD", false, true, nullptr},
  {"注射用奥美拉唑钠", "40mg×1瓶", 1, 16.0, "A02BC", false, true, nullptr},
};
constexpr const char* kMakers[] = {"华北制药", "石药集团", "扬子江药业", "齐鲁制药", "恒瑞医药",
                                   "正大天晴", "科伦药业", "国药集团", "华润双鹤", "以岭药业"};
constexpr const char* kHerbs[] = {"黄芪饮片", "当归饮片", "党参饮片", "甘草饮片", "枸杞子饮片",
                                  "茯苓饮片"};
struct District { const char* admdvs; const char* name; };
constexpr District kDistricts[] = {
  {"130802", "双桥区"}, {"130803", "双滦区"}, {"130804", "鹰手营子矿区"}, {"130821", "承德县"},
  {"130822", "兴隆县"}, {"130881", "平泉市"}, {"130824", "滦平县"}, {"130825", "隆化县"},
};
constexpr const char* kChains[] = {"康宁大药房", "老百姓大药房", "国大药房", "益丰大药房",
                                   "一心堂", "燕喜堂医药", "仁和堂药店", "同仁堂药店",
                                   "济民药房", "百草堂药店", "惠民大药房", "德生堂"};
// clang-format on

std::string Digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Below(10));
  return s;
}

}  // namespace

char Gs1CheckDigit(const std::string& body) {
  int sum = 0, w = 3;
  for (auto it = body.rbegin(); it != body.rend(); ++it) {
    sum += (*it - '0') * w;
    w = 4 - w;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

void AppendJsonString(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

Catalogue BuildCatalogue(int pharmacies, int hospitals, const validator::Date& start, Rng& rng) {
  Catalogue c;
  int product_serial = 100001;
  int base_index = 0;
  for (const BaseDrug& b : kBaseDrugs) {
    ++base_index;
    // Generic makers (2-3), then the imported original if there is one.
    const int generics = 2 + static_cast<int>(rng.Below(2));
    const int variants = generics + (b.original != nullptr ? 1 : 0);
    for (int v = 0; v < variants; ++v) {
      const bool original = v == generics;
      DrugInfo d;
      const char* maker = original ? b.original : kMakers[rng.Below(std::size(kMakers))];
      char code[64];
      std::snprintf(code, sizeof code, "X%sA%03dA%03d010101%03d", b.atc, base_index, v + 1,
                    static_cast<int>(c.drugs.size() % 1000));
      d.med_list_codg = code;
      d.name = std::string(b.name) + " " + b.spec + "(" + maker + ")";
      char hid[32];
      std::snprintf(hid, sizeof hid, "YP%06d", static_cast<int>(c.drugs.size() + 1));
      d.hilist_id = hid;
      d.pack_content = b.content;
      d.atc = b.atc;
      d.chronic = b.chronic;
      d.hospital_only = b.hospital_only;
      d.splittable = b.content >= 7 && !b.hospital_only;
      const double factor = original ? 1.8 + rng.Uniform() : 1.0 + 0.3 * rng.Uniform();
      d.price_fen = static_cast<std::int64_t>(b.price * factor * 100 + 0.5);
      // Generics sell more boxes; chronic drugs most of all.
      d.weight = (original ? 0.6 : 1.0) * (b.chronic ? 2.0 : 1.0) * (0.5 + rng.Uniform());
      if (original) {
        d.gs1 = true;
        static constexpr const char* kCountry[] = {"400", "300", "500", "760", "871", "590"};
        std::string body = std::string("0") + kCountry[rng.Below(std::size(kCountry))] +
                           Digits(rng, 9);  // indicator 0 + 12 digits; check follows
        d.gtin14 = body + Gs1CheckDigit(body);
        d.ean13 = d.gtin14.substr(1);
      } else {
        char p[16];
        std::snprintf(p, sizeof p, "8%06d", product_serial);
        product_serial += 7 + static_cast<int>(rng.Below(90));
        d.prefix7 = p;
        std::string body = "69" + Digits(rng, 10);
        d.ean13 = body + Gs1CheckDigit(body);
      }
      c.drugs.push_back(std::move(d));
    }
  }
  // Exempt herbal slices: sold by the gram, never coded.
  int herb = 0;
  for (const char* h : kHerbs) {
    DrugInfo d;
    char code[32];
    std::snprintf(code, sizeof code, "T0007%05d", 93 + herb++);
    d.med_list_codg = code;
    d.name = h;
    char hid[32];
    std::snprintf(hid, sizeof hid, "ZY%06d", herb);
    d.hilist_id = hid;
    d.codes_required = false;
    d.exempt_category = "中药饮片";
    d.price_fen = 8 + static_cast<std::int64_t>(rng.Below(30));  // per gram
    d.weight = 0.4;
    d.atc = "herb";
    c.drugs.push_back(std::move(d));
  }
  // 串换 targets: same ATC group, dearer box.
  for (std::size_t i = 0; i < c.drugs.size(); ++i) {
    for (std::size_t j = 0; j < c.drugs.size(); ++j) {
      if (i != j && c.drugs[i].codes_required && c.drugs[j].codes_required &&
          c.drugs[i].atc == c.drugs[j].atc && c.drugs[j].price_fen > c.drugs[i].price_fen * 1.2) {
        c.drugs[i].dearer.push_back(static_cast<int>(j));
      }
    }
  }

  // Institutions: pharmacies spread over the districts; hospitals 10% level 3, 20% level 2, 30%
  // level 1 (township health centres, community centres), 40% clinics (class level1).
  std::vector<int> per_district(std::size(kDistricts), 0);
  for (int i = 0; i < pharmacies; ++i) {
    const std::size_t d =
        i < 40 ? static_cast<std::size_t>(i % 3) : rng.Below(std::size(kDistricts));
    const District& dist = kDistricts[d];
    InstInfo in;
    char code[32];
    std::snprintf(code, sizeof code, "P%s%05d", dist.admdvs, ++per_district[d]);
    in.code = code;
    in.name = std::string(kChains[rng.Below(std::size(kChains))]) + "(" + dist.name +
              std::to_string(per_district[d]) + "店)";
    in.admdvs = dist.admdvs;
    in.cls = "retail_pharmacy";
    c.insts.push_back(std::move(in));
  }
  int level3 = std::max(hospitals >= 1 ? 1 : 0, hospitals / 10);
  int level2 = std::max(hospitals >= 2 ? 1 : 0, hospitals / 5);
  int level1 = std::max(hospitals >= 3 ? 1 : 0, hospitals * 3 / 10);
  int clinics = std::max(0, hospitals - level3 - level2 - level1);
  auto add_hospital = [&](Kind kind, int level, const std::string& suffix, std::size_t d) {
    const District& dist = kDistricts[d];
    InstInfo in;
    char code[32];
    std::snprintf(code, sizeof code, "H%s%05d", dist.admdvs, ++per_district[d] + 50000);
    in.code = code;
    in.admdvs = dist.admdvs;
    in.kind = kind;
    in.level = level;
    in.cls = level == 3 ? "level3" : level == 2 ? "level2" : "level1";
    in.name = std::string(dist.name) + suffix;
    c.insts.push_back(std::move(in));
  };
  static constexpr const char* kL3[] = {"中心医院", "医学院附属医院", "中医院"};
  static constexpr const char* kL2[] = {"人民医院", "中医医院", "妇幼保健院", "第二医院"};
  static constexpr const char* kL1[] = {"城关镇卫生院", "社区卫生服务中心", "街道卫生院",
                                        "乡卫生院"};
  for (int i = 0; i < level3; ++i)
    add_hospital(Kind::kHospital, 3, kL3[i % 3] + (i >= 3 ? std::to_string(i) : ""), i % 2);
  for (int i = 0; i < level2; ++i)
    add_hospital(Kind::kHospital, 2, kL2[i % 4] + (i >= 4 ? std::to_string(i) : ""),
                 static_cast<std::size_t>(i) % std::size(kDistricts));
  for (int i = 0; i < level1; ++i)
    add_hospital(Kind::kHospital, 1, kL1[i % 4] + std::to_string(i / 4 + 1),
                 rng.Below(std::size(kDistricts)));
  for (int i = 0; i < clinics; ++i)
    add_hospital(Kind::kClinic, 1, "第" + std::to_string(i + 1) + "诊所",
                 rng.Below(std::size(kDistricts)));

  // Policy calendar: 双桥区 follows seed 004 (承德); three districts stage it a little later; the
  // rest fall back to the national default (2025-07-01).
  c.calendar = {
      {"130802", "retail_pharmacy", "2025-03-21"},
      {"130802", "level1", "2025-05-01"},
      {"130802", "level2", "2025-06-01"},
      {"130802", "level3", "2025-07-01"},
  };
  for (const char* a : {"130821", "130822", "130881"}) {
    c.calendar.push_back({a, "retail_pharmacy", "2025-04-01"});
    c.calendar.push_back({a, "level1", "2025-06-01"});
    c.calendar.push_back({a, "level2", "2025-06-16"});
    c.calendar.push_back({a, "level3", "2025-07-01"});
  }
  for (const char* cls : {"retail_pharmacy", "level1", "level2", "level3"}) {
    c.calendar.push_back({"", cls, "2025-07-01"});
  }

  // 无码库: about one institution in eight declares uncoded stock of one to three drugs, to be
  // settled within two months of the start.
  const validator::Date sunset =
      validator::CivilFromDays(validator::DaysFromCivil(start) + 60 + rng.Range(0, 30));
  for (std::size_t i = 0; i < c.insts.size(); ++i) {
    if (!rng.Chance(0.125)) continue;
    const int n = static_cast<int>(rng.Range(1, 3));
    for (int k = 0; k < n; ++k) {
      const int drug = static_cast<int>(rng.Below(c.drugs.size()));
      if (!c.drugs[drug].codes_required) continue;
      const bool dup = std::any_of(c.no_code.begin(), c.no_code.end(), [&](const NoCodeDecl& d) {
        return d.inst == static_cast<int>(i) && d.drug == drug;
      });
      if (!dup) {
        c.no_code.push_back(
            {static_cast<int>(i), drug, static_cast<int>(rng.Range(10, 60)), sunset});
      }
    }
  }
  return c;
}

std::string RefDataJson(const Catalogue& c, const std::string& version) {
  std::string s = "{\n  \"version\": ";
  AppendJsonString(s, version);
  s += ",\n  \"drugs\": [";
  for (std::size_t i = 0; i < c.drugs.size(); ++i) {
    const DrugInfo& d = c.drugs[i];
    s += i ? ",\n    {" : "\n    {";
    s += "\"med_list_codg\": ";
    AppendJsonString(s, d.med_list_codg);
    s += ", \"name\": ";
    AppendJsonString(s, d.name);
    s += d.codes_required ? ", \"codes_required\": true" : ", \"codes_required\": false";
    if (!d.exempt_category.empty()) {
      s += ", \"exempt_category\": ";
      AppendJsonString(s, d.exempt_category);
    }
    s += ", \"pack_content\": " + std::to_string(d.pack_content) + ", \"product_ids\": [";
    std::vector<std::string> ids;
    if (!d.prefix7.empty()) ids.push_back(d.prefix7);
    if (!d.gtin14.empty())
      ids.push_back(d.gtin14);
    else if (!d.ean13.empty())
      ids.push_back(d.ean13);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (k) s += ", ";
      AppendJsonString(s, ids[k]);
    }
    s += "]}";
  }
  s += "\n  ],\n  \"institutions\": [";
  for (std::size_t i = 0; i < c.insts.size(); ++i) {
    const InstInfo& in = c.insts[i];
    s += i ? ",\n    {" : "\n    {";
    s += "\"fixmedins_code\": ";
    AppendJsonString(s, in.code);
    s += ", \"fixmedins_name\": ";
    AppendJsonString(s, in.name);
    s += ", \"institution_class\": ";
    AppendJsonString(s, in.cls);
    s += ", \"admdvs\": ";
    AppendJsonString(s, in.admdvs);
    s += "}";
  }
  s += "\n  ],\n  \"policy_calendar\": [";
  for (std::size_t i = 0; i < c.calendar.size(); ++i) {
    const CalendarRow& r = c.calendar[i];
    s += i ? ",\n    {" : "\n    {";
    s += "\"admdvs\": \"" + r.admdvs + "\", \"institution_class\": \"" + r.cls +
         "\", \"start_date\": \"" + r.start + "\"}";
  }
  s += "\n  ],\n  \"no_code_stock\": [";
  for (std::size_t i = 0; i < c.no_code.size(); ++i) {
    const NoCodeDecl& n = c.no_code[i];
    s += i ? ",\n    {" : "\n    {";
    s += "\"fixmedins_code\": \"" + c.insts[n.inst].code + "\", \"med_list_codg\": \"" +
         c.drugs[n.drug].med_list_codg + "\", \"box_count\": \"" + std::to_string(n.boxes) +
         "\", \"sunset_date\": \"" + validator::FormatDate(n.sunset) + "\"}";
  }
  s += "\n  ]\n}\n";
  return s;
}

}  // namespace simulate::internal
