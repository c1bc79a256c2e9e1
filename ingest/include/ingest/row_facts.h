// The compact facts of one judged upload row (ledger::RowFact), written beside its entry so the
// regulators' reports aggregate columns instead of re-reading every entry's JSON. How each fact
// is derived is defined in docs/reports.md.
#pragma once

#include "ledger/ingest_store.h"
#include "validator/refdata.h"
#include "validator/validator.h"

namespace ingest {

ledger::RowFact MakeRowFact(const validator::PreparedRow& row, const validator::Judgement& j,
                            const validator::RefData& ref);

}  // namespace ingest
