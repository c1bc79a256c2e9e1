// The day-by-day simulation: stock, deliveries (3503), the opening count (3501), sales (3505, whole
// and split, insured and self-pay), returns (3506), voids (3507), scanning imperfections, injected
// fraud with its truth, and the terminals' messages in upload order.
#include "world.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

namespace simulate::internal {

namespace {

constexpr validator::CivilSeconds kHour = 3600;

std::string Money(std::int64_t fen) {
  char b[32];
  std::snprintf(b, sizeof b, "%lld.%02lld", static_cast<long long>(fen / 100),
                static_cast<long long>(fen % 100));
  return b;
}

// Price of one minimum unit of a box, to four decimals.
std::string UnitPrice(std::int64_t box_fen, int content) {
  const std::int64_t per = box_fen * 100 / std::max(1, content);  // 1e-4 yuan
  char b[40];
  std::snprintf(b, sizeof b, "%lld.%04lld", static_cast<long long>(per / 10000),
                static_cast<long long>(per % 10000));
  return b;
}

std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

void Field(std::string& s, const char* name, const std::string& value) {
  s += ",\"";
  s += name;
  s += "\":";
  AppendJsonString(s, value);
}

}  // namespace

World::World(const Options& o, const validator::Date& start)
    : o_(o), start_(start), start_days_(validator::DaysFromCivil(start)), rng_(o.seed) {
  Rng cat_rng = rng_.Fork(1);
  cat_ = BuildCatalogue(o.pharmacies, o.hospitals, start, cat_rng);
  next_box_ = 1000 + rng_.Below(1000000);
  SetUpInstitutions();
  PlanRings();
}

validator::CivilSeconds World::DayStart(int day) const {
  return (start_days_ + day) * 86400;
}

const Lot& World::LotFor(int drug, int week) {
  const std::int64_t key = static_cast<std::int64_t>(drug) * 1000 + (week + 500);
  auto it = lot_index_.find(key);
  if (it != lot_index_.end()) return lots_[it->second];
  Lot lot;
  // The batch never contains "21": a GS1 scan with its GS dropped must have one reading.
  do {
    char b[16];
    std::snprintf(b, sizeof b, "%c%02d%04u", static_cast<char>('A' + rng_.Below(26)),
                  (start_.year + week / 52) % 100, static_cast<unsigned>(rng_.Below(10000)));
    lot.batch = b;
  } while (lot.batch.find("21") != std::string::npos);
  const auto made = start_days_ + week * 7 - rng_.Range(30, 200);
  const auto expires = made + rng_.Range(540, 1080);
  lot.manu_date = validator::FormatDate(validator::CivilFromDays(made));
  const validator::Date e = validator::CivilFromDays(expires);
  lot.expiry = validator::FormatDate(e);
  char yymmdd[8];
  std::snprintf(yymmdd, sizeof yymmdd, "%02d%02d%02d", e.year % 100, e.month, e.day);
  lot.yymmdd = yymmdd;
  lot_index_.emplace(key, lots_.size());
  lots_.push_back(std::move(lot));
  return lots_.back();
}

std::string World::CodeOf(const Box& b, bool drop_gs) const {
  const DrugInfo& d = cat_.drugs[b.drug];
  if (!d.gs1) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%09llu%04llu", d.prefix7.c_str(),
                  static_cast<unsigned long long>((b.id * 7919) % 1000000000ull),
                  static_cast<unsigned long long>(Mix(b.id) % 10000));
    return buf;
  }
  // Serial: 11 characters in base 35 without '1' (so it never contains "21": with the GS dropped a
  // "21" inside the serial would give the batch two possible ends), a bijection of the box id
  // modulo 35^11.
  static constexpr char kAlnum[] = "023456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::uint64_t v = (b.id * 1000003ull) % 96549157373046875ull;
  char serial[12];
  for (int i = 10; i >= 0; --i) {
    serial[i] = kAlnum[v % 35];
    v /= 35;
  }
  serial[11] = 0;
  const Lot& lot = lots_[b.lot];
  std::string s = "]d201" + d.gtin14 + "17" + lot.yymmdd + "10" + lot.batch;
  if (!drop_gs) s += '\x1d';
  s += "21";
  s += serial;
  return s;
}

Box World::NewBox(int drug, int week) {
  LotFor(drug, week);
  const std::int64_t key = static_cast<std::int64_t>(drug) * 1000 + (week + 500);
  return Box{next_box_++, drug, static_cast<int>(lot_index_.at(key))};
}

