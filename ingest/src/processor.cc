#include "ingest/processor.h"

#include <map>
#include <unordered_map>

#include "embedded.h"
#include "ingest/json_schema.h"
#include "ingest/refdata_json.h"
#include "ingest/row_facts.h"
#include "validator/validator.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::Status;

constexpr char kUploadSchema[] = "schemas/upload.schema.json";
constexpr char kRefDataSchema[] = "schemas/refdata.schema.json";

std::optional<JsonSchema> LoadEmbeddedSchema(const char* name, std::string& error) {
  auto text = drugtrace::embedded::Find(name);
  if (!text) {
    error = std::string(name) + " is not compiled into this binary";
    return std::nullopt;
  }
  // Schemas are our own files and may use JSON numbers with fractions (multipleOf 0.001): parse
  // them with the plain parser. Instances go through ParseJson, which keeps decimals as text.
  Json doc = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = std::string(name) + " is not valid JSON";
    return std::nullopt;
  }
  auto schema = JsonSchema::Load(doc, error);
  if (!schema) error = std::string(name) + ": " + error;
  return schema;
}

std::string PairKey(std::string_view a, std::string_view b) {
  std::string k(a);
  k += '\x1f';
  k += b;
  return k;
}

// What one group commit has done so far, visible to later messages of the same batch.
struct BatchState {
  struct PendingMessage {
    ledger::Hash digest;
    std::size_t outcome;  // index into the batch's outcomes
  };
  std::unordered_map<std::string, PendingMessage> messages;  // PairKey(inst, msgid)
  struct PendingRow {
    std::uint64_t entry;
    const Json* row;
    validator::Interface infno;
    validator::Verdict verdict;
    std::int64_t draw_milli;
  };
  std::unordered_map<std::string, PendingRow> rows;        // PairKey(inst, row key)
  validator::StateMap states;                              // packs touched in this batch
  std::unordered_map<std::string, std::int64_t> balances;  // PairKey(inst, drug) -> milli
  std::vector<std::string> uploaders;
  std::vector<ledger::EntryInput> entries;
  ledger::IngestWrites writes;
};

// The key a row is recorded under for idempotency: its own bchno, or for a void the row it voids.
std::string RowKey(const validator::Row& row) {
  return row.infno == validator::Interface::kVoid ? "3507:" + row.target_bchno
                                                  : row.fixmedins_bchno;
}

std::optional<validator::Interface> InterfaceOf(std::string_view infno) {
  int n = 0;
  for (char c : infno) n = n * 10 + (c - '0');
  if (infno.size() != 4 || n < 3501 || n > 3507) return std::nullopt;
  return static_cast<validator::Interface>(n);
}

}  // namespace

