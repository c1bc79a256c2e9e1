// Registers the suspect-case read routes (GET /v1/suspects, GET /v1/cases/{id}) on the regulator
// API; they run on its reader thread like every regulator query, audited the same way.
#pragma once

#include "ingest/regulator.h"

namespace ingest {

void AddSuspectRoutes(RegulatorApi& api);

}  // namespace ingest