void World::SetUpInstitutions() {
  insts_.resize(cat_.insts.size());
  double total_weight = 0;
  for (const DrugInfo& d : cat_.drugs) total_weight += d.weight;
  for (std::size_t i = 0; i < insts_.size(); ++i) {
    Inst& in = insts_[i];
    in.info = &cat_.insts[i];
    in.rng = rng_.Fork(100 + i);
    Rng& r = in.rng;
    const Kind kind = in.info->kind;
    const int level = in.info->level;
    in.shelf.resize(cat_.drugs.size());
    in.heads.assign(cat_.drugs.size(), 0);
    in.demand.assign(cat_.drugs.size(), 0);
    in.open.resize(cat_.drugs.size());
    in.no_code_left.assign(cat_.drugs.size(), 0);
    if (kind == Kind::kPharmacy) {
      in.rows_per_day = static_cast<double>(r.Range(27, 68));
      in.insured_share = 0.55 + 0.15 * r.Uniform();
      in.split_rate = 0.06;
      in.miss0 = 0.01 + 0.07 * r.Uniform();
    } else if (kind == Kind::kClinic) {
      in.rows_per_day = static_cast<double>(r.Range(11, 30));
      in.insured_share = 0.7;
      in.split_rate = 0.25;
      in.miss0 = 0.25 + 0.25 * r.Uniform();
    } else {
      in.rows_per_day = static_cast<double>(level == 3   ? r.Range(340, 525)
                                            : level == 2 ? r.Range(135, 225)
                                                         : r.Range(38, 83));
      in.insured_share = 0.85;
      in.split_rate = 0.35;
      in.miss0 = (level == 3 ? 0.15 : level == 2 ? 0.10 : 0.15) + 0.15 * r.Uniform();
    }
    in.rows_per_day *= o_.volume;
    in.ean_rate = r.Chance(0.2) ? 0.01 : 0.002;
    in.dup_rate = 0.003;
    in.wedge = r.Chance(0.15);
    in.offline.assign(static_cast<std::size_t>(o_.days), 0);
    if (r.Chance(0.08)) {
      const int n = static_cast<int>(r.Range(1, 3));
      for (int k = 0; k < n; ++k) in.offline[r.Below(static_cast<std::uint64_t>(o_.days))] = 1;
    }
    // Assortment and expected daily demand in boxes.
    double weight_sum = 0;
    for (std::size_t d = 0; d < cat_.drugs.size(); ++d) {
      const DrugInfo& drug = cat_.drugs[d];
      double p = 0;
      if (kind == Kind::kPharmacy) {
        p = drug.hospital_only ? 0 : drug.codes_required ? 0.7 : 0.3;
      } else if (kind == Kind::kClinic) {
        p = drug.gs1 ? 0.1 : 0.5;
      } else {
        p = 0.9;
      }
      if (r.Chance(p)) {
        in.assortment.push_back(static_cast<int>(d));
        weight_sum += drug.weight;
        in.cumulative.push_back(weight_sum);
      }
    }
    (void)total_weight;
    for (int d : in.assortment) {
      in.demand[d] = in.rows_per_day * cat_.drugs[d].weight / weight_sum;
    }
  }
  for (const NoCodeDecl& n : cat_.no_code) {
    insts_[n.inst].no_code_left[n.drug] = n.boxes;
    insts_[n.inst].no_code_sunset = validator::DaysFromCivil(n.sunset) - start_days_;
  }
  // Fraud roles. Pharmacies only take part in rings (origins or buyers); the other schemes are
  // spread over all classes.
  std::vector<int> pharmacies, all;
  for (std::size_t i = 0; i < insts_.size(); ++i) {
    all.push_back(static_cast<int>(i));
    if (cat_.insts[i].kind == Kind::kPharmacy) pharmacies.push_back(static_cast<int>(i));
  }
  auto pick = [&](const std::vector<int>& from, int n, auto&& role) {
    std::vector<int> pool = from;
    for (int k = 0; k < n && !pool.empty(); ++k) {
      const std::size_t j = rng_.Below(pool.size());
      role(insts_[pool[j]]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(j));
    }
  };
  const int n = static_cast<int>(all.size());
  pick(all, std::max(2, n / 25), [](Inst& in) { in.swapper = true; });
  // Split sales are a quarter to a third of the rows in hospitals and clinics (6% at pharmacies):
  // that is where selling a pack beyond its content pays, and where the injected cases are found
  // in a short simulation.
  std::vector<int> splitters;
  for (int i : all) {
    if (cat_.insts[i].kind != Kind::kPharmacy) splitters.push_back(i);
  }
  pick(splitters.size() >= 2 ? splitters : all, std::max(2, n / 25),
       [](Inst& in) { in.split_cheat = true; });
  pick(pharmacies, std::max(2, static_cast<int>(pharmacies.size()) / 30),
       [](Inst& in) { in.reuser = true; });
}

