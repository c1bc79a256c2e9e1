// A synthetic but realistic ingest workload for benchmarks: a catalogue, pharmacies, and terminals
// that receive boxes (3503) and later sell them (3505), so that most sales look up a pack that
// already has a state. Deterministic for a seed.
#pragma once

#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace bench {

constexpr int kDrugs = 200;

inline std::string RefDataJson(int institutions) {
  std::string s = "{\"version\":\"bench\",\"drugs\":[";
  for (int d = 0; d < kDrugs; ++d) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s{\"med_list_codg\":\"XB%08d\",\"name\":\"Drug %d\",\"codes_required\":true,"
                  "\"pack_content\":30,\"product_ids\":[\"8%06d\"]}",
                  d ? "," : "", d, d, 100000 + d);
    s += buf;
  }
  s += "],\"institutions\":[";
  for (int i = 0; i < institutions; ++i) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s{\"fixmedins_code\":\"P130802%05d\",\"fixmedins_name\":\"Pharmacy %d\","
                  "\"institution_class\":\"retail_pharmacy\",\"admdvs\":\"130802\"}",
                  i ? "," : "", i, i);
    s += buf;
  }
  s += "],\"policy_calendar\":[{\"admdvs\":\"\",\"institution_class\":\"retail_pharmacy\","
       "\"start_date\":\"2025-03-21\"}],\"no_code_stock\":[]}";
  return s;
}

inline std::string Institution(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "P130802%05d", i);
  return buf;
}

// Appends a drugtracinfo array's items ({"drug_trac_codg":"..."}, comma-separated) to `m`.
inline void AppendCodes(std::string& m, const std::vector<std::string>& codes) {
  for (std::size_t k = 0; k < codes.size(); ++k) {
    m += k ? ",{\"drug_trac_codg\":\"" : "{\"drug_trac_codg\":\"";
    m += codes[k];
    m += "\"}";
  }
}

// One terminal's stream of messages.
class Terminal {
 public:
  // `tag` keeps msgids and row keys of different runs apart.
  Terminal(int institution, std::uint64_t seed, std::uint64_t serial_base, std::string tag)
      : inst_(institution),
        code_inst_(Institution(institution)),
        tag_(std::move(tag)),
        rng_(seed),
        serial_(serial_base) {}

  const std::string& institution() const { return code_inst_; }
  std::size_t codes_in_last() const { return last_codes_; }

  // The next message: a receipt of new boxes, or a sale of boxes received earlier.
  std::string Next() {
    const int rows = 1 + static_cast<int>(rng_() % 5);
    const bool sale = stock_.size() >= 16 && rng_() % 2 == 0;
    ++msg_;
    char head[256];
    std::snprintf(head, sizeof head,
                  "{\"infno\":\"%s\",\"msgid\":\"%s%s-%llu\",\"fixmedins_code\":\"%s\","
                  "\"inf_time\":\"2026-11-01 10:00:00\",\"opter\":\"01\",\"opter_name\":\"t\","
                  "\"input\":{\"%s\":[",
                  sale ? "3505" : "3503", tag_.c_str(), code_inst_.c_str(),
                  static_cast<unsigned long long>(msg_), code_inst_.c_str(),
                  sale ? "selinfo" : "purcinfo");
    std::string m = head;
    last_codes_ = 0;
    for (int r = 0; r < rows; ++r) {
      const int n = 1 + static_cast<int>(rng_() % 3);
      const int drug = static_cast<int>(rng_() % kDrugs);
      std::vector<std::string> codes;
      for (int k = 0; k < n; ++k) {
        if (sale && !stock_.empty()) {
          codes.push_back(std::move(stock_.front()));
          stock_.pop_front();
        } else {
          char c[32];
          std::snprintf(c, sizeof c, "8%06d%09llu%04d", 100000 + drug,
                        static_cast<unsigned long long>(serial_++ % 1000000000), inst_ % 10000);
          codes.emplace_back(c);
          if (!sale) stock_.push_back(codes.back());
        }
      }
      last_codes_ += codes.size();
      // A sale bills the drug its first code maps to, so that the row is legal.
      const int billed = std::stoi(codes[0].substr(1, 6)) - 100000;
      char row[512];
      ++row_;
      if (sale) {
        std::snprintf(row, sizeof row,
                      "%s{\"fixmedins_bchno\":\"S%s%llu\",\"med_list_codg\":\"XB%08d\","
                      "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"drug\","
                      "\"rtal_docno\":\"RD1\",\"sel_retn_cnt\":\"%zu\",\"sel_retn_time\":\"2026-11-"
                      "01 10:00:00\","
                      "\"trdn_flag\":\"0\",\"mdtrt_setl_type\":1,\"setl_id\":\"ST%llu\","
                      "\"psn_no\":\"PSN%llu\",\"finl_trns_pric\":\"12.50\",\"drugtracinfo\":[",
                      r ? "," : "", tag_.c_str(), static_cast<unsigned long long>(row_), billed,
                      codes.size(), static_cast<unsigned long long>(msg_),
                      static_cast<unsigned long long>(rng_() % 100000));
      } else {
        std::snprintf(row, sizeof row,
                      "%s{\"fixmedins_bchno\":\"R%s%llu\",\"med_list_codg\":\"XB%08d\","
                      "\"fixmedins_hilist_id\":\"H1\",\"fixmedins_hilist_name\":\"drug\","
                      "\"spler_name\":\"supplier\",\"purc_retn_cnt\":\"%zu\",\"purc_retn_stoin_"
                      "time\":\"2026-11-01 09:00:00\","
                      "\"dynt_no\":\"D%llu\",\"drugtracinfo\":[",
                      r ? "," : "", tag_.c_str(), static_cast<unsigned long long>(row_), drug,
                      codes.size(), static_cast<unsigned long long>(msg_));
      }
      m += row;
      AppendCodes(m, codes);
      m += "]}";
    }
    m += "]}}";
    return m;
  }

 private:
  int inst_;
  std::string code_inst_;
  std::string tag_;
  std::mt19937_64 rng_;
  std::uint64_t serial_;
  std::uint64_t msg_ = 0, row_ = 0;
  std::size_t last_codes_ = 0;
  std::deque<std::string> stock_;
};

}  // namespace bench
