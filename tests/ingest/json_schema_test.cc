#include "ingest/json_schema.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

using ingest::JsonSchema;
using nlohmann::json;
namespace fs = std::filesystem;

// The official JSON-Schema-Test-Suite. Debian's json-schema-test-suite (2.0.0) stops at draft 7;
// the draft 2020-12 files ship inside libtest-json-schema-acceptance-perl (suite commit 47958f8).
constexpr const char* kSuite202012 =
    "/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests/draft2020-12";
constexpr const char* kSuiteDraft7 = "/usr/share/json-schema-test-suite/tests/draft7";

// A whole file (group == nullptr) or one test group left out, and why.
struct Skip {
  const char* file;
  const char* group;
  const char* reason;
};

const Skip kSkips202012[] = {
    {"anchor.json", nullptr, "$anchor plain-name references are not supported"},
    {"contains.json", nullptr, "contains is not supported (refused at load)"},
    {"minContains.json", nullptr, "minContains is not supported (refused at load)"},
    {"maxContains.json", nullptr, "maxContains is not supported (refused at load)"},
    {"dependentRequired.json", nullptr, "dependentRequired is not supported (refused at load)"},
    {"dependentSchemas.json", nullptr, "dependentSchemas is not supported (refused at load)"},
    {"dynamicRef.json", nullptr, "$dynamicRef is not supported (refused at load)"},
    {"propertyNames.json", nullptr, "propertyNames is not supported (refused at load)"},
    {"unevaluatedItems.json", nullptr, "unevaluatedItems is not supported (refused at load)"},
    {"unevaluatedProperties.json", nullptr,
     "unevaluatedProperties is not supported (refused at load)"},
    {"id.json", nullptr, "embedded $id resources are not supported"},
    {"refRemote.json", nullptr, "remote references"},
    {"defs.json", nullptr, "validates against the remote 2020-12 metaschema"},
    {"vocabulary.json", nullptr, "custom metaschemas and $vocabulary (remote references)"},
    {"ref.json", "remote ref, containing refs itself", "remote metaschema reference"},
    {"ref.json", "Recursive references between schemas", "embedded $id and relative references"},
    {"ref.json", "ref creates new scope when adjacent to keywords", "unevaluatedProperties"},
    {"ref.json", "refs with relative uris and defs", "embedded $id and relative references"},
    {"ref.json", "relative refs with absolute uris and defs", "embedded $id"},
    {"ref.json", "$id must be resolved against nearest parent, not just immediate parent",
     "embedded $id"},
    {"ref.json", "order of evaluation: $id and $ref", "embedded $id and relative references"},
    {"ref.json", "order of evaluation: $id and $anchor and $ref", "embedded $id and $anchor"},
    {"ref.json", "simple URN base URI with $ref via the URN", "embedded $id"},
    {"ref.json", "URN base URI with NSS", "embedded $id"},
    {"ref.json", "URN base URI with r-component", "embedded $id"},
    {"ref.json", "URN base URI with q-component", "embedded $id"},
    {"ref.json", "URN base URI with f-component", "remote metaschema reference"},
    {"ref.json", "URN base URI with URN and anchor ref", "$anchor reference"},
    {"ref.json", "URN ref with nested pointer ref", "embedded $id"},
    {"ref.json", "ref to if", "embedded $id"},
    {"ref.json", "ref to then", "embedded $id"},
    {"ref.json", "ref to else", "embedded $id"},
    {"ref.json", "ref with absolute-path-reference", "embedded $id"},
    {"not.json", "collect annotations inside a 'not', even if collection is disabled",
     "unevaluatedProperties"},
    {"unknownKeyword.json", nullptr, "embedded $id resources are not supported"},
};

// Draft-07 files whose keywords mean the same in 2020-12 run after a mechanical translation (items
// array -> prefixItems, additionalItems -> items); the rest are draft-07 semantics we do not speak.
const Skip kSkipsDraft7[] = {
    {"contains.json", nullptr, "contains is not supported"},
    {"dependencies.json", nullptr, "dependencies is draft-07 only"},
    {"propertyNames.json", nullptr, "propertyNames is not supported"},
    {"ref.json", nullptr, "draft-07 $ref ignores its siblings and resolves $id; 2020-12 differs"},
    {"refRemote.json", nullptr, "remote references"},
    {"definitions.json", nullptr, "validates against the remote draft-07 metaschema"},
};