void World::PlanRings() {
  std::vector<int> pharmacies;
  for (std::size_t i = 0; i < insts_.size(); ++i) {
    if (cat_.insts[i].kind == Kind::kPharmacy) pharmacies.push_back(static_cast<int>(i));
  }
  // Expensive chronic drugs are what collectors buy.
  std::vector<int> targets;
  for (std::size_t d = 0; d < cat_.drugs.size(); ++d) {
    const DrugInfo& drug = cat_.drugs[d];
    if (drug.codes_required && drug.chronic && drug.price_fen >= 8000) targets.push_back(d);
  }
  const int rings = std::max(2, static_cast<int>(pharmacies.size()) / 40);
  visits_.resize(static_cast<std::size_t>(o_.days));
  resales_.resize(static_cast<std::size_t>(o_.days));
  for (int k = 0; k < rings; ++k) {
    Ring ring;
    char id[24];  // "RING-" and any int: no truncation
    std::snprintf(id, sizeof id, "RING-%02d", k + 1);
    ring.id = id;
    std::vector<int> pool = pharmacies;
    auto take = [&] {
      const std::size_t j = rng_.Below(pool.size());
      const int v = pool[j];
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(j));
      return v;
    };
    const int buyers = static_cast<int>(rng_.Range(1, 2));
    for (int b = 0; b < buyers; ++b) ring.buyers.push_back(take());
    const int origins = static_cast<int>(std::min<std::size_t>(rng_.Range(2, 4), pool.size()));
    for (int b = 0; b < origins; ++b) ring.origins.push_back(take());
    ring.drug = targets[rng_.Below(targets.size())];
    for (int o : ring.origins) {
      Inst& in = insts_[o];
      if (in.demand[ring.drug] == 0) {
        in.assortment.push_back(ring.drug);
        in.cumulative.push_back((in.cumulative.empty() ? 0 : in.cumulative.back()) +
                                1e-9);  // stocked, rarely sold otherwise
        in.demand[ring.drug] = 1;
      }
      in.demand[ring.drug] += 1.5;  // the ring's purchases keep the shelf full
    }
    const int patients = static_cast<int>(rng_.Range(4, 7));
    for (int p = 0; p < patients; ++p) {
      char psn[24];
      std::snprintf(psn, sizeof psn, "1308%010llu",
                    static_cast<unsigned long long>(rng_.Below(10000000000ull)));
      ring.patients.push_back(psn);
      const int n_visits = static_cast<int>(rng_.Range(3, 5));
      for (int v = 0; v < n_visits; ++v) {
        Visit visit;
        visit.ring = k;
        visit.patient = p;
        visit.inst = ring.origins[rng_.Below(ring.origins.size())];
        visit.boxes = static_cast<int>(rng_.Range(2, 3));
        const int day = static_cast<int>(rng_.Below(static_cast<std::uint64_t>(o_.days)));
        visits_[day].push_back(visit);
      }
    }
    rings_.push_back(std::move(ring));
    TruthCase c;
    c.id = rings_.back().id;
    c.type = FraudType::kReflux;
    for (int o : rings_.back().origins) c.institutions.push_back(cat_.insts[o].code);
    for (int b : rings_.back().buyers) c.institutions.push_back(cat_.insts[b].code);
    c.psn_nos = rings_.back().patients;
    c.description = "collector buys the insured boxes of " +
                    std::to_string(rings_.back().patients.size()) + " patients of " +
                    cat_.drugs[ring.drug].name + " and sells them to " +
                    std::to_string(rings_.back().buyers.size()) + " pharmacies";
    ring_case_.push_back(truth_.cases.size());
    truth_.cases.push_back(std::move(c));
  }
}

// ---- rows ------------------------------------------------------------------------------------

std::string World::NextBchno(Inst& in, char kind, int day) {
  const validator::Date d = validator::CivilFromDays(start_days_ + day);
  char b[40];
  std::snprintf(b, sizeof b, "%c%04d%02d%02d-%06d", kind, d.year, d.month, d.day, ++in.bchno_seq);
  return b;
}

std::string World::Scan(Inst& in, const Box& b, bool clean, std::vector<std::string>& codes,
                        std::vector<std::uint64_t>& packs) {
  const DrugInfo& d = cat_.drugs[b.drug];
  if (!clean) {
    const double u = in.rng.Uniform();
    if (u < in.miss_today) {
      ++stats_.missing_scans;
      return "";
    }
    if (u < in.miss_today + in.ean_rate) {
      ++stats_.ean_scans;
      codes.push_back(d.ean13);
      return "";
    }
  }
  const bool drop = d.gs1 && in.wedge;
  if (drop) ++stats_.gs_dropped;
  std::string code = CodeOf(b, drop);
  codes.push_back(code);
  packs.push_back(b.id);
  if (!clean && in.rng.Chance(in.dup_rate)) {
    ++stats_.double_scans;
    codes.push_back(code);
  }
  return code;
}

void World::AppendCodes(std::string& row, const std::vector<std::string>& codes) {
  row += ",\"drugtracinfo\":[";
  for (std::size_t k = 0; k < codes.size(); ++k) {
    row += k ? ",{\"drug_trac_codg\":" : "{\"drug_trac_codg\":";
    AppendJsonString(row, codes[k]);
    row += '}';
  }
  row += "]}";
}

void World::AddEvent(Inst& in, validator::CivilSeconds t, int infno, std::string row,
                     std::vector<std::uint64_t> packs, std::size_t codes) {
  in.events.push_back(
      Event{t, static_cast<int>(in.events.size()), infno, std::move(row), std::move(packs), codes});
}

void World::MarkTruth(const Inst& in, const std::string& bchno, const char* infno, FraudType type,
                      const std::string& case_id, bool fraud) {
  truth_.rows.push_back(TruthRow{in.info->code, bchno, infno, type, case_id, fraud});
  if (fraud) ++stats_.fraud_rows[static_cast<int>(type)];
}

