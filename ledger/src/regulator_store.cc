#include "ledger/regulator_store.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "fact_counters.h"
#include "hash_index.h"
#include "heads_file.h"
#include "ledger_impl.h"
#include "schema.h"

namespace ledger {

namespace {

std::int64_t I64(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

// Statements are prepared on first use, so a store on a ledger that lacks a table it never
// queries (an old schema opened read-only) still works for the rest.
Status Lazy(sqlite3* db, sql::Stmt& st, bool& ready, const char* text) {
  if (ready) return Status::Ok();
  auto p = sql::Stmt::Prepare(db, text);
  if (!p.ok()) return p.status();
  st = std::move(*p);
  ready = true;
  return Status::Ok();
}

constexpr char kSelectEvent[] = "SELECT identity, prev, entry FROM code_events WHERE seq = ?1";
constexpr char kScanEvents[] =
    "SELECT seq, key, prev FROM code_events WHERE seq >= ?1 ORDER BY seq";

constexpr char kCoverage[] =
    "SELECT institution, month, infno, verdict, settle, coverage, rows, boxes_milli, amount_fen "
    "FROM coverage_cells WHERE month BETWEEN ?1 AND ?2";

CoverageCell ReadCell(const sql::Stmt& st) {
  CoverageCell c;
  c.institution = st.Text(0);
  c.month = static_cast<int>(st.Int(1));
  c.infno = static_cast<int>(st.Int(2));
  c.verdict = static_cast<int>(st.Int(3));
  c.settle = static_cast<int>(st.Int(4));
  c.coverage = static_cast<CoverageClass>(st.Int(5));
  c.rows = st.Int(6);
  c.boxes_milli = st.Int(7);
  c.amount_fen = st.Int(8);
  return c;
}

}  // namespace

struct RegulatorStore::Impl {
  Ledger* ledger = nullptr;
  sqlite3* db = nullptr;

  HashIndex packs;  // IndexKey(identity) -> code_events.seq of the pack's latest event
  bool packs_loaded = false;
  std::uint64_t next_event_seq = 1;
  std::shared_ptr<const PackHeads> shared;  // when set, used instead of `packs`
  std::vector<std::uint64_t> candidates;

  sql::Stmt select_event, scan_events, coverage, latest_refdata, audit_since, insert_audit;
  bool select_event_ready = false, scan_events_ready = false, coverage_ready = false,
       latest_refdata_ready = false, audit_since_ready = false, insert_audit_ready = false;

  Result<std::optional<std::uint64_t>> Head(std::string_view identity);
  Status CellsInto(sql::Stmt& st, int from, int to, std::vector<CoverageCell>& out);
  // Runs `fn(watermark, tail)` in one read transaction, where `tail` sums the facts the counter
  // tables do not hold yet (fact_counters.h).
  template <typename Fn>
  Status WithCounters(Fn&& fn);
};

template <typename Fn>
Status RegulatorStore::Impl::WithCounters(Fn&& fn) {
  auto version = schema::Version(db);
  if (!version.ok()) return version.status();
  if (*version < 4) {
    return Status::FailedPrecondition(
        "this ledger has schema version " + std::to_string(*version) +
        ", which keeps no report counters; open it once with a writing command (drugtrace serve "
        "or ingest) to upgrade it");
  }
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, "BEGIN"));
  Status st = [&]() -> Status {
    auto mark = counters::Watermark(db);
    if (!mark.ok()) return mark.status();
    counters::Deltas tail;
    auto last = counters::AggregateTail(db, *mark, 0, tail);
    if (!last.ok()) return last.status();
    return fn(tail);
  }();
  Status end = sql::Exec(db, "COMMIT");
  LEDGER_RETURN_IF_ERROR(st);
  return end;
}

RegulatorStore::RegulatorStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegulatorStore::~RegulatorStore() = default;

