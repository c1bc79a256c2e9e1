// SHA-256, the RFC 6962 leaf and node hashes, the chain hash, and the strict hex and base64 codecs.
#include "ledger/hash.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using ledger::AsBytes;
using ledger::Hash;

std::string Hex(const Hash& h) {
  return ledger::ToHex(h);
}

Hash Filled(std::uint8_t first) {
  Hash h;
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(first + i * 7);
  return h;
}

}  // namespace

TEST_CASE("SHA-256 known answers", "[hash]") {
  // FIPS 180-2 examples.
  CHECK(Hex(ledger::Sha256(AsBytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(ledger::Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Hex(ledger::Sha256(AsBytes(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("RFC 6962 leaf and node hashes", "[hash]") {
  // certificate-transparency test vectors: the first two leaves and the tree over both.
  const Hash empty_leaf = ledger::LeafHash(AsBytes(""));
  const std::string zero(1, '\0');
  const Hash zero_leaf = ledger::LeafHash(AsBytes(zero));
  CHECK(Hex(empty_leaf) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  CHECK(Hex(zero_leaf) == "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  CHECK(Hex(ledger::NodeHash(empty_leaf, zero_leaf)) ==
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  // The domain separation prefixes: a leaf is never a node.
  CHECK(ledger::LeafHash(AsBytes("x")) != ledger::Sha256(AsBytes("x")));
  CHECK(ledger::LeafHash(AsBytes("x")) == ledger::Sha256(AsBytes(std::string("\0x", 2))));
  std::string node_input = "\x01";
  node_input.append(reinterpret_cast<const char*>(empty_leaf.data()), 32);
  node_input.append(reinterpret_cast<const char*>(zero_leaf.data()), 32);
  CHECK(ledger::NodeHash(empty_leaf, zero_leaf) == ledger::Sha256(AsBytes(node_input)));
}

TEST_CASE("chain hash is SHA-256 of previous then leaf", "[hash]") {
  const Hash prev = Filled(1), leaf = Filled(100);
  std::string input(reinterpret_cast<const char*>(prev.data()), 32);
  input.append(reinterpret_cast<const char*>(leaf.data()), 32);
  CHECK(ledger::ChainHash(prev, leaf) == ledger::Sha256(AsBytes(input)));
  CHECK(ledger::ChainHash(prev, leaf) != ledger::ChainHash(leaf, prev));
}

TEST_CASE("hex round trip and rejection", "[hash]") {
  CHECK(ledger::ToHex(AsBytes("")) == "");
  CHECK(ledger::ToHex(AsBytes("\x01\xab\xff")) == "01abff");
  for (int n = 0; n < 40; ++n) {
    std::string raw;
    for (int i = 0; i < n; ++i) raw += static_cast<char>(i * 37 + n);
    auto back = ledger::FromHex(ledger::ToHex(AsBytes(raw)));
    REQUIRE(back);
    CHECK(*back == raw);
  }
  const Hash h = Filled(3);
  auto back = ledger::FromHex(Hex(h));
  REQUIRE(back);
  CHECK(*back == std::string(reinterpret_cast<const char*>(h.data()), 32));
  CHECK(ledger::FromHex("ABcd") == std::string("\xab\xcd"));  // either case is read
  for (const char* bad : {"0", "abc", "0g", "g0", "0x00", " 00", "00 ", "+1", "z9", "\xff\xff"}) {
    INFO(bad);
    CHECK_FALSE(ledger::FromHex(bad));
  }
  CHECK_FALSE(ledger::FromHex(std::string("0\0", 2)));
}

TEST_CASE("base64 RFC 4648 vectors", "[hash]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, b64] : vectors) {
    INFO(raw);
    CHECK(ledger::Base64Encode(AsBytes(raw)) == b64);
    auto back = ledger::Base64Decode(b64);
    REQUIRE(back);
    CHECK(*back == raw);
  }
  CHECK(ledger::Base64Encode(AsBytes("\xfb\xff\xbf")) == "+/+/");  // both non-alphanumerics
}

TEST_CASE("base64 round trip for every length and byte", "[hash]") {
  for (int n = 0; n < 70; ++n) {
    std::string raw;
    for (int i = 0; i < n; ++i) raw += static_cast<char>((i * 89 + n * 13) & 0xff);
    auto back = ledger::Base64Decode(ledger::Base64Encode(AsBytes(raw)));
    REQUIRE(back);
    CHECK(*back == raw);
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  CHECK(ledger::Base64Decode(ledger::Base64Encode(AsBytes(all))) == all);
}

TEST_CASE("base64 decoding is strict", "[hash]") {
  for (const char* bad : {
           "Zg",        // unpadded
           "Zg=",       // wrong length
           "Zm9vY",     // wrong length
           "Zg=a",      // padding then data
           "Z===",      // too much padding
           "====",      // only padding
           "Zg==Zg==",  // padding in the middle
           "Zm9v====",  // a block of padding
           "=Zg=",      // leading padding
           "Zh==",      // non-zero padding bits (canonical form is Zg==)
           "Zm9=",      // non-zero padding bits (canonical form is Zm8=)
           "Zm-v",      // base64url alphabet
           "Zm_v",      // base64url alphabet
           "Zm9v\n",    // trailing newline
           " Zm9v",     // leading space
           "Zm 9v",     // inner space
           "Zm9*",      // not in any alphabet
       }) {
    INFO(bad);
    CHECK_FALSE(ledger::Base64Decode(bad));
  }
  CHECK_FALSE(ledger::Base64Decode(std::string("Zm9\0", 4)));
}

TEST_CASE("HashFromBase64 takes exactly 32 bytes", "[hash]") {
  const Hash h = Filled(42);
  const std::string b64 = ledger::Base64Encode(h);
  CHECK(b64.size() == 44);
  auto back = ledger::HashFromBase64(b64);
  REQUIRE(back);
  CHECK(*back == h);
  const std::string raw(reinterpret_cast<const char*>(h.data()), 32);
  CHECK_FALSE(ledger::HashFromBase64(ledger::Base64Encode(AsBytes(raw.substr(0, 31)))));
  CHECK_FALSE(ledger::HashFromBase64(ledger::Base64Encode(AsBytes(raw + "x"))));
  CHECK_FALSE(ledger::HashFromBase64(""));
  CHECK_FALSE(ledger::HashFromBase64(b64.substr(0, 43)));
  CHECK_FALSE(ledger::HashFromBase64(b64 + "===="));
  std::string bad = b64;
  bad[10] = '!';
  CHECK_FALSE(ledger::HashFromBase64(bad));
}