std::string World::SaleRow(const SaleSpec& s) {
  const DrugInfo& d = cat_.drugs[s.billed];
  std::string r = "{\"fixmedins_bchno\":";
  AppendJsonString(r, s.bchno);
  Field(r, "med_list_codg", d.med_list_codg);
  Field(r, "fixmedins_hilist_id", d.hilist_id);
  Field(r, "fixmedins_hilist_name", d.name);
  if (!s.return_of.empty()) Field(r, "medins_prod_sel_no", s.return_of);
  Field(r, "rtal_docno", s.docno);
  Field(r, "sel_retn_cnt", s.count);
  Field(r, "sel_retn_time", validator::FormatCivilTime(s.time));
  r += s.split ? ",\"trdn_flag\":\"1\"" : ",\"trdn_flag\":\"0\"";
  r += s.insured ? ",\"mdtrt_setl_type\":\"1\"" : ",\"mdtrt_setl_type\":\"2\"";
  if (s.insured) {
    Field(r, "setl_id", s.setl_id);
    Field(r, "psn_no", s.psn_no);
  }
  if (s.lot >= 0) {
    Field(r, "manu_lotnum", lots_[s.lot].batch);
    Field(r, "expy_end", lots_[s.lot].expiry);
  }
  Field(r, "finl_trns_pric",
        s.split ? (d.codes_required ? UnitPrice(d.price_fen, d.pack_content) : Money(d.price_fen))
                : Money(d.price_fen));
  r += d.chronic ? ",\"rx_flag\":\"1\"" : ",\"rx_flag\":\"0\"";
  AppendCodes(r, s.codes);
  return r;
}

std::string World::ReceiptRow(const std::string& bchno, int drug, int lot, std::size_t boxes,
                              validator::CivilSeconds t, const std::string& supplier,
                              const std::string& delivery, const std::vector<std::string>& codes) {
  const DrugInfo& d = cat_.drugs[drug];
  std::string r = "{\"fixmedins_bchno\":";
  AppendJsonString(r, bchno);
  Field(r, "med_list_codg", d.med_list_codg);
  Field(r, "fixmedins_hilist_id", d.hilist_id);
  Field(r, "fixmedins_hilist_name", d.name);
  Field(r, "dynt_no", delivery);
  Field(r, "spler_name", supplier);
  Field(r, "purc_retn_cnt", std::to_string(boxes));
  Field(r, "purc_retn_stoin_time", validator::FormatCivilTime(t));
  if (lot >= 0) {
    Field(r, "manu_lotnum", lots_[lot].batch);
    Field(r, "manu_date", lots_[lot].manu_date);
    Field(r, "expy_end", lots_[lot].expiry);
  }
  Field(r, "finl_trns_pric", Money(d.price_fen * 4 / 5));
  AppendCodes(r, codes);
  return r;
}

std::string World::NewPsn(Rng& r) {
  char psn[24];
  std::snprintf(psn, sizeof psn, "1308%010llu",
                static_cast<unsigned long long>(r.Below(patient_pool_) * 7919 + 13));
  return psn;
}

// ---- the day ---------------------------------------------------------------------------------

void World::OpeningCount(Inst& in) {
  const validator::CivilSeconds t = DayStart(0) + 7 * kHour;
  for (int d : in.assortment) {
    const DrugInfo& drug = cat_.drugs[d];
    if (!drug.codes_required) {
      std::string r = "{\"fixmedins_bchno\":";
      AppendJsonString(r, NextBchno(in, 'I', 0));
      Field(r, "med_list_codg", drug.med_list_codg);
      Field(r, "fixmedins_hilist_id", drug.hilist_id);
      Field(r, "fixmedins_hilist_name", drug.name);
      Field(r, "inv_cnt", std::to_string(in.rng.Range(2000, 9000)));
      Field(r, "inv_time", validator::FormatCivilTime(t));
      r += ",\"trdn_flag\":\"1\"}";
      AddEvent(in, t, 3501, std::move(r), {}, 0);
      continue;
    }
    const int week = -static_cast<int>(in.rng.Range(1, 8));
    const int boxes = static_cast<int>(in.demand[d] * 5) + 3;
    std::vector<std::string> codes;
    std::vector<std::uint64_t> packs;
    for (int k = 0; k < boxes; ++k) {
      const Box b = NewBox(d, week);
      in.shelf[d].push_back(b);
      Scan(in, b, true, codes, packs);
    }
    const int lot = in.shelf[d].empty() ? -1 : in.shelf[d].front().lot;
    std::string r = "{\"fixmedins_bchno\":";
    AppendJsonString(r, NextBchno(in, 'I', 0));
    Field(r, "med_list_codg", drug.med_list_codg);
    Field(r, "fixmedins_hilist_id", drug.hilist_id);
    Field(r, "fixmedins_hilist_name", drug.name);
    // Uncoded 无码库 boxes are counted too; the declaration covers them.
    Field(r, "inv_cnt", std::to_string(boxes + in.no_code_left[d]));
    Field(r, "inv_time", validator::FormatCivilTime(t));
    Field(r, "manu_lotnum", lots_[lot].batch);
    Field(r, "expy_end", lots_[lot].expiry);
    AppendCodes(r, codes);
    AddEvent(in, t, 3501, std::move(r), std::move(packs), codes.size());
  }
}

