// Ingest subcommands without a server: refdata import, token management, offline bulk ingest.
#include <cstring>
#include <fstream>
#include <iostream>

#include "common.h"
#include "ingest/json.h"
#include "ingest/processor.h"
#include "ingest/tokens.h"
#include "ledger/ingest_store.h"
#include "ledger/ledger.h"

namespace cli {

namespace {

struct Opened {
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<ingest::Processor> processor;
};

std::optional<Opened> OpenForIngest(const std::string& db, const std::string& context) {
  auto l = ledger::Ledger::Open(db);
  if (!l.ok()) {
    Fail(context, l.status());
    return std::nullopt;
  }
  auto p = ingest::Processor::Open(**l, db);
  if (!p.ok()) {
    Fail(context, p.status());
    return std::nullopt;
  }
  return Opened{std::move(*l), std::move(*p)};
}

int RunRefDataImport(const std::string& db, const std::string& file) {
  auto text = ReadInput(file);
  if (!text) return kExitFailure;
  std::string error;
  auto doc = ingest::ParseJson(*text, error, {.max_depth = 32, .max_string = 1 << 20});
  if (!doc) return Fail("refdata import: " + file + ": malformed JSON: " + error);
  auto o = OpenForIngest(db, "refdata import");
  if (!o) return kExitFailure;
  auto index = o->processor->ImportRefData(*doc, NowMs());
  if (!index.ok()) return Fail("refdata import: " + file, index.status());
  const auto& ref = o->processor->refdata();
  std::cout << "imported reference data as ledger entry " << *index << ": " << ref.drug_count()
            << " drugs, " << ref.institution_count() << " institutions\n";
  return 0;
}

int RunTokenCreate(const std::string& db, const std::string& role_name,
                   const std::string& institution, const std::string& region,
                   const std::string& label) {
  auto role = ingest::RoleFromName(role_name);
  if (!role) return Fail("token create: --role must be terminal, regulator or admin");
  auto o = OpenForIngest(db, "token create");
  if (!o) return kExitFailure;
  auto t = ingest::CreateToken(o->processor->store(), *o->ledger, *role, institution, region, label,
                               NowMs());
  if (!t.ok()) return Fail("token create", t.status());
  std::cout << t->secret << "\n";
  std::cerr << "token " << t->id << " (" << role_name
            << (institution.empty() ? "" : " for " + institution)
            << (region.empty() ? "" : " in region " + region) << "): shown once, store it now\n";
  return 0;
}

int RunTokenList(const std::string& db) {
  auto o = OpenForIngest(db, "token list");
  if (!o) return kExitFailure;
  auto all = o->processor->store().Tokens();
  if (!all.ok()) return Fail("token list", all.status());
  for (const auto& t : *all) {
    std::cout << ingest::TokenId(t.hash) << "  " << t.role << "  "
              << (t.institution.empty() ? "-" : t.institution) << "  "
              << (t.region.empty() ? "-" : t.region) << "  " << (t.revoked ? "revoked" : "active")
              << "  " << t.label << "\n";
  }
  return 0;
}

int RunTokenRevoke(const std::string& db, const std::string& id) {
  auto o = OpenForIngest(db, "token revoke");
  if (!o) return kExitFailure;
  ledger::Status st = ingest::RevokeToken(o->processor->store(), *o->ledger, id, NowMs());
  if (!st.ok()) return Fail("token revoke", st);
  std::cout << "revoked " << id << "\n";
  return 0;
}

// Bulk back-fill: the same validation and recording as the daemon, many messages per commit.
int RunIngest(const std::string& db, const std::string& file, std::size_t batch_size) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file != "-") {
    in_file.open(file, std::ios::binary);
    if (!in_file) return Fail("ingest: cannot read " + file + ": " + std::strerror(errno));
    in = &in_file;
  }
  auto o = OpenForIngest(db, "ingest");
  if (!o) return kExitFailure;
  std::vector<ingest::Submission> batch;
  std::vector<std::size_t> batch_lines;
  std::vector<std::pair<std::size_t, ingest::Outcome>> ready;  // in line order
  std::size_t line_no = 0, failed = 0, accepted = 0;
  auto print = [&](std::size_t line, const ingest::Outcome& out) {
    std::cout << "{\"line\":" << line << ",\"status\":" << out.http_status
              << ",\"response\":" << out.body << "}\n";
    if (out.http_status != 200)
      ++failed;
    else
      ++accepted;
  };
  auto flush = [&] {
    auto outcomes = o->processor->ProcessBatch(batch);
    std::size_t k = 0;
    for (auto& [line, out] : ready) {
      while (k < batch.size() && batch_lines[k] < line) {
        print(batch_lines[k], outcomes[k]);
        ++k;
      }
      print(line, out);
    }
    for (; k < batch.size(); ++k) print(batch_lines[k], outcomes[k]);
    batch.clear();
    batch_lines.clear();
    ready.clear();
  };
  std::string line;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.empty()) continue;
    ingest::Submission sub;
    ingest::Outcome rejected;
    if (o->processor->Admit(line, NowMs(), sub, rejected)) {
      batch.push_back(std::move(sub));
      batch_lines.push_back(line_no);
    } else {
      ready.emplace_back(line_no, std::move(rejected));
    }
    if (batch.size() >= batch_size) flush();
  }
  flush();
  if (auto st = o->processor->store().SaveHeads(); !st.ok()) {
    std::cerr << "ingest: heads file not written (the next open scans instead): " << st.ToString()
              << "\n";
  }
  std::cerr << "ingest: " << accepted << " messages recorded or replayed, " << failed
            << " rejected; ledger size " << o->ledger->size() << "\n";
  return failed == 0 ? 0 : kExitFailure;
}

}  // namespace

