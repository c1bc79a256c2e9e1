#include "ingest/json_schema.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace ingest {

namespace {

using Json = nlohmann::json;

enum TypeBit : std::uint8_t {
  kNull = 1,
  kBoolean = 2,
  kObject = 4,
  kArray = 8,
  kNumber = 16,  // any number, integers included
  kString = 32,
  kInteger = 64,
};

constexpr std::pair<std::string_view, std::uint8_t> kTypeNames[] = {
    {"null", kNull},     {"boolean", kBoolean}, {"object", kObject},   {"array", kArray},
    {"number", kNumber}, {"string", kString},   {"integer", kInteger},
};

// 2020-12 (and earlier-draft) keywords that assert or apply subschemas but are not implemented:
// accepting a schema that uses one would validate less than its author meant.
constexpr std::string_view kUnsupported[] = {
    "$dynamicRef",      "$recursiveRef",     "unevaluatedProperties", "unevaluatedItems",
    "dependentSchemas", "dependentRequired", "dependencies",          "contains",
    "minContains",      "maxContains",       "propertyNames",         "additionalItems",
};

constexpr std::string_view kDraft202012 = "https://json-schema.org/draft/2020-12/schema";

// A backtracking matcher for the regular-expression subset schemas use in practice: literals, ".",
// classes, \d \w \s and their negations, groups with alternation, greedy or lazy quantifiers, and
// the anchors ^ and $. It only answers "is there a match", so greediness and captures do not
// matter. A group may only repeat a bounded number of times, which bounds the recursion by the
// pattern's size, never by the subject's length. Anything else (look-around, back-references, \b,
// non-ASCII) makes Compile() return nullopt, and std::regex is used instead. Subjects are matched
// as bytes.
class FastRegex {
 public:
  static std::optional<FastRegex> Compile(std::string_view pattern) {
    Parser parser{pattern};
    FastRegex regex;
    if (!parser.Alternation(regex.branches_, 0) || parser.pos != pattern.size())
      return std::nullopt;
    if (parser.expansion > kMaxExpansion) return std::nullopt;
    regex.anchored_ = std::all_of(regex.branches_.begin(), regex.branches_.end(),
                                  [](auto& b) { return !b.empty() && b[0].kind == Term::kBegin; });
    return regex;
  }

  bool Search(std::string_view subject) const {
    Matcher m{subject};
    for (std::size_t start = 0; start <= subject.size(); ++start) {
      for (const Sequence& branch : branches_) {
        if (m.Sequence(branch, 0, start, nullptr)) return true;
      }
      if (anchored_) break;
    }
    return false;
  }

 private:
  static constexpr std::size_t kMaxExpansion = 4096;  // terms after unrolling bounded groups
  static constexpr std::uint32_t kUnbounded = UINT32_MAX;

  struct Term;
  using Sequence = std::vector<Term>;
  struct Term {
    enum Kind : std::uint8_t { kSet, kGroup, kBegin, kEnd } kind = kSet;
    std::uint32_t min = 1, max = 1;
    std::bitset<256> set;            // kSet: the bytes it matches
    std::vector<Sequence> branches;  // kGroup: the alternatives
  };

  struct Parser {
    std::string_view p;
    std::size_t pos = 0;
    std::size_t expansion = 0;

    bool Alternation(std::vector<Sequence>& branches, int depth) {
      if (depth > 32) return false;
      while (true) {
        branches.emplace_back();
        if (!Sequence(branches.back(), depth)) return false;
        if (pos == p.size() || p[pos] != '|') return true;
        ++pos;
      }
    }

    bool Sequence(FastRegex::Sequence& seq, int depth) {
      while (pos < p.size() && p[pos] != '|' && p[pos] != ')') {
        Term term;
        const std::size_t before = expansion;
        if (!Atom(term, depth)) return false;
        if (!Quantifier(term)) return false;
        if (term.kind == Term::kGroup) {
          if (term.max == kUnbounded || term.max > kMaxExpansion) return false;
          expansion = before + (expansion - before) * std::max<std::uint32_t>(term.max, 1);
        } else {
          ++expansion;
        }
        if (expansion > kMaxExpansion) return false;
        seq.push_back(std::move(term));
      }
      return true;
    }

    bool Atom(Term& term, int depth) {
      const char c = p[pos++];
      switch (c) {
        case '^':
          term.kind = Term::kBegin;
          return true;
        case '$':
          term.kind = Term::kEnd;
          return true;
        case '(':
          if (pos < p.size() && p[pos] == '?') {
            if (pos + 1 >= p.size() || p[pos + 1] != ':') return false;  // look-around
            pos += 2;
          }
          term.kind = Term::kGroup;
          if (!Alternation(term.branches, depth + 1)) return false;
          if (pos == p.size() || p[pos] != ')') return false;
          ++pos;
          return true;
        case '[':
          return Class(term.set);
        case '.':
          term.set.set();
          term.set.reset('\n');
          term.set.reset('\r');
          return true;
        case '\\':
          return Escape(term.set, false);
        case '*':
        case '+':
        case '?':
        case '{':
        case '}':
        case ']':
        case ')':
          return false;
        default:
          if (static_cast<unsigned char>(c) >= 0x80) return false;
          term.set.set(static_cast<unsigned char>(c));
          return true;
      }
    }

    bool Number(std::uint32_t& out) {
      std::size_t start = pos;
      std::uint64_t value = 0;
      while (pos < p.size() && p[pos] >= '0' && p[pos] <= '9' && pos - start < 6) {
        value = value * 10 + static_cast<std::uint64_t>(p[pos++] - '0');
      }
      out = static_cast<std::uint32_t>(value);
      return pos > start && (pos == p.size() || p[pos] < '0' || p[pos] > '9');
    }