void World::Deliveries(Inst& in, int day) {
  // Booked in before the counter opens at 08:30.
  validator::CivilSeconds t = DayStart(day) + 7 * kHour + 1800 + in.rng.Range(0, 600);
  const int week = day / 7;
  char delivery[40];
  std::snprintf(delivery, sizeof delivery, "PS%s%03d", in.info->code.c_str() + 1, day + 1);
  for (int d : in.assortment) {
    const DrugInfo& drug = cat_.drugs[d];
    if (!drug.codes_required) continue;
    const std::size_t have = in.shelf[d].size() - in.heads[d];
    const double reorder = std::max(2.0, in.demand[d] * 2);
    if (static_cast<double>(have) >= reorder) continue;
    in.compact(d);
    const int boxes = static_cast<int>(in.demand[d] * 7) + 4;
    std::vector<std::string> codes;
    std::vector<std::uint64_t> packs;
    int lot = -1;
    for (int k = 0; k < boxes; ++k) {
      const Box b = NewBox(d, week);
      lot = b.lot;
      in.shelf[d].push_back(b);
      Scan(in, b, true, codes, packs);
    }
    t += in.rng.Range(2, 8);
    const std::string bchno = NextBchno(in, 'R', day);
    AddEvent(in, t, 3503,
             ReceiptRow(bchno, d, lot, static_cast<std::size_t>(boxes), t, "承德医药有限公司",
                        delivery, codes),
             std::move(packs), codes.size());
  }
}

bool World::TakeBox(Inst& in, int drug, Box& out) {
  auto& shelf = in.shelf[drug];
  std::size_t& head = in.heads[drug];
  if (head >= shelf.size()) return false;
  out = shelf[head++];
  return true;
}

void World::Returns(Inst& in, int day) {
  // Yesterday's returns are back on the shelf. A box returned today is not: its return may be
  // booked later in the day than a sale that would take it, and a box cannot be sold again
  // before it is back (the validator would rightly see a reused code).
  for (const Box& b : in.returned) in.shelf[b.drug].push_back(b);
  in.returned.clear();
  const auto n = in.rng.Poisson(in.rows_per_day * 0.004);
  for (std::int64_t k = 0; k < n; ++k) {
    // A single-box sale of the last two days that is neither returned nor reused.
    std::vector<std::size_t> candidates;
    for (std::size_t j = in.sold.size(); j-- > 0;) {
      if (in.sold[j].day < day - 2) break;
      if (!in.sold[j].used && in.sold[j].day < day) candidates.push_back(j);
    }
    if (candidates.empty()) return;
    SoldRec& s = in.sold[candidates[in.rng.Below(candidates.size())]];
    s.used = true;
    SaleSpec r;
    r.bchno = NextBchno(in, 'T', day);
    r.billed = s.box.drug;
    r.return_of = s.bchno;
    r.count = "1";
    r.time = DayStart(day) + 9 * kHour + in.rng.Range(0, 10 * kHour);
    r.insured = s.insured;
    r.setl_id = s.setl_id;
    r.psn_no = s.psn_no;
    r.lot = s.box.lot;
    std::vector<std::uint64_t> packs;
    Scan(in, s.box, true, r.codes, packs);
    in.returned.push_back(s.box);
    const std::size_t nc = r.codes.size();
    AddEvent(in, r.time, 3506, SaleRow(r), std::move(packs), nc);
  }
}

void World::RingVisits(Inst& in, int index, int day) {
  for (const Visit& v : visits_[day]) {
    if (v.inst != index) continue;
    Ring& ring = rings_[v.ring];
    SaleSpec s;
    s.billed = ring.drug;
    s.time = DayStart(day) + 9 * kHour + in.rng.Range(0, 11 * kHour);
    s.insured = true;
    s.psn_no = ring.patients[v.patient];
    s.setl_id = NextSetl(in, day);
    s.docno = NextDoc(in, day);
    std::vector<Box> boxes;
    std::vector<std::uint64_t> packs;
    for (int k = 0; k < v.boxes; ++k) {
      Box b;
      if (!TakeBox(in, ring.drug, b)) break;
      boxes.push_back(b);
      Scan(in, b, true, s.codes, packs);
    }
    if (boxes.empty()) continue;
    s.lot = boxes[0].lot;
    s.count = std::to_string(boxes.size());
    s.bchno = NextBchno(in, 'S', day);
    MarkTruth(in, s.bchno, "3505", FraudType::kReflux, ring.id, false);
    for (const std::string& c : s.codes) truth_.cases[ring_case_[v.ring]].codes.push_back(c);
    const std::size_t nc = s.codes.size();
    AddEvent(in, s.time, 3505, SaleRow(s), std::move(packs), nc);
    // The collector sells the boxes on to a buyer two to four days later.
    const int later = day + static_cast<int>(in.rng.Range(2, 4));
    if (later < o_.days) {
      Resale r;
      r.ring = v.ring;
      r.inst = ring.buyers[in.rng.Below(ring.buyers.size())];
      r.boxes = std::move(boxes);
      r.via_receipt = in.rng.Chance(0.5);
      resales_[later].push_back(std::move(r));
    }
  }
}

void World::RingResales(Inst& in, int index, int day) {
  for (const Resale& r : resales_[day]) {
    if (r.inst != index) continue;
    const Ring& ring = rings_[r.ring];
    validator::CivilSeconds t = DayStart(day) + 10 * kHour + in.rng.Range(0, kHour);
    if (r.via_receipt) {
      std::vector<std::string> codes;
      std::vector<std::uint64_t> packs;
      for (const Box& b : r.boxes) Scan(in, b, true, codes, packs);
      const std::string bchno = NextBchno(in, 'R', day);
      MarkTruth(in, bchno, "3503", FraudType::kReflux, ring.id, true);
      const std::size_t nc = codes.size();
      AddEvent(in, t, 3503,
               ReceiptRow(bchno, ring.drug, r.boxes[0].lot, r.boxes.size(), t,
                          "承德益康医药贸易有限公司", "YK" + bchno.substr(1), codes),
               std::move(packs), nc);
    }
    for (const Box& b : r.boxes) {
      SaleSpec s;
      s.billed = ring.drug;
      s.time = t + in.rng.Range(kHour, 9 * kHour);
      s.insured = true;
      s.psn_no = NewPsn(in.rng);
      s.setl_id = NextSetl(in, day);
      s.docno = NextDoc(in, day);
      s.lot = b.lot;
      s.count = "1";
      std::vector<std::uint64_t> packs;
      Scan(in, b, true, s.codes, packs);
      s.bchno = NextBchno(in, 'S', day);
      MarkTruth(in, s.bchno, "3505", FraudType::kReflux, ring.id, true);
      const std::size_t nc = s.codes.size();
      AddEvent(in, s.time, 3505, SaleRow(s), std::move(packs), nc);
    }
  }
}

