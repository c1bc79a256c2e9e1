#include "fact_counters.h"

#include <string_view>

namespace ledger::counters {

namespace {

constexpr int kSale = 3505;
constexpr int kSaleReturn = 3506;
constexpr int kVoid = 3507;
constexpr int kBlock = 2;

bool IsCoverageRow(int infno) {
  return infno == kSale || infno == kSaleReturn;
}

void AddSums(Sums& s, const RowFact& f, std::int64_t sign) {
  s.rows += sign;
  s.boxes_milli += sign * f.boxes_milli;
  s.amount_fen += sign * f.amount_fen;
}

// Adds a row's cell and, when its code was missing, its drug; sign -1 takes a voided row back.
void AddCells(Deltas& d, const RowFact& f, std::int64_t sign) {
  if (!IsCoverageRow(f.infno)) return;
  CellKey cell{f.month, f.institution, f.infno, f.verdict, f.settle, static_cast<int>(f.coverage)};
  AddSums(d.cells[std::move(cell)], f, sign);
  if (f.coverage == CoverageClass::kMissing) {
    AddSums(d.drugs[DrugKey{f.month, f.institution, f.drug, f.infno}], f, sign);
  }
}

// The columns AggregateTail and the void look-up read, in ReadCounted's order.
constexpr char kFactColumns[] =
    "entry, institution, month, infno, verdict, settle, coverage, boxes_milli, amount_fen, drug, "
    "target_entry, rules";

RowFact ReadCounted(const sql::Stmt& st) {
  RowFact f;
  f.entry = static_cast<std::uint64_t>(st.Int(0));
  f.institution = st.Text(1);
  f.month = static_cast<int>(st.Int(2));
  f.infno = static_cast<int>(st.Int(3));
  f.verdict = static_cast<int>(st.Int(4));
  f.settle = static_cast<int>(st.Int(5));
  f.coverage = static_cast<CoverageClass>(st.Int(6));
  f.boxes_milli = st.Int(7);
  f.amount_fen = st.Int(8);
  f.drug = st.Text(9);
  if (!st.IsNull(10)) f.target_entry = static_cast<std::uint64_t>(st.Int(10));
  f.rules = st.Text(11);
  return f;
}

template <typename Fn>
Status Each(sql::Stmt& st, Fn&& fn) {
  while (true) {
    auto row = st.Step();
    if (!row.ok()) {
      st.Reset();
      return row.status();
    }
    if (!*row) break;
    Status s = fn(st);
    if (!s.ok()) {
      st.Reset();
      return s;
    }
  }
  st.Reset();
  return Status::Ok();
}

}  // namespace

bool IsEffectiveVoid(const RowFact& f) {
  return f.infno == kVoid && f.verdict < kBlock && f.target_entry.has_value();
}

void Deltas::AddFact(const RowFact& f) {
  ++facts;
  AddCells(*this, f, 1);
  std::string_view rules = f.rules;
  while (!rules.empty()) {
    const std::size_t comma = rules.find(',');
    std::string_view rule = rules.substr(0, comma);
    if (!rule.empty()) ++findings[FindingKey{f.month, f.institution, std::string(rule)}];
    rules = comma == std::string_view::npos ? std::string_view() : rules.substr(comma + 1);
  }
}

void Deltas::AddVoided(const RowFact& target) {
  AddCells(*this, target, -1);
}

void Deltas::Merge(const Deltas& other) {
  for (const auto& [k, s] : other.cells) {
    Sums& t = cells[k];
    t.rows += s.rows;
    t.boxes_milli += s.boxes_milli;
    t.amount_fen += s.amount_fen;
  }
  for (const auto& [k, n] : other.findings) findings[k] += n;
  for (const auto& [k, s] : other.drugs) {
    Sums& t = drugs[k];
    t.rows += s.rows;
    t.boxes_milli += s.boxes_milli;
    t.amount_fen += s.amount_fen;
  }
  facts += other.facts;
}

void Deltas::Clear() {
  cells.clear();
  findings.clear();
  drugs.clear();
  facts = 0;
}

Result<std::int64_t> Watermark(sqlite3* db) {
  auto st = sql::Stmt::Prepare(db, "SELECT through_entry FROM fact_counters_state WHERE id = 1");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row)
    return Status::Corruption(
        "fact_counters_state has no row: the schema 4 migration "
        "did not complete");
  return st->Int(0);
}

