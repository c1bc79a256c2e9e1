// SHA-256 and the three hashes the ledger is built from (docs/ledger-format.md §2), plus the text
// encodings (hex, standard base64) used wherever a hash leaves the process.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ledger {

using Hash = std::array<std::uint8_t, 32>;
using Bytes = std::span<const std::uint8_t>;

inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Hash Sha256(Bytes data);
// RFC 6962 §2.1: SHA-256(0x00 || entry).
Hash LeafHash(Bytes entry);
// RFC 6962 §2.1: SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// Hash chain: SHA-256(previous chain hash || leaf hash); entry 0 uses 32 zero bytes as previous.
Hash ChainHash(const Hash& previous, const Hash& leaf);

// `n` bytes from the operating system's cryptographic random source (aborts if it has none).
std::string RandomBytes(std::size_t n);

// HMAC-SHA256 (RFC 2104), used to store keyed hashes of personal identifiers.
Hash HmacSha256(Bytes key, Bytes data);

std::string ToHex(Bytes data);
inline std::string ToHex(const Hash& h) {
  return ToHex(Bytes(h));
}
std::optional<std::string> FromHex(std::string_view hex);

std::string Base64Encode(Bytes data);
inline std::string Base64Encode(const Hash& h) {
  return Base64Encode(Bytes(h));
}
// Strict standard base64 with padding; nullopt on any other character or bad length.
std::optional<std::string> Base64Decode(std::string_view b64);
// Decodes exactly 32 bytes, or nullopt.
std::optional<Hash> HashFromBase64(std::string_view b64);

}  // namespace ledger