Outcome ErrorOutcome(int http_status, int infcode, const std::string& message) {
  Outcome o;
  o.http_status = http_status;
  o.body = Json{{"infcode", infcode}, {"err_msg", message}, {"output", nullptr}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
  return o;
}

struct Processor::Impl {
  ledger::Ledger* ledger = nullptr;
  std::unique_ptr<ledger::IngestStore> store;
  std::shared_ptr<const validator::RefData> refdata = std::make_shared<validator::RefData>();
  std::string hmac_key;
  ProcessorOptions options;
  std::optional<JsonSchema> upload_schema, refdata_schema;
  Processor::BatchTiming timing;

  std::string HashPerson(std::string_view psn_no) const {
    return ledger::ToHex(ledger::HmacSha256(ledger::AsBytes(hmac_key), ledger::AsBytes(psn_no)));
  }
  Status LoadLatestRefData();
  Result<bool> Refresh() {
    auto moved = ledger->Refresh();
    if (!moved.ok() || !*moved) return moved;
    LEDGER_RETURN_IF_ERROR(store->Refresh());
    LEDGER_RETURN_IF_ERROR(LoadLatestRefData());
    return true;
  }
  // Judges one message into `bs`; returns its outcome. A non-ok status aborts the whole batch.
  Result<Outcome> ProcessOne(Submission& sub, std::size_t index, BatchState& bs,
                             std::vector<Outcome>& outcomes);
  Result<std::optional<validator::CodeState>> LoadState(const std::string& identity,
                                                        BatchState& bs);
  struct Voided {
    validator::Row row;
    validator::Verdict verdict = validator::Verdict::kOk;
    std::int64_t draw_milli = 0;
  };
  Result<std::optional<Voided>> FindVoided(const validator::Row& row, BatchState& bs);
};

Processor::Processor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Processor::~Processor() = default;

const validator::RefData& Processor::refdata() const {
  return *impl_->refdata;
}
ledger::IngestStore& Processor::store() {
  return *impl_->store;
}
ledger::Ledger& Processor::ledger() {
  return *impl_->ledger;
}

Result<std::unique_ptr<Processor>> Processor::Open(ledger::Ledger& ledger,
                                                   const std::string& db_path,
                                                   const ProcessorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->ledger = &ledger;
  impl->options = options;
  std::string error;
  impl->upload_schema = LoadEmbeddedSchema(kUploadSchema, error);
  if (!impl->upload_schema) return Status::FailedPrecondition(error);
  impl->refdata_schema = LoadEmbeddedSchema(kRefDataSchema, error);
  if (!impl->refdata_schema) return Status::FailedPrecondition(error);
  auto store = ledger::IngestStore::Open(ledger);
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  // Once rows are recorded, their psn_hash values depend on the key: never make a new one then.
  const auto recorded = impl->store->stats();
  auto key = ledger::LoadOrCreateHmacKey(db_path, recorded.rows == 0 && recorded.messages == 0);
  if (!key.ok()) return key.status();
  impl->hmac_key = std::move(*key);
  LEDGER_RETURN_IF_ERROR(impl->LoadLatestRefData());
  return std::unique_ptr<Processor>(new Processor(std::move(impl)));
}

Status Processor::Impl::LoadLatestRefData() {
  auto entries = store->RefDataEntries();
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return Status::Ok();
  auto e = ledger->Get(entries->back());
  if (!e.ok()) return e.status();
  std::string error;
  auto doc = ParseJson(e->bytes, error, {.max_depth = 64});
  if (!doc || !doc->contains("document")) {
    return Status::Corruption("reference data entry " + std::to_string(entries->back()) +
                              " is unreadable: " + error);
  }
  auto ref = std::make_shared<validator::RefData>();
  if (!LoadRefData((*doc)["document"], *ref, error)) {
    return Status::Corruption("reference data entry " + std::to_string(entries->back()) + ": " +
                              error);
  }
  refdata = std::move(ref);
  return Status::Ok();
}

Result<std::uint64_t> Processor::ImportRefData(const Json& doc, std::int64_t now_ms) {
  Impl& d = *impl_;
  if (auto err = d.refdata_schema->Validate(doc)) {
    return Status::InvalidArgument("reference data " + err->ToString());
  }
  auto ref = std::make_shared<validator::RefData>();
  std::string error;
  if (!LoadRefData(doc, *ref, error)) return Status::InvalidArgument("reference data " + error);
  Json entry = {{"kind", "refdata"}, {"received_ms", now_ms}, {"document", doc}};
  ledger::EntryInput in{static_cast<std::uint32_t>(ledger::EntryType::kRefData), now_ms, "",
                        CanonicalJson(entry)};
  ledger::IngestWrites writes;
  const std::uint64_t index = d.ledger->size();
  writes.refdata_entries.push_back(index);
  auto first = d.store->Commit(std::span(&in, 1), writes);
  if (!first.ok()) return first.status();
  d.refdata = std::move(ref);
  return *first;
}

bool Processor::Admit(std::string_view body, std::int64_t received_ms, Submission& out,
                      Outcome& rejected) const {
  const Impl& d = *impl_;
  std::string error;
  auto json = ParseJson(body, error);
  if (!json) {
    rejected = ErrorOutcome(400, -1, "malformed JSON: " + error);
    return false;
  }
  if (auto err = d.upload_schema->Validate(*json)) {
    rejected = ErrorOutcome(400, -1, err->ToString());
    return false;
  }
  out.received_ms = received_ms;
  DecodeError derr;
  if (!DecodeMessage(
          std::move(*json), [&d](std::string_view p) { return d.HashPerson(p); }, out.message,
          derr)) {
    rejected = ErrorOutcome(derr.http_status, -1, derr.ToString());
    return false;
  }
  out.digest = MessageDigest(out.message);
  if (out.message.rows.size() > d.options.max_rows_per_message) {
    rejected =
        ErrorOutcome(413, -1,
                     "message has " + std::to_string(out.message.rows.size()) +
                         " rows; the limit is " + std::to_string(d.options.max_rows_per_message));
    return false;
  }
  return true;
}

Result<std::optional<validator::CodeState>> Processor::Impl::LoadState(const std::string& identity,
                                                                       BatchState& bs) {
  if (auto it = bs.states.find(identity); it != bs.states.end()) {
    return std::optional<validator::CodeState>(it->second);
  }
  auto stored = store->PackState(identity);
  if (!stored.ok()) return stored.status();
  if (!*stored) return std::optional<validator::CodeState>();
  auto decoded = validator::CodeState::Decode(**stored);
  return std::optional<validator::CodeState>(decoded ? *decoded
                                                     : validator::CodeState::Unreadable());
}

Result<std::optional<Processor::Impl::Voided>> Processor::Impl::FindVoided(
    const validator::Row& row, BatchState& bs) {
  const std::string key = PairKey(row.fixmedins_code, row.target_bchno);
  Voided v;
  std::string error;
  if (auto it = bs.rows.find(key); it != bs.rows.end()) {
    if (!DecodeStoredRow(*it->second.row, it->second.infno, row.fixmedins_code, v.row, error)) {
      return std::optional<Voided>();
    }
    v.row.entry_index = it->second.entry;
    v.verdict = it->second.verdict;
    v.draw_milli = it->second.draw_milli;
    return std::optional<Voided>(std::move(v));
  }
  auto entry_index = store->FindRow(row.fixmedins_code, row.target_bchno);
  if (!entry_index.ok()) return entry_index.status();
  if (!*entry_index) return std::optional<Voided>();
  auto entry = ledger->Get(**entry_index);
  if (!entry.ok()) return entry.status();
  auto doc = ParseJson(entry->bytes, error, {.max_depth = 64});
  if (!doc) return Status::Corruption("entry " + std::to_string(**entry_index) + ": " + error);
  auto infno = InterfaceOf(doc->value("infno", std::string()));
  if (!infno || !doc->contains("row") ||
      !DecodeStoredRow((*doc)["row"], *infno, row.fixmedins_code, v.row, error)) {
    return Status::Corruption("entry " + std::to_string(**entry_index) +
                              " is not a readable upload row");
  }
  v.row.entry_index = **entry_index;
  const std::string verdict = doc->value("verdict", std::string("ok"));
  v.verdict = verdict == "block"  ? validator::Verdict::kBlock
              : verdict == "warn" ? validator::Verdict::kWarn
                                  : validator::Verdict::kOk;
  v.draw_milli = doc->value("no_code_draw_milli", std::int64_t{0});
  return std::optional<Voided>(std::move(v));
}

Result<Outcome> Processor::Impl::ProcessOne(Submission& sub, std::size_t index, BatchState& bs,
                                            std::vector<Outcome>& outcomes) {
  DecodedMessage& m = sub.message;
  const std::string& inst = m.envelope.fixmedins_code;
  const std::string msg_key = PairKey(inst, m.envelope.msgid);

  // Idempotency by (institution, msgid): a retry gets the original response.
  if (auto it = bs.messages.find(msg_key); it != bs.messages.end()) {
    if (it->second.digest != sub.digest) {
      return ErrorOutcome(
          409, -1, "msgid " + m.envelope.msgid + " was already used for a different message");
    }
    Outcome o = outcomes[it->second.outcome];
    o.replayed = true;
    o.pending = true;  // stands or falls with this batch's commit
    return o;
  }
  auto stored = store->FindMessage(inst, m.envelope.msgid);
  if (!stored.ok()) return stored.status();
  if (*stored) {
    if ((*stored)->digest != sub.digest) {
      return ErrorOutcome(
          409, -1, "msgid " + m.envelope.msgid + " was already used for a different message");
    }
    Outcome o;
    o.body = (*stored)->response;
    o.replayed = true;
    return o;
  }
  // Rows already recorded (by bchno) reject the whole message, before anything is judged.
  std::unordered_map<std::string, std::size_t> in_message;
  const char* array = RowArrayName(m.interface);
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    const std::string key = RowKey(m.rows[i]);
    const std::string where =
        std::string("/input/") + array + "/" + std::to_string(i) + "/fixmedins_bchno";
    if (!in_message.emplace(key, i).second) {
      return ErrorOutcome(409, -1, where + ": row " + key + " appears twice in this message");
    }
    std::optional<std::uint64_t> prior;
    if (auto it = bs.rows.find(PairKey(inst, key)); it != bs.rows.end()) {
      prior = it->second.entry;
    } else {
      auto found = store->FindRow(inst, key);
      if (!found.ok()) return found.status();
      prior = *found;
    }
    if (prior) {
      return ErrorOutcome(409, -1,
                          where + ": row " + key + " of " + inst +
                              " was already recorded (ledger entry " + std::to_string(*prior) +
                              "); send a 3507 void to correct it");
    }
  }

  Outcome out;
  std::string rows_out;  // the response's rows, written directly as JSON
  validator::IdentitySet seen;
  const std::uint64_t base = ledger->size() + bs.entries.size();
  for (std::size_t i = 0; i < m.rows.size(); ++i) {
    validator::Row& row = m.rows[i];
    row.entry_index = base + i;
    std::optional<Voided> voided;
    if (row.infno == validator::Interface::kVoid) {
      auto v = FindVoided(row, bs);
      if (!v.ok()) return v.status();
      voided = std::move(*v);
    }
    validator::PreparedRow prepared = validator::Prepare(row, voided ? &voided->row : nullptr);
    std::vector<validator::CodeState> states;
    states.reserve(prepared.identities.size());
    std::vector<validator::KnownState> known;
    for (const std::string& id : prepared.identities) {
      auto s = LoadState(id, bs);
      if (!s.ok()) return s.status();
      if (*s) {
        states.push_back(std::move(**s));
        known.push_back({id, nullptr});
      }
    }
    for (std::size_t k = 0; k < known.size(); ++k) known[k].state = &states[k];

    validator::Context ctx;
    ctx.states = known;
    ctx.seen_in_message = &seen;
    ctx.uploads_receipts =
        store->UploadsReceipts(inst) ||
        std::find(bs.uploaders.begin(), bs.uploaders.end(), inst) != bs.uploaders.end();
    const std::string bal_key = PairKey(inst, row.med_list_codg);
    std::optional<std::int64_t> balance;
    if (auto it = bs.balances.find(bal_key); it != bs.balances.end()) {
      balance = it->second;
    } else {
      auto b = store->Balance(inst, row.med_list_codg);
      if (!b.ok()) return b.status();
      balance = *b;
    }
    if (balance) ctx.no_code_balance = validator::Quantity{*balance};
    if (voided) {
      ctx.voided_verdict = voided->verdict;
      ctx.voided_no_code_draw_milli = voided->draw_milli;
    }
    validator::Judgement j = validator::Validate(prepared, *refdata, ctx);

    // The ledger entry: the row as received, what the counter was told, and the rule set.
    // Findings are serialised once, for the entry and for the response.
    const std::string findings = FindingsText(j.findings);
    RowEntry re{&m.envelope, &m.canonical_rows[i], i, sub.received_ms, j.verdict,
                &findings,   j.no_code_draw_milli};
    bs.entries.push_back({static_cast<std::uint32_t>(ledger::EntryType::kUploadRow),
                          sub.received_ms, inst, EncodeRowEntry(re)});
    const std::string key = RowKey(row);
    bs.writes.rows.push_back({inst, key, row.entry_index});
    // The submission outlives the batch, so pending rows can point into it.
    bs.rows[PairKey(inst, key)] = {row.entry_index, &m.raw_rows[i], row.infno, j.verdict,
                                   j.no_code_draw_milli};
    for (const auto& u : j.updates) {
      bs.writes.code_events.push_back({u.identity, row.entry_index, u.state.Encode()});
    }
    AppendUnchangedEvents(prepared, j, known, bs.writes.code_events);  // for pack histories
    bs.writes.facts.push_back(MakeRowFact(prepared, j, *refdata));
    if (j.no_code_draw_milli != 0) {
      std::int64_t current = balance.value_or(0);
      if (!balance) {
        const auto* declared = refdata->FindNoCodeStock(inst, row.med_list_codg);
        current = declared ? declared->boxes.milli : 0;
      }
      const std::int64_t next = current - j.no_code_draw_milli;
      bs.balances[bal_key] = next;
      bs.writes.balances.push_back({inst, row.med_list_codg, next});
    }
    if (row.infno == validator::Interface::kReceipt && !ctx.uploads_receipts) {
      bs.uploaders.push_back(inst);
      bs.writes.receipt_uploaders.push_back(inst);
    }
    validator::NoteSeen(prepared, seen);
    out.rows_by_verdict[static_cast<int>(j.verdict)]++;
    for (const auto& f : j.findings) out.rules.push_back(f.rule);
    rows_out += i == 0 ? "{\"findings\":" : ",{\"findings\":";
    rows_out += findings;
    rows_out += ",\"fixmedins_bchno\":";
    AppendJsonString(rows_out, row.infno == validator::Interface::kVoid ? row.target_bchno
                                                                        : row.fixmedins_bchno);
    rows_out += ",\"ledger_index\":" + std::to_string(row.entry_index);
    rows_out += ",\"verdict\":\"";
    rows_out += validator::VerdictName(j.verdict);
    rows_out += "\"}";
    validator::ApplyUpdates(std::move(j), bs.states);
  }
  out.rows = m.rows.size();
  out.body = "{\"err_msg\":\"\",\"infcode\":0,\"output\":{\"rows\":[" + rows_out + "]}}";
  bs.messages[msg_key] = {sub.digest, index};
  bs.writes.messages.push_back({inst, m.envelope.msgid, sub.digest, out.body});
  return out;
}

