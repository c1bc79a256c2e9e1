#include "ledger/case_store.h"

#include <algorithm>
#include <charconv>

#include "ledger_impl.h"

namespace ledger {

namespace {

constexpr const char* kSelectFacts =
    "SELECT entry, institution, month, time, infno, verdict, settle, coverage, boxes_milli, "
    "amount_fen, codes, drug, psn_hash, target_entry, rules FROM row_facts";
// ScanRowFacts reads a period's run of entries in order when the run is at most this many times
// the period's rows.
constexpr std::int64_t kDenseSpan = 3;

std::int64_t I64(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

// Sets `v` from a row of kSelectFacts (views into the statement's current row).
void ReadFactView(const sql::Stmt& s, RowFactView& v) {
  v.entry = static_cast<std::uint64_t>(s.Int(0));
  v.institution = s.Text(1);
  v.month = static_cast<int>(s.Int(2));
  v.time = s.Int(3);
  v.infno = static_cast<int>(s.Int(4));
  v.verdict = static_cast<int>(s.Int(5));
  v.settle = static_cast<int>(s.Int(6));
  v.coverage = static_cast<CoverageClass>(s.Int(7));
  v.boxes_milli = s.Int(8);
  v.amount_fen = s.Int(9);
  v.codes = static_cast<int>(s.Int(10));
  v.drug = s.Text(11);
  v.psn_hash = s.Text(12);
  v.target_entry.reset();
  if (!s.IsNull(13)) v.target_entry = static_cast<std::uint64_t>(s.Int(13));
  v.rules = s.Text(14);
}

// ForEachEntryBody reads a set's whole span in one pass when the set holds at least this share
// (1/k) of it.
constexpr std::uint64_t kDenseBodies = 4;

RowFact ReadFact(const sql::Stmt& st) {
  RowFact f;
  f.entry = static_cast<std::uint64_t>(st.Int(0));
  f.institution = st.Text(1);
  f.month = static_cast<int>(st.Int(2));
  f.time = st.Int(3);
  f.infno = static_cast<int>(st.Int(4));
  f.verdict = static_cast<int>(st.Int(5));
  f.settle = static_cast<int>(st.Int(6));
  f.coverage = static_cast<CoverageClass>(st.Int(7));
  f.boxes_milli = st.Int(8);
  f.amount_fen = st.Int(9);
  f.codes = static_cast<int>(st.Int(10));
  f.drug = st.Text(11);
  f.psn_hash = st.Text(12);
  if (!st.IsNull(13)) f.target_entry = static_cast<std::uint64_t>(st.Int(13));
  f.rules = st.Text(14);
  return f;
}

template <typename Fn>
Status StepAll(sql::Stmt& st, Fn&& fn) {
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    LEDGER_RETURN_IF_ERROR(fn(st));
  }
}

CaseActionRecord ReadAction(const sql::Stmt& st) {
  CaseActionRecord a;
  a.entry = static_cast<std::uint64_t>(st.Int(0));
  a.case_id = st.Text(1);
  a.action = st.Text(2);
  a.status_before = st.Text(3);
  a.status_after = st.Text(4);
  a.actor = st.Text(5);
  a.reason = st.Text(6);
  a.assignee = st.Text(7);
  a.recovered_fen = st.Int(8);
  a.at_ms = st.Int(9);
  return a;
}

constexpr const char* kSelectCaseActions =
    "SELECT entry, case_id, action, status_before, status_after, actor, reason, assignee, "
    "recovered_fen, at_ms FROM case_actions WHERE case_id = ?1 ORDER BY entry";

Result<std::vector<CaseActionRecord>> ActionsOf(sqlite3* db, std::string_view case_id) {
  auto st = sql::Stmt::Prepare(db, kSelectCaseActions);
  if (!st.ok()) return st.status();
  st->Bind(1, case_id);
  std::vector<CaseActionRecord> out;
  LEDGER_RETURN_IF_ERROR(StepAll(*st, [&](const sql::Stmt& s) {
    out.push_back(ReadAction(s));
    return Status::Ok();
  }));
  return out;
}

}  // namespace

RowFact RowFactView::ToFact() const {
  RowFact f;
  f.entry = entry;
  f.institution = institution;
  f.month = month;
  f.time = time;
  f.infno = infno;
  f.verdict = verdict;
  f.settle = settle;
  f.coverage = coverage;
  f.boxes_milli = boxes_milli;
  f.amount_fen = amount_fen;
  f.codes = codes;
  f.drug = drug;
  f.psn_hash = psn_hash;
  f.target_entry = target_entry;
  f.rules = rules;
  return f;
}

Status ScanRowFacts(Ledger& ledger, const FactRange& range,
                    const std::function<Status(const RowFactView&)>& fn, FactFilter filter) {
  sqlite3* db = ledger.impl().db.get();
  // Where the period's rows lie, from the index row_facts_time (month, time) alone (no table row
  // read): ingest writes rows as they are uploaded, so a month's rows are nearly one run of
  // entries. Reading that run in entry order is a sequential scan of the table; going through the
  // index instead costs a table lookup per row (2 to 3 times slower, measured on schema 3). A
  // month whose rows are spread (a terminal uploading an old backlog late) is read through the
  // index.
  auto span = sql::Stmt::Prepare(
      db, "SELECT min(entry), max(entry), count(*) FROM row_facts WHERE month BETWEEN ?1 AND ?2");
  if (!span.ok()) return span.status();
  span->Bind(1, std::int64_t{range.month_from}).Bind(2, std::int64_t{range.month_to});
  auto row = span->Step();
  if (!row.ok()) return row.status();
  if (!*row || span->Int(2) == 0) return Status::Ok();
  const std::int64_t first = span->Int(0), last = span->Int(1), count = span->Int(2);
  const bool dense = last - first + 1 <= count * kDenseSpan;
  const std::string sql =
      std::string(kSelectFacts) +
      (dense ? " WHERE entry BETWEEN ?5 AND ?6 AND +month BETWEEN ?1 AND ?2 AND +time BETWEEN ?3 "
               "AND ?4"
             : " WHERE month BETWEEN ?1 AND ?2 AND time BETWEEN ?3 AND ?4");
  const char* keep = filter == FactFilter::kWithRules ? " AND rules <> ''"
                     : filter == FactFilter::kWithRulesOrInsuredPaidSales
                         ? " AND (rules <> '' OR (infno = 3505 AND settle = 1 AND verdict <> 2 AND "
                           "psn_hash <> ''))"
                         : "";
  auto st = sql::Stmt::Prepare(db, (sql + keep).c_str());
  if (!st.ok()) return st.status();
  st->Bind(1, std::int64_t{range.month_from})
      .Bind(2, std::int64_t{range.month_to})
      .Bind(3, range.time_from)
      .Bind(4, range.time_to);
  if (dense) st->Bind(5, first).Bind(6, last);
  RowFactView v;
  return StepAll(*st, [&](const sql::Stmt& s) {
    ReadFactView(s, v);
    return fn(v);
  });
}

Status InReadSnapshot(Ledger& ledger, const std::function<Status()>& fn) {
  sqlite3* db = ledger.impl().db.get();
  if (!sqlite3_get_autocommit(db)) return fn();
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, "BEGIN DEFERRED"));
  const Status s = fn();
  // Nothing was written: ending the transaction either way only releases the snapshot.
  const Status end = sql::Exec(db, "COMMIT");
  if (!end.ok()) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return s.ok() ? end : s;
}

