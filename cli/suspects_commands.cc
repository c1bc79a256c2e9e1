// Suspect cases for regulators: `suspects` lists ranked cases, `case show|act` shows one with its
// history and records workflow actions in the ledger (docs/suspects.md).
#include <cstdio>
#include <iostream>

#include "common.h"
#include "ingest/suspects.h"
#include "ledger/ingest_store.h"
#include "ledger/ledger.h"

namespace cli {

namespace {

struct SuspectArgs {
  std::string db, from, to, region, type, status, format = "table";
  std::size_t limit = 0;
  std::int64_t overbuy = 10;
};

struct CaseArgs {
  std::string db, id, action, reason, actor, assignee, recovered, format = "table";
};

std::optional<std::unique_ptr<ledger::Ledger>> OpenLedger(const std::string& db, bool read_only,
                                                          const std::string& context) {
  ledger::OpenOptions opts;
  opts.read_only = read_only;
  opts.load_signer = false;
  auto l = ledger::Ledger::Open(db, opts);
  if (!l.ok()) {
    Fail(context + ": " + db, l.status());
    return std::nullopt;
  }
  return std::move(*l);
}

// "12345" fen -> "123.45".
std::string Yuan(std::int64_t fen) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", fen < 0 ? "-" : "",
                static_cast<long long>((fen < 0 ? -fen : fen) / 100),
                static_cast<long long>((fen < 0 ? -fen : fen) % 100));
  return buf;
}

std::string JoinInstitutions(const ingest::Case& c) {
  std::string s;
  for (const auto& i : c.institutions) s += (s.empty() ? "" : ",") + i;
  return s;
}

void PrintTable(const std::vector<ingest::Case>& cases) {
  std::printf("%-4s %-36s %-13s %12s %5s %5s  %s\n", "#", "case", "status", "at risk", "packs",
              "rows", "institutions / summary");
  int rank = 0;
  for (const auto& c : cases) {
    std::printf("%-4d %-36s %-13s %12s %5d %5zu  %s\n", ++rank, c.id.c_str(),
                ingest::CaseStatusName(c.status), Yuan(c.amount_at_risk_fen).c_str(), c.packs,
                c.evidence.size(), JoinInstitutions(c).c_str());
    std::printf("%60s %s\n", "", c.summary_zh.c_str());
  }
  if (cases.empty()) std::printf("no suspect cases\n");
}

int RunSuspects(const SuspectArgs& a) {
  ingest::SuspectQuery q;
  if (!a.from.empty() || !a.to.empty()) {
    if (a.from.empty() || a.to.empty()) {
      return Fail("suspects: give --from and --to together (YYYY-MM-DD)");
    }
    auto from = ingest::ParseQueryDate(a.from, "--from");
    if (!from.ok()) return Fail("suspects", from.status());
    auto to = ingest::ParseQueryDate(a.to, "--to");
    if (!to.ok()) return Fail("suspects", to.status());
    q.from = *from;
    q.to = *to;
  }
  q.region = a.region;
  if (!a.type.empty()) {
    q.type = ingest::CaseTypeFromName(a.type);
    if (!q.type) {
      return Fail("suspects: --type \"" + a.type +
                  "\" is unknown (pack_chain, collector, resale, code_reuse, split_over, "
                  "product_swap, return_anomaly, patient_returned, patient_overbuy)");
    }
  }
  if (!a.status.empty()) {
    q.status = ingest::CaseStatusFromName(a.status);
    if (!q.status) {
      return Fail("suspects: --status \"" + a.status +
                  "\" is unknown (open, investigating, confirmed, dismissed)");
    }
  }
  q.limit = a.limit;
  q.overbuy_boxes_per_month = a.overbuy;
  auto l = OpenLedger(a.db, true, "suspects");
  if (!l) return kExitFailure;
  if (a.format == "csv") {
    // Streamed: one case's evidence in memory at a time (a month can hold millions of items).
    // Every read happens before the first case is given, so an error still prints nothing.
    bool header = false;
    auto st = ingest::ForEachCase(**l, q, [&](ingest::Case&& c) {
      if (!header) std::cout << ingest::CasesCsvHeader();
      header = true;
      std::cout << ingest::CaseCsvLine(c);
      return ledger::Status::Ok();
    });
    if (!st.ok()) return Fail("suspects", st);
    if (!header) std::cout << ingest::CasesCsvHeader();
    return 0;
  }
  auto cases = ingest::BuildCases(**l, q);
  if (!cases.ok()) return Fail("suspects", cases.status());
  if (a.format == "json") {
    std::cout << ingest::CasesJson(*cases, q) << "\n";
  } else {
    PrintTable(*cases);
  }
  return 0;
}

