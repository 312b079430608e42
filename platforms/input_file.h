// Reading a whole input file (scenario, board, workloads) for a parser, with
// the error every reader reports the same way when it cannot.
#pragma once

#include <cstddef>
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

}  // namespace ivsim
