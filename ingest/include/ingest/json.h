// JSON input as drugtrace accepts it: strict UTF-8, bounded nesting, and no binary floating point —
// a number with a fraction or exponent, or an integer too large for 64 bits, is kept as the decimal
// text it was sent as (a JSON string), so nothing a terminal sent is rounded.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ingest {

using Json = nlohmann::json;

struct JsonParseOptions {
  int max_depth = 16;
  std::size_t max_string = 1 << 20;
};

// nullopt with `error` ("line 1, column 17: ...") on malformed input.
std::optional<Json> ParseJson(std::string_view text, std::string& error,
                              const JsonParseOptions& options = {});

// Canonical form: keys sorted, no insignificant whitespace, integers and strings only (a float in
// `value` is a programming error and is written as its shortest decimal string).
std::string CanonicalJson(const Json& value);

// Appends `text` (valid UTF-8) as a JSON string exactly as CanonicalJson writes it: quotes,
// backslash and control characters escaped, everything else verbatim. For hot paths that write
// JSON by hand instead of building a Json value first.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace ingest
