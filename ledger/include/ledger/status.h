// Status and Result<T>: the ledger's error values. Every fallible ledger call returns one of these;
// foreign error spaces (SQLite, OpenSSL, errno) are translated into them in exactly one place each.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ledger {

// Persisted nowhere, but printed by the CLI; keep names stable.
enum class Code {
  kOk = 0,
  kInvalidArgument,     // caller passed something malformed (bad index, bad checkpoint text, ...)
  kNotFound,            // file, key or entry does not exist
  kAlreadyExists,       // refusing to overwrite
  kCorruption,          // stored data fails a hash, signature or consistency check
  kIoError,             // the operating system or SQLite could not read or write
  kBusy,                // the database is locked by another writer
  kFailedPrecondition,  // e.g. a checkpoint inconsistent with the last signed one
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: entry 12: leaf hash differs"
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ledger

// Early-return helpers: one line per propagated error.
#define LEDGER_RETURN_IF_ERROR(expr) \
  do {                               \
    ::ledger::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