void PrintCase(const ingest::Case& c) {
  std::printf(
      "case %s (%s, %04d-%02d)\nstatus: %s%s\namount at risk: %s yuan (paid %s), "
      "recovered %s yuan\nkey: %s\ninstitutions: %s\n%s\n%s\n\nevidence:\n",
      c.id.c_str(), ingest::CaseTypeName(c.type), c.month / 100, c.month % 100,
      ingest::CaseStatusName(c.status),
      c.assignee.empty() ? "" : (", assigned to " + c.assignee).c_str(),
      Yuan(c.amount_at_risk_fen).c_str(), Yuan(c.amount_paid_fen).c_str(),
      Yuan(c.recovered_fen).c_str(), c.key.c_str(), JoinInstitutions(c).c_str(),
      c.summary_zh.c_str(), c.summary_en.c_str());
  for (const auto& e : c.evidence) {
    std::printf("  entry %-10llu %-10s %-14s %d %s settle=%d %-5s %10s at risk %10s  %s\n",
                static_cast<unsigned long long>(e.entry), e.role.c_str(), e.institution.c_str(),
                e.infno, e.time.c_str(), e.settle, e.verdict.c_str(), Yuan(e.amount_fen).c_str(),
                Yuan(e.at_risk_fen).c_str(), e.rules.c_str());
  }
  std::printf("\nhistory:%s\n", c.history.empty() ? " none" : "");
  for (const auto& h : c.history) {
    std::printf("  entry %llu: %s by %s: %s -> %s%s%s%s\n",
                static_cast<unsigned long long>(h.entry), h.action.c_str(), h.actor.c_str(),
                h.status_before.c_str(), h.status_after.c_str(),
                h.reason.empty() ? "" : ("; " + h.reason).c_str(),
                h.assignee.empty() ? "" : ("; assigned to " + h.assignee).c_str(),
                h.recovered_fen == 0 ? "" : ("; recovered " + Yuan(h.recovered_fen)).c_str());
  }
}

int RunCaseShow(const CaseArgs& a) {
  auto l = OpenLedger(a.db, true, "case show");
  if (!l) return kExitFailure;
  // The detail view lists every event of the packs: that needs ingest's pack index.
  auto store = ledger::IngestStore::Open(**l);
  if (!store.ok()) return Fail("case show: " + a.db, store.status());
  ingest::SuspectQuery opts;
  opts.pack_history = [&](std::string_view id) { return (*store)->PackHistory(id); };
  auto c = ingest::ShowCase(**l, a.id, opts);
  if (!c.ok()) return Fail("case show", c.status());
  if (a.format == "json") {
    std::cout << ingest::CaseJson(*c) << "\n";
  } else {
    PrintCase(*c);
  }
  return 0;
}

int RunCaseAct(const CaseArgs& a) {
  ingest::CaseActionRequest req;
  req.case_id = a.id;
  req.action = a.action;
  req.actor = a.actor;
  req.reason = a.reason;
  req.assignee = a.assignee;
  if (!a.recovered.empty()) {
    auto fen = ingest::ParseYuan(a.recovered);
    if (!fen.ok()) return Fail("case act: --recovered", fen.status());
    req.recovered_fen = *fen;
  }
  auto l = OpenLedger(a.db, false, "case act");
  if (!l) return kExitFailure;
  auto prepared = ingest::PrepareCaseAction(**l, req, NowMs());
  if (!prepared.ok()) return Fail("case act", prepared.status());
  auto entry = ingest::RecordCaseAction(**l, *prepared);
  if (!entry.ok()) return Fail("case act", entry.status());
  std::cout << "case " << prepared->record.case_id << ": " << prepared->record.action << " by "
            << prepared->record.actor << ", " << prepared->record.status_before << " -> "
            << prepared->record.status_after << " (ledger entry " << *entry << ")\n";
  return 0;
}

}  // namespace

void RegisterSuspectCommands(CLI::App& app, int& exit_code) {
  static SuspectArgs s;
  static CaseArgs c;
  auto* sus = app.add_subcommand("suspects", "Ranked suspect cases for regulators");
  sus->add_option("--db", s.db, "Ledger database")->required();
  sus->add_option("--from", s.from, "First business date, YYYY-MM-DD (with --to)");
  sus->add_option("--to", s.to, "Last business date, YYYY-MM-DD (default: the latest month)");
  sus->add_option("--region", s.region, "Admin division code (130800 covers 1308xx)");
  sus->add_option("--type", s.type, "Case type (docs/suspects.md)");
  sus->add_option("--status", s.status, "open, investigating, confirmed or dismissed");
  sus->add_option("--limit", s.limit, "At most this many cases (0: all)");
  sus->add_option("--overbuy-boxes", s.overbuy, "Boxes per month that make an over-buy")
      ->check(CLI::Range(1, 1000000));
  sus->add_option("--format", s.format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  sus->callback([&] { exit_code = RunSuspects(s); });

  auto* cs = app.add_subcommand("case", "One suspect case: show it, or act on it");
  cs->require_subcommand(1);
  auto* show = cs->add_subcommand("show", "A case with its evidence and history");
  show->add_option("--db", c.db, "Ledger database")->required();
  show->add_option("case_id", c.id, "Case id from 'suspects'")->required();
  show->add_option("--format", c.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  show->callback([&] { exit_code = RunCaseShow(c); });
  auto* act = cs->add_subcommand("act", "Record an action on a case in the ledger");
  act->add_option("--db", c.db, "Ledger database")->required();
  act->add_option("case_id", c.id, "Case id from 'suspects'")->required();
  act->add_option("--action", c.action, "investigate, confirm, dismiss, annotate or assign")
      ->required()
      ->check(CLI::IsMember({"investigate", "confirm", "dismiss", "annotate", "assign"}));
  act->add_option("--actor", c.actor, "Who takes the action")->required();
  act->add_option("--reason", c.reason, "Why (required for confirm, dismiss, annotate)");
  act->add_option("--assignee", c.assignee, "Who investigates (assign)");
  act->add_option("--recovered", c.recovered, "Amount recovered, yuan (confirm)");
  act->callback([&] { exit_code = RunCaseAct(c); });
}

}  // namespace cli