std::string World::NextSetl(Inst& in, int day) {
  const validator::Date d = validator::CivilFromDays(start_days_ + day);
  char b[48];
  std::snprintf(b, sizeof b, "%s%04d%02d%02d%07d", in.info->admdvs.c_str(), d.year, d.month, d.day,
                ++in.setl_seq);
  return b;
}

std::string World::NextDoc(Inst& in, int day) {
  char b[32];
  std::snprintf(b, sizeof b, "D%03d%06d", day + 1, ++in.doc_seq);
  return b;
}

void World::Sales(Inst& in, int index, int day) {
  Rng& r = in.rng;
  const bool hospital = in.info->kind != Kind::kPharmacy;
  const double progress = o_.days > 1 ? static_cast<double>(day) / (o_.days - 1) : 0;
  in.miss_today = in.miss0 * (1 - 0.7 * progress);  // scanning habits improve over the month
  const double rows_per_tx = hospital ? 2.2 : 1.5;
  const auto tx_count = r.Poisson(in.rows_per_day / rows_per_tx);
  const validator::CivilSeconds open = DayStart(day) + 8 * kHour + 1800;
  const validator::CivilSeconds span = (hospital ? 11 : 12) * kHour + 1800;
  std::vector<validator::CivilSeconds> times;
  times.reserve(static_cast<std::size_t>(tx_count));
  for (std::int64_t k = 0; k < tx_count; ++k) times.push_back(open + r.Range(0, span));
  std::sort(times.begin(), times.end());
  for (validator::CivilSeconds t : times) {
    const bool insured = r.Chance(in.insured_share);
    const std::string psn = insured ? NewPsn(r) : "";
    const std::string setl = insured ? NextSetl(in, day) : "";
    const std::string doc = NextDoc(in, day);
    const int rows = hospital ? static_cast<int>(r.Range(1, 4))
                              : (r.Chance(0.6)    ? 1
                                 : r.Chance(0.75) ? 2
                                                  : 3);
    for (int k = 0; k < rows; ++k) {
      SaleSpec s;
      s.time = t + k * r.Range(3, 20);
      s.insured = insured;
      s.psn_no = psn;
      s.setl_id = setl;
      s.docno = doc;
      SaleLine(in, index, day, s);
    }
  }
  // Reused codes: a box sold days ago is scanned again for today's sale of another box.
  if (in.reuser) {
    const auto n = r.Poisson(1.5 * o_.volume);
    for (std::int64_t k = 0; k < n; ++k) {
      std::vector<std::size_t> candidates;
      for (std::size_t j = 0; j < in.sold.size(); ++j) {
        if (!in.sold[j].used && in.sold[j].day < day) candidates.push_back(j);
      }
      if (candidates.empty()) break;
      SoldRec& old = in.sold[candidates[r.Below(candidates.size())]];
      Box physical;
      if (!TakeBox(in, old.box.drug, physical)) continue;
      old.used = true;
      SaleSpec s;
      s.billed = old.box.drug;
      s.time = open + r.Range(0, span);
      s.insured = true;
      s.psn_no = NewPsn(r);
      s.setl_id = NextSetl(in, day);
      s.docno = NextDoc(in, day);
      s.lot = physical.lot;
      s.count = "1";
      std::vector<std::uint64_t> packs;
      Scan(in, old.box, true, s.codes, packs);
      s.bchno = NextBchno(in, 'S', day);
      char id[24];
      std::snprintf(id, sizeof id, "REUSE-%04d", ++reuse_cases_);
      TruthCase c;
      c.id = id;
      c.type = FraudType::kReuse;
      c.institutions = {in.info->code};
      c.codes = s.codes;
      c.description = "the code of a box sold on " +
                      validator::FormatDate(validator::CivilFromDays(start_days_ + old.day)) +
                      " scanned again for the sale of another box";
      truth_.cases.push_back(std::move(c));
      MarkTruth(in, s.bchno, "3505", FraudType::kReuse, id, true);
      const std::size_t nc = s.codes.size();
      AddEvent(in, s.time, 3505, SaleRow(s), std::move(packs), nc);
    }
  }
}

