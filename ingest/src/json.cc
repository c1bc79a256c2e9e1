#include "ingest/json.h"

#include <vector>

namespace ingest {

namespace {

// A SAX handler that builds the DOM like nlohmann's own, but keeps non-integer numbers as their
// original text and enforces depth and string limits.
class Builder : public nlohmann::json_sax<Json> {
 public:
  explicit Builder(const JsonParseOptions& o) : opts_(o) {}

  bool null() override { return Put(nullptr); }
  bool boolean(bool v) override { return Put(v); }
  bool number_integer(number_integer_t v) override { return Put(v); }
  bool number_unsigned(number_unsigned_t v) override {
    // Out of int64 range: keep the text, it is a decimal for our purposes.
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return Put(std::to_string(v));
    return Put(static_cast<number_integer_t>(v));
  }
  bool number_float(number_float_t, const string_t& text) override { return Put(text); }
  bool string(string_t& v) override {
    if (v.size() > opts_.max_string) return Fail("string longer than the limit");
    return Put(std::move(v));
  }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool key(string_t& k) override {
    if (k.size() > opts_.max_string) return Fail("key longer than the limit");
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    if (error_.empty()) {
      error_ = ex.what();
      // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> from "line".
      if (auto p = error_.find("line "); p != std::string::npos) error_ = error_.substr(p);
      error_ += " (byte " + std::to_string(position) + ")";
    }
    return false;
  }

  Json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  bool Fail(const std::string& why) {
    if (error_.empty()) error_ = why;
    return false;
  }
  Json* Slot(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    // One map look-up: emplace refuses a key that is already there.
    auto& members = parent.get_ref<Json::object_t&>();
    auto [it, inserted] = members.emplace(key_, std::move(v));
    if (!inserted) {
      Fail("duplicate key '" + key_ + "'");
      return nullptr;
    }
    return &it->second;
  }
  bool Put(Json v) { return Slot(std::move(v)) != nullptr; }
  bool Open(Json v) {
    if (static_cast<int>(stack_.size()) >= opts_.max_depth) {
      return Fail("nested deeper than " + std::to_string(opts_.max_depth) + " levels");
    }
    Json* slot = Slot(std::move(v));
    if (slot == nullptr) return false;
    stack_.push_back(slot);
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  const JsonParseOptions& opts_;
  Json root_;
  std::vector<Json*> stack_;
  std::string key_;
  std::string error_;
};

}  // namespace

std::optional<Json> ParseJson(std::string_view text, std::string& error,
                              const JsonParseOptions& options) {
  Builder b(options);
  bool ok = false;
  try {
    ok = Json::sax_parse(text, &b, Json::input_format_t::json, /*strict=*/true);
  } catch (const Json::exception& e) {  // only from unexpected internal states
    error = e.what();
    return std::nullopt;
  }
  if (!ok) {
    error = b.error().empty() ? "malformed JSON" : b.error();
    return std::nullopt;
  }
  return std::move(b.root());
}

std::string CanonicalJson(const Json& value) {
  // nlohmann's object type is a std::map: keys come out sorted; dump(-1) adds no whitespace.
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::strict);
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending unescaped run
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(text.substr(run));
  out.push_back('"');
}

}  // namespace ingest