Result<std::vector<RowFact>> RowFactsByEntry(Ledger& ledger,
                                             std::span<const std::uint64_t> entries) {
  const std::string sql = std::string(kSelectFacts) + " WHERE entry = ?1";
  auto st = sql::Stmt::Prepare(ledger.impl().db.get(), sql.c_str());
  if (!st.ok()) return st.status();
  std::vector<RowFact> out;
  out.reserve(entries.size());
  for (std::uint64_t e : entries) {
    st->Bind(1, I64(e));
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (*row) out.push_back(ReadFact(*st));
    st->Reset();
  }
  return out;
}

Status ForEachRowFact(Ledger& ledger, std::span<const std::uint64_t> entries,
                      const std::function<Status(const RowFactView&)>& fn) {
  const std::string sql = std::string(kSelectFacts) + " WHERE entry = ?1";
  auto st = sql::Stmt::Prepare(ledger.impl().db.get(), sql.c_str());
  if (!st.ok()) return st.status();
  RowFactView v;
  for (std::uint64_t e : entries) {
    st->Bind(1, I64(e));
    auto row = st->Step();
    if (!row.ok()) return row.status();
    Status s = Status::Ok();
    if (*row) {
      ReadFactView(*st, v);
      s = fn(v);
    }
    st->Reset();
    LEDGER_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Status ForEachEntryBody(Ledger& ledger, std::span<const std::uint64_t> entries,
                        const std::function<Status(std::uint64_t, std::string_view)>& fn) {
  if (entries.empty()) return Status::Ok();
  sqlite3* db = ledger.impl().db.get();
  const auto missing = [](std::uint64_t e) {
    return Status::Corruption("entry " + std::to_string(e) + " is missing");
  };
  const std::uint64_t first = entries.front(), last = entries.back();
  if (last < first) return Status::InvalidArgument("ForEachEntryBody: entries are not ascending");
  const auto body = [](const sql::Stmt& s, int col) {
    const Bytes b = s.Blob(col);
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  if ((last - first) / kDenseBodies < entries.size()) {
    // One pass over the span: the rows not asked for are stepped over without being decoded.
    auto st = sql::Stmt::Prepare(db, "SELECT idx, body FROM entries WHERE idx BETWEEN ?1 AND ?2");
    if (!st.ok()) return st.status();
    st->Bind(1, I64(first)).Bind(2, I64(last));
    std::size_t k = 0;
    LEDGER_RETURN_IF_ERROR(StepAll(*st, [&](const sql::Stmt& s) -> Status {
      const auto idx = static_cast<std::uint64_t>(s.Int(0));
      if (k < entries.size() && entries[k] < idx) return missing(entries[k]);
      if (k == entries.size() || entries[k] != idx) return Status::Ok();
      ++k;
      return fn(idx, body(s, 1));
    }));
    if (k < entries.size()) return missing(entries[k]);
    return Status::Ok();
  }
  auto st = sql::Stmt::Prepare(db, "SELECT body FROM entries WHERE idx = ?1");
  if (!st.ok()) return st.status();
  std::uint64_t prev = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const std::uint64_t e = entries[k];
    if (k > 0 && e <= prev) {
      return Status::InvalidArgument("ForEachEntryBody: entries are not ascending");
    }
    prev = e;
    st->Bind(1, I64(e));
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      st->Reset();
      return missing(e);
    }
    const Status s = fn(e, body(*st, 0));
    st->Reset();
    LEDGER_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Result<std::vector<std::uint64_t>> VoidedEntries(Ledger& ledger,
                                                 std::span<const std::uint64_t> entries) {
  auto st = sql::Stmt::Prepare(
      ledger.impl().db.get(),
      "SELECT 1 FROM row_facts WHERE target_entry = ?1 AND infno = 3507 LIMIT 1");
  if (!st.ok()) return st.status();
  std::vector<std::uint64_t> out;
  for (std::uint64_t e : entries) {
    st->Bind(1, I64(e));
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (*row) out.push_back(e);
    st->Reset();
  }
  return out;
}

Result<std::optional<int>> LatestFactMonth(Ledger& ledger) {
  auto st = sql::Stmt::Prepare(ledger.impl().db.get(), "SELECT MAX(month) FROM row_facts");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row || st->IsNull(0)) return std::optional<int>();
  return std::optional<int>(static_cast<int>(st->Int(0)));
}

Result<std::optional<std::uint64_t>> LatestRefDataEntry(Ledger& ledger) {
  auto st = sql::Stmt::Prepare(ledger.impl().db.get(), "SELECT MAX(entry) FROM refdata_entries");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row || st->IsNull(0)) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(st->Int(0)));
}

