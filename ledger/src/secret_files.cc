#include "secret_files.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ledger::files {

namespace {

// Secrets beside a ledger are a line of text; anything longer is not one of ours.
constexpr std::size_t kMaxSecretBytes = 4096;

}  // namespace

Status ErrnoStatus(const std::string& what) {
  const int err = errno;
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EEXIST) return Status::AlreadyExists(msg);
  return Status::IoError(msg);
}

Result<std::string> ReadSecret(const std::string& path, const std::string& what) {
  const std::string label = what.empty() ? path : what + " " + path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open " + label);
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    Status st = ErrnoStatus("cannot stat " + path);
    ::close(fd);
    return st;
  }
  if ((sb.st_mode & 077) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(label + " is readable by others; chmod 600 it");
  }
  std::string data(kMaxSecretBytes + 1, '\0');
  const ssize_t n = ::read(fd, data.data(), data.size());
  Status st = n < 0 ? ErrnoStatus("cannot read " + path) : Status::Ok();
  ::close(fd);
  if (!st.ok()) return st;
  if (static_cast<std::size_t>(n) > kMaxSecretBytes) {
    OPENSSL_cleanse(data.data(), data.size());
    return Status::InvalidArgument(label + " is larger than a key file can be");
  }
  data.resize(static_cast<std::size_t>(n));
  return data;
}

Status WriteSecret(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create " + path);
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
                  ::fsync(fd) == 0;
  Status st = ok ? Status::Ok() : ErrnoStatus("cannot write " + path);
  ::close(fd);
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

}  // namespace ledger::files
