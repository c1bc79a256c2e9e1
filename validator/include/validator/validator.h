// The validator: judges one uploaded row against the reference data and the current state of each
// pack it names, and returns the verdict, the findings and the new pack states. Pure: no I/O, no
// clock, no exceptions for bad data. Rules and the state machine: docs/rules.md.
//
// Ingest's loop, one row at a time (rows strictly in order; `overlay` holds this batch's updates):
//   PreparedRow p = Prepare(row, voided_original_or_null);
//   for (auto& id : p.identities) load its CodeState (overlay first, then SQLite;
//                                 CodeState::Unreadable() when Decode fails) into ctx.states;
//   Judgement j = Validate(p, ref, ctx);
//   store j.verdict, j.findings, j.updates, j.no_code_draw_milli with the ledger entry atomically;
//   ApplyUpdates(j, overlay); NoteSeen(p, seen_in_message);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "validator/code.h"
#include "validator/findings.h"
#include "validator/refdata.h"
#include "validator/row.h"
#include "validator/state.h"

namespace validator {

using StateMap = StringMap<CodeState>;
using IdentitySet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// A row with every scanned code parsed once. Holds pointers into `row` (and `voided`): they must
// outlive it.
struct PreparedRow {
  const Row* row = nullptr;
  std::vector<ParsedCode> codes;  // parallel to row->codes
  const Row* voided = nullptr;    // 3507: the original row being voided, when ingest found it
  std::vector<ParsedCode> voided_codes;
  // Distinct pack identities of this row and of the voided row: the states ingest must load.
  std::vector<std::string> identities;
};

PreparedRow Prepare(const Row& row, const Row* voided_original = nullptr);

// The current state of one pack, as ingest loaded it. Both views must outlive Validate().
struct KnownState {
  std::string_view identity;
  const CodeState* state = nullptr;  // never null
};

struct Context {
  // Current states of the packs in PreparedRow::identities; a pack not listed has never been seen.
  std::span<const KnownState> states;
  // Identities scanned in earlier rows of the same message (DUPLICATE_SCAN); nullptr = none.
  const IdentitySet* seen_in_message = nullptr;
  // Remaining 无码库 boxes of this drug at this institution; nullopt = the declared amount in
  // RefData (nothing drawn yet).
  std::optional<Quantity> no_code_balance;
  // The institution uploads its receipts (3503), so a sale of a pack it never received is
  // NOT_RECEIVED.
  bool uploads_receipts = false;
  // 3507 only: the voided original's verdict and 无码库 draw, as stored with its ledger entry.
  Verdict voided_verdict = Verdict::kOk;
  std::int64_t voided_no_code_draw_milli = 0;
};

struct StateUpdate {
  std::string identity;
  CodeState state;
};

struct Judgement {
  Verdict verdict = Verdict::kOk;
  std::vector<Finding> findings;
  // New states to persist; empty when the verdict is block (a blocked row changes nothing).
  std::vector<StateUpdate> updates;
  // Thousandths of a box to subtract from the 无码库 balance (negative: restore, after a void).
  std::int64_t no_code_draw_milli = 0;
};

// Never throws for bad data; a row it cannot judge gets a finding saying why.
Judgement Validate(const PreparedRow& row, const RefData& ref, const Context& ctx);
// Convenience for tests and one-off calls: Prepare + Validate (no voided original).
Judgement Validate(const Row& row, const RefData& ref, const Context& ctx);

// Helpers for a caller that keeps states in memory (ingest's batch overlay, tests, bench).
// The states in `states` of the row's identities; the views point into `states` and `row`.
std::vector<KnownState> GatherStates(const PreparedRow& row, const StateMap& states);
void ApplyUpdates(const Judgement& judgement, StateMap& states);
void ApplyUpdates(Judgement&& judgement, StateMap& states);  // moves the states out
void NoteSeen(const PreparedRow& row, IdentitySet& seen_in_message);

}  // namespace validator