    bool Quantifier(Term& term) {
      if (pos == p.size()) return true;
      const char c = p[pos];
      if (c == '*' || c == '+' || c == '?') {
        term.min = c == '+' ? 1 : 0;
        term.max = c == '?' ? 1 : kUnbounded;
        ++pos;
      } else if (c == '{') {
        ++pos;
        if (!Number(term.min)) return false;
        term.max = term.min;
        if (pos < p.size() && p[pos] == ',') {
          ++pos;
          term.max = kUnbounded;
          if (pos < p.size() && p[pos] != '}' && !Number(term.max)) return false;
        }
        if (pos == p.size() || p[pos] != '}' || term.max < term.min) return false;
        ++pos;
      } else {
        return true;
      }
      if (term.kind == Term::kBegin || term.kind == Term::kEnd) return false;
      if (pos < p.size() && p[pos] == '?') ++pos;  // lazy: the same for a yes/no answer
      return pos == p.size() || (p[pos] != '*' && p[pos] != '+' && p[pos] != '?' && p[pos] != '{');
    }

    static void Range(std::bitset<256>& set, unsigned char lo, unsigned char hi) {
      for (unsigned c = lo; c <= hi; ++c) set.set(c);
    }

    // After a backslash. `in_class`: \b is a backspace there, a word boundary (unsupported)
    // outside.
    bool Escape(std::bitset<256>& set, bool in_class) {
      if (pos == p.size()) return false;
      const char c = p[pos++];
      std::bitset<256> cls;
      switch (c) {
        case 'd':
        case 'D':
          Range(cls, '0', '9');
          break;
        case 'w':
        case 'W':
          Range(cls, '0', '9');
          Range(cls, 'a', 'z');
          Range(cls, 'A', 'Z');
          cls.set('_');
          break;
        case 's':
        case 'S':
          for (char w : {' ', '\t', '\n', '\v', '\f', '\r'}) cls.set(static_cast<unsigned char>(w));
          break;
        case 't':
          set.set('\t');
          return true;
        case 'n':
          set.set('\n');
          return true;
        case 'r':
          set.set('\r');
          return true;
        case 'f':
          set.set('\f');
          return true;
        case 'v':
          set.set('\v');
          return true;
        case 'b':
          if (!in_class) return false;
          set.set('\b');
          return true;
        default:
          // Identity escapes of ASCII punctuation only; letters and digits mean something else.
          if (static_cast<unsigned char>(c) >= 0x80 ||
              std::isalnum(static_cast<unsigned char>(c))) {
            return false;
          }
          set.set(static_cast<unsigned char>(c));
          return true;
      }
      set |= std::isupper(static_cast<unsigned char>(c)) ? ~cls : cls;
      return true;
    }

    bool Class(std::bitset<256>& set) {
      bool negate = false;
      if (pos < p.size() && p[pos] == '^') {
        negate = true;
        ++pos;
      }
      while (pos < p.size() && p[pos] != ']') {
        std::bitset<256> item;
        unsigned char lo = 0;
        if (!ClassAtom(item, lo)) return false;
        if (pos + 1 < p.size() && p[pos] == '-' && p[pos + 1] != ']') {
          ++pos;
          std::bitset<256> hi_item;
          unsigned char hi = 0;
          if (item.count() != 1 || !ClassAtom(hi_item, hi) || hi_item.count() != 1 || hi < lo) {
            return false;
          }
          Range(item, lo, hi);
        }
        set |= item;
      }
      if (pos == p.size()) return false;
      ++pos;  // ']'
      if (negate) set.flip();
      return true;
    }

    bool ClassAtom(std::bitset<256>& item, unsigned char& single) {
      const char c = p[pos++];
      if (c == '\\') {
        if (!Escape(item, true)) return false;
      } else if (c == '[' || static_cast<unsigned char>(c) >= 0x80) {
        return false;
      } else {
        item.set(static_cast<unsigned char>(c));
      }
      if (item.count() == 1) {
        for (unsigned i = 0; i < 256; ++i) {
          if (item.test(i)) single = static_cast<unsigned char>(i);
        }
      }
      return true;
    }
  };

  // What to do after the current sequence ends: continue `seq` at `index`, or, when `group` is
  // set, decide whether `group` (which just matched its `count`-th time from `start`) repeats.
  struct Frame {
    const FastRegex::Sequence* seq;
    std::size_t index;
    const Term* group;
    std::uint32_t count;
    std::size_t start;
    const Frame* next;
  };

  struct Matcher {
    std::string_view s;

    bool Sequence(const FastRegex::Sequence& seq, std::size_t i, std::size_t pos,
                  const Frame* next) const {
      for (; i < seq.size(); ++i) {
        const Term& t = seq[i];
        switch (t.kind) {
          case Term::kBegin:
            if (pos != 0) return false;
            break;
          case Term::kEnd:
            if (pos != s.size()) return false;
            break;
          case Term::kSet: {
            if (t.min == t.max) {  // an exact count leaves nothing to backtrack
              for (std::uint32_t k = 0; k < t.min; ++k, ++pos) {
                if (pos == s.size() || !t.set.test(static_cast<unsigned char>(s[pos])))
                  return false;
              }
              break;
            }
            std::size_t n = 0;
            while (n < t.max && pos + n < s.size() &&
                   t.set.test(static_cast<unsigned char>(s[pos + n]))) {
              ++n;
            }
            if (n < t.min) return false;
            for (;; --n) {
              if (Sequence(seq, i + 1, pos + n, next)) return true;
              if (n == t.min) return false;
            }
          }
          case Term::kGroup: {
            Frame after{&seq, i + 1, nullptr, 0, 0, next};
            return Repeat(t, 0, pos, &after);
          }
        }
      }
      return Resume(next, pos);
    }

    bool Repeat(const Term& group, std::uint32_t count, std::size_t pos, const Frame* after) const {
      if (count < group.max) {
        for (const FastRegex::Sequence& branch : group.branches) {
          Frame again{nullptr, 0, &group, count + 1, pos, after};
          if (Sequence(branch, 0, pos, &again)) return true;
        }
      }
      return count >= group.min && Resume(after, pos);
    }

    bool Resume(const Frame* frame, std::size_t pos) const {
      if (frame == nullptr) return true;
      if (frame->group == nullptr) return Sequence(*frame->seq, frame->index, pos, frame->next);
      // An empty iteration beyond the minimum cannot help (and must not loop).
      if (pos == frame->start && frame->count > frame->group->min) return false;
      return Repeat(*frame->group, frame->count, pos, frame->next);
    }
  };

