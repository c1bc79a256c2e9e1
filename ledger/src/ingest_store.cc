#include "ledger/ingest_store.h"

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "fact_counters.h"
#include "hash_index.h"
#include "heads_file.h"
#include "ledger_impl.h"
#include "pack_heads_impl.h"

namespace ledger {

struct IngestStore::Impl {
  Ledger* ledger = nullptr;
  sqlite3* db = nullptr;
  HashIndex messages;  // IndexKey(inst, msgid) -> ingest_messages.seq
  HashIndex rows;      // IndexKey(inst, bchno) -> entry
  // IndexKey(identity) -> code_events.seq of the pack's latest event; shared with readers, so
  // changed only under its lock (pack_heads_impl.h).
  std::shared_ptr<PackHeads> heads = std::make_shared<PackHeads>();
  HashIndex& packs() { return heads->impl().index; }
  std::uint64_t next_message_seq = 1, next_event_seq = 1, next_row_entry = 0;
  std::uint64_t message_count = 0, row_count = 0, pack_count = 0, event_count = 0;
  bool heads_file_tried = false, heads_from_file = false;
  std::uint64_t heads_file_size = 0;
  std::string heads_file_note;
  std::vector<std::string> uploaders;  // sorted
  // Every 无码库 balance (institution \x1f drug -> milli): a small table read on every row.
  std::unordered_map<std::string, std::int64_t> balances;

  sql::Stmt insert_message, insert_row, insert_event, upsert_balance, insert_uploader,
      insert_refdata, insert_fact, select_message, select_row, select_event;

  Status Prepare();
  Status Load();
  // At the first load: adopts the heads file if it describes a prefix of this ledger, else sizes
  // the tables for the rows the scan will add.
  Status StartFromHeadsFile();
  void PublishCounts() {
    heads->impl().next_event_seq = next_event_seq;
    heads->impl().pack_count = pack_count;
    heads->impl().event_count = event_count;
  }
  // The seq of the pack's latest event, found by comparing identities of key matches.
  // With `state`, also returns the head event's state from the same read.
  Result<std::optional<std::uint64_t>> PackHead(std::string_view identity, std::uint64_t key,
                                                std::string* state = nullptr);
  // Heads found by PackState since the last commit: the commit links new events to them without
  // reading the rows again. Cleared by every commit and every (re)load.
  std::unordered_map<std::string, std::optional<std::uint64_t>> recent_heads;
  bool reads_open = false;

