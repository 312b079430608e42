#include "sim/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ivsim {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

const char* node_kind(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// The file a write to `path` replaces: `path` itself, or what its symlinks
// lead to. "" with `problem` set when it must not be written.
std::string resolve_target(const std::string& path, std::string& problem) {
  if (path.empty() || path.back() == '/') {
    problem = "expected a file name, got a folder " + path;
    return "";
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      problem = "cannot use " + path + ": " + std::strerror(errno);
      return "";
    }
    return path;  // a new file
  }
  std::string target = path;
  if (S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) {
      problem = path + " is a symlink that leads nowhere (" + std::strerror(errno) + ")";
      return "";
    }
    target = buf;
    if (::stat(target.c_str(), &st) != 0) {
      problem = "cannot use " + target + ": " + std::strerror(errno);
      return "";
    }
  }
  if (!S_ISREG(st.st_mode)) {
    problem = (target == path ? path : path + " (" + target + ")") + " exists and is " + node_kind(st.st_mode) +
              "; only a regular file is replaced";
    return "";
  }
  return target;
}

// Makes the rename itself durable; best effort, since some file systems do
// not support fsync on directories and the data is already safe.
void sync_parent_dir(const std::string& path) {
  const int fd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void check_output_file(const std::string& path, const SourceLocation& where) {
  std::string problem;
  const std::string target = resolve_target(path, problem);
  if (target.empty()) throw ConfigError(where, "", problem);
  const std::string dir = parent_dir(target);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw ConfigError(where, "", "cannot write " + path + ": folder " + dir + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw ConfigError(where, "", "cannot write " + path + ": " + dir + " is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(where, "", "cannot write " + path + ": folder " + dir + ": " + std::strerror(errno));
}

void write_file_atomic(const std::string& path, const std::string& content) {
  std::string problem;
  const std::string target = resolve_target(path, problem);
  if (target.empty()) throw std::runtime_error(problem);

  // mkstemp: a fresh name, never an existing file or a planted symlink.
  std::string tmp = target + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail("create a temporary file next to", target, errno);
  // mkstemp makes it 0600; give it what a plain create would (0666 & ~umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(fd, 0666 & ~mask);

  auto abandon = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(what, path, err);
  };

  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("sync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("write", path, err);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("replace", path, err);
  }
  sync_parent_dir(target);
}

}  // namespace ivsim
