// The simulation's moving parts (private to simulate/): institutions with stock and habits, the
// day loop, the injected fraud and the packaging of rows into messages.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model.h"
#include "simulate/simulate.h"

namespace simulate::internal {

struct Box {
  std::uint64_t id = 0;  // unique in the region; the code's serial derives from it
  int drug = 0;
  int lot = 0;
};

struct Lot {
  std::string batch, manu_date, expiry, yymmdd;  // expiry as yyyy-MM-dd and as GS1 AI 17
};

// One row, before it is packed into a message.
struct Event {
  validator::CivilSeconds t = 0;
  int seq = 0;
  int infno = 0;
  std::string row;                   // JSON object
  std::vector<std::uint64_t> packs;  // boxes whose codes it carries
  std::size_t codes = 0;             // drug_trac_codg entries
};

// A clean single-box sale, for later returns and (at a reusing pharmacy) code reuse.
struct SoldRec {
  Box box;
  int day = 0;
  bool used = false;
  std::string bchno;
  bool insured = false;
  std::string setl_id, psn_no;
};

struct OpenPack {
  Box box;
  int left = 0;          // units still in the opened box
  bool tainted = false;  // a split sale of it went unscanned: the validator's count is short
};

struct Inst {
  const InstInfo* info = nullptr;
  Rng rng{0};
  std::vector<int> assortment;
  std::vector<double> cumulative;  // running sums of the assortment's popularity
  std::vector<std::vector<Box>> shelf;
  std::vector<std::size_t> heads;  // shelf[d][heads[d]] is the next box out (FIFO)
  std::vector<double> demand;      // expected boxes a day
  std::vector<OpenPack> open;
  std::vector<int> no_code_left;  // 无码库 boxes still declared
  int no_code_sunset = 0;         // day index
  double rows_per_day = 0, insured_share = 0, split_rate = 0;
  double miss0 = 0, miss_today = 0, ean_rate = 0, dup_rate = 0;
  bool wedge = false;         // keyboard-wedge scanner: GS1 GS separators dropped
  std::vector<char> offline;  // per day: uploads the next morning
  bool swapper = false, split_cheat = false, reuser = false;
  int bchno_seq = 0, msg_seq = 0, setl_seq = 0, doc_seq = 0;
  validator::CivilSeconds last_inf = 0;
  std::vector<SoldRec> sold;
  std::vector<Box> returned;     // boxes returned today: back on the shelf tomorrow
  std::vector<Event> events;     // today's rows
  std::vector<Message> backlog;  // an offline day's messages, sent next morning

  void compact(int d) {
    shelf[d].erase(shelf[d].begin(), shelf[d].begin() + static_cast<std::ptrdiff_t>(heads[d]));
    heads[d] = 0;
  }
};

struct Ring {
  std::string id;
  int drug = 0;
  std::vector<int> origins, buyers;   // institution indexes
  std::vector<std::string> patients;  // psn_no
};

struct Visit {  // a ring patient buys boxes with insurance
  int ring = 0, patient = 0, inst = 0, boxes = 0;
};

struct Resale {  // the collector sells them to a buyer
  int ring = 0, inst = 0;
  std::vector<Box> boxes;
  bool via_receipt = false;  // the buyer books them in (3503) before selling
};

struct SaleSpec {
  std::string bchno, docno, count, setl_id, psn_no, return_of;
  int billed = 0;
  int lot = -1;
  validator::CivilSeconds time = 0;
  bool split = false, insured = false;
  std::vector<std::string> codes;
};

class World {
 public:
  World(const Options& options, const validator::Date& start);
  void Run(Region& region);

 private:
  validator::CivilSeconds DayStart(int day) const;
  const Lot& LotFor(int drug, int week);
  Box NewBox(int drug, int week);
  std::string CodeOf(const Box& b, bool drop_gs) const;
  void SetUpInstitutions();
  void PlanRings();

  std::string NextBchno(Inst& in, char kind, int day);
  std::string NextSetl(Inst& in, int day);
  std::string NextDoc(Inst& in, int day);
  std::string NewPsn(Rng& r);
  // Appends the scan of one box to `codes` (nothing when missed, the EAN by mistake, twice when
  // double-scanned; `clean` scans never go wrong) and returns the code, or "" when not scanned.
  std::string Scan(Inst& in, const Box& b, bool clean, std::vector<std::string>& codes,
                   std::vector<std::uint64_t>& packs);
  static void AppendCodes(std::string& row, const std::vector<std::string>& codes);
  void AddEvent(Inst& in, validator::CivilSeconds t, int infno, std::string row,
                std::vector<std::uint64_t> packs, std::size_t codes);
  void MarkTruth(const Inst& in, const std::string& bchno, const char* infno, FraudType type,
                 const std::string& case_id, bool fraud);
  std::string SaleRow(const SaleSpec& s);
  std::string ReceiptRow(const std::string& bchno, int drug, int lot, std::size_t boxes,
                         validator::CivilSeconds t, const std::string& supplier,
                         const std::string& delivery, const std::vector<std::string>& codes);
  bool TakeBox(Inst& in, int drug, Box& out);
  int WholeBoxes(Inst& in, const DrugInfo& d, double u);

  void OpeningCount(Inst& in);
  void Deliveries(Inst& in, int day);
  void Returns(Inst& in, int day);
  void Sales(Inst& in, int index, int day);
  void SaleLine(Inst& in, int index, int day, SaleSpec& s);
  void RingVisits(Inst& in, int index, int day);
  void RingResales(Inst& in, int index, int day);
  void Package(Inst& in, int day, Terminal& out);

  Options o_;
  validator::Date start_;
  std::int64_t start_days_;
  Rng rng_;
  Catalogue cat_;
  std::vector<Inst> insts_;
  std::vector<Lot> lots_;
  std::unordered_map<std::int64_t, std::size_t> lot_index_;
  std::uint64_t next_box_ = 0;
  std::uint64_t patient_pool_ = 200000;
  std::vector<Ring> rings_;
  std::vector<std::size_t> ring_case_;              // ring -> index in truth_.cases
  std::vector<std::vector<Visit>> visits_;          // by day
  std::vector<std::vector<Resale>> resales_;        // by day
  std::unordered_map<int, std::size_t> swap_case_;  // institution -> case
  int split_cases_ = 0, reuse_cases_ = 0;
  simulate::Truth truth_;
  Stats stats_;
};

}  // namespace simulate::internal