  std::vector<Sequence> branches_;
  bool anchored_ = false;
};

struct Regex {
  std::string source;
  std::regex re;                  // always compiled: it also checks the syntax
  std::optional<FastRegex> fast;  // used instead of `re` when the pattern is in its subset

  bool Search(const std::string& subject) const {
    return fast ? fast->Search(subject) : std::regex_search(subject, re);
  }
};

// Which keyword groups a node has, so that Check() skips the others without looking.
enum Present : std::uint8_t {
  kHasConstOrEnum = 1,
  kHasNumber = 2,
  kHasString = 4,
  kHasArray = 8,
  kHasObject = 16,
  kHasRef = 32,
  kHasCombinator = 64,  // allOf, anyOf, oneOf, not, if
};

struct Property {
  std::string name;
  int node = -1;
  bool required = false;
  std::uint32_t hash = 0;
};

// A cheap hash of a property name from its length and its first and last 8 bytes; collisions only
// cost a string comparison.
std::uint32_t HashKey(std::string_view key) {
  std::uint64_t head = 0, tail = 0;
  std::memcpy(&head, key.data(), std::min<std::size_t>(key.size(), 8));
  if (key.size() > 8) std::memcpy(&tail, key.data() + key.size() - 8, 8);
  std::uint64_t h = (head ^ (tail * 0x9E3779B97F4A7C15ull) ^ key.size()) * 0xFF51AFD7ED558CCDull;
  return static_cast<std::uint32_t>(h >> 32);
}

struct Node {
  bool is_false = false;     // the boolean schema `false`
  std::uint8_t types = 0;    // TypeBit mask; 0 = any type
  std::uint8_t present = 0;  // Present mask
  std::optional<Json> const_value;
  std::optional<std::vector<Json>> enum_values;
  // Numbers.
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::optional<std::int64_t> multiple_of_int;  // multipleOf when it is a whole number
  // Strings.
  std::optional<std::uint64_t> min_length, max_length;
  std::optional<Regex> pattern;
  // Arrays.
  std::vector<int> prefix_items;
  int items = -1;
  std::optional<std::uint64_t> min_items, max_items;
  bool unique_items = false;
  // Objects.
  std::vector<Property> properties;           // sorted by name, as the schema object iterates
  std::vector<std::uint32_t> property_slots;  // open addressing by hash: property index + 1, 0 free
  std::vector<std::pair<Regex, int>> pattern_properties;
  int additional_properties = -1;
  std::vector<std::string> required;  // without duplicates, in declaration order
  std::optional<std::uint64_t> min_properties, max_properties;
  // Applicators.
  int ref = -1;
  std::vector<int> all_of, any_of, one_of;
  int not_ = -1, if_ = -1, then_ = -1, else_ = -1;
  std::optional<std::string> error_message;
};

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A URI fragment ("/$defs/a%25b/c~1d") as JSON pointer tokens; nullopt when malformed.
std::optional<std::vector<std::string>> FragmentTokens(std::string_view fragment) {
  std::string decoded;
  for (std::size_t i = 0; i < fragment.size(); ++i) {
    if (fragment[i] != '%') {
      decoded += fragment[i];
      continue;
    }
    if (i + 2 >= fragment.size()) return std::nullopt;
    int hi = HexValue(fragment[i + 1]), lo = HexValue(fragment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    decoded += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  std::vector<std::string> tokens;
  if (decoded.empty()) return tokens;
  if (decoded[0] != '/') return std::nullopt;  // a plain-name fragment ($anchor): unsupported
  std::size_t start = 1;
  while (true) {
    std::size_t end = decoded.find('/', start);
    std::string raw = decoded.substr(start, end == std::string::npos ? end : end - start);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        return std::nullopt;
      }
    }
    tokens.push_back(std::move(token));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return tokens;
}

// A non-negative whole number (2 and 2.0 both count), as JSON Schema's length and count keywords
// take.
std::optional<std::uint64_t> NonNegativeInteger(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i >= 0) return static_cast<std::uint64_t>(i);
    return std::nullopt;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d >= 0 && d < 1.8e19 && std::floor(d) == d) return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

bool IsInteger(const Json& v) {
  if (v.is_number_integer()) return true;  // signed and unsigned
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

const char* TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return IsInteger(v) ? "integer" : "number";
    default:
      return "unknown";
  }
}