void World::SaleLine(Inst& in, int index, int day, SaleSpec& s) {
  Rng& r = in.rng;
  const int drug = in.assortment[r.Weighted(in.cumulative)];
  const DrugInfo& d = cat_.drugs[drug];
  s.billed = drug;
  if (!d.codes_required) {  // 中药饮片 by the gram
    s.split = true;
    s.count = std::to_string(r.Range(30, 500));
    s.bchno = NextBchno(in, 'S', day);
    AddEvent(in, s.time, 3505, SaleRow(s), {}, 0);
    return;
  }
  // Uncoded 无码库 stock is sold first while it lasts.
  if (in.no_code_left[drug] > 0 && day < in.no_code_sunset && r.Chance(0.5)) {
    const int boxes = std::min(in.no_code_left[drug], r.Chance(0.8) ? 1 : 2);
    in.no_code_left[drug] -= boxes;
    ++stats_.no_code_stock_sales;
    s.count = std::to_string(boxes);
    s.bchno = NextBchno(in, 'S', day);
    AddEvent(in, s.time, 3505, SaleRow(s), {}, 0);
    return;
  }
  std::vector<std::uint64_t> packs;
  if (d.splittable && r.Chance(in.split_rate)) {
    OpenPack& p = in.open[drug];
    if (p.left <= 0) {
      if (!TakeBox(in, drug, p.box)) return;
      p.left = d.pack_content;
      p.tainted = false;
    }
    s.split = true;
    s.lot = p.box.lot;
    int units = static_cast<int>(r.Range(1, std::max(1, d.pack_content / 3)));
    units = std::min(units, p.left);
    bool cheat = false;
    if (in.split_cheat && !p.tainted && p.left < d.pack_content && r.Chance(0.08)) {
      units = p.left + static_cast<int>(r.Range(1, std::max(1, d.pack_content / 4)));
      cheat = true;
    }
    const std::string code = Scan(in, p.box, cheat, s.codes, packs);
    if (code.empty()) p.tainted = true;  // the validator did not see these units
    p.left -= units;
    s.count = std::to_string(units);
    s.bchno = NextBchno(in, 'S', day);
    if (cheat) {
      p.left = 0;
      char id[24];
      std::snprintf(id, sizeof id, "SPLIT-%04d", ++split_cases_);
      TruthCase c;
      c.id = id;
      c.type = FraudType::kSplitOver;
      c.institutions = {in.info->code};
      c.codes = {code};
      c.description = "split sales of one " + std::to_string(d.pack_content) + "-unit pack of " +
                      d.name + " beyond its content";
      truth_.cases.push_back(std::move(c));
      MarkTruth(in, s.bchno, "3505", FraudType::kSplitOver, id, true);
    }
    const std::size_t nc = s.codes.size();
    AddEvent(in, s.time, 3505, SaleRow(s), std::move(packs), nc);
    return;
  }
  // Whole boxes.
  const double u = r.Uniform();
  int boxes = WholeBoxes(in, d, u);
  std::vector<Box> taken;
  for (int k = 0; k < boxes; ++k) {
    Box b;
    if (!TakeBox(in, drug, b)) break;
    taken.push_back(b);
  }
  if (taken.empty()) return;
  s.lot = taken[0].lot;
  s.count = std::to_string(taken.size());
  // 串换: a swapping institution bills a dearer drug of the same group for some insured sales.
  const bool swap = in.swapper && s.insured && !d.dearer.empty() && r.Chance(0.06);
  bool clean = true;
  for (const Box& b : taken) {
    if (Scan(in, b, swap, s.codes, packs).empty()) clean = false;
  }
  if (s.codes.size() != taken.size()) clean = false;  // an EAN or a double scan
  s.bchno = NextBchno(in, 'S', day);
  if (swap) {
    s.billed = d.dearer[r.Below(d.dearer.size())];
    auto [it, added] = swap_case_.try_emplace(index, truth_.cases.size());
    if (added) {
      TruthCase c;
      c.id = "SWAP-" + in.info->code;
      c.type = FraudType::kSwap;
      c.institutions = {in.info->code};
      c.description = "bills dearer drugs of the same group than the boxes it scans";
      truth_.cases.push_back(std::move(c));
    }
    for (const std::string& code : s.codes) truth_.cases[it->second].codes.push_back(code);
    MarkTruth(in, s.bchno, "3505", FraudType::kSwap, truth_.cases[it->second].id, true);
  }
  const std::size_t nc = s.codes.size();
  AddEvent(in, s.time, 3505, SaleRow(s), packs, nc);
  if (swap || !clean) return;
  // A clean row may be voided minutes later (wrong price keyed) and entered again.
  if (r.Chance(0.003)) {
    const validator::CivilSeconds tv = s.time + r.Range(60, 900);
    std::string v = "{\"fixmedins_bchno\":";
    AppendJsonString(v, s.bchno);
    v += ",\"inv_data_type\":\"4\",\"memo\":\"录入错误，重新上传\"}";
    AddEvent(in, tv, 3507, std::move(v), {}, 0);
    s.time = tv + r.Range(20, 120);
    s.bchno = NextBchno(in, 'S', day);
    const std::size_t nc2 = s.codes.size();
    AddEvent(in, s.time, 3505, SaleRow(s), std::move(packs), nc2);
    return;
  }
  if (taken.size() == 1) {
    in.sold.push_back(SoldRec{taken[0], day, false, s.bchno, s.insured, s.setl_id, s.psn_no});
  }
}