Result<RowFact> VoidTargets::Get(sqlite3* db, const RowFact& void_fact) {
  if (!ready_) {
    const std::string text =
        std::string("SELECT ") + kFactColumns + " FROM row_facts WHERE entry = ?1";
    auto st = sql::Stmt::Prepare(db, text.c_str());
    if (!st.ok()) return st.status();
    select_ = std::move(*st);
    ready_ = true;
  }
  const std::uint64_t target = void_fact.target_entry.value_or(0);
  select_.Bind(1, static_cast<std::int64_t>(target));
  auto row = select_.Step();
  if (!row.ok() || !*row) {
    select_.Reset();
    if (!row.ok()) return row.status();
    return Status::Corruption("row_facts: the void at entry " + std::to_string(void_fact.entry) +
                              " names entry " + std::to_string(target) +
                              ", which has no row facts");
  }
  RowFact f = ReadCounted(select_);
  select_.Reset();
  return f;
}

Result<std::int64_t> AggregateTail(sqlite3* db, std::int64_t after, std::size_t max_facts,
                                   Deltas& d) {
  const std::string scan_sql = std::string("SELECT ") + kFactColumns +
                               " FROM row_facts WHERE entry > ?1 ORDER BY entry LIMIT ?2";
  auto scan = sql::Stmt::Prepare(db, scan_sql.c_str());
  if (!scan.ok()) return scan.status();
  VoidTargets targets;
  std::int64_t last = after;
  scan->Bind(1, after).Bind(
      2, max_facts == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(max_facts));
  LEDGER_RETURN_IF_ERROR(Each(*scan, [&](const sql::Stmt& s) -> Status {
    RowFact f = ReadCounted(s);
    last = static_cast<std::int64_t>(f.entry);
    d.AddFact(f);
    if (!IsEffectiveVoid(f)) return Status::Ok();
    auto target = targets.Get(db, f);
    if (!target.ok()) return target.status();
    d.AddVoided(*target);
    return Status::Ok();
  }));
  return last;
}

Status Writer::Apply(sqlite3* db, const Deltas& d, std::int64_t through) {
  if (!ready_) {
    auto prep = [db](sql::Stmt& out, const char* text) -> Status {
      auto st = sql::Stmt::Prepare(db, text);
      if (!st.ok()) return st.status();
      out = std::move(*st);
      return Status::Ok();
    };
    LEDGER_RETURN_IF_ERROR(prep(
        cell_,
        "INSERT INTO coverage_cells(month, institution, infno, verdict, settle, coverage, rows, "
        "boxes_milli, amount_fen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO UPDATE "
        "SET rows = rows + excluded.rows, boxes_milli = boxes_milli + excluded.boxes_milli, "
        "amount_fen = amount_fen + excluded.amount_fen"));
    LEDGER_RETURN_IF_ERROR(
        prep(finding_,
             "INSERT INTO finding_cells(month, institution, rule, rows) VALUES(?1, ?2, ?3, ?4) ON "
             "CONFLICT DO UPDATE SET rows = rows + excluded.rows"));
    LEDGER_RETURN_IF_ERROR(prep(
        drug_,
        "INSERT INTO missing_drug_cells(month, institution, drug, infno, rows, boxes_milli, "
        "amount_fen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET rows = rows + "
        "excluded.rows, boxes_milli = boxes_milli + excluded.boxes_milli, amount_fen = amount_fen "
        "+ excluded.amount_fen"));
    LEDGER_RETURN_IF_ERROR(
        prep(mark_, "UPDATE fact_counters_state SET through_entry = ?1 WHERE id = 1"));
    ready_ = true;
  }
  for (const auto& [k, s] : d.cells) {
    if (s.rows == 0 && s.boxes_milli == 0 && s.amount_fen == 0) continue;
    cell_.Bind(1, std::int64_t{k.month})
        .Bind(2, k.institution)
        .Bind(3, std::int64_t{k.infno})
        .Bind(4, std::int64_t{k.verdict})
        .Bind(5, std::int64_t{k.settle})
        .Bind(6, std::int64_t{k.coverage})
        .Bind(7, s.rows)
        .Bind(8, s.boxes_milli)
        .Bind(9, s.amount_fen);
    LEDGER_RETURN_IF_ERROR(cell_.Run());
  }
  for (const auto& [k, n] : d.findings) {
    finding_.Bind(1, std::int64_t{k.month}).Bind(2, k.institution).Bind(3, k.rule).Bind(4, n);
    LEDGER_RETURN_IF_ERROR(finding_.Run());
  }
  for (const auto& [k, s] : d.drugs) {
    if (s.rows == 0 && s.boxes_milli == 0 && s.amount_fen == 0) continue;
    drug_.Bind(1, std::int64_t{k.month})
        .Bind(2, k.institution)
        .Bind(3, k.drug)
        .Bind(4, std::int64_t{k.infno})
        .Bind(5, s.rows)
        .Bind(6, s.boxes_milli)
        .Bind(7, s.amount_fen);
    LEDGER_RETURN_IF_ERROR(drug_.Run());
  }
  return mark_.Bind(1, through).Run();
}

}  // namespace ledger::counters
