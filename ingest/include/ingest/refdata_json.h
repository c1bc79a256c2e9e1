// Reference data files (schemas/refdata.schema.json) into the validator's RefData.
#pragma once

#include <string>

#include "ingest/json.h"
#include "validator/refdata.h"

namespace ingest {

// Fills `out` from a document that passed the schema; reports duplicates and impossible values
// (bad dates, unknown classes) with the JSON path. Returns false with `error` set.
bool LoadRefData(const Json& doc, validator::RefData& out, std::string& error);

}  // namespace ingest