int World::WholeBoxes(Inst& in, const DrugInfo& d, double u) {
  if (in.info->kind == Kind::kPharmacy) {
    const int base = u < 0.75 ? 1 : u < 0.93 ? 2 : 3;
    return d.chronic && in.rng.Chance(0.2) ? base + 1 : base;
  }
  if (d.hospital_only) return static_cast<int>(in.rng.Range(1, 4));
  return u < 0.6 ? 1 : u < 0.85 ? 2 : static_cast<int>(in.rng.Range(3, 5));
}

// ---- messages --------------------------------------------------------------------------------

void World::Package(Inst& in, int day, Terminal& out) {
  std::sort(in.events.begin(), in.events.end(),
            [](const Event& a, const Event& b) { return a.t != b.t ? a.t < b.t : a.seq < b.seq; });
  const bool offline = day < o_.days && in.offline[day];
  if (offline) ++stats_.offline_days;
  // A message holds rows of one interface, at most an hour's worth and at most 40 rows (200 for
  // receipts and counts); a pack seen earlier in the message starts a new one (see
  // docs/simulate.md: the validator counts such a repeat as a duplicate scan).
  std::vector<Message> made;
  std::unordered_set<std::uint64_t> packs;
  std::string body;
  int cur_infno = 0, rows = 0;
  validator::CivilSeconds first = 0, last = 0;
  std::size_t codes = 0;
  auto flush = [&] {
    if (rows == 0) return;
    validator::CivilSeconds inf;
    if (offline) {
      inf = DayStart(day + 1) + 7 * kHour + 1800 + static_cast<int>(made.size()) * 3;
    } else {
      inf = std::max(in.last_inf + 1, last + 30);
    }
    in.last_inf = inf;
    const char* array = cur_infno == 3501   ? "invinfo"
                        : cur_infno == 3503 ? "purcinfo"
                        : cur_infno == 3507 ? "data"
                                            : "selinfo";
    char msgid[64];
    std::snprintf(msgid, sizeof msgid, "%s-%07d", in.info->code.c_str(), ++in.msg_seq);
    std::string m = "{\"infno\":\"" + std::to_string(cur_infno) + "\",\"msgid\":\"" + msgid +
                    "\",\"fixmedins_code\":\"" + in.info->code + "\"";
    Field(m, "fixmedins_name", in.info->name);
    Field(m, "inf_time", validator::FormatCivilTime(inf));
    const bool stock = cur_infno == 3501 || cur_infno == 3503;
    m += stock ? ",\"opter\":\"0002\",\"opter_name\":\"库管员\""
               : ",\"opter\":\"0017\",\"opter_name\":\"收银台1\"";
    m += ",\"input\":{\"";
    m += array;
    m += "\":[";
    m += body;
    m += "]}}";
    stats_.messages += 1;
    stats_.code_events += codes;
    made.push_back(Message{std::move(m), static_cast<int>(inf / 86400 - start_days_), codes});
    body.clear();
    packs.clear();
    rows = 0;
    codes = 0;
  };
  for (Event& e : in.events) {
    const std::size_t limit = (e.infno == 3501 || e.infno == 3503) ? 200 : 40;
    bool repeat = false;
    for (std::uint64_t p : e.packs) repeat = repeat || packs.contains(p);
    if (rows > 0 && (e.infno != cur_infno || static_cast<std::size_t>(rows) >= limit ||
                     e.t - first > kHour || repeat)) {
      flush();
    }
    if (rows == 0) {
      cur_infno = e.infno;
      first = e.t;
    }
    if (rows > 0) body += ',';
    body += e.row;
    for (std::uint64_t p : e.packs) packs.insert(p);
    last = e.t;
    codes += e.codes;
    ++rows;
    ++stats_.rows;
    ++stats_.rows_by_infno[e.infno - 3501];
  }
  flush();
  in.events.clear();
  // Yesterday's backlog of an offline terminal goes first this morning.
  for (Message& m : in.backlog) out.messages.push_back(std::move(m));
  in.backlog.clear();
  for (Message& m : made) (offline ? in.backlog : out.messages).push_back(std::move(m));
}

void World::Run(Region& region) {
  region.terminals.resize(insts_.size());
  for (std::size_t i = 0; i < insts_.size(); ++i) {
    Terminal& t = region.terminals[i];
    t.fixmedins_code = cat_.insts[i].code;
    t.name = cat_.insts[i].name;
    t.institution_class = cat_.insts[i].cls;
    t.kind = cat_.insts[i].kind == Kind::kPharmacy ? "pharmacy"
             : cat_.insts[i].kind == Kind::kClinic ? "clinic"
                                                   : "hospital";
  }
  for (int day = 0; day < o_.days; ++day) {
    for (std::size_t i = 0; i < insts_.size(); ++i) {
      Inst& in = insts_[i];
      const int index = static_cast<int>(i);
      if (day == 0) OpeningCount(in);
      Deliveries(in, day);
      Returns(in, day);
      Sales(in, index, day);
      RingVisits(in, index, day);
      RingResales(in, index, day);
      Package(in, day, region.terminals[i]);
    }
  }
  for (std::size_t i = 0; i < insts_.size(); ++i) {
    for (Message& m : insts_[i].backlog) region.terminals[i].messages.push_back(std::move(m));
    insts_[i].backlog.clear();
  }
  region.refdata_json = RefDataJson(
      cat_, "simulated " + validator::FormatDate(start_) + " seed " + std::to_string(o_.seed));
  region.truth = std::move(truth_);
  region.stats = stats_;
}

}  // namespace simulate::internal