std::string TypeMaskNames(std::uint8_t mask) {
  std::string out;
  for (const auto& [name, bit] : kTypeNames) {
    if (!(mask & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

std::uint64_t CodePoints(const std::string& s) {
  std::uint64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string FormatNumber(double d) {
  std::ostringstream out;
  out.precision(15);
  out << d;
  return out.str();
}

// Builds the node tree. Nodes are addressed by index: the vector grows while children compile.
class Compiler {
 public:
  explicit Compiler(const Json& root) : root_(root) {}

  bool Run(std::vector<Node>& nodes, int& root, std::string& error) {
    if (root_.is_object()) {
      if (auto id = root_.find("$id"); id != root_.end() && id->is_string()) {
        root_id_ = id->get<std::string>();
        if (!root_id_.empty() && root_id_.back() == '#') root_id_.pop_back();
      }
    }
    if (Compile(root_, "", 0, true) < 0) return Finish(error);
    // Resolve references; a target outside the walked tree (e.g. "#/definitions/x") is compiled
    // on demand, which may add more references to resolve.
    for (std::size_t i = 0; i < pending_refs_.size(); ++i) {
      auto [node, location, tokens] = pending_refs_[i];
      int target = -1;
      if (auto it = by_location_.find(location); it != by_location_.end()) {
        target = it->second;
      } else {
        const Json* at = &root_;
        for (const std::string& token : tokens) {
          at = Step(*at, token);
          if (at == nullptr) {
            error_ = "$ref \"#" + location + "\" does not point into the schema";
            return Finish(error);
          }
        }
        target = Compile(*at, location, 0, false);
        if (target < 0) return Finish(error);
      }
      nodes_[node].ref = target;
      nodes_[node].present |= kHasRef;
    }
    root = CollapseRefs();
    nodes = std::move(nodes_);
    return true;
  }

 private:
  struct PendingRef {
    int node;
    std::string location;  // canonical escaped pointer, "" for the root
    std::vector<std::string> tokens;
  };

  // A node that is nothing but a $ref (annotations aside) is skipped: whoever points at it points
  // at its target instead. Loops of such nodes stay, for the evaluation depth limit to catch.
  // Returns the new root.
  int CollapseRefs() {
    auto pure_ref = [&](int i) {
      const Node& n = nodes_[i];
      return n.present == kHasRef && n.types == 0 && !n.is_false && !n.error_message;
    };
    std::vector<int> alias(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      int target = static_cast<int>(i);
      for (std::size_t steps = 0; pure_ref(target) && steps <= nodes_.size(); ++steps) {
        target = nodes_[target].ref;
      }
      alias[i] = pure_ref(target) ? static_cast<int>(i) : target;
    }
    auto fix = [&](int& child) {
      if (child >= 0) child = alias[child];
    };
    for (Node& n : nodes_) {
      for (int& child : n.prefix_items) fix(child);
      for (Property& p : n.properties) fix(p.node);
      for (auto& [regex, child] : n.pattern_properties) fix(child);
      for (int& child : n.all_of) fix(child);
      for (int& child : n.any_of) fix(child);
      for (int& child : n.one_of) fix(child);
      for (int* child :
           {&n.items, &n.additional_properties, &n.ref, &n.not_, &n.if_, &n.then_, &n.else_}) {
        fix(*child);
      }
    }
    return alias[0];
  }

  bool Finish(std::string& error) {
    error = error_;
    return false;
  }

  static const Json* Step(const Json& at, const std::string& token) {
    if (at.is_object()) {
      auto it = at.find(token);
      return it == at.end() ? nullptr : &*it;
    }
    if (at.is_array()) {
      if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0') ||
          !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return nullptr;
      }
      std::size_t index = std::stoul(token);
      return index < at.size() ? &at[index] : nullptr;
    }
    return nullptr;
  }

  int Fail(const std::string& location, const std::string& message) {
    if (error_.empty()) error_ = "#" + location + ": " + message;
    return -1;
  }

  int Child(const Json& schema, const std::string& location, std::string_view key, int depth) {
    return Compile(schema, location + "/" + EscapePointerToken(key), depth + 1, false);
  }

  bool ChildArray(const Json& value, const std::string& location, std::string_view keyword,
                  int depth, std::vector<int>& out) {
    std::string where = location + "/" + std::string(keyword);
    if (!value.is_array() || value.empty()) {
      Fail(where, "must be a non-empty array of schemas");
      return false;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      int child = Compile(value[i], where + "/" + std::to_string(i), depth + 1, false);
      if (child < 0) return false;
      out.push_back(child);
    }
    return true;
  }

  bool CompileRegex(const Json& value, const std::string& location, Regex& out) {
    if (!value.is_string()) {
      Fail(location, "must be a string (a regular expression)");
      return false;
    }
    out.source = value.get<std::string>();
    try {
      out.re = std::regex(out.source, std::regex::ECMAScript);
      out.fast = FastRegex::Compile(out.source);
    } catch (const std::regex_error& e) {
      Fail(location, "invalid regular expression \"" + out.source + "\": " + e.what());
      return false;
    }
    return true;
  }

  bool Count(const Json& value, const std::string& location, std::string_view keyword,
             std::optional<std::uint64_t>& out) {
    out = NonNegativeInteger(value);
    if (!out) Fail(location + "/" + std::string(keyword), "must be a non-negative integer");
    return out.has_value();
  }

  bool Number(const Json& value, const std::string& location, std::string_view keyword,
              std::optional<double>& out) {
    if (!value.is_number()) {
      Fail(location + "/" + std::string(keyword), "must be a number");
      return false;
    }
    out = value.get<double>();
    return true;
  }

  bool Types(const Json& value, const std::string& location, std::uint8_t& mask) {
    auto one = [&](const Json& name) {
      if (name.is_string()) {
        for (const auto& [type, bit] : kTypeNames) {
          if (name.get<std::string>() == type) {
            mask |= bit;
            return true;
          }
        }
      }
      Fail(location + "/type", "unknown type " + name.dump());
      return false;
    };
    if (!value.is_array()) return one(value);
    if (value.empty()) {
      Fail(location + "/type", "must not be an empty array");
      return false;
    }
    for (const Json& name : value) {
      if (!one(name)) return false;
    }
    return true;
  }

  // Compiles the schema at `location`; returns its node index, or -1 with error_ set.
  int Compile(const Json& schema, const std::string& location, int depth, bool is_root) {
    if (depth > JsonSchema::kMaxDepth) return Fail(location, "schema nested too deeply");
    if (!schema.is_object() && !schema.is_boolean()) {
      return Fail(location, "a schema must be an object or a boolean");
    }
    int index = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    by_location_.emplace(location, index);
    Node node;
    if (schema.is_boolean()) {
      node.is_false = !schema.get<bool>();
      nodes_[index] = std::move(node);
      return index;
    }
    for (const auto& [key, value] : schema.items()) {
      if (!Keyword(key, value, location, depth, is_root, index, node)) return -1;
    }
    Finalize(node);
    nodes_[index] = std::move(node);
    return index;
  }

  // Derives the look-up structures Check() uses.
  static void Finalize(Node& n) {
    std::vector<std::string> required;
    for (std::string& name : n.required) {
      if (std::find(required.begin(), required.end(), name) == required.end()) {
        required.push_back(std::move(name));
      }
    }
    n.required = std::move(required);
    std::size_t slots = 2;
    while (slots < 2 * n.properties.size()) slots *= 2;
    if (!n.properties.empty()) n.property_slots.assign(slots, 0);
    for (std::size_t i = 0; i < n.properties.size(); ++i) {
      Property& p = n.properties[i];
      p.hash = HashKey(p.name);
      p.required = std::find(n.required.begin(), n.required.end(), p.name) != n.required.end();
      std::size_t slot = p.hash & (slots - 1);
      while (n.property_slots[slot] != 0) slot = (slot + 1) & (slots - 1);
      n.property_slots[slot] = static_cast<std::uint32_t>(i + 1);
    }
    if (n.const_value || n.enum_values) n.present |= kHasConstOrEnum;
    if (n.minimum || n.maximum || n.exclusive_minimum || n.exclusive_maximum || n.multiple_of) {
      n.present |= kHasNumber;
    }
    if (n.min_length || n.max_length || n.pattern) n.present |= kHasString;
    if (!n.prefix_items.empty() || n.items >= 0 || n.min_items || n.max_items || n.unique_items) {
      n.present |= kHasArray;
    }
    if (!n.properties.empty() || !n.pattern_properties.empty() || n.additional_properties >= 0 ||
        !n.required.empty() || n.min_properties || n.max_properties) {
      n.present |= kHasObject;
    }
    if (!n.all_of.empty() || !n.any_of.empty() || !n.one_of.empty() || n.not_ >= 0 || n.if_ >= 0) {
      n.present |= kHasCombinator;
    }
  }

  bool Keyword(const std::string& key, const Json& value, const std::string& location, int depth,
               bool is_root, int index, Node& node) {
    const std::string where = location + "/" + EscapePointerToken(key);
    for (std::string_view unsupported : kUnsupported) {
      if (key == unsupported) {
        Fail(location, "keyword \"" + key + "\" is not supported by this validator");
        return false;
      }
    }
    if (key == "$schema") {
      std::string uri = value.is_string() ? value.get<std::string>() : "";
      if (!uri.empty() && uri.back() == '#') uri.pop_back();
      if (uri != kDraft202012) {
        Fail(where, "only draft 2020-12 (" + std::string(kDraft202012) + ") is supported");
        return false;
      }
    } else if (key == "$id") {
      if (!is_root) {
        Fail(where, "$id below the root (an embedded resource) is not supported");
        return false;
      }
    } else if (key == "$ref") {
      return Ref(value, location, index);
    } else if (key == "$defs") {
      if (!value.is_object()) {
        Fail(where, "must be an object of schemas");
        return false;
      }
      for (const auto& [name, sub] : value.items()) {
        if (Child(sub, where, name, depth) < 0) return false;
      }
    } else if (key == "type") {
      return Types(value, location, node.types);
    } else if (key == "enum") {
      if (!value.is_array()) {
        Fail(where, "must be an array");
        return false;
      }
      node.enum_values.emplace(value.begin(), value.end());
    } else if (key == "const") {
      node.const_value = value;
    } else if (key == "properties") {
      if (!value.is_object()) {
        Fail(where, "must be an object of schemas");
        return false;
      }
      for (const auto& [name, sub] : value.items()) {
        int child = Child(sub, where, name, depth);
        if (child < 0) return false;
        node.properties.push_back({name, child});
      }
    } else if (key == "patternProperties") {
      if (!value.is_object()) {
        Fail(where, "must be an object of schemas");
        return false;
      }
      for (const auto& [source, sub] : value.items()) {
        Regex regex;
        if (!CompileRegex(source, where, regex)) return false;
        int child = Child(sub, where, source, depth);
        if (child < 0) return false;
        node.pattern_properties.emplace_back(std::move(regex), child);
      }
    } else if (key == "additionalProperties") {
      return (node.additional_properties = Child(value, location, key, depth)) >= 0;
    } else if (key == "required") {
      if (!value.is_array()) {
        Fail(where, "must be an array of property names");
        return false;
      }
      for (const Json& name : value) {
        if (!name.is_string()) {
          Fail(where, "must be an array of property names");
          return false;
        }
        node.required.push_back(name.get<std::string>());
      }
    } else if (key == "items") {
      if (value.is_array()) {
        Fail(where, "the array form of items is draft-07; use prefixItems");
        return false;
      }
      return (node.items = Child(value, location, key, depth)) >= 0;
    } else if (key == "prefixItems") {
      return ChildArray(value, location, key, depth, node.prefix_items);
    } else if (key == "allOf") {
      return ChildArray(value, location, key, depth, node.all_of);
    } else if (key == "anyOf") {
      return ChildArray(value, location, key, depth, node.any_of);
    } else if (key == "oneOf") {
      return ChildArray(value, location, key, depth, node.one_of);
    } else if (key == "not") {
      return (node.not_ = Child(value, location, key, depth)) >= 0;
    } else if (key == "if") {
      return (node.if_ = Child(value, location, key, depth)) >= 0;
    } else if (key == "then") {
      return (node.then_ = Child(value, location, key, depth)) >= 0;
    } else if (key == "else") {
      return (node.else_ = Child(value, location, key, depth)) >= 0;
    } else if (key == "minItems") {
      return Count(value, location, key, node.min_items);
    } else if (key == "maxItems") {
      return Count(value, location, key, node.max_items);
    } else if (key == "minLength") {
      return Count(value, location, key, node.min_length);
    } else if (key == "maxLength") {
      return Count(value, location, key, node.max_length);
    } else if (key == "minProperties") {
      return Count(value, location, key, node.min_properties);
    } else if (key == "maxProperties") {
      return Count(value, location, key, node.max_properties);
    } else if (key == "uniqueItems") {
      if (!value.is_boolean()) {
        Fail(where, "must be a boolean");
        return false;
      }
      node.unique_items = value.get<bool>();
    } else if (key == "pattern") {
      node.pattern.emplace();
      return CompileRegex(value, where, *node.pattern);
    } else if (key == "minimum") {
      return Number(value, location, key, node.minimum);
    } else if (key == "maximum") {
      return Number(value, location, key, node.maximum);
    } else if (key == "exclusiveMinimum") {
      return Number(value, location, key, node.exclusive_minimum);
    } else if (key == "exclusiveMaximum") {
      return Number(value, location, key, node.exclusive_maximum);
    } else if (key == "multipleOf") {
      if (!Number(value, location, key, node.multiple_of)) return false;
      if (!(*node.multiple_of > 0)) {
        Fail(where, "must be greater than 0");
        return false;
      }
      if (value.is_number_integer() && *node.multiple_of < 9.2e18) {
        node.multiple_of_int = value.get<std::int64_t>();
      }
    } else if (key == "errorMessage") {
      if (!value.is_string()) {
        Fail(where, "must be a string");
        return false;
      }
      node.error_message = value.get<std::string>();
    }
    // Anything else is an annotation (format, title, description, $comment, ...) or unknown.
    return true;
  }

  // Records a reference from node `index`; Run() resolves it once the whole tree is compiled.
  bool Ref(const Json& value, const std::string& location, int index) {
    std::string uri = value.is_string() ? value.get<std::string>() : "";
    if (!root_id_.empty() && uri.compare(0, root_id_.size(), root_id_) == 0) {
      uri.erase(0, root_id_.size());
    }
    std::optional<std::vector<std::string>> tokens;
    if (!uri.empty() && uri[0] == '#') tokens = FragmentTokens(std::string_view(uri).substr(1));
    if (!tokens) {
      Fail(location + "/$ref", "unsupported reference " + value.dump() +
                                   " (only \"#\" and \"#/json/pointer\" within the schema)");
      return false;
    }
    std::string canonical;
    for (const std::string& token : *tokens) {
      canonical += '/';
      canonical += EscapePointerToken(token);
    }
    pending_refs_.push_back({index, std::move(canonical), *tokens});
    return true;
  }

  const Json& root_;
  std::string root_id_;
  std::vector<Node> nodes_;
  std::map<std::string, int> by_location_;
  std::vector<PendingRef> pending_refs_;
  std::string error_;
};

}  // namespace

struct JsonSchema::Compiled {
  std::vector<Node> nodes;
  int root = 0;
};

namespace {

// One validation run: the instance path so far, and the error or abort found.
class Evaluator {
 public:
  explicit Evaluator(const std::vector<Node>& nodes) : nodes_(nodes) {}

  std::optional<JsonSchema::Error> Run(int root, const Json& instance) {
    bool ok = Check(root, instance, true, 0);
    if (abort_) return abort_;
    if (ok) return std::nullopt;
    if (!error_) error_ = JsonSchema::Error{"", "invalid"};
    return error_;
  }

 private:
  struct Segment {
    const std::string* key;  // nullptr for an array index
    std::size_t index;
  };

  // The instance path: every push is followed by a Check() one level deeper, which stops at
  // kMaxDepth, so the path never grows beyond kMaxDepth + 1 segments.
  struct Path {
    std::array<Segment, JsonSchema::kMaxDepth + 2> segments;
    std::size_t size = 0;

    std::string ToString() const {
      std::string out;
      for (std::size_t i = 0; i < size; ++i) {
        out += '/';
        const Segment& s = segments[i];
        out += s.key ? EscapePointerToken(*s.key) : std::to_string(s.index);
      }
      return out;
    }
  };

  // Pushes an instance path segment for the lifetime of the guard.
  class Step {
   public:
    Step(Path& path, const std::string* key, std::size_t index) : path_(path) {
      path_.segments[path_.size++] = {key, index};
    }
    ~Step() { --path_.size; }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    Path& path_;
  };

  // Records the first error; always false. Call as `report && Fail(...)` so that messages are only
  // built when reported (most failures happen silently inside if/anyOf/oneOf/not).
  bool Fail(std::string message) {
    if (!error_) error_ = JsonSchema::Error{path_.ToString(), std::move(message)};
    return false;
  }
  bool FailAt(const std::string& key, std::string message) {
    Step step(path_, &key, 0);
    return Fail(std::move(message));
  }
  // A limit was hit: the whole validation fails, whatever `not` or `anyOf` is around.
  bool Abort(std::string message) {
    if (!abort_) abort_ = JsonSchema::Error{path_.ToString(), std::move(message)};
    return false;
  }

  // 1 equal, 0 different, -1 too deeply nested to tell. Numbers compare by value (1 == 1.0).
  int Equal(const Json& a, const Json& b, int depth) {
    if (depth > JsonSchema::kMaxDepth) return -1;
    if (a.is_number() && b.is_number()) {
      if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
      return a == b;
    }
    if (a.type() != b.type()) return 0;
    if (a.is_array()) {
      if (a.size() != b.size()) return 0;
      for (std::size_t i = 0; i < a.size(); ++i) {
        int e = Equal(a[i], b[i], depth + 1);
        if (e != 1) return e;
      }
      return 1;
    }
    if (a.is_object()) {
      if (a.size() != b.size()) return 0;
      for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia.key() != ib.key()) return 0;
        int e = Equal(ia.value(), ib.value(), depth + 1);
        if (e != 1) return e;
      }
      return 1;
    }
    return a == b;
  }

  bool Check(int index, const Json& v, bool report, int depth) {
    if (abort_) return false;
    if (depth > JsonSchema::kMaxDepth) {
      return Abort("schema evaluation nested deeper than " + std::to_string(JsonSchema::kMaxDepth) +
                   " levels");
    }
    const Node& n = nodes_[index];
    if (CheckNode(n, v, report, depth)) return true;
    // The innermost errorMessage wins: it is the most specific.
    if (report && n.error_message && !abort_ && !custom_message_) {
      error_ = JsonSchema::Error{path_.ToString(), *n.error_message};
      custom_message_ = true;
    }
    return false;
  }

  bool CheckNode(const Node& n, const Json& v, bool report, int depth) {
    if (n.is_false) return report && Fail("no value is allowed here");
    if (!n.types && !n.present) return true;
    if (n.types && !TypeMatches(n.types, v)) {
      return report &&
             Fail(std::string("expected ") + TypeMaskNames(n.types) + ", got " + TypeName(v));
    }
    if (n.present & kHasConstOrEnum) {
      if (n.const_value) {
        int e = Equal(v, *n.const_value, 0);
        if (e < 0) return Abort("value nested too deeply to compare");
        if (e == 0) return report && Fail("must be " + n.const_value->dump());
      }
      if (n.enum_values && !InEnum(n, v, report)) return false;
    }
    switch (v.type()) {
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
      case Json::value_t::number_float:
        if ((n.present & kHasNumber) && !CheckNumber(n, v, report)) return false;
        break;
      case Json::value_t::string:
        if ((n.present & kHasString) && !CheckString(n, v.get_ref<const std::string&>(), report)) {
          return false;
        }
        break;
      case Json::value_t::array:
        if ((n.present & kHasArray) && !CheckArray(n, v, report, depth)) return false;
        break;
      case Json::value_t::object:
        if ((n.present & kHasObject) && !CheckObject(n, v, report, depth)) return false;
        break;
      default:
        break;
    }
    if ((n.present & kHasRef) && !Check(n.ref, v, report, depth + 1)) return false;
    return !(n.present & kHasCombinator) || CheckApplicators(n, v, report, depth);
  }

  static bool TypeMatches(std::uint8_t mask, const Json& v) {
    switch (v.type()) {
      case Json::value_t::null:
        return mask & kNull;
      case Json::value_t::boolean:
        return mask & kBoolean;
      case Json::value_t::object:
        return mask & kObject;
      case Json::value_t::array:
        return mask & kArray;
      case Json::value_t::string:
        return mask & kString;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
        return mask & (kNumber | kInteger);
      case Json::value_t::number_float:
        return (mask & kNumber) || ((mask & kInteger) && IsInteger(v));
      default:
        return false;
    }
  }

  bool InEnum(const Node& n, const Json& v, bool report) {
    for (const Json& option : *n.enum_values) {
      int e = Equal(v, option, 0);
      if (e < 0) return Abort("value nested too deeply to compare");
      if (e == 1) return true;
    }
    if (!report) return false;
    std::string options;
    for (const Json& option : *n.enum_values) {
      if (!options.empty()) options += ", ";
      options += option.dump();
    }
    return report && Fail("must be one of " + options);
  }

  bool CheckNumber(const Node& n, const Json& v, bool report) {
    const double x = v.get<double>();
    if (n.minimum && !(x >= *n.minimum)) {
      return report && Fail("must be at least " + FormatNumber(*n.minimum));
    }
    if (n.maximum && !(x <= *n.maximum)) {
      return report && Fail("must be at most " + FormatNumber(*n.maximum));
    }
    if (n.exclusive_minimum && !(x > *n.exclusive_minimum)) {
      return report && Fail("must be greater than " + FormatNumber(*n.exclusive_minimum));
    }
    if (n.exclusive_maximum && !(x < *n.exclusive_maximum)) {
      return report && Fail("must be less than " + FormatNumber(*n.exclusive_maximum));
    }
    if (n.multiple_of && !IsMultiple(n, v, x)) {
      return report && Fail("must be a multiple of " + FormatNumber(*n.multiple_of));
    }
    return true;
  }

  static bool IsMultiple(const Node& n, const Json& v, double x) {
    if (n.multiple_of_int && v.is_number_integer() && !v.is_number_unsigned()) {
      return v.get<std::int64_t>() % *n.multiple_of_int == 0;
    }
    if (n.multiple_of_int && v.is_number_unsigned()) {
      return v.get<std::uint64_t>() % static_cast<std::uint64_t>(*n.multiple_of_int) == 0;
    }
    double q = x / *n.multiple_of;
    if (!std::isfinite(q)) return false;
    // Tolerates the binary rounding of decimal divisors (0.3 / 0.001 = 299.99999999999994).
    return std::fabs(q - std::round(q)) <= 1e-12 * std::max(1.0, std::fabs(q));
  }

  bool CheckString(const Node& n, const std::string& s, bool report) {
    // A code point takes 1 to 4 bytes, so the byte length often settles both limits uncounted.
    const bool max_unsure = n.max_length && s.size() > *n.max_length;
    const bool min_unsure = n.min_length && s.size() / 4 < *n.min_length;
    if (max_unsure || min_unsure) {
      std::uint64_t length = CodePoints(s);
      if (n.min_length && length < *n.min_length) {
        return report && Fail("must be at least " + std::to_string(*n.min_length) + " characters");
      }
      if (n.max_length && length > *n.max_length) {
        return report && Fail("must be at most " + std::to_string(*n.max_length) + " characters");
      }
    }
    if (n.pattern) {
      if (s.size() > JsonSchema::kMaxPatternInput) return Abort("string too long to match");
      if (!n.pattern->Search(s)) {
        return report && Fail("does not match the pattern " + n.pattern->source);
      }
    }
    return true;
  }

  bool CheckArray(const Node& n, const Json& v, bool report, int depth) {
    if (n.min_items && v.size() < *n.min_items) {
      return report && Fail("must have at least " + std::to_string(*n.min_items) + " items");
    }
    if (n.max_items && v.size() > *n.max_items) {
      return report && Fail("must have at most " + std::to_string(*n.max_items) + " items");
    }
    std::size_t i = 0;
    for (; i < v.size() && i < n.prefix_items.size(); ++i) {
      Step step(path_, nullptr, i);
      if (!Check(n.prefix_items[i], v[i], report, depth + 1)) return false;
    }
    if (n.items >= 0) {
      const bool none_allowed = nodes_[n.items].is_false;
      for (; i < v.size(); ++i) {
        Step step(path_, nullptr, i);
        if (none_allowed) {
          return report && Fail("no item allowed here (at most " +
                                std::to_string(n.prefix_items.size()) + " items)");
        }
        if (!Check(n.items, v[i], report, depth + 1)) return false;
      }
    }
    if (n.unique_items) {
      for (std::size_t a = 1; a < v.size(); ++a) {
        for (std::size_t b = 0; b < a; ++b) {
          int e = Equal(v[a], v[b], 0);
          if (e < 0) return Abort("value nested too deeply to compare");
          if (e == 1) {
            Step step(path_, nullptr, a);
            return report &&
                   Fail("duplicates item " + std::to_string(b) + " (items must be unique)");
          }
        }
      }
    }
    return true;
  }

  // Index of the declared property `key`, or -1.
  static int FindProperty(const Node& n, const std::string& key) {
    if (n.properties.empty()) return -1;
    const std::uint32_t hash = HashKey(key);
    const std::size_t mask = n.property_slots.size() - 1;
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t entry = n.property_slots[slot];
      if (entry == 0) return -1;
      const Property& p = n.properties[entry - 1];
      if (p.hash == hash && p.name == key) return static_cast<int>(entry - 1);
    }
  }

  // Restores the scratch stack of matched properties when an object check returns.
  class ScratchGuard {
   public:
    explicit ScratchGuard(std::vector<int>& scratch) : scratch_(scratch), size_(scratch.size()) {}
    ~ScratchGuard() { scratch_.resize(size_); }
    ScratchGuard(const ScratchGuard&) = delete;
    ScratchGuard& operator=(const ScratchGuard&) = delete;

   private:
    std::vector<int>& scratch_;
    std::size_t size_;
  };

  // For a schema that declares a few properties of a large object (if/then on one field): look
  // them up instead of walking every key. Same order as the walk: by property name.
  bool CheckFewProperties(const Node& n, const Json& v, bool report, int depth) {
    for (const std::string& name : n.required) {
      if (!v.contains(name)) return report && FailAt(name, "required property is missing");
    }
    for (const Property& p : n.properties) {
      auto it = v.find(p.name);
      if (it == v.end()) continue;
      Step step(path_, &it.key(), 0);
      if (nodes_[p.node].is_false) return report && Fail("property is not allowed");
      if (!Check(p.node, *it, report, depth + 1)) return false;
    }
    return true;
  }

  bool CheckObject(const Node& n, const Json& v, bool report, int depth) {
    if (n.min_properties && v.size() < *n.min_properties) {
      return report &&
             Fail("must have at least " + std::to_string(*n.min_properties) + " properties");
    }
    if (n.max_properties && v.size() > *n.max_properties) {
      return report &&
             Fail("must have at most " + std::to_string(*n.max_properties) + " properties");
    }
    if (n.pattern_properties.empty() && n.additional_properties < 0 &&
        n.properties.size() * 4 < v.size()) {
      return CheckFewProperties(n, v, report, depth);
    }
    // Pass 1: find each key's declared property (kept on the scratch stack for pass 2) and count
    // the required ones, so that a complete object costs no look-ups in the instance.
    ScratchGuard guard(matched_);
    const std::size_t base = matched_.size();
    std::size_t required_seen = 0;
    if (!n.properties.empty()) {
      matched_.resize(base + v.size());
      std::size_t i = base;
      for (auto it = v.begin(); it != v.end(); ++it, ++i) {
        matched_[i] = FindProperty(n, it.key());
        if (matched_[i] >= 0 && n.properties[matched_[i]].required) ++required_seen;
      }
    }
    if (required_seen != n.required.size()) {
      for (const std::string& name : n.required) {
        if (!v.contains(name)) return report && FailAt(name, "required property is missing");
      }
    }
    if (n.properties.empty() && n.pattern_properties.empty() && n.additional_properties < 0) {
      return true;
    }
    // Pass 2: validate each value.
    std::size_t i = base;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      const std::string& key = it.key();
      Step step(path_, &key, 0);
      const int property = n.properties.empty() ? -1 : matched_[i];
      bool matched = property >= 0;
      if (matched) {
        const int child = n.properties[property].node;
        if (nodes_[child].is_false) return report && Fail("property is not allowed");
        if (!Check(child, it.value(), report, depth + 1)) return false;
      }
      for (const auto& [regex, child] : n.pattern_properties) {
        if (key.size() > JsonSchema::kMaxPatternInput) return Abort("property name too long");
        if (!regex.Search(key)) continue;
        matched = true;
        if (!Check(child, it.value(), report, depth + 1)) return false;
      }
      if (!matched && n.additional_properties >= 0) {
        if (nodes_[n.additional_properties].is_false) {
          return report && Fail("unknown property (not allowed here)");
        }
        if (!Check(n.additional_properties, it.value(), report, depth + 1)) return false;
      }
    }
    return true;
  }

  bool CheckApplicators(const Node& n, const Json& v, bool report, int depth) {
    for (int child : n.all_of) {
      if (!Check(child, v, report, depth + 1)) return false;
    }
    if (!n.any_of.empty()) {
      bool any = false;
      for (int child : n.any_of) {
        if (Check(child, v, false, depth + 1)) {
          any = true;
          break;
        }
      }
      if (!any) return report && Fail("matches none of the allowed alternatives (anyOf)");
    }
    if (!n.one_of.empty()) {
      int matches = 0;
      for (int child : n.one_of) {
        if (Check(child, v, false, depth + 1) && ++matches > 1) break;
      }
      if (matches == 0) return report && Fail("matches none of the alternatives (oneOf)");
      if (matches > 1) return report && Fail("matches more than one alternative (oneOf)");
    }
    if (n.not_ >= 0 && Check(n.not_, v, false, depth + 1)) {
      return report && Fail("must not match the schema in \"not\"");
    }
    if (n.if_ >= 0) {
      if (Check(n.if_, v, false, depth + 1)) {
        if (n.then_ >= 0 && !Check(n.then_, v, report, depth + 1)) return false;
      } else {
        if (n.else_ >= 0 && !Check(n.else_, v, report, depth + 1)) return false;
      }
    }
    return !abort_;
  }

  const std::vector<Node>& nodes_;
  Path path_;
  std::vector<int> matched_;  // scratch stack: per instance key, its declared property or -1
  std::optional<JsonSchema::Error> error_;
  std::optional<JsonSchema::Error> abort_;
  bool custom_message_ = false;
};

}  // namespace

std::optional<JsonSchema> JsonSchema::Load(const nlohmann::json& schema, std::string& error) {
  auto compiled = std::make_shared<Compiled>();
  Compiler compiler(schema);
  if (!compiler.Run(compiled->nodes, compiled->root, error)) return std::nullopt;
  return JsonSchema(std::move(compiled));
}

std::optional<JsonSchema> JsonSchema::LoadFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  Json schema = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) {
    error = path + ": not valid JSON";
    return std::nullopt;
  }
  auto loaded = Load(schema, error);
  if (!loaded) error = path + ": " + error;
  return loaded;
}

std::optional<JsonSchema::Error> JsonSchema::Validate(const nlohmann::json& instance) const {
  Evaluator evaluator(compiled_->nodes);
  return evaluator.Run(compiled_->root, instance);
}

}  // namespace ingest