std::optional<json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json value = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

const Skip* FindSkip(const std::vector<Skip>& skips, const std::string& file,
                     const std::string* group) {
  for (const Skip& s : skips) {
    if (file != s.file) continue;
    if (s.group == nullptr || (group && *group == s.group)) return &s;
  }
  return nullptr;
}

// Rewrites draft-07 tuple validation into its 2020-12 spelling, in schema positions only.
json FromDraft7(json schema) {
  if (!schema.is_object()) return schema;
  for (const char* key : {"additionalProperties", "not", "if", "then", "else", "items",
                          "additionalItems", "contains", "propertyNames"}) {
    if (schema.contains(key)) schema[key] = FromDraft7(schema[key]);
  }
  for (const char* key : {"properties", "patternProperties", "definitions", "$defs"}) {
    if (!schema.contains(key) || !schema[key].is_object()) continue;
    for (auto& [name, sub] : schema[key].items()) sub = FromDraft7(sub);
  }
  for (const char* key : {"allOf", "anyOf", "oneOf", "items"}) {
    if (!schema.contains(key) || !schema[key].is_array()) continue;
    for (auto& sub : schema[key]) sub = FromDraft7(sub);
  }
  if (schema.contains("items") && schema["items"].is_array()) {
    schema["prefixItems"] = std::move(schema["items"]);
    schema.erase("items");
    if (schema.contains("additionalItems")) {
      schema["items"] = std::move(schema["additionalItems"]);
      schema.erase("additionalItems");
    }
  } else {
    schema.erase("additionalItems");  // without an items array it has no effect
  }
  return schema;
}

struct SuiteCounts {
  int files_run = 0;
  int passed = 0;
  int skipped = 0;
  std::set<std::string> skipped_files;
};

// Runs every *.json file directly in `dir` (not optional/: optional behaviour), honouring `skips`.
// Each mismatch is a failed CHECK naming file, group and test.
SuiteCounts RunSuite(const std::string& dir, const std::vector<Skip>& skips, bool draft7) {
  SuiteCounts counts;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    const std::string file = path.filename().string();
    auto groups = ReadJson(path);
    REQUIRE(groups);
    const Skip* file_skip = FindSkip(skips, file, nullptr);
    if (!file_skip) ++counts.files_run;
    for (const json& group : *groups) {
      const std::string description = group.at("description").get<std::string>();
      const json& tests = group.at("tests");
      if (file_skip || FindSkip(skips, file, &description)) {
        counts.skipped += static_cast<int>(tests.size());
        counts.skipped_files.insert(file);
        continue;
      }
      std::string error;
      auto schema =
          JsonSchema::Load(draft7 ? FromDraft7(group.at("schema")) : group.at("schema"), error);
      INFO(file << " / " << description);
      CHECK(error == "");
      if (!schema) continue;
      for (const json& test : tests) {
        const bool expected = test.at("valid").get<bool>();
        auto result = schema->Validate(test.at("data"));
        INFO("test: " << test.at("description").get<std::string>() << ", data "
                      << test.at("data").dump()
                      << (result ? ", error " + result->ToString() : std::string()));
        CHECK(!result.has_value() == expected);
        if (!result.has_value() == expected) ++counts.passed;
      }
    }
  }
  return counts;
}

void Report(const char* name, const SuiteCounts& counts) {
  std::cout << "JSON-Schema-Test-Suite " << name << ": " << counts.files_run << " files run, "
            << counts.passed << " cases passed, " << counts.skipped
            << " cases skipped (files with skips:";
  for (const std::string& f : counts.skipped_files) std::cout << ' ' << f;
  std::cout << "; optional/ not run)\n";
}

bool SuitePresent(const char* dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec);
}

}  // namespace

TEST_CASE("JSON-Schema-Test-Suite draft 2020-12 passes for every supported keyword", "[schema]") {
  if (!SuitePresent(kSuite202012)) {
    FAIL("missing "
         << kSuite202012
         << ": run scripts/setup.sh (Debian package libtest-json-schema-acceptance-perl)");
  }
  SuiteCounts counts = RunSuite(kSuite202012, {std::begin(kSkips202012), std::end(kSkips202012)},
                                /*draft7=*/false);
  Report("draft2020-12", counts);
  CHECK(counts.files_run >= 30);
  CHECK(counts.passed >= 700);
}