Result<std::unique_ptr<RegulatorStore>> RegulatorStore::Open(Ledger& ledger) {
  auto impl = std::make_unique<Impl>();
  impl->ledger = &ledger;
  impl->db = ledger.impl().db.get();
  return std::unique_ptr<RegulatorStore>(new RegulatorStore(std::move(impl)));
}

void RegulatorStore::UseSharedPacks(std::shared_ptr<const PackHeads> heads) {
  impl_->shared = std::move(heads);
  impl_->packs = HashIndex();
}

Status RegulatorStore::RefreshPacks() {
  Impl& d = *impl_;
  if (d.shared) return Status::Ok();
  if (!d.packs_loaded) {
    heads::Tables t;
    auto got = heads::Read(d.db, heads::PathFor(d.ledger->impl().path), /*packs_only=*/true, t);
    if (!got.ok()) return got.status();
    if (got->ok) {
      d.packs = std::move(t.packs);
      d.next_event_seq = t.counts.next_event_seq;
    }
  }
  LEDGER_RETURN_IF_ERROR(Lazy(d.db, d.scan_events, d.scan_events_ready, kScanEvents));
  // A pack's event replaces the head it points back to; a first event adds a head. Incremental:
  // only events past those already loaded.
  d.scan_events.Bind(1, I64(d.next_event_seq));
  while (true) {
    auto row = d.scan_events.Step();
    if (!row.ok()) {
      d.scan_events.Reset();
      return row.status();
    }
    if (!*row) break;
    const auto seq = static_cast<std::uint64_t>(d.scan_events.Int(0));
    const auto key = static_cast<std::uint64_t>(d.scan_events.Int(1));
    if (d.scan_events.IsNull(2)) {
      d.packs.Insert(key, seq);
    } else {
      d.packs.Replace(key, static_cast<std::uint64_t>(d.scan_events.Int(2)), seq);
    }
    d.next_event_seq = seq + 1;
  }
  d.scan_events.Reset();
  d.packs_loaded = true;
  return Status::Ok();
}

Result<std::optional<std::uint64_t>> RegulatorStore::Impl::Head(std::string_view identity) {
  LEDGER_RETURN_IF_ERROR(Lazy(db, select_event, select_event_ready, kSelectEvent));
  Status err;
  std::optional<std::uint64_t> found;
  auto check = [&](std::uint64_t seq) {
    select_event.Bind(1, I64(seq));
    auto row = select_event.Step();
    bool match = false;
    if (!row.ok()) {
      err = row.status();
      match = true;
    } else if (*row && select_event.Text(0) == identity) {
      match = true;
      found = seq;
    }
    select_event.Reset();
    return match;
  };
  if (shared) {
    // Candidates are taken under the writer's lock, checked here without it.
    candidates.clear();
    shared->Candidates(IndexKey(identity), candidates);
    for (std::uint64_t seq : candidates) {
      if (check(seq)) break;
    }
  } else {
    packs.Find(IndexKey(identity), check);
  }
  if (!err.ok()) return err;
  return found;
}

Result<std::vector<std::uint64_t>> RegulatorStore::PackHistory(std::string_view identity) {
  Impl& d = *impl_;
  LEDGER_RETURN_IF_ERROR(RefreshPacks());
  auto head = d.Head(identity);
  if (!head.ok()) return head.status();
  std::vector<std::uint64_t> entries;
  std::optional<std::uint64_t> seq = *head;
  while (seq) {
    d.select_event.Bind(1, I64(*seq));
    auto row = d.select_event.Step();
    if (!row.ok() || !*row) {
      d.select_event.Reset();
      if (!row.ok()) return row.status();
      return Status::Corruption("code event " + std::to_string(*seq) + " is missing");
    }
    entries.push_back(static_cast<std::uint64_t>(d.select_event.Int(2)));
    std::optional<std::uint64_t> prev;
    if (!d.select_event.IsNull(1)) prev = static_cast<std::uint64_t>(d.select_event.Int(1));
    d.select_event.Reset();
    if (prev && *prev >= *seq) {
      return Status::Corruption("code event " + std::to_string(*seq) + " points forward to event " +
                                std::to_string(*prev));
    }
    seq = prev;
  }
  std::reverse(entries.begin(), entries.end());
  return entries;
}

