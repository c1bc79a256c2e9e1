// The compact facts of one judged upload row (ledger::RowFact), written beside its entry so the
// regulators' reports aggregate columns instead of re-reading every entry's JSON. How each fact
// is derived is defined in docs/reports.md.
#pragma once

#include <span>
#include <vector>

#include "ledger/ingest_store.h"
#include "validator/refdata.h"
#include "validator/validator.h"

namespace ingest {

ledger::RowFact MakeRowFact(const validator::PreparedRow& row, const validator::Judgement& j,
                            const validator::RefData& ref);

// A pack's history (`drugtrace history`) walks its code events, and the validator only updates
// the packs a row moved. For every pack the row named that it did not move (a blocked resale, a
// refused return, a void with nothing to undo) this appends an event carrying the pack's state
// unchanged (`known`; a never-seen pack keeps the empty state, status unseen), so that the row
// still appears in the pack's history. Judging is unaffected: the state read back is the same.
void AppendUnchangedEvents(const validator::PreparedRow& row, const validator::Judgement& j,
                           std::span<const validator::KnownState> known,
                           std::vector<ledger::CodeEvent>& out);

}  // namespace ingest