  // Report counters (fact_counters.h): the facts this writer committed since the tables' watermark
  // `pending_through`, folded in every kFlushInterval. Invalid after another process may have
  // written facts; the next commit then re-reads the tail instead of trusting memory.
  counters::Deltas pending;
  std::int64_t pending_through = -1;
  bool pending_valid = false;
  std::chrono::steady_clock::time_point last_flush{};
  counters::Writer counter_writer;
  counters::VoidTargets void_targets;
  sql::Stmt count_tail;
  Status CatchUpCounters();
  // Inside the commit's transaction: adds the batch's facts to `batch` and, when due, folds
  // everything into the tables; sets `flushed_through` when it did.
  Status CountFacts(const IngestWrites& w, std::int64_t last_entry, counters::Deltas& batch,
                    std::optional<std::int64_t>& flushed_through);
};

namespace {
// How often the writer folds its deltas into the counter tables. Readers add the facts past the
// watermark themselves, so this bounds their extra work (about a second of ingest), not accuracy.
constexpr auto kFlushInterval = std::chrono::seconds(1);
constexpr std::uint64_t kFlushFacts = 100000;
// Facts folded per transaction when a ledger's counters catch up at open (after the schema 4
// migration, or when the previous writer stopped between flushes).
constexpr std::size_t kCatchUpChunk = 250000;
}  // namespace

namespace {

Status PrepareInto(sqlite3* db, sql::Stmt& out, const char* text) {
  auto st = sql::Stmt::Prepare(db, text);
  if (!st.ok()) return st.status();
  out = std::move(*st);
  return Status::Ok();
}

std::int64_t I64(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

std::string BalanceKey(std::string_view institution, std::string_view drug) {
  std::string k;
  k.reserve(institution.size() + drug.size() + 1);
  k.append(institution).push_back('\x1f');
  k.append(drug);
  return k;
}

}  // namespace

Status IngestStore::Impl::Prepare() {
  LEDGER_RETURN_IF_ERROR(PrepareInto(db, insert_message,
                                     "INSERT INTO ingest_messages(seq, key, institution, msgid, "
                                     "digest, response) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(
      db, insert_row,
      "INSERT INTO ingest_rows(entry, key, institution, bchno) VALUES(?1, ?2, ?3, ?4)"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(db, insert_event,
                                     "INSERT INTO code_events(seq, key, identity, prev, entry, "
                                     "state) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(db, upsert_balance,
                                     "INSERT INTO no_code_balance(institution, drug, milli) "
                                     "VALUES(?1, ?2, ?3) ON CONFLICT(institution, drug) DO UPDATE "
                                     "SET milli = excluded.milli"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(
      db, insert_uploader, "INSERT OR IGNORE INTO receipt_uploaders(institution) VALUES(?1)"));
  LEDGER_RETURN_IF_ERROR(
      PrepareInto(db, insert_refdata, "INSERT INTO refdata_entries(entry) VALUES(?1)"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(
      db, insert_fact,
      "INSERT INTO row_facts(entry, institution, month, time, infno, verdict, settle, coverage, "
      "boxes_milli, amount_fen, codes, drug, psn_hash, target_entry, rules) VALUES(?1, ?2, ?3, ?4, "
      "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(
      db, select_message,
      "SELECT institution, msgid, digest, response FROM ingest_messages WHERE seq = ?1"));
  LEDGER_RETURN_IF_ERROR(
      PrepareInto(db, select_row, "SELECT institution, bchno FROM ingest_rows WHERE entry = ?1"));
  LEDGER_RETURN_IF_ERROR(PrepareInto(
      db, select_event, "SELECT identity, prev, entry, state FROM code_events WHERE seq = ?1"));
  LEDGER_RETURN_IF_ERROR(
      PrepareInto(db, count_tail, "SELECT count(*) FROM row_facts WHERE entry > ?1"));
  return Status::Ok();
}

Status IngestStore::Impl::CatchUpCounters() {
  while (true) {
    sql::Transaction txn(db);
    LEDGER_RETURN_IF_ERROR(txn.Begin());
    auto mark = counters::Watermark(db);
    if (!mark.ok()) return mark.status();
    counters::Deltas d;
    auto last = counters::AggregateTail(db, *mark, kCatchUpChunk, d);
    if (!last.ok()) return last.status();
    if (*last != *mark) LEDGER_RETURN_IF_ERROR(counter_writer.Apply(db, d, *last));
    LEDGER_RETURN_IF_ERROR(txn.Commit());
    if (*last == *mark) {
      pending.Clear();
      pending_through = *mark;
      pending_valid = true;
      last_flush = std::chrono::steady_clock::now();
      return Status::Ok();
    }
  }
}

Status IngestStore::Impl::CountFacts(const IngestWrites& w, std::int64_t last_entry,
                                     counters::Deltas& batch,
                                     std::optional<std::int64_t>& flushed_through) {
  for (const RowFact& f : w.facts) {
    batch.AddFact(f);
    if (!counters::IsEffectiveVoid(f)) continue;
    // The voided row was inserted earlier, in this transaction or before: SQLite sees it.
    auto target = void_targets.Get(db, f);
    if (!target.ok()) return target.status();
    batch.AddVoided(*target);
  }
  const bool due = !pending_valid || pending.facts + batch.facts >= kFlushFacts ||
                   std::chrono::steady_clock::now() - last_flush >= kFlushInterval;
  if (!due) return Status::Ok();
  auto mark = counters::Watermark(db);
  if (!mark.ok()) return mark.status();
  bool trust_memory = pending_valid && *mark == pending_through;
  if (trust_memory) {
    // Memory holds every fact past the watermark only if no other process added any: count them.
    count_tail.Bind(1, *mark);
    auto row = count_tail.Step();
    if (!row.ok()) {
      count_tail.Reset();
      return row.status();
    }
    trust_memory = static_cast<std::uint64_t>(count_tail.Int(0)) == pending.facts + batch.facts;
    count_tail.Reset();
  }
  if (trust_memory) {
    LEDGER_RETURN_IF_ERROR(counter_writer.Apply(db, pending, last_entry));
    LEDGER_RETURN_IF_ERROR(counter_writer.Apply(db, batch, last_entry));
  } else {
    counters::Deltas tail;
    auto last = counters::AggregateTail(db, *mark, 0, tail);
    if (!last.ok()) return last.status();
    LEDGER_RETURN_IF_ERROR(counter_writer.Apply(db, tail, last_entry));
  }
  flushed_through = last_entry;
  return Status::Ok();
}

Status IngestStore::Impl::StartFromHeadsFile() {
  heads_file_tried = true;
  heads::Tables t;
  auto got = heads::Read(db, heads::PathFor(ledger->impl().path), /*packs_only=*/false, t);
  if (!got.ok()) return got.status();
  if (got->ok) {
    messages = std::move(t.messages);
    rows = std::move(t.rows);
    {
      std::unique_lock lock(heads->impl().mu);
      packs() = std::move(t.packs);
    }
    const heads::Counts& c = t.counts;
    next_message_seq = c.next_message_seq;
    next_row_entry = c.next_row_entry;
    next_event_seq = c.next_event_seq;
    message_count = c.message_count;
    row_count = c.row_count;
    pack_count = c.pack_count;
    event_count = c.event_count;
    heads_from_file = true;
    heads_file_size = got->ledger_size;
    return Status::Ok();
  }
  heads_file_note = got->why;
  // Size the tables once for what the scan will add (packs: about half the events).
  auto max_of = [this](const char* sql) -> Result<std::uint64_t> {
    auto st = sql::Stmt::Prepare(db, sql);
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return *row && !st->IsNull(0) ? static_cast<std::uint64_t>(st->Int(0)) : 0;
  };
  auto m = max_of("SELECT max(seq) FROM ingest_messages");
  if (!m.ok()) return m.status();
  auto r = max_of("SELECT max(entry) FROM ingest_rows");
  if (!r.ok()) return r.status();
  auto e = max_of("SELECT max(seq) FROM code_events");
  if (!e.ok()) return e.status();
  messages.Reserve(*m);
  rows.Reserve(*r);
  std::unique_lock lock(heads->impl().mu);
  packs().Reserve(*e / 2);
  return Status::Ok();
}

Status IngestStore::Impl::Load() {
  recent_heads.clear();
  if (!heads_file_tried) LEDGER_RETURN_IF_ERROR(StartFromHeadsFile());
  // Incremental: only rows past what is already loaded, so Refresh() can call this again after
  // another process (the CLI) wrote to the ledger.
  auto scan = [this](const char* sql, std::uint64_t from, auto&& fn) -> Status {
    auto st = sql::Stmt::Prepare(db, sql);
    if (!st.ok()) return st.status();
    st->Bind(1, I64(from));
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::Ok();
      fn(*st);
    }
  };
  LEDGER_RETURN_IF_ERROR(scan("SELECT seq, key FROM ingest_messages WHERE seq >= ?1 ORDER BY seq",
                              next_message_seq, [this](const sql::Stmt& st) {
                                messages.Insert(static_cast<std::uint64_t>(st.Int(1)),
                                                static_cast<std::uint64_t>(st.Int(0)));
                                next_message_seq = static_cast<std::uint64_t>(st.Int(0)) + 1;
                                ++message_count;
                              }));
  LEDGER_RETURN_IF_ERROR(scan("SELECT entry, key FROM ingest_rows WHERE entry >= ?1 ORDER BY entry",
                              next_row_entry, [this](const sql::Stmt& st) {
                                rows.Insert(static_cast<std::uint64_t>(st.Int(1)),
                                            static_cast<std::uint64_t>(st.Int(0)));
                                next_row_entry = static_cast<std::uint64_t>(st.Int(0)) + 1;
                                ++row_count;
                              }));
  // A pack's event replaces the head it points back to; a first event (prev NULL) adds a head.
  std::unique_lock packs_lock(heads->impl().mu);
  LEDGER_RETURN_IF_ERROR(scan("SELECT seq, key, prev FROM code_events WHERE seq >= ?1 ORDER BY seq",
                              next_event_seq, [this](const sql::Stmt& st) {
                                const auto seq = static_cast<std::uint64_t>(st.Int(0));
                                const auto key = static_cast<std::uint64_t>(st.Int(1));
                                if (st.IsNull(2)) {
                                  packs().Insert(key, seq);
                                  ++pack_count;
                                } else {
                                  packs().Replace(key, static_cast<std::uint64_t>(st.Int(2)), seq);
                                }
                                next_event_seq = seq + 1;
                                ++event_count;
                              }));
  PublishCounts();
  packs_lock.unlock();
  uploaders.clear();
  LEDGER_RETURN_IF_ERROR(
      scan("SELECT institution FROM receipt_uploaders WHERE ?1 = ?1 ORDER BY institution", 0,
           [this](const sql::Stmt& st) { uploaders.emplace_back(st.Text(0)); }));
  balances.clear();
  LEDGER_RETURN_IF_ERROR(scan(
      "SELECT institution, drug, milli FROM no_code_balance WHERE ?1 = ?1", 0,
      [this](const sql::Stmt& st) { balances[BalanceKey(st.Text(0), st.Text(1))] = st.Int(2); }));
  return Status::Ok();
}

Result<std::optional<std::uint64_t>> IngestStore::Impl::PackHead(std::string_view identity,
                                                                 std::uint64_t key,
                                                                 std::string* state) {
  Status err;
  std::optional<std::uint64_t> found;
  packs().Find(key, [&](std::uint64_t seq) {
    select_event.Bind(1, I64(seq));
    auto row = select_event.Step();
    bool match = false;
    if (!row.ok()) {
      err = row.status();
      return true;
    }
    if (*row && select_event.Text(0) == identity) {
      match = true;
      if (state != nullptr) {
        Bytes b = select_event.Blob(3);
        state->assign(reinterpret_cast<const char*>(b.data()), b.size());
      }
    }
    select_event.Reset();
    if (match) found = seq;
    return match;
  });
  if (!err.ok()) return err;
  return found;
}

IngestStore::IngestStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IngestStore::~IngestStore() = default;

Result<std::unique_ptr<IngestStore>> IngestStore::Open(Ledger& ledger) {
  auto impl = std::make_unique<Impl>();
  impl->ledger = &ledger;
  impl->db = ledger.impl().db.get();
  LEDGER_RETURN_IF_ERROR(impl->Prepare());
  LEDGER_RETURN_IF_ERROR(impl->Load());
  if (!ledger.impl().read_only) LEDGER_RETURN_IF_ERROR(impl->CatchUpCounters());
  return std::unique_ptr<IngestStore>(new IngestStore(std::move(impl)));
}

Status IngestStore::BeginReads() {
  if (impl_->reads_open) return Status::Ok();
  LEDGER_RETURN_IF_ERROR(sql::Exec(impl_->db, "BEGIN"));
  impl_->reads_open = true;
  return Status::Ok();
}

void IngestStore::EndReads() {
  if (!impl_->reads_open) return;
  impl_->reads_open = false;
  // A read-only transaction: ending it cannot lose anything; on failure roll back to be sure.
  if (!sql::Exec(impl_->db, "COMMIT").ok()) (void)sql::Exec(impl_->db, "ROLLBACK");
}

Result<std::uint64_t> IngestStore::Commit(std::span<const EntryInput> entries,
                                          const IngestWrites& w) {
  Impl& d = *impl_;
  // Pack heads are resolved before the transaction (reads), then applied after it commits.
  struct PackWrite {
    std::uint64_t key, seq;
    std::optional<std::uint64_t> prev;
  };
  std::vector<PackWrite> pack_writes;
  pack_writes.reserve(w.code_events.size());
  std::unordered_map<std::string_view, std::uint64_t> latest_in_batch;  // identity -> seq
  std::uint64_t seq = d.next_event_seq;
  for (const CodeEvent& e : w.code_events) {
    const std::uint64_t key = IndexKey(e.identity);
    std::optional<std::uint64_t> prev;
    // An earlier event in this same batch for the same pack is the previous one.
    auto [it, fresh] = latest_in_batch.try_emplace(e.identity, seq);
    if (!fresh) {
      prev = it->second;
      it->second = seq;
    }
    if (!prev) {
      if (auto cached = d.recent_heads.find(e.identity); cached != d.recent_heads.end()) {
        prev = cached->second;
      } else {
        auto head = d.PackHead(e.identity, key);
        if (!head.ok()) return head.status();
        prev = *head;
      }
    }
    pack_writes.push_back({key, seq++, prev});
  }

  const std::uint64_t first_message = d.next_message_seq;
  const auto last_entry = static_cast<std::int64_t>(d.ledger->size() + entries.size()) - 1;
  counters::Deltas batch;                       // this commit's facts, counted in its transaction
  std::optional<std::int64_t> flushed_through;  // set when the commit folded the counters
  auto write_indexes = [&]() -> Status {
    std::uint64_t mseq = first_message;
    for (const MessageRecord& m : w.messages) {
      d.insert_message.Bind(1, I64(mseq++))
          .Bind(2, I64(IndexKey(m.institution, m.msgid)))
          .Bind(3, m.institution)
          .Bind(4, m.msgid)
          .BindBlob(5, Bytes(m.digest))
          .BindBlob(6, AsBytes(m.response));
      LEDGER_RETURN_IF_ERROR(d.insert_message.Run());
    }
    for (const RowRecord& r : w.rows) {
      d.insert_row.Bind(1, I64(r.entry))
          .Bind(2, I64(IndexKey(r.institution, r.bchno)))
          .Bind(3, r.institution)
          .Bind(4, r.bchno);
      LEDGER_RETURN_IF_ERROR(d.insert_row.Run());
    }
    for (std::size_t i = 0; i < w.code_events.size(); ++i) {
      const CodeEvent& e = w.code_events[i];
      const PackWrite& p = pack_writes[i];
      d.insert_event.Bind(1, I64(p.seq)).Bind(2, I64(p.key)).Bind(3, e.identity);
      if (p.prev) {
        d.insert_event.Bind(4, I64(*p.prev));
      } else {
        d.insert_event.BindNull(4);
      }
      d.insert_event.Bind(5, I64(e.entry)).BindBlob(6, AsBytes(e.state));
      LEDGER_RETURN_IF_ERROR(d.insert_event.Run());
    }
    for (const BalanceChange& b : w.balances) {
      d.upsert_balance.Bind(1, b.institution).Bind(2, b.drug).Bind(3, b.milli);
      LEDGER_RETURN_IF_ERROR(d.upsert_balance.Run());
    }
    for (const std::string& inst : w.receipt_uploaders) {
      LEDGER_RETURN_IF_ERROR(d.insert_uploader.Bind(1, inst).Run());
    }
    for (std::uint64_t entry : w.refdata_entries) {
      LEDGER_RETURN_IF_ERROR(d.insert_refdata.Bind(1, I64(entry)).Run());
    }
    for (const RowFact& f : w.facts) {
      d.insert_fact.Bind(1, I64(f.entry))
          .Bind(2, f.institution)
          .Bind(3, std::int64_t{f.month})
          .Bind(4, f.time)
          .Bind(5, std::int64_t{f.infno})
          .Bind(6, std::int64_t{f.verdict})
          .Bind(7, std::int64_t{f.settle})
          .Bind(8, static_cast<std::int64_t>(f.coverage))
          .Bind(9, f.boxes_milli)
          .Bind(10, f.amount_fen)
          .Bind(11, std::int64_t{f.codes})
          .Bind(12, f.drug)
          .Bind(13, f.psn_hash);
      if (f.target_entry) {
        d.insert_fact.Bind(14, I64(*f.target_entry));
      } else {
        d.insert_fact.BindNull(14);
      }
      d.insert_fact.Bind(15, f.rules);
      LEDGER_RETURN_IF_ERROR(d.insert_fact.Run());
    }
    if (!w.facts.empty() || !d.pending_valid) {
      LEDGER_RETURN_IF_ERROR(d.CountFacts(w, last_entry, batch, flushed_through));
    }
    return Status::Ok();
  };
  EndReads();  // Append takes the write lock in its own transaction
  auto first = d.ledger->Append(entries, write_indexes);
  d.recent_heads.clear();
  if (!first.ok()) return first.status();

  if (flushed_through) {
    d.pending.Clear();
    d.pending_through = *flushed_through;
    d.pending_valid = true;
    d.last_flush = std::chrono::steady_clock::now();
  } else {
    d.pending.Merge(batch);
  }

  // Committed: publish the new heads.
  std::uint64_t mseq = first_message;
  for (const MessageRecord& m : w.messages) {
    d.messages.Insert(IndexKey(m.institution, m.msgid), mseq++);
    ++d.message_count;
  }
  d.next_message_seq = mseq;
  for (const RowRecord& r : w.rows) {
    d.rows.Insert(IndexKey(r.institution, r.bchno), r.entry);
    d.next_row_entry = std::max(d.next_row_entry, r.entry + 1);
    ++d.row_count;
  }
  {
    std::unique_lock lock(d.heads->impl().mu);
    for (const PackWrite& p : pack_writes) {
      if (p.prev) {
        d.packs().Replace(p.key, *p.prev, p.seq);
      } else {
        d.packs().Insert(p.key, p.seq);
        ++d.pack_count;
      }
    }
    d.event_count += pack_writes.size();
    d.next_event_seq = seq;
    d.PublishCounts();
  }
  // Only now: a commit that failed must leave the mirrored balances as the table has them.
  for (const BalanceChange& b : w.balances) d.balances[BalanceKey(b.institution, b.drug)] = b.milli;
  for (const std::string& inst : w.receipt_uploaders) {
    auto it = std::lower_bound(d.uploaders.begin(), d.uploaders.end(), inst);
    if (it == d.uploaders.end() || *it != inst) d.uploaders.insert(it, inst);
  }
  return first;
}

Result<std::optional<MessageRecord>> IngestStore::FindMessage(std::string_view institution,
                                                              std::string_view msgid) {
  Impl& d = *impl_;
  Status err;
  std::optional<MessageRecord> out;
  d.messages.Find(IndexKey(institution, msgid), [&](std::uint64_t seq) {
    d.select_message.Bind(1, I64(seq));
    auto row = d.select_message.Step();
    if (!row.ok()) {
      err = row.status();
      return true;
    }
    if (*row && d.select_message.Text(0) == institution && d.select_message.Text(1) == msgid) {
      MessageRecord m;
      m.institution = institution;
      m.msgid = msgid;
      d.select_message.HashAt(2, m.digest);
      Bytes resp = d.select_message.Blob(3);
      m.response.assign(reinterpret_cast<const char*>(resp.data()), resp.size());
      out = std::move(m);
    }
    d.select_message.Reset();
    return out.has_value();
  });
  if (!err.ok()) return err;
  return out;
}

Result<std::optional<std::uint64_t>> IngestStore::FindRow(std::string_view institution,
                                                          std::string_view bchno) {
  Impl& d = *impl_;
  Status err;
  std::optional<std::uint64_t> out;
  d.rows.Find(IndexKey(institution, bchno), [&](std::uint64_t entry) {
    d.select_row.Bind(1, I64(entry));
    auto row = d.select_row.Step();
    if (!row.ok()) {
      err = row.status();
      return true;
    }
    if (*row && d.select_row.Text(0) == institution && d.select_row.Text(1) == bchno) out = entry;
    d.select_row.Reset();
    return out.has_value();
  });
  if (!err.ok()) return err;
  return out;
}

Result<std::optional<std::string>> IngestStore::PackState(std::string_view identity) {
  Impl& d = *impl_;
  std::string state;
  auto head = d.PackHead(identity, IndexKey(identity), &state);
  if (!head.ok()) return head.status();
  d.recent_heads[std::string(identity)] = *head;
  if (!*head) return std::optional<std::string>();
  return std::optional<std::string>(std::move(state));
}

Result<std::vector<std::uint64_t>> IngestStore::PackHistory(std::string_view identity) {
  Impl& d = *impl_;
  auto head = d.PackHead(identity, IndexKey(identity));
  if (!head.ok()) return head.status();
  std::vector<std::uint64_t> entries;
  std::optional<std::uint64_t> seq = *head;
  while (seq) {
    d.select_event.Bind(1, I64(*seq));
    auto row = d.select_event.Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      d.select_event.Reset();
      return Status::Corruption("code event " + std::to_string(*seq) + " is missing");
    }
    entries.push_back(static_cast<std::uint64_t>(d.select_event.Int(2)));
    seq = d.select_event.IsNull(1) ? std::nullopt
                                   : std::optional<std::uint64_t>(d.select_event.Int(1));
    d.select_event.Reset();
  }
  std::reverse(entries.begin(), entries.end());
  return entries;
}

Result<std::optional<std::int64_t>> IngestStore::Balance(std::string_view institution,
                                                         std::string_view drug) {
  const auto& b = impl_->balances;
  auto it = b.find(BalanceKey(institution, drug));
  if (it == b.end()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(it->second);
}

bool IngestStore::UploadsReceipts(std::string_view institution) const {
  const auto& u = impl_->uploaders;
  return std::binary_search(u.begin(), u.end(), institution);
}

Result<std::vector<std::uint64_t>> IngestStore::RefDataEntries() {
  auto st = sql::Stmt::Prepare(impl_->db, "SELECT entry FROM refdata_entries ORDER BY entry");
  if (!st.ok()) return st.status();
  std::vector<std::uint64_t> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(static_cast<std::uint64_t>(st->Int(0)));
  }
}

Status IngestStore::PutToken(const TokenRecord& t) {
  auto st = sql::Stmt::Prepare(impl_->db,
                               "INSERT INTO tokens(hash, role, institution, region, label, "
                               "created_ms, revoked) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!st.ok()) return st.status();
  return st->BindBlob(1, Bytes(t.hash))
      .Bind(2, t.role)
      .Bind(3, t.institution)
      .Bind(4, t.region)
      .Bind(5, t.label)
      .Bind(6, t.created_ms)
      .Bind(7, std::int64_t{t.revoked ? 1 : 0})
      .Run();
}

namespace {

TokenRecord ReadToken(const sql::Stmt& st) {
  TokenRecord t;
  st.HashAt(0, t.hash);
  t.role = st.Text(1);
  t.institution = st.Text(2);
  t.region = st.Text(3);
  t.label = st.Text(4);
  t.created_ms = st.Int(5);
  t.revoked = st.Int(6) != 0;
  return t;
}

}  // namespace

Result<std::optional<TokenRecord>> IngestStore::FindToken(const Hash& hash) {
  auto st = sql::Stmt::Prepare(impl_->db,
                               "SELECT hash, role, institution, region, label, created_ms, revoked "
                               "FROM tokens WHERE hash = ?1");
  if (!st.ok()) return st.status();
  st->BindBlob(1, Bytes(hash));
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<TokenRecord>();
  return std::optional<TokenRecord>(ReadToken(*st));
}

Result<std::vector<TokenRecord>> IngestStore::Tokens() {
  auto st = sql::Stmt::Prepare(impl_->db,
                               "SELECT hash, role, institution, region, label, created_ms, revoked "
                               "FROM tokens ORDER BY created_ms");
  if (!st.ok()) return st.status();
  std::vector<TokenRecord> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadToken(*st));
  }
}

Status IngestStore::RevokeToken(const Hash& hash) {
  auto st = sql::Stmt::Prepare(impl_->db, "UPDATE tokens SET revoked = 1 WHERE hash = ?1");
  if (!st.ok()) return st.status();
  LEDGER_RETURN_IF_ERROR(st->BindBlob(1, Bytes(hash)).Run());
  if (sqlite3_changes(impl_->db) == 0) return Status::NotFound("no such token");
  return Status::Ok();
}

Status IngestStore::FlushCounters() {
  Impl& d = *impl_;
  EndReads();
  d.pending_valid = false;  // re-read the tail: exact whatever happened since
  return d.CatchUpCounters();
}

Status IngestStore::Refresh() {
  // Another process may have recorded facts: the next commit re-reads the counters' tail.
  impl_->pending_valid = false;
  return impl_->Load();
}

IngestStoreStats IngestStore::stats() const {
  Impl& d = *impl_;
  IngestStoreStats s;
  s.messages = d.message_count;
  s.rows = d.row_count;
  s.packs = d.pack_count;
  s.code_events = d.event_count;
  s.index_bytes = d.messages.memory_bytes() + d.rows.memory_bytes() + d.packs().memory_bytes();
  s.heads_from_file = d.heads_from_file;
  s.heads_file_size = d.heads_file_size;
  s.heads_file_note = d.heads_file_note;
  return s;
}

Status IngestStore::SaveHeads() {
  Impl& d = *impl_;
  if (d.ledger->impl().read_only) {
    return Status::FailedPrecondition("the heads file is written by the ledger's writer");
  }
  EndReads();
  heads::Counts c;
  c.next_message_seq = d.next_message_seq;
  c.next_row_entry = d.next_row_entry;
  c.next_event_seq = d.next_event_seq;
  c.message_count = d.message_count;
  c.row_count = d.row_count;
  c.pack_count = d.pack_count;
  c.event_count = d.event_count;
  return heads::Write(d.db, heads::PathFor(d.ledger->impl().path), d.ledger->size(),
                      d.ledger->chain_head(), d.messages, d.rows, d.packs(), c);
}

std::shared_ptr<const PackHeads> IngestStore::pack_heads() const {
  return impl_->heads;
}

PackHeads::PackHeads() : impl_(std::make_unique<Impl>()) {}
PackHeads::~PackHeads() = default;

void PackHeads::Candidates(std::uint64_t key, std::vector<std::uint64_t>& out) const {
  std::shared_lock lock(impl_->mu);
  impl_->index.Find(key, [&out](std::uint64_t seq) {
    out.push_back(seq);
    return false;
  });
}

std::uint64_t PackHeads::next_event_seq() const {
  std::shared_lock lock(impl_->mu);
  return impl_->next_event_seq;
}

std::uint64_t PackHeads::pack_count() const {
  std::shared_lock lock(impl_->mu);
  return impl_->pack_count;
}

}  // namespace ledger