Status RegulatorStore::Impl::CellsInto(sql::Stmt& st, int from, int to,
                                       std::vector<CoverageCell>& out) {
  st.Bind(1, std::int64_t{from}).Bind(2, std::int64_t{to});
  while (true) {
    auto row = st.Step();
    if (!row.ok()) {
      st.Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(ReadCell(st));
  }
  st.Reset();
  return Status::Ok();
}

Result<std::vector<CoverageCell>> RegulatorStore::Coverage(int from_month, int to_month) {
  Impl& d = *impl_;
  LEDGER_RETURN_IF_ERROR(Lazy(d.db, d.coverage, d.coverage_ready, kCoverage));
  std::vector<CoverageCell> cells;
  LEDGER_RETURN_IF_ERROR(d.WithCounters([&](const counters::Deltas& tail) -> Status {
    LEDGER_RETURN_IF_ERROR(d.CellsInto(d.coverage, from_month, to_month, cells));
    auto key_less = [](const CoverageCell& a, const CoverageCell& b) {
      return std::tie(a.institution, a.month, a.infno, a.verdict, a.settle, a.coverage) <
             std::tie(b.institution, b.month, b.infno, b.verdict, b.settle, b.coverage);
    };
    std::sort(cells.begin(), cells.end(), key_less);
    for (const auto& [k, sums] : tail.cells) {
      if (k.month < from_month || k.month > to_month) continue;
      CoverageCell c;
      c.institution = k.institution;
      c.month = k.month;
      c.infno = k.infno;
      c.verdict = k.verdict;
      c.settle = k.settle;
      c.coverage = static_cast<CoverageClass>(k.coverage);
      auto it = std::lower_bound(cells.begin(), cells.end(), c, key_less);
      if (it == cells.end() || key_less(c, *it)) it = cells.insert(it, std::move(c));
      it->rows += sums.rows;
      it->boxes_milli += sums.boxes_milli;
      it->amount_fen += sums.amount_fen;
    }
    return Status::Ok();
  }));
  for (const CoverageCell& c : cells) {
    if (c.rows < 0) {
      return Status::Corruption("report counters: " + c.institution + " has " +
                                std::to_string(c.rows) + " rows in a cell of month " +
                                std::to_string(c.month));
    }
  }
  std::erase_if(cells, [](const CoverageCell& c) { return c.rows == 0; });
  return cells;
}

Result<std::vector<FindingCount>> RegulatorStore::FindingCounts(std::string_view institution,
                                                                int month) {
  Impl& d = *impl_;
  std::map<std::string, std::int64_t> counts;
  LEDGER_RETURN_IF_ERROR(d.WithCounters([&](const counters::Deltas& tail) -> Status {
    auto st = sql::Stmt::Prepare(
        d.db, "SELECT rule, rows FROM finding_cells WHERE month = ?1 AND institution = ?2");
    if (!st.ok()) return st.status();
    st->Bind(1, std::int64_t{month}).Bind(2, institution);
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      counts[std::string(st->Text(0))] += st->Int(1);
    }
    for (const auto& [k, n] : tail.findings) {
      if (k.month == month && k.institution == institution) counts[k.rule] += n;
    }
    return Status::Ok();
  }));
  std::vector<FindingCount> out;
  for (auto& [rule, rows] : counts) out.push_back({rule, rows});
  std::stable_sort(out.begin(), out.end(),
                   [](const FindingCount& a, const FindingCount& b) { return a.rows > b.rows; });
  return out;
}

