// The regulator web console (console/*, docs/console.md): static files compiled into the binary
// (scripts/embed.cmake) and served at "/" and "/console/..."; the daemon adds its strict
// Content-Security-Policy and the other security headers to every response.
// The console itself only talks to the regulator API; nothing here touches the ledger.
#pragma once

#include <string_view>

#include "ingest/http.h"

namespace ingest {

// True for the paths the console answers: "/" and everything under "/console/".
bool IsConsolePath(std::string_view path);

// The asset for `path` (GET or HEAD), 404 for a console path with no such file, 405 for other
// methods.
HttpResponse ConsoleAsset(std::string_view method, std::string_view path);

}  // namespace ingest
