// Ledger subcommands: init, key, append, checkpoint, prove, verify-proof, export, verify.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proof_json.h"

namespace cli {

namespace {

using ledger::Ledger;
using nlohmann::json;

ledger::Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& db, bool writable) {
  ledger::OpenOptions opts;
  opts.read_only = !writable;
  opts.load_signer = writable;
  return Ledger::Open(db, opts);
}

int RunInit(const std::string& db, const std::string& origin) {
  auto l = Ledger::Init(db, {origin});
  if (!l.ok()) return Fail("init", l.status());
  std::cout << "created ledger " << db << " (origin " << (*l)->origin() << ")\n"
            << "signing key " << ledger::KeyPathFor(db)
            << " (mode 0600; back it up, keep it secret)\n"
            << "verifier key " << (*l)->verifier().ToString() << "\n";
  return 0;
}

int RunKey(const std::string& db) {
  auto l = OpenLedger(db, false);
  if (!l.ok()) return Fail("key", l.status());
  std::cout << (*l)->verifier().ToString() << "\n";
  return 0;
}

// Appends one entry per input line (without the newline). For tests and tools; terminals upload
// through 'serve' or 'ingest'.
int RunAppend(const std::string& db, const std::string& input, std::uint32_t type,
              const std::string& institution) {
  auto data = ReadInput(input);
  if (!data) return kExitFailure;
  auto l = OpenLedger(db, true);
  if (!l.ok()) return Fail("append", l.status());
  std::vector<ledger::EntryInput> batch;
  std::istringstream in(*data);
  std::string line;
  const std::int64_t now = NowMs();
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    batch.push_back({type, now, institution, line});
  }
  auto first = (*l)->Append(batch);
  if (!first.ok()) return Fail("append", first.status());
  if (batch.empty()) {
    std::cout << "nothing to append\n";
  } else {
    std::cout << "appended " << batch.size() << " entries, indexes " << *first << " to "
              << (*first + batch.size() - 1) << "\n";
  }
  return 0;
}

