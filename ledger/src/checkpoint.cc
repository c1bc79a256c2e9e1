// C2SP tlog-checkpoint note text (https://c2sp.org/tlog-checkpoint) with drugtrace's "chain"
// extension line.
#include "ledger/checkpoint.h"

#include <charconv>

#include "ledger/note.h"

namespace ledger {
namespace {

constexpr std::string_view kChainKeyword = "chain";

// Decimal, no sign, no leading zeros except "0" itself, fits in 64 bits.
Result<std::uint64_t> ParseTreeSize(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("checkpoint: empty tree size");
  for (char c : s) {
    if (c < '0' || c > '9') return Status::InvalidArgument("checkpoint: tree size is not decimal");
  }
  if (s.size() > 1 && s[0] == '0') {
    return Status::InvalidArgument("checkpoint: tree size has leading zeros");
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Status::InvalidArgument("checkpoint: tree size does not fit in 64 bits");
  }
  return v;
}

Result<Hash> ParseHash(std::string_view b64, std::string_view what) {
  auto raw = Base64Decode(b64);
  if (!raw) return Status::InvalidArgument("checkpoint: " + std::string(what) + " is not base64");
  if (raw->size() != Hash{}.size()) {
    return Status::InvalidArgument("checkpoint: " + std::string(what) + " is " +
                                   std::to_string(raw->size()) + " bytes, not 32");
  }
  Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

}  // namespace

std::string Checkpoint::ToNoteText() const {
  std::string out = origin + "\n" + std::to_string(size) + "\n" + Base64Encode(root) + "\n";
  if (chain_head) out += std::string(kChainKeyword) + " " + Base64Encode(*chain_head) + "\n";
  for (const std::string& line : extensions) out += line + "\n";
  return out;
}

Result<Checkpoint> Checkpoint::Parse(std::string_view note_text) {
  // Also bounds the size and refuses invalid UTF-8 and control characters.
  LEDGER_RETURN_IF_ERROR(CheckNoteText(note_text));
  Checkpoint cp;
  int line_no = 0;
  while (!note_text.empty()) {
    std::size_t nl = note_text.find('\n');  // found: CheckNoteText saw the final newline
    std::string_view line = note_text.substr(0, nl);
    note_text.remove_prefix(nl + 1);
    ++line_no;
    if (line.empty()) {
      return Status::InvalidArgument("checkpoint: line " + std::to_string(line_no) + " is empty");
    }
    if (line_no == 1) {
      cp.origin = std::string(line);
    } else if (line_no == 2) {
      auto size = ParseTreeSize(line);
      if (!size.ok()) return size.status();
      cp.size = *size;
    } else if (line_no == 3) {
      auto root = ParseHash(line, "root hash");
      if (!root.ok()) return root.status();
      cp.root = *root;
    } else if (line == kChainKeyword ||
               (line.starts_with(kChainKeyword) && line[kChainKeyword.size()] == ' ')) {
      if (cp.chain_head) return Status::InvalidArgument("checkpoint: more than one chain line");
      auto head =
          ParseHash(line.substr(std::min(line.size(), kChainKeyword.size() + 1)), "chain head");
      if (!head.ok()) return head.status();
      cp.chain_head = *head;
    } else {
      cp.extensions.emplace_back(line);
    }
  }
  if (line_no < 3) {
    return Status::InvalidArgument("checkpoint: needs origin, tree size and root hash lines");
  }
  return cp;
}

}  // namespace ledger
