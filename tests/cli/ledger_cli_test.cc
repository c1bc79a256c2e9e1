// The real drugtrace binary: ledger subcommands, their output forms, and one-line errors.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ledger/hash.h"
#include "support/process.h"
#include "support/temp_dir.h"

using testsupport::Drugtrace;
using testsupport::ProcessResult;
using testsupport::ReadFile;
using testsupport::TempDir;
using testsupport::WriteFile;

namespace {

std::string Lines(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += "{\"row\":" + std::to_string(i) + "}\n";
  return out;
}

// A one-line error on stderr naming the problem, a non-zero exit, nothing on stdout.
void ExpectOneLineError(const ProcessResult& r, const std::string& fragment) {
  INFO("stderr: " << r.err << "\nstdout: " << r.out);
  CHECK(r.exit_code != 0);
  CHECK(r.exit_code != -1);  // not a crash
  CHECK(r.err.find(fragment) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

struct CliLedger {
  TempDir dir;
  std::string db = dir.file("l.db");
  std::string key;
  CliLedger() {
    auto r = Drugtrace({"init", "--db", db, "--origin", "region.example/ledger"});
    REQUIRE(r.exit_code == 0);
    auto k = Drugtrace({"key", "--db", db});
    REQUIRE(k.exit_code == 0);
    key = k.out.substr(0, k.out.size() - 1);
  }
  std::string Checkpoint(const std::string& name) {
    auto r = Drugtrace({"checkpoint", "--db", db});
    REQUIRE(r.exit_code == 0);
    WriteFile(dir.file(name), r.out);
    return dir.file(name);
  }
};

}  // namespace

TEST_CASE("cli: init, key and checkpoint print the standard forms", "[cli]") {
  CliLedger l;
  // <name>+<8 hex>+<base64(0x01 || 32 bytes)>
  REQUIRE(l.key.rfind("region.example/ledger+", 0) == 0);
  const std::string rest = l.key.substr(std::string("region.example/ledger+").size());
  CHECK(rest.size() == 8 + 1 + 44);
  CHECK(rest[8] == '+');
  auto raw = ledger::Base64Decode(rest.substr(9));
  REQUIRE(raw);
  CHECK(raw->size() == 33);
  CHECK((*raw)[0] == 0x01);
  struct stat sb {};
  REQUIRE(stat((l.db + ".key").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);

  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(0, 10)).exit_code == 0);
  auto note = ReadFile(l.Checkpoint("cp"));
  CHECK(note.rfind("region.example/ledger\n10\n", 0) == 0);
  CHECK(note.find("\n\n\xE2\x80\x94 region.example/ledger ") != std::string::npos);
  auto list = Drugtrace({"checkpoint", "--db", l.db, "--list"});
  REQUIRE(list.exit_code == 0);
  auto j = nlohmann::json::parse(list.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["tree_size"] == 10);
  CHECK(j[0]["note"] == note);

  ExpectOneLineError(Drugtrace({"init", "--db", l.db}), "already exists");
}

TEST_CASE("cli: proofs verify offline against a signed checkpoint, and altered ones fail",
          "[cli]") {
  CliLedger l;
  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(0, 300)).exit_code == 0);
  const std::string cp_old = l.Checkpoint("old");
  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(300, 777)).exit_code == 0);
  const std::string cp_new = l.Checkpoint("new");

  auto inc = Drugtrace({"prove", "inclusion", "--db", l.db, "--index", "123"});
  REQUIRE(inc.exit_code == 0);
  auto proof = nlohmann::json::parse(inc.out);
  CHECK(proof["type"] == "inclusion");
  CHECK(proof["leaf_index"] == 123);
  CHECK(proof["tree_size"] == 777);
  WriteFile(l.dir.file("inc.json"), inc.out);
  auto ok =
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_new, l.dir.file("inc.json")});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok: entry 123") != std::string::npos);

  // Altered in transit: a flipped hash, a wrong index, a proof for another size.
  auto flipped = proof;
  std::string h = flipped["hashes"][0];
  h[0] = h[0] == 'A' ? 'B' : 'A';
  flipped["hashes"][0] = h;
  WriteFile(l.dir.file("bad.json"), flipped.dump());
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_new, l.dir.file("bad.json")}),
      "FAILED");
  auto wrong_index = proof;
  wrong_index["leaf_index"] = 124;
  WriteFile(l.dir.file("bad.json"), wrong_index.dump());
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_new, l.dir.file("bad.json")}),
      "FAILED");
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_old, l.dir.file("inc.json")}),
      "tree size 777");

  auto con = Drugtrace({"prove", "consistency", "--db", l.db, "--old", "300"});
  REQUIRE(con.exit_code == 0);
  WriteFile(l.dir.file("con.json"), con.out);
  CHECK(Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_new, "--old-checkpoint",
                   cp_old, l.dir.file("con.json")})
            .exit_code == 0);
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp_new, l.dir.file("con.json")}),
      "--old-checkpoint");

  // A checkpoint altered in transit fails its signature.
  std::string note = ReadFile(cp_new);
  note.replace(note.find("\n777\n"), 5, "\n778\n");
  WriteFile(l.dir.file("forged"), note);
  ExpectOneLineError(Drugtrace({"verify-proof", "--key", l.key, "--checkpoint",
                                l.dir.file("forged"), l.dir.file("inc.json")}),
                     "FAILED");
}