void RegisterIngestCommands(CLI::App& app, int& exit_code) {
  static std::string db, file, role, institution, region, label, id;
  static std::size_t batch = 500;

  auto* refdata =
      app.add_subcommand("refdata", "Reference data (catalogue, institutions, calendar)");
  refdata->require_subcommand(1);
  auto* imp = refdata->add_subcommand("import", "Validate and record a reference-data file");
  imp->add_option("--db", db, "Ledger database")->required();
  imp->add_option("file", file, "Reference data JSON (schemas/refdata.schema.json)")->required();
  imp->callback([&] { exit_code = RunRefDataImport(db, file); });

  auto* token = app.add_subcommand("token", "Access tokens for terminals and regulators");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create a token (printed once)");
  create->add_option("--db", db, "Ledger database")->required();
  create->add_option("--role", role, "terminal, regulator or admin")->required();
  create->add_option("--institution", institution, "fixmedins_code (terminal tokens)");
  create->add_option("--region", region, "Admin division a regulator is limited to");
  create->add_option("--label", label, "Free text, e.g. the terminal's name");
  create->callback([&] { exit_code = RunTokenCreate(db, role, institution, region, label); });
  auto* list = token->add_subcommand("list", "List tokens (ids, never secrets)");
  list->add_option("--db", db, "Ledger database")->required();
  list->callback([&] { exit_code = RunTokenList(db); });
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id");
  revoke->add_option("--db", db, "Ledger database")->required();
  revoke->add_option("id", id, "Token id (8 hex digits, from 'token list')")->required();
  revoke->callback([&] { exit_code = RunTokenRevoke(db, id); });

  auto* ing = app.add_subcommand("ingest", "Validate and record messages from NDJSON, no server");
  ing->add_option("--db", db, "Ledger database")->required();
  ing->add_option("--batch", batch, "Messages per transaction")->check(CLI::Range(1, 100000));
  ing->add_option("file", file, "NDJSON file of upload messages, or -")->required();
  ing->callback([&] { exit_code = RunIngest(db, file, batch); });
}

}  // namespace cli
