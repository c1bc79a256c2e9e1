// Hostile clients of the daemon (issue #7 part 4), shared by
// tests/hardening/hostile_clients_test.cc and bench/hostile_bench.cc: each Attacker runs one kind
// of attack against 127.0.0.1:port from its own thread until stopped, and counts what the daemon
// answered.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace testsupport {

enum class Attack {
  kNone,
  kSlowHeaders,       // 200 connections sending a request head one byte every 100 ms
  kSlowBodies,        // 200 uploads with a valid token, their body one byte every 100 ms
  kOversizedBodies,   // uploads of 64 MiB (Content-Length and chunked), sent as fast as possible
  kIdleConnections,   // 2000 connections opened and left silent
  kPipelinedFlood,    // 4 connections, each 64 pipelined requests at a time (health, bad uploads)
  kWrongInstitution,  // a terminal token uploading sales of another institution
  kReplayAltered,     // a recorded message resent as is, and altered under the same msgid
};
const char* AttackName(Attack a);

struct AttackTarget {
  std::uint16_t port = 0;
  std::string token;            // a terminal token of `institution`
  std::string institution;      // the token's institution
  std::string other;            // another institution, for kWrongInstitution
  nlohmann::json recorded;      // a message already recorded with `token`, for kReplayAltered
  std::string recorded_answer;  // the daemon's answer to it
};

class Attacker {
 public:
  Attacker(Attack attack, AttackTarget target);
  ~Attacker();  // Stop()
  Attacker(const Attacker&) = delete;
  Attacker& operator=(const Attacker&) = delete;

  void Stop();

  struct Stats {
    std::uint64_t requests = 0;     // requests (or request heads) sent
    std::uint64_t connections = 0;  // connections opened
    std::uint64_t cut_off = 0;      // connections the daemon closed before a complete request
    std::map<int, std::uint64_t> answers;  // HTTP status -> count
    std::uint64_t wrong_answers = 0;  // answers the attack must never get (e.g. 200 to a forgery)
    std::string first_wrong;          // the first of them
  };
  Stats stats() const;

 private:
  void Run();
  void SlowClients(bool body);
  void Oversized();
  void Idle();
  void Flood();
  void WrongInstitution();
  void ReplayAltered();
  void Count(int status, bool wrong, const std::string& what = "");

  const Attack attack_;
  const AttackTarget target_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  Stats stats_;
  std::thread thread_;
};

}  // namespace testsupport
