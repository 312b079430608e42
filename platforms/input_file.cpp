#include "platforms/input_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ivsim {

std::string read_input_file(const std::string& path, const std::string& what, const SourceLocation& where,
                            const std::string& field) {
  const std::string named = where.file == path ? what : what + " \"" + path + "\"";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ConfigError(where, field, "cannot open " + named + ": " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxInputFileBytes) {
      std::fclose(f);
      throw ConfigError(where, field,
                        named + " is larger than " + std::to_string(kMaxInputFileBytes >> 20) +
                            " MiB; no scenario, board or workloads file is this large");
    }
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw ConfigError(where, field, "cannot read " + named + ": " + std::strerror(err));
  return text;
}

}  // namespace ivsim
