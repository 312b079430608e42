// Writing output files so a reader never sees a half-written one: a crash or
// a full disk leaves either the old file or the new one, never a mix.
#pragma once

#include <string>

namespace ivsim {

// Writes content to path + ".tmp.<pid>" in the same directory, fsyncs it and
// renames it over path. On failure the temporary file is removed and
// std::runtime_error names the path and strerror.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace ivsim