Processor::BatchTiming Processor::last_batch_timing() const {
  return impl_->timing;
}

std::vector<Outcome> Processor::ProcessBatch(std::vector<Submission>& batch) {
  Impl& d = *impl_;
  // Another process (the CLI importing reference data or managing tokens) may have appended.
  if (auto moved = d.Refresh(); !moved.ok()) {
    Outcome fail = ErrorOutcome(503, -1, "ledger unavailable: " + moved.status().message());
    return std::vector<Outcome>(batch.size(), fail);
  }
  BatchState bs;
  std::vector<Outcome> outcomes(batch.size());
  std::vector<bool> recorded(batch.size(), false);
  if (auto st = d.store->BeginReads(); !st.ok()) {
    Outcome fail = ErrorOutcome(503, -1, "ledger unavailable: " + st.message());
    return std::vector<Outcome>(batch.size(), fail);
  }
  struct EndReads {
    ledger::IngestStore& store;
    ~EndReads() { store.EndReads(); }
  } end_reads{*d.store};
  using Clock = std::chrono::steady_clock;
  const auto judge_start = Clock::now();
  d.timing = {};
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::size_t entries_before = bs.entries.size();
    auto o = d.ProcessOne(batch[i], i, bs, outcomes);
    if (!o.ok()) {
      // A read failed part-way: nothing of this batch may be recorded.
      Outcome fail = ErrorOutcome(503, -1, "ledger unavailable: " + o.status().message());
      return std::vector<Outcome>(batch.size(), fail);
    }
    outcomes[i] = std::move(*o);
    recorded[i] = bs.entries.size() > entries_before || outcomes[i].pending;
  }
  const auto record_start = Clock::now();
  d.timing.judge_ms = std::chrono::duration<double, std::milli>(record_start - judge_start).count();
  if (bs.entries.empty() && bs.writes.empty()) return outcomes;
  auto committed = d.store->Commit(bs.entries, bs.writes);
  d.timing.record_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - record_start).count();
  d.timing.entries = bs.entries.size();
  if (committed.ok()) {
    const ledger::WalDrainStats w = d.ledger->wal_drain_stats();
    d.timing.begin_ms = w.last_begin_ms;
    d.timing.entries_ms = w.last_entries_ms;
    d.timing.indexes_ms = w.last_in_transaction_ms;
    d.timing.sync_ms = w.last_commit_ms;
    d.timing.drain_ms = w.last_append_drain_ms;
  }
  if (!committed.ok()) {
    Outcome fail = ErrorOutcome(503, -1, "could not record: " + committed.status().message());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (recorded[i]) outcomes[i] = fail;
    }
  }
  return outcomes;
}

}  // namespace ingest