Result<std::vector<DrugGap>> RegulatorStore::MissingCodeDrugs(std::string_view institution,
                                                              int month) {
  Impl& d = *impl_;
  std::map<std::pair<std::string, int>, counters::Sums> sums;
  LEDGER_RETURN_IF_ERROR(d.WithCounters([&](const counters::Deltas& tail) -> Status {
    auto st = sql::Stmt::Prepare(d.db,
                                 "SELECT drug, infno, rows, boxes_milli, amount_fen FROM "
                                 "missing_drug_cells WHERE month = ?1 AND institution = ?2");
    if (!st.ok()) return st.status();
    st->Bind(1, std::int64_t{month}).Bind(2, institution);
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      counters::Sums& s = sums[{std::string(st->Text(0)), static_cast<int>(st->Int(1))}];
      s.rows += st->Int(2);
      s.boxes_milli += st->Int(3);
      s.amount_fen += st->Int(4);
    }
    for (const auto& [k, v] : tail.drugs) {
      if (k.month != month || k.institution != institution) continue;
      counters::Sums& s = sums[{k.drug, k.infno}];
      s.rows += v.rows;
      s.boxes_milli += v.boxes_milli;
      s.amount_fen += v.amount_fen;
    }
    return Status::Ok();
  }));
  std::vector<DrugGap> out;
  for (const auto& [k, v] : sums) {
    if (v.rows == 0) continue;
    out.push_back({k.first, k.second, v.rows, v.boxes_milli, v.amount_fen});
  }
  std::stable_sort(out.begin(), out.end(), [](const DrugGap& a, const DrugGap& b) {
    return a.boxes_milli > b.boxes_milli;
  });
  return out;
}

Result<std::optional<std::uint64_t>> RegulatorStore::LatestRefDataEntry() {
  Impl& d = *impl_;
  LEDGER_RETURN_IF_ERROR(Lazy(d.db, d.latest_refdata, d.latest_refdata_ready,
                              "SELECT max(entry) FROM refdata_entries"));
  auto row = d.latest_refdata.Step();
  std::optional<std::uint64_t> out;
  if (row.ok() && *row && !d.latest_refdata.IsNull(0)) {
    out = static_cast<std::uint64_t>(d.latest_refdata.Int(0));
  }
  d.latest_refdata.Reset();
  if (!row.ok()) return row.status();
  return out;
}

Result<std::vector<AuditIndexRow>> RegulatorStore::AuditEntries(std::int64_t since_ms,
                                                                std::size_t limit) {
  Impl& d = *impl_;
  LEDGER_RETURN_IF_ERROR(Lazy(d.db, d.audit_since, d.audit_since_ready,
                              "SELECT entry, time_ms FROM audit_entries WHERE time_ms >= ?1 "
                              "ORDER BY time_ms, entry LIMIT ?2"));
  d.audit_since.Bind(1, since_ms).Bind(2, static_cast<std::int64_t>(limit));
  std::vector<AuditIndexRow> out;
  while (true) {
    auto row = d.audit_since.Step();
    if (!row.ok()) {
      d.audit_since.Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back({static_cast<std::uint64_t>(d.audit_since.Int(0)), d.audit_since.Int(1)});
  }
  d.audit_since.Reset();
  return out;
}

Result<std::uint64_t> RegulatorStore::AppendAudit(std::span<const EntryInput> entries) {
  Impl& d = *impl_;
  for (const EntryInput& e : entries) {
    if (e.type != static_cast<std::uint32_t>(EntryType::kAudit)) {
      return Status::InvalidArgument("AppendAudit: entry of type " + std::to_string(e.type) +
                                     " is not an audit entry");
    }
  }
  LEDGER_RETURN_IF_ERROR(Lazy(d.db, d.insert_audit, d.insert_audit_ready,
                              "INSERT INTO audit_entries(entry, time_ms) VALUES(?1, ?2)"));
  const std::uint64_t first = d.ledger->size();
  return d.ledger->Append(entries, [&]() -> Status {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      d.insert_audit.Bind(1, I64(first + i)).Bind(2, entries[i].event_time_ms);
      LEDGER_RETURN_IF_ERROR(d.insert_audit.Run());
    }
    return Status::Ok();
  });
}

std::size_t RegulatorStore::pack_index_bytes() const {
  return impl_->packs.memory_bytes();
}

}  // namespace ledger