TEST_CASE("cli: export lets anyone recompute leaf and chain hashes", "[cli]") {
  CliLedger l;
  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(0, 25)).exit_code == 0);
  auto r = Drugtrace({"export", "--db", l.db});
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string line;
  ledger::Hash chain{};
  int n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["index"] == n);
    auto bytes = ledger::Base64Decode(j["entry"].get<std::string>());
    REQUIRE(bytes);
    CHECK(*bytes == "{\"row\":" + std::to_string(n) + "}");
    auto leaf = ledger::LeafHash(ledger::AsBytes(*bytes));
    chain = ledger::ChainHash(chain, leaf);
    CHECK(j["leaf_hash"] == ledger::ToHex(leaf));
    CHECK(j["chain_hash"] == ledger::ToHex(chain));
    ++n;
  }
  CHECK(n == 25);
}

TEST_CASE("cli: verify passes, and fails naming the problem against a foreign checkpoint",
          "[cli]") {
  CliLedger l, other;
  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(0, 50)).exit_code == 0);
  const std::string cp = l.Checkpoint("cp");
  auto ok = Drugtrace({"verify", "--db", l.db, "--checkpoint", cp, "--key", l.key});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok: 50 entries, 1 signed checkpoints") != std::string::npos);

  REQUIRE(Drugtrace({"append", "--db", other.db, "-"}, Lines(1, 51)).exit_code == 0);
  ExpectOneLineError(Drugtrace({"verify", "--db", other.db, "--checkpoint", cp, "--key", l.key}),
                     "verify FAILED");
  ExpectOneLineError(Drugtrace({"verify", "--db", l.db, "--checkpoint", cp}), "go together");
}

TEST_CASE("cli: bad input gives a one-line error and a non-zero exit, never a crash", "[cli]") {
  CliLedger l;
  REQUIRE(Drugtrace({"append", "--db", l.db, "-"}, Lines(0, 5)).exit_code == 0);
  ExpectOneLineError(Drugtrace({"verify", "--db", l.dir.file("missing.db")}), "no ledger at");
  WriteFile(l.dir.file("junk.db"), std::string(10000, 'j'));
  ExpectOneLineError(Drugtrace({"verify", "--db", l.dir.file("junk.db")}),
                     "not a drugtrace ledger");
  ExpectOneLineError(Drugtrace({"prove", "inclusion", "--db", l.db, "--index", "5"}),
                     "not in a tree of size 5");
  ExpectOneLineError(Drugtrace({"prove", "consistency", "--db", l.db, "--old", "9"}), "old size");
  ExpectOneLineError(Drugtrace({"verify-proof", "--key", "nonsense", "--checkpoint", "x", "y"}),
                     "--key");
  const std::string cp = l.Checkpoint("cp");
  WriteFile(l.dir.file("p.json"), "{not json");
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp, l.dir.file("p.json")}),
      "not a JSON object");
  WriteFile(l.dir.file("p.json"),
            R"({"type":"inclusion","leaf_index":-1,"tree_size":5,"hashes":[]})");
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp, l.dir.file("p.json")}),
      "leaf_index");
  WriteFile(l.dir.file("p.json"), R"({"type":1})");
  ExpectOneLineError(
      Drugtrace({"verify-proof", "--key", l.key, "--checkpoint", cp, l.dir.file("p.json")}),
      "field 'type'");
  ExpectOneLineError(Drugtrace({"append", "--db", l.db, "--institution", "H\xff", "-"}, "x\n"),
                     "non-ASCII");
  WriteFile(l.dir.file("cp.bad"), "region.example/ledger\nfive\n");
  ExpectOneLineError(Drugtrace({"verify-proof", "--key", l.key, "--checkpoint",
                                l.dir.file("cp.bad"), l.dir.file("p.json")}),
                     "checkpoint");
  // Usage errors exit 2.
  CHECK(Drugtrace({"prove", "inclusion", "--db", l.db}).exit_code == 2);
  CHECK(Drugtrace({"no-such-command"}).exit_code == 2);
}
