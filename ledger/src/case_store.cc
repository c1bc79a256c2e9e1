#include "ledger/case_store.h"

#include <algorithm>
#include <charconv>

#include "ledger_impl.h"

namespace ledger {

namespace {

constexpr std::size_t kMaxRules = 8;

std::int64_t I64(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

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

Result<std::vector<RowFact>> FlaggedRowFacts(Ledger& ledger, const FactRange& range,
                                             std::span<const std::string> rules) {
  if (rules.empty() || rules.size() > kMaxRules) {
    return Status::InvalidArgument("FlaggedRowFacts takes 1 to " + std::to_string(kMaxRules) +
                                   " rule names, not " + std::to_string(rules.size()));
  }
  // instr() on the comma-separated list: rule names are upper-case words none of which contains
  // another, so a substring match is a match of the name. Unused slots repeat the first name.
  auto st = sql::Stmt::Prepare(
      ledger.impl().db.get(),
      "SELECT entry, institution, month, time, infno, verdict, settle, coverage, boxes_milli, "
      "amount_fen, codes, drug, psn_hash, target_entry, rules FROM row_facts WHERE month BETWEEN "
      "?1 AND ?2 AND time BETWEEN ?3 AND ?4 AND rules != '' AND (instr(rules, ?5) > 0 OR "
      "instr(rules, ?6) > 0 OR instr(rules, ?7) > 0 OR instr(rules, ?8) > 0 OR instr(rules, ?9) "
      "> 0 OR instr(rules, ?10) > 0 OR instr(rules, ?11) > 0 OR instr(rules, ?12) > 0)");
  if (!st.ok()) return st.status();
  st->Bind(1, std::int64_t{range.month_from})
      .Bind(2, std::int64_t{range.month_to})
      .Bind(3, range.time_from)
      .Bind(4, range.time_to);
  for (std::size_t i = 0; i < kMaxRules; ++i) {
    st->Bind(static_cast<int>(5 + i), std::string_view(rules[i < rules.size() ? i : 0]));
  }
  std::vector<RowFact> out;
  LEDGER_RETURN_IF_ERROR(StepAll(*st, [&](const sql::Stmt& s) {
    out.push_back(ReadFact(s));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<RowFact>> RowFactsByEntry(Ledger& ledger,
                                             std::span<const std::uint64_t> entries) {
  auto st = sql::Stmt::Prepare(
      ledger.impl().db.get(),
      "SELECT entry, institution, month, time, infno, verdict, settle, coverage, boxes_milli, "
      "amount_fen, codes, drug, psn_hash, target_entry, rules FROM row_facts WHERE entry = ?1");
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

Result<std::vector<PurchaseGroup>> MultiSourcePurchases(Ledger& ledger, const FactRange& range,
                                                        std::int64_t min_quantity_milli) {
  // MIN != MAX of the institution: at least two distinct institutions, without a DISTINCT sort.
  auto st = sql::Stmt::Prepare(
      ledger.impl().db.get(),
      "SELECT psn_hash, drug, SUM(boxes_milli), SUM(amount_fen), group_concat(entry) FROM "
      "row_facts WHERE month BETWEEN ?1 AND ?2 AND time BETWEEN ?3 AND ?4 AND infno = 3505 AND "
      "settle = 1 AND verdict < 2 AND psn_hash != '' GROUP BY psn_hash, drug HAVING "
      "MIN(institution) != MAX(institution) AND SUM(boxes_milli) >= ?5");
  if (!st.ok()) return st.status();
  st->Bind(1, std::int64_t{range.month_from})
      .Bind(2, std::int64_t{range.month_to})
      .Bind(3, range.time_from)
      .Bind(4, range.time_to)
      .Bind(5, min_quantity_milli);
  std::vector<PurchaseGroup> out;
  LEDGER_RETURN_IF_ERROR(StepAll(*st, [&](const sql::Stmt& s) -> Status {
    PurchaseGroup g;
    g.psn_hash = s.Text(0);
    g.drug = s.Text(1);
    g.quantity_milli = s.Int(2);
    g.amount_fen = s.Int(3);
    std::string_view list = s.Text(4);
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc() || p != item.data() + item.size()) {
        return Status::Corruption("row_facts: unreadable entry list for a purchase group");
      }
      g.entries.push_back(v);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    std::sort(g.entries.begin(), g.entries.end());
    out.push_back(std::move(g));
    return Status::Ok();
  }));
  return out;
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
