// tlog-checkpoint note text with drugtrace's "chain" extension line.
#include "ledger/checkpoint.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ledger/note.h"

namespace {

using ledger::Checkpoint;
using ledger::Hash;

const char* const kInvalid = ledger::CodeName(ledger::Code::kInvalidArgument);

template <typename T>
std::string CodeOf(const ledger::Result<T>& r) {
  return ledger::CodeName(r.status().code());
}

Hash Filled(std::uint8_t first) {
  Hash h;
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

void CheckSame(const Checkpoint& a, const Checkpoint& b) {
  CHECK(a.origin == b.origin);
  CHECK(a.size == b.size);
  CHECK(a.root == b.root);
  CHECK(a.chain_head == b.chain_head);
  CHECK(a.extensions == b.extensions);
}

// The example checkpoint text from c2sp.org/tlog-checkpoint.
const std::string kSpecRoot = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
const std::string kSpecText = "example.com/behind-the-sofa\n20852163\n" + kSpecRoot + "\n";

}  // namespace

TEST_CASE("checkpoint: parses the C2SP example", "[checkpoint]") {
  auto cp = Checkpoint::Parse(kSpecText);
  REQUIRE(cp.ok());
  CHECK(cp->origin == "example.com/behind-the-sofa");
  CHECK(cp->size == 20852163u);
  CHECK(ledger::Base64Encode(cp->root) == kSpecRoot);
  CHECK_FALSE(cp->chain_head.has_value());
  CHECK(cp->extensions.empty());
  CHECK(cp->ToNoteText() == kSpecText);
}

TEST_CASE("checkpoint: text layout and round trip", "[checkpoint]") {
  Checkpoint cp;
  cp.origin = "drugtrace.example/ledger";
  cp.size = 42;
  cp.root = Filled(0);
  cp.chain_head = Filled(100);
  cp.extensions = {"note something else", "chainless line"};
  const std::string text = cp.ToNoteText();
  CHECK(text == "drugtrace.example/ledger\n42\n" + ledger::Base64Encode(Filled(0)) + "\nchain " +
                    ledger::Base64Encode(Filled(100)) + "\nnote something else\nchainless line\n");
  CHECK(ledger::CheckNoteText(text).ok());
  auto back = Checkpoint::Parse(text);
  REQUIRE(back.ok());
  CheckSame(*back, cp);
  CHECK(back->ToNoteText() == text);

  Checkpoint empty;
  empty.origin = "o";
  auto e = Checkpoint::Parse(empty.ToNoteText());
  REQUIRE(e.ok());
  CheckSame(*e, empty);
  CHECK(empty.ToNoteText().substr(0, 4) == "o\n0\n");

  Checkpoint max;
  max.origin = "o";
  max.size = UINT64_MAX;
  auto m = Checkpoint::Parse(max.ToNoteText());
  REQUIRE(m.ok());
  CHECK(m->size == UINT64_MAX);
}

TEST_CASE("checkpoint: the chain line may come after other extensions", "[checkpoint]") {
  const std::string text =
      kSpecText + "other\nchain " + ledger::Base64Encode(Filled(7)) + "\nchainfoo bar\n";
  auto cp = Checkpoint::Parse(text);
  REQUIRE(cp.ok());
  REQUIRE(cp->chain_head.has_value());
  CHECK(*cp->chain_head == Filled(7));
  CHECK(cp->extensions == std::vector<std::string>{"other", "chainfoo bar"});
}

TEST_CASE("checkpoint: signed, opened and parsed back", "[checkpoint][note]") {
  auto key = ledger::SignerKey::Generate("drugtrace.example/ledger");
  REQUIRE(key.ok());
  Checkpoint cp;
  cp.origin = "drugtrace.example/ledger";
  cp.size = 7;
  cp.root = Filled(1);
  cp.chain_head = Filled(2);
  auto note = ledger::SignNote(cp.ToNoteText(), *key);
  REQUIRE(note.ok());
  auto text = ledger::OpenNote(*note, key->verifier());
  REQUIRE(text.ok());
  auto back = Checkpoint::Parse(*text);
  REQUIRE(back.ok());
  CheckSame(*back, cp);
}

TEST_CASE("checkpoint: malformed texts are InvalidArgument", "[checkpoint]") {
  const std::string root = "\n" + kSpecRoot + "\n";
  const std::string chain_ok = "chain " + ledger::Base64Encode(Filled(3)) + "\n";
  const std::vector<std::string> bad = {
      // Missing lines and newlines.
      "",
      "\n",
      "example.com/log\n",
      "example.com/log\n5\n",
      "example.com/log\n5\n" + kSpecRoot,  // no final newline
      // Empty origin, empty lines.
      "\n5" + root,
      "example.com/log\n\n" + kSpecRoot + "\n",
      "example.com/log\n5" + root + "\n",
      "example.com/log\n5" + root + "\nextra\n",
      "example.com/log\n5" + root + "extra\n\n",
      // Bad tree sizes.
      "example.com/log\n00" + root,
      "example.com/log\n01" + root,
      "example.com/log\n-1" + root,
      "example.com/log\n+1" + root,
      "example.com/log\n 1" + root,
      "example.com/log\n1 " + root,
      "example.com/log\n0x10" + root,
      "example.com/log\n1e3" + root,
      "example.com/log\n18446744073709551616" + root,
      "example.com/log\n99999999999999999999999" + root,
      // Bad root hashes.
      "example.com/log\n5\nnot base64!\n",
      "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  // unpadded
      "example.com/log\n5\n" + ledger::Base64Encode(ledger::AsBytes(std::string(31, 'a'))) + "\n",
      "example.com/log\n5\n" + ledger::Base64Encode(ledger::AsBytes(std::string(33, 'a'))) + "\n",
      "example.com/log\n5\n" + ledger::ToHex(Filled(0)) + "\n",
      "example.com/log\n5\n\n",
      // Bad chain lines.
      "example.com/log\n5" + root + "chain\n",
      "example.com/log\n5" + root + "chain \n",
      "example.com/log\n5" + root + "chain xyz\n",
      "example.com/log\n5" + root + "chain  " + ledger::Base64Encode(Filled(3)) + "\n",
      "example.com/log\n5" + root + "chain " +
          ledger::Base64Encode(ledger::AsBytes(std::string(16, 'a'))) + "\n",
      "example.com/log\n5" + root + chain_ok + chain_ok,
      // Not note text at all.
      "example.com/log\r\n5" + root,
      "example\xff.com/log\n5" + root,
      "example.com/log\n5" + root + "ext\x01\n",
  };
  for (const std::string& text : bad) {
    INFO(text);
    CHECK(CodeOf(Checkpoint::Parse(text)) == kInvalid);
  }
}
