// Reading a whole input file (scenario, board, workloads) for a parser, with
// the error every reader reports the same way when it cannot.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "platforms/config_error.h"

namespace ivsim {

// No input the twin reads is anywhere near this: a larger file (or an
// endless one, such as /dev/zero) is refused rather than read into memory.
constexpr std::size_t kMaxInputFileBytes = 16u << 20;

// The file's bytes. When it cannot be opened or read, or holds more than
// kMaxInputFileBytes, throws ConfigError at `where` (field path `field`):
// "cannot open <what>: <reason>", naming the path unless `where` is the
// file itself.
std::string read_input_file(const std::string& path, const std::string& what, const SourceLocation& where,
                            const std::string& field = "");

// parse() of the file at `path` whose bytes are `bytes`, done once per
// process: a run reads its board and timing profile twice (validating the
// scenario, then elaborating it), and yaml-cpp parses about 10 KiB per
// millisecond. Keyed by the path and the bytes, so an edited file is parsed
// again; a parse that throws is not kept. One cache per call site (the lambda's type).
template <class Parse>
auto parsed_once(const std::string& path, const std::string& bytes, Parse&& parse) {
  using T = decltype(parse());
  static std::map<std::string, T> done;
  const std::string key = path + '\0' + bytes;
  auto it = done.find(key);
  if (it == done.end()) it = done.emplace(key, parse()).first;
  return it->second;
}

}  // namespace ivsim
