// A JSON Schema (draft 2020-12) validator for the keyword subset drugtrace's own schemas use
// (schemas/*.schema.json). The schema is compiled once into a tree of nodes; Validate() then walks
// that tree with no parsing and next to no allocation, and is safe to call from many
// threads at once. A 5-row sale message takes about 10 µs.
//
// Supported: type (string or array; "integer" is any number with a zero fraction), enum, const,
// properties, required, additionalProperties, patternProperties, items (2020-12 meaning),
// prefixItems, minItems/maxItems, uniqueItems, minLength/maxLength (Unicode code points), pattern
// (ECMAScript syntax, unanchored search over the UTF-8 bytes, so keep patterns ASCII; the common
// subset runs on a built-in matcher compiled at Load, the rest on std::regex; pair a pattern with
// maxLength), minimum/maximum/exclusiveMinimum/exclusiveMaximum,
// multipleOf, minProperties/maxProperties, $ref to "#" and "#/json/pointer" (also prefixed with the
// root's $id), $defs, allOf/anyOf/oneOf/not, if/then/else, boolean schemas.
// Ignored as annotations: format, title, description, default, examples, $comment, $anchor,
// deprecated, readOnly, writeOnly, content*, and any keyword nobody knows.
// Refused at Load (so a schema is never silently under-validated): applicators and assertions of
// 2020-12 that are not implemented ($dynamicRef, unevaluatedProperties, dependentSchemas, contains,
// propertyNames, ...), draft-07 forms (items as an array, additionalItems, dependencies), $ref to
// anything but the same document, $id below the root, and $schema other than draft 2020-12.
//
// Extension: "errorMessage": "<text>" on a schema object replaces the message of any failure inside
// that schema object; the error path is then the instance location the schema object applies to.
//
// Limits: evaluation nesting (applicators and $ref) is bounded, and a regex is never run on a
// string longer than kMaxPatternInput bytes; either limit makes Validate() fail, never pass.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ingest {

class JsonSchema {
 public:
  static constexpr int kMaxDepth = 128;                      // schema nesting, load and validate
  static constexpr std::size_t kMaxPatternInput = 16 << 10;  // bytes a pattern is matched against

  // The first failure found. `path` is a JSON pointer into the instance ("" is the root,
  // "/input/selinfo/0/sel_retn_cnt"); for a missing required property or a property that is not
  // allowed, it names that property. `message` says what is wrong in English.
  struct Error {
    std::string path;
    std::string message;
    std::string ToString() const { return (path.empty() ? "/" : path) + ": " + message; }
  };

  // nullopt with `error` ("#/$defs/row: keyword \"contains\" is not supported") when the schema is
  // malformed or uses something this validator does not implement.
  static std::optional<JsonSchema> Load(const nlohmann::json& schema, std::string& error);
  // Reads and parses a schema file, then Load()s it.
  static std::optional<JsonSchema> LoadFile(const std::string& path, std::string& error);

  // nullopt when `instance` is valid.
  std::optional<Error> Validate(const nlohmann::json& instance) const;

  struct Compiled;  // the node tree; defined in json_schema.cc

 private:
  explicit JsonSchema(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;  // immutable, so copies share it
};

}  // namespace ingest