TEST_CASE("JSON-Schema-Test-Suite draft 7 passes where the keywords mean the same", "[schema]") {
  if (!SuitePresent(kSuiteDraft7)) {
    FAIL("missing " << kSuiteDraft7
                    << ": run scripts/setup.sh (Debian package json-schema-test-suite)");
  }
  SuiteCounts counts = RunSuite(kSuiteDraft7, {std::begin(kSkipsDraft7), std::end(kSkipsDraft7)},
                                /*draft7=*/true);
  Report("draft7", counts);
  CHECK(counts.files_run >= 25);
  CHECK(counts.passed >= 300);
}

namespace {

JsonSchema MustLoad(const json& schema) {
  std::string error;
  auto loaded = JsonSchema::Load(schema, error);
  INFO(error);
  REQUIRE(loaded);
  return *loaded;
}

std::string LoadError(const json& schema) {
  std::string error;
  auto loaded = JsonSchema::Load(schema, error);
  CHECK_FALSE(loaded);
  return error;
}

// "path: message" of the first error, or "ok".
std::string Check(const JsonSchema& schema, const json& instance) {
  auto error = schema.Validate(instance);
  return error ? error->path + ": " + error->message : "ok";
}

std::string Source(const std::string& relative) {
  return std::string(DRUGTRACE_SOURCE_DIR) + "/" + relative;
}

}  // namespace

TEST_CASE("schema errors name the instance path and the problem", "[schema]") {
  auto schema = MustLoad(R"({
    "type": "object",
    "properties": {
      "rows": {"type": "array", "items": {"$ref": "#/$defs/row"}},
      "a/b~c": {"type": "integer"}
    },
    "$defs": {"row": {"type": "object", "required": ["cnt"], "additionalProperties": false,
                      "properties": {"cnt": {"type": "string", "pattern": "^[0-9]+$"},
                                     "codes": {"type": "array", "maxItems": 2}}}}
  })"_json);
  CHECK(Check(schema, R"({"rows": [{"cnt": "1"}]})"_json) == "ok");
  CHECK(Check(schema, R"([])"_json) == ": expected object, got array");
  CHECK(Check(schema, R"({"rows": [{"cnt": "1"}, {"cnt": 2}]})"_json) ==
        "/rows/1/cnt: expected string, got integer");
  CHECK(Check(schema, R"({"rows": [{"cnt": "x"}]})"_json) ==
        "/rows/0/cnt: does not match the pattern ^[0-9]+$");
  CHECK(Check(schema, R"({"rows": [{}]})"_json) == "/rows/0/cnt: required property is missing");
  CHECK(Check(schema, R"({"rows": [{"cnt": "1", "psn_name": "x"}]})"_json) ==
        "/rows/0/psn_name: unknown property (not allowed here)");
  CHECK(Check(schema, R"({"rows": [{"cnt": "1", "codes": [1, 2, 3]}]})"_json) ==
        "/rows/0/codes: must have at most 2 items");
  CHECK(Check(schema, R"({"a/b~c": 1.5})"_json) == "/a~1b~0c: expected integer, got number");
  auto error = schema.Validate(R"({"a/b~c": "1"})"_json);
  REQUIRE(error);
  CHECK(error->ToString() == "/a~1b~0c: expected integer, got string");
  CHECK(MustLoad(R"({"type": "integer"})"_json).Validate(json::array())->ToString() ==
        "/: expected integer, got array");
}