Result<std::vector<CaseActionRecord>> CaseActions(Ledger& ledger, std::string_view case_id) {
  return ActionsOf(ledger.impl().db.get(), case_id);
}

Result<std::vector<CaseActionRecord>> AllCaseActions(Ledger& ledger) {
  auto st = sql::Stmt::Prepare(ledger.impl().db.get(),
                               "SELECT entry, case_id, action, status_before, status_after, actor, "
                               "reason, assignee, recovered_fen, at_ms FROM case_actions ORDER BY "
                               "entry");
  if (!st.ok()) return st.status();
  std::vector<CaseActionRecord> out;
  LEDGER_RETURN_IF_ERROR(StepAll(*st, [&](const sql::Stmt& s) {
    out.push_back(ReadAction(s));
    return Status::Ok();
  }));
  return out;
}

Result<std::uint64_t> AppendCaseAction(
    Ledger& ledger, const EntryInput& entry, const CaseActionRecord& record,
    const std::function<Status(const std::vector<CaseActionRecord>&)>& check) {
  if (entry.type != static_cast<std::uint32_t>(EntryType::kCaseAction)) {
    return Status::InvalidArgument("a case action must be recorded as a case_action entry (type " +
                                   std::to_string(static_cast<int>(EntryType::kCaseAction)) +
                                   "), not type " + std::to_string(entry.type));
  }
  sqlite3* db = ledger.impl().db.get();
  const std::uint64_t index = ledger.size();
  auto write_index = [&]() -> Status {
    auto so_far = ActionsOf(db, record.case_id);
    if (!so_far.ok()) return so_far.status();
    if (check) LEDGER_RETURN_IF_ERROR(check(*so_far));
    auto st = sql::Stmt::Prepare(db,
                                 "INSERT INTO case_actions(entry, case_id, action, status_before, "
                                 "status_after, actor, reason, assignee, recovered_fen, at_ms) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!st.ok()) return st.status();
    return st->Bind(1, I64(index))
        .Bind(2, record.case_id)
        .Bind(3, record.action)
        .Bind(4, record.status_before)
        .Bind(5, record.status_after)
        .Bind(6, record.actor)
        .Bind(7, record.reason)
        .Bind(8, record.assignee)
        .Bind(9, record.recovered_fen)
        .Bind(10, record.at_ms)
        .Run();
  };
  return ledger.Append(std::span(&entry, 1), write_index);
}

}  // namespace ledger
