#include "ledger/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

namespace ledger {

namespace {

// OpenSSL 3's one-shot SHA256() fetches the algorithm (taking a global lock) on every call; at
// ledger rates that lock dominates. Fetch once and keep one digest context per thread.
struct Hasher {
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx{EVP_MD_CTX_new()};

  static const EVP_MD* Md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
  }
  static Hasher& ForThread() {
    thread_local Hasher h;
    return h;
  }
  // SHA-256 of the concatenation of up to three byte ranges. Aborts only if OpenSSL itself is
  // broken (no SHA-256 provider), which no caller could recover from.
  Hash Digest(Bytes a, Bytes b = {}, Bytes c = {}) {
    Hash out;
    if (Md() == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), Md(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
        (!b.empty() && EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1) ||
        (!c.empty() && EVP_DigestUpdate(ctx.get(), c.data(), c.size()) != 1) ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr) != 1) {
      std::abort();
    }
    return out;
  }
};

constexpr std::uint8_t kLeafPrefix[1] = {0x00};
constexpr std::uint8_t kNodePrefix[1] = {0x01};

}  // namespace

Hash Sha256(Bytes data) {
  return Hasher::ForThread().Digest(data);
}

Hash LeafHash(Bytes entry) {
  return Hasher::ForThread().Digest(Bytes(kLeafPrefix), entry);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  return Hasher::ForThread().Digest(Bytes(kNodePrefix), Bytes(left), Bytes(right));
}

Hash ChainHash(const Hash& previous, const Hash& leaf) {
  return Hasher::ForThread().Digest(Bytes(previous), Bytes(leaf));
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy: issuing predictable secrets would be worse than stopping
  }
  return out;
}

Hash HmacSha256(Bytes key, Bytes data) {
  Hash out;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr ||
      len != out.size()) {
    std::abort();  // OpenSSL without SHA-256: nothing sensible to do
  }
  return out;
}

std::string ToHex(Bytes data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(data.size() * 2, '0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(Bytes data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = data[i] << 16 | (rest == 2 ? data[i + 1] << 8 : 0);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(b64.size() / 4 * 3);
  for (std::size_t i = 0; i < b64.size(); i += 4) {
    bool last = i + 4 == b64.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = b64[i + j];
      int d;
      if (c == '=' && last && j >= 2 && (j == 3 || b64[i + 3] == '=')) {
        ++pad;
        d = 0;
      } else {
        d = Base64Value(c);
        if (d < 0 || pad > 0) return std::nullopt;
      }
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
    // Reject non-canonical encodings whose padding bits are not zero.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) return std::nullopt;
  }
  return out;
}

std::optional<Hash> HashFromBase64(std::string_view b64) {
  auto raw = Base64Decode(b64);
  if (!raw || raw->size() != 32) return std::nullopt;
  Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

}  // namespace ledger