TEST_CASE("schema messages for numbers, strings, enums and combinators", "[schema]") {
  auto schema = MustLoad(R"({"properties": {
    "n": {"minimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.001},
    "i": {"type": "integer"},
    "s": {"minLength": 2, "maxLength": 3},
    "e": {"enum": ["0", "1", 0, 1]},
    "c": {"const": "3505"},
    "u": {"uniqueItems": true},
    "o": {"oneOf": [{"type": "string"}, {"type": ["string", "boolean"], "maxLength": 2}]},
    "x": {"not": {"type": "null"}},
    "t": {"prefixItems": [{}], "items": false}
  }})"_json);
  CHECK(Check(schema, R"({"n": -1})"_json) == "/n: must be at least 0");
  CHECK(Check(schema, R"({"n": 10})"_json) == "/n: must be less than 10");
  CHECK(Check(schema, R"({"n": 0.3})"_json) == "ok");  // 0.3 / 0.001 is not exact in binary
  CHECK(Check(schema, R"({"n": 1.0005})"_json) == "/n: must be a multiple of 0.001");
  CHECK(Check(schema, R"({"i": 1.0})"_json) == "ok");  // a zero fraction is an integer
  CHECK(Check(schema, R"({"i": 1.5})"_json) == "/i: expected integer, got number");
  CHECK(Check(schema, R"({"s": "药品"})"_json) == "ok");  // code points, not bytes
  CHECK(Check(schema, R"({"s": "阿卡波糖"})"_json) == "/s: must be at most 3 characters");
  CHECK(Check(schema, R"({"s": "药"})"_json) == "/s: must be at least 2 characters");
  CHECK(Check(schema, R"({"e": 1.0})"_json) == "ok");
  CHECK(Check(schema, R"({"e": 2})"_json) == "/e: must be one of \"0\", \"1\", 0, 1");
  CHECK(Check(schema, R"({"c": "3506"})"_json) == "/c: must be \"3505\"");
  CHECK(Check(schema, R"({"u": [1, {"a": [1]}, {"a": [1.0]}]})"_json) ==
        "/u/2: duplicates item 1 (items must be unique)");
  CHECK(Check(schema, R"({"o": 5})"_json) == "/o: matches none of the alternatives (oneOf)");
  CHECK(Check(schema, R"({"o": "a"})"_json) == "/o: matches more than one alternative (oneOf)");
  CHECK(Check(schema, R"({"o": "abc"})"_json) == "ok");
  CHECK(Check(schema, R"({"x": null})"_json) == "/x: must not match the schema in \"not\"");
  CHECK(Check(schema, R"({"t": [1, 2]})"_json) == "/t/1: no item allowed here (at most 1 items)");
}

TEST_CASE("schema errorMessage replaces the message, the innermost one wins", "[schema]") {
  auto schema = MustLoad(R"({
    "errorMessage": "outer",
    "properties": {
      "q": {"type": ["string", "number"], "errorMessage": "bad quantity",
            "if": {"type": "string"}, "then": {"pattern": "^[0-9]+$"}, "else": {"minimum": 0}},
      "psn_name": {"not": {}, "errorMessage": "personal information is not accepted"},
      "other": {"type": "string"}
    }
  })"_json);
  CHECK(Check(schema, R"({"q": "1.x"})"_json) == "/q: bad quantity");
  CHECK(Check(schema, R"({"q": -1})"_json) == "/q: bad quantity");
  CHECK(Check(schema, R"({"q": true})"_json) == "/q: bad quantity");
  CHECK(Check(schema, R"({"psn_name": "张三"})"_json) ==
        "/psn_name: personal information is not accepted");
  CHECK(Check(schema, R"({"other": 1})"_json) == ": outer");
}

TEST_CASE("schema refs resolve JSON pointers with ~0, ~1 and percent-encoding", "[schema]") {
  auto schema = MustLoad(R"({
    "$id": "https://drugtrace.example/s.json",
    "properties": {"a": {"$ref": "#/$defs/t~0x"}, "b": {"$ref": "#/$defs/s~1y"},
                   "c": {"$ref": "#/$defs/p%25z"}, "d": {"$ref": "https://drugtrace.example/s.json#/$defs/t~0x"},
                   "e": {"$ref": "#/properties/a"}, "f": {"$ref": "#/definitions/old"},
                   "self": {"$ref": "#"}},
    "$defs": {"t~x": {"type": "integer"}, "s/y": {"type": "string"}, "p%z": {"type": "null"}},
    "definitions": {"old": {"type": "boolean"}}
  })"_json);
  CHECK(Check(schema, R"({"a": 1, "b": "x", "c": null, "d": 2, "e": 3, "f": true})"_json) == "ok");
  CHECK(Check(schema, R"({"a": "1"})"_json) == "/a: expected integer, got string");
  CHECK(Check(schema, R"({"b": 1})"_json) == "/b: expected string, got integer");
  CHECK(Check(schema, R"({"c": 1})"_json) == "/c: expected null, got integer");
  CHECK(Check(schema, R"({"d": "x"})"_json) == "/d: expected integer, got string");
  CHECK(Check(schema, R"({"e": "x"})"_json) == "/e: expected integer, got string");
  CHECK(Check(schema, R"({"f": 1})"_json) == "/f: expected boolean, got integer");
  CHECK(Check(schema, R"({"self": {"self": {"a": "x"}}})"_json) ==
        "/self/self/a: expected integer, got string");
}