int RunCheckpoint(const std::string& db, bool list) {
  auto l = OpenLedger(db, !list);
  if (!l.ok()) return Fail("checkpoint", l.status());
  if (list) {
    auto all = (*l)->Checkpoints();
    if (!all.ok()) return Fail("checkpoint --list", all.status());
    json out = json::array();
    for (const auto& c : *all) {
      out.push_back({{"seq", c.seq},
                     {"signed_at_ms", c.signed_at_ms},
                     {"tree_size", c.checkpoint.size},
                     {"root", ledger::Base64Encode(c.checkpoint.root)},
                     {"note", c.note}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  auto cp = (*l)->SignCheckpoint(NowMs());
  if (!cp.ok()) return Fail("checkpoint", cp.status());
  std::cout << cp->note;
  return 0;
}

int RunProveInclusion(const std::string& db, std::uint64_t index,
                      std::optional<std::uint64_t> size) {
  auto l = OpenLedger(db, false);
  if (!l.ok()) return Fail("prove inclusion", l.status());
  const std::uint64_t n = size.value_or((*l)->size());
  auto proof = (*l)->InclusionProof(index, n);
  if (!proof.ok()) return Fail("prove inclusion", proof.status());
  auto entry = (*l)->Get(index);
  if (!entry.ok()) return Fail("prove inclusion", entry.status());
  auto j = InclusionProofJson(index, n, entry->leaf, *proof);
  j["entry"] = ledger::Base64Encode(ledger::AsBytes(entry->bytes));
  std::cout << j.dump(2) << "\n";
  return 0;
}

int RunProveConsistency(const std::string& db, std::uint64_t old_size,
                        std::optional<std::uint64_t> new_size) {
  auto l = OpenLedger(db, false);
  if (!l.ok()) return Fail("prove consistency", l.status());
  const std::uint64_t n = new_size.value_or((*l)->size());
  auto proof = (*l)->ConsistencyProof(old_size, n);
  if (!proof.ok()) return Fail("prove consistency", proof.status());
  std::cout << ConsistencyProofJson(old_size, n, *proof).dump(2) << "\n";
  return 0;
}

int RunExport(const std::string& db, const std::string& out_path) {
  auto l = OpenLedger(db, false);
  if (!l.ok()) return Fail("export", l.status());
  std::ofstream file;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return Fail("cannot write " + out_path);
  }
  std::ostream& out = out_path == "-" ? std::cout : file;
  std::string line;
  ledger::Status st = (*l)->Scan(0, (*l)->size(), [&](const ledger::Entry& e) {
    json j = {{"index", e.index},
              {"type", e.type},
              {"event_time_ms", e.event_time_ms},
              {"institution", e.institution},
              {"entry", ledger::Base64Encode(ledger::AsBytes(e.bytes))},
              {"leaf_hash", ledger::ToHex(e.leaf)},
              {"chain_hash", ledger::ToHex(e.chain)}};
    out << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    return out ? ledger::Status::Ok() : ledger::Status::IoError("cannot write " + out_path);
  });
  out.flush();
  if (!st.ok()) return Fail("export", st);
  if (!out) return Fail("cannot write " + out_path);
  return 0;
}

int RunVerify(const std::string& db, const std::string& checkpoint_file, const std::string& key) {
  ledger::OpenOptions opts;
  opts.read_only = true;
  opts.load_signer = false;
  opts.cache_mib = 256;
  opts.mmap_mib = 16384;
  auto l = Ledger::Open(db, opts);
  if (!l.ok()) return Fail("verify", l.status());
  ledger::VerifyOptions vopts;
  // A checkpoint kept elsewhere is only evidence when checked with a key kept elsewhere too: the
  // key stored in the database is under the control of whoever controls the database.
  if (checkpoint_file.empty() != key.empty()) {
    return Fail("verify: --checkpoint and --key go together (the key you trust, not the ledger's)");
  }
  if (!checkpoint_file.empty()) {
    auto text = ReadInput(checkpoint_file);
    if (!text) return kExitFailure;
    vopts.external_checkpoint = *text;
  }
  if (!key.empty()) {
    auto k = ledger::VerifierKey::Parse(key);
    if (!k.ok()) return Fail("--key", k.status());
    vopts.key = *k;
  }
  auto report = (*l)->Verify(vopts);
  if (!report.ok()) return Fail("verify FAILED", report.status());
  std::cout << "ok: " << report->entries << " entries, " << report->checkpoints
            << " signed checkpoints verified\n"
            << "root " << ledger::Base64Encode(report->root) << "\n"
            << "chain head " << ledger::Base64Encode(report->chain_head) << "\n";
  if (report->external_checkpoint_checked) {
    std::cout << "the external checkpoint is a prefix of this ledger\n";
  }
  return 0;
}

}  // namespace

void RegisterLedgerCommands(CLI::App& app, int& exit_code) {
  auto* init = app.add_subcommand("init", "Create a new ledger and its signing key");
  static std::string db, origin, input = "-", institution, checkpoint_file, key, out = "-",
                                 proof_file;
  static std::uint32_t type = 0;
  static std::uint64_t index = 0, old_size = 0;
  static std::optional<std::uint64_t> size, new_size;
  static bool list = false;
  init->add_option("--db", db, "Ledger database file to create")->required();
  init->add_option("--origin", origin, "Checkpoint origin and key name (default drugtrace/<stem>)");
  init->callback([&] { exit_code = RunInit(db, origin); });

  auto* keycmd = app.add_subcommand("key", "Print the ledger's verifier key (signed-note form)");
  keycmd->add_option("--db", db, "Ledger database")->required();
  keycmd->callback([&] { exit_code = RunKey(db); });

  auto* append = app.add_subcommand("append", "Append one opaque entry per input line (tools)");
  append->add_option("--db", db, "Ledger database")->required();
  append->add_option("--type", type, "Entry type number");
  append->add_option("--institution", institution, "Institution code");
  append->add_option("input", input, "File with one entry per line, or - for stdin");
  append->callback([&] { exit_code = RunAppend(db, input, type, institution); });

  auto* cp = app.add_subcommand("checkpoint", "Sign and print a checkpoint of the current tree");
  cp->add_option("--db", db, "Ledger database")->required();
  cp->add_flag("--list", list, "List the stored signed checkpoints as JSON instead");
  cp->callback([&] { exit_code = RunCheckpoint(db, list); });

  auto* prove = app.add_subcommand("prove", "Print an inclusion or consistency proof as JSON");
  prove->require_subcommand(1);
  auto* inc = prove->add_subcommand("inclusion", "Prove that entry --index is in the tree");
  inc->add_option("--db", db, "Ledger database")->required();
  inc->add_option("--index", index, "Entry index")->required();
  inc->add_option("--size", size, "Tree size (default: the current size)");
  inc->callback([&] { exit_code = RunProveInclusion(db, index, size); });
  auto* con = prove->add_subcommand("consistency", "Prove that tree --old is a prefix of --new");
  con->add_option("--db", db, "Ledger database")->required();
  con->add_option("--old", old_size, "Older tree size")->required();
  con->add_option("--new", new_size, "Newer tree size (default: the current size)");
  con->callback([&] { exit_code = RunProveConsistency(db, old_size, new_size); });

  auto* vp = app.add_subcommand("verify-proof",
                                "Check a proof against a signed checkpoint offline (no database)");
  static std::string old_checkpoint_file;
  vp->add_option("--key", key, "Verifier key (name+id+base64)")->required();
  vp->add_option("--checkpoint", checkpoint_file, "Signed checkpoint file")->required();
  vp->add_option("--old-checkpoint", old_checkpoint_file,
                 "For consistency proofs: the older signed checkpoint");
  vp->add_option("proof", proof_file, "Proof JSON file (from 'prove'), or -")->required();
  vp->callback(
      [&] { exit_code = RunVerifyProof(key, checkpoint_file, old_checkpoint_file, proof_file); });

  auto* exp = app.add_subcommand("export", "Write every entry as NDJSON for independent checks");
  exp->add_option("--db", db, "Ledger database")->required();
  exp->add_option("--out", out, "Output file (default: stdout)");
  exp->callback([&] { exit_code = RunExport(db, out); });

  auto* ver = app.add_subcommand("verify", "Recompute and check every hash, link and checkpoint");
  ver->add_option("--db", db, "Ledger database")->required();
  ver->add_option("--checkpoint", checkpoint_file,
                  "A signed checkpoint kept elsewhere, to prove it a prefix of the ledger");
  ver->add_option("--key", key, "The verifier key you trust, to check --checkpoint with");
  ver->callback([&] { exit_code = RunVerify(db, checkpoint_file, key); });
}

}  // namespace cli
