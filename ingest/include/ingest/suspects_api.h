// Registers the suspect-case routes on the regulator API: GET /v1/suspects and GET /v1/cases/{id}
// run on its reader thread like every regulator query; POST /v1/cases/{id}/actions is validated
// there and recorded by the writer thread. All are audited the same way.
#pragma once

#include "ingest/regulator.h"

namespace ingest {

void AddSuspectRoutes(RegulatorApi& api);

}  // namespace ingest