TEST_CASE("schema load refuses what it cannot validate", "[schema]") {
  CHECK(LoadError(R"({"$defs": {"row": {"unevaluatedProperties": false}}})"_json) ==
        "#/$defs/row: keyword \"unevaluatedProperties\" is not supported by this validator");
  for (const char* keyword : {"$dynamicRef", "dependentSchemas", "dependentRequired", "contains",
                              "minContains", "propertyNames", "additionalItems", "dependencies"}) {
    json schema = {{"properties", {{"x", {{keyword, json::object()}}}}}};
    INFO(keyword);
    CHECK(LoadError(schema).find(std::string("\"") + keyword + "\" is not supported") !=
          std::string::npos);
  }
  CHECK(LoadError(R"({"items": [{}, {}]})"_json) ==
        "#/items: the array form of items is draft-07; use prefixItems");
  CHECK(LoadError(R"({"$ref": "other.json#/a"})"_json).find("unsupported reference") !=
        std::string::npos);
  CHECK(LoadError(R"({"$ref": "#foo"})"_json).find("unsupported reference") != std::string::npos);
  CHECK(LoadError(R"({"$ref": "#/$defs/missing"})"_json) ==
        "$ref \"#/$defs/missing\" does not point into the schema");
  CHECK(LoadError(R"({"$defs": {"a": {"$id": "a.json"}}})"_json) ==
        "#/$defs/a/$id: $id below the root (an embedded resource) is not supported");
  CHECK(LoadError(R"({"$schema": "http://json-schema.org/draft-07/schema#"})"_json)
            .find("only draft 2020-12") != std::string::npos);
  CHECK(LoadError(R"({"pattern": "("})"_json).find("#/pattern: invalid regular expression") == 0);
  CHECK(LoadError(R"({"type": "int"})"_json) == "#/type: unknown type \"int\"");
  CHECK(LoadError(R"({"minLength": -1})"_json) == "#/minLength: must be a non-negative integer");
  CHECK(LoadError(R"({"multipleOf": 0})"_json) == "#/multipleOf: must be greater than 0");
  CHECK(LoadError(R"(3)"_json) == "#: a schema must be an object or a boolean");
  // Unknown keywords and annotations are fine, and their contents are not schemas.
  MustLoad(R"({"format": "date", "x-note": {"$ref": "elsewhere.json"}, "title": "t"})"_json);

  std::string error;
  CHECK_FALSE(JsonSchema::LoadFile("/nonexistent/upload.schema.json", error));
  CHECK(error == "cannot open /nonexistent/upload.schema.json");
}

TEST_CASE("schema recursion is bounded and never turns into a pass", "[schema]") {
  // A reference loop that consumes no instance.
  auto loop = MustLoad(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
                           "$ref": "#/$defs/a"})"_json);
  auto error = loop.Validate(1);
  REQUIRE(error);
  CHECK(error->message.find("nested deeper than") != std::string::npos);
  // Under "not", hitting the limit must still fail the instance.
  auto negated = MustLoad(R"({"not": {"$ref": "#"}})"_json);
  CHECK(negated.Validate(1).has_value());
  // A recursive schema over a deep instance: an error, not a stack overflow.
  auto nested = MustLoad(R"({"type": "array", "items": {"$ref": "#"}})"_json);
  json deep = json::array();
  for (int i = 0; i < 10000; ++i) deep = json::array({std::move(deep)});
  error = nested.Validate(deep);
  REQUIRE(error);
  CHECK(error->message.find("nested deeper than") != std::string::npos);
  json shallow = json::array();
  for (int i = 0; i < 50; ++i) shallow = json::array({std::move(shallow)});
  CHECK_FALSE(nested.Validate(shallow));
  // Schemas nested beyond the limit are refused at load.
  json schema = json::object();
  for (int i = 0; i < 200; ++i) schema = {{"not", std::move(schema)}};
  CHECK(LoadError(schema).find("schema nested too deeply") != std::string::npos);
  // A regex is never run on an unbounded string.
  auto pattern = MustLoad(R"({"pattern": "^[0-9]+$"})"_json);
  CHECK(pattern.Validate(std::string(JsonSchema::kMaxPatternInput + 1, '1'))->message ==
        "string too long to match");
}

TEST_CASE("refdata schema loads and its example validates", "[schema]") {
  std::string error;
  auto schema = JsonSchema::LoadFile(Source("schemas/refdata.schema.json"), error);
  INFO(error);
  REQUIRE(schema);
  auto example = ReadJson(Source("schemas/examples/refdata.example.json"));
  REQUIRE(example);
  CHECK(Check(*schema, *example) == "ok");
}

namespace {

JsonSchema UploadSchema() {
  std::string error;
  auto schema = JsonSchema::LoadFile(Source("schemas/upload.schema.json"), error);
  INFO(error);
  REQUIRE(schema);
  return *schema;
}

json Example(const std::string& infno) {
  auto example = ReadJson(Source("schemas/examples/upload-" + infno + ".json"));
  INFO("schemas/examples/upload-" << infno << ".json");
  REQUIRE(example);
  return *example;
}

}  // namespace

TEST_CASE("upload schema accepts every example message", "[schema]") {
  JsonSchema schema = UploadSchema();
  for (const char* infno : {"3501", "3503", "3505", "3506", "3507"}) {
    INFO(infno);
    CHECK(Check(schema, Example(infno)) == "ok");
  }
  // 3502 and 3504 have no example file: their rows are built from the others.
  json stock = Example("3501");
  stock["infno"] = "3502";
  stock["input"] = {{"stkinfo",
                     {{{"fixmedins_bchno", "K1"},
                       {"med_list_codg", "XA10BFA001A001010101001"},
                       {"fixmedins_hilist_id", "YP000451"},
                       {"fixmedins_hilist_name", "阿卡波糖片"},
                       {"inv_chg_type", "105"},
                       {"cnt", 1},
                       {"inv_chg_time", "2025-07-31 19:00:00"}}}}};
  CHECK(Check(schema, stock) == "ok");
  json purchase_return = Example("3503");
  purchase_return["infno"] = "3504";
  CHECK(Check(schema, purchase_return) == "ok");
}

TEST_CASE("upload schema rejects bad messages at the offending field", "[schema]") {
  JsonSchema schema = UploadSchema();
  const std::string row = "/input/selinfo/0";
  struct Case {
    const char* pointer;  // field to change in the 3505 example
    json value;           // nullptr: remove the field
    std::string path;     // expected error path
    std::string message;  // expected substring of the message
  };
  const std::string bad_count = "non-negative decimal with at most 3 decimals";
  const std::vector<Case> cases = {
      {"/msgid", nullptr, "/msgid", "required property is missing"},
      {"/msgid", std::string(65, 'm'), "/msgid", "at most 64 characters"},
      {"/msgid", "has space", "/msgid", "pattern"},
      {"/infno", "3508", "/infno", "must be one of"},
      {"/infno", 3505, "/infno", "expected string, got integer"},
      {"/fixmedins_code", "p123", "/fixmedins_code", "pattern"},
      {"/inf_time", "2025-08-01T09:30:15", "/inf_time", "pattern"},
      {"/opter_name", "", "/opter_name", "at least 1 characters"},
      {"/extra", 1, "/extra", "unknown property"},
      {"/input", json::array(), "/input", "expected object, got array"},
      {"/input/selinfo", json::array(), "/input/selinfo", "at least 1 items"},
      {"/input/purcinfo", json::array({json::object()}), "/input/purcinfo", "unknown property"},
      {"/input/selinfo/0/sel_retn_cnt", "-1", row + "/sel_retn_cnt", bad_count},
      {"/input/selinfo/0/sel_retn_cnt", "1.2345", row + "/sel_retn_cnt", bad_count},
      {"/input/selinfo/0/sel_retn_cnt", -1, row + "/sel_retn_cnt", bad_count},
      {"/input/selinfo/0/sel_retn_cnt", 1.0005, row + "/sel_retn_cnt", bad_count},
      {"/input/selinfo/0/sel_retn_cnt", "1e3", row + "/sel_retn_cnt", bad_count},
      {"/input/selinfo/0/sel_retn_cnt", nullptr, row + "/sel_retn_cnt", "required"},
      {"/input/selinfo/0/sel_retn_time", "2025/08/01 09:29:58", row + "/sel_retn_time", "pattern"},
      {"/input/selinfo/0/trdn_flag", 2, row + "/trdn_flag", "must be one of"},
      {"/input/selinfo/0/trdn_flag", "yes", row + "/trdn_flag", "must be one of"},
      {"/input/selinfo/0/mdtrt_setl_type", 3, row + "/mdtrt_setl_type", "must be one of"},
      {"/input/selinfo/0/setl_id", nullptr, row + "/setl_id", "required property is missing"},
      {"/input/selinfo/0/setl_id", "", row + "/setl_id", "at least 1 characters"},
      {"/input/selinfo/0/rtal_docno", nullptr, row + "/rtal_docno", "required"},
      {"/input/selinfo/0/expy_end", "2027-13-01", row + "/expy_end", "pattern"},
      {"/input/selinfo/0/finl_trns_pric", "-3", row + "/finl_trns_pric", "price"},
      {"/input/selinfo/0/psn_name", "张三", row + "/psn_name", "personal information"},
      {"/input/selinfo/0/certno", "130802199001011234", row + "/certno", "personal information"},
      {"/input/selinfo/0/psn_hash", "ab", row + "/psn_hash", "unknown property"},
      {"/input/selinfo/0/drugtracinfo/0/drug_trac_codg", std::string(101, '8'),
       row + "/drugtracinfo/0/drug_trac_codg", "at most 100 characters"},
      {"/input/selinfo/0/drugtracinfo/0/code", "8", row + "/drugtracinfo/0/code",
       "unknown property"},
      {"/input/selinfo/0/drugtracinfo", json::array({"81000010000123456789"}),
       row + "/drugtracinfo/0", "expected object, got string"},
  };
  for (const Case& c : cases) {
    json message = Example("3505");
    json::json_pointer pointer(c.pointer);
    if (c.value.is_null()) {
      message[pointer.parent_pointer()].erase(pointer.back());
    } else {
      message[pointer] = c.value;
    }
    INFO(c.pointer << " = " << c.value.dump());
    auto error = schema.Validate(message);
    REQUIRE(error);
    CHECK(error->path == c.path);
    CHECK_THAT(error->message, Catch::Contains(c.message));
  }

  // Limits: rows per message and codes per row.
  json message = Example("3505");
  json& rows = message["input"]["selinfo"];
  while (rows.size() < 501) rows.push_back(rows[0]);
  CHECK(Check(schema, message) == "/input/selinfo: must have at most 500 items");
  message = Example("3505");
  json& codes = message["input"]["selinfo"][0]["drugtracinfo"];
  while (codes.size() < 1001) codes.push_back(codes[0]);
  CHECK(Check(schema, message) == row + "/drugtracinfo: must have at most 1000 items");

  // The body must match infno: a 3506 needs the sale it reverses, a 3507 a data type.
  message = Example("3505");
  message["infno"] = "3506";
  CHECK(Check(schema, message) == row + "/medins_prod_sel_no: required property is missing");
  message = Example("3507");
  message["input"]["data"][0].erase("inv_data_type");
  CHECK(Check(schema, message) == "/input/data/0/inv_data_type: required property is missing");
  message = Example("3503");
  message["infno"] = "3505";
  CHECK(Check(schema, message) == "/input/selinfo: required property is missing");
  // Optional fields may be null or "" (absent); a self-pay sale needs no settlement id.
  message = Example("3505");
  message["input"]["selinfo"][1]["manu_lotnum"] = nullptr;
  message["input"]["selinfo"][1]["expy_end"] = "";
  message["input"]["selinfo"][1]["finl_trns_pric"] = "";
  message["input"]["selinfo"][1].erase("drugtracinfo");  // no codes is a rule finding, not a 400
  CHECK(Check(schema, message) == "ok");
}
